"""Answers kept while the database has not changed (booking.database.snapshot): the statistics, an area's day,
the watch list and the bookings list are given again while nothing was committed, and computed anew after any
commit, by this connection, another one or another process; a session with writes of its own keeps nothing."""
from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import create_engine, text

from booking import clock
from booking.database import snapshot
from models import Booking, db
from tests.test_areas import area
from tests.factories import item, slot_start
from tests.factories import booking as make_booking
from tests.server import assert_integrity, call, gunicorn

PASSWORD = "demo-pass-2026"


def _kept():
    return current_app.extensions["kept_answers"]


def _by_area(api) -> tuple[int, int]:
    r = api.get("/api/v1/stats?group_by=area", as_="admin")
    assert r.status_code == 200, r.get_json()
    total = r.get_json()["total"]
    return total["batches"], total["person_times"]


def _on_open_days(n: int, days, secretary="secretary", menu_item=None, hour=9, approve=True) -> list:
    """n bookings on the first days of `days` (offsets from today) the venue is open: a weekend or a public
    holiday it keeps closed is skipped, so the test holds whatever today is."""
    made = []
    for offset in days:
        if len(made) == n:
            break
        try:
            made.append(make_booking(secretary, menu_item, slot_start(offset, hour), headcount=20, approve=approve))
        except Exception:  # a closed day: the next one
            db.session.rollback()
    assert len(made) == n, f"only {len(made)} open days found"
    return made


def _attended(api, visit, count: int) -> None:
    r = api.post(f"/api/v1/bookings/{visit.id}/attendance", as_="admin", json={"visitor_count": count})
    assert r.status_code == 200, r.get_json()


def _outside_engine():
    """A connection of its own to the same database, as another process would have."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    return create_engine(uri)


def test_an_answer_is_given_again_until_anyone_commits_a_change(world, api):
    first = _on_open_days(1, range(-5, -40, -1))[0]
    second = _on_open_days(1, range(-6, -40, -1), "secretary2")[0]
    _attended(api, first, 18)
    store = _kept()
    assert _by_area(api) == (1, 18)
    hits = store.hits
    assert _by_area(api) == (1, 18)
    assert store.hits == hits + 1  # given again: nothing was committed in between

    # A change through the API (this process): the next answer counts it.
    _attended(api, second, 15)
    assert _by_area(api) == (2, 33)

    # A change committed by another connection (another process, a psql shell): counted at once.
    engine = _outside_engine()
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE bookings SET visitor_count = visitor_count + 5 WHERE id = :id"),
                         {"id": first.id})
    finally:
        engine.dispose()
    assert _by_area(api) == (2, 38)
    hits = store.hits
    assert _by_area(api) == (2, 38)
    assert store.hits == hits + 1


def test_each_list_and_page_is_kept_by_who_asks_and_what(world, api):
    """The key holds the caller's scope and the query: a secretary never gets the admin's list, nor one page
    another's."""
    _attended(api, _on_open_days(1, range(-5, -40, -1))[0], 18)
    _attended(api, _on_open_days(1, range(-6, -40, -1), "secretary2")[0], 12)
    everyone = api.get("/api/v1/bookings?per_page=1", as_="admin").get_json()
    mine = api.get("/api/v1/bookings?per_page=1", as_="secretary").get_json()
    assert everyone["total"] == 2 and mine["total"] == 1
    second_page = api.get("/api/v1/bookings?per_page=1&page=2", as_="admin").get_json()
    assert second_page["items"][0]["id"] != everyone["items"][0]["id"]
    assert api.get("/api/v1/bookings?per_page=1", as_="secretary").get_json() == mine
    store = _kept()
    kept_before = len(store.answers)
    for _ in range(2):  # a refusal is raised, never kept: each is decided anew
        assert api.get("/api/v1/stats?group_by=area", as_="secretary").status_code == 403
    assert len(store.answers) == kept_before


def test_nothing_is_kept_for_a_session_holding_writes_of_its_own(world):
    b = _on_open_days(1, range(-5, -40, -1))[0]
    assert snapshot.state() is not None
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert snapshot.kept("k", compute) == snapshot.kept("k", compute) == 1
    visit = db.session.get(Booking, b.id)
    visit.visitor_count = 30  # not flushed: the session sees a row nobody else does
    assert snapshot.state() is None
    db.session.flush()  # flushed, in a transaction not committed
    assert snapshot.state() is None
    assert snapshot.kept("k", compute) == 2 and snapshot.kept("k", compute) == 3
    db.session.commit()
    assert snapshot.state() is not None
    assert snapshot.kept("k", compute) == 4 and snapshot.kept("k", compute) == 4


def test_every_worker_answers_as_the_database_is_now(world):
    """Four gunicorn workers each keep the statistics; a visit recorded through one of them is counted by all at
    once (the other workers see the commit, by PostgreSQL's snapshot or SQLite's data_version)."""
    visits = _on_open_days(7, range(-5, -60, -1))
    ids = [v.id for v in visits]
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        admin = call(url, "POST", "/api/v1/auth/token", {"username": "admin", "password": PASSWORD})[1]["token"]

        def answers() -> Counter:
            seen = Counter()
            for _ in range(24):  # more than enough to reach each of the four workers several times
                status, body = call(url, "GET", "/api/v1/stats?group_by=area", None, admin)
                assert status == 200, body
                seen[(body["total"]["batches"], body["total"]["person_times"])] += 1
            return seen

        assert answers() == {(0, 0): 24}
        for n, visit_id in enumerate(ids, 1):
            status, body = call(url, "POST", f"/api/v1/bookings/{visit_id}/attendance", {"visitor_count": 10}, admin)
            assert status == 200, body
            assert answers() == {(n, 10 * n): 24}
    assert_integrity()


def test_an_answer_kept_this_minute_is_not_given_the_next(world, api, monkeypatch):
    """What an answer says can change with no write at all: a booking waiting at the street's base drops out of its
    day once its start has passed. The minute is part of the key."""
    waiting = _on_open_days(1, range(2, 40), "secretary2", item("志愿服务：社区环境整治"), approve=False)[0]
    assert waiting.status == "pending"
    street = area("滨江街道").id

    def pending() -> int:
        r = api.get(f"/api/v1/areas/{street}/overview", as_="street")
        assert r.status_code == 200, r.get_json()
        return r.get_json()["pending_bookings"]

    assert pending() == pending() == 1
    later = waiting.starts_at + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert pending() == 0
