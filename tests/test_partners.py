"""Joint bookings (联合 / 共建): partner branches with their own places, people, records and counts."""
import io
from collections import Counter
from datetime import time, timedelta

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from booking import clock
from booking.reservations import lifecycle, partners, records
from booking.visits import services as visits
from models import Booking, BookingPartner, Branch, Notification, Organization, SlotOccupancy, User, db
from tests.factories import booking, item, slot_start, user
from tests.server import assert_integrity, call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"


def _branch(name="secretary2") -> int:
    return user(name).branch_id


def _held(b) -> int:
    return db.session.scalar(select(SlotOccupancy.held).where(SlotOccupancy.venue_id == b.venue_id,
                                                              SlotOccupancy.starts_at == b.starts_at))


def _remaining(api, b) -> int:
    day = clock.local(b.starts_at).date().isoformat()
    slots = api.get(f"/api/v1/menu-items/{b.menu_item_id}/availability?date={day}", as_="secretary").get_json()["slots"]
    return next(s["remaining"] for s in slots if s["start"] == clock.iso(b.starts_at))


def _third_branch() -> int:
    return db.session.scalar(select(Branch.id).where(Branch.id.not_in([_branch("secretary"), _branch()]))
                             .order_by(Branch.id))


def test_a_partner_is_invited_accepts_and_its_places_are_held_at_once(world, api):
    b = booking(start=slot_start(5), headcount=20)
    before = _remaining(api, b)
    r = api.post(f"/api/v1/bookings/{b.id}/partners", as_="secretary", json={"branch_id": _branch(), "headcount": 15})
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"branch_id": _branch(), "branch_name": user("secretary2").branch.name, "headcount": 15,
                            "status": "invited", "visitor_count": None}
    assert _remaining(api, b) == before - 15

    # The partner's secretary sees the booking, on its list too, and was told.
    seen = api.get(f"/api/v1/bookings/{b.id}", as_="secretary2").get_json()
    assert seen["total_headcount"] == 35 and seen["headcount"] == 20
    assert seen["partners"] == [{"branch_id": _branch(), "branch_name": user("secretary2").branch.name,
                                 "headcount": 15, "status": "invited", "visitor_count": None}]
    assert b.id in [x["id"] for x in api.get("/api/v1/bookings", as_="secretary2").get_json()["items"]]
    told = api.get("/api/v1/me/notifications", as_="secretary2").get_json()["items"]
    assert told[0]["kind"] == "partner_invited" and told[0]["booking_id"] == b.id

    # Another branch's secretary may only answer for their own branch; the host cannot answer for it.
    assert api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/accept", as_="secretary").status_code == 403
    r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/accept", as_="secretary2")
    assert r.status_code == 200 and r.get_json()["partners"][0]["status"] == "accepted"
    r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/accept", as_="secretary2")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    actions = [e["action"] for e in api.get(f"/api/v1/bookings/{b.id}/history", as_="secretary2").get_json()["items"]]
    assert actions[-2:] == ["partner_invited", "partner_accepted"]
    # A branch that is no partner does not even see it.
    third = User(username="sec3", display_name="第三书记", role="secretary", branch_id=_third_branch())
    third.set_password(PASSWORD)
    db.session.add(third)
    db.session.commit()
    assert api.get(f"/api/v1/bookings/{b.id}", as_="sec3").status_code == 404


def test_declining_and_withdrawing_free_the_places(world, api):
    b = booking(start=slot_start(5), headcount=20)
    before = _remaining(api, b)
    api.post(f"/api/v1/bookings/{b.id}/partners", as_="secretary", json={"branch_id": _branch(), "headcount": 15})
    r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/decline", as_="secretary2", json={"reason": "工作冲突"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["partners"][0]["status"] == "declined" and r.get_json()["total_headcount"] == 20
    assert _remaining(api, b) == before
    host_told = api.get("/api/v1/me/notifications", as_="secretary").get_json()["items"][0]
    assert host_told["kind"] == "partner_answered" and "工作冲突" in host_told["body"]

    # Invited again after declining: the same row, invited again; then withdrawn by the host.
    r = api.post(f"/api/v1/bookings/{b.id}/partners", as_="secretary", json={"branch_id": _branch(), "headcount": 10})
    assert r.status_code == 201 and r.get_json()["status"] == "invited"
    assert _remaining(api, b) == before - 10
    r = api.delete(f"/api/v1/bookings/{b.id}/partners/{_branch()}", as_="secretary2")
    assert r.status_code == 403  # the partner declines; it does not withdraw the host's invitation
    r = api.delete(f"/api/v1/bookings/{b.id}/partners/{_branch()}", as_="secretary")
    assert r.status_code == 200 and r.get_json()["partners"][0]["status"] == "withdrawn"
    assert _remaining(api, b) == before
    assert api.get("/api/v1/me/notifications", as_="secretary2").get_json()["items"][0]["kind"] == "partner_withdrawn"
    assert api.delete(f"/api/v1/bookings/{b.id}/partners/{_branch()}", as_="secretary").status_code == 409
    assert db.session.scalar(select(func.count()).select_from(BookingPartner)) == 1  # never deleted
    actions = [e["action"] for e in api.get(f"/api/v1/bookings/{b.id}/history", as_="secretary").get_json()["items"]]
    assert actions.count("partner_declined") == 2 and actions.count("partner_invited") == 2


