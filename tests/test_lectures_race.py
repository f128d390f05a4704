"""Open lectures under concurrency, four gunicorn workers: managers publishing the same slot at once leave one
lecture; branches booking seats while the lecturer answers all carry the answer, and while the lecture is published
all join it; the integrity checker agrees."""
import os
from collections import Counter
from datetime import time, timedelta

from sqlalchemy import select

from booking import clock
from models import Booking, Branch, Lecturer, Organization, User, db
from tests.factories import item
from tests.server import assert_integrity, call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"
ROUNDS = int(os.environ.get("LECTURE_RACE_ROUNDS", "6"))
LECTURE = "专题党课：红色家书里的初心"  # 10–60 a group, a hall of 60


def _secretaries(n: int) -> list[str]:
    org = Organization(name="讲习并发测试党委", sector="other")
    db.session.add(org)
    names = []
    for i in range(n):
        branch = Branch(organization=org, name=f"讲习并发第{i}支部")
        db.session.add(branch)
        db.session.flush()
        u = User(username=f"lsec{i}", display_name=f"讲习书记{i}", role="secretary", branch_id=branch.id)
        u.set_password(PASSWORD)
        db.session.add(u)
        names.append(u.username)
    db.session.commit()
    return names


def test_one_lecture_a_slot_and_every_seat_booked_carries_the_lecturers_answer(world):
    secretaries = _secretaries(5)
    item_id = item(LECTURE).id
    lecturer_id = db.session.scalar(select(Lecturer.id).where(Lecturer.name == "张建国"))
    other_id = db.session.scalar(select(Lecturer.id).where(Lecturer.name == "李秀英"))
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        tokens = {n: call(url, "POST", "/api/v1/auth/token", {"username": n, "password": PASSWORD})[1]["token"]
                  for n in ["admin", "manager", "lecturer"] + secretaries}
        outcome = Counter()
        for r in range(ROUNDS):
            start = clock.iso(clock.at_local(clock.local_today() + timedelta(days=3 + r), time(14)))
            body = {"menu_item_id": item_id, "start": start, "lecturer_id": lecturer_id, "topic": f"第{r + 1}讲"}
            published = simultaneously([(url, "POST", "/api/v1/lectures", body, tokens[who])
                                        for who in ("admin", "manager", "admin", "manager")])
            codes = Counter((s, b.get("error", {}).get("code")) for s, b in published)
            assert codes[(201, None)] == 1 and codes[(409, "duplicate_lecture")] == 3, codes
            lecture = next(b for s, b in published if s == 201)
            # The lecturer answers while five branches book seats.
            wave = [(url, "POST", f"/api/v1/lectures/{lecture['id']}/lecturer/accept", None, tokens["lecturer"])]
            wave += [(url, "POST", "/api/v1/bookings", {"menu_item_id": item_id, "start": start, "headcount": 10,
                                                        "contact_name": "王芳", "contact_phone": "13800000000"},
                      tokens[who]) for who in secretaries]
            results = simultaneously(wave)
            outcome.update(s for s, _ in results)
            assert results[0][0] == 200, results[0]
            assert all(s == 201 for s, _ in results[1:]), results
            for _, b in results[1:]:
                status, now = call(url, "GET", f"/api/v1/bookings/{b['id']}", None, tokens["admin"])
                assert status == 200 and now["lecturer_id"] == lecturer_id, now
                assert now["lecturer_status"] == "accepted", (r, now)
            # A lecture published while five branches book the same slot: every booking joins it, whichever came
            # first.
            morning = clock.iso(clock.at_local(clock.local_today() + timedelta(days=3 + r), time(9)))
            wave = [(url, "POST", "/api/v1/lectures", {**body, "start": morning, "lecturer_id": other_id},
                     tokens["manager"])]
            wave += [(url, "POST", "/api/v1/bookings", {"menu_item_id": item_id, "start": morning, "headcount": 10,
                                                        "contact_name": "王芳", "contact_phone": "13800000000"},
                      tokens[who]) for who in secretaries]
            results = simultaneously(wave)
            assert results[0][0] == 201 and all(s == 201 for s, _ in results[1:]), results
            for _, b in results[1:]:
                status, now = call(url, "GET", f"/api/v1/bookings/{b['id']}", None, tokens["admin"])
                assert now["lecturer_id"] == other_id and now["lecturer_status"] == "invited", (r, now)
    assert_integrity()
    db.session.remove()
    rows = db.session.execute(select(Booking.lecture_id, Booking.lecturer_status).where(
        Booking.lecture_id.is_not(None))).all()
    assert len(rows) == 10 * ROUNDS and {s for _, s in rows} == {"accepted", "invited"}
