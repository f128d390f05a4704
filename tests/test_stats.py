"""Statistics: totals equal the recorded visitor counts for each role's scope; exports match the figures."""
import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from booking import clock
from models import db
from tests.conftest import login
from tests.factories import booking, completed, item, slot_start, user


def _scenario():
    """Completed visits in two bases, two branches and two months, plus things that must not count."""
    red = item("重温入党誓词")               # base 1 (manager)
    hall = item("参观先进事迹展")            # base 2 (manager2)
    visits = [
        completed("secretary", red, slot_start(-40, 9), 30, 28),
        completed("secretary", hall, slot_start(-10, 14), 20, 19),
        completed("secretary2", red, slot_start(-10, 9), 25, 22),
        completed("secretary2", hall, slot_start(-3, 9), 15, 15),
    ]
    booking("secretary", red, slot_start(-2, 14))                  # approved, never recorded
    no_show = booking("secretary2", hall, slot_start(-2, 14))
    from booking.visits.services import mark_no_show
    mark_no_show(user("admin"), no_show, now=no_show.starts_at + timedelta(hours=1))
    booking("secretary", red, slot_start(5, 9), approve=False)     # future, pending
    return visits


def _stats(api, as_, group_by, **params):
    query = "&".join([f"group_by={group_by}"] + [f"{k}={v}" for k, v in params.items()])
    r = api.get(f"/api/v1/stats?{query}", as_=as_)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _expected(visits):
    return {"batches": len(visits), "person_times": sum(v.visitor_count for v in visits)}


def test_totals_equal_recorded_counts_per_scope(world, api):
    visits = _scenario()
    sec, sec2 = user("secretary"), user("secretary2")
    scopes = {
        "admin": visits,
        "manager": [v for v in visits if v.base_id == 1],
        "manager2": [v for v in visits if v.base_id == 2],
        "secretary": [v for v in visits if v.branch_id == sec.branch_id],
        "secretary2": [v for v in visits if v.branch_id == sec2.branch_id],
    }
    for who, mine in scopes.items():
        for group_by in ("base", "base_type", "month", "organization"):
            body = _stats(api, who, group_by)
            total = {k: body["total"][k] for k in ("batches", "person_times")}
            assert total == _expected(mine), (who, group_by)
            assert sum(r["batches"] for r in body["rows"]) == total["batches"]
            assert sum(r["person_times"] for r in body["rows"]) == total["person_times"]
            assert all(r["batches"] > 0 for r in body["rows"])
            assert [r["key"] for r in body["rows"]] == sorted(r["key"] for r in body["rows"])


def test_rows_keys_and_labels(world, api):
    visits = _scenario()
    by_base = _stats(api, "admin", "base")["rows"]
    assert [(r["key"], r["label"]) for r in by_base] == [(1, "红星革命纪念馆"), (2, "时代楷模事迹展览馆")]
    assert by_base[0]["person_times"] == 28 + 22
    types = _stats(api, "admin", "base_type")["rows"]
    assert {(r["key"], r["label"]) for r in types} == {("red", "红色型"), ("basic", "基础型")}
    months = _stats(api, "admin", "month")["rows"]
    expected_months = sorted({f"{v.day:%Y-%m}" for v in visits})
    assert [r["key"] for r in months] == expected_months
    # The key stays YYYY-MM; the label is how a person writes the month (reproduced: "2026-02" was shown).
    first = min(visits, key=lambda v: v.day).day
    assert months[0]["label"] == f"{first.year}年{first.month}月"
    orgs = _stats(api, "admin", "organization")["rows"]
    assert {r["label"] for r in orgs} == {"区直机关工委", "滨江街道党工委"}


def test_period_bounds_are_inclusive_by_start_date(world, api):
    visits = _scenario()
    day = visits[1].day  # two visits on this day
    body = _stats(api, "admin", "base", **{"from": day.isoformat(), "to": day.isoformat()})
    assert body["total"] == {**body["total"], **_expected([v for v in visits if v.day == day])}
    later = (day + timedelta(days=1)).isoformat()
    body = _stats(api, "admin", "base", **{"from": later})
    assert body["total"]["batches"] == 1  # only the visit three days ago


def test_lecturer_grouping_counts_accepted_lecturers_and_the_rest_in_one_row(world, api):
    """Reproduced: 合计 879 batches while the lecturers' rows summed to 372 (visits without a lecturer had no row).
    Now those visits, and those whose lecturer never accepted, are the row 未安排讲师 (key null, last)."""
    b = completed()
    none = {"key": None, "label": "未安排讲师", "batches": 1, "person_times": 18, "satisfaction": None}
    assert _stats(api, "admin", "lecturer")["rows"] == [none]
    lecturer = user("lecturer").lecturer
    b.lecturer_id, b.lecturer_status = lecturer.id, "accepted"
    invited_only = completed(start=slot_start(-6), visitors=10)
    invited_only.lecturer_id, invited_only.lecturer_status = lecturer.id, "invited"
    completed(start=slot_start(-7), visitors=7)
    db.session.commit()
    body = _stats(api, "admin", "lecturer")
    assert body["rows"] == [{"key": lecturer.id, "label": "张建国", "batches": 1, "person_times": 18, "satisfaction": None},
                            {**none, "batches": 2, "person_times": 17}]
    assert body["total"]["batches"] == 3 == sum(r["batches"] for r in body["rows"])
    assert body["total"]["person_times"] == 35 == sum(r["person_times"] for r in body["rows"])


