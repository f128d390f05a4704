"""The waitlist (候补) of a full slot and fair shares (配额) of a base's bookings."""
from collections import Counter
from datetime import time, timedelta

from sqlalchemy import func, select, update

from booking import clock
from booking.jobs import services as jobs
from booking.reservations import partners, states, waitlist
from models import (Base, Booking, BookingEvent, Branch, Notification, OpeningSlot, Organization, SlotOccupancy,
                    User, WaitlistEntry, db)
from tests.factories import booking, item, slot_start, user
from tests.server import assert_integrity, call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"


def _secretaries(n: int, prefix: str = "w") -> list[User]:
    """n more branches, each with a secretary who can log in."""
    org = Organization(name=f"候补测试党委{prefix}", sector="community")
    db.session.add(org)
    made = []
    for i in range(n):
        branch = Branch(organization=org, name=f"候补测试第{prefix}{i}支部")
        db.session.add(branch)
        db.session.flush()
        u = User(username=f"{prefix}sec{i}", display_name=f"候补书记{i}", role="secretary", branch_id=branch.id)
        u.set_password(PASSWORD)
        made.append(u)
    db.session.add_all(made)
    db.session.commit()
    return made


def _fill(start, sizes=(60, 20)) -> list[Booking]:
    """Fill a slot of 重温入党誓词 (capacity 80) with the given groups, from fresh branches."""
    holders = _secretaries(len(sizes), prefix=f"f{start:%d%H}")
    return [booking(u.username, start=start, headcount=n) for u, n in zip(holders, sizes)]


def _join(api, as_, start, headcount=10, **kw):
    body = {"menu_item_id": item().id, "start": clock.iso(start), "headcount": headcount, "contact_name": "联系人",
            "contact_phone": "13800000000", **kw}
    return api.post("/api/v1/waitlist", as_=as_, json=body)


def _held(start) -> int:
    db.session.expire_all()
    return db.session.scalar(select(SlotOccupancy.held).where(SlotOccupancy.starts_at == start))


def test_joining_a_full_slot_and_its_position(world, api):
    start = slot_start(5)
    r = _join(api, "secretary", start)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_available"
    held = _fill(start, (60, 10))  # 10 places left
    r = _join(api, "secretary", start, headcount=10)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_available"  # 10 fit: book instead
    r = _join(api, "secretary", start, headcount=15)
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()
    assert entry["status"] == "waiting" and entry["position"] == 1 and entry["booking_id"] is None
    assert {"id", "menu_item_id", "start", "headcount", "contact_name", "contact_phone", "topic"} <= set(entry)
    r = _join(api, "secretary2", start, headcount=12)
    assert r.status_code == 201 and r.get_json()["position"] == 2
    # Not twice, not for a slot the branch holds, not by a manager; the booking rules otherwise.
    assert _join(api, "secretary", start, headcount=15).get_json()["error"]["code"] == "duplicate_booking"
    holder = db.session.get(User, held[0].created_by_id).username
    assert _join(api, holder, start, headcount=15).get_json()["error"]["code"] == "duplicate_booking"
    assert _join(api, "manager", start, headcount=15).status_code == 403
    r = _join(api, "secretary", start, headcount=500)
    assert r.status_code == 422 and "headcount" in r.get_json()["error"]["fields"]
    r = _join(api, "secretary", start + timedelta(minutes=7))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_a_slot"
    r = _join(api, "secretary", slot_start(200))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "outside_booking_window"
    # Each sees their own; a manager of the base sees the queue.
    mine = api.get("/api/v1/waitlist", as_="secretary").get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == entry["id"]
    assert api.get("/api/v1/waitlist", as_="manager").get_json()["total"] == 2
    assert api.get(f"/api/v1/waitlist/{entry['id']}", as_="secretary2").status_code == 404
    # Leaving the queue moves the next one up.
    r = api.post(f"/api/v1/waitlist/{entry['id']}/cancel", as_="secretary")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled" and r.get_json()["position"] is None
    assert api.post(f"/api/v1/waitlist/{entry['id']}/cancel", as_="secretary").status_code == 409
    assert api.get("/api/v1/waitlist", as_="secretary2").get_json()["items"][0]["position"] == 1


