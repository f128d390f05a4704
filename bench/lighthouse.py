"""`make lighthouse`: Lighthouse's mobile profile over every role's landing page and the pages used most.

The demo data in a database of its own, served by gunicorn (2 sync workers) on loopback, with the same settings as
`make run`; Lighthouse 12 from the npm registry (bench/lighthouse/package-lock.json) drives Debian's Chromium
(never a downloaded browser) with its default mobile profile: a phone-sized screen, 4× slower CPU, a simulated
slow 4G connection (150 ms, 1.6 Mbit/s), the cache emptied before each page; one warm-up run is thrown away. Each role logs in through the login
form; Lighthouse is given its session cookie.

Prints, per page: performance, accessibility and best-practices scores, first contentful paint, largest
contentful paint, total blocking time and the bytes transferred. It is a benchmark, not a test: it asserts
nothing, and the figures go into the README.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench" / "lighthouse"
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-pass-2026"


def sh(cmd, env=None, **kw):
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, check=True, **kw)


def install() -> None:
    if not LIGHTHOUSE.exists():
        sh(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)], env={"PUPPETEER_SKIP_DOWNLOAD": "1"})


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(url: str, username: str) -> str:
    """Log in through the form (CSRF token included) and return the session cookie as a Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{url}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    body = urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
    landed = opener.open(urllib.request.Request(f"{url}/login", data=body, headers={"Referer": f"{url}/login"}))
    if landed.url.endswith("/login"):
        raise SystemExit(f"login as {username} failed")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def pages(env: dict) -> list[tuple[str, str, str]]:
    """(role, name, path): every role's landing page, the booking, today, statistics and record pages, and the
    members' sign-in: the QR code the manager holds up and the member's page behind it (`sign-in-link:<visit>`,
    a live link made just before it is measured)."""
    probe = subprocess.run([sys.executable, "-c", """
import json
from datetime import timedelta
from sqlalchemy import select
from app import app
from booking import clock
from booking.catalog import services as catalog
from models import Booking, BookingStatus, MenuItem, User, db
with app.app_context():
    sec = db.session.scalar(select(User).filter_by(username="secretary"))
    done = db.session.scalar(select(Booking.id).filter_by(branch_id=sec.branch_id, status=BookingStatus.COMPLETED)
                             .order_by(Booking.starts_at.desc()).limit(1))
    item = db.session.scalar(select(MenuItem).filter_by(active=True).order_by(MenuItem.id).limit(1))
    today = clock.local_today()
    start = next(s.start for d in range(1, 60) for s in catalog.availability(item, today + timedelta(days=d))
                 if s.bookable)
    print(json.dumps({"record": done, "item": item.id, "start": start.isoformat(), "branch": sec.branch_id}))
"""], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    ids = json.loads(probe.stdout.strip().splitlines()[-1])
    visit = today_visit(env)
    return [
        ("secretary", "landing (bases)", "/bases"),
        ("secretary", "activity", f"/menu-items/{ids['item']}"),
        ("secretary", "booking form", f"/bookings/new?item_id={ids['item']}&start={quote(ids['start'])}"),
        ("secretary", "record", f"/bookings/{ids['record']}"),
        ("secretary", "ledger", f"/branches/{ids['branch']}/records"),
        ("secretary", "lecture calendar", "/lectures"),
        ("manager", "landing (today)", "/manage/today"),
        ("manager", "pending", "/manage/pending"),
        ("lecturer", "landing (schedule)", "/schedule"),
        ("admin", "landing (admin)", "/admin/"),
        ("admin", "statistics", "/stats/"),
        ("admin", "district report", "/reports/"),
        ("manager", "sign-in QR code", f"/bookings/{visit}/sign-in"),
        ("anonymous", "member sign-in", f"sign-in-link:{visit}"),
        ("anonymous", "login", "/login"),
    ]


TODAY_VISIT = """
import json, sys
from datetime import timedelta
from sqlalchemy import select, update
from app import app
from booking import clock
from booking.members import signin
from models import Booking, BookingStatus, User, db
with app.app_context():
    manager = db.session.scalar(select(User).filter_by(username="manager"))
    if sys.argv[1:]:  # a new link for the visit, as the QR page makes one every 30 seconds
        print(signin.make_link(manager, db.session.get(Booking, int(sys.argv[1]))).url)
        raise SystemExit
    # The demo has no visit checked in today (its visits are past or to come): the latest completed visit at the
    # demo manager's bases, with its roster and the members who signed in themselves, is moved to today in this
    # throwaway database, where the manager shows its code and members open it.
    b = db.session.scalar(select(Booking).where(
        Booking.status == BookingStatus.COMPLETED, Booking.base_id.in_([base.id for base in manager.bases]),
        Booking.roster.any()).order_by(Booking.starts_at.desc()).limit(1))
    shift = clock.local_today() - b.day
    db.session.execute(update(Booking).where(Booking.id == b.id).values(
        day=b.day + shift, starts_at=b.starts_at + shift, ends_at=b.ends_at + shift,
        checked_in_at=b.starts_at + shift - timedelta(minutes=10)))
    db.session.commit()
    print(json.dumps({"visit": b.id}))
"""


def today_visit(env: dict) -> int:
    """A visit of today, checked in, whose members can sign in themselves (see TODAY_VISIT)."""
    out = subprocess.run([sys.executable, "-c", TODAY_VISIT], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["visit"]


def sign_in_link(env: dict, visit: int) -> str:
    """A live link (it lasts SIGN_IN_LINK_SECONDS: made just before the page is measured)."""
    out = subprocess.run([sys.executable, "-c", TODAY_VISIT, str(visit)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def lighthouse(url: str, cookie: str | None, out: Path) -> dict:
    headers = out.with_suffix(".headers.json")
    headers.write_text(json.dumps({"Cookie": cookie} if cookie else {}))
    flags = "--headless=new --no-sandbox --disable-background-networking --disable-gpu --no-first-run"
    sh([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}", f"--chrome-path={CHROMIUM}",
        f"--chrome-flags={flags}", f"--extra-headers={headers}",
        "--only-categories=performance,accessibility,best-practices"], env={"CHROME_PATH": CHROMIUM})
    report = json.loads(out.read_text())
    audits, cats = report["audits"], report["categories"]
    return {
        "performance": round(cats["performance"]["score"] * 100),
        "accessibility": round(cats["accessibility"]["score"] * 100),
        "best-practices": round(cats["best-practices"]["score"] * 100),
        "fcp": audits["first-contentful-paint"]["numericValue"] / 1000,
        "lcp": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "tbt": audits["total-blocking-time"]["numericValue"],
        "kib": audits["total-byte-weight"]["numericValue"] / 1024,
    }


@contextmanager
def demo_server():
    """The demo (as `make run` loads it) in a database of its own, served by gunicorn (2 sync workers) on a free
    loopback port; yields (url, environment)."""
    work = Path(tempfile.mkdtemp(prefix="demo-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"INSTANCE_PATH": str(work), "DATABASE_URL": f"sqlite:///{work}/demo.db", "PUBLIC_URL": url,
           "SECRET_KEY": "demo-bench"}
    sh([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], env, capture_output=True)
    sh([sys.executable, "-m", "flask", "--app", "app", "seed-demo"], env, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "app:app"], cwd=ROOT, env={**os.environ, **env})
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield url, {**os.environ, **env}, work
    finally:
        server.terminate()
        server.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="pages whose name contains this")
    args = parser.parse_args()
    install()
    with demo_server() as (url, env, work):
        # One run thrown away first: the machine's font cache (fontconfig, CJK fonts) and the server's compiled
        # templates are cold after start, which a phone visiting a running server never sees.
        lighthouse(url + "/login", None, work / "warm-up.json")
        cookies = {}
        rows = []
        for role, name, path in pages(env):
            if args.only and args.only not in name:
                continue
            if role != "anonymous" and role not in cookies:
                cookies[role] = session_cookie(url, role)
            if path.startswith("sign-in-link:"):  # the member's page behind the QR code, made just before
                address = sign_in_link(env, int(path.split(":")[1]))
            else:
                address = url + path
            figures = lighthouse(address, cookies.get(role), work / f"{role}-{len(rows)}.json")
            rows.append((role, name, figures))
            print(f"  {role:9} {name:20} perf {figures['performance']:3}  fcp {figures['fcp']:.2f} s", flush=True)
    print()
    print("Lighthouse 12.2.3, mobile profile (simulated slow 4G, 4x CPU slowdown), Debian Chromium, gunicorn 2 workers,")
    print("demo data on SQLite, cache emptied before each page.")
    print()
    print("| role | page | performance | accessibility | best practices | FCP | LCP | TBT | transferred |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for role, name, f in rows:
        print(f"| {role} | {name} | {f['performance']} | {f['accessibility']} | {f['best-practices']} | "
              f"{f['fcp']:.1f} s | {f['lcp']:.1f} s | {f['tbt']:.0f} ms | {f['kib']:.0f} KiB |")


if __name__ == "__main__":
    main()
