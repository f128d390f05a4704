"""Manager and admin pages, and the permission rules behind them."""
import io
import re
from datetime import time, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from booking import clock
from booking.errors import NotAllowed, ValidationFailed
from booking.manage import services as manage
from models import AuditEntry, Base, Booking, Branch, Closure, MenuItem, OpeningSlot, Organization, User, Venue, db
from tests.conftest import login


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


# -- permission rules (services) ------------------------------------------------------------------

def test_manager_edits_only_own_base(world):
    manager, manager2, admin, secretary = (_user(n) for n in ("manager", "manager2", "admin", "secretary"))
    assert manage.base_for_edit(manager, 1).id == 1
    with pytest.raises(NotAllowed):
        manage.base_for_edit(manager, 2)
    with pytest.raises(NotAllowed):
        manage.base_for_edit(manager2, 1)
    with pytest.raises(NotAllowed):
        manage.base_for_edit(secretary, 1)
    assert manage.base_for_edit(admin, 2).id == 2
    other_venue = db.session.scalar(select(Venue).where(Venue.base_id == 2))
    with pytest.raises(NotAllowed):
        manage.venue_for_edit(manager, other_venue.id)


def test_rules_validation(world):
    manager = _user("manager")
    base = db.session.get(Base, 1)
    with pytest.raises(ValidationFailed) as err:
        manage.update_base(manager, base, name=base.name, type="red", address="", description="", contact_name=None,
                           contact_phone=None, min_advance_days=10, max_advance_days=5, cancel_deadline_hours=24,
                           requires_approval=True)
    assert "max_advance_days" in err.value.fields


def test_slots_may_not_overlap(world):
    manager = _user("manager")
    venue = db.session.scalar(select(Venue).where(Venue.base_id == 1))
    with pytest.raises(ValidationFailed) as err:
        manage.add_slot(manager, venue, weekdays=[0], start=time(10), end=time(12), capacity=20)
    assert "重叠" in err.value.fields["start"]
    created = manage.add_slot(manager, venue, weekdays=[0, 2], start=time(18), end=time(20), capacity=20)
    assert [s.weekday for s in created] == [0, 2]


def test_capacity_cannot_drop_below_held_places(world):
    from models import SlotOccupancy
    manager = _user("manager")
    item = db.session.scalar(select(MenuItem).where(MenuItem.base_id == 1))
    day = clock.local_today() + timedelta(days=3)
    start = clock.at_local(day, time(9))
    db.session.add(SlotOccupancy(venue_id=item.venue_id, starts_at=start, ends_at=start + timedelta(hours=2),
                                 capacity=80, held=30))
    db.session.commit()
    slot = db.session.scalar(select(OpeningSlot).where(OpeningSlot.venue_id == item.venue_id,
                                                       OpeningSlot.weekday == day.weekday(),
                                                       OpeningSlot.start_time == time(9)))
    with pytest.raises(ValidationFailed):
        manage.update_slot_capacity(manager, slot, 20)
    manage.update_slot_capacity(manager, slot, 40)
    occ = db.session.scalar(select(SlotOccupancy))
    assert occ.capacity == 40 and slot.capacity == 40


def test_menu_item_group_limit_within_venue(world):
    manager = _user("manager")
    base = db.session.get(Base, 1)
    venue = base.venues[0]
    with pytest.raises(ValidationFailed) as err:
        manage.save_menu_item(manager, base, None, title="新项目", description="", category="red",
                              content_topic="党史学习", duration_minutes=60, min_group=1,
                              max_group=venue.capacity + 1, venue_id=venue.id, needs_lecturer=False)
    assert "max_group" in err.value.fields
    other = db.session.scalar(select(Venue).where(Venue.base_id == 2))
    with pytest.raises(ValidationFailed) as err:
        manage.save_menu_item(manager, base, None, title="新项目", description="", category="red",
                              content_topic="党史学习", duration_minutes=60, min_group=1, max_group=10,
                              venue_id=other.id, needs_lecturer=False)
    assert "venue_id" in err.value.fields