def test_bad_invitations_get_clear_messages(world, api):
    b = booking(start=slot_start(5), headcount=20)  # the item allows 10–60 a group
    path = f"/api/v1/bookings/{b.id}/partners"

    def refused(body, field, status=422, who="secretary"):
        r = api.post(path, as_=who, json=body)
        assert r.status_code == status, (body, r.get_json())
        if status == 422:
            assert field in r.get_json()["error"]["fields"], r.get_json()
        return r.get_json()["error"]

    refused({"branch_id": _branch("secretary"), "headcount": 5}, "branch_id")          # the host itself
    refused({"branch_id": 999999, "headcount": 5}, "branch_id")                         # no such branch
    error = refused({"branch_id": _branch(), "headcount": 41}, "headcount")             # 20 + 41 > 60
    assert "最多还可邀请 40 人" in error["fields"]["headcount"]
    refused({"branch_id": _branch(), "headcount": 0}, "headcount")
    refused({"branch_id": "2", "headcount": 5}, "branch_id")
    refused({"headcount": 5}, "branch_id")
    assert api.post(path, as_="secretary", json={"branch_id": _branch(), "headcount": 5}).status_code == 201
    refused({"branch_id": _branch(), "headcount": 5}, "branch_id")                      # twice
    refused({"branch_id": _third_branch(), "headcount": 5}, None, status=403, who="secretary2")  # a partner cannot
    # A branch holding its own booking of the same slot cannot also come as a partner.
    other = booking("secretary2", start=slot_start(6), headcount=10)
    host = booking("secretary", start=slot_start(6), headcount=10)
    r = api.post(f"/api/v1/bookings/{host.id}/partners", as_="secretary", json={"branch_id": _branch(), "headcount": 5})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking", other.id
    assert "已预约了同一场次" in r.get_json()["error"]["message"]
    # The converse: a branch invited into a slot cannot book that slot itself, nor wait for it, nor be invited
    # into another branch's booking of it.
    joint = booking("secretary", start=slot_start(9), headcount=10)
    assert api.post(f"/api/v1/bookings/{joint.id}/partners", as_="secretary",
                    json={"branch_id": _branch(), "headcount": 5}).status_code == 201
    r = api.post("/api/v1/bookings", as_="secretary2", json={
        "menu_item_id": joint.menu_item_id, "start": clock.iso(joint.starts_at), "headcount": 10,
        "contact_name": "李明", "contact_phone": "13900000000"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking", r.get_json()
    third = booking("manager", start=slot_start(9), headcount=10, branch_id=_third_branch())
    r = api.post(f"/api/v1/bookings/{third.id}/partners", as_="manager", json={"branch_id": _branch(), "headcount": 5})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking", r.get_json()
    # Not enough room in the slot: 409 slot_full, nothing held.
    full = booking(start=slot_start(7), headcount=60)
    booking("secretary2", start=slot_start(7), headcount=15)
    held = _held(full)
    r = api.post(f"/api/v1/bookings/{full.id}/partners", as_="manager", json={"branch_id": _third_branch(), "headcount": 10})
    assert r.status_code == 422  # 60 already the item's maximum
    small = booking(start=slot_start(8), headcount=30)
    booking("secretary2", start=slot_start(8), headcount=45)  # 75 of 80 held
    r = api.post(f"/api/v1/bookings/{small.id}/partners", as_="manager", json={"branch_id": _third_branch(), "headcount": 10})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_full"
    assert _held(small) == 75 and _held(full) == held
    assert db.session.scalar(select(func.count()).select_from(BookingPartner).where(BookingPartner.booking_id == small.id)) == 0


def test_small_branches_meet_the_minimum_together(world, api):
    b = booking(start=slot_start(5), headcount=10)  # the item's minimum is 10
    api.post(f"/api/v1/bookings/{b.id}/partners", as_="secretary", json={"branch_id": _branch(), "headcount": 6})
    r = api.patch(f"/api/v1/bookings/{b.id}", as_="secretary", json={"headcount": 4})
    assert r.status_code == 200 and r.get_json()["total_headcount"] == 10 and _held(b) == 10
    r = api.patch(f"/api/v1/bookings/{b.id}", as_="secretary", json={"headcount": 3})
    assert r.status_code == 422 and "合计人数" in r.get_json()["error"]["fields"]["headcount"]
    # The host's changes reach the partner.
    api.patch(f"/api/v1/bookings/{b.id}", as_="secretary", json={"topic": "结对共建主题党日"})
    told = api.get("/api/v1/me/notifications", as_="secretary2").get_json()["items"][0]
    assert told["kind"] == "booking_changed" and "结对共建主题党日" in told["body"]


def _create(api, who="secretary", **over):
    body = {"menu_item_id": item().id, "start": clock.iso(slot_start(5)), "headcount": 4, "contact_name": "王芳",
            "contact_phone": "13800000000", **over}
    return api.post("/api/v1/bookings", as_=who, json=body)


def test_a_small_branch_invites_a_partner_before_submitting_to_reach_the_minimum(world, api):
    """Reproduced: a branch of 4 could not start a joint booking of an item for 10–60 (refused for its own
    headcount before it could invite anyone)."""
    r = _create(api)
    assert r.status_code == 422 and "可邀请共建支部" in r.get_json()["error"]["fields"]["headcount"]
    r = _create(api, partners=[{"branch_id": _branch(), "headcount": 6}])
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["headcount"] == 4 and made["total_headcount"] == 10
    assert made["partners"] == [{"branch_id": _branch(), "branch_name": user("secretary2").branch.name,
                                 "headcount": 6, "status": "invited", "visitor_count": None}]
    b = db.session.get(Booking, made["id"])
    assert _held(b) == 10 and b.partner_headcount == 6
    actions = [e["action"] for e in api.get(f"/api/v1/bookings/{b.id}/history", as_="secretary").get_json()["items"]]
    assert actions == ["created", "partner_invited"]
    told = api.get("/api/v1/me/notifications", as_="secretary2").get_json()["items"][0]
    assert told["kind"] == "partner_invited" and told["booking_id"] == b.id and "6 人" in told["body"]
    r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/accept", as_="secretary2")
    assert r.status_code == 200 and r.get_json()["partners"][0]["status"] == "accepted"
    # Declining later leaves the host short of the minimum, and it is told so (as after any invitation).
    assert_integrity()


def test_partners_asked_for_at_once_are_checked_like_invitations(world, api):
    def refused(partners, status=422, code="validation_error", field="partners", **over):
        r = _create(api, partners=partners, **over)
        assert r.status_code == status and r.get_json()["error"]["code"] == code, (partners, r.get_json())
        if field:
            assert field in r.get_json()["error"]["fields"], r.get_json()
        return r.get_json()["error"]

    refused([{"branch_id": _branch("secretary"), "headcount": 6}])                      # the host itself
    refused([{"branch_id": 999999, "headcount": 6}])                                     # no such branch
    refused([{"branch_id": _branch(), "headcount": 0}])
    refused([{"branch_id": _branch(), "headcount": 3}, {"branch_id": _branch(), "headcount": 3}])  # twice
    refused(["x"])
    refused([{"branch_id": _branch(), "headcount": 2}], field="headcount")               # 4 + 2 < 10
    refused([{"branch_id": _branch(), "headcount": 57}], field="headcount")              # 4 + 57 > 60
    # A branch holding its own booking of the slot cannot also come as a partner; nothing is written.
    own = booking("secretary2", start=slot_start(6), headcount=10)
    held = _held(own)
    error = refused([{"branch_id": _branch(), "headcount": 6}], status=409, code="duplicate_booking", field=None,
                    start=clock.iso(slot_start(6)))
    assert "已预约了同一场次" in error["message"] and _held(own) == held
    # Not room for the total: 409 slot_full, nothing held.
    booking("manager", start=slot_start(7), headcount=60, branch_id=_third_branch())
    booking("manager", start=slot_start(7), headcount=15, branch_id=_branch())
    refused([{"branch_id": _third_branch() + 1, "headcount": 6}], status=409, code="slot_full", field=None,
            start=clock.iso(slot_start(7)))
    assert db.session.scalar(select(func.count()).select_from(BookingPartner)) == 0


def test_the_new_booking_page_invites_a_partner_with_the_request(world, client):
    from tests.conftest import login
    login(client, "secretary")
    start = slot_start(5)
    from urllib.parse import urlencode
    url = "/bookings/new?" + urlencode({"item_id": item().id, "start": clock.iso(start)})
    html = client.get(url).get_data(as_text=True)
    assert "邀请共建支部（联合开展）" in html and user("secretary2").branch.name in html
    form = {"headcount": "4", "contact_name": "王芳", "contact_phone": "13800000000", "activity_type": "theme_day",
            "partners": "0"}
    r = client.post(url, data=form)
    assert r.status_code == 422 and "可邀请共建支部" in r.get_data(as_text=True)
    r = client.post(url, data={**form, "partners": str(_branch())})
    assert r.status_code == 422 and "的参加人数" in r.get_data(as_text=True)  # the partner's headcount is asked
    r = client.post(url, data={**form, "partners": str(_branch()), "partner_headcount": "6"})
    assert r.status_code == 302, r.get_data(as_text=True)
    made = db.session.scalar(select(Booking).order_by(Booking.id.desc()))
    assert made.total_headcount == 10 and [p.branch_id for p in made.partners] == [_branch()]


def test_a_branch_is_never_both_partner_and_host_when_joint_requests_race(world):
    """Several gunicorn workers: six branches each start a joint booking of the same slot inviting the same
    branch, while that branch books the slot itself: exactly one of them holds it."""
    target = item()
    org = Organization(name="联合发起并发测试党委", sector="other")
    db.session.add(org)
    branches = [Branch(organization=org, name=f"联合发起第{i}支部") for i in range(7)]
    db.session.add_all(branches)
    db.session.flush()
    accounts = []
    for i, branch in enumerate(branches):
        u = User(username=f"hsec{i}", display_name=f"发起书记{i}", role="secretary", branch_id=branch.id)
        u.set_password(PASSWORD)
        accounts.append(u)
    db.session.add_all(accounts)
    db.session.commit()
    start = clock.iso(slot_start(5))
    wanted, item_id = branches[6].id, target.id
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        tokens = [call(url, "POST", "/api/v1/auth/token", {"username": f"hsec{i}", "password": PASSWORD})[1]["token"]
                  for i in range(7)]
        body = {"menu_item_id": item_id, "start": start, "headcount": 4, "contact_name": "联系人",
                "contact_phone": "13900000000"}
        requests = [(url, "POST", "/api/v1/bookings", {**body, "partners": [{"branch_id": wanted, "headcount": 6}]},
                     tokens[i]) for i in range(6)]
        requests.append((url, "POST", "/api/v1/bookings", {**body, "headcount": 10}, tokens[6]))
        results = simultaneously(requests)
    outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
    assert outcome[(201, None)] == 1 and outcome[(409, "duplicate_booking")] == 6, outcome
    _assert_places_add_up(clock.parse_datetime(start))
    assert_integrity()


def test_the_hosts_cancellation_frees_everything_and_tells_every_branch(world, api):
    b = booking(start=slot_start(5), headcount=20)
    before = _remaining(api, b) + 20
    api.post(f"/api/v1/bookings/{b.id}/partners", as_="secretary", json={"branch_id": _branch(), "headcount": 15})
    api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/accept", as_="secretary2")
    assert api.post(f"/api/v1/bookings/{b.id}/cancel", as_="secretary2", json={}).status_code == 403
    r = api.post(f"/api/v1/bookings/{b.id}/cancel", as_="secretary", json={"reason": "改期"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    assert _remaining(api, b) == before
    told = api.get("/api/v1/me/notifications", as_="secretary2").get_json()["items"][0]
    assert told["kind"] == "booking_cancelled" and "改期" in told["body"]


def test_reminders_reach_every_taking_part_branch(world, api):
    from booking.jobs.services import send_reminders
    b = booking(start=slot_start(1), headcount=20)
    partners.invite(user("secretary"), b, _branch(), 10, now=b.starts_at - timedelta(days=2))
    send_reminders(now=b.starts_at - timedelta(hours=20))
    to = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "reminder"))}
    assert {user("secretary").id, user("secretary2").id} <= to


def _joint_visit(api):
    """A past joint visit: host (secretary's branch) 20, partner (secretary2's) 15 accepted; members on both
    rosters. Returns the booking and the members by branch."""
    from tests.test_members import _members
    host_members = _members(api, n=3, as_="secretary")
    partner_members = _members(api, n=2, as_="secretary2")
    start = slot_start(0, 14)
    b = booking(menu_item=item("专题党课：红色家书里的初心"), start=start, headcount=20)
    now = b.starts_at - timedelta(days=1)
    partners.invite(user("secretary"), b, _branch(), 15, now=now)
    partners.accept(user("secretary2"), b, now=now)
    from booking.members import services as members
    members.set_roster(user("secretary"), b, [m["id"] for m in host_members], now=now)
    members.set_roster(user("secretary2"), b, [m["id"] for m in partner_members], now=now)
    return b, host_members, partner_members


def test_each_branch_sets_and_marks_its_own_roster(world, api, monkeypatch):
    b, host_members, partner_members = _joint_visit(api)
    path = f"/api/v1/bookings/{b.id}/roster"
    roster = api.get(path, as_="secretary2").get_json()["items"]
    assert Counter(e["branch_id"] for e in roster) == {_branch("secretary"): 3, _branch(): 2}
    # The partner may not bring the host's members, nor more than its own headcount.
    r = api.put(path, as_="secretary2", json={"member_ids": [host_members[0]["id"]]})
    assert r.status_code == 422
    # Setting its own part leaves the host's part alone.
    r = api.put(path, as_="secretary2", json={"member_ids": [partner_members[0]["id"]]})
    assert r.status_code == 200 and r.get_json()["total"] == 4
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(minutes=10))
    visits.check_in_booking(user("manager"), b)
    # Each secretary marks their own: the partner's "everyone else absent" does not touch the host's members.
    r = api.put(f"{path}/attendance", as_="secretary2", json={"present": [partner_members[0]["id"]], "absent": []})
    assert r.status_code == 200, r.get_json()
    r = api.put(f"{path}/attendance", as_="secretary2", json={"present": [host_members[0]["id"]], "absent": []})
    assert r.status_code == 422
    marks = {e["member_id"]: e["attendance"] for e in api.get(path, as_="manager").get_json()["items"]}
    assert marks[partner_members[0]["id"]] == "present" and marks[host_members[0]["id"]] is None


