"""Rules decided once: what may be waited for, and the no-show block, say the same on the pages and in the API."""
import re
from datetime import timedelta

from sqlalchemy import select

from booking import clock
from booking.jobs import services as jobs
from models import Base, Branch, db
from tests.conftest import login
from tests.factories import booking, item, slot_start, user


def _fill(start, *sizes):
    """Places of a slot held by offline bookings of branches other than the secretaries' own."""
    others = db.session.scalars(select(Branch.id).where(
        Branch.id.not_in([user("secretary").branch_id, user("secretary2").branch_id])).order_by(Branch.id)).all()
    for branch_id, n in zip(others, sizes):
        booking("manager", start=start, headcount=n, branch_id=branch_id)


def _slot(api, start) -> dict:
    day = clock.local(start).date()
    got = api.get(f"/api/v1/menu-items/{item().id}/availability?date={day.isoformat()}", as_="secretary").get_json()
    return next(s for s in got["slots"] if s["start"] == clock.iso(start))


def _join(api, start, headcount, as_="secretary"):
    return api.post("/api/v1/waitlist", as_=as_, json={
        "menu_item_id": item().id, "start": clock.iso(start), "headcount": headcount, "contact_name": "联系人",
        "contact_phone": "13800000000"})


def _new_page(client, start) -> str:
    return client.get(f"/bookings/new?item_id={item().id}&start={clock.local(start):%Y-%m-%dT%H:%M}").get_data(
        as_text=True)


def test_the_api_says_from_what_headcount_a_slot_may_be_waited_for_and_join_agrees(world, api):
    empty, some, full = slot_start(3), slot_start(4), slot_start(5)
    _fill(some, 30)      # 50 left of 80: a group of 51–60 (the item's most) may wait
    _fill(full, 60, 15)  # 5 left: fewer than the item's least (10), so any group may wait
    assert _slot(api, empty)["waitlist_from"] is None
    assert _slot(api, some)["waitlist_from"] == 51 and _slot(api, some)["bookable"]
    assert _slot(api, full)["waitlist_from"] == 10 and not _slot(api, full)["bookable"]
    assert _join(api, empty, 60).get_json()["error"]["code"] == "slot_available"
    assert _join(api, some, 50).get_json()["error"]["code"] == "slot_available"
    assert _join(api, some, 51).status_code == 201
    assert _join(api, full, 10, as_="secretary2").status_code == 201
    # Outside the online booking window nothing may be waited for, whatever the room.
    db.session.get(Base, item().base_id).min_advance_days = 5
    db.session.commit()
    assert _slot(api, some)["waitlist_from"] is None
    assert _join(api, some, 55, as_="secretary2").get_json()["error"]["code"] == "outside_booking_window"


def test_the_pages_offer_the_waitlist_where_the_api_says_it_may_be_joined(world, api, client):
    empty, some, full = slot_start(3), slot_start(4), slot_start(5)
    _fill(some, 30)
    _fill(full, 60, 15)
    login(client, "secretary")
    assert 'name="waitlist"' not in _new_page(client, empty)
    assert 'name="waitlist"' in _new_page(client, some) and 'name="waitlist"' in _new_page(client, full)
    picker = client.get(f"/menu-items/{item().id}?date={clock.local(full):%Y-%m-%d}").get_data(as_text=True)
    assert f"已约满，候补 {clock.local(full):%H:%M} 场" in picker
    # The window closes on both: the API says no waiting, and so do the pages.
    db.session.get(Base, item().base_id).min_advance_days = 6
    db.session.commit()
    assert _slot(api, some)["waitlist_from"] is None and _slot(api, full)["waitlist_from"] is None
    assert 'name="waitlist"' not in _new_page(client, some) and 'name="waitlist"' not in _new_page(client, full)
    picker = client.get(f"/menu-items/{item().id}?date={clock.local(full):%Y-%m-%d}").get_data(as_text=True)
    assert "候补" not in picker


def _block_the_secretarys_branch():
    for days in (-40, -20, -5):
        b = booking(start=slot_start(days))
        jobs.mark_no_shows(now=b.starts_at + timedelta(days=1))
    until = clock.local(slot_start(-5)).date() + timedelta(days=30)
    return clock.day_text(until)


def test_the_no_show_block_says_one_thing_to_the_api(world, api):
    until = _block_the_secretarys_branch()
    booked = api.post("/api/v1/bookings", as_="secretary", json={
        "menu_item_id": item().id, "start": clock.iso(slot_start(3)), "headcount": 20, "contact_name": "王芳",
        "contact_phone": "13800000000"}).get_json()["error"]
    _fill(slot_start(3), 60, 15)
    waited = _join(api, slot_start(3), 20).get_json()["error"]
    assert booked["code"] == waited["code"] == "branch_blocked"
    assert booked["message"] == waited["message"] and until in booked["message"]


def test_the_no_show_block_says_the_same_on_the_pages(world, api, client):
    until = _block_the_secretarys_branch()
    message = api.post("/api/v1/bookings", as_="secretary", json={
        "menu_item_id": item().id, "start": clock.iso(slot_start(3)), "headcount": 20, "contact_name": "王芳",
        "contact_phone": "13800000000"}).get_json()["error"]["message"]
    login(client, "secretary")
    picker = client.get(f"/menu-items/{item().id}?date={clock.local(slot_start(3)):%Y-%m-%d}").get_data(as_text=True)
    assert message in picker and until in picker
    assert "预约此场" not in picker and "设置每月固定预约" not in picker
    r = client.post(f"/bookings/new?item_id={item().id}&start={clock.local(slot_start(3)):%Y-%m-%dT%H:%M}",
                    data={"headcount": "20", "contact_name": "王芳", "contact_phone": "13800000000"})
    assert r.status_code == 409 and message in r.get_data(as_text=True)
    assert re.search(r"贵支部近期多次预约未到场", message)
