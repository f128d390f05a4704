"""Browser journey at 390 px of an open lecture (讲习活动): the base's manager publishes one through the form and finds
it on the lecture calendar (讲习日历); the invited lecturer accepts it on their schedule; a branch secretary finds it
on the landing page and the calendar, taps 预约座位 and books seats with the ordinary booking form, the booking
carrying the lecture's lecturer; a second branch books too; the manager sees both branches on the lecture's page and
cancels it with a reason, and both bookings are cancelled. Every page visited passes axe and fits the phone; the
calendar is also seen at 1280 px.

The screenshots go to tests/artifacts (or SCREENSHOT_DIR): the README's are taken with
`SCREENSHOT_DIR=docs/screenshots .venv/bin/python -m pytest -q tests/test_browser_lectures.py`."""
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from booking import clock
from booking.lectures import services as lectures
from models import Booking, Lecture, Lecturer, db
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot
from tests.factories import booking, item, slot_start, user

DESK = {"width": 1280, "height": 900}
ITEM = "专题党课：红色家书里的初心"  # the first base's (manager's) lecture, 10–60 a group, 60 seats a slot
TOPIC = "学习贯彻党的二十届四中全会精神专题党课"


def _lecturer_id(name: str) -> int:
    return db.session.scalar(select(Lecturer.id).where(Lecturer.name == name))


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], page.url