def test_a_cancellation_promotes_the_first_entry_that_fits(world, api):
    start = slot_start(5)
    held = _fill(start, (60, 20))
    big, small = _secretaries(2, prefix="q")
    first = _join(api, big.username, start, headcount=30).get_json()      # needs 30
    second = _join(api, small.username, start, headcount=20).get_json()   # fits in 20
    third = _join(api, "secretary", start, headcount=10).get_json()
    r = api.post(f"/api/v1/bookings/{held[1].id}/cancel", as_="manager", json={"reason": "改期"})
    assert r.status_code == 200
    # 20 freed: the 30 does not fit, the 20 behind it does (first fit); the 10 stays waiting.
    entries = {e["id"]: e for e in api.get("/api/v1/waitlist", as_="manager").get_json()["items"]}
    assert entries[first["id"]]["status"] == "waiting" and entries[first["id"]]["position"] == 1
    assert entries[second["id"]]["status"] == "promoted" and entries[second["id"]]["booking_id"]
    assert entries[third["id"]]["status"] == "waiting" and entries[third["id"]]["position"] == 2
    assert _held(start) == 80
    promoted = db.session.get(Booking, entries[second["id"]]["booking_id"])
    assert promoted.branch_id == small.branch_id and promoted.headcount == 20 and promoted.source == "online"
    assert promoted.status == (states.PENDING if promoted.base.requires_approval else states.APPROVED)
    actions = [e.action for e in db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == promoted.id))]
    assert actions == ["created", "promoted_from_waitlist"]
    told = db.session.scalar(select(Notification).where(Notification.user_id == small.id,
                                                        Notification.kind == "waitlist_promoted"))
    assert told is not None and told.booking_id == promoted.id and "取消" in told.body
    # The promoted branch no longer needs it: its cancellation frees the 20 again, and the 30 still does not fit.
    r = api.post(f"/api/v1/bookings/{promoted.id}/cancel", as_=small.username, json={})
    assert r.status_code == 200
    entries = {e["id"]: e["status"] for e in api.get("/api/v1/waitlist", as_="manager").get_json()["items"]}
    assert entries[first["id"]] == "waiting" and entries[third["id"]] == "promoted"


def test_every_way_of_freeing_places_promotes(world, api):
    start = slot_start(5)
    # A rejection (the pending request frees its places).
    pending = booking(start=start, headcount=60, approve=False)
    _fill(start, (20,))
    waiting = _join(api, "secretary2", start, headcount=10).get_json()
    assert api.post(f"/api/v1/bookings/{pending.id}/reject", as_="manager", json={"reason": "重复"}).status_code == 200
    assert api.get(f"/api/v1/waitlist/{waiting['id']}", as_="secretary2").get_json()["status"] == "promoted"

    # A smaller headcount.
    second = slot_start(7)
    own, other = _fill(second, (60, 20))
    waiting = _join(api, "secretary2", second, headcount=10).get_json()
    holder = db.session.get(User, own.created_by_id).username
    assert api.patch(f"/api/v1/bookings/{own.id}", as_=holder, json={"headcount": 50}).status_code == 200
    assert api.get(f"/api/v1/waitlist/{waiting['id']}", as_="secretary2").get_json()["status"] == "promoted"

    # A declined partner.
    third = slot_start(8)
    host, _ = _fill(third, (40, 20))
    partners.invite(user("manager"), host, user("secretary").branch_id, 20)
    waiting = _join(api, "secretary2", third, headcount=15).get_json()
    assert api.post(f"/api/v1/bookings/{host.id}/partners/{user('secretary').branch_id}/decline", as_="secretary",
                    json={"reason": "时间冲突"}).status_code == 200
    assert api.get(f"/api/v1/waitlist/{waiting['id']}", as_="secretary2").get_json()["status"] == "promoted"
    assert _held(third) == 75

    # A larger capacity of the weekly slot.
    fourth = slot_start(9)
    _fill(fourth, (60, 20))
    waiting = _join(api, "secretary2", fourth, headcount=10).get_json()
    local = clock.local(fourth)
    weekly = db.session.scalar(select(OpeningSlot).where(OpeningSlot.venue_id == item().venue_id,
                                                         OpeningSlot.weekday == local.weekday(),
                                                         OpeningSlot.start_time == local.time()))
    login_client = world.test_client()
    from tests.conftest import login
    login(login_client, "manager")
    r = login_client.post(f"/manage/slots/{weekly.id}/capacity", data={"capacity": 90})
    assert r.status_code in (200, 302), r.status_code
    assert api.get(f"/api/v1/waitlist/{waiting['id']}", as_="secretary2").get_json()["status"] == "promoted"
    assert _held(fourth) == 90


