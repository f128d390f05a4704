"""Standing monthly bookings and the holiday calendar, with a controlled clock: dates, skips with their reasons,
the book-series job (once, also in two processes), cancelling one occurrence or the rest."""
import os
import re
import subprocess
import sys
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.series import services as series
from booking.errors import ValidationFailed
from models import (Booking, BookingSeries, Closure, Holiday, Notification, OpeningSlot, SeriesOccurrence,
                    SlotOccupancy, db)
from tests.factories import item, user
from tests.server import ROOT

THU = 3


def _at(day: date, hour=10):
    return clock.at_local(day, time(hour))


@pytest.fixture
def aug20(monkeypatch):
    """It is 20 August 2026, 10:00: the test district's bases book 1–60 days ahead, so up to 19 October."""
    now = [_at(date(2026, 8, 20))]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


def test_the_rule_finds_the_dates():
    assert series.dates_of(4, 1, date(2026, 12, 1), date(2027, 2, 28)) == [date(2026, 12, 4), date(2027, 1, 1),
                                                                          date(2027, 2, 5)]
    assert series.dates_of(4, -1, date(2026, 12, 1), date(2027, 1, 31)) == [date(2026, 12, 25), date(2027, 1, 29)]
    assert series.dates_of(0, 4, date(2026, 2, 1), date(2026, 2, 28)) == [date(2026, 2, 23)]


def test_the_holiday_calendar_knows_the_announced_years_and_says_when_it_does_not(world, api):
    body = api.get("/api/v1/holidays?year=2026", as_="secretary").get_json()
    days = {x["date"]: x for x in body["items"]}
    assert body["known"] and days["2026-10-01"] == {"date": "2026-10-01", "name": "国庆节", "kind": "holiday"}
    assert any(x["kind"] == "workday" for x in body["items"])  # 调休上班
    # 2027 is not announced: only the days the law fixes by the solar calendar stand in for it
    assert api.get("/api/v1/holidays?year=2027", as_="secretary").get_json() == {
        "items": [{"date": d, "name": n, "kind": "holiday"} for d, n in (
            ("2027-01-01", "元旦"), ("2027-05-01", "劳动节"), ("2027-05-02", "劳动节"), ("2027-10-01", "国庆节"),
            ("2027-10-02", "国庆节"), ("2027-10-03", "国庆节"))],
        "total": 6, "year": 2027, "known": False}
    r = api.post("/api/v1/holidays", as_="admin", json={"date": "2027-01-01", "name": "元旦", "kind": "holiday"})
    assert r.status_code == 201
    r = api.post("/api/v1/holidays", as_="admin", json={"date": "2027-01-01", "name": "元旦（更正）", "kind": "holiday"})
    assert r.status_code == 201 and db.session.get(Holiday, date(2027, 1, 1)).name == "元旦（更正）"  # replaced
    assert api.get("/api/v1/holidays?year=2027", as_="secretary").get_json()["known"] is True
    assert api.post("/api/v1/holidays", as_="manager", json={"date": "2027-01-02", "name": "x", "kind": "holiday"}).status_code == 403
    r = api.post("/api/v1/holidays", as_="admin", json={"date": "2027-13-01", "name": "", "kind": "festival"})
    assert r.status_code == 422 and {"date", "name", "kind"} <= set(r.get_json()["error"]["fields"])
    assert api.delete("/api/v1/holidays/2027-01-01", as_="admin").status_code == 204
    assert api.delete("/api/v1/holidays/2027-01-01", as_="admin").status_code == 404
    assert api.delete("/api/v1/holidays/not-a-date", as_="admin").status_code == 422


def test_a_base_closed_on_public_holidays_offers_no_slots_then(world, api):
    from models import Base
    base = db.session.get(Base, 1)
    base.opens_on_holidays = False
    db.session.commit()
    menu_item = item()
    r = api.get(f"/api/v1/menu-items/{menu_item.id}/availability?date=2026-10-01", as_="secretary")
    assert r.get_json()["slots"] == []
    from booking.catalog.services import closed_days
    assert closed_days(1, menu_item.venue_id, date(2026, 10, 1), date(2026, 10, 1)) == {date(2026, 10, 1): "国庆节（法定节假日不开放）"}
    base.opens_on_holidays = True
    db.session.commit()
    assert api.get(f"/api/v1/menu-items/{menu_item.id}/availability?date=2026-10-01", as_="secretary").get_json()["slots"]