def test_split_attendance_records_and_statistics(world, api, monkeypatch):
    b, host_members, partner_members = _joint_visit(api)
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(minutes=30))
    path = f"/api/v1/bookings/{b.id}/attendance"
    # A split that does not add up, or names a branch that did not take part: 422 naming visitor_counts.
    for counts in ({str(_branch("secretary")): 20, str(_branch()): 10}, {str(_third_branch()): 32},
                   {str(_branch("secretary")): -1, str(_branch()): 33}, [1, 2]):
        r = api.post(path, as_="manager", json={"visitor_count": 32, "visitor_counts": counts})
        assert r.status_code == 422 and "visitor_counts" in r.get_json()["error"]["fields"], counts
    r = api.post(path, as_="manager", json={"visitor_count": 32,
                                            "visitor_counts": {str(_branch("secretary")): 19, str(_branch()): 13}})
    assert r.status_code == 200 and r.get_json()["partners"][0]["visitor_count"] == 13
    api.put(f"/api/v1/bookings/{b.id}/roster/attendance", as_="secretary2",
            json={"present": [m["id"] for m in partner_members], "absent": []})
    day = b.day.isoformat()

    def stats(as_, group_by):
        return api.get(f"/api/v1/stats?from={day}&to={day}&group_by={group_by}", as_=as_).get_json()

    # One batch wherever it is counted once; each organisation counts its own part.
    assert stats("admin", "base")["total"] == {"batches": 1, "person_times": 32, "satisfaction": None}
    assert [(r["batches"], r["person_times"]) for r in stats("admin", "base")["rows"]] == [(1, 32)]
    by_org = {r["key"]: (r["batches"], r["person_times"]) for r in stats("admin", "organization")["rows"]}
    host_org, partner_org = user("secretary").branch.organization_id, user("secretary2").branch.organization_id
    assert host_org != partner_org
    assert by_org == {host_org: (1, 19), partner_org: (1, 13)}
    assert stats("admin", "organization")["total"]["batches"] == 1
    # Each secretary's statistics count their own branch's part.
    assert stats("secretary", "month")["total"] == {"batches": 1, "person_times": 19, "satisfaction": None}
    assert stats("secretary2", "month")["total"] == {"batches": 1, "person_times": 13, "satisfaction": None}
    assert stats("secretary2", "base")["rows"][0]["person_times"] == 13

    # Unsplit, the count is the host's.
    api.post(path, as_="manager", json={"visitor_count": 30})
    by_org = {r["key"]: (r["batches"], r["person_times"]) for r in stats("admin", "organization")["rows"]}
    assert by_org == {host_org: (1, 30), partner_org: (1, 0)}

    # Each branch's ledger holds the activity with the partners named, and its own members' hours.
    year = b.day.year
    ledger = api.get(f"/api/v1/branches/{_branch()}/records?year={year}&format=xlsx", as_="secretary2")
    rows = list(load_workbook(io.BytesIO(ledger.data)).active.iter_rows(values_only=True))
    assert rows[2][0] == day and user("secretary").branch.name in rows[2][12]
    assert partner_members[0]["name"] in rows[2][8] and host_members[2]["name"] not in rows[2][8]
    record = Document(io.BytesIO(api.get(f"/api/v1/bookings/{b.id}/record?format=docx", as_="secretary2").data))
    cells = {row.cells[0].text: row.cells[1].text for t in record.tables for row in t.rows}
    assert user("secretary2").branch.name in cells["党支部"] and user("secretary").branch.name in cells["主办支部"]
    hours = api.get(f"/api/v1/branches/{_branch()}/study-hours?year={year}", as_="secretary2").get_json()["items"]
    assert {h["name"]: h["sessions"] for h in hours} == {m["name"]: 1 for m in partner_members}
    host_record = Document(io.BytesIO(api.get(f"/api/v1/bookings/{b.id}/record?format=docx", as_="secretary").data))
    cells = {row.cells[0].text: row.cells[1].text for t in host_record.tables for row in t.rows}
    assert user("secretary2").branch.name in cells["共建支部"]


