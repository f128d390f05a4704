"""Static files on a weak phone connection: fingerprinted names, compressed copies, a year in the cache.

Reproduced before: every page view revalidated every file (`Cache-Control: no-cache`, `Vary: Cookie`, plain names),
nothing was compressed (Bootstrap's CSS went out as 232 KB) and the manager's today page weighed 579 KiB.
"""
import re
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from booking import assets
from models import User, db
from tests.browser import live_server, login, phone_browser, relogin
from tests.conftest import PASSWORD
from tests.factories import booking, completed

BUDGET = 150 * 1024  # a page's first load on the wire, its static files included
LINKED = re.compile(r'(?:href|src|data-jsqr)="(/static/[^"]+)"')
YEAR = "max-age=31536000, public, immutable"


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _log_in(url: str, username: str):
    opener = _opener()
    opener.open(urllib.request.Request(f"{url}/login", data=urlencode(
        {"username": username, "password": PASSWORD}).encode())).read()
    return opener


def _pages(app) -> dict[str, list[str]]:
    """Every role's landing page and the pages people use most: booking, today, statistics, the record."""
    record, upcoming = completed(), booking()
    db.session.commit()
    secretary = db.session.scalar(select(User).filter_by(username="secretary"))
    return {
        "secretary": ["/", "/bases", f"/bookings/{upcoming.id}", f"/bookings/{record.id}",
                      f"/branches/{secretary.branch_id}/records"],
        "manager": ["/", "/manage/today", "/manage/pending", f"/bookings/{record.id}"],
        "lecturer": ["/"],
        "admin": ["/", "/stats/", "/reports/"],
    }


def test_every_file_a_page_names_is_fingerprinted_compressed_and_kept_a_year(world):
    pages = _pages(world)
    checked = set()
    with live_server(world) as url:
        for role, paths in pages.items():
            opener = _log_in(url, role)
            for path in paths:
                with opener.open(url + path) as r:
                    assert r.status == 200, (role, path)
                    html = r.read()
                    landed = r.url
                assert not landed.endswith("/login"), (role, path)
                linked = LINKED.findall(html.decode())
                assert linked, (role, path)
                wire = len(html)
                for link in linked:
                    request = urllib.request.Request(url + link, headers={"Accept-Encoding": "br, gzip"})
                    with opener.open(request) as f:
                        body, h = f.read(), f.headers
                    assert assets.FINGERPRINTED.search(link), link
                    assert h["Cache-Control"] == YEAR, (link, h["Cache-Control"])
                    assert h["Vary"] == "Accept-Encoding", (link, h["Vary"])  # not Cookie
                    assert "Set-Cookie" not in h, link
                    if link.endswith((".css", ".js", ".svg")):
                        assert h["Content-Encoding"] == "br", link
                    if 'data-jsqr="' + link not in html.decode():  # the QR scanner loads when 扫码 is tapped
                        wire += len(body)
                    checked.add(link)
                assert wire <= BUDGET, f"{role} {path}: {wire / 1024:.0f} KiB"
            # gzip for a client that has no brotli, and the plain file for one that has neither
            link = sorted(checked)[0]
            with opener.open(urllib.request.Request(url + link, headers={"Accept-Encoding": "gzip"})) as f:
                assert f.headers["Content-Encoding"] == "gzip"
    assert any("bootstrap.min." in link for link in checked)


def test_a_changed_file_gets_a_new_name_and_plain_names_are_not_served(world, client, tmp_path):
    source, target = tmp_path / "static", tmp_path / "built"
    (source / "js").mkdir(parents=True)
    (source / "js" / "a.js").write_text("console.log(1);" * 50)
    first = assets.build(str(source), str(target))["js/a.js"]
    assert re.fullmatch(r"js/a\.[0-9a-f]{12}\.js", first)
    assert {p.name for p in (target / "js").iterdir()} == {first[3:], first[3:] + ".gz", first[3:] + ".br"}
    (source / "js" / "a.js").write_text("console.log(2);" * 50)
    second = assets.build(str(source), str(target))["js/a.js"]
    assert second != first and (target / first).exists()  # a page still open from before the upgrade loads
    assert client.get("/static/js/app.js").status_code == 404
    with pytest.raises(assets.UnknownAsset):
        with world.test_request_context():
            world.jinja_env.globals["asset"]("js/no-such-file.js")


def test_chart_js_only_where_a_chart_is_drawn(world, client):
    from tests.conftest import login as log_in
    log_in(client, "admin")
    assert "chart.umd" in client.get("/stats/?group_by=base").text
    assert "chart.umd" in client.get("/reports/").text
    for path in ("/admin/", "/bookings", "/admin/audit", "/stats/?from=2026-13-01"):
        page = client.get(path)
        assert page.status_code in (200, 422) and "chart.umd" not in page.text, path  # 422: a date in error


def test_a_first_visit_fits_the_budget_and_a_repeat_visit_takes_no_static_file_from_the_network(world):
    """Counted by Chromium itself (DevTools' encodedDataLength): bytes on the wire per request, with the cache
    emptied before the first load."""
    with live_server(world) as url, phone_browser() as page:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        urls, wire, cached = {}, {}, set()
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
        cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))

        def load(path: str) -> tuple[int, int, int]:
            urls.clear(), wire.clear(), cached.clear()
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            static = [r for r, u in urls.items() if "/static/" in u]
            return (sum(wire.get(r, 0) for r in static), sum(wire.values()),
                    sum(1 for r in static if r not in cached and wire.get(r, 0) > 0))

        for role, landing in (("secretary", "/bases"), ("manager", "/manage/today"), ("lecturer", "/schedule"),
                              ("admin", "/admin/")):
            if role == "secretary":
                login(page, url, role)
            else:
                relogin(page, url, role)
            cdp.send("Network.clearBrowserCache")
            first_static, first_total, _ = load(landing)
            assert first_static > 0, role
            again_static, again_total, fetched = load(landing)
            assert again_static == 0 and fetched == 0, (role, again_static, fetched)
            assert first_total <= BUDGET, (role, first_total)
