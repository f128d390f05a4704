"""The lecturer pool: suggestions, invitations without conflicts, answers, blocked time, schedule, feed, record."""
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from booking import clock
from booking.lecturers import services
from models import Booking, Lecturer, Notification, db
from tests.factories import booking, completed, item, slot_start, user

LECTURE = "专题党课：红色家书里的初心"  # base 1, needs a lecturer, topic 思想政治 (red course)


def _lecturer(name) -> Lecturer:
    return db.session.scalar(select(Lecturer).where(Lecturer.name == name))


def _lecture_booking(days=4, hour=9, secretary="secretary"):
    return booking(secretary, item(LECTURE), slot_start(days, hour), headcount=20)


def test_list_lecturers_filters(world, api):
    body = api.get("/api/v1/lecturers", as_="manager").get_json()
    assert body["total"] == 8 and set(body["items"][0]) == {"id", "name", "category", "topics", "bio"}
    assert {x["category"] for x in api.get("/api/v1/lecturers?category=model", as_="manager").get_json()["items"]} == {"model"}
    names = {x["name"] for x in api.get("/api/v1/lecturers?topic=志愿服务", as_="secretary").get_json()["items"]}
    assert names == {"王磊", "赵敏"}


def test_suggestions_rank_by_topic_and_leave_out_the_busy(world, api):
    b = _lecture_booking()
    body = api.get(f"/api/v1/bookings/{b.id}/lecturer-suggestions", as_="manager").get_json()
    names = [s["lecturer"]["name"] for s in body["items"]]
    # 思想政治 matches 张建国 (also 红色课程), 李秀英, 陈静; 张建国 matches both and ranks first
    assert names[0] == "张建国" and set(names[1:3]) == {"李秀英", "陈静"}
    assert "主题匹配" in body["items"][0]["reasons"][0] and "本月已安排 0 次" in body["items"][0]["reasons"][1]
    # 张建国 is busy in an overlapping booking; 李秀英 blocked the time
    other = _lecture_booking(secretary="secretary2")
    services.invite(user("manager"), other, _lecturer("张建国").id)
    services.block_time(user("lecturer2"), b.starts_at - timedelta(hours=1), b.ends_at, "外出")
    names = [s.lecturer.name for s in services.suggestions(user("manager"), b)]
    assert "张建国" not in names and "李秀英" not in names and names[0] == "陈静"


def test_suggestions_share_the_load_and_respect_monthly_limits(world):
    chen, li = _lecturer("陈静"), _lecturer("李秀英")
    # Same day, so the same month: 14:00 does not overlap 09:00.
    afternoon = _lecture_booking(days=4, hour=14)
    services.invite(user("manager"), afternoon, li.id)
    morning = _lecture_booking(days=4, hour=9, secretary="secretary2")
    ranked = [s.lecturer.name for s in services.suggestions(user("manager"), morning)]
    assert ranked.index("陈静") < ranked.index("李秀英")  # equal topic match, 李秀英 already has a session
    load = {s.lecturer.name: s.reasons[1] for s in services.suggestions(user("manager"), morning)}
    assert load["李秀英"] == "本月已安排 1 次"  # arranged, not given: the statistics' 授课 counts lectures given
    chen.monthly_limit = 1
    db.session.commit()
    other = _lecture_booking(days=4, hour=14, secretary="secretary2")
    services.invite(user("manager"), other, chen.id)
    assert "陈静" not in [s.lecturer.name for s in services.suggestions(user("manager"), morning)]
    from booking.errors import LecturerConflict
    with pytest.raises(LecturerConflict):
        services.invite(user("manager"), morning, chen.id)


def test_only_the_bases_manager_suggests_and_invites(world, api):
    b = _lecture_booking()
    assert api.get(f"/api/v1/bookings/{b.id}/lecturer-suggestions", as_="secretary").status_code == 403
    assert api.get(f"/api/v1/bookings/{b.id}/lecturer-suggestions", as_="manager2").status_code == 404
    lid = _lecturer("陈静").id
    assert api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="secretary", json={"lecturer_id": lid}).status_code == 403
    assert api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager2", json={"lecturer_id": lid}).status_code == 404


