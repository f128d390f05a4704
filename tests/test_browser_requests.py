"""Browser journeys on a phone: a secretary records the branch's own activity, changes it and records the attendance
of one held; a secretary orders a lecture (点单), the district dispatches it, the lecturer takes it on the schedule
and it is the branch's activity."""
from datetime import time, timedelta

from booking import clock
from booking.reservations import own
from models import db
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot
from tests.factories import user


def test_secretary_records_changes_and_completes_own_activities(world):
    world.config["WTF_CSRF_ENABLED"] = True
    held = clock.at_local(clock.local_today() - timedelta(days=3), time(15))
    past = own.create(user("secretary"), activity_type="group_meeting", start=held, end=held + timedelta(hours=1),
                      address="区财政局 3 楼党员活动室", topic="交流学习党章的体会", headcount=8, contact_name="王芳",
                      contact_phone="13800000000", note="")
    past_id = past.id
    db.session.commit()
    day = (clock.local_today() + timedelta(days=4)).isoformat()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/bookings")
        assert_accessible(page)
        shot(page, "90-own-mine")
        with page.expect_navigation():
            page.get_by_role("link", name="登记本支部活动").first.click()  # the button above the lists
        assert page.get_by_role("heading", name="登记本支部活动").is_visible()
        assert page.get_by_label("活动地点").input_value() == "区财政局 3 楼党员活动室"  # the usual room
        page.get_by_label("活动类型").select_option(label="支委会")
        page.get_by_label("日期").fill(day)
        page.get_by_label("开始").fill("19:00")
        page.get_by_label("结束").fill("18:00")
        page.get_by_label("活动主题").fill("研究第四季度党员发展工作")
        page.get_by_label("应到人数").fill("7")
        assert_accessible(page)
        shot(page, "91-own-form")
        with page.expect_navigation():
            page.get_by_role("button", name="登记活动").click()
        # Told beside the end time; what was typed is kept.
        end = page.get_by_label("结束")
        assert end.get_attribute("aria-invalid") == "true"
        assert page.locator("#end-error").inner_text().startswith("结束时间应晚于开始时间")
        assert page.get_by_label("活动主题").input_value() == "研究第四季度党员发展工作"
        assert page.get_by_label("日期").input_value() == day
        assert page.get_by_label("开始").input_value() == "19:00"
        assert page.get_by_label("应到人数").input_value() == "7"
        assert_accessible(page)
        shot(page, "92-own-form-error")
        end.fill("20:30")
        with page.expect_navigation():
            page.get_by_role("button", name="登记活动").click()
        assert page.get_by_role("heading", name="支委会：研究第四季度党员发展工作").is_visible()
        assert page.get_by_text("19:00–20:30").is_visible()
        assert page.get_by_text("区财政局 3 楼党员活动室").first.is_visible()
        assert page.get_by_text("签到码").count() == 0  # nothing to check in at home
        assert_accessible(page)
        shot(page, "93-own-activity")

        with page.expect_navigation():
            page.get_by_role("link", name="修改时间、地点、人数或主题").click()
        assert page.get_by_role("heading", name="修改本支部活动").is_visible()
        assert page.get_by_label("结束").input_value() == "20:30"
        page.get_by_label("活动地点").fill("区财政局 5 楼会议室")
        assert_accessible(page)
        shot(page, "94-own-edit")
        with page.expect_navigation():
            page.get_by_role("button", name="保存修改").click()
        assert page.get_by_text("已保存修改。").is_visible()
        assert page.get_by_text("区财政局 5 楼会议室").first.is_visible()

        # An activity held three days ago: its secretary records how many came, on its page.
        page.goto(f"{url}/bookings/{past_id}")
        page.get_by_role("spinbutton", name="实到人数").fill("7")
        with page.expect_navigation():
            page.get_by_role("button", name="登记并完成").click()
        assert page.locator(".badge", has_text="已完成").is_visible()
        record = page.locator("section", has=page.get_by_role("heading", name="活动纪实"))
        assert record.get_by_text("7 人").is_visible()
        assert_accessible(page)
        shot(page, "95-own-attended")