# -- manager pages --------------------------------------------------------------------------------

def test_manager_pages_and_forbidden_base(world, client):
    login(client, "manager")
    assert client.get("/manage/").status_code == 200
    assert client.get("/manage/bases/1").status_code == 200
    assert client.get("/manage/bases/2").status_code == 403
    venue2 = db.session.scalar(select(Venue).where(Venue.base_id == 2))
    assert client.post(f"/manage/venues/{venue2.id}", data={"name": "x", "kind": "museum", "capacity": 5}).status_code == 403


def test_manager_adds_slot_closure_and_item_through_pages(world, client):
    login(client, "manager")
    venue = db.session.scalar(select(Venue).where(Venue.base_id == 1))
    r = client.post(f"/manage/venues/{venue.id}/slots",
                    data={"weekdays": ["5", "6"], "start": "18:00", "end": "19:30", "capacity": "30"})
    assert r.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(OpeningSlot).where(
        OpeningSlot.venue_id == venue.id, OpeningSlot.start_time == time(18))) == 2
    r = client.post(f"/manage/venues/{venue.id}/slots", data={"weekdays": [], "start": "18:00", "end": "17:00", "capacity": "0"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请至少选择一天" in html

    day = clock.local_today() + timedelta(days=10)
    r = client.post("/manage/bases/1/closures", data={"venue_id": "0", "start_date": day.isoformat(),
                                                      "end_date": day.isoformat(), "reason": "馆内布展"})
    assert r.status_code == 302
    closure = db.session.scalar(select(Closure))
    assert closure.reason == "馆内布展" and closure.venue_id is None
    r = client.post("/manage/bases/1/closures", data={"venue_id": "0", "start_date": day.isoformat(),
                                                      "end_date": (day - timedelta(days=2)).isoformat(), "reason": "x"})
    assert r.status_code == 422 and "结束日期不能早于开始日期" in r.get_data(as_text=True)
    assert client.post(f"/manage/closures/{closure.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0

    r = client.post("/manage/bases/1/menu/new", data={
        "title": "红色故事分享会", "description": "", "category": "red", "content_topic": "党史学习",
        "duration_minutes": "60", "min_group": "5", "max_group": "50", "venue_id": str(venue.id),
        "needs_lecturer": "y", "active": "y"})
    assert r.status_code == 302
    assert db.session.scalar(select(MenuItem).where(MenuItem.title == "红色故事分享会")).needs_lecturer
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) >= 3


def test_secretary_cannot_open_management(world, client):
    login(client, "secretary")
    assert client.get("/manage/").status_code == 403
    assert client.get("/admin/").status_code == 403


# -- admin pages ----------------------------------------------------------------------------------

def test_admin_creates_users_of_each_role(world, client):
    login(client, "admin")
    branch = db.session.scalar(select(Branch))
    r = client.post("/admin/users/new", data={"username": "sec3", "display_name": "赵书记", "role": "secretary",
                                              "password": "password-123", "branch_id": str(branch.id),
                                              "lecturer_id": "0"})
    assert r.status_code == 302, r.get_data(as_text=True)
    r = client.post("/admin/users/new", data={"username": "mgr3", "display_name": "钱管理员", "role": "manager",
                                              "password": "password-123", "base_ids": ["3", "4"], "branch_id": "0",
                                              "lecturer_id": "0"})
    assert r.status_code == 302
    assert _user("mgr3").base_ids == [3, 4]
    r = client.post("/admin/users/new", data={"username": "sec4", "display_name": "无支部", "role": "secretary",
                                              "password": "password-123", "branch_id": "0", "lecturer_id": "0"})
    assert r.status_code == 200 and "必须关联一个党支部" in r.get_data(as_text=True)
    r = client.post("/admin/users/new", data={"username": "sec3", "display_name": "重名", "role": "admin",
                                              "password": "password-123", "branch_id": "0", "lecturer_id": "0"})
    assert "该用户名已被使用" in r.get_data(as_text=True)


def test_admin_assigns_bases_resets_password_and_deactivates(world, client):
    login(client, "admin")
    manager2 = _user("manager2")
    r = client.post(f"/admin/users/{manager2.id}", data={"display_name": "吴芳", "email": "", "phone": "",
                                                         "branch_id": "0", "base_ids": ["2", "3"]})
    assert r.status_code == 302 and _user("manager2").base_ids == [2, 3]
    r = client.post(f"/admin/users/{manager2.id}/password", data={"password": "another-pass-1"})
    assert r.status_code == 302 and _user("manager2").check_password("another-pass-1")
    assert client.post(f"/admin/users/{manager2.id}/active").status_code == 302
    assert _user("manager2").active is False
    me = _user("admin")
    client.post(f"/admin/users/{me.id}/active")
    assert _user("admin").active is True  # one cannot lock oneself out


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8-sig"))


def test_import_branches_from_csv_is_idempotent(world, client):
    login(client, "admin")
    body = ("党组织,所属领域,支部名称,联系人,联系电话\n"
            "区卫健委党委,机关,区卫健委机关党支部,孙敏,13900000001\n"
            "区卫健委党委,机关,区疾控中心党支部,,\n"
            "滨江街道党工委,街道社区,滨江社区党支部,,\n")
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "branches.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.name == "区卫健委党委"))
    assert org.sector == "government" and len(org.branches) == 2
    total = db.session.scalar(select(func.count()).select_from(Branch))
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "branches.csv")},
                    content_type="multipart/form-data")
    assert db.session.scalar(select(func.count()).select_from(Branch)) == total