def test_invite_accept_decline_and_reassign(world, api):
    b = _lecture_booking()
    zhang = user("lecturer").lecturer
    r = api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager", json={"lecturer_id": zhang.id})
    assert r.status_code == 200 and r.get_json()["lecturer_status"] == "invited" and r.get_json()["lecturer_id"] == zhang.id
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == user("lecturer").id)) == "lecturer_invited"
    assert api.post(f"/api/v1/bookings/{b.id}/lecturer/accept", as_="lecturer2").status_code == 404
    r = api.post(f"/api/v1/bookings/{b.id}/lecturer/decline", as_="lecturer", json={"reason": "当天外出"})
    assert r.status_code == 200 and r.get_json()["lecturer_status"] == "declined"
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == user("manager").id)).all()
    assert "lecturer_declined" in kinds
    # a declined lecturer no longer holds the time
    assert zhang.id not in services.busy_lecturer_ids(b.starts_at, b.ends_at)
    li = user("lecturer2").lecturer
    assert api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager", json={"lecturer_id": li.id}).status_code == 200
    r = api.post(f"/api/v1/bookings/{b.id}/lecturer/accept", as_="lecturer2")
    assert r.status_code == 200 and r.get_json()["lecturer_status"] == "accepted"
    r = api.post(f"/api/v1/bookings/{b.id}/lecturer/accept", as_="lecturer2")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    history = [h["action"] for h in api.get(f"/api/v1/bookings/{b.id}/history", as_="manager").get_json()["items"]]
    assert history[-4:] == ["lecturer_invited", "lecturer_declined", "lecturer_invited", "lecturer_accepted"]
    # the lecturer sees the booking they are assigned to, another lecturer does not
    assert api.get(f"/api/v1/bookings/{b.id}", as_="lecturer2").status_code == 200
    assert api.get(f"/api/v1/bookings/{b.id}", as_="lecturer").status_code == 404


def test_lecturer_conflict_on_overlap_and_blocked_time(world, api):
    a = _lecture_booking()
    b = _lecture_booking(secretary="secretary2")  # same slot
    zhang = user("lecturer").lecturer
    assert api.put(f"/api/v1/bookings/{a.id}/lecturer", as_="manager", json={"lecturer_id": zhang.id}).status_code == 200
    r = api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager", json={"lecturer_id": zhang.id})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "lecturer_conflict"
    c = _lecture_booking(days=6)
    r = api.post("/api/v1/me/unavailability", as_="lecturer2",
                 json={"start": clock.iso(c.starts_at - timedelta(days=1)), "end": clock.iso(c.starts_at + timedelta(hours=1)),
                       "reason": "休假"})
    assert r.status_code == 201
    li = user("lecturer2").lecturer
    r = api.put(f"/api/v1/bookings/{c.id}/lecturer", as_="manager", json={"lecturer_id": li.id})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "lecturer_conflict"
    # blocking time over an accepted session is refused too
    r = api.post("/api/v1/me/unavailability", as_="lecturer",
                 json={"start": clock.iso(a.starts_at), "end": clock.iso(a.ends_at)})
    assert r.status_code == 409
    r = api.post("/api/v1/me/unavailability", as_="lecturer", json={"start": clock.iso(a.ends_at), "end": clock.iso(a.starts_at)})
    assert r.status_code == 422 and "end" in r.get_json()["error"]["fields"]
    assert api.post("/api/v1/me/unavailability", as_="manager",
                    json={"start": clock.iso(a.starts_at), "end": clock.iso(a.ends_at)}).status_code == 403


def test_cancelled_booking_frees_the_lecturer(world):
    from booking.reservations.services import cancel_booking
    a = _lecture_booking()
    zhang = user("lecturer").lecturer
    services.invite(user("manager"), a, zhang.id)
    cancel_booking(user("manager"), a, "临时取消")
    b = _lecture_booking(secretary="secretary2")
    services.invite(user("manager"), b, zhang.id)
    assert b.lecturer_status == "invited"


