"""Capacity holds when dozens of requests for the last places arrive at once at several gunicorn workers."""
from collections import Counter
from datetime import time, timedelta

from sqlalchemy import func, select

from booking import clock
from booking.reservations import records
from models import Booking, Branch, MenuItem, Organization, SlotOccupancy, User, db
from tests.server import assert_integrity, call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"


def test_last_places_are_never_overbooked(world):
    item = db.session.scalar(select(MenuItem).where(MenuItem.title == "重温入党誓词"))  # slot capacity 80
    org = Organization(name="并发测试党委", sector="other")
    db.session.add(org)
    branches = [Branch(organization=org, name=f"并发测试第{i}支部") for i in range(40)]
    db.session.add_all(branches)
    db.session.commit()
    start = clock.at_local(clock.local_today() + timedelta(days=5), time(9))
    # 50 of 80 places are already held: 30 remain, enough for exactly 3 groups of 10.
    records.create_booking(db.session.scalar(select(User).where(User.username == "secretary")),
                            menu_item_id=item.id, start=start, headcount=50, contact_name="王芳",
                            contact_phone="13800000000")
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    branch_ids = [b.id for b in branches]
    item_id = item.id
    db.session.remove()
    db.engine.dispose()

    with gunicorn(uri, workers=4) as url:
        status, body = call(url, "POST", "/api/v1/auth/token", {"username": "manager", "password": PASSWORD})
        assert status == 200, body
        token = body["token"]
        requests = [
            (url, "POST", "/api/v1/bookings",
             {"menu_item_id": item_id, "start": clock.iso(start), "headcount": 10, "contact_name": "联系人",
              "contact_phone": "13900000000", "branch_id": branch_id}, token)
            for branch_id in branch_ids
        ]
        results = simultaneously(requests)

    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert outcome == {(201, None): 3, (409, "slot_full"): 37}, outcome
    occupancy = db.session.scalar(select(SlotOccupancy).where(SlotOccupancy.starts_at == start))
    assert occupancy.held == 80 == occupancy.capacity
    live = db.session.scalar(select(func.sum(Booking.headcount)).where(
        Booking.starts_at == start, Booking.status.in_(("pending", "approved"))))
    assert live == 80
    assert_integrity()


def test_same_branch_racing_itself_gets_one_booking(world):
    item = db.session.scalar(select(MenuItem).where(MenuItem.title == "重温入党誓词"))
    start = clock.at_local(clock.local_today() + timedelta(days=6), time(14))
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    item_id = item.id
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        status, body = call(url, "POST", "/api/v1/auth/token", {"username": "secretary", "password": PASSWORD})
        token = body["token"]
        request = (url, "POST", "/api/v1/bookings",
                   {"menu_item_id": item_id, "start": clock.iso(start), "headcount": 10, "contact_name": "王芳",
                    "contact_phone": "13800000000"}, token)
        results = simultaneously([request] * 12)
    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert outcome == {(201, None): 1, (409, "duplicate_booking"): 11}, outcome
    assert db.session.scalar(select(SlotOccupancy.held).where(SlotOccupancy.starts_at == start)) == 10
    assert_integrity()


def test_lecturer_is_never_in_two_places_when_managers_invite_at_once(world):
    from models import Lecturer
    from booking.reservations.records import create_booking
    lecture1 = db.session.scalar(select(MenuItem).where(MenuItem.title == "专题党课：红色家书里的初心"))   # base 1
    lecture2 = db.session.scalar(select(MenuItem).where(MenuItem.title == "先进模范面对面宣讲"))          # base 2
    org = Organization(name="讲师并发测试党委", sector="other")
    db.session.add(org)
    branches = [Branch(organization=org, name=f"讲师并发第{i}支部") for i in range(11)]
    db.session.add_all(branches)
    db.session.commit()
    day = clock.local_today() + timedelta(days=7)
    start = clock.at_local(day, time(9))
    manager = db.session.scalar(select(User).where(User.username == "manager"))
    manager2 = db.session.scalar(select(User).where(User.username == "manager2"))
    jobs = []
    for i, branch in enumerate(branches):
        item, who, size = (lecture1, manager, 10) if i < 6 else (lecture2, manager2, 20)
        b = create_booking(who, menu_item_id=item.id, start=start, headcount=size, contact_name="联系人",
                           contact_phone="13800000000", branch_id=branch.id)
        jobs.append((b.id, who.username))
    lecturer_id = db.session.scalar(select(Lecturer.id).where(Lecturer.name == "陈静"))
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()

    with gunicorn(uri, workers=4) as url:
        tokens = {name: call(url, "POST", "/api/v1/auth/token", {"username": name, "password": PASSWORD})[1]["token"]
                  for name in ("manager", "manager2")}
        results = simultaneously([
            (url, "PUT", f"/api/v1/bookings/{booking_id}/lecturer", {"lecturer_id": lecturer_id}, tokens[who])
            for booking_id, who in jobs])

    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert outcome == {(200, None): 1, (409, "lecturer_conflict"): 10}, outcome
    holding = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.lecturer_id == lecturer_id, Booking.lecturer_status.in_(("invited", "accepted"))))
    assert holding == 1
    assert_integrity()


