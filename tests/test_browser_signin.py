"""Browser journey at 390 px of the members' own sign-in (扫码签到): the manager opens today's page and the QR code of a
checked-in visit; a member, on their own phone and without an account, opens the code's link, finds their name,
taps it, gives their phone's last four digits and sees the time they signed in. The branch's secretary can hold the
code up too, and the code is shown at 1280 px as on the base's big screen.

The screenshots go to tests/artifacts (or SCREENSHOT_DIR): the README's are taken with
`SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest -q tests/test_browser_signin.py`."""
import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser import PHONE, assert_accessible, live_server, login, phone_browser, shot
from tests.test_sign_in import _members, _visit

DESK = {"width": 1280, "height": 900}
NAMES = ["王芳", "李明", "张华", "赵磊", "钱进", "孙丽", "周洁", "欧阳晓明"]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], page.url


def _qr_box(page) -> dict:
    """Where the QR code's SVG lies on the screen (it is drawn and visible)."""
    svg = page.locator("#signin-qr svg")
    assert svg.is_visible()
    return svg.bounding_box()


def _new_context(page, viewport=PHONE, phone=True):
    """Another context of the same Chromium: its own cookies (nobody logged in)."""
    return page.context.browser.new_context(
        viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone, locale="zh-CN",
        timezone_id="Asia/Shanghai", bypass_csp=True)