def test_a_partner_stepping_out_leaves_the_roster_and_cannot_after_check_in(world, api, monkeypatch):
    b, _, partner_members = _joint_visit(api)
    monkeypatch.setattr(clock, "now", lambda: b.starts_at - timedelta(hours=3))
    r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/decline", as_="secretary2", json={})
    assert r.status_code == 200 and r.get_json()["total_headcount"] == 20
    roster = api.get(f"/api/v1/bookings/{b.id}/roster", as_="secretary").get_json()["items"]
    assert {e["branch_id"] for e in roster} == {_branch("secretary")}
    # Invited again and accepted, then the group checks in: no stepping out any more.
    partners.invite(user("secretary"), b, _branch(), 5)
    partners.accept(user("secretary2"), db.session.get(Booking, b.id))
    visits.check_in_booking(user("manager"), b)
    r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/decline", as_="secretary2", json={})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"


def test_capacity_holds_under_simultaneous_invitations_acceptances_and_bookings(world):
    """Several gunicorn workers: invitations into four joint bookings, acceptances, and other branches' bookings all
    race for the last 40 places of a slot; then the accepted partners step out while new bookings race for the
    freed places."""
    target = item()  # slot capacity 80, 10–60 a group
    org = Organization(name="共建并发测试党委", sector="other")
    db.session.add(org)
    branches = [Branch(organization=org, name=f"共建并发第{i}支部") for i in range(40)]
    db.session.add_all(branches)
    db.session.flush()
    secretaries = []
    for i, branch in enumerate(branches[:8]):
        u = User(username=f"jsec{i}", display_name=f"共建书记{i}", role="secretary", branch_id=branch.id)
        u.set_password(PASSWORD)
        secretaries.append(u)
    db.session.add_all(secretaries)
    db.session.commit()
    start = clock.at_local(clock.local_today() + timedelta(days=5), time(9))
    manager = user("manager")
    hosts = [records.create_booking(manager, menu_item_id=target.id, start=start, headcount=10, contact_name="联系人",
                                     contact_phone="13800000000", branch_id=branches[30 + i].id) for i in range(4)]
    # Four partners invited with 5 each, who will accept in the race: 4 × 10 + 4 × 5 held, 20 left.
    host_rows = [db.session.get(Booking, h.id) for h in hosts]
    invited = []
    for i, u in enumerate(secretaries[:4]):
        partners.invite(manager, host_rows[i], u.branch_id, 5)
        invited.append((host_rows[i].id, u))
    # Racing for the 20: 12 invitations of 10 and 10 bookings of 10 (exactly two fit), with the 4 acceptances.
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    host_ids = [h.id for h in hosts]
    free_branches = [b.id for b in branches[8:30]]
    late_branches = [b.id for b in branches[34:40]]  # none of them invited: a partner cannot book the slot itself
    item_id = target.id
    db.session.remove()
    db.engine.dispose()

    with gunicorn(uri, workers=4) as url:
        tokens = {name: call(url, "POST", "/api/v1/auth/token", {"username": name, "password": PASSWORD})[1]["token"]
                  for name in ["manager"] + [f"jsec{i}" for i in range(4)]}
        requests = [(url, "POST", f"/api/v1/bookings/{host_ids[i % 4]}/partners",
                     {"branch_id": free_branches[i], "headcount": 10}, tokens["manager"]) for i in range(12)]
        requests += [(url, "POST", "/api/v1/bookings",
                      {"menu_item_id": item_id, "start": clock.iso(start), "headcount": 10, "contact_name": "联系人",
                       "contact_phone": "13900000000", "branch_id": free_branches[12 + i]}, tokens["manager"])
                     for i in range(10)]
        requests += [(url, "POST", f"/api/v1/bookings/{booking_id}/partners/{u.branch_id}/accept", None,
                      tokens[u.username]) for booking_id, u in invited]
        results = simultaneously(requests)
        outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
        placed = outcome[(201, None)]
        assert placed == 2 and outcome[(200, None)] == 4, outcome
        assert set(outcome) <= {(201, None), (200, None), (409, "slot_full")}, outcome
        _assert_places_add_up(start)

        # The accepted partners step out (20 places freed) while new bookings race for them.
        steps = [(url, "POST", f"/api/v1/bookings/{booking_id}/partners/{u.branch_id}/decline", {"reason": "临时有事"},
                  tokens[u.username]) for booking_id, u in invited]
        steps += [(url, "POST", "/api/v1/bookings",
                   {"menu_item_id": item_id, "start": clock.iso(start), "headcount": 10, "contact_name": "联系人",
                    "contact_phone": "13900000000", "branch_id": late_branches[i]}, tokens["manager"])
                  for i in range(6)]
        results = simultaneously(steps)
        outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
        assert outcome[(200, None)] == 4 and set(outcome) <= {(201, None), (200, None), (409, "slot_full")}, outcome
    _assert_places_add_up(start)
    assert_integrity()


