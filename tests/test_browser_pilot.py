"""Browser journeys at 390 px of the base's ordinary day: a walk-in recorded from today's grid, checked in before
its start and its attendance recorded at once; a branch changing its booking; a closure over a booking."""
from datetime import time

from sqlalchemy import select

from booking import clock
from models import Booking, OpeningSlot, db
from tests.browser import assert_accessible, live_server, login, phone_browser, shot
from tests.factories import booking, item, slot_start


def test_a_walk_in_from_todays_grid_checked_in_early_and_counted(world, monkeypatch):
    world.config["WTF_CSRF_ENABLED"] = True
    menu_item = item()
    today = clock.local_today()
    db.session.add(OpeningSlot(venue_id=menu_item.venue_id, weekday=today.weekday(), start_time=time(23, 0),
                               end_time=time(23, 50), capacity=80))
    db.session.commit()
    morning = clock.at_local(today, time(8, 0))
    monkeypatch.setattr(clock, "now", lambda: morning)  # the server runs in this process: it is 08:00 there too
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "manager")
        page.goto(f"{url}/menu-items/{menu_item.id}?date={today.isoformat()}")
        page.get_by_role("link", name="预约此场").last.click()  # tonight's 23:00
        page.wait_for_load_state()
        page.get_by_label("查找党支部").fill("滨江")
        page.get_by_label("参加人数").fill("15")
        page.get_by_label("联系人").fill("李强")
        page.get_by_label("联系电话").fill("13800000001")
        with page.expect_navigation():
            page.get_by_role("button", name="登记预约").click()
        assert page.locator(".badge", has_text="已通过").is_visible()
        walk_in = db.session.scalar(select(Booking).where(Booking.starts_at == clock.at_local(today, time(23, 0))))
        assert walk_in.source == "offline" and walk_in.branch.name == "滨江社区党支部"
        # The group arrives early: checked in, then counted straight away.
        with page.expect_navigation():
            page.get_by_role("button", name="确认该支部已到达").click()
        assert page.get_by_text("签到成功").is_visible() and page.get_by_text("已签到").first.is_visible()
        page.get_by_role("spinbutton", name="实到人数").fill("14")
        assert_accessible(page)
        shot(page, "54-early-check-in")
        with page.expect_navigation():
            page.get_by_role("button", name="登记并完成").click()
        assert page.locator(".badge", has_text="已完成").is_visible()
        assert page.get_by_text("实到 14 人").first.is_visible()


def test_a_branch_changes_its_booking(world):
    world.config["WTF_CSRF_ENABLED"] = True
    b = booking(start=slot_start(6), headcount=20)
    db.session.commit()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/bookings/{b.id}")
        page.get_by_role("link", name="修改人数、联系人或主题").click()
        page.wait_for_load_state()
        page.get_by_label("参加人数").fill("26")
        page.get_by_label("联系人").fill("王芳")
        assert_accessible(page)
        shot(page, "55-change")
        with page.expect_navigation():
            page.get_by_role("button", name="保存修改").click()
        assert page.get_by_text("26 人").first.is_visible()
        assert page.get_by_text("修改").first.is_visible()  # in the history


def test_a_closure_over_a_booking_cancels_it_with_its_reason(world):
    world.config["WTF_CSRF_ENABLED"] = True
    b = booking(start=slot_start(8))
    day = clock.local(b.starts_at).date().isoformat()
    db.session.commit()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "manager")
        page.goto(url + "/manage/bases/1#closures")
        page.get_by_label("开始日期").fill(day)
        page.get_by_label("结束日期").fill(day)
        page.get_by_label("原因").fill("设备检修")
        with page.expect_navigation():
            page.get_by_role("button", name="添加闭馆").click()
        assert page.get_by_role("link", name=b.branch.name).first.is_visible()  # the booking it falls on, linked
        # The form's second state, reached only by posting: usable on a phone too.
        assert page.get_by_role("button", name="闭馆并取消这些预约").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        assert_accessible(page)
        shot(page, "42-closure-choice")
        page.once("dialog", lambda dialog: dialog.accept())  # 确定？
        with page.expect_navigation():
            page.get_by_role("button", name="闭馆并取消这些预约").click()
        db.session.expire_all()
        assert db.session.get(Booking, b.id).status == "cancelled"
        page.goto(f"{url}/bookings/{b.id}")
        assert page.get_by_text("闭馆：设备检修").first.is_visible()
