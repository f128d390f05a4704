"""The access matrix: every page and every API route, for every role, with objects inside and outside the area
administrator's area (the contract's "Areas"): never a 500; the area administrator reads nothing outside its area
(404 for an object, 403 for a report) and changes nothing outside it, nor any booking inside it."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from booking import clock
from booking.members import services as members
from booking.requests import services as lecture_requests
from models import Area, Base, Branch, Organization, db
from tests.conftest import login
from tests.factories import booking, completed, item, slot_start, user

# The admin last: its sweep resets and deactivates the accounts it names (what an admin may do).
ROLES = ("street", "manager", "secretary", "lecturer", "admin")
# What an area administrator reads only inside its area: a GET naming one of these outside answers 403 or 404.
SCOPED = {"booking_id", "branch_id", "request_id", "series_id", "member_id", "user_id", "org_id", "entry_id",
          "photo_id", "sheet_id", "notification_id"}
# Tables an area administrator's refused requests must leave as they were.
WATCHED = ("bookings", "booking_events", "booking_partners", "slot_occupancies", "lectures", "branches", "organizations",
           "users", "members", "roster_entries", "lecture_requests", "bases", "areas", "booking_series", "waitlist_entries")


def _fingerprint(tables=WATCHED) -> str:
    digest = hashlib.sha256()
    for table in tables:
        for row in db.session.execute(text(f"SELECT * FROM {table} ORDER BY 1")):  # noqa: S608 (fixed names)
            digest.update(repr(tuple(row)).encode())
    db.session.rollback()
    return digest.hexdigest()


def _request_of(secretary: str):
    today = clock.local_today()
    return lecture_requests.submit(user(secretary), topic="党史学习", first=today + timedelta(days=4),
                                   last=today + timedelta(days=8), address="党员活动室", headcount=20,
                                   contact_name="联系人", contact_phone="13800000000")


@pytest.fixture
def sides(world):
    """Objects outside 滨江街道 (secretary's branch, 红星革命纪念馆) and inside it (secretary2's branch, 滨江党群服务中心)."""
    red, centre = item("重温入党誓词"), item("志愿服务：社区环境整治")
    outside_booking = completed("secretary", red, slot_start(-12, 9), 20, 16)
    inside_booking = completed("secretary2", centre, slot_start(-10, 14), 20, 9)
    booking("secretary", red, slot_start(6, 9), approve=False)
    booking("secretary2", centre, slot_start(7, 9), approve=False)
    admin = user("admin")
    out_member = members.add_member(admin, db.session.get(Branch, user("secretary").branch_id), name="外部党员")
    in_member = members.add_member(admin, db.session.get(Branch, user("secretary2").branch_id), name="辖区党员")
    out_request, in_request = _request_of("secretary"), _request_of("secretary2")
    # An open lecture: the district's calendar, readable by every role; changed by its base's manager only.
    from booking.lectures import services as lectures
    lecture = lectures.publish(admin, menu_item_id=item("专题党课：红色家书里的初心").id, start=slot_start(9, 14),
                               lecturer_id=user("lecturer2").lecturer_id, topic="讲习")

    def org(name):
        return db.session.scalar(select(Organization.id).where(Organization.name == name))

    def base(name):
        return db.session.scalar(select(Base.id).where(Base.name == name))
    common = {"lecturer_id": user("lecturer").lecturer_id, "item_id": red.id, "day": clock.local_today().isoformat(),
              "token": "no-such-token", "code": "ZZZZZZ", "venue_id": red.venue_id, "slot_id": 999999,
              "closure_id": 999999, "block_id": 999999, "photo_id": 999999, "entry_id": 999999, "series_id": 999999,
              "sheet_id": 999999, "notification_id": 999999, "lecture_id": lecture.id}
    outside = {**common, "booking_id": outside_booking.id, "branch_id": user("secretary").branch_id,
               "request_id": out_request.id, "member_id": out_member.id, "user_id": user("secretary").id,
               "org_id": org("区直机关工委"), "base_id": base("红星革命纪念馆"),
               "area_id": db.session.scalar(select(Area.id).where(Area.name == "红星街道"))}
    inside = {**common, "booking_id": inside_booking.id, "branch_id": user("secretary2").branch_id,
              "request_id": in_request.id, "member_id": in_member.id, "user_id": user("secretary2").id,
              "org_id": org("滨江街道党工委"), "base_id": base("滨江党群服务中心"),
              "area_id": db.session.scalar(select(Area.id).where(Area.name == "滨江社区"))}
    return outside, inside


def _routes(app):
    """(rule, method) of every page and API route but the static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(app, rule, values) -> str:
    args = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        options = getattr(converter, "items", None) or getattr(converter, "choices", None)
        args[name] = (sorted(options)[0] if options else values[name])
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **args)


