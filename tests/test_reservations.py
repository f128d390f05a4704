"""Bookings: the contract's rules through the API, and the service rules behind them."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.reservations import records, services
from tests.factories import item as _item, slot_start, user as _user
from models import Base, Booking, BookingEvent, Branch, Closure, Notification, SlotOccupancy, User, db


def _start(days=3, hour=9):
    return slot_start(days, hour)


def _body(item=None, days=3, hour=9, headcount=20, **extra):
    item = item or _item()
    body = {"menu_item_id": item.id, "start": clock.iso(_start(days, hour)), "headcount": headcount,
            "contact_name": "王芳", "contact_phone": "13800000000", "topic": "重温入党誓词", "note": ""}
    body.update(extra)
    return body


def _book(api, as_="secretary", **kw):
    return api.post("/api/v1/bookings", as_=as_, json=_body(**kw))


def _remaining(item, days=3, hour=9):
    from booking.catalog.services import availability
    slots = availability(item, clock.local_today() + timedelta(days=days))
    return next(s.remaining for s in slots if clock.local(s.start).hour == hour)


def test_secretary_books_online_pending(world, api):
    r = _book(api)
    assert r.status_code == 201, r.get_json()
    b = r.get_json()
    assert b["status"] == "pending" and b["source"] == "online" and b["branch_id"] == _user("secretary").branch_id
    assert set(b) >= {"id", "code", "status", "source", "base_id", "venue_id", "menu_item_id", "branch_id", "start",
                      "end", "headcount", "contact_name", "contact_phone", "topic", "note", "lecturer_id",
                      "lecturer_status", "visitor_count", "checked_in_at", "created_at"}
    assert b["start"].endswith("T09:00:00+08:00") and b["end"].endswith("T11:00:00+08:00")
    assert len(b["code"]) == 8
    assert _remaining(_item()) == 60  # pending holds its places
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == _user("manager").id)).all()
    assert kinds == ["booking_created"]


def test_start_without_offset_is_local_time(world, api):
    body = _body()
    body["start"] = body["start"][:19]  # no offset
    r = api.post("/api/v1/bookings", as_="secretary", json=body)
    assert r.status_code == 201 and r.get_json()["start"].endswith("T09:00:00+08:00")


def test_no_approval_needed(world, api):
    base = db.session.get(Base, 1)
    base.requires_approval = False
    db.session.commit()
    r = _book(api)
    assert r.get_json()["status"] == "approved"


def test_manager_records_offline_booking(world, api):
    branch = db.session.scalar(select(Branch).where(Branch.name == "望江社区党支部"))
    r = _book(api, as_="manager", branch_id=branch.id)
    assert r.status_code == 201
    b = r.get_json()
    assert b["source"] == "offline" and b["status"] == "approved" and b["branch_id"] == branch.id
    r = _book(api, as_="manager", hour=14)
    assert r.status_code == 422 and "branch_id" in r.get_json()["error"]["fields"]


def test_offline_booking_tells_the_branchs_active_secretaries_only(world, api):
    secretary = _user("secretary")
    colleague = User(username="secretary-b", display_name="副书记", role="secretary", branch_id=secretary.branch_id,
                     email="b@example.org", password_hash="-")
    former = User(username="secretary-c", display_name="前任书记", role="secretary", branch_id=secretary.branch_id,
                  active=False, password_hash="-")
    db.session.add_all([colleague, former])
    db.session.commit()
    r = _book(api, as_="manager", branch_id=secretary.branch_id)
    assert r.status_code == 201
    code = r.get_json()["code"]
    told = db.session.execute(select(Notification.user_id, Notification.kind, Notification.body)
                              .where(Notification.booking_id == r.get_json()["id"])).all()
    assert sorted(u for u, _, _ in told) == sorted([secretary.id, colleague.id])
    assert all(kind == "booking_approved" and code in body for _, kind, body in told)


def test_manager_of_another_base_and_others_may_not_book(world, api):
    branch = db.session.scalar(select(Branch))
    assert _book(api, as_="manager2", branch_id=branch.id).status_code == 403
    assert _book(api, as_="admin", branch_id=branch.id).status_code == 403
    assert _book(api, as_="lecturer").status_code == 403


def test_secretary_cannot_book_for_another_branch(world, api):
    other = _user("secretary2").branch_id
    assert _book(api, branch_id=other).status_code == 403
    assert _book(api, branch_id=_user("secretary").branch_id).status_code == 201


def test_not_a_slot(world, api):
    r = _book(api, hour=10)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_a_slot"
    item = _item()
    day = clock.local_today() + timedelta(days=3)
    db.session.add(Closure(base_id=item.base_id, start_date=day, end_date=day, reason="闭馆"))
    db.session.commit()
    r = _book(api)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_a_slot"


@pytest.mark.parametrize("days", [0, -1, -30, 61, 200])
def test_outside_booking_window(world, api, days):
    r = _book(api, days=days)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "outside_booking_window"


def test_window_edges_are_bookable(world, api):
    assert _book(api, days=1).status_code == 201
    assert _book(api, days=60).status_code == 201


@pytest.mark.parametrize("field,value", [
    ("headcount", 9), ("headcount", 61), ("headcount", "20"), ("headcount", True), ("contact_phone", "12345"),
    ("contact_phone", "abc"), ("contact_name", ""), ("topic", "长" * 201),
])
def test_validation_errors_name_the_field(world, api, field, value):
    r = _book(api, **{field: value})
    assert r.status_code == 422, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == "validation_error" and field in err["fields"]


def test_missing_fields(world, api):
    r = api.post("/api/v1/bookings", as_="secretary", json={})
    fields = r.get_json()["error"]["fields"]
    assert r.status_code == 422 and {"menu_item_id", "start", "headcount", "contact_name", "contact_phone"} <= set(fields)
    r = api.post("/api/v1/bookings", as_="secretary", json=_body(menu_item_id=99999))
    assert r.status_code == 422 and "menu_item_id" in r.get_json()["error"]["fields"]


def test_slot_full(world, api):
    assert _book(api, headcount=60).status_code == 201
    r = _book(api, as_="secretary2", headcount=21)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "slot_full"
    assert _book(api, as_="secretary2", headcount=20).status_code == 201
    assert _remaining(_item()) == 0


def test_duplicate_booking(world, api):
    assert _book(api).status_code == 201
    r = _book(api, headcount=10)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking"
    # another item in the same venue and slot is the same slot
    assert _book(api, hour=14).status_code == 201


def test_shared_capacity_between_items_of_one_venue(world):
    # two items in the same venue draw on the same slot capacity
    item = _item("参观展馆：初心之路")
    other = _item("专题党课：红色家书里的初心")
    assert item.venue_id == other.venue_id
    sec, sec2 = _user("secretary"), _user("secretary2")
    records.create_booking(sec, menu_item_id=item.id, start=_start(), headcount=40, contact_name="a",
                            contact_phone="13800000000")
    from booking.errors import SlotFull
    with pytest.raises(SlotFull):
        records.create_booking(sec2, menu_item_id=other.id, start=_start(), headcount=25, contact_name="b",
                                contact_phone="13800000000")


def test_approve_and_reject(world, api):
    a = _book(api).get_json()
    b = _book(api, as_="secretary2", headcount=30).get_json()
    r = api.post(f"/api/v1/bookings/{a['id']}/approve", as_="manager")
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    r = api.post(f"/api/v1/bookings/{a['id']}/approve", as_="manager")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    r = api.post(f"/api/v1/bookings/{b['id']}/reject", as_="manager", json={})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = api.post(f"/api/v1/bookings/{b['id']}/reject", as_="manager", json={"reason": "当天有重要接待"})
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert _remaining(_item()) == 60  # rejection freed its 30 places
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == _user("secretary2").id)).all()
    assert kinds == ["booking_rejected"]


def test_admin_may_approve(world, api):
    a = _book(api).get_json()
    assert api.post(f"/api/v1/bookings/{a['id']}/approve", as_="admin").get_json()["status"] == "approved"


def test_permission_before_state_and_404_for_invisible(world, api):
    a = _book(api).get_json()
    # another secretary may not even see it: 404, whatever the action
    for path in ("", "/history"):
        assert api.get(f"/api/v1/bookings/{a['id']}{path}", as_="secretary2").status_code == 404
    for action in ("approve", "cancel"):
        assert api.post(f"/api/v1/bookings/{a['id']}/{action}", as_="secretary2").status_code == 404
    assert api.post(f"/api/v1/bookings/{a['id']}/reject", as_="secretary2", json={"reason": "x"}).status_code == 404
    # a manager of another base: 404 too
    assert api.post(f"/api/v1/bookings/{a['id']}/approve", as_="manager2").status_code == 404
    # the branch itself may see it but not approve: 403, also once it is no longer pending
    assert api.post(f"/api/v1/bookings/{a['id']}/approve", as_="secretary").status_code == 403
    api.post(f"/api/v1/bookings/{a['id']}/cancel", as_="secretary")
    assert api.post(f"/api/v1/bookings/{a['id']}/approve", as_="secretary").status_code == 403
    assert api.get("/api/v1/bookings/999999", as_="admin").status_code == 404


def test_secretary_cancels_until_deadline(world, api):
    a = _book(api, days=2).get_json()
    booking = db.session.get(Booking, a["id"])
    late = booking.starts_at - timedelta(hours=23)
    from booking.errors import CancelDeadlinePassed
    with pytest.raises(CancelDeadlinePassed):
        services.cancel_booking(_user("secretary"), booking, "", now=late)
    r = api.post(f"/api/v1/bookings/{a['id']}/cancel", as_="secretary", json={"reason": "支部会议改期"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    assert _remaining(_item(), days=2) == 80
    r = api.post(f"/api/v1/bookings/{a['id']}/cancel", as_="secretary")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"


def test_cancel_deadline_passed_code(world, api):
    base = db.session.get(Base, 1)
    base.cancel_deadline_hours = 24 * 10
    db.session.commit()
    a = _book(api, days=3).get_json()
    r = api.post(f"/api/v1/bookings/{a['id']}/cancel", as_="secretary")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "cancel_deadline_passed"
    # the manager may still cancel before the start
    r = api.post(f"/api/v1/bookings/{a['id']}/cancel", as_="manager", json={"reason": "场馆维修"})
    assert r.status_code == 200
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == _user("secretary").id)).all()
    assert "booking_cancelled" in kinds


def test_manager_cannot_cancel_after_start(world):
    booking = db.session.get(Booking, records.create_booking(
        _user("secretary"), menu_item_id=_item().id, start=_start(), headcount=10, contact_name="a",
        contact_phone="13800000000").id)
    from booking.errors import InvalidState
    with pytest.raises(InvalidState):
        services.cancel_booking(_user("manager"), booking, "x", now=booking.starts_at + timedelta(minutes=1))


def test_history_records_every_change(world, api):
    a = _book(api).get_json()
    api.post(f"/api/v1/bookings/{a['id']}/approve", as_="manager")
    api.post(f"/api/v1/bookings/{a['id']}/cancel", as_="manager", json={"reason": "临时闭馆"})
    r = api.get(f"/api/v1/bookings/{a['id']}/history", as_="secretary")
    items = r.get_json()["items"]
    assert [(i["action"], i["from_status"], i["to_status"]) for i in items] == [
        ("created", None, "pending"), ("approved", "pending", "approved"), ("cancelled", "approved", "cancelled")]
    assert items[2]["note"] == "临时闭馆" and items[1]["actor"]["username"] == "manager"
    assert set(items[0]) == {"at", "actor", "action", "from_status", "to_status", "note"}
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1  # nothing deleted


def test_listing_is_scoped(world, api):
    a = _book(api).get_json()
    _book(api, as_="secretary2", hour=14)
    mine = api.get("/api/v1/bookings", as_="secretary").get_json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == a["id"]
    assert api.get("/api/v1/bookings", as_="manager").get_json()["total"] == 2
    assert api.get("/api/v1/bookings", as_="manager2").get_json()["total"] == 0
    assert api.get("/api/v1/bookings", as_="admin").get_json()["total"] == 2
    assert api.get("/api/v1/bookings", as_="lecturer").get_json()["total"] == 0
    assert api.get("/api/v1/bookings?status=approved", as_="admin").get_json()["total"] == 0
    day = (clock.local_today() + timedelta(days=3)).isoformat()
    assert api.get(f"/api/v1/bookings?from={day}&to={day}", as_="admin").get_json()["total"] == 2
    later = (clock.local_today() + timedelta(days=4)).isoformat()
    assert api.get(f"/api/v1/bookings?from={later}", as_="admin").get_json()["total"] == 0
    assert api.get("/api/v1/bookings?base_id=2", as_="admin").get_json()["total"] == 0
    assert api.get("/api/v1/bookings?status=nope", as_="admin").status_code == 422


def test_notifications_api(world, api):
    _book(api)
    r = api.get("/api/v1/me/notifications", as_="manager")
    body = r.get_json()
    assert body["total"] == 1 and body["items"][0]["kind"] == "booking_created"
    n = body["items"][0]
    assert set(n) == {"id", "kind", "booking_id", "title", "body", "created_at", "read_at"} and n["read_at"] is None
    assert api.post(f"/api/v1/me/notifications/{n['id']}/read", as_="secretary").status_code == 404
    r = api.post(f"/api/v1/me/notifications/{n['id']}/read", as_="manager")
    assert r.status_code == 200 and r.get_json()["read_at"]
    assert api.get("/api/v1/me/notifications?unread=true", as_="manager").get_json()["total"] == 0
    assert api.get("/api/v1/me/notifications?unread=false", as_="manager").get_json()["total"] == 1


def test_occupancy_never_negative_and_matches_live_bookings(world, api):
    ids = [_book(api, headcount=15).get_json()["id"], _book(api, as_="secretary2", headcount=25).get_json()["id"]]
    api.post(f"/api/v1/bookings/{ids[0]}/reject", as_="manager", json={"reason": "x"})
    api.post(f"/api/v1/bookings/{ids[1]}/cancel", as_="secretary2")
    occ = db.session.scalar(select(SlotOccupancy))
    assert occ.held == 0


def test_history_rows_are_never_removed(world, api):
    a = _book(api).get_json()
    api.post(f"/api/v1/bookings/{a['id']}/reject", as_="manager", json={"reason": "满"})
    assert db.session.scalar(select(func.count()).select_from(BookingEvent)) == 2
