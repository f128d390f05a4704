"""Every API error is the contract's JSON, never an HTML page or a stack trace."""


def _is_error(r, status, code):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:200])
    assert r.content_type.startswith("application/json")
    body = r.get_json()
    assert body["error"]["code"] == code and body["error"]["message"]
    return body


def test_unknown_api_path_is_json_404(world, api):
    _is_error(api.get("/api/v1/no-such-thing"), 404, "not_found")
    _is_error(api.get("/api/v1/no-such-thing", as_="admin"), 404, "not_found")


def test_wrong_method_is_json_405(world, api):
    r = api.put("/api/v1/bases", as_="admin")
    _is_error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_malformed_json_is_400(world, api):
    r = api.client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    _is_error(r, 400, "bad_request")


def test_wrong_content_type_is_400(world, api):
    r = api.client.post("/api/v1/auth/token", data="username=admin", content_type="application/x-www-form-urlencoded")
    _is_error(r, 400, "bad_request")


def test_json_that_is_not_an_object_is_400(world, api):
    _is_error(api.client.post("/api/v1/auth/token", json=["admin"]), 400, "bad_request")


def test_oversized_body_is_413(world, api):
    r = api.client.post("/api/v1/auth/token", data="{" + " " * 70000 + "}", content_type="application/json")
    _is_error(r, 413, "payload_too_large")


def test_validation_error_names_fields(world, api):
    body = _is_error(api.client.post("/api/v1/auth/token", json={"username": 5}), 422, "validation_error")
    assert set(body["error"]["fields"]) == {"username", "password"}


def test_nul_characters_are_refused(world, api):
    body = _is_error(api.client.post("/api/v1/auth/token", json={"username": "a\x00b", "password": "x"}),
                     422, "validation_error")
    assert "username" in body["error"]["fields"]
    r = api.get("/api/v1/bases?q=a%00b", as_="admin")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


def test_page_errors_are_chinese_html(world, client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)
    from tests.conftest import login
    login(client, "secretary")
    r = client.get("/admin/users")
    assert r.status_code == 403 and "无权访问" in r.get_data(as_text=True)


def test_unexpected_error_is_json_500_without_trace(world, api, monkeypatch):
    from booking.catalog import services

    def boom(*a, **k):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(services, "base_detail_rows", boom)
    world.config["PROPAGATE_EXCEPTIONS"] = False
    r = api.get("/api/v1/bases/1", as_="admin")
    body = _is_error(r, 500, "internal_error")
    assert "secret internals" not in r.get_data(as_text=True) and "Traceback" not in str(body)


def test_healthz(world, client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_chinese_round_trips(world, api):
    r = api.get("/api/v1/bases?q=纪念馆", as_="admin")
    assert "红星革命纪念馆" in r.get_data(as_text=True)  # not \\u escaped
    assert r.get_json()["items"][0]["name"] == "红星革命纪念馆"