def _call(client, token, method, url):
    from flask import g
    g.pop("_login_user", None)  # requests share the test's app context: each finds its own session's user
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {} if method in ("POST", "PUT", "PATCH") else None
        return client.open(url, method=method, headers=headers, json=body)
    return client.open(url, method=method, data={} if method != "GET" else None)


def _token(client, username):
    r = client.post("/api/v1/auth/token", json={"username": username, "password": "demo-pass-2026"})
    assert r.status_code == 200
    return r.get_json()["token"]


def test_no_route_answers_500_to_any_role_inside_or_outside(app, sides):
    outside, inside = sides
    sessions = []
    for username in ROLES:  # every session opened first: a sweep may change another account
        client = app.test_client()
        login(client, username)
        sessions.append((username, client, _token(client, username)))
    for username, client, token in sessions:
        for values in (outside, inside):
            for rule, method in _routes(app):
                if rule.endpoint in ("auth.logout", "api.delete_token", "auth.login"):
                    continue
                url = _url(app, rule, values)
                r = _call(client, token, method, url)
                assert r.status_code < 500, (username, method, url, r.status_code)
                db.session.rollback()


def test_the_area_admin_reads_nothing_outside_its_area(app, sides):
    outside, _ = sides
    client = app.test_client()
    login(client, "street")
    token = _token(client, "street")
    leaks = []
    for rule, method in _routes(app):
        if method != "GET" or not (set(rule.arguments) & SCOPED):
            continue
        url = _url(app, rule, outside)
        r = _call(client, token, method, url)
        if r.status_code not in (403, 404, 422):  # 422: the query's own values refused before anything is read
            leaks.append((url, r.status_code))
    assert not leaks
    # Reports asked for an area it does not hold: 403.
    for url in (f"/api/v1/stats?group_by=month&area_id={outside['area_id']}",
                f"/api/v1/reports/summary?area_id={outside['area_id']}",
                f"/api/v1/reports/inactive-branches?area_id={outside['area_id']}",
                f"/api/v1/reports/watch?area_id={outside['area_id']}",
                f"/api/v1/areas/{outside['area_id']}/overview"):
        assert _call(client, token, "GET", url).status_code == 403, url
    for url in (f"/stats/?group_by=month&area_id={outside['area_id']}", f"/reports/?area_id={outside['area_id']}",
                f"/reports/watch?area_id={outside['area_id']}", f"/area/?area_id={outside['area_id']}",
                f"/reports/summary.docx?area_id={outside['area_id']}"):
        assert client.get(url).status_code == 403, url


def test_the_area_admin_reads_inside_its_area(app, sides):
    _, inside = sides
    client = app.test_client()
    login(client, "street")
    token = _token(client, "street")
    for url in (f"/api/v1/bookings/{inside['booking_id']}", f"/bookings/{inside['booking_id']}",
                f"/requests/{inside['request_id']}", f"/branches/{inside['branch_id']}/members",
                f"/branches/{inside['branch_id']}/study-hours", f"/api/v1/branches/{inside['branch_id']}/members",
                f"/admin/branches/{inside['branch_id']}", f"/admin/organizations/{inside['org_id']}",
                f"/admin/users/{inside['user_id']}", f"/area/?area_id={inside['area_id']}",
                f"/api/v1/stats?group_by=area&area_id={inside['area_id']}"):
        r = _call(client, token, "GET", url)
        assert r.status_code == 200, (url, r.status_code)


def test_the_area_admin_changes_nothing_outside_its_area_nor_any_booking(app, sides):
    outside, inside = sides
    client = app.test_client()
    login(client, "street")
    token = _token(client, "street")
    before = _fingerprint()
    for rule, method in _routes(app):
        if method == "GET" or not (set(rule.arguments) & (SCOPED | {"base_id", "area_id", "item_id", "venue_id",
                                                                     "lecture_id"})):
            continue
        r = _call(client, token, method, _url(app, rule, outside))
        assert r.status_code < 500
        db.session.rollback()
    assert _fingerprint() == before
    # Inside its area it reads bookings but never changes one (nor its places, history or partners).
    booking_tables = ("bookings", "booking_events", "booking_partners", "slot_occupancies", "waitlist_entries")
    before = _fingerprint(booking_tables)
    for rule, method in _routes(app):
        if method == "GET" or "booking_id" not in rule.arguments:
            continue
        r = _call(client, token, method, _url(app, rule, inside))
        assert r.status_code < 500
        db.session.rollback()
    assert _fingerprint(booking_tables) == before
