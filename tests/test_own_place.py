"""Activities at the branch's own place: recorded by its secretary, never overlapping its other activities."""
from collections import Counter
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.errors import DuplicateBooking, NotAllowed, ValidationFailed
from booking.reservations import own
from models import Booking, db
from tests.factories import booking, slot_start, user

PASSWORD = "demo-pass-2026"


def _fields(**over):
    start = clock.at_local(clock.local_today() + timedelta(days=2), time(19))
    return {"activity_type": "committee_meeting", "start": start, "end": start + timedelta(hours=1, minutes=30),
            "address": "区财政局 3 楼党员活动室", "topic": "研究第四季度党员发展工作", "headcount": 7,
            "contact_name": "王芳", "contact_phone": "13800000000", **over}


def test_a_secretary_records_a_committee_meeting_in_the_branchs_own_room(world):
    sec = user("secretary")
    b = own.create(sec, **_fields())
    assert (b.source, b.status, b.base_id, b.venue_id, b.menu_item_id) == ("own", "approved", None, None, None)
    assert b.address == "区财政局 3 楼党员活动室" and b.branch_id == sec.branch_id and b.activity_type == "committee_meeting"
    assert [e.action for e in b.events] == ["created"]
    assert own.usual_address(sec.branch_id) == "区财政局 3 楼党员活动室"
    # Recorded afterwards (within a month) too.
    then = clock.at_local(clock.local_today() - timedelta(days=20), time(15))
    assert own.create(sec, **_fields(start=then, end=then + timedelta(hours=2))).status == "approved"


def test_bad_activities_are_refused_with_every_field_named(world):
    sec = user("secretary")
    start = clock.now() - timedelta(days=40)
    with pytest.raises(ValidationFailed) as err:
        own.create(sec, **_fields(activity_type="party", start=start, end=start + timedelta(hours=9), address=" ",
                                  topic="", headcount=0, contact_phone="abc"))
    assert set(err.value.fields) == {"activity_type", "start", "end", "address", "topic", "headcount", "contact_phone"}
    with pytest.raises(ValidationFailed) as err:
        own.create(sec, **_fields(address="会议室\u202e"))
    assert "address" in err.value.fields
    with pytest.raises(NotAllowed):
        own.create(user("manager"), **_fields())


def test_two_activities_of_a_branch_never_overlap_at_a_base_or_at_home(world):
    sec = user("secretary")
    visit = booking(start=slot_start(3, 9))
    with pytest.raises(DuplicateBooking) as err:
        own.create(sec, **_fields(start=visit.starts_at + timedelta(minutes=30),
                                  end=visit.starts_at + timedelta(hours=3)))
    assert "已有活动" in err.value.message
    first = own.create(sec, **_fields())
    with pytest.raises(DuplicateBooking):
        own.create(sec, **_fields(start=first.starts_at + timedelta(minutes=45)))
    # Another branch at the same time is fine; so is the same branch right after.
    own.create(user("secretary2"), **_fields())
    assert own.create(sec, **_fields(start=first.ends_at, end=first.ends_at + timedelta(hours=1))).id
    assert db.session.scalar(select(Booking.id).where(Booking.source == "own").limit(1))


def test_activities_recorded_at_once_in_several_processes_never_overlap(world):
    """Four gunicorn workers, twenty requests for overlapping times of one branch: exactly one is written."""
    from tests.server import assert_integrity, call, gunicorn, simultaneously
    branch = user("secretary").branch_id
    starts = [clock.at_local(clock.local_today() + timedelta(days=3), time(19, 2 * n)) for n in range(20)]
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        # A token each, as from twenty phones: one token's row would order the requests by itself.
        tokens = [call(url, "POST", "/api/v1/auth/token", {"username": "secretary", "password": PASSWORD})[1]["token"]
                  for _ in starts]
        body = {"place": "own", "activity_type": "group_meeting", "address": "第一党小组活动室", "topic": "交流学习体会",
                "headcount": 6, "contact_name": "王芳", "contact_phone": "13800000000"}
        results = simultaneously([(url, "POST", "/api/v1/bookings",
                                   {**body, "start": clock.iso(s), "end": clock.iso(s + timedelta(hours=1))}, token)
                                  for s, token in zip(starts, tokens)])
    outcome = Counter((status, b.get("error", {}).get("code")) for status, b in results)
    assert outcome == Counter({(201, None): 1, (409, "duplicate_booking"): 19}), outcome
    assert len(db.session.scalars(select(Booking).where(Booking.branch_id == branch, Booking.source == "own")).all()) == 1
    assert_integrity()


def test_the_jobs_remind_an_own_activity_and_never_mark_it_a_no_show(world, monkeypatch):
    from booking.jobs import services as jobs
    from models import Notification
    sec = user("secretary")
    b = own.create(sec, **_fields())
    monkeypatch.setattr(clock, "now", lambda: b.starts_at - timedelta(hours=3))
    assert jobs.send_reminders() == "reminded 1"
    told = db.session.scalar(select(Notification).where(Notification.kind == "reminder",
                                                        Notification.booking_id == b.id))
    assert told.user_id == sec.id and "区财政局 3 楼党员活动室" in told.body and "支委会" in told.title
    later = b.starts_at + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    jobs.mark_no_shows()
    db.session.expire_all()
    assert db.session.get(Booking, b.id).status == "approved"  # waits for its secretary to record it


