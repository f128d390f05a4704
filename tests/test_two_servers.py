"""Two app servers on one database, as if on two hosts: separate instance folders and ports, the same SECRET_KEY.

A photo uploaded through one is read through the other, a login on one is a login on the other, and the scheduler
started on both does each job's work once.
"""
import io
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from booking import clock
from models import Booking, Notification, db
from tests.factories import booking, completed, slot_start
from tests.server import assert_integrity, ROOT, gunicorn

PASSWORD = "demo-pass-2026"


def _login(url: str):
    """A browser-like session on one server: (opener, the cookie jar)."""
    import http.cookiejar
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(url + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": "secretary", "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(url + "/login", data=body, timeout=30).read()
    return opener, jar


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 20, 30)).save(out, format="JPEG")
    return out.getvalue()


def _upload(opener, url: str, booking_id: int, data: bytes) -> None:
    html = opener.open(f"{url}/bookings/{booking_id}", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode(),
             f'--{boundary}\r\nContent-Disposition: form-data; name="summary"\r\n\r\n两台服务器的纪实\r\n'.encode(),
             f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
             f'Content-Type: image/jpeg\r\n\r\n'.encode() + data + b"\r\n", f"--{boundary}--\r\n".encode()]
    req = urllib.request.Request(f"{url}/bookings/{booking_id}/record", data=b"".join(parts), method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    opener.open(req, timeout=30).read()


def test_two_servers_share_photos_sessions_and_job_claims(world, tmp_path):
    visit = completed()
    now = clock.now()
    due = next(s for s in (slot_start(d, h) for d in (0, 1) for h in (9, 14)) if now < s <= now + timedelta(hours=23))
    soon = booking(start=due, headcount=10)  # less than 24 hours ahead: its reminder is due
    visit_id = visit.id
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    hosts = []
    for name in ("a", "b"):
        folder = tmp_path / f"host-{name}"
        folder.mkdir()
        hosts.append({"INSTANCE_PATH": str(folder), "SECRET_KEY": "two-hosts-same-key"})
    with ExitStack() as stack:
        a, b = (stack.enter_context(gunicorn(uri, workers=2, settings=h)) for h in hosts)
        opener, jar = _login(a)
        photo = _jpeg()
        _upload(opener, a, visit_id, photo)
        # The session made on A works on B: the same cookie, the same login.
        page = opener.open(f"{b}/bookings/{visit_id}", timeout=30).read().decode()
        assert "两台服务器的纪实" in page and "/login" not in opener.open(f"{b}/bookings", timeout=30).geturl()
        src = re.search(r'href="(/bookings/\d+/photos/\d+)"', page).group(1)  # the photo, behind its small copy
        # As kept (re-encoded once at upload, its metadata stripped): the same bytes from either server.
        kept = opener.open(b + src, timeout=30).read()
        assert kept.startswith(b"\xff\xd8") and len(kept) > 100
        assert opener.open(a + src, timeout=30).read() == kept
        # The small copy the page shows, made from it by either server alike.
        assert f'src="{src}?size=small"' in page
        small = opener.open(b + src + "?size=small", timeout=30).read()
        assert small.startswith(b"\xff\xd8") and opener.open(a + src + "?size=small", timeout=30).read() == small
    # Nothing of the photo was written to either host's own folder: it is in the database both read.
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".jpg", ".jpeg")]

    # The scheduler started on both hosts at once: each job runs at start, and the reminder goes out once.
    env = {**os.environ, "DATABASE_URL": uri}
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler"], cwd=ROOT,
                              env={**env, **h}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for h in hosts]
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "reminder")):
                time.sleep(3)  # let both schedulers finish their first round
                break
            db.session.remove()
            time.sleep(0.5)
    finally:
        for p in procs:
            p.terminate()
        outs = [p.communicate(timeout=30)[0].decode(errors="replace") for p in procs]
    db.session.remove()
    reminders = db.session.scalars(select(Notification).where(Notification.kind == "reminder",
                                                              Notification.booking_id == soon.id)).all()
    assert len(reminders) == 1, outs  # the one secretary, told once though two schedulers ran
    assert db.session.get(Booking, soon.id).reminder_sent_at is not None
    assert_integrity()