def test_stats_validation(world, api):
    assert api.get("/api/v1/stats", as_="admin").status_code == 422
    assert api.get("/api/v1/stats?group_by=planet", as_="admin").status_code == 422
    r = api.get("/api/v1/stats?group_by=base&from=2026-05-01&to=2026-04-01", as_="admin")
    assert r.status_code == 422 and "to" in r.get_json()["error"]["fields"]


def test_satisfaction_average(world, api):
    a, b = completed(), completed("secretary2", start=slot_start(-6))
    from booking.visits.services import give_feedback
    give_feedback(user("secretary"), a, 5)
    give_feedback(user("secretary2"), b, 4)
    assert _stats(api, "admin", "base")["total"]["satisfaction"] == 4.5


def test_exports_match_the_dashboard(world, client, api):
    _scenario()
    body = _stats(api, "admin", "base")
    login(client, "admin")
    start = (clock.local_today() - timedelta(days=365)).isoformat()
    end = clock.local_today().isoformat()
    html = client.get(f"/stats/?group_by=base&from={start}&to={end}").get_data(as_text=True)
    assert f'id="total-person-times">{body["total"]["person_times"]}<' in html

    r = client.get(f"/stats/export.csv?group_by=base&from={start}&to={end}")
    assert r.data.startswith("\ufeff".encode()) and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == ["基地", "批次", "人次", "满意度（平均分）"]
    # The page's file: the API's rows, and the idle bases with zeros (the page shows them too).
    assert [(row[0], int(row[1]), int(row[2])) for row in rows[1:-1] if int(row[1])] == [
        (x["label"], x["batches"], x["person_times"]) for x in body["rows"]]
    assert {row[0] for row in rows[1:-1] if not int(row[1])} == {"滨江党群服务中心", "智造科技创新基地"}
    assert rows[-1][:3] == ["合计", str(body["total"]["batches"]), str(body["total"]["person_times"])]

    r = client.get(f"/stats/export.xlsx?group_by=base&from={start}&to={end}")
    ws = load_workbook(io.BytesIO(r.data)).active
    values = list(ws.iter_rows(values_only=True))
    assert "全区" in values[0][0]
    assert list(values[1]) == ["基地", "批次", "人次", "满意度（平均分）"]
    assert [(v[0], v[1], v[2]) for v in values[2:-1] if v[1]] == [(x["label"], x["batches"], x["person_times"]) for x in body["rows"]]
    assert values[-1][:3] == ("合计", body["total"]["batches"], body["total"]["person_times"])


def test_dashboard_scopes_and_empty_state(world, client):
    login(client, "secretary")
    html = client.get("/stats/").get_data(as_text=True)
    assert "本支部" in html and "所选期间没有已完成的活动" in html
    assert client.get("/stats/?from=bad").status_code == 422


def test_stats_use_sql_aggregation_not_rows(world, api):
    """A handful of queries however many visits there are."""
    from sqlalchemy import event
    for days in range(-30, -5):
        completed("secretary", start=slot_start(days, 9), visitors=10)
    statements = []
    engine = db.engine
    listener = lambda *a, **k: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        body = _stats(api, "admin", "month")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert body["total"]["batches"] == 25
    assert len([s for s in statements if "bookings" in s]) == 1  # the total is the sum of the rows




def test_bad_period_is_explained_above_the_form(world, client):
    login(client, "admin")
    r = client.get("/stats/?group_by=base&from=2026-05-01&to=2026-02-01")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "截止日期不能早于起始日期" in html
    # No figures beside the message: those of another period would read as the answer.
    assert 'id="total-batches"' not in html and "所选期间没有已完成的活动" not in html
    assert 'value="2026-05-01"' in html and 'value="2026-02-01"' in html  # what was typed stays in the form


def test_the_page_shows_idle_bases_with_zeros_but_the_api_lists_only_bases_with_visits(world, client, api):
    _scenario()
    login(client, "admin")
    html = client.get("/stats/?group_by=base&from=2000-01-01").get_data(as_text=True)
    assert "滨江党群服务中心" in html and "智造科技创新基地" in html  # no visits: shown with zeros
    assert "科技型" in client.get("/stats/?group_by=base_type&from=2000-01-01").get_data(as_text=True)
    text = client.get("/stats/export.csv?group_by=base&from=2000-01-01").data.decode("utf-8-sig")
    assert "智造科技创新基地,0,0," in text
    assert [r["key"] for r in _stats(api, "admin", "base")["rows"]] == [1, 2]  # the contract: groups with a batch
    client.post("/logout")
    from flask import g
    g.pop("_login_user", None)
    login(client, "manager")
    html = client.get("/stats/?group_by=base&from=2000-01-01").get_data(as_text=True)
    assert "红星革命纪念馆" in html and "智造科技创新基地" not in html  # a manager's own bases only


def test_only_a_total_row_is_bold_in_the_spreadsheets(world, client):
    """The statistics' 合计 row is bold; the study-hours sheet has no total, and its last member is not."""
    import io
    from openpyxl import load_workbook
    from tests.conftest import login
    from tests.factories import completed, user
    completed()
    login(client, "admin")
    sheet = load_workbook(io.BytesIO(client.get("/stats/export.xlsx?group_by=base").data)).active
    last = list(sheet.iter_rows())[-1]
    assert "合计" in str(last[0].value) and last[0].font.b
    client.post("/logout")
    login(client, "secretary")
    branch = user("secretary").branch_id
    client.post(f"/branches/{branch}/members", data={"name": "王芳", "role": "member", "status": "full"})
    sheet = load_workbook(io.BytesIO(client.get(f"/branches/{branch}/study-hours.xlsx").data)).active
    assert not list(sheet.iter_rows())[-1][0].font.b
