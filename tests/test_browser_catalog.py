"""Browser journey on a phone: log in and browse the catalogue down to a menu item's slots."""
from tests.browser import assert_accessible, live_server, login, phone_browser, shot


def test_secretary_browses_catalogue_on_phone(world):
    world.config["WTF_CSRF_ENABLED"] = True
    with live_server(world) as url, phone_browser() as page:
        page.goto(f"{url}/login")
        assert_accessible(page)
        shot(page, "01-login")
        login(page, url, "secretary")
        assert page.url.endswith("/bases")
        assert page.get_by_role("heading", name="开放式组织生活基地").is_visible()
        assert_accessible(page)
        shot(page, "02-bases")

        page.get_by_label("基地类型").select_option("red")
        page.get_by_role("button", name="筛选").click()
        page.wait_for_load_state()
        cards = page.locator("article.card")
        assert cards.count() == 1
        page.get_by_role("link", name="红星革命纪念馆").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="特色菜单").is_visible()
        assert_accessible(page)
        shot(page, "03-base")

        page.get_by_role("link", name="重温入党誓词").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="选择日期").is_visible()
        page.locator("a.day-open").nth(2).click()
        page.wait_for_load_state()
        assert page.get_by_text("09:00–11:00").is_visible()
        assert page.get_by_text("剩余 80 / 80 位").first.is_visible()
        assert_accessible(page)
        shot(page, "04-menu-item")

        # The page fits a phone: nothing wider than the viewport.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_keyboard_can_log_in(world):
    with live_server(world) as url, phone_browser() as page:
        page.goto(f"{url}/login")
        page.keyboard.press("Tab")  # skip link
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.name || document.activeElement.id")
        assert focused == "username"
        page.keyboard.type("secretary")
        page.keyboard.press("Tab")
        page.keyboard.type("demo-pass-2026")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/bases")
