"""The catalogue: bases, base detail, availability rules, branches; through services and the API."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from booking import clock
from booking.catalog import services
from models import Base, Closure, MenuItem, OpeningSlot, SlotOccupancy, db


def _item(title="重温入党誓词") -> MenuItem:
    return db.session.scalar(select(MenuItem).where(MenuItem.title == title))


def _in_days(n: int) -> date:
    return clock.local_today() + timedelta(days=n)


def test_bases_list_and_filters(world, api):
    r = api.get("/api/v1/bases", as_="secretary")
    body = r.get_json()
    assert r.status_code == 200 and body["total"] == 4
    first = body["items"][0]
    assert set(first) >= {"id", "name", "type", "address", "description", "venue_count", "menu_item_count"}
    assert first["venue_count"] == 2 and first["menu_item_count"] == 3
    red = api.get("/api/v1/bases?type=red", as_="secretary").get_json()
    assert [b["type"] for b in red["items"]] == ["red"]
    q = api.get("/api/v1/bases?q=科技", as_="secretary").get_json()
    assert [b["name"] for b in q["items"]] == ["智造科技创新基地"]
    assert api.get("/api/v1/bases?q=不存在的基地", as_="secretary").get_json() == {
        "items": [], "total": 0, "page": 1, "per_page": 20}
    assert api.get("/api/v1/bases?q=100%", as_="secretary").get_json()["total"] == 0


def test_bases_pagination(world, api):
    page = api.get("/api/v1/bases?per_page=3&page=2", as_="admin").get_json()
    assert page["total"] == 4 and len(page["items"]) == 1
    r = api.get("/api/v1/bases?per_page=101", as_="admin")
    assert r.status_code == 422 and "per_page" in r.get_json()["error"]["fields"]
    r = api.get("/api/v1/bases?page=0", as_="admin")
    assert r.status_code == 422 and "page" in r.get_json()["error"]["fields"]
    r = api.get("/api/v1/bases?type=castle", as_="admin")
    assert r.status_code == 422 and "type" in r.get_json()["error"]["fields"]


def test_base_detail_shape(world, api):
    body = api.get("/api/v1/bases/1", as_="lecturer").get_json()
    assert body["rules"] == {"min_advance_days": 1, "max_advance_days": 60, "cancel_deadline_hours": 24,
                             "requires_approval": True, "opens_on_holidays": True,
                             "max_live_per_branch": None, "max_per_branch_per_month": None}  # no shares: no limit
    assert {v["kind"] for v in body["venues"]} <= {"museum", "exhibition_hall", "lecture_hall", "service_center", "outdoor", "other"}
    item = body["menu"][0]
    assert set(item) >= {"id", "title", "category", "content_topic", "duration_minutes", "min_group", "max_group",
                         "needs_lecturer", "venue_id"}
    assert api.get("/api/v1/bases/999", as_="lecturer").status_code == 404
    assert api.get("/api/v1/bases/99999999999999999999", as_="lecturer").status_code == 404


def test_availability_lists_the_days_slots(world, api):
    item = _item()
    day = _in_days(3)
    body = api.get(f"/api/v1/menu-items/{item.id}/availability?date={day}", as_="secretary").get_json()
    assert body["date"] == day.isoformat() and body["menu_item_id"] == item.id and body["venue_id"] == item.venue_id
    assert [s["start"][11:16] for s in body["slots"]] == ["09:00", "14:00"]
    slot = body["slots"][0]
    assert slot["start"].endswith("+08:00") and slot["capacity"] == 80 and slot["remaining"] == 80 and slot["bookable"]


def test_availability_window(world):
    item = _item()
    today = services.availability(item, _in_days(0))
    assert today and not any(s.bookable for s in today)  # min_advance_days is 1
    assert all(s.bookable for s in services.availability(item, _in_days(1)))
    assert all(s.bookable for s in services.availability(item, _in_days(60)))
    assert not any(s.bookable for s in services.availability(item, _in_days(61)))
    assert not any(s.bookable for s in services.availability(item, _in_days(-3)))


def test_availability_counts_held_places(world):
    item = _item()
    day = _in_days(5)
    start = clock.at_local(day, time(9))
    db.session.add(SlotOccupancy(venue_id=item.venue_id, starts_at=start, ends_at=start + timedelta(hours=2),
                                 capacity=80, held=75))
    db.session.commit()
    morning, afternoon = services.availability(item, day)
    assert morning.remaining == 5 and not morning.bookable  # the item's smallest group is 10
    assert afternoon.remaining == 80 and afternoon.bookable


def test_closed_days_give_no_slots(world):
    item = _item()
    day = _in_days(7)
    db.session.add(Closure(base_id=item.base_id, venue_id=None, start_date=day, end_date=day + timedelta(days=1),
                           reason="设备检修"))
    db.session.commit()
    assert services.availability(item, day) == []
    assert services.availability(item, day + timedelta(days=1)) == []
    assert services.availability(item, day + timedelta(days=2)) != []


def test_venue_closure_only_closes_that_venue(world):
    item = _item()
    other = db.session.scalar(select(MenuItem).where(MenuItem.base_id == item.base_id, MenuItem.venue_id != item.venue_id))
    day = _in_days(8)
    db.session.add(Closure(base_id=item.base_id, venue_id=item.venue_id, start_date=day, end_date=day, reason="布展"))
    db.session.commit()
    assert services.availability(item, day) == []
    assert services.availability(other, day) != []


def test_inactive_slot_is_not_offered(world):
    item = _item()
    day = _in_days(4)
    slot = db.session.scalar(select(OpeningSlot).where(OpeningSlot.venue_id == item.venue_id,
                                                       OpeningSlot.weekday == day.weekday(),
                                                       OpeningSlot.start_time == time(14)))
    slot.active = False
    db.session.commit()
    assert [clock.local(s.start).hour for s in services.availability(item, day)] == [9]


def test_availability_respects_time_zone_setting(world):
    world.config["TIMEZONE"] = "UTC"
    item = _item()
    slots = services.availability(item, _in_days(3))
    assert slots[0].start.astimezone(timezone.utc).hour == 9


def test_availability_bad_input(world, api):
    item = _item()
    r = api.get(f"/api/v1/menu-items/{item.id}/availability", as_="secretary")
    assert r.status_code == 422 and "date" in r.get_json()["error"]["fields"]
    r = api.get(f"/api/v1/menu-items/{item.id}/availability?date=2026-13-40", as_="secretary")
    assert r.status_code == 422
    assert api.get("/api/v1/menu-items/9999/availability?date=2026-12-01", as_="secretary").status_code == 404


def test_branches_for_managers_and_secretaries(world, api):
    from tests.world import BRANCHES, ORGANIZATIONS
    r = api.get("/api/v1/branches?q=滨江", as_="manager")
    body = r.get_json()
    by_name_or_organisation = [b for org, _, names in ORGANIZATIONS for b in names if "滨江" in org or "滨江" in b]
    assert r.status_code == 200 and body["total"] == len(by_name_or_organisation) == 2
    item = body["items"][0]
    assert set(item) == {"id", "name", "organization"}
    assert set(item["organization"]) == {"id", "name", "sector", "area_id"}  # the contract's Areas: where it lies
    assert api.get("/api/v1/branches", as_="admin").get_json()["total"] == len(BRANCHES)
    # Secretaries find the partners of a joint booking; lecturers have no use for the list.
    assert api.get("/api/v1/branches?q=滨江", as_="secretary").get_json()["total"] == body["total"]
    assert api.get("/api/v1/branches", as_="lecturer").status_code == 403


def test_catalogue_pages(world, client):
    from tests.conftest import login
    login(client, "secretary")
    html = client.get("/bases?type=tech").get_data(as_text=True)
    assert "智造科技创新基地" in html and "红星革命纪念馆" not in html
    assert "红星革命纪念馆" in client.get("/bases/1").get_data(as_text=True)
    item = _item()
    day = _in_days(2)
    html = client.get(f"/menu-items/{item.id}?date={day}").get_data(as_text=True)
    assert "09:00–11:00" in html and "剩余 80 / 80 位" in html
    assert client.get("/bases/999").status_code == 404
    assert "页面不存在" in client.get("/no/such/page").get_data(as_text=True)


def test_inactive_base_hidden(world, api):
    base = db.session.get(Base, 1)
    base.active = False
    db.session.commit()
    assert api.get("/api/v1/bases/1", as_="secretary").status_code == 404
    assert api.get("/api/v1/bases", as_="secretary").get_json()["total"] == 3


@pytest.mark.parametrize("weekday", range(7))
def test_demo_slots_cover_every_day(world, weekday):
    for base in db.session.scalars(select(Base)):
        for venue in base.venues:
            assert any(s.weekday == weekday for s in venue.slots), (base.name, venue.name)


def test_parse_datetime_without_offset_is_local(world):
    dt = clock.parse_datetime("2026-12-03T09:00:00")
    assert dt == datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)
    assert clock.parse_datetime("2026-12-03T09:00:00+08:00") == dt


def test_a_manager_sees_todays_remaining_slots_and_records_a_walk_in(world, client, monkeypatch):
    # Reported (pilot): the day grid started tomorrow and today's slots all read as outside the booking window,
    # although an offline booking for later today is accepted.
    from datetime import time as _time

    from models import Booking, MenuItem, OpeningSlot, db
    from tests.conftest import login
    from tests.factories import user
    item = db.session.scalar(select(MenuItem).where(MenuItem.title == "重温入党誓词"))
    today = clock.local_today()
    db.session.add(OpeningSlot(venue_id=item.venue_id, weekday=today.weekday(), start_time=_time(23, 0),
                               end_time=_time(23, 50), capacity=80))
    db.session.commit()
    start = clock.at_local(today, _time(23, 0))
    morning = clock.at_local(today, _time(8, 0))
    monkeypatch.setattr(clock, "now", lambda: morning)  # whenever the suite runs, it is 08:00 today here
    login(client, "manager")
    html = client.get(f"/menu-items/{item.id}?date={today.isoformat()}").get_data(as_text=True)
    assert f"start={clock.local(start):%Y-%m-%dT%H:%M}" in html  # 预约此场 for tonight's slot
    r = client.post(f"/bookings/new?item_id={item.id}&start={clock.local(start):%Y-%m-%dT%H:%M}",
                    data={"headcount": 12, "contact_name": "王芳", "contact_phone": "13800000000", "topic": "",
                          "note": "现场", "branch_id": user("secretary2").branch_id})
    assert r.status_code == 302
    walk_in = db.session.scalar(select(Booking).where(Booking.starts_at == start))
    assert walk_in.source == "offline" and walk_in.status == "approved"
    # A secretary's grid still starts with the base's window.
    client.post("/logout")
    login(client, "secretary")
    html = client.get(f"/menu-items/{item.id}?date={today.isoformat()}").get_data(as_text=True)
    assert f"start={clock.local(start):%Y-%m-%dT%H:%M}" not in html


def test_booking_inside_the_cancel_deadline_is_warned_before_submitting(world, client):
    from models import MenuItem, db
    from tests.conftest import login
    from tests.factories import slot_start
    item = db.session.scalar(select(MenuItem).where(MenuItem.title == "重温入党誓词"))
    item.base.cancel_deadline_hours = 24 * 4
    db.session.commit()
    login(client, "secretary")
    near, far = slot_start(2, 9), slot_start(6, 9)
    html = client.get(f"/bookings/new?item_id={item.id}&start={clock.local(near):%Y-%m-%dT%H:%M}").get_data(as_text=True)
    assert "提交后本支部不能自行取消或修改" in html
    html = client.get(f"/bookings/new?item_id={item.id}&start={clock.local(far):%Y-%m-%dT%H:%M}").get_data(as_text=True)
    assert "提交后本支部不能自行取消或修改" not in html


def test_an_offline_booking_is_never_for_a_slot_that_has_begun(world):
    from booking.errors import OutsideBookingWindow
    from booking.reservations import records
    from tests.factories import item as menu_item, slot_start, user
    start = slot_start(0, 14)
    with pytest.raises(OutsideBookingWindow):
        records.create_booking(user("manager"), menu_item_id=menu_item().id, start=start, headcount=10,
                                    contact_name="王芳", contact_phone="13800000000",
                                    branch_id=user("secretary").branch_id, now=start + timedelta(minutes=5))
    made = records.create_booking(user("manager"), menu_item_id=menu_item().id, start=start, headcount=10,
                                       contact_name="王芳", contact_phone="13800000000",
                                       branch_id=user("secretary").branch_id, now=start - timedelta(minutes=5))
    assert made.source == "offline"


def test_a_closed_day_says_why(world, client):
    from tests.conftest import login
    from tests.factories import item as menu_item
    item = menu_item()
    day = clock.local_today() + timedelta(days=6)
    db.session.add(Closure(base_id=item.base_id, venue_id=None, start_date=day, end_date=day, reason="设备检修"))
    db.session.commit()
    login(client, "secretary")
    html = client.get(f"/menu-items/{item.id}?date={day.isoformat()}").get_data(as_text=True)
    assert "当天闭馆（设备检修）" in html and "闭馆：设备检修" in html


def test_a_slot_the_branch_holds_links_to_its_booking(world, client):
    from tests.conftest import login
    from tests.factories import booking, item as menu_item, slot_start
    b = booking(start=slot_start(5, 9))
    login(client, "secretary")
    day = clock.local(b.starts_at).date().isoformat()
    html = client.get(f"/menu-items/{menu_item().id}?date={day}").get_data(as_text=True)
    assert "本支部已预约" in html and f"/bookings/{b.id}" in html
    client.post("/logout")
    login(client, "secretary2")
    assert "本支部已预约" not in client.get(f"/menu-items/{menu_item().id}?date={day}").get_data(as_text=True)


def test_the_base_page_tells_a_visitor_when_where_and_whom_to_call(world, client):
    from tests.conftest import login
    base = db.session.get(Base, 1)
    base.visitor_notes = "地铁 2 号线红星站 B 口步行 300 米；\n大巴可停东门停车场。"
    base.contact_name = "李馆长"
    day = clock.local_today() + timedelta(days=9)
    db.session.add(Closure(base_id=1, venue_id=None, start_date=day, end_date=day, reason="布展"))
    db.session.commit()
    assert services.opening_hours(1) == [("周一至周日", "09:00–11:00、14:00–16:00")]
    login(client, "secretary")
    html = client.get("/bases/1").get_data(as_text=True)
    assert "周一至周日 09:00–11:00、14:00–16:00" in html
    assert f"闭馆：{clock.day_text(day)}" in html and "布展" in html
    assert "https://uri.amap.com/search?keyword=" in html and "打开地图导航" in html
    assert "李馆长" in html and f'href="tel:{base.contact_phone}"' in html
    assert "大巴可停东门停车场" in html


def test_opening_hours_group_days_with_the_same_times(world):
    venue = db.session.get(Base, 1).venues[0]
    for slot in db.session.scalars(select(OpeningSlot).join(OpeningSlot.venue).where(
            OpeningSlot.weekday >= 5)):
        slot.active = False
    db.session.add(OpeningSlot(venue_id=venue.id, weekday=5, start_time=time(8, 30), end_time=time(12), capacity=20))
    db.session.commit()
    assert services.opening_hours(1) == [("周一至周五", "09:00–11:00、14:00–16:00"), ("周六", "08:30–12:00")]


def test_the_booking_page_carries_the_visitor_notes_and_the_base_contact(world, client):
    from tests.conftest import login
    from tests.factories import booking, slot_start
    base = db.session.get(Base, 1)
    base.visitor_notes, base.contact_name = "请提前 10 分钟到东门集合。", "李馆长"
    db.session.commit()
    b = booking(start=slot_start(5, 9))
    login(client, "secretary")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "请提前 10 分钟到东门集合。" in html and "李馆长" in html and "uri.amap.com" in html


def test_a_manager_changes_the_base_through_the_api(world, api):
    r = api.patch("/api/v1/bases/1", as_="manager", json={
        "visitor_notes": "东门停车", "rules": {"max_advance_days": 45}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["visitor_notes"] == "东门停车" and body["rules"]["max_advance_days"] == 45
    assert body["rules"]["min_advance_days"] == 1 and body["name"] == "红星革命纪念馆"  # not sent: unchanged
    r = api.patch("/api/v1/bases/1", as_="manager", json={"rules": {"min_advance_days": 50}})
    assert r.status_code == 422 and "max_advance_days" in r.get_json()["error"]["fields"]
    r = api.patch("/api/v1/bases/1", as_="manager", json={"rules": {"cancel_deadline_hours": "x"}, "name": ""})
    fields = r.get_json()["error"]["fields"]
    assert r.status_code == 422 and "rules.cancel_deadline_hours" in fields
    assert api.patch("/api/v1/bases/1", as_="manager", json={"rules": [1]}).status_code == 422
    assert api.patch("/api/v1/bases/2", as_="manager", json={"visitor_notes": "x"}).status_code == 403
    assert api.patch("/api/v1/bases/2", as_="secretary", json={"visitor_notes": "x"}).status_code == 403
    assert api.patch("/api/v1/bases/2", as_="admin", json={"contact_phone": "0571-8888888"}).status_code == 200
    assert api.patch("/api/v1/bases/999", as_="admin", json={}).status_code == 404
    assert db.session.get(Base, 1).max_advance_days == 45


def test_the_calendar_shows_the_whole_booking_window_in_pages(world, client):
    from tests.conftest import login
    item = _item()
    login(client, "secretary")
    html = client.get(f"/menu-items/{item.id}").get_data(as_text=True)
    first, last = _in_days(1), _in_days(60)  # the demo base: 1–60 days ahead
    assert "第 1 / 3 页" in html and f"可预约至 {clock.day_text(last)}" in html
    assert f"date={first.isoformat()}" in html and f"date={_in_days(29).isoformat()}\"" not in html
    html = client.get(f"/menu-items/{item.id}?date={first.isoformat()}&from={_in_days(57).isoformat()}").get_data(as_text=True)
    assert "第 3 / 3 页" in html and f"date={last.isoformat()}" in html and f"date={_in_days(61).isoformat()}" not in html
    # The chosen day's page is shown when no page is asked for.
    html = client.get(f"/menu-items/{item.id}?date={_in_days(40).isoformat()}").get_data(as_text=True)
    assert "第 2 / 3 页" in html and "剩余 80 / 80 位" in html