def test_schedule_api(world, api):
    a = _lecture_booking(days=8)
    b = _lecture_booking(days=4, hour=14)
    for x in (a, b):
        services.invite(user("manager"), x, user("lecturer").lecturer_id)
    body = api.get("/api/v1/me/schedule", as_="lecturer").get_json()
    assert [x["id"] for x in body["items"]] == [b.id, a.id]
    first = body["items"][0]
    assert first["base_name"] == "红星革命纪念馆" and first["venue_name"] and first["branch_name"] and first["menu_item_title"] == LECTURE
    day = a.day.isoformat()
    assert [x["id"] for x in api.get(f"/api/v1/me/schedule?from={day}", as_="lecturer").get_json()["items"]] == [a.id]
    assert api.get("/api/v1/me/schedule", as_="manager").status_code == 403


def test_calendar_feed_parses_with_local_times(world, client, api):
    a = _lecture_booking(days=4)
    services.invite(user("manager"), a, user("lecturer").lecturer_id)
    services.accept(user("lecturer"), a)
    url = api.get("/api/v1/me", as_="lecturer").get_json()["calendar_url"]
    assert url and "/calendar/" in url
    r = client.get(url.replace("http://localhost", ""))
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    cal = Calendar.from_ical(r.data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    start = events[0]["DTSTART"].dt
    assert start.utcoffset() == timedelta(hours=8) and start.hour == 9 and start.date() == a.day
    assert events[0]["DTEND"].dt.hour == 11 and LECTURE in str(events[0]["SUMMARY"])
    assert "红星革命纪念馆" in str(events[0]["LOCATION"]) and str(events[0]["STATUS"]) == "CONFIRMED"
    old = url
    services.renew_calendar_token(user("lecturer"))
    assert client.get(old.replace("http://localhost", "")).status_code == 404
    assert client.get("/calendar/not-a-real-token-at-all.ics").status_code == 404


def test_lecture_record_counts_completed_sessions(world, client):
    from tests.conftest import login
    zhang = user("lecturer").lecturer
    made = []
    for days in (-20, -12):
        b = completed("secretary", item(LECTURE), slot_start(days), 20, 18)
        b.lecturer_id, b.lecturer_status = zhang.id, "accepted"
        made.append(b)
    uncounted = completed("secretary2", item(LECTURE), slot_start(-12), 20, 18)
    uncounted.lecturer_id, uncounted.lecturer_status = zhang.id, "declined"
    db.session.commit()
    for year in {b.day.year for b in made}:
        rows, total = services.lecture_record(zhang, year)
        mine = [b for b in made if b.day.year == year]
        assert total.sessions == len(mine) and total.hours == len(mine) * 1.0  # the lecture lasts 60 minutes
        assert sum(r.sessions for r in rows) == total.sessions
    login(client, "lecturer")
    year = made[-1].day.year
    r = client.get(f"/lecturers/{zhang.id}/record.csv?year={year}")
    assert r.status_code == 200 and "全年合计" in r.data.decode("utf-8-sig")
    assert client.get(f"/lecturers/{zhang.id}/record.xlsx?year={year}").status_code == 200
    assert client.get(f"/lecturers/{user('lecturer2').lecturer_id}/record").status_code == 403


def test_schedule_page_answers_and_blocks(world, client):
    from tests.conftest import login
    a = _lecture_booking(days=4)
    services.invite(user("manager"), a, user("lecturer").lecturer_id)
    login(client, "lecturer")
    html = client.get("/schedule").get_data(as_text=True)
    assert "待答复的邀请" in html and LECTURE in html and "/calendar/" in html
    client.post(f"/schedule/bookings/{a.id}/accept")
    assert db.session.get(Booking, a.id).lecturer_status == "accepted"
    start = clock.local(a.starts_at + timedelta(days=3))
    r = client.post("/schedule/blocks", data={"start": start.strftime("%Y-%m-%dT%H:%M"),
                                              "end": (start + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
                                              "reason": "休假"}, follow_redirects=True)
    assert "已标记为不可用时间" in r.get_data(as_text=True)
    month = a.day.strftime("%Y-%m")
    assert LECTURE in client.get(f"/schedule?month={month}").get_data(as_text=True)


def test_manager_invites_from_the_booking_page(world, client):
    from tests.conftest import login
    a = _lecture_booking(days=4)
    login(client, "manager")
    html = client.get(f"/bookings/{a.id}").get_data(as_text=True)
    assert "安排讲师" in html and "张建国" in html and "主题匹配" in html
    client.post(f"/bookings/{a.id}/lecturer", data={"lecturer_id": str(_lecturer("陈静").id)})
    assert db.session.get(Booking, a.id).lecturer.name == "陈静"


@pytest.mark.parametrize("status", ["rejected", "cancelled"])
def test_cannot_invite_to_a_booking_that_is_over(world, status):
    from booking.errors import InvalidState
    from booking.reservations.services import cancel_booking, reject_booking
    a = booking(menu_item=item(LECTURE), start=slot_start(4), approve=False)
    (reject_booking if status == "rejected" else cancel_booking)(user("manager"), a, "原因")
    with pytest.raises(InvalidState):
        services.invite(user("manager"), a, _lecturer("陈静").id)


def test_a_lecturer_who_declined_is_not_suggested_again_for_that_booking(world, api):
    # Reported (pilot): a lecturer who declined this booking was still suggested first.
    b = _lecture_booking()
    zhang = user("lecturer").lecturer

    def suggested():
        body = api.get(f"/api/v1/bookings/{b.id}/lecturer-suggestions", as_="manager").get_json()
        return [s["lecturer"]["id"] for s in body["items"]]

    assert zhang.id in suggested()
    api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager", json={"lecturer_id": zhang.id})
    api.post(f"/api/v1/bookings/{b.id}/lecturer/decline", as_="lecturer", json={"reason": "当天外出"})
    assert zhang.id not in suggested()
    other = user("lecturer2").lecturer
    api.put(f"/api/v1/bookings/{b.id}/lecturer", as_="manager", json={"lecturer_id": other.id})
    assert zhang.id not in suggested()  # still not, after someone else was invited
    assert zhang.id in [s.lecturer.id for s in services.suggestions(user("manager"), _lecture_booking(days=7))]


def test_suggestions_say_whether_the_lecturer_can_answer_in_the_system(world, api):
    b = _lecture_booking()
    items = api.get(f"/api/v1/bookings/{b.id}/lecturer-suggestions", as_="manager").get_json()["items"]
    channel = {s["lecturer"]["name"]: s["reasons"][-1] for s in items}
    assert channel[user("lecturer").lecturer.name] == "可在系统中答复"
    without = [name for name, text in channel.items() if text.startswith("无账号")]
    assert without and all(_lecturer(n).user is None for n in without)


def test_a_manager_records_a_phone_answer_for_a_lecturer_without_an_account(world, client):
    from models import BookingEvent
    from tests.conftest import login
    b = _lecture_booking()
    chen = _lecturer("陈静")
    assert chen.user is None
    login(client, "manager")
    client.post(f"/bookings/{b.id}/lecturer", data={"lecturer_id": str(chen.id)})
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "登记陈静的答复" in html and "讲师已接受" in html
    r = client.post(f"/bookings/{b.id}/lecturer/phone-answer", data={"answer": "decline", "note": "当天在外地"},
                    follow_redirects=True)
    assert "已登记：陈静婉拒了邀请" in r.get_data(as_text=True)
    db.session.expire_all()
    b = db.session.get(Booking, b.id)
    assert b.lecturer_status == "declined"
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.booking_id == b.id,
                                                         BookingEvent.action == "lecturer_declined"))
    assert event.lecturer_id == chen.id and event.note == "电话答复，由管理员登记：当天在外地"
    assert event.actor_id == user("manager").id
    assert chen.id not in [s.lecturer.id for s in services.suggestions(user("manager"), b)]
    # Invite someone else, record an acceptance: the booking now has its lecturer.
    client.post(f"/bookings/{b.id}/lecturer", data={"lecturer_id": str(_lecturer("李秀英").id)})
    client.post(f"/bookings/{b.id}/lecturer/phone-answer", data={"answer": "accept"})
    db.session.expire_all()
    assert db.session.get(Booking, b.id).lecturer_status == "accepted"
    assert chen.id not in [s.lecturer.id for s in services.suggestions(user("manager"), db.session.get(Booking, b.id))]


