"""Browser journey at 390 px of the waitlist (候补): a slot fills, a second branch joins its waitlist, the first
cancels, and the second finds its booking and the notification."""
from datetime import timedelta

from booking import clock
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot
from tests.factories import booking, item, slot_start, user


def test_a_full_slot_a_waitlist_a_cancellation_and_the_promoted_booking(world):
    start = slot_start(5)
    day = clock.local(start).date()
    first = booking("secretary", start=start, headcount=60)
    booking("secretary", start=start + timedelta(hours=5), headcount=10)  # the afternoon has room
    from tests.test_waitlist import _secretaries
    other = _secretaries(1, prefix="b")[0]
    booking(other.username, start=start, headcount=20)  # 80 of 80: full
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary2")
        page.goto(f"{url}/menu-items/{item().id}?date={day.isoformat()}")
        page.get_by_role("link", name=f"已约满，候补 {clock.local(start):%H:%M} 场").click()
        page.wait_for_load_state()
        assert page.get_by_text("本场已约满").is_visible()
        page.get_by_label("参加人数").fill("15")
        page.get_by_label("联系电话").fill("13800000000")
        assert_accessible(page)
        shot(page, "85-waitlist-join")
        with page.expect_navigation():
            page.get_by_role("button", name="加入候补").click()
        assert page.get_by_text("已加入候补，当前排第 1 位").is_visible()
        assert page.get_by_text("候补中 · 第 1 位").is_visible()
        assert_accessible(page)
        shot(page, "86-waitlist-mine")
        page.goto(f"{url}/menu-items/{item().id}?date={day.isoformat()}")
        assert page.get_by_role("link", name="已候补，第 1 位").is_visible()

        # The manager sees the queue in the week view.
        relogin(page, url, "manager")
        page.goto(f"{url}/manage/week?venue_id={item().venue_id}&start={day.isoformat()}")
        assert page.get_by_text("候补 1").is_visible()
        assert page.get_by_text(f"1. {user('secretary2').branch.name} 15人").is_visible()

        # The first branch cancels its 60.
        relogin(page, url, "secretary")
        page.goto(f"{url}/bookings/{first.id}")
        page.once("dialog", lambda d: d.accept())
        with page.expect_navigation():
            page.get_by_role("button", name="取消预约").click()
        assert page.get_by_text("已取消").first.is_visible()

        # The second branch is told, and finds its booking.
        relogin(page, url, "secretary2")
        page.goto(url + "/notifications")
        assert page.get_by_text("候补成功").first.is_visible()
        assert_accessible(page)
        shot(page, "87-waitlist-promoted")
        with page.expect_navigation():
            page.locator("button.notice-title", has_text="候补成功").first.click()
        assert "/bookings/" in page.url
        assert page.get_by_text("候补转为预约").is_visible()
        assert page.get_by_text("15 人").first.is_visible()
        page.goto(url + "/waitlist")
        assert page.get_by_text("已转为预约").first.is_visible()
        assert page.get_by_role("link", name="查看转成的预约").is_visible()
