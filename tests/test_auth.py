"""Accounts: login pages, tokens, /me, throttling, deactivation."""
import hashlib
from datetime import timedelta

from sqlalchemy import select

from booking.auth import services
from models import ApiToken, User, db
from tests.conftest import PASSWORD, login


def test_login_page_has_contract_fields(client):
    app = client.application
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get("/login").get_data(as_text=True)
    for name in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert name in html
    assert 'lang="zh-CN"' in html


def test_login_without_csrf_token_is_refused(world):
    world.config["WTF_CSRF_ENABLED"] = True
    client = world.test_client()
    r = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 400
    assert "_user_id" not in (client.get_cookie("session") or "")


def test_login_with_csrf_token_succeeds(world):
    world.config["WTF_CSRF_ENABLED"] = True
    client = world.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_login_and_logout(world, client):
    r = login(client, "secretary")
    assert r.status_code == 302
    assert client.get("/bases").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 302
    assert client.get("/bases").status_code == 302  # back to the login page


def test_wrong_password_shows_message(world, client):
    r = login(client, "secretary", "wrong-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.get_data(as_text=True)


def test_next_parameter_only_follows_local_paths(world, client):
    r = client.post("/login?next=https://evil.example/x", data={"username": "secretary", "password": PASSWORD})
    assert r.headers["Location"] == "/"
    client.post("/logout")
    r = client.post("/login?next=/bases/1", data={"username": "secretary", "password": PASSWORD})
    assert r.headers["Location"] == "/bases/1"


def test_repeated_failures_are_throttled_on_page_and_api(world, client, api):
    for _ in range(5):
        assert login(client, "secretary", "bad-password").status_code == 401
    r = login(client, "secretary")  # even the right password waits now
    assert r.status_code == 429
    r = api.post("/api/v1/auth/token", json={"username": "secretary", "password": PASSWORD})
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "rate_limited"
    # another user from the same address is not yet blocked
    assert api.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}).status_code == 200


def test_throttle_window_passes(world):
    now = services.clock.now()
    for _ in range(5):
        try:
            services.authenticate("secretary", "bad", "10.0.0.1", now=now)
        except services.Unauthenticated:
            pass
    later = now + timedelta(minutes=16)
    assert services.authenticate("secretary", PASSWORD, "10.0.0.1", now=later).username == "secretary"


def test_token_lifecycle(world, api):
    r = api.post("/api/v1/auth/token", json={"username": "manager", "password": PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"token", "expires_at", "user"}
    assert body["user"] == {"id": body["user"]["id"], "username": "manager", "display_name": body["user"]["display_name"], "role": "manager"}
    assert "+08:00" in body["expires_at"]
    token = body["token"]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    auth = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/me", headers=auth).status_code == 200
    assert api.client.delete("/api/v1/auth/token", headers=auth).status_code == 204
    r = api.client.get("/api/v1/me", headers=auth)
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthenticated"


def test_wrong_credentials_401(world, api):
    r = api.post("/api/v1/auth/token", json={"username": "manager", "password": "nope-nope"})
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthenticated"


def test_expired_token_401(world, api):
    token = api.token("admin")
    row = db.session.scalar(select(ApiToken))
    row.expires_at = services.clock.now() - timedelta(seconds=1)
    db.session.commit()
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_missing_or_garbage_token_401(world, api):
    assert api.get("/api/v1/me").status_code == 401
    for header in ("Bearer", "Bearer nonsense", "Basic abc", "bearer " + "x" * 500):
        r = api.client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, header


def test_me_per_role(world, api):
    sec = api.get("/api/v1/me", as_="secretary").get_json()
    assert sec["role"] == "secretary" and isinstance(sec["branch_id"], int)
    man = api.get("/api/v1/me", as_="manager").get_json()
    assert man["role"] == "manager" and man["base_ids"] == [1]
    lec = api.get("/api/v1/me", as_="lecturer").get_json()
    assert lec["role"] == "lecturer" and isinstance(lec["lecturer_id"], int)
    adm = api.get("/api/v1/me", as_="admin").get_json()
    assert adm["role"] == "admin"


def test_deactivated_user_cannot_log_in_and_loses_token(world, api, client):
    token = api.token("secretary2")
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    user = db.session.scalar(select(User).where(User.username == "secretary2"))
    services.set_active(admin, user, False)
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client, "secretary2").status_code == 401


def test_password_reset_revokes_tokens(world, api):
    token = api.token("manager2")
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    user = db.session.scalar(select(User).where(User.username == "manager2"))
    services.reset_password(admin, user, "a-new-password")
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = api.client.post("/api/v1/auth/token", json={"username": "manager2", "password": "a-new-password"})
    assert r.status_code == 403  # the administrator's password is to be replaced first (test_accounts)
    services.change_own_password(user, "a-new-password", "my-own-password", "my-own-password")
    r = api.client.post("/api/v1/auth/token", json={"username": "manager2", "password": "my-own-password"})
    assert r.status_code == 200


def test_passwords_are_hashed(world):
    user = db.session.scalar(select(User).where(User.username == "admin"))
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)


def test_expired_form_token_is_explained_with_a_way_back(world):
    world.config["WTF_CSRF_ENABLED"] = True
    client = world.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "manager", "password": PASSWORD, "csrf_token": token})
    r = client.post("/manage/bases/1", data={"name": "x"}, headers={"Referer": "http://localhost/manage/bases/1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "页面已过期" in html and 'href="http://localhost/manage/bases/1"' in html