def _page_session(url: str, username: str):
    """A logged-in browser-like session on the served app: (opener, csrf token of the login)."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(url + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(url + "/login", data=body, timeout=30).read()
    return opener


def test_the_photo_limit_holds_when_uploads_arrive_at_once(world, tmp_path):
    """Four uploads of three photos each at the same moment: exactly nine photos are kept, never twelve."""
    import re
    import threading
    import urllib.error
    import urllib.request
    import uuid

    from models import BookingPhoto
    from tests.factories import completed, image_bytes
    b = completed()
    booking_id = b.id
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    folder = tmp_path / "uploads"
    with gunicorn(uri, workers=4, settings={"UPLOAD_FOLDER": str(folder)}) as url:
        sessions = []
        for _ in range(4):
            opener = _page_session(url, "secretary")
            page = opener.open(f"{url}/bookings/{booking_id}", timeout=30).read().decode()
            sessions.append((opener, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)))
        barrier = threading.Barrier(4)
        statuses = []

        def upload(opener, csrf):
            boundary = uuid.uuid4().hex
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'.encode(),
                     f'--{boundary}\r\nContent-Disposition: form-data; name="summary"\r\n\r\n纪实\r\n'.encode()]
            for n in range(3):
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p{n}.gif"\r\n'
                             f'Content-Type: image/gif\r\n\r\n'.encode() + image_bytes("GIF") + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            req = urllib.request.Request(f"{url}/bookings/{booking_id}/record", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                  "Referer": f"{url}/bookings/{booking_id}"})
            barrier.wait()
            try:
                with opener.open(req, timeout=60) as r:
                    statuses.append(r.status)
            except urllib.error.HTTPError as err:
                statuses.append(err.code)

        threads = [threading.Thread(target=upload, args=session) for session in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert statuses == [200] * 4, statuses  # each followed its redirect back to the booking's page
    kept = db.session.scalar(select(func.count()).select_from(BookingPhoto).where(BookingPhoto.booking_id == booking_id))
    assert kept == 9, kept
    from models import PhotoBlob
    assert db.session.scalar(select(func.count()).select_from(PhotoBlob)) == 9  # none kept of the refused uploads
    assert not folder.exists() or not list(folder.iterdir())  # and nothing on this server's disk
    assert_integrity()


def test_the_same_roster_saved_twice_at_once_is_saved_once(world):
    """Reproduced by the PostgreSQL benchmark: two identical roster saves at the same moment both found the roster
    empty and both inserted it, and the second answered 500 (unique violation). Eight at once: all 200."""
    from booking.members import services as members
    from tests.factories import booking, slot_start, user
    people = [members.add_member(user("secretary"), user("secretary").branch, name=f"并发党员{i}") for i in range(12)]
    b = booking(start=slot_start(6), headcount=20)
    booking_id, ids = b.id, [p.id for p in people]
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        token = call(url, "POST", "/api/v1/auth/token", {"username": "secretary", "password": PASSWORD})[1]["token"]
        results = []
        for round_ in range(8):  # each round from an empty roster: eight identical saves race to fill it
            assert call(url, "PUT", f"/api/v1/bookings/{booking_id}/roster", {"member_ids": []}, token)[0] == 200
            results += simultaneously(
                [(url, "PUT", f"/api/v1/bookings/{booking_id}/roster", {"member_ids": ids}, token)] * 8)
    assert Counter(status for status, _ in results) == {200: 64}, [r for r in results if r[0] != 200][:2]
    from models import RosterEntry
    assert db.session.scalar(select(func.count()).select_from(RosterEntry).where(RosterEntry.booking_id == booking_id)) == 12
    assert_integrity()