def test_inviting_another_lecturer_replaces_the_invitation_explicitly(world, client):
    from tests.conftest import login
    b = _lecture_booking()
    zhang = user("lecturer")
    services.invite(user("manager"), b, zhang.lecturer_id)
    services.accept(zhang, b)
    login(client, "manager")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "改邀此讲师" in html and "每个预约只邀请一位讲师" in html and "data-confirm=\"改邀" in html
    assert f'value="{zhang.lecturer_id}"' not in html.split('id="lecturer"')[1]  # the current one is not offered again
    client.post(f"/bookings/{b.id}/lecturer", data={"lecturer_id": str(_lecturer("陈静").id)})
    told = db.session.scalar(select(Notification).where(Notification.user_id == zhang.id,
                                                        Notification.title.like("授课安排已取消%")))
    assert told is not None
    assert services.busy_lecturer_ids(b.starts_at, b.ends_at) >= {_lecturer("陈静").id}
    assert zhang.lecturer_id not in services.busy_lecturer_ids(b.starts_at, b.ends_at)


def test_an_accepted_lecturer_withdraws_with_a_reason(world, client):
    from booking.errors import ValidationFailed
    from tests.conftest import login
    b = _lecture_booking()
    zhang = user("lecturer")
    services.invite(user("manager"), b, zhang.lecturer_id)
    services.accept(zhang, b)
    with pytest.raises(ValidationFailed):
        services.withdraw(zhang, b, "  ")
    login(client, "lecturer")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert 'data-action="withdraw_from_session"' in html
    r = client.post(f"/bookings/{b.id}/lecturer/withdraw", data={"reason": "临时出差"}, follow_redirects=True)
    assert "已退出这场授课" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, b.id).lecturer_status == "declined"
    note = db.session.scalar(select(Notification).where(Notification.user_id == user("manager").id,
                                                        Notification.kind == "lecturer_declined"))
    assert "退出" in note.title and "临时出差" in note.body
    assert zhang.lecturer_id not in services.busy_lecturer_ids(b.starts_at, b.ends_at)
    assert zhang.lecturer_id not in [s.lecturer.id for s in services.suggestions(user("manager"), db.session.get(Booking, b.id))]