def _assert_places_add_up(start) -> None:
    """The slot's counter is exactly what its live bookings and their holding partners hold, within capacity."""
    db.session.expire_all()
    occupancy = db.session.scalar(select(SlotOccupancy).where(SlotOccupancy.starts_at == start))
    live = [b for b in db.session.scalars(select(Booking).where(Booking.starts_at == start)) if lifecycle.is_live(b)]
    partner_places = sum(p.headcount for b in live for p in b.partners if p.holds_places)
    assert sum(b.partner_headcount for b in live) == partner_places
    assert occupancy.held == sum(b.headcount for b in live) + partner_places <= occupancy.capacity, occupancy.held


def test_a_former_partner_no_longer_sees_the_booking(world, api):
    """Reproduced: after declining (or being withdrawn) a partner's secretary still read the host's booking, its
    roster and its history. Now 404 like any other branch; its notifications stay."""
    b = booking(start=slot_start(5), headcount=20)
    for answer in ("decline", "withdraw"):
        assert api.post(f"/api/v1/bookings/{b.id}/partners", as_="secretary",
                        json={"branch_id": _branch(), "headcount": 5}).status_code == 201
        assert api.get(f"/api/v1/bookings/{b.id}", as_="secretary2").status_code == 200  # invited: sees it
        if answer == "decline":
            r = api.post(f"/api/v1/bookings/{b.id}/partners/{_branch()}/decline", as_="secretary2")
        else:
            r = api.delete(f"/api/v1/bookings/{b.id}/partners/{_branch()}", as_="secretary")
        assert r.status_code == 200, r.get_json()
        for path in ("", "/roster", "/history"):
            assert api.get(f"/api/v1/bookings/{b.id}{path}", as_="secretary2").status_code == 404, (answer, path)
        assert b.id not in [x["id"] for x in api.get("/api/v1/bookings", as_="secretary2").get_json()["items"]]
        kinds = [n["kind"] for n in api.get("/api/v1/me/notifications", as_="secretary2").get_json()["items"]]
        assert "partner_invited" in kinds
    assert api.client.get(f"/bookings/{b.id}").status_code in (302, 404)  # not logged in: to the login