def test_entries_expire_when_the_slot_starts(world, api):
    start = slot_start(1)
    _fill(start, (60, 20))
    waiting = _join(api, "secretary", start).get_json()
    assert jobs.expire_pending(now=start + timedelta(minutes=1)) == "expired 0, 1 waitlist entries expired"
    assert api.get(f"/api/v1/waitlist/{waiting['id']}", as_="secretary").get_json()["status"] == "expired"
    db.session.execute(update(WaitlistEntry).values(status="waiting"))
    db.session.commit()
    # Even before the job has run, an entry whose slot has begun reads as expired and cannot be promoted.
    assert waitlist.promote(item().venue_id, start, now=start + timedelta(minutes=1)) == []


def test_shares_refuse_online_bookings_beyond_them(world, api):
    base_id = item().base_id
    r = api.patch(f"/api/v1/bases/{base_id}", as_="manager",
                  json={"rules": {"max_live_per_branch": 2, "max_per_branch_per_month": None}})
    assert r.status_code == 200 and r.get_json()["rules"]["max_live_per_branch"] == 2
    assert api.patch(f"/api/v1/bases/{base_id}", as_="manager", json={"rules": {"max_live_per_branch": 0}}).status_code == 422
    body = {"menu_item_id": item().id, "headcount": 10, "contact_name": "联系人", "contact_phone": "13800000000"}
    for days in (3, 4):
        assert api.post("/api/v1/bookings", as_="secretary", json={**body, "start": clock.iso(slot_start(days))}).status_code == 201
    r = api.post("/api/v1/bookings", as_="secretary", json={**body, "start": clock.iso(slot_start(5))})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "quota_exceeded"
    assert "最多同时预约 2 个" in r.get_json()["error"]["message"]
    # The manager's offline booking is the manager's decision, and does not count.
    r = api.post("/api/v1/bookings", as_="manager",
                 json={**body, "start": clock.iso(slot_start(5)), "branch_id": user("secretary").branch_id})
    assert r.status_code == 201
    # Another branch has its own share.
    assert api.post("/api/v1/bookings", as_="secretary2", json={**body, "start": clock.iso(slot_start(5))}).status_code == 201
    # Monthly: one a month (a branch that has not booked here yet); a cancelled one does not count.
    fresh = _secretaries(1, prefix="m")[0].username
    api.patch(f"/api/v1/bases/{base_id}", as_="manager",
              json={"rules": {"max_live_per_branch": None, "max_per_branch_per_month": 1}})
    by_month = {}
    for days in range(6, 29):  # 23 days always hold two of one calendar month
        by_month.setdefault(clock.local(slot_start(days)).month, []).append(days)
    one, two = next(days for days in by_month.values() if len(days) >= 2)[:2]
    first = api.post("/api/v1/bookings", as_=fresh, json={**body, "start": clock.iso(slot_start(one))})
    assert first.status_code == 201, first.get_json()
    r = api.post("/api/v1/bookings", as_=fresh, json={**body, "start": clock.iso(slot_start(two))})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "quota_exceeded"
    assert "每月最多 1 次" in r.get_json()["error"]["message"]
    api.post(f"/api/v1/bookings/{first.get_json()['id']}/cancel", as_=fresh, json={})
    assert api.post("/api/v1/bookings", as_=fresh, json={**body, "start": clock.iso(slot_start(two))}).status_code == 201


def test_the_share_left_is_shown_before_booking(world, client):
    from tests.conftest import login
    base = db.session.get(Base, item().base_id)
    base.max_live_per_branch = 2
    db.session.commit()
    booking(start=slot_start(3), headcount=10)
    login(client, "secretary")
    html = client.get(f"/bases/{base.id}").get_data(as_text=True)
    assert "本支部在该基地还可预约 1 次" in html
    start = slot_start(4)
    html = client.get(f"/bookings/new?item_id={item().id}&start={clock.local(start):%Y-%m-%dT%H:%M}").get_data(as_text=True)
    assert "本支部在该基地还可预约 <strong>1</strong> 次" in html
    # Reproduced: with the share used up the form was still offered (and refused on submitting).
    booking(start=slot_start(5), headcount=10)
    html = client.get(f"/bookings/new?item_id={item().id}&start={clock.local(start):%Y-%m-%dT%H:%M}").get_data(as_text=True)
    assert "本支部在该基地的预约次数已用完" in html and 'name="headcount"' not in html


