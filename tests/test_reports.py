"""The district's report: the summary, its Word document, the watch list and the big screen."""
import io
import re
from datetime import date, time, timedelta

import pytest

from docx import Document
from sqlalchemy import select

from booking import clock
from booking.reservations import partners, records
from booking.visits import services as visits
from models import Booking, Branch, Lecturer, Notification, db
from tests.conftest import login
from tests.factories import booking, completed, item, slot_start, user


@pytest.fixture
def pinned(world, monkeypatch):
    """A fixed day: the watch list needs the lecture 15 days back in another month than the one 2 days ahead, the
    big screen needs the visits of the last 20 days in this year."""
    moment = clock.at_local(date(2026, 12, 10), time(10))
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def _district():
    """A season of visits: completed visits at two bases (one joint, one offline, one with a lecturer), a cancelled
    one, a pending request made three days ago. Returns the period as (from, to) strings."""
    lecture = item("专题党课：红色家书里的初心")      # base 1, needs a lecturer
    other = item("先进模范面对面宣讲")                # base 2
    completed("secretary", start=slot_start(-20), headcount=20, visitors=18)
    b = booking("secretary2", menu_item=lecture, start=slot_start(-15), headcount=30)
    from booking.lecturers import services as lecturers
    lecturers.invite(user("manager"), b, user("lecturer").lecturer_id, now=b.starts_at - timedelta(days=2))
    lecturers.accept(user("lecturer"), b, now=b.starts_at - timedelta(days=2))
    partners.invite(user("secretary2"), b, user("secretary").branch_id, 10, now=b.starts_at - timedelta(days=2))
    partners.accept(user("secretary"), b, now=b.starts_at - timedelta(days=2))
    visits.record_attendance(user("manager"), b, 36, now=b.starts_at + timedelta(hours=1),
                             visitor_counts={str(user("secretary2").branch_id): 27, str(user("secretary").branch_id): 9})
    visits.give_feedback(user("secretary2"), b, 5, "", now=b.starts_at + timedelta(hours=3))
    from booking.reservations import services as reservations
    offline = records.create_booking(user("manager2"), menu_item_id=other.id, start=slot_start(-10), headcount=25,
                                          contact_name="联系人", contact_phone="13800000000",
                                          branch_id=user("secretary").branch_id,
                                          now=slot_start(-10) - timedelta(days=3))
    visits.record_attendance(user("manager2"), db.session.get(Booking, offline.id), 22,
                             now=slot_start(-10) + timedelta(hours=1))
    cancelled = booking("secretary2", start=slot_start(-8), headcount=15)
    reservations.cancel_booking(user("manager"), cancelled, "", now=cancelled.starts_at - timedelta(days=1))
    day = lambda d: clock.local(slot_start(d)).date().isoformat()  # noqa: E731
    return day(-30), day(0)


