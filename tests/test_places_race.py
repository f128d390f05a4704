"""Places that cannot drift: partner invitations, answers, withdrawals, headcount changes, cancellations and waitlist
joins against the same slots at the same moment, under four gunicorn workers, round after round. After each wave
every booking's total is its host's headcount plus its holding partners', the free places are the capacity less
what the live bookings hold, nothing answered 500, and the integrity checker finds nothing."""
import os
from collections import Counter
from datetime import time, timedelta

from sqlalchemy import select

from booking import clock
from booking.reservations import integrity
from models import Booking, Branch, Organization, User, db
from tests.factories import item
from tests.server import call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"
ROUNDS = int(os.environ.get("PLACES_RACE_ROUNDS", "50"))
HOLDING = {"invited", "accepted"}
# What a request may answer in the race: done, or refused with a conflict or a clear validation message.
ANSWERS = {200, 201, 404, 409, 422}


def _people():
    org = Organization(name="名额并发测试党委", sector="other")
    db.session.add(org)
    branches = [Branch(organization=org, name=f"名额并发第{i}支部") for i in range(16)]
    db.session.add_all(branches)
    db.session.flush()
    for i, branch in enumerate(branches[:12]):
        u = User(username=f"psec{i}", display_name=f"名额书记{i}", role="secretary", branch_id=branch.id)
        u.set_password(PASSWORD)
        db.session.add(u)
    db.session.commit()
    return [b.id for b in branches]


def _check(url, token, item_id, start, booking_ids, capacity, wave) -> None:
    """Totals and free places exact, as the API shows them, and the checker content."""
    held = 0
    seen = set(booking_ids)
    status, listing = call(url, "GET", f"/api/v1/bookings?from={clock.local(start).date()}&to={clock.local(start).date()}"
                           "&per_page=100", token=token)
    assert status == 200, listing
    seen |= {b["id"] for b in listing["items"] if b["start"] == clock.iso(start)}
    for booking_id in sorted(seen):
        status, b = call(url, "GET", f"/api/v1/bookings/{booking_id}", token=token)
        assert status == 200, b
        partners = sum(p["headcount"] for p in b["partners"] if p["status"] in HOLDING)
        assert b["total_headcount"] == b["headcount"] + partners, (wave, b)
        if b["status"] in ("pending", "approved"):
            held += b["total_headcount"]
    day = clock.local(start).date().isoformat()
    status, availability = call(url, "GET", f"/api/v1/menu-items/{item_id}/availability?date={day}", token=token)
    remaining = next(s["remaining"] for s in availability["slots"] if s["start"] == clock.iso(start))
    assert remaining == capacity - held, (wave, remaining, capacity, held)
    assert integrity.check() == [], wave
    db.session.remove()


def _outcome(results, wave) -> Counter:
    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert {status for status, _ in outcome} <= ANSWERS, (wave, outcome, results)
    return outcome


def test_places_hold_under_simultaneous_partner_waitlist_and_headcount_moves(world):
    target = item()  # slot capacity 80, 10–60 a group
    branch_ids = _people()
    hosts_branches = branch_ids[12:16]
    item_id, capacity = target.id, 80
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    base = {"menu_item_id": item_id, "contact_name": "李明", "contact_phone": "13900000000"}

    with gunicorn(uri, workers=4) as url:
        names = ["manager"] + [f"psec{i}" for i in range(12)]
        tokens = {n: call(url, "POST", "/api/v1/auth/token", {"username": n, "password": PASSWORD})[1]["token"]
                  for n in names}
        manager = tokens["manager"]
        totals = Counter()
        for r in range(ROUNDS):
            start = clock.at_local(clock.local_today() + timedelta(days=3 + r // 2), time(9 if r % 2 == 0 else 14))
            when = clock.iso(start)

            def book(branch, n):
                status, body = call(url, "POST", "/api/v1/bookings",
                                    {**base, "start": when, "headcount": n, "branch_id": branch}, manager)
                assert status == 201, body
                return body["id"]

            filler, host_a, host_b = book(hosts_branches[0], 40), book(hosts_branches[1], 10), book(hosts_branches[2], 10)
            for host, partner, n in ((host_a, branch_ids[0], 3), (host_b, branch_ids[1], 2)):
                status, body = call(url, "POST", f"/api/v1/bookings/{host}/partners",
                                    {"branch_id": partner, "headcount": n}, manager)
                assert status == 201, body
            ids = [filler, host_a, host_b]
            _check(url, manager, item_id, start, ids, capacity, (r, "set up"))

            # Wave 1: six invitations (19 places for the 15 left), an acceptance, a decline, a larger headcount,
            # two waitlist joins.
            wave = [(url, "POST", f"/api/v1/bookings/{(host_a, host_b)[i % 2]}/partners",
                     {"branch_id": branch_ids[2 + i], "headcount": n}, manager)
                    for i, n in enumerate((3, 2, 4, 5, 3, 2))]
            wave += [(url, "POST", f"/api/v1/bookings/{host_a}/partners/{branch_ids[0]}/accept", None, tokens["psec0"]),
                     (url, "POST", f"/api/v1/bookings/{host_b}/partners/{branch_ids[1]}/decline",
                      {"reason": "临时有会"}, tokens["psec1"]),
                     (url, "PATCH", f"/api/v1/bookings/{host_b}", {"headcount": 12}, manager)]
            wave += [(url, "POST", "/api/v1/waitlist", {**base, "start": when, "headcount": 10}, tokens[f"psec{i}"])
                     for i in (8, 9)]
            results = simultaneously(wave)
            totals.update(_outcome(results, (r, 1)))
            invited = [(wave[i][2], branch_ids[2 + i]) for i in range(6) if results[i][0] == 201]
            _check(url, manager, item_id, start, ids, capacity, (r, 1))

            # Wave 2: withdrawals, the accepted partner stepping out, the host cancelling, a smaller headcount,
            # another invitation and another waitlist join.
            wave = [(url, "DELETE", f"{path}/{branch}", {"reason": "人数调整"}, manager) for path, branch in invited[:3]]
            wave += [(url, "POST", f"/api/v1/bookings/{host_a}/partners/{branch_ids[0]}/decline", None, tokens["psec0"]),
                     (url, "POST", f"/api/v1/bookings/{host_a}/cancel", {"reason": "改期"}, manager),
                     (url, "PATCH", f"/api/v1/bookings/{filler}", {"headcount": 35}, manager),
                     (url, "POST", f"/api/v1/bookings/{host_b}/partners", {"branch_id": branch_ids[10], "headcount": 3},
                      manager),
                     (url, "POST", "/api/v1/waitlist", {**base, "start": when, "headcount": 10}, tokens["psec11"])]
            totals.update(_outcome(simultaneously(wave), (r, 2)))
            _check(url, manager, item_id, start, ids, capacity, (r, 2))
    # The race was a race: invitations won and lost, waiting branches were promoted.
    assert totals[(201, None)] and totals[(409, "slot_full")], totals
    db.session.remove()
    promoted = db.session.scalar(select(Booking.id).join(Branch).where(Branch.id.in_(branch_ids[8:12])).limit(1))
    assert promoted is not None, totals
