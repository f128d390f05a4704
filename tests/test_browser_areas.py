"""The street's organisation officer on the demo district: its day at 390 px and at 1280 px, its statistics by
area; the district's statistics by street add up to their total."""
from contextlib import contextmanager

from tests.browser import CHROMIUM, assert_accessible, live_server, login, phone_browser, shot


@contextmanager
def desk_browser():
    """A headless Chromium at an office screen's width."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                                          "--lang=zh-CN"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(30000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _numbers(page, selector: str) -> list[int]:
    """The numbers in a column of the statistics table (the page's first table)."""
    return [int(t) for t in page.locator("table").first.locator(selector).all_inner_texts()]


def test_the_street_day_and_its_statistics_by_area(demo):
    from datetime import timedelta

    from booking import clock
    year_ago = (clock.local_today() - timedelta(days=365)).isoformat()
    with live_server(demo) as url, phone_browser() as page:
        login(page, url, "street")
        assert page.url.endswith("/area/")
        assert page.get_by_role("heading", name="滨江街道概况").is_visible()
        for text in ("本季度尚未开展基地活动的党支部", "本月活动批次", "待审核预约与待派点单", "学时未达要求的党员"):
            assert page.get_by_text(text).first.is_visible(), text
        # Its communities are below it, and its branches' names (never another street's) are listed.
        assert page.get_by_role("link", name="滨江社区", exact=True).is_visible()
        idle = page.locator("section[aria-labelledby=idle-h]").inner_text()
        assert "区财政局第一党支部" not in idle and "红星社区党支部" not in idle
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        assert_accessible(page)
        shot(page, "40-street-day")

        page.get_by_role("link", name="按属地统计").click()
        page.wait_for_load_state()
        # A year back, so that early in January the street still has visits to count (the demo's past is relative).
        page.get_by_label("起始日期").fill(year_ago)
        with page.expect_navigation():
            page.get_by_role("button", name="统计").click()
        assert page.get_by_label("分组").input_value() == "area"
        rows = page.locator("table").first.locator("tbody tr")
        assert rows.count() >= 1
        batches = _numbers(page, "tbody tr td:nth-child(2)")
        assert sum(batches) == int(page.locator("#total-batches").inner_text())
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        assert_accessible(page)
        shot(page, "41-street-stats-by-area")

    with live_server(demo) as url, desk_browser() as page:
        login(page, url, "street")
        assert_accessible(page)
        shot(page, "42-street-day-desk")
        page.goto(url + f"/stats/?group_by=area&from={year_ago}")
        shot(page, "43-street-stats-by-area-desk")
        # The district's statistics by street: three streets and 直属, adding up to the total.
        page.context.clear_cookies()
        login(page, url, "admin")
        page.goto(url + f"/stats/?group_by=area&from={year_ago}")
        labels = page.locator("table").first.locator("tbody tr td:nth-child(1)").all_inner_texts()
        assert {"滨江街道", "红星街道", "科创园街道", "直属"} <= set(labels), labels
        assert sum(_numbers(page, "tbody tr td:nth-child(2)")) == int(page.locator("#total-batches").inner_text())
        assert sum(_numbers(page, "tbody tr td:nth-child(3)")) == int(
            page.locator("#total-person-times").inner_text())
        assert_accessible(page)
        shot(page, "44-district-stats-by-area-desk")
