"""Browser journey at 390 px of a branch's organisational life: the secretary imports the members, books a 党课,
picks the roster; the manager checks the group in and records the count; the secretary marks who came, downloads
the record as PDF and sees the members' study hours."""
from datetime import time, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from booking import clock
from models import Booking, db
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot

MEMBERS = "姓名,身份,党员类别,手机号\n王芳,书记,正式党员,13800000000\n李明,委员,正式党员,\n张华,党员,正式党员,\n赵磊,党员,预备党员,\n"


def test_members_roster_attendance_record_and_study_hours(world, monkeypatch, tmp_path):
    world.config.update(WTF_CSRF_ENABLED=True, SESSION_MAX_HOURS=24 * 30)  # the clock moves two days on below
    visit_day = clock.local_today() + timedelta(days=3)
    moment = [clock.at_local(visit_day - timedelta(days=2), time(10, 0))]
    monkeypatch.setattr(clock, "now", lambda: moment[0])  # the server runs in this process: its clock too
    upload = tmp_path / "党员名册.csv"
    upload.write_bytes(MEMBERS.encode("gb18030"))  # as Excel saves a CSV on a Chinese Windows
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(url + "/bases")
        page.get_by_role("button", name="展开菜单").click()
        page.get_by_role("link", name="党员与台账").click()
        page.wait_for_load_state()
        page.get_by_label("CSV 或 Excel 文件").set_input_files(str(upload))
        with page.expect_navigation():
            page.get_by_role("button", name="导入").click()
        assert page.get_by_text("新增党员 4 人").is_visible()
        assert page.get_by_role("link", name="赵磊").is_visible()
        assert_accessible(page)
        shot(page, "60-members")

        # Book a 党课 for the visit day.
        page.goto(f"{url}/menu-items/3?date={visit_day.isoformat()}")
        page.get_by_role("link", name="预约此场").first.click()
        page.wait_for_load_state()
        page.get_by_label("参加人数").fill("20")
        page.get_by_label("联系电话").fill("13800000000")
        page.get_by_label("活动类型").select_option(label="党课")
        page.get_by_label("活动主题").fill("学习红色家书")
        with page.expect_navigation():
            page.get_by_role("button", name="提交预约").click()
        booking_url = page.url
        assert page.get_by_text("党课").first.is_visible()

        # The roster: everyone but 赵磊.
        page.get_by_role("button", name="全选（显示的）").click()
        page.get_by_label("赵磊").uncheck()
        assert page.get_by_text("已选 3 人").is_visible()
        assert_accessible(page)
        shot(page, "61-roster")
        with page.expect_navigation():
            page.get_by_role("button", name="保存参加人员").click()
        assert page.get_by_text("参加人员已确定：3 人").is_visible()

        # The manager approves; on the day the group arrives early and is counted.
        relogin(page, url, "manager")
        page.goto(booking_url)
        with page.expect_navigation():
            page.get_by_role("button", name="通过").click()
        moment[0] = clock.at_local(visit_day, time(8, 40))
        page.goto(booking_url)
        assert page.get_by_text("参加人员（3 人）").is_visible()
        with page.expect_navigation():
            page.get_by_role("button", name="确认该支部已到达").click()
        page.get_by_role("spinbutton", name="实到人数").fill("19")
        with page.expect_navigation():
            page.get_by_role("button", name="登记并完成").click()

        # The secretary marks who came: 张华 was ill.
        relogin(page, url, "secretary")
        page.goto(booking_url)
        page.get_by_role("group", name="张华").get_by_label("缺席", exact=True).check()
        page.get_by_label("张华的缺席原因").select_option(label="病假")
        assert_accessible(page)
        shot(page, "62-attendance")
        with page.expect_navigation():
            page.get_by_role("button", name="保存出席情况").click()
        assert page.get_by_text("出席 2 人，缺席 1 人").is_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="下载组织生活纪实（PDF）").click()
        assert download.value.suggested_filename.endswith(".pdf")
        with open(download.value.path(), "rb") as f:
            text = "".join(p.extract_text() for p in PdfReader(f).pages).replace("\x00", "")
        text = "".join(text.split())
        assert "党课组织生活纪实" in text and "张华（病假）" in text and "王芳" in text and "学习红色家书" in text

        # The year's study hours: a 60-minute lecture earns 1 hour.
        branch_id = db.session.scalar(select(Booking.branch_id).where(Booking.topic == "学习红色家书"))
        page.goto(f"{url}/branches/{branch_id}/study-hours?year={visit_day.year}")
        line = lambda name: page.get_by_role("listitem").filter(has_text=name)  # noqa: E731
        assert "1.0 / 56 学时" in line("王芳").inner_text() and "1.0 / 56 学时" in line("李明").inner_text()
        assert "0.0 / 32 学时" in line("张华").inner_text()  # absent: nothing earned
        assert_accessible(page)
        shot(page, "63-study-hours")


def test_select_all_stops_at_the_headcount(world):
    """Reproduced: "全选" ticked every member shown, more than the headcount, and saving was then refused."""
    from booking.members import services as members
    from tests.factories import booking, item, slot_start, user
    world.config["WTF_CSRF_ENABLED"] = True
    for name in ("王芳", "李明", "张华", "赵磊", "钱进", "孙丽", "周洁"):
        members.add_member(user("secretary"), user("secretary").branch, name=name)
    b = booking(menu_item=item("参观展馆：初心之路"), start=slot_start(4), headcount=5)
    db.session.commit()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/bookings/{b.id}")
        page.get_by_role("button", name="全选（显示的）").click()
        assert page.locator("#roster-list input:checked").count() == 5
        assert page.get_by_text("已选 5 人，最多 5 人").is_visible()
        with page.expect_navigation():
            page.get_by_role("button", name="保存参加人员").click()
        assert page.get_by_text("参加人员已确定：5 人").is_visible()
