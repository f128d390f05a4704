"""Open lectures (讲习活动) through the API: a lecture hall publishes a lecture in a slot, many branches book seats in
it, one lecturer serves them all and is counted once; cancelling it cancels every booking of its slot."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from booking import clock
from booking.reservations import integrity
from booking.visits import services as visits
from models import Booking, Branch, Lecture, Lecturer, Notification, db
from tests.factories import item, slot_start, user

LECTURE = "专题党课：红色家书里的初心"  # a lecture of the first base (manager's), 10–60 a group, a hall of 60


def _lecturer(name="张建国") -> Lecturer:
    return db.session.scalar(select(Lecturer).where(Lecturer.name == name))


def _publish(api, days=5, hour=14, lecturer="张建国", who="manager", **over):
    body = {"menu_item_id": item(LECTURE).id, "start": clock.iso(slot_start(days, hour)),
            "lecturer_id": _lecturer(lecturer).id, "topic": "学习贯彻党的二十届四中全会精神", **over}
    return api.post("/api/v1/lectures", as_=who, json=body)


def _book(api, who, start, headcount=10):
    return api.post("/api/v1/bookings", as_=who, json={
        "menu_item_id": item(LECTURE).id, "start": start, "headcount": headcount, "contact_name": "王芳",
        "contact_phone": "13800000000"})


def test_a_lecture_is_published_once_a_slot_and_listed_in_the_calendar(world, api):
    r = _publish(api)
    assert r.status_code == 201, r.get_json()
    lecture = r.get_json()
    assert {"id", "base_id", "venue_id", "menu_item_id", "start", "end", "topic", "lecturer_id", "lecturer_status",
            "capacity", "remaining", "status"} <= set(lecture)
    assert lecture["lecturer_status"] == "invited" and lecture["status"] == "published"
    assert lecture["capacity"] == lecture["remaining"] == 60
    r = _publish(api, lecturer="李秀英")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_lecture"
    # Not a slot; outside the window; not the base's manager; a busy lecturer.
    r = _publish(api, start=clock.iso(slot_start(5, 14) + timedelta(minutes=7)))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "not_a_slot"
    r = _publish(api, days=400)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "outside_booking_window"
    assert _publish(api, days=6, who="manager2").status_code == 403
    assert _publish(api, days=6, who="secretary").status_code == 403
    r = _publish(api, days=5, hour=9)  # the same lecturer on the same day, another slot: fine (no overlap)
    assert r.status_code == 201, r.get_json()
    listing = api.get("/api/v1/lectures", as_="secretary2").get_json()
    assert listing["total"] == 2 and [x["start"] for x in listing["items"]] == sorted(x["start"] for x in listing["items"])
    assert listing["items"][0]["base_name"] and listing["items"][0]["lecturer_name"] == "张建国"
    assert api.get("/api/v1/lectures").status_code == 401


def test_three_branches_book_one_lecture_and_the_summary_counts_one_session(world, api, monkeypatch):
    lecture = _publish(api, days=3).get_json()
    # The lecturer holds the time once, whoever books: a booking at another base at that time cannot have him.
    assert api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/accept", as_="lecturer").status_code == 200
    ids = []
    third = db.session.scalar(select(Branch.id).where(
        Branch.id.not_in([user("secretary").branch_id, user("secretary2").branch_id])).order_by(Branch.id))
    for who, n in (("secretary", 12), ("secretary2", 15), ("manager", 11)):
        r = _book(api, who, lecture["start"], n) if who != "manager" else api.post("/api/v1/bookings", as_="manager", json={
            "menu_item_id": item(LECTURE).id, "start": lecture["start"], "headcount": n, "contact_name": "李明",
            "contact_phone": "13900000000", "branch_id": third})
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        assert body["lecturer_id"] == lecture["lecturer_id"] and body["lecturer_status"] == "accepted"
        ids.append(body["id"])
    assert api.get(f"/api/v1/lectures/{lecture['id']}", as_="secretary").get_json()["remaining"] == 60 - 38
    # No invitation of its own.
    r = api.put(f"/api/v1/bookings/{ids[0]}/lecturer", as_="manager", json={"lecturer_id": _lecturer("李秀英").id})
    assert r.status_code == 409
    assert integrity.check() == []
    # The day: all three come; one lecture, three batches.
    today = clock.local_today()
    period = f"from={(today - timedelta(days=1)).isoformat()}&to={(today + timedelta(days=10)).isoformat()}"
    before = api.get(f"/api/v1/reports/summary?{period}", as_="admin").get_json()
    start = clock.parse_datetime(lecture["start"])
    for booking_id, came in zip(ids, (12, 14, 10)):
        b = db.session.get(Booking, booking_id)
        if b.status == "pending":
            api.post(f"/api/v1/bookings/{booking_id}/approve", as_="manager")
        visits.record_attendance(user("manager"), db.session.get(Booking, booking_id), came, now=start + timedelta(minutes=70))
    after = api.get(f"/api/v1/reports/summary?{period}", as_="admin").get_json()
    assert after["lectures"]["sessions"] == before["lectures"]["sessions"] + 1
    assert after["lectures"]["participants"] == before["lectures"]["participants"] + 36
    assert after["batches"] == before["batches"] + 3 and after["person_times"] == before["person_times"] + 36


def test_cancelling_a_lecture_cancels_every_booking_of_its_slot_and_tells_each_branch(world, api):
    lecture = _publish(api, days=4).get_json()
    ids = [_book(api, "secretary", lecture["start"], 50).get_json()["id"]]
    # The hall nearly full: the next branch waits for places.
    r = api.post("/api/v1/waitlist", as_="secretary2", json={
        "menu_item_id": item(LECTURE).id, "start": lecture["start"], "headcount": 20, "contact_name": "李强",
        "contact_phone": "13800000001"})
    assert r.status_code == 201, r.get_json()
    entry_id = r.get_json()["id"]
    r = api.post(f"/api/v1/lectures/{lecture['id']}/cancel", as_="manager", json={})
    assert r.status_code == 422
    assert api.post(f"/api/v1/lectures/{lecture['id']}/cancel", as_="manager2", json={"reason": "x"}).status_code == 403
    r = api.post(f"/api/v1/lectures/{lecture['id']}/cancel", as_="manager", json={"reason": "讲师临时出差"})
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    for booking_id in ids:
        b = api.get(f"/api/v1/bookings/{booking_id}", as_="admin").get_json()
        assert b["status"] == "cancelled", b
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "booking_cancelled")).all()
    assert user("secretary").id in told and user("secretary2").id in told  # the booking's, and the waiting one's
    # The places freed went to nobody: the waitlist was closed first.
    assert api.get(f"/api/v1/waitlist/{entry_id}", as_="secretary2").get_json()["status"] == "cancelled"
    assert api.get("/api/v1/lectures", as_="secretary").get_json()["total"] == 0
    assert api.post(f"/api/v1/lectures/{lecture['id']}/cancel", as_="manager", json={"reason": "再取消"}).status_code == 409
    assert integrity.check() == []


def test_the_lecturer_answers_once_for_every_booking(world, api):
    lecture = _publish(api, days=6).get_json()
    booking_id = _book(api, "secretary", lecture["start"]).get_json()["id"]
    assert api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/accept", as_="lecturer2").status_code == 403
    r = api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/decline", as_="lecturer", json={"reason": "出差"})
    assert r.status_code == 200 and r.get_json()["lecturer_status"] == "declined"
    assert api.get(f"/api/v1/bookings/{booking_id}", as_="admin").get_json()["lecturer_status"] == "declined"
    assert api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/accept", as_="lecturer").status_code == 409


def test_the_pages_publish_list_book_and_cancel_a_lecture(world, api, client):
    from tests.conftest import login
    login(client, "manager")
    assert "讲习日历" in client.get("/lectures").get_data(as_text=True)
    form = client.get("/lectures/new").get_data(as_text=True)
    assert "发布讲习活动" in form and LECTURE in form
    start = slot_start(5, 14)
    value = clock.local(start).strftime("%Y-%m-%dT%H:%M")
    # The item's open slots are listed to choose from (the first item of the manager's bases is the lecture's).
    listed = client.post("/lectures/new", data={"menu_item_id": item(LECTURE).id, "suggest": "1"})
    slots = re.findall(r'<option[^>]*value="([0-9T:-]+)"[^>]*>([^<]+)</option>', listed.get_data(as_text=True))
    assert value in dict(slots) and "余 60 座" in dict(slots)[value], slots
    bad = client.post("/lectures/new", data={"menu_item_id": item(LECTURE).id, "start": "2026-13-01T09:00",
                                             "lecturer_id": _lecturer().id})
    assert bad.status_code == 422 and "请选择场次" in bad.get_data(as_text=True)
    made = client.post("/lectures/new", data={"menu_item_id": item(LECTURE).id,
                                              "start": value,
                                              "lecturer_id": _lecturer().id, "topic": "新时代大讲堂第一讲"})
    assert made.status_code == 302, made.get_data(as_text=True)
    # Its slot has a lecture now: no longer offered.
    again = client.post("/lectures/new", data={"menu_item_id": item(LECTURE).id, "suggest": "1"})
    assert f'value="{value}"' not in again.get_data(as_text=True)
    detail_url = made.headers["Location"]
    client.post("/logout")
    login(client, "secretary")
    landing = client.get("/bases").get_data(as_text=True)  # where a secretary starts
    assert "近期讲习活动" in landing and "新时代大讲堂第一讲" in landing
    calendar = client.get("/lectures").get_data(as_text=True)
    assert "新时代大讲堂第一讲" in calendar and "预约座位" in calendar and "余 60 座" in calendar
    assert "新时代大讲堂第一讲" not in client.get("/lectures?category=culture").get_data(as_text=True)
    assert client.get(detail_url).status_code == 200
    client.post("/logout")
    login(client, "manager")
    lecture_id = int(detail_url.rstrip("/").rsplit("/", 1)[1])
    _book(api, "secretary", clock.iso(start))
    page = client.get(detail_url).get_data(as_text=True)
    assert "预约的支部（1）" in page and "取消讲习活动" in page
    done = client.post(f"/lectures/{lecture_id}/cancel", data={"reason": "场馆检修"})
    assert done.status_code == 302
    assert "本场讲习活动已取消：场馆检修" in client.get(detail_url).get_data(as_text=True)


def test_the_lecturer_sees_a_lecture_once_and_statistics_group_by_lecture(world, api, client):
    from booking.lecturers import services as lecturers
    from tests.conftest import login
    lecture = _publish(api, days=3).get_json()
    login(client, "lecturer")
    html = client.get("/schedule").get_data(as_text=True)
    assert "讲习活动：学习贯彻党的二十届四中全会精神" in html and f"/lectures/{lecture['id']}/accept" in html
    page = lecturers.schedule_page(_lecturer())
    assert [x.lecture.id for x in page.lecture_invitations] == [lecture["id"]]
    ids = [_book(api, who, lecture["start"], 10).get_json()["id"] for who in ("secretary", "secretary2")]
    assert api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/accept", as_="lecturer").status_code == 200
    page = lecturers.schedule_page(_lecturer())
    assert [(x.lecture.id, len(x.branches), x.seats) for x in page.lectures] == [(lecture["id"], 2, 20)]
    assert not [b for b in page.accepted if b.lecture_id == lecture["id"]]  # not once per booking
    feed = lecturers.calendar_ics(_lecturer()).decode()
    assert feed.count(f"lecture-{lecture['id']}@") == 1 and "讲习活动：学习贯彻党的二十届四中全会精神" in feed
    assert not any(f"booking-{i}@" in feed for i in ids)
    # Held: the record counts one session; statistics by lecture give one row with both branches.
    start = clock.parse_datetime(lecture["start"])
    for booking_id, came in zip(ids, (9, 10)):
        b = db.session.get(Booking, booking_id)
        if b.status == "pending":
            api.post(f"/api/v1/bookings/{booking_id}/approve", as_="manager")
        visits.record_attendance(user("manager"), db.session.get(Booking, booking_id), came,
                                 now=start + timedelta(minutes=70))
    record = lecturers.lecture_record_page(_lecturer(), start.year)
    shown = client.get(f"/lecturers/{_lecturer().id}/record?year={start.year}")
    assert shown.status_code == 200 and "讲习活动：学习贯彻党的二十届四中全会精神" in shown.get_data(as_text=True)
    assert [(x.lecture.id, x.seats) for x in record.lectures] == [(lecture["id"], 19)]
    assert record.total.sessions == 1 + len(record.sessions)
    day = clock.local(start).date().isoformat()
    stats = api.get(f"/api/v1/stats?group_by=lecture&from={day}&to={day}", as_="admin").get_json()
    rows = {r["key"]: r for r in stats["rows"]}
    assert rows[lecture["id"]]["batches"] == 2 and rows[lecture["id"]]["person_times"] == 19
    assert "学习贯彻党的二十届四中全会精神" in rows[lecture["id"]]["label"]
    assert sum(r["batches"] for r in stats["rows"]) == stats["total"]["batches"]
    assert sum(r["person_times"] for r in stats["rows"]) == stats["total"]["person_times"]


def test_after_a_decline_the_manager_invites_another_lecturer_for_every_booking(world, api, client):
    from tests.conftest import login
    lecture = _publish(api, days=6).get_json()
    booking_id = _book(api, "secretary", lecture["start"]).get_json()["id"]
    path = f"/api/v1/lectures/{lecture['id']}/lecturer"
    assert api.put(path, as_="manager", json={"lecturer_id": _lecturer("李秀英").id}).status_code == 200  # unanswered
    assert api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/decline", as_="lecturer2").status_code == 200
    login(client, "manager")
    assert "另行安排讲师" in client.get(f"/lectures/{lecture['id']}").get_data(as_text=True)
    assert api.put(path, as_="manager2", json={"lecturer_id": _lecturer().id}).status_code == 403
    r = client.post(f"/lectures/{lecture['id']}/lecturer", data={"lecturer_id": _lecturer().id})
    assert r.status_code == 302
    b = api.get(f"/api/v1/bookings/{booking_id}", as_="admin").get_json()
    assert b["lecturer_id"] == _lecturer().id and b["lecturer_status"] == "invited"
    assert api.post(f"/api/v1/lectures/{lecture['id']}/lecturer/accept", as_="lecturer").status_code == 200
    r = api.put(path, as_="manager", json={"lecturer_id": _lecturer("李秀英").id})
    assert r.status_code == 409  # accepted: not replaced behind the lecturer's back
    assert integrity.check() == []


def test_a_standing_series_skips_a_lecture_slot(world, api):
    """An open lecture's seats are booked one by one: a monthly standing booking skips that date, saying why."""
    from datetime import time
    today = clock.local_today()
    from booking.catalog.holidays import public_holidays
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)  # next month
    # its first Thursday that is no public holiday (1 October 2026 is one), and which of the month's it is
    week = next(w for w in range(1, 5) if first + timedelta(days=(3 - first.weekday()) % 7 + 7 * (w - 1))
                not in public_holidays(first, first + timedelta(days=31)))
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 7 * (week - 1))
    start = clock.at_local(thursday, time(14))
    r = api.post("/api/v1/lectures", as_="manager", json={"menu_item_id": item().id, "start": clock.iso(start),
                                                            "lecturer_id": _lecturer().id})
    assert r.status_code == 201, r.get_json()
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    r = api.post("/api/v1/booking-series", as_="secretary", json={
        "menu_item_id": item().id, "weekday": 3, "week_of_month": week, "time": "14:00", "from": first.isoformat(),
        "until": last.isoformat(), "headcount": 20, "contact_name": "王芳", "contact_phone": "13800000000"})
    assert r.status_code == 201, r.get_json()
    occ = {o["date"]: o for o in r.get_json()["occurrences"]}
    assert occ[thursday.isoformat()]["status"] == "skipped" and occ[thursday.isoformat()]["reason"] == "lecture"


