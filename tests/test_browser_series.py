"""Browser journey at 390 px: a secretary sets up 每月第一个星期五 14:00 for six months, sees the preview with the
public holiday skipped, saves, and sees the series page."""
from datetime import date, time

from booking import clock
from booking.catalog import holidays
from tests.browser import assert_accessible, live_server, login, phone_browser, shot
from tests.factories import item, user


def test_a_monthly_theme_day_for_six_months(world, monkeypatch):
    world.config["WTF_CSRF_ENABLED"] = True
    monkeypatch.setattr(clock, "now", lambda: clock.at_local(date(2026, 12, 1), time(10)))
    holidays.put(user("admin"), date(2027, 1, 1), "元旦", "holiday")  # the admin has entered 2027's first day
    menu_item = item()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/menu-items/{menu_item.id}")
        page.get_by_role("link", name="设置每月固定预约").click()
        page.wait_for_load_state()
        page.get_by_label("每月第几个").select_option(label="第一个")
        page.get_by_label("星期", exact=True).select_option(label="星期五")
        page.get_by_label("场次").select_option("14:00")
        page.get_by_label("开始日期").fill("2026-12-02")
        page.get_by_label("截止日期").fill("2027-05-31")
        page.get_by_label("参加人数").fill("25")
        page.get_by_label("联系电话").fill("13800000000")
        with page.expect_navigation():
            page.get_by_role("button", name="预览每个日期").click()
        rows = page.locator("#preview-h + ul li, section[aria-labelledby=preview-h] li")
        assert rows.count() == 6
        assert page.get_by_text("跳过：法定节假日").is_visible()
        assert page.locator("li", has_text="2027年1月1日").get_by_text("跳过：法定节假日").is_visible()
        assert page.locator("li", has_text="2026年12月4日").get_by_text("保存后立即预约").is_visible()
        assert page.get_by_text("到期自动预约").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        assert_accessible(page)
        shot(page, "70-series-preview")
        with page.expect_navigation():
            page.get_by_role("button", name="确认并保存").click()
        assert page.get_by_role("heading", name="每月第一个星期五 14:00").is_visible()
        assert page.get_by_text("固定预约已设置：已预约 1 次").is_visible()
        assert page.get_by_role("link", name="2026年12月4日 周五 14:00").is_visible()
        assert_accessible(page)
        shot(page, "71-series")
