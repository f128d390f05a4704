"""The OpenAPI description is produced from the routes, so it covers every one of them."""
from openapi_spec_validator import validate


def test_spec_is_public_and_valid(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_api_route_is_described(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {(p, m.upper()) for p, ops in spec["paths"].items() for m in ops}
    import re
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi_json":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in described, (path, method)


def test_contract_paths_present(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/bases", "/api/v1/bases/{base_id}",
                 "/api/v1/menu-items/{item_id}/availability", "/api/v1/branches"):
        assert path in paths
    assert set(paths["/api/v1/auth/token"]) == {"post", "delete"}