def _year_series(api, **over):
    body = {"menu_item_id": item().id, "weekday": THU, "week_of_month": 1, "time": "14:00", "from": "2026-09-01",
            "until": "2027-08-31", "headcount": 20, "contact_name": "王芳", "contact_phone": "13800000000",
            "topic": "主题党日", **over}
    return api.post("/api/v1/booking-series", as_="secretary", json=body)


def test_a_year_skips_the_holiday_and_the_closure_books_the_window_and_plans_the_rest(world, api, aug20):
    menu_item = item()
    db.session.add(Closure(base_id=menu_item.base_id, venue_id=None, start_date=date(2026, 11, 5),
                           end_date=date(2026, 11, 5), reason="布展"))
    db.session.commit()
    spec = series.check(user("secretary"), menu_item_id=menu_item.id, weekday=THU, week_of_month=1, time_text="14:00",
                        first=date(2026, 9, 1), last=date(2027, 8, 31), headcount=20, contact_name="王芳",
                        contact_phone="13800000000")
    preview, unknown = series.preview(spec)
    assert unknown == [2027]  # the pages say its holidays are not known yet
    r = _year_series(api)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    occ = {o["date"]: o for o in body["occurrences"]}
    assert occ["2026-09-03"]["status"] == "booked" and occ["2026-09-03"]["booking_id"]
    assert occ["2026-10-01"] == {**occ["2026-10-01"], "status": "skipped", "reason": "holiday"}
    assert occ["2026-11-05"]["status"] == "skipped" and occ["2026-11-05"]["reason"] == "closed"
    assert occ["2026-12-03"]["status"] == "planned" and occ["2027-08-05"]["status"] == "planned"
    assert len(occ) == 12 and [o["date"] for o in body["occurrences"]] == sorted(occ)
    booked = db.session.get(Booking, occ["2026-09-03"]["booking_id"])
    assert booked.series_id == body["id"] and booked.status == "pending"
    assert {o.day for o in preview if o.status == "skipped"} == {date(2026, 10, 1), date(2026, 11, 5)}
    assert [s["id"] for s in api.get("/api/v1/booking-series", as_="secretary").get_json()["items"]] == [body["id"]]
    # The job books each planned date on the day it enters the window, once.
    aug20[0] = _at(date(2026, 10, 4), 1)  # 3 December is 60 days ahead from 4 October
    assert series.book_due() == (1, 0)
    assert series.book_due() == (0, 0)
    dec = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2026, 12, 3)))
    assert dec.status == "booked" and db.session.get(Booking, dec.booking_id).series_id == body["id"]
    assert db.session.scalar(select(SeriesOccurrence.status).where(SeriesOccurrence.day == date(2027, 1, 7))) == "planned"
    assert api.get(f"/api/v1/booking-series/{body['id']}", as_="manager").status_code == 200
    assert api.get(f"/api/v1/booking-series/{body['id']}", as_="secretary2").status_code == 404


def test_new_years_day_of_a_year_not_yet_announced_is_skipped_and_the_page_still_warns(world, api, aug20):
    """2027's schedule is not in the calendar: the days the law fixes (元旦) stand in, the rest is unknown."""
    r = _year_series(api, weekday=4, **{"from": "2026-12-01", "until": "2027-02-28"})
    assert r.status_code == 201, r.get_json()
    occ = {o["date"]: o for o in r.get_json()["occurrences"]}
    assert sorted(occ) == ["2026-12-04", "2027-01-01", "2027-02-05"]
    assert occ["2027-01-01"]["status"] == "skipped" and occ["2027-01-01"]["reason"] == "holiday"
    assert occ["2027-02-05"]["status"] == "planned"
    spec = series.check(user("secretary"), menu_item_id=item().id, weekday=4, week_of_month=1, time_text="14:00",
                        first=date(2026, 12, 1), last=date(2027, 2, 28), headcount=20, contact_name="王芳",
                        contact_phone="13800000000")
    assert series.preview(spec)[1] == [2027]