def test_the_desk_marks_a_joint_visit_branch_by_branch_with_no_reason_preset(world, api, client, monkeypatch):
    """Reproduced: the attendance list interleaved the branches, and present members showed a preset 病假."""
    import re
    from tests.conftest import login
    b, host_members, partner_members = _joint_visit(api)
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(minutes=10))
    visits.check_in_booking(user("manager"), b)
    login(client, "manager")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    section = html[html.index('id="members-h"'):]
    host, partner = user("secretary").branch.name, user("secretary2").branch.name
    assert f"{host}（3 人）" in section and f"{partner}（2 人）" in section
    first, second = sorted((section.index(f"{host}（3 人）"), section.index(f"{partner}（2 人）")))
    between = section[first:second]
    names = re.findall(r'<legend[^>]*>([^<]+?) <span', section)
    assert len(names) == 5 and all(m["name"] in between for m in (host_members if section.index(host) == first
                                                                 else partner_members))
    for options in re.findall(r'<select class="form-select" id="reason-\d+"[^>]*>(.*?)</select>', section):
        assert re.search(r'<option value="" selected>缺席原因</option>', options), options


def _completed_joint_visit(host_summary: str):
    """A visit two days ago: secretary's branch hosts, secretary2's took part with 5; 22 came; the host's record
    written. Returns the booking and the partner's secretary."""
    b = booking(start=slot_start(-2), headcount=20)
    partner = user("secretary2")
    partners.invite(user("secretary"), b, partner.branch_id, 5, now=b.starts_at - timedelta(days=2))
    partners.accept(partner, b, now=b.starts_at - timedelta(days=1))
    visits.record_attendance(user("manager"), b, 22, now=b.starts_at + timedelta(hours=1))
    visits.save_activity_record(user("secretary"), b, host_summary, [])
    return b, partner


