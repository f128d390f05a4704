"""The pages of the branch's organisational life: the roll and its import, picking the roster and marking who came
on the booking page, study hours, the ledger and the record files."""
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from booking.members import services
from booking.visits import services as visits
from models import Member, RosterEntry, db
from tests.conftest import login
from tests.factories import booking, item, slot_start, user

LECTURE = "专题党课：红色家书里的初心"


def _upload(client, branch_id, text: str, encoding="utf-8-sig", name="党员.csv", follow=False):
    return client.post(f"/branches/{branch_id}/members/import", data={"file": (io.BytesIO(text.encode(encoding)), name)},
                       content_type="multipart/form-data", follow_redirects=follow)


def test_the_roll_is_imported_all_or_nothing_in_utf8_or_gbk_and_twice_changes_nothing(world, client):
    branch = user("secretary").branch_id
    login(client, "secretary")
    good = "姓名,身份,党员类别,手机号\n王芳,书记,正式党员,13800000000\n李明,委员,,\n张华,,预备党员,\n"
    r = _upload(client, branch, good, follow=True)
    assert "新增党员 3 人" in r.get_data(as_text=True)
    r = _upload(client, branch, good, encoding="gb18030", follow=True)  # GBK, as Excel saves it
    assert "已在名册中跳过 3 人" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Member)) == 3
    roles = {m.name: (m.role, m.status) for m in db.session.scalars(select(Member))}
    assert roles == {"王芳": ("secretary", "full"), "李明": ("committee", "full"), "张华": ("member", "probationary")}
    bad = "姓名,身份,党员类别,手机号\n赵磊,队长,,\n,党员,,\n钱进,党员,,abc\n孙丽,党员,,\n孙丽,党员,,\n"
    r = _upload(client, branch, bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "未导入任何党员" in html
    for n in (2, 3, 4, 6):
        assert f"第 {n} 行" in html
    assert db.session.scalar(select(func.count()).select_from(Member)) == 3
    assert "姓名,身份" in client.get(f"/branches/{branch}/members/template.csv").data.decode("utf-8-sig")
    client.post("/logout")
    from flask import g
    g.pop("_login_user", None)
    login(client, "secretary2")
    assert client.get(f"/branches/{branch}/members").status_code == 404


def test_adding_changing_and_deactivating_a_member_on_the_page(world, client):
    branch = user("secretary").branch_id
    login(client, "secretary")
    r = client.post(f"/branches/{branch}/members", data={"name": "", "role": "member", "status": "full"})
    assert r.status_code == 422 and "请填写党员姓名" in r.get_data(as_text=True)
    client.post(f"/branches/{branch}/members", data={"name": "周洁", "role": "deputy", "status": "full", "phone": ""})
    m = db.session.scalar(select(Member).where(Member.name == "周洁"))
    assert m.role == "deputy"
    client.post(f"/members/{m.id}", data={"name": "周洁", "role": "deputy", "status": "full", "phone": ""})  # active unticked
    db.session.refresh(m)
    assert m.active is False
    client.get(f"/branches/{branch}/members")  # the page that shows the flashed messages
    listed = f'/members/{m.id}"'
    assert listed not in client.get(f"/branches/{branch}/members").get_data(as_text=True)
    assert listed in client.get(f"/branches/{branch}/members?inactive=1").get_data(as_text=True)


def _people(n=4):
    branch = user("secretary").branch
    return [services.add_member(user("secretary"), branch, name=name, role=role)
            for name, role in [("王芳", "secretary"), ("李明", "committee"), ("张华", "member"), ("赵磊", "member")][:n]]


def test_the_secretary_picks_the_roster_and_the_manager_sees_it(world, client):
    people = _people()
    b = booking(menu_item=item(LECTURE), start=slot_start(5), headcount=20)
    login(client, "secretary")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert 'data-action="set_roster"' in html and "全选" in html and "王芳" in html
    r = client.post(f"/bookings/{b.id}/roster", data={"member_ids": [str(p.id) for p in people[:3]]}, follow_redirects=True)
    assert "参加人员已确定：3 人" in r.get_data(as_text=True)
    client.post("/logout")
    from flask import g
    g.pop("_login_user", None)
    login(client, "manager")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "参加人员（3 人）" in html and "李明" in html and 'data-action="set_roster"' not in html


def test_attendance_on_the_page_all_present_or_one_by_one(world, client):
    people = _people()
    b = booking(menu_item=item(LECTURE), start=slot_start(-1), headcount=20)
    services.set_roster(user("secretary"), b, [p.id for p in people], now=b.starts_at - timedelta(days=1))
    visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
    login(client, "secretary")
    r = client.post(f"/bookings/{b.id}/roster/attendance", data={"all_present": "1"}, follow_redirects=True)
    assert "出席 4 人，缺席 0 人" in r.get_data(as_text=True)
    form = {f"att-{p.id}": "present" for p in people}
    form[f"att-{people[3].id}"] = "absent"
    form[f"reason-{people[3].id}"] = "sick"
    form[f"reason-{people[2].id}"] = "other"
    form[f"att-{people[2].id}"] = "absent"
    form[f"reason_text-{people[2].id}"] = "照顾家人"
    r = client.post(f"/bookings/{b.id}/roster/attendance", data=form, follow_redirects=True)
    assert "出席 2 人，缺席 2 人" in r.get_data(as_text=True)
    reasons = {e.member.name: e.absence_reason for e in db.session.scalars(select(RosterEntry)) if e.attendance == "absent"}
    assert reasons == {"赵磊": "病假", "张华": "照顾家人"}
    # The record, on the page and as files.
    r = client.get(f"/bookings/{b.id}/record.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert client.get(f"/bookings/{b.id}/record.docx").status_code == 200
    branch = user("secretary").branch_id
    html = client.get(f"/branches/{branch}/study-hours?year={b.day.year}").get_data(as_text=True)
    assert "王芳" in html and "1.0 / 56 学时" in html and "0.0 / 32 学时" in html
    wb = load_workbook(io.BytesIO(client.get(f"/branches/{branch}/study-hours.xlsx?year={b.day.year}").data))
    assert list(wb.active.iter_rows(values_only=True))[1][:2] == ("姓名", "身份")
    html = client.get(f"/branches/{branch}/records?year={b.day.year}").get_data(as_text=True)
    assert "党员出席 2 / 4 人" in html and f"/bookings/{b.id}/record.pdf" in html
    html = client.get(f"/members/{people[0].id}?year={b.day.year}").get_data(as_text=True)
    assert f"/bookings/{b.id}" in html and "1.0 学时" in html


def test_the_ledger_and_a_members_year_are_grouped_by_month_with_the_sums_first(world, api, client):
    """Reproduced: the study-hours detail and the ledger page grew to 20,000 and 28,000 px (every activity in one
    list). Now the year's summary first, then one folding group a month, the latest open."""
    import re
    from tests.test_documents import _lecture
    b = _lecture(api)
    login(client, "secretary")
    html = client.get(f"/branches/{b.branch_id}/records?year={b.day.year}").get_data(as_text=True)
    assert "年度汇总（对照三会一课要求" in html and "每季度 1 次" in html
    assert html.index("年度汇总") < html.index("<details")
    assert re.search(rf"<summary[^>]*>{b.day.month}月 · 1 次（党课）</summary>", html)
    member = b.roster[0].member_id
    html = client.get(f"/members/{member}?year={b.day.year}").get_data(as_text=True)
    assert re.search(rf"<summary[^>]*>{b.day.month}月 · 1 次 · [\d.]+ 学时</summary>", html)