def test_a_newer_library_replaces_the_fixed_days_that_stood_in_for_its_year(world, monkeypatch):
    from booking.catalog import holidays
    assert db.session.get(Holiday, date(2027, 1, 1)).source == "statute" and not holidays.is_known(2027)
    known = holidays.library_rows()
    newer = [{"day": date(2027, 1, 1), "name": "元旦", "kind": "holiday", "source": "library"},
             {"day": date(2027, 2, 6), "name": "春节", "kind": "holiday", "source": "library"}]
    monkeypatch.setattr(holidays, "library_rows", lambda: [r for r in known if r["day"].year != 2027] + newer)
    assert holidays.sync_library() == 2
    assert db.session.get(Holiday, date(2027, 1, 1)).source == "library" and holidays.is_known(2027)
    assert db.session.get(Holiday, date(2027, 5, 1)) is None  # the year is announced now: its own days only
    assert db.session.get(Holiday, date(2028, 10, 1)).source == "statute"


def test_a_date_full_by_then_is_skipped_and_the_secretary_told(world, api, aug20):
    body = _year_series(api).get_json()
    menu_item = item()
    start = clock.at_local(date(2026, 12, 3), time(14))
    capacity = db.session.scalar(select(OpeningSlot.capacity).where(OpeningSlot.venue_id == menu_item.venue_id,
                                                                    OpeningSlot.weekday == THU,
                                                                    OpeningSlot.start_time == time(14)))
    db.session.add(SlotOccupancy(venue_id=menu_item.venue_id, starts_at=start, ends_at=start + timedelta(hours=2),
                                 capacity=capacity, held=capacity - 5))  # others took it meanwhile
    db.session.commit()
    aug20[0] = _at(date(2026, 10, 4), 1)
    assert series.book_due() == (1, 1)  # 5 November booked, 3 December full
    dec = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2026, 12, 3)))
    assert dec.status == "skipped" and dec.reason == "full"
    note = db.session.scalar(select(Notification).where(Notification.kind == "series_skipped"))
    assert note.user_id == user("secretary").id and "名额已满" in note.body and "/menu-items/" in note.body
    assert body["id"]
    # Opening it shows the standing booking (reproduced: it went back to the list, a notice about nothing).
    client = world.test_client()
    from tests.conftest import login
    login(client, "secretary")
    opened = client.post(f"/notifications/{note.id}/read")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/series/{body['id']}")


def test_cancelling_one_occurrence_leaves_the_others_and_their_reminders(world, api, aug20):
    from booking.jobs.services import send_reminders
    from booking.reservations.services import approve_booking, cancel_booking
    body = _year_series(api, weekday=1, week_of_month=-1, **{"from": "2026-08-24", "until": "2026-10-31"}).get_json()
    booked = [db.session.get(Booking, o["booking_id"]) for o in body["occurrences"] if o["status"] == "booked"]
    assert len(booked) == 2  # 25 August and 29 September (the last Tuesdays)
    for b in booked:
        approve_booking(user("manager"), b)
    cancel_booking(user("secretary"), booked[0], "这次改期")
    aug20[0] = booked[1].starts_at - timedelta(hours=20)
    send_reminders(clock.now())
    reminded = set(db.session.scalars(select(Notification.booking_id).where(Notification.kind == "reminder")))
    assert reminded == {booked[1].id}
    assert db.session.get(Booking, booked[1].id).status == "approved"


def test_cancelling_the_rest_follows_each_bookings_rules_and_ends_the_planning(world, api, aug20):
    body = _year_series(api).get_json()
    first = next(o for o in body["occurrences"] if o["status"] == "booked")
    aug20[0] = clock.at_local(date(2026, 9, 2), time(20))  # 3 September 14:00 is inside the 24-hour deadline
    r = api.post(f"/api/v1/booking-series/{body['id']}/cancel", as_="secretary", json={"reason": "支部改组"})
    assert r.status_code == 200
    out = r.get_json()
    assert out["cancelled_booking_ids"] == [] and out["not_cancelled"][0]["booking_id"] == first["booking_id"]
    statuses = {o.status for o in db.session.get(BookingSeries, body["id"]).occurrences if o.day > date(2026, 12, 1)}
    assert statuses == {"cancelled"} and db.session.get(BookingSeries, body["id"]).status == "ended"
    assert series.book_due() == (0, 0)
    assert api.post(f"/api/v1/booking-series/{body['id']}/cancel", as_="secretary", json={}).status_code == 422