def test_import_branches_reports_errors_and_imports_nothing(world, client):
    login(client, "admin")
    before = db.session.scalar(select(func.count()).select_from(Branch))
    body = "党组织,所属领域,支部名称\n新组织,火星,第一支部\n,机关,无名\n"
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "b.csv")}, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "第 2 行" in html and "第 3 行" in html
    assert db.session.scalar(select(func.count()).select_from(Branch)) == before


def test_import_branches_from_xlsx(world, client):
    login(client, "admin")
    wb = Workbook()
    ws = wb.active
    ws.append(["党组织", "所属领域", "支部名称", "联系人", "联系电话"])
    for i in range(1, 301):
        ws.append(["区两新组织综合党委", "两新组织", f"第{i}联合党支部", None, None])
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    r = client.post("/admin/branches/import", data={"file": (data, "branches.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 302
    org = db.session.scalar(select(Organization).where(Organization.name == "区两新组织综合党委"))
    assert org.sector == "new_organization" and len(org.branches) == 300


def test_import_rejects_other_files(world, client):
    login(client, "admin")
    r = client.post("/admin/branches/import", data={"file": (io.BytesIO(b"\x89PNG..."), "x.png")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "请上传 .csv 或 .xlsx 文件" in r.get_data(as_text=True)
    r = client.post("/admin/branches/import", data={"file": (io.BytesIO(b"not a zip"), "x.xlsx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "无法读取该 Excel 文件" in r.get_data(as_text=True)


def test_admin_creates_base_and_lecturer(world, client):
    login(client, "admin")
    r = client.post("/admin/bases", data={"name": "新时代文明实践站", "type": "welfare", "address": "X区", "description": ""})
    assert r.status_code == 302
    base = db.session.scalar(select(Base).where(Base.name == "新时代文明实践站"))
    assert base.requires_approval and r.headers["Location"].endswith(f"/manage/bases/{base.id}")
    r = client.post("/admin/lecturers/new", data={"name": "钱进", "category": "model", "topics": "思想政治、文明道德",
                                                  "bio": "", "phone": "", "monthly_limit": "4", "active": "y"})
    assert r.status_code == 302
    from models import Lecturer
    lec = db.session.scalar(select(Lecturer).where(Lecturer.name == "钱进"))
    assert set(lec.topics) == {"文明道德", "思想政治"} and lec.monthly_limit == 4
    assert client.post(f"/admin/bases/{base.id}/active").status_code == 302
    assert db.session.get(Base, base.id).active is False


def test_admin_pages_render(world, client):
    login(client, "admin")
    for path in ("/admin/", "/admin/users", "/admin/users?role=manager&q=man", "/admin/users/new",
                 "/admin/organizations", "/admin/organizations?q=滨江", "/admin/branches/new", "/admin/bases",
                 "/admin/lecturers", "/admin/lecturers/new", "/admin/lecturers/1", "/admin/audit",
                 "/admin/users/2", "/admin/organizations/1", "/admin/branches/1", "/admin/branches/template.csv"):
        assert client.get(path).status_code == 200, path


def test_a_closure_over_live_bookings_lists_them_and_cancels_or_keeps_them(world, client):
    # Reported (pilot): a closure over an approved booking only flashed a count; the booking stayed approved and
    # nobody was told.
    from booking.reservations import states
    from models import Notification
    from tests.factories import booking, slot_start, user
    b = booking(start=slot_start(8, 9))
    other = booking(secretary="secretary2", start=slot_start(9, 9))
    login(client, "manager")
    day = clock.local(b.starts_at).date()
    form = {"venue_id": "0", "start_date": day.isoformat(), "end_date": (day + timedelta(days=1)).isoformat(),
            "reason": "设备检修"}
    r = client.post("/manage/bases/1/closures", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and f"/bookings/{b.id}" in html and f"/bookings/{other.id}" in html
    assert "闭馆并取消这些预约" in html and db.session.scalar(select(func.count()).select_from(Closure)) == 0
    r = client.post("/manage/bases/1/closures", data={**form, "affected": "cancel"}, follow_redirects=True)
    assert "已取消 2 个预约" in r.get_data(as_text=True)
    db.session.expire_all()
    for booking_id, secretary in ((b.id, "secretary"), (other.id, "secretary2")):
        row = db.session.get(Booking, booking_id)
        assert row.status == states.CANCELLED
        assert any("闭馆：设备检修" in e.note for e in row.events)
        told = db.session.scalar(select(Notification).where(Notification.booking_id == booking_id,
                                                            Notification.user_id == user(secretary).id,
                                                            Notification.kind == "booking_cancelled"))
        assert told is not None and "设备检修" in told.body
    # Keeping them: the closure is saved, the booking stays for the manager to move.
    kept = booking(start=slot_start(12, 9))
    day = clock.local(kept.starts_at).date()
    r = client.post("/manage/bases/1/closures", data={"venue_id": "0", "start_date": day.isoformat(),
                                                      "end_date": day.isoformat(), "reason": "临时活动",
                                                      "affected": "keep"}, follow_redirects=True)
    assert "保留了 1 个预约" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, kept.id).status == states.APPROVED


def test_import_creates_secretaries_with_one_time_passwords_downloaded_once(world, client):
    from openpyxl import load_workbook
    from models import CredentialSheet
    login(client, "admin")
    body = ("党组织,所属领域,支部名称,联系人,联系电话,书记姓名,书记用户名,书记手机号\n"
            "区卫健委党委,机关,区卫健委机关党支部,孙敏,13900000001,孙敏,sunmin,13900000001\n"
            "区卫健委党委,机关,区疾控中心党支部,,,周洁,zhoujie,\n"
            "区卫健委党委,机关,区中医院党支部,,,,,\n")
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "branches.csv")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "只能下载一次" in html and "新建书记账号 2 个" in html
    sun = db.session.scalar(select(User).where(User.username == "sunmin"))
    assert sun.role == "secretary" and sun.branch.name == "区卫健委机关党支部" and sun.must_change_password
    assert sun.phone == "13900000001" and sun.display_name == "孙敏"
    sheet = db.session.scalar(select(CredentialSheet))
    r = client.post(f"/admin/credentials/{sheet.id}")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    accounts = {row[3]: row[4] for row in rows if row[3] in ("sunmin", "zhoujie")}
    assert set(accounts) == {"sunmin", "zhoujie"}
    assert sun.check_password(accounts["sunmin"]) and len(accounts["sunmin"]) == 12
    # Once only: the file is gone from the database.
    db.session.refresh(sheet)
    assert sheet.content is None and sheet.downloaded_at is not None
    r = client.post(f"/admin/credentials/{sheet.id}", follow_redirects=True)
    assert "已下载过" in r.get_data(as_text=True)
    # The organisation list shows which branches have a secretary; importing again makes nothing new.
    html = client.get("/admin/organizations?q=区卫健委党委").get_data(as_text=True)
    assert "书记账号：孙敏" in html and "尚无书记账号" in html
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "branches.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "已有账号跳过 2 个" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CredentialSheet)) == 1
    # The new secretary must choose a password at first login.
    client.post("/logout")
    r = login(client, "sunmin", accounts["sunmin"])
    assert r.headers["Location"].endswith("/account")


def test_import_of_secretaries_checks_every_row_first(world, client):
    login(client, "admin")
    before = db.session.scalar(select(func.count()).select_from(User))
    body = ("党组织,所属领域,支部名称,书记姓名,书记用户名,书记手机号\n"
            "区卫健委党委,机关,甲支部,孙敏,manager,\n"        # someone else's username
            "区卫健委党委,机关,乙支部,周洁,bad name,\n"        # not a username
            "区卫健委党委,机关,丙支部,,zhou,\n"               # username without a name
            "区卫健委党委,机关,丁支部,吴刚,wugang,abc\n"       # not a phone
            "区卫健委党委,机关,戊支部,吴刚,wu2,\n"
            "区卫健委党委,机关,己支部,吴强,wu2,\n")           # the same username twice
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "b.csv")}, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for n in (2, 3, 4, 5, 7):
        assert f"第 {n} 行" in html
    assert "已被其他账号使用" in html and "与第 6 行重复" in html
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert db.session.scalar(select(func.count()).select_from(Branch).where(Branch.name == "戊支部")) == 0


def test_the_import_template_matches_the_demo_and_imports_nothing_new(world, client):
    login(client, "admin")
    r = client.get("/admin/branches/template.csv")
    assert "filename*=UTF-8''%E5%85%9A" in r.headers["Content-Disposition"]  # 党支部导入模板.csv
    branches = db.session.scalar(select(func.count()).select_from(Branch))
    users = db.session.scalar(select(func.count()).select_from(User))
    r = client.post("/admin/branches/import", data={"file": (io.BytesIO(r.data), "template.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "新增支部 0 个" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Branch)) == branches
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_the_audit_log_speaks_plainly_and_can_be_filtered(world, client):
    manager = db.session.scalar(select(User).where(User.username == "manager"))
    venue = db.session.get(Base, 1).venues[0]
    made = manage.add_slot(manager, venue, weekdays=[0, 2], start=time(18), end=time(20), capacity=40)
    manage.update_slot_capacity(manager, made[0], 30)
    entries = {e.action: e.detail for e in db.session.scalars(select(AuditEntry))}
    assert entries["slot_added"] == f"红星革命纪念馆 / {venue.name}：周一、周三 18:00–20:00，容量 40 人"
    assert entries["slot_capacity"] == f"红星革命纪念馆 / {venue.name}：周一 18:00–20:00：容量 40 → 30 人"
    login(client, "admin")
    html = client.get("/admin/audit?action=slot_capacity").get_data(as_text=True)
    assert "容量 40 → 30 人" in html and "周一、周三" not in html
    html = client.get("/admin/audit?q=周三&who=manager").get_data(as_text=True)
    assert "周一、周三 18:00–20:00" in html
    assert "没有符合条件的操作记录" in client.get("/admin/audit?who=nobody-at-all").get_data(as_text=True)
    r = client.get("/admin/audit?from=not-a-date&target=venue")
    assert r.status_code == 200 and "已忽略日期条件" in r.get_data(as_text=True)


def test_an_undownloaded_password_sheet_is_dropped_after_a_day(world, client):
    from datetime import timedelta as _td
    from models import CredentialSheet
    login(client, "admin")
    first = "党组织,所属领域,支部名称,书记姓名,书记用户名\n区卫健委党委,机关,甲支部,孙敏,sunmin\n"
    client.post("/admin/branches/import", data={"file": (_csv(first), "a.csv")}, content_type="multipart/form-data")
    sheet = db.session.scalar(select(CredentialSheet))
    sheet.created_at = clock.now() - _td(days=2)
    db.session.commit()
    second = "党组织,所属领域,支部名称,书记姓名,书记用户名\n区卫健委党委,机关,乙支部,周洁,zhoujie\n"
    client.post("/admin/branches/import", data={"file": (_csv(second), "b.csv")}, content_type="multipart/form-data")
    db.session.expire_all()
    assert db.session.get(CredentialSheet, sheet.id).content is None
    r = client.post(f"/admin/credentials/{sheet.id}", follow_redirects=True)
    assert "已超过一天" in r.get_data(as_text=True)


def test_a_password_sheet_past_its_day_is_refused_and_dropped_by_the_job(client, world):
    """Reproduced: the sheet said it was kept one day, but only the next import dropped it. A download past its day
    is refused and drops it; the job drop-password-sheets drops the others."""
    from datetime import timedelta as _td
    from booking import clock
    from booking.jobs.services import run_job
    from models import CredentialSheet
    login(client, "admin")
    for name, branch, username in (("孙敏", "甲支部", "sunmin"), ("周洁", "乙支部", "zhoujie")):
        body = f"党组织,所属领域,支部名称,书记姓名,书记用户名\n区卫健委党委,机关,{branch},{name},{username}\n"
        client.post("/admin/branches/import", data={"file": (_csv(body), "a.csv")}, content_type="multipart/form-data")
    first, second = db.session.scalars(select(CredentialSheet).order_by(CredentialSheet.id)).all()
    for sheet in (first, second):
        sheet.created_at = clock.now() - _td(days=1, minutes=5)
    db.session.commit()
    r = client.post(f"/admin/credentials/{first.id}", follow_redirects=True)
    assert "已超过一天" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CredentialSheet, first.id).content is None
    assert db.session.get(CredentialSheet, second.id).content is None  # dropped with it
    assert run_job("drop-password-sheets") == (True, "dropped 0")


def test_every_audited_action_has_a_chinese_name():
    """Reproduced: the audit log showed raw codes (holidays_imported). Every action the code records, and every
    kind of target, has the name a person reads."""
    import re
    from pathlib import Path
    from models.audit import AUDIT_ACTIONS, AUDIT_TARGETS
    root = Path(__file__).resolve().parent.parent / "booking"
    source = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\([^,]+, "([a-z_]+)", "([a-z_]+)"', source))
    assert recorded, "no audit.record calls found"
    assert {a for a, _ in recorded} <= set(AUDIT_ACTIONS), {a for a, _ in recorded} - set(AUDIT_ACTIONS)
    assert {t for _, t in recorded} <= set(AUDIT_TARGETS), {t for _, t in recorded} - set(AUDIT_TARGETS)


def test_import_branches_checks_contacts_and_reports_every_problem_of_a_row(world, client):
    """Reproduced: the branch import accepted contact phone "abc" and "1381234" and an empty 联系人, and reported
    one error per row however many it had."""
    login(client, "admin")
    before = db.session.scalar(select(func.count()).select_from(Branch))
    body = ("党组织,所属领域,支部名称,联系人,联系电话\n"
            "新组织,火星,第一支部,,abc\n"
            "新组织二,机关,第二支部,张三,1381234\n"
            "新组织三,机关,第三支部,李四,13812345678\n")
    r = client.post("/admin/branches/import", data={"file": (_csv(body), "b.csv")}, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    row2 = re.search(r"第 2 行：[^<]+", html).group(0)
    assert "所属领域“火星”无效" in row2 and "请同时填写联系人" in row2 and "“abc”不是有效的" in row2
    assert "“1381234”不是有效的" in re.search(r"第 3 行：[^<]+", html).group(0)
    assert "第 4 行" not in html
    assert db.session.scalar(select(func.count()).select_from(Branch)) == before