def test_secretary_orders_admin_dispatches_lecturer_accepts(world):
    world.config["WTF_CSRF_ENABLED"] = True
    today = clock.local_today()
    first, last = today + timedelta(days=3), today + timedelta(days=12)
    at = f"{(today + timedelta(days=5)).isoformat()}T19:00"
    topic = "学习贯彻党的二十届四中全会精神"
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/requests")
        assert page.get_by_text("还没有点单").is_visible()
        assert_accessible(page)
        with page.expect_navigation():
            page.get_by_role("link", name="我要点单").click()
        assert page.get_by_label("授课地点").input_value().endswith("党员活动室")  # the branch's usual room
        page.get_by_label("点单主题").fill(topic)
        page.get_by_label("最早日期").fill(first.isoformat())
        page.get_by_label("最晚日期").fill(last.isoformat())
        page.get_by_label("授课地点").fill("财政局三楼党员活动室")
        page.get_by_label("参加人数").fill("18")
        assert_accessible(page)
        shot(page, "32-request-new")
        with page.expect_navigation():
            page.get_by_role("button", name="提交点单").click()
        request_url = page.url
        assert page.get_by_text("点单已提交").is_visible()
        assert page.get_by_text("下一步：等待区里安排讲师").is_visible()
        assert_accessible(page)
        shot(page, "33-request-submitted")

        relogin(page, url, "admin")
        page.goto(f"{url}/requests/queue")
        assert_accessible(page)
        shot(page, "34-request-queue")
        with page.expect_navigation():
            page.get_by_role("link", name=topic).click()
        assert page.url == request_url
        page.get_by_label("拟安排的授课时间").fill(at)
        with page.expect_navigation():
            page.get_by_role("button", name="只看该时间有空的讲师").click()
        choices = page.get_by_role("group", name="选择讲师")
        assert choices.get_by_role("radio").first.is_checked()  # the best suggestion, unless another is chosen
        choices.get_by_role("radio", name="张建国").check()
        assert page.get_by_label("授课时间", exact=True).input_value() == at
        assert_accessible(page)
        shot(page, "35-request-dispatch")
        with page.expect_navigation():
            page.get_by_role("button", name="派单并通知讲师").click()
        assert page.get_by_text("已派单，等待讲师接单。").is_visible()
        assert page.locator(".badge", has_text="已派单").is_visible()
        assert_accessible(page)
        shot(page, "36-request-dispatched")
        page.goto(f"{url}/requests/queue")
        assert page.get_by_text("没有待派单的点单").is_visible()
        assert_accessible(page)
        shot(page, "96-request-queue-empty")

        relogin(page, url, "lecturer")
        page.goto(f"{url}/schedule")
        waiting = page.locator("section", has=page.get_by_role("heading", name="待答复的邀请"))
        assert waiting.get_by_text("财政局三楼党员活动室").is_visible()
        assert_accessible(page)
        shot(page, "37-request-schedule")
        with page.expect_navigation():
            waiting.get_by_role("link", name=topic).click()
        assert page.get_by_text("请确认能否按时到场授课").is_visible()
        assert_accessible(page)
        shot(page, "38-request-to-accept")
        with page.expect_navigation():
            page.get_by_role("button", name="接单", exact=True).click()
        assert page.get_by_text("已接单，活动已加入您的日程。").is_visible()
        page.goto(f"{url}/schedule")
        assert page.get_by_text("没有待答复的邀请").is_visible()
        upcoming = page.locator("section", has=page.get_by_role("heading", name="即将进行的授课"))
        assert upcoming.get_by_text(topic).is_visible()
        assert_accessible(page)
        shot(page, "97-request-schedule-accepted")

        relogin(page, url, "secretary")
        page.goto(f"{url}/requests")
        assert page.get_by_text("讲师已接单").first.is_visible()
        assert_accessible(page)
        shot(page, "56-request-mine-list")
        page.goto(request_url)
        assert page.locator(".badge", has_text="讲师已接单").is_visible()
        assert_accessible(page)
        shot(page, "39-request-accepted")
        with page.expect_navigation():
            page.get_by_role("link", name="打开活动").click()
        assert page.get_by_text("张建国（已接受）").is_visible()
        assert page.get_by_text("财政局三楼党员活动室").first.is_visible()
        assert_accessible(page)
        shot(page, "98-request-activity")
        page.goto(f"{url}/bookings")
        coming = page.locator(".list-group").first
        assert coming.get_by_text(f"点单送课：{topic}").is_visible()
        assert coming.get_by_text("讲师 张建国").is_visible()
        assert_accessible(page)
        shot(page, "99-request-in-mine")