def test_bad_series_are_refused_with_the_field_named(world, api, aug20):
    cases = [({"until": "2027-09-30"}, "until"), ({"time": "15:30"}, "time"), ({"time": "1400"}, "time"),
             ({"weekday": 7}, "weekday"), ({"week_of_month": 5}, "week_of_month"), ({"headcount": 5}, "headcount"),
             ({"from": "2026-08-01"}, "from"), ({"until": "2026-08-30", "from": "2026-09-01"}, "until"),
             ({"from": "2026-09-01", "until": "2026-09-02"}, "week_of_month")]
    for over, field in cases:
        r = _year_series(api, **over)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (over, r.get_json())
    assert _year_series(api, menu_item_id=99999).status_code == 422
    r = api.post("/api/v1/booking-series", as_="manager", json={
        "menu_item_id": item().id, "weekday": THU, "week_of_month": 1, "time": "14:00", "from": "2026-09-01",
        "until": "2027-08-31", "headcount": 20, "contact_name": "x", "contact_phone": "13800000000"})
    assert r.status_code == 403


def test_a_manager_approves_the_whole_pending_series(world, api, aug20):
    body = _year_series(api, weekday=1, week_of_month=-1, **{"from": "2026-08-24", "until": "2026-10-31"}).get_json()
    approved = series.approve_pending(user("manager"), db.session.get(BookingSeries, body["id"]))
    assert approved == 2
    assert {db.session.get(Booking, o["booking_id"]).status for o in body["occurrences"] if o["booking_id"]} == {"approved"}
    with pytest.raises(Exception):
        series.approve_pending(user("manager2"), db.session.get(BookingSeries, body["id"]))