def test_the_publish_form_ranks_the_lecturers_for_the_item_and_time(world, api, client):
    from tests.conftest import login
    busy_at = slot_start(5, 14)
    # 李秀英 gives a lecture then, at another base (the slot of this item stays free to announce one in).
    assert _publish(api, days=5, lecturer="李秀英", who="manager2",
                    menu_item_id=item("先进模范面对面宣讲").id).status_code == 201
    login(client, "manager")
    page = client.post("/lectures/new", data={"menu_item_id": item(LECTURE).id,
                                              "start": clock.local(busy_at).strftime("%Y-%m-%dT%H:%M"), "suggest": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已按主题匹配" in html
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', html.split('id="lecturer_id"')[1].split("</select>")[0])
    names = [label for _, label in options]
    assert names and not any(label.startswith("李秀英") for label in names)  # busy then: left out
    assert "主题匹配" in names[0]  # best first, with why
    assert db.session.scalar(select(func.count()).select_from(Lecture)) == 1  # nothing published by asking


def test_a_branch_that_booked_is_shown_its_booking_and_the_screen_says_full(world, api, client):
    from booking.reports import screen
    from tests.conftest import login
    lecture = _publish(api, days=4).get_json()
    booking_id = _book(api, "secretary", lecture["start"], 60).get_json()["id"]  # the whole hall
    login(client, "secretary")
    for path in ("/lectures", f"/lectures/{lecture['id']}"):
        html = client.get(path).get_data(as_text=True)
        assert "本支部已预约" in html and f"/bookings/{booking_id}" in html and ">预约座位<" not in html, path
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert f"/lectures/{lecture['id']}" in page and "学习贯彻党的二十届四中全会精神" in page
    coming = screen.figures()["coming"]
    assert "学习贯彻党的二十届四中全会精神”已满" in coming


def test_the_watch_list_counts_a_lecture_once_against_its_lecturers_monthly_limit(world, api):
    """The watch list's lecturers at their monthly limit count as the limit itself does (`sessions_in_month`): a
    lecture is one session however many branches booked seats in it. It counted each booking (three for one
    lecture) and left out the lecturer's lecture requests."""
    from booking.reports import services as reports
    lecture = _publish(api, days=5).get_json()
    third = db.session.scalar(select(Branch.id).where(
        Branch.id.not_in([user("secretary").branch_id, user("secretary2").branch_id])).order_by(Branch.id))
    for who, n in (("secretary", 12), ("secretary2", 15)):
        assert _book(api, who, lecture["start"], n).status_code == 201
    assert api.post("/api/v1/bookings", as_="manager", json={
        "menu_item_id": item(LECTURE).id, "start": lecture["start"], "headcount": 10, "contact_name": "李明",
        "contact_phone": "13900000000", "branch_id": third}).status_code == 201
    speaker = _lecturer()
    speaker.monthly_limit = 2
    db.session.commit()
    at = clock.parse_datetime(lecture["start"]) - timedelta(days=1)
    assert reports.watch(user("admin"), now=at).busy_lecturers == []  # one session of two
    speaker.monthly_limit = 1
    db.session.commit()
    assert [(x.name, n) for x, n in reports.watch(user("admin"), now=at).busy_lecturers] == [("张建国", 1)]