def test_each_branch_of_a_joint_visit_files_its_own_record(world, api, client):
    """Reproduced: a joint visit's partner record repeated the host's 活动纪要 word for word. Each taking-part
    branch writes its own summary (the host's offered as a starting text); photos stay the host's."""
    from tests.conftest import login
    from tests.factories import image_bytes
    b, partner = _completed_joint_visit("主办支部：重温入党誓词。")
    login(client, "secretary2")
    page = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "本支部的活动纪实" in page and "已填入主办支部的纪实作为参考" in page and 'name="photos"' not in page
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "共建支部：参加誓词活动，交流体会。"})
    assert r.status_code == 302
    db.session.expire_all()
    kept = db.session.get(type(b), b.id)
    assert kept.activity_summary == "主办支部：重温入党誓词。"  # the host's stays the host's
    assert partners.own_summary(kept, partner.branch_id) == "共建支部：参加誓词活动，交流体会。"
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "x", "photos": [(io.BytesIO(image_bytes("JPEG")),
                                                                                     "a.jpg")]},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "活动照片由主办支部上传和删除" in r.get_data(as_text=True)
    assert len(db.session.get(type(b), b.id).photos) == 0


def test_the_partners_record_file_holds_its_own_summary_not_the_hosts(world, api):
    b, partner = _completed_joint_visit("主办支部的纪要。")
    def text(who):
        data = api.get(f"/api/v1/bookings/{b.id}/record?format=docx", as_=who).data
        doc = Document(io.BytesIO(data))
        return "".join(p.text for p in doc.paragraphs) + "".join(
            c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "主办支部的纪要" in text("secretary")
    assert "主办支部的纪要" not in text("secretary2") and "未填写" in text("secretary2")
    visits.save_activity_record(partner, b, "共建支部自己的纪要。", [])
    assert "共建支部自己的纪要" in text("secretary2") and "共建支部自己的纪要" not in text("secretary")