def test_two_job_processes_book_each_planned_date_once(world, api):
    # Series made 40 days ago (by the clock): what was then beyond the window is due now.
    real = clock.now
    clock.now = lambda: real() - timedelta(days=40)
    try:
        first = clock.local_today() + timedelta(days=1)
        made = []
        for name in ("secretary", "secretary2"):
            for weekday in range(7):
                spec = series.check(user(name), menu_item_id=item().id, weekday=weekday, week_of_month=-1,
                                    time_text="09:00", first=first, last=first + timedelta(days=330), headcount=10,
                                    contact_name="联系人", contact_phone="13800000000")
                made.append(series.create(user(name), spec).id)
    finally:
        clock.now = real
    due = db.session.scalar(select(func.count()).select_from(SeriesOccurrence).where(
        SeriesOccurrence.status == "planned",
        SeriesOccurrence.day <= clock.local_today() + timedelta(days=60)))
    assert due >= 10
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": "jobs-test"}
    cmd = [sys.executable, "-m", "flask", "--app", "app", "jobs", "run", "book-series"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    booked = sum(int(o.split("booked ")[1].split(",")[0]) for o in outs)
    assert booked == due, outs
    per_day = db.session.execute(select(Booking.branch_id, Booking.starts_at, func.count()).where(
        Booking.series_id.in_(made)).group_by(Booking.branch_id, Booking.starts_at).having(func.count() > 1)).all()
    assert per_day == []
    linked = db.session.scalar(select(func.count()).select_from(SeriesOccurrence).where(
        SeriesOccurrence.status == "booked", SeriesOccurrence.booking_id.is_(None)))
    assert linked == 0


def test_the_pages_preview_save_show_and_cancel_a_series(world, client, aug20):
    from tests.conftest import login
    login(client, "secretary")
    menu_item = item()
    html = client.get(f"/menu-items/{menu_item.id}").get_data(as_text=True)
    assert f"/series/new?item_id={menu_item.id}" in html
    form = {"week_of_month": "1", "weekday": str(THU), "time": "14:00", "first": "2026-09-01", "last": "2027-02-28",
            "headcount": "20", "contact_name": "王芳", "contact_phone": "13800000000", "activity_type": "theme_day",
            "topic": "", "preview": "1"}
    html = client.post(f"/series/new?item_id={menu_item.id}", data=form).get_data(as_text=True)
    assert "跳过：法定节假日" in html and "保存后立即预约" in html and "到期自动预约" in html
    assert "2027 年的法定节假日尚未录入" in html
    assert db.session.scalar(select(func.count()).select_from(BookingSeries)) == 0  # a preview writes nothing
    r = client.post(f"/series/new?item_id={menu_item.id}", data={**form, "save": "1"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "固定预约已设置：已预约 1 次" in html and "每月第一个星期四 14:00" in html
    made = db.session.scalar(select(BookingSeries))
    assert f"/series/{made.id}" in client.get("/series").get_data(as_text=True)
    r = client.post(f"/series/new?item_id={menu_item.id}", data={**form, "last": "2027-12-31"})
    assert r.status_code == 422 and "最长 12 个月" in r.get_data(as_text=True)
    r = client.post(f"/series/{made.id}/cancel", data={"from": "2026-09-01", "reason": "支部改组"}, follow_redirects=True)
    assert "已取消 1 个预约" in r.get_data(as_text=True)


def test_the_admin_keeps_the_holiday_calendar_on_its_page(world, client):
    import io
    from tests.conftest import login
    login(client, "admin")
    html = client.get("/admin/holidays?year=2027").get_data(as_text=True)
    assert "2027 年的法定节假日尚未录入" in html
    client.post("/admin/holidays", data={"day": "2027-01-01", "name": "元旦", "kind": "holiday"})
    assert "元旦" in client.get("/admin/holidays?year=2027").get_data(as_text=True)
    text = "日期,名称,类型\n2027-02-06,春节,法定节假日\n2027-02-15,春节调休,调休上班\n"
    r = client.post("/admin/holidays/import", data={"file": (io.BytesIO(text.encode("utf-8-sig")), "2027.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "已导入 2 天" in r.get_data(as_text=True)
    assert db.session.get(Holiday, date(2027, 2, 15)).kind == "workday"
    bad = "日期,名称,类型\n2027-02-30,春节,法定节假日\n"
    r = client.post("/admin/holidays/import", data={"file": (io.BytesIO(bad.encode()), "bad.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "未导入任何日期" in r.get_data(as_text=True)
    client.post("/admin/holidays/2027-01-01/delete")
    assert db.session.get(Holiday, date(2027, 1, 1)) is None
    assert client.post("/admin/holidays/sync", follow_redirects=True).status_code == 200


def test_a_branch_blocked_for_no_shows_is_not_booked_by_its_series(world, api, aug20):
    from booking.visits.services import mark_no_show
    from tests.factories import booking as make
    _year_series(api)
    for days in (3, 5, 7):  # three visits missed in September
        b = make("secretary", start=clock.at_local(date(2026, 9, days), time(9)))
        mark_no_show(user("manager"), b, now=b.ends_at + timedelta(hours=1))
    aug20[0] = _at(date(2026, 10, 4), 1)
    assert series.book_due() == (0, 2)
    reasons = set(db.session.scalars(select(SeriesOccurrence.reason).where(
        SeriesOccurrence.day.in_([date(2026, 11, 5), date(2026, 12, 3)]))))
    assert reasons == {"blocked"}


def test_a_job_failing_after_the_booking_is_written_leaves_the_date_planned_and_books_it_next_time(world, api, aug20,
                                                                                                   monkeypatch):
    """The date is claimed in its booking's own transaction: an error that is not the booking's (the database gone a
    moment after the insert) leaves neither a booking nor a date marked booked, and the next run books it."""
    from sqlalchemy.exc import OperationalError
    from booking.reservations import integrity
    from booking.reservations import records
    body = _year_series(api).get_json()
    aug20[0] = _at(date(2026, 10, 4), 1)
    real = records._insert

    def insert_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(records, "_insert", insert_then_fail)
    assert series.book_due() == (0, 0)
    db.session.expire_all()
    dec = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2026, 12, 3)))
    assert dec.status == "planned" and dec.booking_id is None
    assert db.session.scalar(select(Booking.id).where(Booking.series_id == body["id"],
                                                      Booking.starts_at == dec.starts_at)) is None
    assert integrity.check() == []
    monkeypatch.setattr(records, "_insert", real)
    assert series.book_due() == (2, 0)  # 5 November and 3 December
    db.session.expire_all()
    dec = db.session.get(SeriesOccurrence, dec.id)
    assert dec.status == "booked" and db.session.get(Booking, dec.booking_id).series_id == body["id"]
    assert integrity.check() == []


def test_a_branch_without_a_secretary_is_skipped_for_that_reason(world, api, aug20):
    _year_series(api)
    secretary = user("secretary")
    secretary.active = False
    db.session.commit()
    aug20[0] = _at(date(2026, 10, 4), 1)
    assert series.book_due() == (0, 2)
    dec = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2026, 12, 3)))
    assert dec.status == "skipped" and dec.reason == "no_secretary" and dec.reason_label == "本支部没有可用的书记账号"


def test_a_holiday_entered_later_reaches_the_series(world, api, client, aug20):
    """Reproduced: 2027-01-01 added as a holiday, the series' booking on that day stayed booked and nobody was told.
    Now a planned date becomes skipped (holiday), a booked one is cancelled by the system (places freed) and skipped,
    and the secretary gets series_skipped; the admin's page says what will happen before saving."""
    from booking.reservations import integrity
    from models import Notification
    from tests.conftest import login
    body = _year_series(api).get_json()
    occ = {o["date"]: o for o in body["occurrences"]}
    booked = db.session.get(Booking, occ["2026-09-03"]["booking_id"])
    held_before = db.session.scalar(select(SlotOccupancy.held).where(SlotOccupancy.starts_at == booked.starts_at))
    r = api.post("/api/v1/holidays", as_="admin", json={"date": "2026-09-03", "name": "纪念日", "kind": "holiday"})
    assert r.status_code == 201
    db.session.expire_all()
    assert db.session.get(Booking, booked.id).status == "cancelled"
    history = api.get(f"/api/v1/bookings/{booked.id}/history", as_="secretary").get_json()["items"]
    assert history[-1]["action"] == "cancelled" and "法定节假日" in history[-1]["note"] and history[-1]["actor"] is None
    assert db.session.scalar(select(SlotOccupancy.held).where(SlotOccupancy.starts_at == booked.starts_at)) == \
        held_before - 20
    sep = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2026, 9, 3)))
    assert sep.status == "skipped" and sep.reason == "holiday"
    # A planned date, through the admin's page: first what it will do, then saved on confirming.
    login(client, "admin")
    form = {"day": "2027-01-07", "name": "调整假日", "kind": "holiday"}
    html = client.post("/admin/holidays", data=form).get_data(as_text=True)
    assert "将影响固定预约 1 个日期：1 个待预约的将跳过" in html and "确认保存" in html
    assert db.session.get(Holiday, date(2027, 1, 7)) is None
    assert client.post("/admin/holidays", data={**form, "confirmed": "1"}).status_code == 302
    jan = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2027, 1, 7)))
    assert jan.status == "skipped" and jan.reason == "holiday"
    told = db.session.scalars(select(Notification).where(Notification.kind == "series_skipped")).all()
    assert len(told) == 2 and all(n.user_id == user("secretary").id for n in told)
    assert "法定节假日" in told[0].body
    assert integrity.check() == []


