"""Browser journeys at 390 px: rolling out accounts (a branch import with secretaries' one-time passwords, the
first login that asks for a new password), changing one's password, a reset link by email, and a scanned QR
code opening the check-in."""
import io
import re

from openpyxl import load_workbook

from models import db
from tests.browser import assert_accessible, live_server, login, phone_browser, shot
from tests.factories import booking, slot_start

IMPORT = ("党组织,所属领域,支部名称,联系人,联系电话,书记姓名,书记用户名,书记手机号\n"
          "区卫健委党委,机关,区卫健委机关党支部,孙敏,13900000001,孙敏,sunmin,13900000001\n"
          "区卫健委党委,机关,区疾控中心党支部,,,周洁,zhoujie,\n")


def test_an_import_makes_secretaries_who_choose_their_password_at_first_login(world, tmp_path):
    world.config["WTF_CSRF_ENABLED"] = True
    upload = tmp_path / "支部.csv"
    upload.write_bytes(IMPORT.encode("utf-8-sig"))
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "admin")
        page.goto(url + "/admin/organizations")
        page.get_by_label("CSV 或 Excel 文件").set_input_files(str(upload))
        with page.expect_navigation():
            page.get_by_role("button", name="导入").click()
        assert page.get_by_text("新建书记账号 2 个").is_visible()
        assert page.get_by_text("只能下载一次").is_visible()
        assert_accessible(page)
        shot(page, "50-import-credentials")
        with page.expect_download() as download:
            page.get_by_role("button", name="下载账号表（Excel）").click()
        assert download.value.suggested_filename.startswith("党支部书记账号与初始密码")
        with open(download.value.path(), "rb") as f:
            rows = list(load_workbook(io.BytesIO(f.read())).active.iter_rows(values_only=True))
        password = next(r[4] for r in rows if r[3] == "sunmin")

        page.context.clear_cookies()
        login(page, url, "sunmin", password)
        assert page.url.endswith("/account") and page.get_by_text("初始密码").first.is_visible()
        page.goto(url + "/bookings")  # nothing else until a new password is chosen
        assert page.url.endswith("/account")
        assert_accessible(page)
        shot(page, "51-first-login")
        page.get_by_label("当前密码").fill(password)
        page.get_by_label("新密码", exact=True).fill("lantern-river-2026")
        page.get_by_label("再次输入新密码").fill("lantern-river-2026")
        with page.expect_navigation():
            page.get_by_role("button", name="保存新密码").click()
        assert page.get_by_text("密码已修改").is_visible()
        page.goto(url + "/bookings")
        assert page.get_by_role("heading", name="我的预约").is_visible()


def test_a_forgotten_password_is_reset_through_the_emailed_link(world):
    from booking.jobs.services import run_job
    from tests.mail import smtp_server
    world.config.update(WTF_CSRF_ENABLED=True)
    with smtp_server(world) as received, live_server(world) as url, phone_browser() as page:
        page.goto(url + "/login")
        page.get_by_role("link", name="忘记密码？").click()
        page.get_by_label("用户名或邮箱").fill("secretary@example.org")
        with page.expect_navigation():
            page.get_by_role("button", name="发送重置链接").click()
        assert page.get_by_text("重置密码的链接已发送").is_visible()
        db.session.expire_all()
        assert run_job("send-mail")[0]  # the link is in the email as sent, never in the outbox
        received.wait_for(1)
        body = received[0].get_payload(decode=True).decode()
        link = re.search(r"http://\S+/reset/\S+", body).group(0)
        page.goto(url + link[link.index("/reset/"):])
        page.get_by_label("新密码", exact=True).fill("brand-new-2026")
        page.get_by_label("再次输入新密码").fill("brand-new-2026")
        assert_accessible(page)
        with page.expect_navigation():
            page.get_by_role("button", name="保存新密码").click()
        assert page.get_by_text("请用新密码登录").is_visible()
        login(page, url, "secretary", "brand-new-2026")
        assert page.get_by_role("heading", name="基地").first.is_visible() or page.url.endswith("/bases")


def test_a_scanned_qr_code_opens_the_check_in_for_the_manager(world):
    world.config["WTF_CSRF_ENABLED"] = True
    b = booking(start=slot_start(0, 14))  # today's afternoon visit: check-in is on the day
    db.session.commit()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/bookings/{b.id}")
        scanned = f"{url}/c/{b.code}"  # what the QR code holds (the server's own address)
        page.context.clear_cookies()
        page.goto(scanned)  # anyone else: the code and what it is for
        assert page.get_by_text(b.code).first.is_visible() and not page.get_by_text(b.branch.name).count()
        assert_accessible(page)
        shot(page, "52-scanned-anonymous")
        login(page, url, "manager")
        page.goto(scanned)
        assert page.url.endswith(f"/bookings/{b.id}#checkin-h")
        with page.expect_navigation():
            page.get_by_role("button", name="确认该支部已到达").click()
        assert page.get_by_text("签到成功").is_visible()
        shot(page, "53-scanned-manager")
