"""Guards against regressions on the hot paths: queries per request, and indexes the hot queries use."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from booking import clock
from models import db
from tests.factories import booking, item, slot_start


@contextmanager
def counted():
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_availability_is_two_queries(world, api):
    token = api.token("secretary")
    day = (clock.local_today() + timedelta(days=3)).isoformat()
    item_id = item().id
    with counted() as statements:
        r = api.client.get(f"/api/v1/menu-items/{item_id}/availability?date={day}",
                           headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert len(statements) == 2, statements  # token; item with the day's slots and the places held in them


def test_base_detail_is_four_queries(world, api):
    token = api.token("secretary")
    with counted() as statements:
        r = api.client.get("/api/v1/bases/1", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and len(statements) == 4, statements


def _create(api, username, **extra):
    token = api.token(username)
    body = {"menu_item_id": item().id, "start": clock.iso(slot_start(3, 9)), "headcount": 10,
            "contact_name": "王芳", "contact_phone": "13800000000", **extra}
    with counted() as statements:
        r = api.client.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.get_json()
    return statements


def test_offline_creation_is_eight_statements_and_the_notification(world, api):
    from tests.factories import user
    statements = _create(api, "manager", branch_id=user("secretary").branch_id)
    # reads: token with bases, item with rules and slot, branch with secretaries, duplicate and code;
    # writes: places (one upsert), then under the slot's lock whether the branch took part in another booking of
    # the slot a moment ago (a read with its own snapshot: PostgreSQL's upsert could not see that commit) and the
    # slot's open lecture (讲习活动) the booking joins (read under the slot's lock, so a lecture published at that
    # moment is never missed), booking, history, notifications (one statement for all)
    assert len(statements) == 10, statements
    assert sum(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in statements) == 4, statements


def test_online_creation_is_eleven_statements(world, api):
    statements = _create(api, "secretary")
    # the offline reads plus the branch's no-show record and the base's managers, who are told of the request
    assert len(statements) == 12, statements


def _list_queries(api, username):
    token = api.token(username)
    with counted() as statements:
        r = api.client.get("/api/v1/bookings?per_page=100", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return len(statements), r.get_json()["total"]


def test_bookings_list_has_no_query_per_row(world, api):
    booking(start=slot_start(3, 9))
    few, total_few = _list_queries(api, "manager")
    for days in range(4, 24):
        booking(start=slot_start(days, 9))
    many, total_many = _list_queries(api, "manager")
    assert (total_few, total_many) == (1, 21)
    assert many == few


def test_stats_by_month_is_one_query(world, api):
    for days in range(-12, -2):
        from tests.factories import completed
        completed(start=slot_start(days, 9))
    token = api.token("admin")
    with counted() as statements:
        r = api.client.get("/api/v1/stats?group_by=month", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json()["total"]["batches"] == 10
    assert len([s for s in statements if "bookings" in s]) == 1  # the total is the sum of the rows


HOT_QUERIES = {
    "token lookup": ("SELECT id FROM api_tokens WHERE token_hash = 'x'", "api_tokens"),
    "places held in a slot": ("SELECT held FROM slot_occupancies WHERE venue_id = 1 AND starts_at = '2026-12-01 01:00:00'",
                              "slot_occupancies"),
    "weekly slots of a venue": ("SELECT start_time FROM opening_slots WHERE venue_id = 1 AND weekday = 2", "opening_slots"),
    "a branch's live booking of a slot": (
        "SELECT id FROM bookings WHERE branch_id = 1 AND venue_id = 1 AND starts_at = '2026-12-01 01:00:00' "
        "AND status IN ('pending', 'approved')", "bookings"),
    "a base's bookings by start": ("SELECT id FROM bookings WHERE base_id = 1 ORDER BY starts_at LIMIT 20", "bookings"),
    "completed visits in a period": (
        "SELECT count(*) FROM bookings WHERE status = 'completed' AND day >= '2026-01-01' AND day <= '2026-12-31'",
        "bookings"),
    "bookings by code": ("SELECT id FROM bookings WHERE code = 'ABCDEFGH'", "bookings"),
    "due reminders": ("SELECT id FROM bookings WHERE status = 'approved' AND starts_at > '2026-12-01' "
                      "AND starts_at <= '2026-12-02'", "bookings"),
}


@pytest.mark.parametrize("name", list(HOT_QUERIES))
def test_hot_queries_use_an_index(app, name):
    sql, table = HOT_QUERIES[name]
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "INDEX" in plan and f"SCAN {table}" not in plan.replace(" USING", ""), plan
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: ask whether an index can serve
        plan = " ".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))
        db.session.rollback()
        assert "Index" in plan and "Seq Scan" not in plan, plan


def test_menu_item_calendar_costs_the_same_for_a_week_or_four(world, client):
    """The calendar of days with room is three queries, not two per day."""
    from models import Base
    from tests.conftest import login
    login(client, "secretary")
    item_id = item().id
    counts = []
    for horizon in (7, 60):
        db.session.get(Base, 1).max_advance_days = horizon
        db.session.commit()
        with counted() as statements:
            assert client.get(f"/menu-items/{item_id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