def test_a_closure_entered_later_reaches_the_series_and_one_in_the_past_is_refused(world, api, aug20):
    from booking.manage import services as manage
    from models import Base
    _year_series(api)
    base = db.session.get(Base, item().base_id)
    manage.add_closure(user("manager"), base, venue_id=None, start_date=date(2026, 11, 5), end_date=date(2026, 11, 5),
                       reason="布展")
    nov = db.session.scalar(select(SeriesOccurrence).where(SeriesOccurrence.day == date(2026, 11, 5)))
    assert nov.status == "skipped" and nov.reason == "closed"
    with pytest.raises(ValidationFailed) as refused:
        manage.add_closure(user("manager"), base, venue_id=None, start_date=date(2026, 8, 1),
                           end_date=date(2026, 8, 2), reason="补登")
    assert "已经过去" in refused.value.fields["end_date"]


def test_a_skipped_date_names_its_holiday_and_the_page_shows_no_raw_address(world, api, client, aug20):
    """Reproduced: notifications showed raw URLs on the page and said "法定节假日" without its name."""
    from models import Notification
    from tests.conftest import login
    _year_series(api)
    assert api.post("/api/v1/holidays", as_="admin", json={"date": "2026-09-03", "name": "纪念日",
                                                            "kind": "holiday"}).status_code == 201
    told = db.session.scalar(select(Notification).where(Notification.kind == "series_skipped"))
    assert "纪念日，法定节假日" in told.body and "http://localhost/menu-items/" in told.body  # the email's link
    login(client, "secretary")
    page = client.get("/notifications").get_data(as_text=True)
    assert "纪念日" in page and "http://localhost/menu-items/" not in page
    assert re.search(r'<a href="/menu-items/\d+\?date=2026-09-03">打开</a>', page)