def _small_tap_targets(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll(
            'main a.btn, main button, main .form-control, main .form-select')].filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
            .map(e => e.outerHTML.slice(0, 80))""")


def _check(page) -> None:
    """What every page of the journey must do on a phone: fit, big enough buttons, nothing serious for axe."""
    _fits(page)
    assert not _small_tap_targets(page), (page.url, _small_tap_targets(page))
    assert_accessible(page)


def _other_lectures() -> None:
    """Two lectures at other bases, published beforehand, so the calendar is not a list of one: one with a long title,
    one whose hall a single branch has filled."""
    lectures.publish(user("manager2"), menu_item_id=item("先进模范面对面宣讲").id, start=slot_start(9, 14),
                     lecturer_id=_lecturer_id("李秀英"), topic="弘扬劳模精神 争做新时代奋斗者——全国道德模范李秀英同志扎根社区三十年事迹报告会")
    full = lectures.publish(user("admin"), menu_item_id=item("科学知识讲座").id, start=slot_start(12, 9),
                            lecturer_id=_lecturer_id("刘洋"))
    booking(secretary="secretary2", menu_item=item("科学知识讲座"), start=full.starts_at, headcount=120)


def test_a_lecture_is_published_booked_by_two_branches_and_cancelled(world):
    world.config.update(WTF_CSRF_ENABLED=True)
    _other_lectures()
    start = slot_start(4, 14)  # an open afternoon slot of the item, four days ahead
    typed = clock.local(start).strftime("%Y-%m-%dT%H:%M")
    shown = clock.local(start).strftime("%m月%d日 %H:%M")  # as the landing page lists it
    when = clock.local(start).strftime("%m月%d日 周{} %H:%M–").format("一二三四五六日"[clock.local(start).weekday()])
    with live_server(world) as url, phone_browser() as page:
        # (a) The manager: the calendar from the menu, the form, the lecture on the calendar.
        login(page, url, "manager")
        page.get_by_role("button", name="展开菜单").click()
        with page.expect_navigation():
            page.get_by_role("link", name="讲习日历").click()
        assert urlsplit(page.url).path == "/lectures"
        assert page.get_by_role("heading", name="讲习日历").is_visible()
        assert page.get_by_role("link", name="预约座位").count() == 0  # booking seats is the branches' business
        _check(page)
        with page.expect_navigation():
            page.get_by_role("link", name="发布讲习活动").click()
        assert page.get_by_role("heading", name="发布讲习活动").is_visible()
        page.get_by_label("菜单项目（讲习内容）").select_option(label=f"红星革命纪念馆 · {ITEM}")
        # The item's slots listed to choose from (nothing typed), then the lecturers ranked for this item and slot
        # (topic, the month's load; the busy left out); nothing published by asking.
        with page.expect_navigation():
            page.get_by_role("button", name="列出所选项目的场次").click()
        page.get_by_label("场次").select_option(value=typed)
        with page.expect_navigation():
            page.get_by_role("button", name="按所选项目和场次推荐讲师").click()
        assert page.get_by_text("已按主题匹配和本月授课次数排序").is_visible()
        assert page.get_by_label("场次").input_value() == typed
        options = page.get_by_label("讲师").locator("option").all_inner_texts()
        assert options[0].startswith("张建国（"), options  # 思想政治 is his topic, as the item's
        _check(page)
        page.get_by_label("讲师").select_option(value=str(_lecturer_id("张建国")))
        page.get_by_label("讲习主题（选填）").fill(TOPIC)
        _check(page)
        shot(page, "lectures-publish-390")
        with page.expect_navigation():
            page.get_by_role("button", name="发布").click()
        detail = page.url
        assert re.fullmatch(r".*/lectures/\d+", detail), detail
        assert page.get_by_text("讲习活动已发布").is_visible()
        assert page.get_by_role("heading", name=TOPIC).is_visible()
        assert page.get_by_text("张建国（待确认）").is_visible()
        assert page.get_by_text("共 60 座，余 60 座").is_visible()
        assert page.get_by_text("还没有支部预约座位。").is_visible()
        _check(page)
        with page.expect_navigation():
            page.get_by_role("link", name="讲习日历").first.click()
        ours = page.locator(".list-group-item", has_text=TOPIC)
        assert ours.count() == 1 and when in ours.inner_text() and "余 60 座" in ours.inner_text()
        assert "讲师 张建国（待确认）" in ours.inner_text()
        _check(page)

        # (b) The lecturer accepts once, on their schedule.
        relogin(page, url, "lecturer")
        page.goto(url + "/schedule")
        invitation = page.locator("article", has_text=f"讲习活动：{TOPIC}")
        assert invitation.count() == 1
        _check(page)
        with page.expect_navigation():
            invitation.get_by_role("button", name=f"接受：讲习活动 {TOPIC}").click()
        assert page.get_by_text("已接受授课邀请。").is_visible()
        assert page.get_by_text("张建国（已接受）").is_visible()
        _check(page)
        page.goto(url + "/schedule")
        assert page.locator("article", has_text=TOPIC).count() == 0
        upcoming = page.locator("section", has=page.get_by_role("heading", name="即将进行的授课"))
        assert upcoming.get_by_text(f"讲习活动：{TOPIC}").count() == 1
        _check(page)

        # (c) The secretary: the landing page, the calendar, 预约座位 and the ordinary booking form.
        relogin(page, url, "secretary")
        page.goto(url + "/bases")
        coming = page.locator("section", has=page.get_by_role("heading", name="近期讲习活动"))
        assert coming.get_by_role("link", name=f"{shown} {TOPIC}").is_visible()
        _check(page)
        shot(page, "lectures-secretary-landing-390")
        with page.expect_navigation():
            coming.get_by_role("link", name="查看讲习日历").click()
        assert urlsplit(page.url).path == "/lectures"
        ours = page.locator(".list-group-item", has_text=TOPIC)
        assert "讲师 张建国" in ours.inner_text() and "待确认" not in ours.inner_text()
        assert page.get_by_role("link", name="预约座位").count() == 2
        full = page.locator(".list-group-item", has_text="科学知识讲座")
        assert "已满" in full.inner_text() and full.get_by_role("link", name="加入候补").is_visible()
        _check(page)
        shot(page, "lectures-calendar-390")
        with page.expect_navigation():  # the full one: the ordinary form, as a waitlist
            full.get_by_role("link", name="加入候补").click()
        assert page.get_by_role("heading", name="候补：科学知识讲座").is_visible()
        assert page.get_by_role("button", name="加入候补").is_visible()
        _check(page)
        page.go_back()
        with page.expect_navigation():
            ours.get_by_role("link", name="预约座位").click()
        query = parse_qs(urlsplit(page.url).query)
        assert urlsplit(page.url).path == "/bookings/new" and query["item_id"] == [str(item(ITEM).id)]
        assert page.get_by_role("heading", name=f"预约：{ITEM}").is_visible()
        assert page.get_by_text("本场剩余 60 / 60 位").is_visible()
        page.get_by_label("参加人数").fill("18")
        page.get_by_label("联系电话").fill("13800000000")
        page.get_by_label("活动类型").select_option(label="党课")
        _check(page)
        with page.expect_navigation():
            page.get_by_role("button", name="提交预约").click()
        assert re.fullmatch(r".*/bookings/\d+", page.url), page.url
        first_booking = page.url
        assert page.get_by_text("张建国（已接受）").is_visible()  # the lecture's lecturer, no invitation of its own
        _check(page)

        # (d) The second branch books from the lecture's page.
        relogin(page, url, "secretary2")
        page.goto(detail)
        assert page.get_by_text("余 42 座").is_visible()
        _check(page)
        with page.expect_navigation():
            page.get_by_role("link", name="预约座位").click()
        page.get_by_label("参加人数").fill("25")
        page.get_by_label("联系电话").fill("13900000000")
        with page.expect_navigation():
            page.get_by_role("button", name="提交预约").click()
        second_booking = page.url
        assert page.get_by_text("张建国（已接受）").is_visible()
        _check(page)

        # The calendar on a desk, as the second branch's secretary sees it.
        desk = page.context.browser.new_context(viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                                bypass_csp=True)
        big = desk.new_page()
        login(big, url, "secretary2")
        big.goto(url + "/lectures")
        assert "余 17 座" in big.locator(".list-group-item", has_text=TOPIC).inner_text()
        _fits(big)
        assert_accessible(big)
        shot(big, "lectures-calendar-1280")
        desk.close()

        # (e) The manager: both branches, then the cancellation with a reason, confirmed.
        relogin(page, url, "manager")
        page.goto(detail)
        branches = page.locator("section", has=page.get_by_role("heading", name="预约的支部（2）"))
        assert branches.get_by_role("link", name="区财政局第一党支部").is_visible()
        assert branches.get_by_role("link", name="滨江社区党支部").is_visible()
        assert "18 人" in branches.inner_text() and "25 人" in branches.inner_text()
        assert page.get_by_text("共 60 座，余 17 座").is_visible()
        _check(page)
        shot(page, "lectures-detail-manager-390")
        page.get_by_label("取消原因").fill("主讲人临时出差，另行安排")
        asked = []
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        with page.expect_navigation():
            page.get_by_role("button", name="取消讲习活动").click()
        assert asked and "全部预约都会取消" in asked[0]
        assert page.get_by_text("本场讲习活动已取消：主讲人临时出差，另行安排").is_visible()
        assert page.get_by_role("button", name="取消讲习活动").count() == 0
        items = page.locator("section", has=page.get_by_role("heading", name="预约的支部（2）")).get_by_role("listitem")
        assert items.count() == 2 and all("已取消" in t for t in items.all_inner_texts())
        _check(page)
        page.goto(url + "/lectures")
        assert page.locator(".list-group-item", has_text=TOPIC).count() == 0
        _check(page)

        # Each branch sees its booking cancelled, with the reason.
        for who, booking_url in (("secretary", first_booking), ("secretary2", second_booking)):
            relogin(page, url, who)
            page.goto(booking_url)
            assert page.locator(".badge", has_text="已取消").first.is_visible(), who
            assert page.get_by_text("主讲人临时出差，另行安排").first.is_visible(), who
            _check(page)
    assert db.session.scalar(select(Lecture.status).where(Lecture.topic == TOPIC)) == "cancelled"
    statuses = db.session.scalars(select(Booking.status).where(Booking.starts_at == start)).all()
    assert sorted(statuses) == ["cancelled", "cancelled"]
