"""Browser journeys on a phone: a secretary books and the manager approves; a manager records an offline booking."""
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot


def _open_first_free_day(page, url):
    page.goto(f"{url}/bases/1")
    page.get_by_role("link", name="重温入党誓词").click()
    page.wait_for_load_state()
    page.locator("a.day-open").nth(3).click()
    page.wait_for_load_state()


def test_secretary_books_manager_approves_secretary_sees_qr(world):
    world.config["WTF_CSRF_ENABLED"] = True
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        _open_first_free_day(page, url)
        page.get_by_role("link", name="预约此场").first.click()
        page.wait_for_load_state()
        assert_accessible(page)
        page.get_by_label("参加人数").fill("25")
        page.get_by_label("联系电话").fill("13800000000")
        page.get_by_label("活动主题").fill("重温入党誓词 坚定理想信念")
        shot(page, "10-book-form")
        with page.expect_navigation():
            page.get_by_role("button", name="提交预约").click()
        assert "/bookings/" in page.url
        booking_url = page.url
        assert page.get_by_text("待审核").first.is_visible()
        assert page.locator(".qr svg").is_visible()
        assert_accessible(page)
        shot(page, "11-booking-pending")

        relogin(page, url, "manager")
        page.goto(f"{url}/manage/pending")
        assert page.get_by_text("区财政局第一党支部").first.is_visible()
        assert_accessible(page)
        shot(page, "12-manager-queue")
        with page.expect_navigation():
            page.get_by_role("button", name="通过").first.click()
        assert page.get_by_text("没有待审核的预约").is_visible()

        relogin(page, url, "secretary")
        page.goto(booking_url)
        assert page.locator(".badge", has_text="已通过").is_visible()
        assert page.locator(".qr svg").is_visible()
        assert page.get_by_text("审核通过").first.is_visible()  # in the history
        shot(page, "13-booking-approved")
        page.goto(f"{url}/notifications")
        assert page.get_by_text("预约已通过").first.is_visible()
        assert_accessible(page)


def test_manager_records_offline_booking(world):
    world.config["WTF_CSRF_ENABLED"] = True
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "manager")
        _open_first_free_day(page, url)
        page.get_by_role("link", name="预约此场").first.click()
        page.wait_for_load_state()
        page.get_by_label("参加人数").fill("30")
        # The branch search narrows the list in place: what was typed stays.
        page.get_by_label("查找党支部").fill("城投")
        options = page.get_by_label("预约党支部").locator("option").all_text_contents()
        assert options and all("城投" in o for o in options), options
        assert page.get_by_text(f"找到 {len(options)} 项").is_visible()
        assert page.get_by_label("参加人数").input_value() == "30"
        page.get_by_label("预约党支部").select_option(label="区城投集团党委 · 城投建设公司党支部")
        page.get_by_label("联系人").fill("赵主任")
        page.get_by_label("联系电话").fill("021-55558888")
        assert_accessible(page)
        shot(page, "14-offline-form")
        with page.expect_navigation():
            page.get_by_role("button", name="登记预约").click()
        assert page.locator(".badge", has_text="已通过").is_visible()
        assert page.get_by_text("线下登记").first.is_visible()
        assert page.get_by_text("城投建设公司党支部").first.is_visible()
        with page.expect_navigation():
            page.get_by_role("link", name="在场馆周视图中查看").click()
        assert page.get_by_role("link", name="城投建设公司党支部").first.is_visible()
        assert_accessible(page)
        shot(page, "15-week")