def test_members_sign_in_themselves_at_the_door(world):
    world.config.update(WTF_CSRF_ENABLED=True)
    ids = _members(NAMES, phones={"王芳": "138-0000-1234"})
    b = _visit(headcount=10, roster=[ids[n] for n in ("王芳", "李明", "张华", "赵磊")])
    with live_server(world) as url, phone_browser() as page:
        # The manager: today's visits, the checked-in one has the 党员签到 button.
        login(page, url, "manager")
        page.goto(url + "/manage/today")
        button = page.get_by_role("link", name="党员签到", exact=True)
        assert button.count() == 1 and button.is_visible()
        assert button.bounding_box()["height"] >= 44
        page.clock.install()  # the page's own 30-second renewal is run on below without waiting for it
        with page.expect_navigation():
            button.click()
        assert urlsplit(page.url).path == f"/bookings/{b.id}/sign-in"
        assert page.get_by_role("heading", name="党员签到").is_visible()
        assert page.get_by_text("已签到 0 人").is_visible()
        box = _qr_box(page)
        # Large and centred: at 390 px the code takes nearly the whole width, with even margins, and it is square.
        assert box["width"] >= 330 and abs(box["width"] - box["height"]) < 2, box
        assert abs(box["x"] - (390 - box["x"] - box["width"])) < 2, box
        _fits(page)
        assert_accessible(page)
        shot(page, "signin-qr-390")

        # The QR's link, as a phone would read it (from the code the page renews itself with; nothing is scanned).
        code = page.request.get(f"{url}/bookings/{b.id}/sign-in/code.json").json()
        assert code["svg"].startswith("<svg") and code["count"] == 0 and code["roster"] == 4
        path = urlsplit(code["url"]).path
        assert path.startswith("/s/")

        # The base's big screen: the same page at 1280 px, the code as large as the height allows.
        desk = _new_context(page, DESK, phone=False)
        big = desk.new_page()
        login(big, url, "manager")
        big.goto(f"{url}/bookings/{b.id}/sign-in")
        box = _qr_box(big)
        # The code as large as the screen's height allows, beside it the count the room watches: one screen, no
        # scrolling.
        assert box["height"] >= 500 and box["y"] + box["height"] <= DESK["height"], box
        count = big.locator("#signin-count").bounding_box()
        assert count["x"] > box["x"] + box["width"] and count["y"] + count["height"] <= DESK["height"], count
        _fits(big)
        assert_accessible(big)
        shot(big, "signin-qr-1280")
        # Full screen on the big screen: only the code and its count, larger; the same button leaves it.
        big.get_by_role("button", name="全屏显示").click()
        expect(big.get_by_role("button", name="退出全屏")).to_be_visible()
        assert big.evaluate("document.fullscreenElement && document.fullscreenElement.id") == "signin-show"
        full = _qr_box(big)
        assert full["height"] > box["height"] and full["y"] + full["height"] <= DESK["height"], full
        assert_accessible(big)
        big.get_by_role("button", name="退出全屏").click()
        expect(big.get_by_role("button", name="全屏显示")).to_be_visible()
        desk.close()

        # A member, on their own phone, without an account.
        phone = _new_context(page)
        member = phone.new_page()
        member.set_default_timeout(30000)
        assert member.goto(url + path).status == 200
        assert member.get_by_role("heading", name="请点您的姓名").is_visible()
        for name in NAMES:
            assert member.get_by_role("link", name=name, exact=True).is_visible(), name
        assert "1234" not in member.locator("body").inner_text()  # names only, never phones
        small = member.evaluate("""() => [...document.querySelectorAll('a.name, button, input')]
            .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
            .map(e => e.outerHTML.slice(0, 80))""")
        assert not small, small
        _fits(member)
        assert_accessible(member)
        shot(member, "signin-member-list")

        # Typing part of a name filters the list at once.
        member.get_by_label("查找姓名").fill("王")
        assert member.get_by_role("link", name="王芳", exact=True).is_visible()
        assert not member.get_by_role("link", name="李明", exact=True).is_visible()
        with member.expect_navigation():
            member.get_by_role("link", name="王芳", exact=True).click()
        assert member.get_by_role("heading", name="确认签到").is_visible()
        digits = member.get_by_label("您登记的手机号后四位")
        digits.fill("1234")
        small = member.evaluate("""() => [...document.querySelectorAll('a, button, input')]
            .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
            .map(e => e.outerHTML.slice(0, 80))""")
        assert not small, small
        _fits(member)
        assert_accessible(member)
        shot(member, "signin-member-confirm")
        # A slip of the thumb before confirming: the page says so and asks again.
        digits.fill("1243")
        with member.expect_navigation():
            member.get_by_role("button", name="确认签到").click()
        assert member.get_by_role("alert").filter(has_text="手机号后四位不正确").is_visible()
        assert member.get_by_role("heading", name="确认签到").is_visible()
        _fits(member)
        assert_accessible(member)
        digits.fill("1234")
        with member.expect_navigation():
            member.get_by_role("button", name="确认签到").click()
        done = member.get_by_role("heading", name=re.compile(r"^已签到 \d\d:\d\d$"))
        assert done.is_visible()
        assert member.locator(".done").get_by_text("王芳", exact=True).is_visible()
        _fits(member)
        assert_accessible(member)
        shot(member, "signin-member-done")
        at = done.inner_text().removeprefix("已签到 ")

        # Back on the list, the name is greyed with its time; the manager's page counts one.
        member.goto(url + path)
        assert member.get_by_text(f"已签到 {at}").is_visible()
        assert member.get_by_role("link", name="王芳", exact=True).count() == 0
        assert_accessible(member)
        phone.close()
        code = page.request.get(f"{url}/bookings/{b.id}/sign-in/code.json").json()
        assert code["count"] == 1 and code["signed"] == [{"name": "王芳", "at": at}]
        # The manager's page, left open, renews its code and its count by itself.
        before = page.locator("#signin-qr").inner_html()
        page.clock.run_for(31_000)
        expect(page.locator("#signin-count")).to_have_text("已签到 1 人（参加人员名单 4 人）")
        expect(page.locator("#signin-names")).to_have_text(f"王芳 {at}")
        assert page.locator("#signin-qr").inner_html() != before
        assert page.locator("#signin-qr svg").count() == 1
        assert_accessible(page)
        # Renewal failing (the network gone): once its link has expired the code is greyed out and says so, so that
        # nobody scans a code that no longer works; the next renewal that succeeds brings it back.
        page.route("**/sign-in/code.json", lambda route: route.abort())
        page.clock.run_for(60_000)
        expect(page.locator("#signin-renew")).to_contain_text("二维码未能更新")
        expect(page.locator("#signin-qr")).not_to_have_class(re.compile("signin-qr-stale"))
        page.clock.run_for(150_000)
        expect(page.locator("#signin-qr")).to_have_class(re.compile("signin-qr-stale"))
        expect(page.locator("#signin-renew")).to_contain_text("二维码已失效")
        shot(page, "signin-qr-expired-390")
        assert_accessible(page)
        page.unroute("**/sign-in/code.json")
        page.clock.run_for(31_000)
        expect(page.locator("#signin-qr")).not_to_have_class(re.compile("signin-qr-stale"))
        expect(page.locator("#signin-renew")).to_have_text("二维码每 30 秒自动更新，截图转发无效。")

        # The branch's secretary holds the code up too, from the booking's page.
        secretary = _new_context(page)
        sec = secretary.new_page()
        login(sec, url, "secretary")
        sec.goto(f"{url}/bookings/{b.id}")
        assert "王芳" in sec.content() and f"本人签到 {at}" in sec.content()
        with sec.expect_navigation():
            sec.get_by_role("link", name="党员签到（出示二维码）").click()
        assert urlsplit(sec.url).path == f"/bookings/{b.id}/sign-in"
        assert _qr_box(sec)["width"] >= 330
        _fits(sec)
        assert_accessible(sec)
        secretary.close()
