"""One's own account: changing the password, the forgotten-password link, the first login after a reset,
"记住我", and the login page's help line."""
import re
import time as _time
from datetime import timedelta

from flask import g
from sqlalchemy import select

from booking import clock
from booking.auth import services
from models import AuditEntry, Notification, User, db
from tests.conftest import PASSWORD, login


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _switch(client, username, password=PASSWORD):
    g.pop("_login_user", None)
    return login(client, username, password)


def test_a_user_changes_their_own_password_and_other_sessions_end(world, client):
    other = world.test_client()
    _switch(other, "secretary")
    assert other.get("/bookings").status_code == 200
    _switch(client, "secretary")
    r = client.post("/account", data={"current": "wrong-pass", "new": "new-pass-2026", "confirm": "new-pass-2026"})
    assert r.status_code == 422 and "当前密码不正确" in r.get_data(as_text=True)
    r = client.post("/account", data={"current": PASSWORD, "new": "new-pass-2026", "confirm": "other-pass-2026"})
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.get_data(as_text=True)
    r = client.post("/account", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert r.status_code == 422 and "密码至少 8 位" in r.get_data(as_text=True)
    r = client.post("/account", data={"current": PASSWORD, "new": "new-pass-2026", "confirm": "new-pass-2026"})
    assert r.status_code == 302
    g.pop("_login_user", None)
    assert client.get("/bookings").status_code == 200  # this session goes on
    g.pop("_login_user", None)
    assert other.get("/bookings").status_code == 302  # the other device is logged out
    assert _user("secretary").check_password("new-pass-2026")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password_changed"))


def test_after_an_admins_reset_the_first_login_asks_for_a_new_password(world, client, api):
    services.reset_password(_user("admin"), _user("secretary"), "temp-pass-2026")
    r = _switch(client, "secretary", "temp-pass-2026")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account")
    g.pop("_login_user", None)
    r = client.get("/bookings")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account")  # nothing else until it is done
    g.pop("_login_user", None)
    html = client.get("/account").get_data(as_text=True)
    assert "设置新密码" in html and "初始密码" in html
    r = client.post("/account", data={"current": "temp-pass-2026", "new": "mine-pass-2026", "confirm": "mine-pass-2026"})
    assert r.status_code == 302
    g.pop("_login_user", None)
    assert client.get("/bookings").status_code == 200
    assert not _user("secretary").must_change_password


def test_an_account_the_admin_creates_asks_for_a_new_password_at_first_login(world, client):
    _switch(client, "admin")
    r = client.post("/admin/users/new", data={"username": "zhaoli", "password": "given-pass-2026", "role": "manager",
                                              "display_name": "赵丽", "base_ids": ["1"], "branch_id": "0", "lecturer_id": "0"})
    assert r.status_code == 302
    assert _user("zhaoli").must_change_password
    client.post("/logout")
    r = _switch(client, "zhaoli", "given-pass-2026")
    assert r.headers["Location"].endswith("/account")


def test_forgotten_password_without_mail_says_whom_to_contact(world, client):
    world.config.update(MAIL_HOST="", LOGIN_HELP_TEXT="请致电区委组织部 0571-12345678。")
    html = client.get("/login").get_data(as_text=True)
    assert "忘记密码" in html and "请致电区委组织部 0571-12345678。" in html and 'name="remember"' in html
    html = client.get("/forgot").get_data(as_text=True)
    assert "未开通邮件" in html and "0571-12345678" in html and 'name="identifier"' not in html


def test_forgotten_password_sends_a_one_time_link_by_email(world, client):
    from tests.mail import smtp_server
    with smtp_server(world) as received:
        html = client.post("/forgot", data={"identifier": "secretary"}).get_data(as_text=True)
        assert "重置密码的链接已发送" in html
        # An unknown name gets the same answer and sends nothing.
        assert "重置密码的链接已发送" in client.post("/forgot", data={"identifier": "nobody"}).get_data(as_text=True)
        row = db.session.scalar(select(Notification).where(Notification.kind == "password_reset"))
        assert row.email_to == "secretary@example.org" and row.read_at is not None
        from booking.jobs.services import run_job
        assert run_job("send-mail") == (True, "sent 1, failed 0")
        received.wait_for(1)
    body = received[0].get_payload(decode=True).decode()
    path = re.search(r"http://localhost(/reset/\S+)", body).group(1)
    assert client.get(path).status_code == 200
    r = client.post(path, data={"new": "linked-pass-2026", "confirm": "other-pass-2026"})
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.get_data(as_text=True)
    r = client.post(path, data={"new": "linked-pass-2026", "confirm": "linked-pass-2026"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert _switch(client, "secretary", "linked-pass-2026").status_code == 302
    assert not _user("secretary").check_password(PASSWORD)
    # Used once: the link is dead now.
    g.pop("_login_user", None)
    client.post("/logout")
    r = client.get(path)
    assert r.status_code == 404 and "重置链接无效或已过期" in r.get_data(as_text=True)


def test_a_reset_link_expires_and_a_forged_one_is_refused(world, client, monkeypatch):
    token = services.reset_link_token(_user("secretary"))
    assert client.get(f"/reset/{token}").status_code == 200
    assert client.get(f"/reset/{token[:-2]}xx").status_code == 404
    assert client.get("/reset/not-a-token").status_code == 404
    later = _time.time() + world.config["PASSWORD_RESET_MINUTES"] * 60 + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert client.get(f"/reset/{token}").status_code == 404


def test_remember_me_keeps_a_bounded_revocable_session(world, client):
    r = client.post("/login", data={"username": "secretary", "password": PASSWORD, "remember": "y"})
    cookie = r.headers["Set-Cookie"]
    assert "Expires=" in cookie  # outlives the browser (WeChat's included)
    g.pop("_login_user", None)
    real_now = clock.now
    try:
        clock.now = lambda: real_now() + timedelta(days=world.config["REMEMBER_DAYS"] - 1)
        assert client.get("/bookings").status_code == 200  # past SESSION_MAX_HOURS, still in
        g.pop("_login_user", None)
        clock.now = lambda: real_now() + timedelta(days=world.config["REMEMBER_DAYS"] + 1)
        assert client.get("/bookings").status_code == 302  # bounded
    finally:
        clock.now = real_now
    g.pop("_login_user", None)
    copy = world.test_client()
    r = client.post("/login", data={"username": "secretary", "password": PASSWORD, "remember": "y"})
    copy.set_cookie("session", client.get_cookie("session").value)
    g.pop("_login_user", None)
    assert copy.get("/bookings").status_code == 200
    client.post("/logout")  # revocable: logging out ends the remembered session everywhere
    g.pop("_login_user", None)
    assert copy.get("/bookings").status_code == 302


def test_without_remember_me_the_cookie_ends_with_the_browser(world, client):
    r = client.post("/login", data={"username": "secretary", "password": PASSWORD})
    assert "Expires=" not in r.headers["Set-Cookie"]


def test_no_api_token_before_the_administrators_password_is_replaced(world, api):
    services.reset_password(_user("admin"), _user("secretary"), "temp-pass-2026")
    r = api.client.post("/api/v1/auth/token", json={"username": "secretary", "password": "temp-pass-2026"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "password_change_required"


def test_weak_passwords_are_refused_in_words(world, api):
    """Reproduced: 12345678 was accepted. Common passwords, keyboard walks, repeats, and passwords made of the
    username or the branch's name are refused with a clear message; a good one is taken."""
    from booking.auth import services as auth
    secretary = db.session.scalar(select(User).where(User.username == "secretary"))
    for weak in ("12345678", "qwertyui", "88888888", "1qaz2wsx", "password1"):
        assert "太常见或太有规律" in auth.validate_password(weak, secretary), weak
    assert "用户名" in auth.validate_password("secretary2026", secretary)
    assert "支部的名称" in auth.validate_password("区财政局第一党支部123", secretary)
    assert auth.validate_password("short", secretary) == "密码至少 8 位。"
    assert auth.validate_password("linden-harbour-2026", secretary) is None
    r = api.post("/api/v1/auth/token", json={"username": "admin", "password": "demo-pass-2026"})
    assert r.status_code == 200  # the demo's own password still logs in (it is checked when set, not at login)


def test_forgot_is_throttled_per_account_and_per_address_and_answers_alike(world, client):
    """Reproduced: anyone could send an account hundreds of reset mails, and the answer time told whether the
    account existed. At most three mails an hour for one account; ten requests from one address; the answer is the
    same page, in the same time, whether the account exists or not."""
    from tests.mail import smtp_server
    with smtp_server(world):
        timings = {}
        for name in ("secretary", "no-such-account"):
            started = _time.monotonic()
            for _ in range(6):
                html = client.post("/forgot", data={"identifier": name}).get_data(as_text=True)
                assert "重置密码的链接已发送" in html
            timings[name] = (_time.monotonic() - started) / 6
        mails = db.session.scalars(select(Notification).where(Notification.kind == "password_reset")).all()
        assert len(mails) == 3  # the fourth to sixth requests for the account sent nothing
        assert abs(timings["secretary"] - timings["no-such-account"]) < 0.1, timings
        # From one address, requests for other accounts stop sending too after ten in the hour.
        for name in ("secretary2", "manager", "manager2", "lecturer"):
            client.post("/forgot", data={"identifier": name})
        assert len(db.session.scalars(select(Notification).where(Notification.kind == "password_reset")).all()) == 3
        other = world.test_client()
        other.post("/forgot", data={"identifier": "manager"}, environ_base={"REMOTE_ADDR": "127.0.0.9"})
        assert len(db.session.scalars(select(Notification).where(Notification.kind == "password_reset")).all()) == 4
