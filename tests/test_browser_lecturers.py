"""Browser journey: the manager invites a suggested lecturer, the lecturer accepts, the session is on their schedule."""
from models import db
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot
from tests.factories import booking, item, slot_start


def test_invite_accept_and_see_on_schedule(world):
    world.config["WTF_CSRF_ENABLED"] = True
    b = booking(menu_item=item("专题党课：红色家书里的初心"), start=slot_start(5), headcount=20)
    booking_id, month = b.id, b.day.strftime("%Y-%m")
    db.session.commit()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "manager")
        page.goto(f"{url}/bookings/{booking_id}")
        assert page.get_by_role("heading", name="安排讲师").is_visible()
        assert_accessible(page)
        shot(page, "30-suggestions")
        with page.expect_navigation():
            page.get_by_role("button", name="邀请 张建国").click()
        assert page.get_by_text("已邀请 张建国").is_visible()

        relogin(page, url, "lecturer")
        page.goto(f"{url}/schedule")
        assert page.get_by_role("heading", name="待答复的邀请").is_visible()
        assert_accessible(page)
        with page.expect_navigation():
            page.get_by_role("button", name="接受").click()
        assert page.get_by_text("已接受邀请").is_visible()
        assert page.get_by_text("没有待答复的邀请").is_visible()
        upcoming = page.locator("section", has=page.get_by_role("heading", name="即将进行的授课"))
        assert upcoming.get_by_text("专题党课：红色家书里的初心").is_visible()
        assert upcoming.get_by_text("红星革命纪念馆").is_visible()
        page.goto(f"{url}/schedule?month={month}")
        assert page.locator(".month-cal .cal-item", has_text="红星革命纪念馆").count() == 1
        assert_accessible(page)
        shot(page, "31-schedule")

        relogin(page, url, "manager")
        page.goto(f"{url}/bookings/{booking_id}")
        assert page.get_by_text("张建国（已接受）", exact=True).is_visible()
