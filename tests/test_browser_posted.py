"""Pages reached only by posting a form (an import with errors, a form sent back with its messages, a state after
sending): each answers, fits 390 px and has no serious axe finding, like the pages the crawl reaches by links."""
from tests.browser import live_server, login, phone_browser, relogin, serious_accessibility_violations
from tests.factories import item, user

BAD_MEMBERS = "姓名,身份\n王芳,队长\n,党员\n"
BAD_BRANCHES = "党组织,所属领域,支部名称\n新组织,火星,第一支部\n"


def _check(page, what):
    assert page.evaluate("document.documentElement.scrollWidth") <= 400, what
    found = serious_accessibility_violations(page)
    assert not found, (what, found)


def _submit(page, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_pages_after_a_post_work_on_a_phone(world, tmp_path):
    world.config.update(WTF_CSRF_ENABLED=True, MAIL_HOST="127.0.0.1", MAIL_PORT=9)
    members, branches = tmp_path / "members.csv", tmp_path / "branches.csv"
    members.write_text(BAD_MEMBERS, encoding="utf-8-sig")
    branches.write_text(BAD_BRANCHES, encoding="utf-8-sig")
    with live_server(world) as url, phone_browser() as page:
        page.goto(url + "/forgot")
        page.get_by_label("用户名或邮箱").fill("secretary")
        _submit(page, "发送重置链接")
        assert page.get_by_text("重置密码的链接已发送").is_visible()
        _check(page, "forgot: sent")

        login(page, url, "secretary")
        page.goto(url + "/account")
        page.get_by_label("当前密码").fill("wrong-password")
        page.get_by_label("新密码", exact=True).fill("short")
        page.get_by_label("再次输入新密码").fill("short")
        _submit(page, "保存新密码")
        assert page.get_by_text("当前密码不正确").is_visible()
        _check(page, "account: errors")

        page.goto(f"{url}/branches/{user('secretary').branch_id}/members")
        page.get_by_label("CSV 或 Excel 文件").set_input_files(str(members))
        _submit(page, "导入")
        assert page.get_by_text("未导入任何党员").is_visible()
        _check(page, "member import: errors")

        page.goto(f"{url}/series/new?item_id={item().id}")
        page.get_by_label("截止日期").fill("2030-01-01")
        _submit(page, "预览每个日期")
        assert page.get_by_text("最长 12 个月").first.is_visible()
        _check(page, "series: errors")

        relogin(page, url, "admin")
        page.goto(url + "/admin/organizations")
        page.get_by_label("CSV 或 Excel 文件").set_input_files(str(branches))
        _submit(page, "导入")
        assert page.get_by_text("未导入任何数据").is_visible()
        _check(page, "branch import: errors")

        page.goto(url + "/admin/holidays?year=2027")
        page.get_by_label("名称").fill("")
        page.get_by_label("日期").fill("2027-01-01")
        _submit(page, "保存")
        assert page.get_by_text("请填写名称").is_visible()
        _check(page, "holidays: errors")
