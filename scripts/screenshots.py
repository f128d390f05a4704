"""The README's screenshots of the demo as a new user sees it (docs/screenshots), at phone size unless a page is
meant for a desk or a wall: `.venv/bin/python scripts/screenshots.py`.

The demo is loaded as `make run` loads it, served by gunicorn (bench/lighthouse.py's demo_server), and Debian's
Chromium logs in as each role. The journeys' own screenshots (tests/artifacts) show the states a test made; these
show the demo district.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lighthouse import demo_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def ids(env: dict) -> dict:
    probe = subprocess.run([sys.executable, "-c", """
import json
from sqlalchemy import select
from app import app
from booking.reports import screen
from models import MenuItem, User, db
with app.app_context():
    sec = db.session.scalar(select(User).filter_by(username="secretary"))
    item = db.session.scalar(select(MenuItem.id).filter_by(active=True).order_by(MenuItem.id).limit(1))
    admin = db.session.scalar(select(User).filter_by(username="admin"))
    print(json.dumps({"branch": sec.branch_id, "item": item, "screen": screen.renew(admin)}))
"""], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(probe.stdout.strip().splitlines()[-1])


def main():
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_server() as (url, env, _), sync_playwright() as p:
        found = ids(env)
        shots = {
            "secretary": [("bases", "/bases", PHONE), ("menu-item", f"/menu-items/{found['item']}", PHONE),
                          ("members", f"/branches/{found['branch']}/members", PHONE),
                          ("study-hours", f"/branches/{found['branch']}/study-hours", PHONE),
                          ("ledger", f"/branches/{found['branch']}/records", PHONE),
                          ("notifications", "/notifications", PHONE)],
            "manager": [("today", "/manage/today", PHONE), ("manager-queue", "/manage/pending", PHONE),
                        ("week", "/manage/week", DESK)],
            "lecturer": [("lecturer-schedule", "/schedule", PHONE)],
            "admin": [("stats", "/stats/?group_by=organization", PHONE), ("report", "/reports/", DESK)],
        }
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--lang=zh-CN"])
        for role, pages in shots.items():
            context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")
            page = context.new_page()
            page.goto(f"{url}/login")
            page.get_by_label("用户名").fill(role)
            page.get_by_label("密码").fill("demo-pass-2026")
            with page.expect_navigation():
                page.get_by_role("button", name="登录").click()
            for name, path, size in pages:
                page.set_viewport_size(size)
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=size is not DESK)
                print(f"{name}.png  {role} {path}")
            context.close()
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = context.new_page()
        page.goto(re.sub(r"^https?://[^/]+", url, found["screen"]) if found["screen"].startswith("http")
                  else f"{url}/screen/{found['screen']}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT / "big-screen.png"))
        print("big-screen.png  the big screen at 1920x1080")
        browser.close()
        documents(env)


def documents(env: dict) -> None:
    """The filed documents as they print: 王芳's branch's latest record (with its photos) and its year's ledger,
    the PDFs the app writes and the Word file as LibreOffice lays it out, pages rendered by pdftoppm (needs
    LibreOffice and poppler-utils, which the tests do not)."""
    import shutil
    import tempfile
    work = Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-c", f"""
from sqlalchemy import select
from app import app
from booking.members import documents
from models import Booking, BookingPhoto, User, db
with app.app_context():
    sec = db.session.scalar(select(User).filter_by(username="secretary"))
    b = db.session.scalar(select(Booking).join(BookingPhoto).where(Booking.branch_id == sec.branch_id)
                          .order_by(Booking.starts_at.desc()).limit(1))
    for fmt in ("pdf", "docx"):
        open("{work}/record." + fmt, "wb").write(documents.record_file(b, fmt, sec.branch_id)[0])
    open("{work}/ledger.pdf", "wb").write(documents.ledger(sec.branch, b.day.year, "pdf")[0])
"""], cwd=ROOT, env=env, check=True)
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(work / "lo"),
                    str(work / "record.docx")], check=True, capture_output=True)
    summary = next(n for n in range(1, 9) if subprocess.run(  # the page the year's summary begins on
        ["pdftotext", "-f", str(n), "-l", str(n), str(work / "ledger.pdf"), "-"], capture_output=True,
        text=True).stdout.lstrip().startswith("一、年度组织生活汇总"))
    pages = [("doc-record-pdf", work / "record.pdf", 1), ("doc-record-photos-pdf", work / "record.pdf", 2),
             ("doc-ledger-summary-pdf", work / "ledger.pdf", summary), ("doc-record-word", work / "lo" / "record.pdf", 1),
             ("doc-record-photos-word", work / "lo" / "record.pdf", 2)]
    for name, pdf, number in pages:
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", "-f", str(number), "-l", str(number),
                        str(pdf), str(OUT / name)], check=True)
        print(f"{name}.png  page {number} of {pdf.name}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