def test_the_summary_states_the_statistics_figures(world, api):
    start, end = _district()
    r = api.get(f"/api/v1/reports/summary?from={start}&to={end}", as_="admin")
    assert r.status_code == 200, r.get_json()
    s = r.get_json()
    stats = api.get(f"/api/v1/stats?from={start}&to={end}&group_by=base", as_="admin").get_json()
    assert (s["batches"], s["person_times"]) == (stats["total"]["batches"], stats["total"]["person_times"]) == (3, 76)
    assert s["satisfaction"] == stats["total"]["satisfaction"] == 5.0
    assert s["from"] == start and s["to"] == end
    assert s["bases"]["total"] == sum(s["bases"]["by_type"].values()) and set(s["bases"]["by_type"]) == {
        "basic", "red", "welfare", "tech"}
    assert s["menu_items"]["total"] == sum(s["menu_items"]["by_category"].values()) > 0
    assert s["lecturers"]["total"] == sum(s["lecturers"]["by_category"].values()) > 0
    assert s["branches_served"] == 2  # the secretary's (host twice, partner once) and secretary2's
    assert s["lectures"] == {"sessions": 1, "participants": 36}
    assert s["by_source"] == {"online": {"batches": 2, "person_times": 54}, "offline": {"batches": 1, "person_times": 22}}
    # By sector each taking-part organisation counts the joint visit, with its own part.
    by_org = api.get(f"/api/v1/stats?from={start}&to={end}&group_by=organization", as_="admin").get_json()["rows"]
    assert sum(r["person_times"] for r in s["by_sector"]) == sum(r["person_times"] for r in by_org) == 76
    assert s["previous"]["batches"] == 0 and s["previous"]["from"] < start

    # A manager sees their base only; a secretary or lecturer not at all; a reversed period is refused.
    mine = api.get(f"/api/v1/reports/summary?from={start}&to={end}", as_="manager").get_json()
    assert (mine["batches"], mine["person_times"], mine["bases"]["total"]) == (2, 54, 1)
    assert api.get("/api/v1/reports/summary", as_="secretary").status_code == 403
    assert api.get("/api/v1/reports/summary", as_="lecturer").status_code == 403
    r = api.get(f"/api/v1/reports/summary?from={end}&to={start}", as_="admin")
    assert r.status_code == 422 and "to" in r.get_json()["error"]["fields"]
    assert api.get("/api/v1/reports/summary?from=2026-02-30", as_="admin").status_code == 422


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join([p.text for p in doc.paragraphs] + [
        " | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows])


def test_every_figure_of_the_word_document_is_the_apis_and_the_statistics_pages(world, api, client):
    start, end = _district()
    s = api.get(f"/api/v1/reports/summary?from={start}&to={end}", as_="admin").get_json()
    r = api.get(f"/api/v1/reports/summary?from={start}&to={end}&format=docx", as_="admin")
    assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
    text = _docx_text(r.data)
    expected = [
        f"开放式组织生活基地 {s['bases']['total']} 个",
        f"制定特色菜单 {s['menu_items']['total']} 项",
        f"打造由 {s['lecturers']['total']} 名志愿者组成的讲师团队",
        f"先后有 {s['batches']} 批 {s['person_times']} 人次到基地开展活动",
        f"服务党支部 {s['branches_served']} 个",
        f"线上预约 {s['by_source']['online']['batches']} 批 {s['by_source']['online']['person_times']} 人次",
        f"线下登记 {s['by_source']['offline']['batches']} 批 {s['by_source']['offline']['person_times']} 人次",
        f"开展讲习活动 {s['lectures']['sessions']} 场，参与活动 {s['lectures']['participants']} 人次",
        f"活动满意度平均 {s['satisfaction']:.2f} 分",
    ]
    for sentence in expected:
        assert sentence in text, (sentence, text)
    for kind, n in s["bases"]["by_type"].items():
        if n:
            from models import BASE_TYPES
            assert f"{BASE_TYPES[kind]} {n} 个" in text
    for row in s["by_sector"]:
        assert f"{row['label']} | {row['batches']} | {row['person_times']}" in text
    assert f"合计 | {s['batches']} | {s['person_times']}" in text
    # The statistics page shows the same totals for the same period.
    login(client, "admin")
    html = client.get(f"/stats/?from={start}&to={end}&group_by=base").get_data(as_text=True)
    assert re.search(rf'id="total-batches">{s["batches"]}<', html) and re.search(
        rf'id="total-person-times">{s["person_times"]}<', html)
    # And the report page, and its own document link.
    html = client.get(f"/reports/?from={start}&to={end}").get_data(as_text=True)
    assert f"先后有 {s['batches']} 批 {s['person_times']} 人次" in html
    page_doc = client.get(f"/reports/summary.docx?from={start}&to={end}")
    assert _docx_text(page_doc.data) == text


def test_the_watch_list_of_a_seeded_district(world, pinned, api, client):
    start, end = _district()
    # Two branches took part in the period; every other active branch is idle.
    r = api.get(f"/api/v1/reports/inactive-branches?from={start}&to={end}&per_page=100", as_="admin")
    assert r.status_code == 200
    body = r.get_json()
    idle = [i["branch"]["id"] for i in body["items"]]
    active = db.session.scalars(select(Branch.id).where(Branch.active.is_(True))).all()
    assert body["total"] == len(active) - 2
    assert user("secretary").branch_id not in idle and user("secretary2").branch_id not in idle
    assert set(idle) == set(active) - {user("secretary").branch_id, user("secretary2").branch_id}
    # Longest idle first: a branch last seen long ago comes after those never seen, before the recently seen.
    third = idle[-1]
    old = records.create_booking(user("manager"), menu_item_id=item().id, start=slot_start(-200), headcount=10,
                                      contact_name="联系人", contact_phone="13800000000", branch_id=third,
                                      now=slot_start(-203))
    visits.record_attendance(user("manager"), db.session.get(Booking, old.id), 10, now=slot_start(-200) + timedelta(hours=1))
    items = api.get(f"/api/v1/reports/inactive-branches?from={start}&to={end}&per_page=100", as_="admin").get_json()["items"]
    assert items[-1]["branch"]["id"] == third and items[-1]["last_activity"] == clock.local(slot_start(-200)).date().isoformat()
    assert all(i["last_activity"] is None for i in items[:-1])
    assert api.get("/api/v1/reports/inactive-branches", as_="manager").status_code == 403

    # A request waiting three days, a lecturer at the monthly limit.
    waiting = booking("secretary2", start=slot_start(10), approve=False)
    db.session.execute(Booking.__table__.update().where(Booking.id == waiting.id)
                       .values(created_at=clock.now() - timedelta(days=3)))
    lecturer = db.session.get(Lecturer, user("lecturer").lecturer_id)
    lecturer.monthly_limit = 1
    db.session.commit()
    from booking.lecturers import services as lecturers
    soon = booking("secretary", menu_item=item("专题党课：红色家书里的初心"), start=slot_start(2), headcount=20)
    lecturers.invite(user("manager"), soon, lecturer.id)
    login(client, "admin")
    html = client.get(f"/reports/watch?from={start}&to={end}").get_data(as_text=True)
    assert f"期间没有开展活动的党支部（{len(active) - 2}）" in html
    assert "等待审核超过 2 天的预约（1）" in html and waiting.branch.name in html
    assert "本月授课已达上限的讲师（1）" in html and lecturer.name in html
    # The admin's landing page has the counts with links.
    html = client.get("/admin/").get_data(as_text=True)
    year_start = clock.local_today().replace(month=1, day=1).isoformat()
    idle_this_year = api.get(f"/api/v1/reports/inactive-branches?from={year_start}&to={clock.local_today()}",
                             as_="admin").get_json()["total"]
    shown = re.search(r'>(\d+)</div><div class="text-dark small">没有开展活动的党支部<', html)
    assert "监督预警" in html and shown and int(shown.group(1)) == idle_this_year
    # The manager's digest says what concerns their base.
    from booking.jobs import services as jobs
    jobs.manager_digest(now=clock.at_local(clock.local_today(), __import__("datetime").time(8, 30)))
    digest = db.session.scalar(select(Notification).where(Notification.user_id == user("manager").id,
                                                          Notification.kind == "digest"))
    assert digest is not None and "等待审核超过 2 天" in digest.body


def test_the_big_screen_is_a_renewable_read_only_link_without_a_cookie(world, pinned, client):
    _district()
    login(client, "admin")
    html = client.post("/reports/screen", data={"action": "renew"}).get_data(as_text=True)
    url = re.search(r'id="screen-url">([^<]+)<', html).group(1)
    path = url.split("localhost", 1)[-1]
    anonymous = world.test_client()
    r = anonymous.get(path)
    assert r.status_code == 200 and "set-cookie" not in {k.lower() for k in r.headers.keys()}
    assert "开放式组织生活基地" in r.get_data(as_text=True)
    data = anonymous.get(path + "/data.json")
    assert data.status_code == 200 and "set-cookie" not in {k.lower() for k in data.headers.keys()}
    tiles = {t["label"]: t["value"] for t in data.get_json()["tiles"]}
    assert tiles["活动批次"] >= 3
    # Renewed: the old link stops at once.
    client.post("/reports/screen", data={"action": "renew"})
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/screen/not-a-token").status_code == 404
    # Only the admin sets it up.
    other = world.test_client()
    login(other, "manager")
    assert other.post("/reports/screen", data={"action": "renew"}).status_code == 403


def test_no_year_on_year_comparison_against_a_year_before_the_first_record(world, pinned, client):
    """Reproduced: the demo's report said "+1091.3%" year on year, against a year before the system held records."""
    from booking.reports import services
    _district()
    login(client, "admin")
    page = client.get("/reports/").get_data(as_text=True)
    assert "上年同期本系统尚无完整记录" in page and "较上年同期增加" not in page
    assert services.change_text(12, 1) == "较上年同期增加 11（+1100.0%）"
    assert services.change_text(12, 1, covered=False) == "上年同期本系统尚无完整记录，不作比较"