def test_the_secretary_changes_cancels_and_records_an_own_activity(world, api, monkeypatch):
    from booking.reservations import lifecycle
    sec = user("secretary")
    b = own.create(sec, **_fields())
    for action in ("approve", "check_in", "mark_no_show", "invite_partner", "invite_lecturer"):
        assert not lifecycle.allows(action, user("admin"), b), action
    assert lifecycle.refusal("check_in", user("admin"), b).message == "本支部自行开展的活动不在基地，不需要签到。"
    r = api.post(f"/api/v1/bookings/{b.id}/attendance", as_="secretary", json={"visitor_count": 6})
    assert r.status_code == 409  # not begun
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(minutes=20))
    assert api.post(f"/api/v1/bookings/{b.id}/attendance", as_="manager", json={"visitor_count": 6}).status_code in (403, 404)
    r = api.post(f"/api/v1/bookings/{b.id}/attendance", as_="secretary", json={"visitor_count": 6})
    assert r.status_code == 200 and r.get_json()["status"] == "completed", r.get_json()
    other = own.create(sec, **_fields(start=b.starts_at + timedelta(days=3), end=b.ends_at + timedelta(days=3)))
    r = api.post(f"/api/v1/bookings/{other.id}/cancel", as_="secretary", json={"reason": "改期"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"


def test_an_own_activity_shows_on_its_page_and_in_the_list(world, client):
    from tests.conftest import login
    b = own.create(user("secretary"), **_fields())
    login(client, "secretary")
    r = client.get(f"/bookings/{b.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "区财政局 3 楼党员活动室" in html and "研究第四季度党员发展工作" in html
    assert "签到码" not in html  # nothing to check in at home
    # Reproduced (the journey's screenshots): the page called it a 预约 approved by nobody, its history said
    # 提交预约, and cancelling it warned that places would go to other branches.
    assert f"<title>预约 {b.code}" not in html and "已登记" in html and "登记活动" in html
    assert "修改时间、地点、人数或主题" in html and "名额将释放给其他支部" not in html and "取消活动" in html
    html = client.get("/bookings").get_data(as_text=True)
    assert "研究第四季度党员发展工作" in html and "区财政局 3 楼党员活动室" in html


def test_an_own_activity_is_no_base_visit_in_the_statistics(world, api, monkeypatch):
    sec = user("secretary")
    before = api.get("/api/v1/stats?group_by=base", as_="admin").get_json()
    b = own.create(sec, **_fields())
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(hours=1))
    assert api.post(f"/api/v1/bookings/{b.id}/attendance", as_="secretary", json={"visitor_count": 6}).status_code == 200
    after = api.get("/api/v1/stats?group_by=base", as_="admin").get_json()
    assert after["total"] == before["total"], (before["total"], after["total"])
    for group in ("base_type", "month", "organization", "lecturer"):
        r = api.get(f"/api/v1/stats?group_by={group}", as_="admin").get_json()
        assert r["total"] == before["total"], group


def test_an_own_activitys_record_says_the_branch_counted_it(world, monkeypatch):
    """Reproduced (rendered as the secretary files it): an own activity's record read "基地登记" for its count."""
    from booking.members import documents
    from booking.visits import services as visits
    sec = user("secretary")
    b = own.create(sec, **_fields())
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(hours=2))
    visits.record_attendance(sec, b, 7)
    record = documents.record_of(b)
    fields = dict(record.fields)
    assert fields["到场人数"] == "7 人（支部登记，含非党员）" and fields["地点"] == "区财政局 3 楼党员活动室"
    # Reproduced: every own meeting's record read "评价：未评价", and the page offered to rate the branch's own
    # 支委会. A branch's own meeting is not rated (a lecture it ordered is).
    assert record.rating is None and "评价" not in [row[0][0] for row in documents.form_rows(record)]
    from booking.errors import InvalidState
    with pytest.raises(InvalidState):
        visits.give_feedback(sec, b, 5, "")


def test_the_secretary_changes_an_own_activitys_time_place_and_headcount(world, api):
    """A change of an own activity takes no base's places: headcount, time and address change under the branch's
    lock, still never overlapping another activity of the branch; a base visit's time is not changed this way."""
    b = own.create(user("secretary"), **_fields())
    later = b.starts_at + timedelta(days=1)
    r = api.patch(f"/api/v1/bookings/{b.id}", as_="secretary",
                  json={"headcount": 9, "start": later.isoformat(), "end": (later + timedelta(hours=2)).isoformat(),
                        "address": "社区党群服务站二楼"})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert got["headcount"] == 9 and got["address"] == "社区党群服务站二楼"
    assert clock.parse_datetime(got["start"]) == later
    events = api.get(f"/api/v1/bookings/{b.id}/history", as_="secretary").get_json()
    assert "社区党群服务站二楼" in events["items"][-1]["note"]
    r = api.patch(f"/api/v1/bookings/{b.id}", as_="secretary", json={"end": later.isoformat()})
    assert r.status_code == 422 and "end" in r.get_json()["error"]["fields"]
    visit = booking(start=slot_start(5))
    r = api.patch(f"/api/v1/bookings/{visit.id}", as_="secretary", json={"start": later.isoformat()})
    assert r.status_code == 422 and "start" in r.get_json()["error"]["fields"]
    clashing = own.create(user("secretary"), **_fields(start=later + timedelta(days=2),
                                                      end=later + timedelta(days=2, hours=1)))
    r = api.patch(f"/api/v1/bookings/{clashing.id}", as_="secretary",
                  json={"start": later.isoformat(), "end": (later + timedelta(hours=1)).isoformat()})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking"
    from booking.reservations.integrity import check
    assert check() == []


def test_the_secretary_records_and_changes_an_own_activity_on_its_page(world, client):
    """The page a secretary uses on the phone: the usual room prefilled, every wrong field named beside it with
    the typed values kept, then the activity on its page; its form changes it; other roles cannot reach it."""
    from tests.conftest import login
    login(client, "secretary")
    html = client.get("/bookings/own/new").get_data(as_text=True)
    assert "登记本支部活动" in html and "党员活动室" in html
    day = (clock.local_today() + timedelta(days=3)).isoformat()
    form = {"activity_type": "group_meeting", "day": day, "start": "19:00", "end": "18:00",
            "address": "社区党群服务站", "topic": "学习党的二十届四中全会精神", "headcount": "8",
            "contact_name": "王芳", "contact_phone": "13800000000", "note": ""}
    r = client.post("/bookings/own/new", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "结束时间应晚于开始时间" in html and "学习党的二十届四中全会精神" in html
    r = client.post("/bookings/own/new", data={**form, "end": "20:30"})
    assert r.status_code == 302, r.get_data(as_text=True)
    b = db.session.scalars(select(Booking).where(Booking.topic == "学习党的二十届四中全会精神")).one()
    assert (b.source, b.status, b.activity_type, b.address) == ("own", "approved", "group_meeting", "社区党群服务站")
    assert clock.local(b.starts_at).strftime("%H:%M") == "19:00" and b.duration_minutes == 90
    html = client.get(f"/bookings/{b.id}/edit").get_data(as_text=True)
    assert "修改本支部活动" in html and 'value="社区党群服务站"' in html
    r = client.post(f"/bookings/{b.id}/edit", data={**form, "end": "21:00", "address": "支部会议室"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, b.id).address == "支部会议室" and db.session.get(Booking, b.id).duration_minutes == 120
    r = client.post("/bookings/own/new", data={**form, "end": "20:00"})  # the same evening again
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "本支部在该时间已有活动" in html and 'value="社区党群服务站"' in html
    for role in ("manager", "admin", "lecturer"):
        client.post("/logout")
        login(client, role)
        assert client.get("/bookings/own/new").status_code == 403, role


def test_an_own_activity_earns_its_study_hours_alike_on_every_page(world, api, monkeypatch):
    """Reproduced: the roster of an own activity answered 500 (the hours were read from a menu item it does not
    have), and the branch's study-hours table left own activities out. A 90-minute 党小组会 in the branch's room
    earns each member present 2 hours (90 / 45) on the roster, the branch's table and the member's own page."""
    from booking.members import services as members
    sec = user("secretary")
    branch = sec.branch
    made = [api.post(f"/api/v1/branches/{branch.id}/members", as_="secretary",
                     json={"name": name, "role": "member"}).get_json()["id"] for name in ("陈红", "刘洋")]
    b = own.create(sec, **_fields(activity_type="group_meeting"))
    assert api.put(f"/api/v1/bookings/{b.id}/roster", as_="secretary", json={"member_ids": made}).status_code == 200
    monkeypatch.setattr(clock, "now", lambda: b.starts_at + timedelta(hours=2))
    assert api.post(f"/api/v1/bookings/{b.id}/attendance", as_="secretary", json={"visitor_count": 2}).status_code == 200
    r = api.put(f"/api/v1/bookings/{b.id}/roster/attendance", as_="secretary", json={"present": made, "absent": []})
    assert r.status_code == 200, r.get_json()
    roster = api.get(f"/api/v1/bookings/{b.id}/roster", as_="secretary")
    assert roster.status_code == 200 and {e["study_hours"] for e in roster.get_json()["items"]} == {2.0}
    year = b.day.year
    table = api.get(f"/api/v1/branches/{branch.id}/study-hours?year={year}", as_="secretary").get_json()["items"]
    assert {i["member_id"]: i["hours"] for i in table if i["member_id"] in made} == {m: 2.0 for m in made}
    from models import Member
    assert members.member_year(db.session.get(Member, made[0]), year).hours == 2.0