def test_the_schedule_shows_blocked_time_links_and_a_copy_button(world, client):
    from tests.conftest import login
    a = _lecture_booking(days=4)
    services.invite(user("manager"), a, user("lecturer").lecturer_id)
    start = a.starts_at + timedelta(days=1)
    services.block_time(user("lecturer"), start, start + timedelta(hours=3), "外出调研")
    login(client, "lecturer")
    html = client.get(f"/schedule?month={clock.local(start).strftime('%Y-%m')}").get_data(as_text=True)
    assert "不可用：外出调研" in html
    assert f'href="/bookings/{a.id}"' in html  # the invitation itself opens the booking
    assert 'data-copy="feed-url"' in html and "复制地址" in html


def test_the_calendar_feed_carries_its_time_zone(world, client, api):
    a = _lecture_booking(days=4)
    services.invite(user("manager"), a, user("lecturer").lecturer_id)
    url = api.get("/api/v1/me", as_="lecturer").get_json()["calendar_url"]
    cal = Calendar.from_ical(client.get(url.replace("http://localhost", "")).data)
    zones = [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]
    assert zones == ["Asia/Shanghai"]
    event = cal.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"


def test_the_lecture_record_lists_its_sessions_on_screen_and_in_the_export(world, client):
    from tests.conftest import login
    zhang = user("lecturer").lecturer
    b = completed("secretary", item(LECTURE), slot_start(-20), 20, 18)
    b.lecturer_id, b.lecturer_status = zhang.id, "accepted"
    db.session.commit()
    login(client, "lecturer")
    year = b.day.year
    html = client.get(f"/lecturers/{zhang.id}/record?year={year}").get_data(as_text=True)
    assert "授课明细" in html and f"/bookings/{b.id}" in html and "实到 18 人" in html
    text = client.get(f"/lecturers/{zhang.id}/record.csv?year={year}").data.decode("utf-8-sig")
    assert b.day.isoformat() in text and "红星革命纪念馆" in text and LECTURE in text and ",18," in text
    assert "全年合计 1 次" in text