def test_a_base_with_a_share_of_0_says_it_takes_no_online_bookings(world, client):
    """Reproduced: a base with quota 0 still showed its booking form, and its rules said nothing of the quota."""
    from tests.conftest import login
    base = db.session.get(Base, item().base_id)
    base.max_live_per_branch = 0
    db.session.commit()
    login(client, "secretary")
    html = client.get(f"/bases/{base.id}").get_data(as_text=True)
    assert "暂不接受线上预约" in html
    start = slot_start(4)
    html = client.get(f"/bookings/new?item_id={item().id}&start={clock.local(start):%Y-%m-%dT%H:%M}").get_data(as_text=True)
    assert 'name="headcount"' not in html


def test_two_processes_never_promote_into_the_same_places(world):
    """A full slot with a queue; under four gunicorn workers, three cancellations, new bookings and waitlist joins
    arrive at once. The freed places go to the queue in the cancelling transactions: each of the three waiting
    entries is promoted exactly once, no direct booking gets them, and the slot is exactly full."""
    start = clock.at_local(clock.local_today() + timedelta(days=5), time(9))
    holders = _fill(start, (10,) * 8)  # 8 × 10 = 80
    queue = _secretaries(3, prefix="p")
    for u in queue:
        waitlist.join(u, menu_item_id=item().id, start=start, headcount=10, contact_name="联系人",
                      contact_phone="13800000000")
    latecomers = _secretaries(6, prefix="l")
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    item_id = item().id
    cancels = [(h.id, db.session.get(User, h.created_by_id).username) for h in holders[:3]]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        names = [u for _, u in cancels] + [u.username for u in latecomers]
        tokens = {n: call(url, "POST", "/api/v1/auth/token", {"username": n, "password": PASSWORD})[1]["token"]
                  for n in names}
        body = {"menu_item_id": item_id, "start": clock.iso(start), "headcount": 10, "contact_name": "联系人",
                "contact_phone": "13900000000"}
        requests = [(url, "POST", f"/api/v1/bookings/{booking_id}/cancel", {}, tokens[u]) for booking_id, u in cancels]
        requests += [(url, "POST", "/api/v1/bookings", body, tokens[u.username]) for u in latecomers[:3]]
        requests += [(url, "POST", "/api/v1/waitlist", body, tokens[u.username]) for u in latecomers[3:]]
        results = simultaneously(requests)
    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert outcome[(200, None)] == 3, outcome                      # the cancellations
    assert outcome[(409, "slot_full")] == 3, outcome               # the freed places were never free for them
    assert outcome[(201, None)] == 3, outcome                      # the latecomers joined the queue behind
    db.session.expire_all()
    promoted = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.status == "promoted")).all()
    assert sorted(e.branch_id for e in promoted) == sorted(u.branch_id for u in queue)
    assert len({e.booking_id for e in promoted}) == 3
    live = db.session.scalar(select(func.sum(Booking.headcount)).where(
        Booking.starts_at == start, Booking.status.in_([s.value for s in states.LIVE])))
    assert _held(start) == live == 80
    events = db.session.scalar(select(func.count()).select_from(BookingEvent).where(
        BookingEvent.action == "promoted_from_waitlist"))
    assert events == 3
    assert_integrity()


def test_one_branchs_simultaneous_requests_stay_within_its_share(world):
    """A base allows two live bookings per branch; one branch's secretary sends eight requests for different
    slots at once to four workers: exactly two are booked."""
    base = db.session.get(Base, item().base_id)
    base.max_live_per_branch = 2
    db.session.commit()
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    starts = [clock.iso(clock.at_local(clock.local_today() + timedelta(days=3 + d // 2), time(9 if d % 2 == 0 else 14)))
              for d in range(8)]
    item_id = item().id
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        token = call(url, "POST", "/api/v1/auth/token", {"username": "secretary", "password": PASSWORD})[1]["token"]
        results = simultaneously([(url, "POST", "/api/v1/bookings",
                                   {"menu_item_id": item_id, "start": s, "headcount": 10, "contact_name": "王芳",
                                    "contact_phone": "13800000000"}, token) for s in starts])
    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert outcome == {(201, None): 2, (409, "quota_exceeded"): 6}, outcome
    held = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.branch_id == user("secretary").branch_id, Booking.status.in_([s.value for s in states.LIVE])))
    assert held == 2
    assert_integrity()
