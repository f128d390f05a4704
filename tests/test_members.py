"""The branch's organisational life through the API and the services: members, rosters, who attended, study hours,
and the record as Word, PDF and Excel."""
import io
from datetime import timedelta

from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from booking import clock
from booking.members import services
from booking.visits import services as visits
from models import BookingEvent, Member, RosterEntry, db
from tests.factories import booking, item, slot_start, user

LECTURE = "专题党课：红色家书里的初心"  # 60 minutes: 1 study hour at 45 minutes an hour, rounded down to a half


def _branch_id(name="secretary"):
    return user(name).branch_id


def _members(api, n=4, as_="secretary"):
    branch = _branch_id(as_)
    made = []
    for i, (name, role) in enumerate([("王芳", "secretary"), ("李明", "committee"), ("张华", "member"),
                                      ("赵磊", "member"), ("钱进", "member")][:n]):
        r = api.post(f"/api/v1/branches/{branch}/members", as_=as_,
                     json={"name": name, "role": role, **({"status": "probationary"} if i == 3 else {})})
        assert r.status_code == 201, r.get_json()
        made.append(r.get_json())
    return made


def test_members_are_kept_by_the_branch_and_the_admin(world, api):
    made = _members(api)
    assert set(made[0]) == {"id", "branch_id", "name", "role", "status", "phone", "active"}
    assert made[2]["role"] == "member" and made[2]["status"] == "full" and made[3]["status"] == "probationary"
    branch = _branch_id()
    body = api.get(f"/api/v1/branches/{branch}/members", as_="admin").get_json()
    assert body["total"] == 4 and body["items"][0]["name"] == "王芳"  # leaders first
    r = api.patch(f"/api/v1/members/{made[2]['id']}", as_="secretary", json={"active": False, "phone": "13900000000"})
    assert r.status_code == 200 and r.get_json()["active"] is False and r.get_json()["phone"] == "13900000000"
    assert api.get(f"/api/v1/branches/{branch}/members?active=true", as_="secretary").get_json()["total"] == 3
    assert api.get(f"/api/v1/branches/{branch}/members?active=false", as_="secretary").get_json()["total"] == 1
    # Others: a branch they may not know → 404; a manager knows branches but does not keep them → 403.
    assert api.get(f"/api/v1/branches/{branch}/members", as_="secretary2").status_code == 404
    assert api.get(f"/api/v1/branches/{branch}/members", as_="lecturer").status_code == 404
    assert api.get(f"/api/v1/branches/{branch}/members", as_="manager").status_code == 403
    assert api.patch(f"/api/v1/members/{made[0]['id']}", as_="secretary2", json={"name": "x"}).status_code == 404
    assert api.get("/api/v1/branches/99999/members", as_="admin").status_code == 404
    # Bad input: named fields.
    r = api.post(f"/api/v1/branches/{branch}/members", as_="secretary", json={"name": "", "role": "king"})
    assert r.status_code == 422 and {"name", "role"} <= set(r.get_json()["error"]["fields"])
    r = api.patch(f"/api/v1/members/{made[0]['id']}", as_="secretary", json={"phone": "not a phone"})
    assert r.status_code == 422 and "phone" in r.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Member)) == 4  # never deleted


def test_a_booking_carries_its_activity_type(world, api):
    start = slot_start(5)
    r = api.post("/api/v1/bookings", as_="secretary", json={
        "menu_item_id": item().id, "start": clock.iso(start), "headcount": 20, "contact_name": "王芳",
        "contact_phone": "13800000000", "activity_type": "party_lecture"})
    assert r.status_code == 201 and r.get_json()["activity_type"] == "party_lecture"
    r = api.post("/api/v1/bookings", as_="secretary2", json={
        "menu_item_id": item().id, "start": clock.iso(start), "headcount": 20, "contact_name": "李强",
        "contact_phone": "13800000001"})
    assert r.get_json()["activity_type"] == "theme_day"  # the default
    r = api.post("/api/v1/bookings", as_="secretary", json={
        "menu_item_id": item().id, "start": clock.iso(slot_start(6)), "headcount": 20, "contact_name": "王芳",
        "contact_phone": "13800000000", "activity_type": "party"})
    assert r.status_code == 422 and "activity_type" in r.get_json()["error"]["fields"]


def test_the_roster_holds_active_members_of_the_branch_up_to_the_headcount(world, api):
    made = _members(api)
    other = _members(api, n=1, as_="secretary2")[0]
    b = booking(start=slot_start(5), headcount=10)
    path = f"/api/v1/bookings/{b.id}/roster"
    r = api.put(path, as_="secretary", json={"member_ids": [m["id"] for m in made[:3]]})
    assert r.status_code == 200 and r.get_json()["total"] == 3
    item0 = r.get_json()["items"][0]
    assert set(item0) == {"member_id", "branch_id", "name", "role", "attendance", "absence_reason", "signed_in_at",
                          "study_hours"}
    assert item0["attendance"] is None and item0["study_hours"] == 0
    # Another branch's member, an inactive one, a stranger id, duplicates: 422 naming member_ids.
    for ids in ([other["id"]], [999999], [made[0]["id"], made[0]["id"]], "1,2", [True]):
        r = api.put(path, as_="secretary", json={"member_ids": ids})
        assert r.status_code == 422 and "member_ids" in r.get_json()["error"]["fields"], ids
    api.patch(f"/api/v1/members/{made[3]['id']}", as_="secretary", json={"active": False})
    assert api.put(path, as_="secretary", json={"member_ids": [made[3]["id"]]}).status_code == 422
    # Longer than the headcount: refused, not cut short.
    small = booking(secretary="secretary", start=slot_start(7), headcount=10)
    many = [services.add_member(user("secretary"), user("secretary").branch, name=f"党员{i}").id for i in range(11)]
    r = api.put(f"/api/v1/bookings/{small.id}/roster", as_="secretary", json={"member_ids": many})
    assert r.status_code == 422 and "超过预约人数" in r.get_json()["error"]["fields"]["member_ids"]
    assert not db.session.scalar(select(func.count()).select_from(RosterEntry).where(RosterEntry.booking_id == small.id))
    # Only the branch's secretary sets it; the base's manager sees it.
    assert api.put(path, as_="manager", json={"member_ids": []}).status_code == 403
    assert api.get(path, as_="manager").get_json()["total"] == 3
    assert api.get(path, as_="secretary2").status_code == 404
    assert db.session.scalar(select(BookingEvent).where(BookingEvent.action == "roster_set", BookingEvent.booking_id == b.id))


def test_the_headcount_cannot_drop_below_the_roster(world, api):
    made = _members(api, n=5)
    b = booking(start=slot_start(5), headcount=10)
    api.put(f"/api/v1/bookings/{b.id}/roster", as_="secretary", json={"member_ids": [m["id"] for m in made]})
    from models import MenuItem
    menu_item = db.session.get(MenuItem, b.menu_item_id)
    menu_item.min_group = 1
    db.session.commit()
    r = api.patch(f"/api/v1/bookings/{b.id}", as_="secretary", json={"headcount": 4})
    assert r.status_code == 422 and "请先从名单中移除" in r.get_json()["error"]["fields"]["headcount"]
    assert api.patch(f"/api/v1/bookings/{b.id}", as_="secretary", json={"headcount": 5}).status_code == 200


def _visit_with_roster(api, minutes_item=LECTURE):
    made = _members(api)
    b = booking(menu_item=item(minutes_item), start=slot_start(-2), headcount=20)
    entries = [RosterEntry(booking_id=b.id, member_id=m["id"], branch_id=b.branch_id) for m in made]
    db.session.add_all(entries)  # set before the visit (the roster is set while the booking is live)
    db.session.commit()
    return b, made


def test_attendance_after_check_in_credits_study_hours_and_can_be_corrected(world, api):
    b, made = _visit_with_roster(api)
    path = f"/api/v1/bookings/{b.id}/roster/attendance"
    body = {"present": [made[0]["id"], made[1]["id"]], "absent": [{"member_id": made[2]["id"], "reason": "病假"}]}
    r = api.put(path, as_="secretary", json=body)
    assert r.status_code == 409  # not checked in, not completed
    visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
    r = api.put(path, as_="secretary", json=body)
    assert r.status_code == 200, r.get_json()
    rows = {x["name"]: x for x in r.get_json()["items"]}
    assert rows["王芳"]["attendance"] == "present" and rows["王芳"]["study_hours"] == 1.0
    assert rows["张华"]["attendance"] == "absent" and rows["张华"]["absence_reason"] == "病假"
    assert rows["赵磊"]["attendance"] == "absent" and rows["赵磊"]["absence_reason"] == "未说明"  # not listed
    assert rows["张华"]["study_hours"] == 0
    # The manager corrects it: 张华 came after all.
    r = api.put(path, as_="manager", json={"present": [made[0]["id"], made[1]["id"], made[2]["id"]], "absent": []})
    assert {x["name"]: x["attendance"] for x in r.get_json()["items"]}["张华"] == "present"
    assert db.session.scalar(select(func.count()).select_from(BookingEvent).where(
        BookingEvent.action == "members_attended", BookingEvent.booking_id == b.id)) == 2
    # Bad input.
    assert api.put(path, as_="secretary", json={"present": [424242], "absent": []}).status_code == 422
    r = api.put(path, as_="secretary", json={"present": [made[0]["id"]], "absent": [{"member_id": made[0]["id"]}]})
    assert r.status_code == 422
    assert api.put(path, as_="secretary", json={"present": "all"}).status_code == 422
    assert api.put(path, as_="secretary2", json={"present": []}).status_code == 404
    assert api.put(path, as_="manager2", json={"present": []}).status_code == 404


def test_study_hours_over_the_year(world, api, monkeypatch):
    b, made = _visit_with_roster(api)
    visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
    services.mark_members(user("secretary"), b, [made[0]["id"], made[2]["id"]], [{"member_id": made[1]["id"], "reason": "公差"}])
    # A 90-minute visit: 2 hours.
    other = booking(menu_item=item("参观展馆：初心之路"), start=slot_start(-4), headcount=20)
    db.session.add(RosterEntry(booking_id=other.id, member_id=made[0]["id"], branch_id=other.branch_id))
    db.session.commit()
    visits.record_attendance(user("manager"), other, 18, now=other.starts_at + timedelta(minutes=30))
    services.mark_members(user("secretary"), other, [made[0]["id"]], [])
    year = b.day.year
    body = api.get(f"/api/v1/branches/{_branch_id()}/study-hours?year={year}", as_="secretary").get_json()
    rows = {x["name"]: x for x in body["items"]}
    assert body["year"] == year
    same_year = other.day.year == year
    assert rows["王芳"]["hours"] == (1.0 + 2.0 if same_year else 1.0) and rows["王芳"]["required"] == 56
    assert rows["张华"]["hours"] == 1.0 and rows["张华"]["required"] == 32 and rows["张华"]["met"] is False
    assert rows["李明"]["hours"] == 0 and rows["李明"]["sessions"] == 0  # absent
    assert [x["met"] for x in body["items"]] == sorted(x["met"] for x in body["items"])  # short of it first
    assert services.hours_for(90) == 2.0 and services.hours_for(120) == 2.5 and services.hours_for(44) == 0.5 and services.hours_for(22) == 0
    # Settings move the rule.
    world.config["STUDY_HOURS_MEMBER"] = 1
    rows = {x["name"]: x for x in api.get(f"/api/v1/branches/{_branch_id()}/study-hours?year={year}",
                                          as_="secretary").get_json()["items"]}
    assert rows["张华"]["met"] is True
    assert api.get(f"/api/v1/branches/{_branch_id()}/study-hours?year=1999", as_="secretary").status_code == 422
    assert api.get(f"/api/v1/branches/{_branch_id()}/study-hours", as_="manager").status_code == 403


def _text_of_pdf(data: bytes) -> str:
    # pypdf reads the embedded CFF font's two-byte codes with a NUL before each character; the text is the rest.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\x00", "")
    return "".join(text.split())


def _text_of_docx(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "".join("".join(parts).split())


def test_the_record_in_word_and_pdf_names_who_came_and_who_did_not(world, api):
    b, made = _visit_with_roster(api)
    b.topic = "学习红色家书 赓续红色血脉"
    db.session.commit()
    path = f"/api/v1/bookings/{b.id}/record?format=pdf"
    assert api.get(path, as_="secretary").status_code == 409  # not completed yet
    visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
    services.mark_members(user("secretary"), b, [made[0]["id"], made[1]["id"]],
                          [{"member_id": made[2]["id"], "reason": "病假"}, {"member_id": made[3]["id"], "reason": "公差"}])
    from PIL import Image
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 20, 30)).save(picture, format="PNG")
    visits.save_activity_record(user("secretary"), b, "集体学习红色家书，交流体会。", [("合影.png", picture.getvalue())])
    pdf = api.get(f"/api/v1/bookings/{b.id}/record?format=pdf", as_="secretary").data
    assert b"/FontFile" in pdf and b"/Subtype /Image" in pdf  # the Chinese font embedded, the photo in it
    assert len(Document(io.BytesIO(api.get(f"/api/v1/bookings/{b.id}/record?format=docx", as_="manager").data))
               .inline_shapes) == 1
    for fmt, read in (("pdf", _text_of_pdf), ("docx", _text_of_docx)):
        r = api.get(f"/api/v1/bookings/{b.id}/record?format={fmt}", as_="secretary")
        assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
        text = read(r.data)
        for expected in ("主题党日组织生活纪实", "区财政局第一党支部", "学习红色家书赓续红色血脉", clock.day_text(b.day),
                         "王芳", "李明", "张华（病假）", "赵磊（公差）", "集体学习红色家书", "红星革命纪念馆"):
            assert expected in text, (fmt, expected)
    assert api.get(f"/api/v1/bookings/{b.id}/record?format=txt", as_="secretary").status_code == 422
    assert api.get(f"/api/v1/bookings/{b.id}/record?format=pdf", as_="secretary2").status_code == 404


def test_the_branch_ledger_of_a_year(world, api):
    b, made = _visit_with_roster(api)
    visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
    services.mark_members(user("secretary"), b, [made[0]["id"]], [{"member_id": made[1]["id"], "reason": "=HYPERLINK(\"x\")"}])
    year = b.day.year
    path = f"/api/v1/branches/{_branch_id()}/records?year={year}&format="
    wb = load_workbook(io.BytesIO(api.get(path + "xlsx", as_="secretary").data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][0] == "日期" and rows[2][0] == f"{b.day:%Y-%m-%d}" and "王芳" in rows[2][8]
    assert not str(rows[2][9]).startswith("=")  # formula-like text stays text
    assert "王芳" in _text_of_pdf(api.get(path + "pdf", as_="secretary").data)
    assert "组织生活台账" in _text_of_docx(api.get(path + "docx", as_="admin").data)
    assert api.get(path + "pdf", as_="manager").status_code == 403


def test_a_member_whose_attendance_is_recorded_stays_on_the_roster(world, api, monkeypatch):
    made = _members(api, n=2)
    b = booking(start=slot_start(0, 14), headcount=20)
    api.put(f"/api/v1/bookings/{b.id}/roster", as_="secretary", json={"member_ids": [m["id"] for m in made]})
    monkeypatch.setattr(clock, "now", lambda: b.starts_at - timedelta(minutes=20))
    visits.check_in_booking(user("manager"), b)
    api.put(f"/api/v1/bookings/{b.id}/roster/attendance", as_="secretary", json={"present": [made[0]["id"]], "absent": []})
    r = api.put(f"/api/v1/bookings/{b.id}/roster", as_="secretary", json={"member_ids": [made[0]["id"]]})
    assert r.status_code == 422 and "不能从名单中移除" in r.get_json()["error"]["fields"]["member_ids"]
    assert api.get(f"/api/v1/bookings/{b.id}/roster", as_="secretary").get_json()["total"] == 2


def test_phone_numbers_are_chinese_mobile_or_landline_numbers(world, api):
    """Reproduced: a member's phone "12345" was accepted. Every phone field takes the same rule as a booking's."""
    branch = user("secretary").branch_id
    r = api.post(f"/api/v1/branches/{branch}/members", as_="secretary", json={"name": "测试", "phone": "12345"})
    assert r.status_code == 422 and "手机号或座机号" in r.get_json()["error"]["fields"]["phone"]
    for good in ("13800138000", "0571-88886666", "021 5555 0101"):
        r = api.post(f"/api/v1/branches/{branch}/members", as_="secretary", json={"name": f"测试{good[-2:]}", "phone": good})
        assert r.status_code == 201, (good, r.get_json())


def test_a_members_hours_agree_on_every_page_and_file(world, api, client):
    """Reproduced: the branch's list and its Excel showed 2.5-3 h more than each member's own page (孙丽 30.5 vs
    28.0): the list summed unrounded minutes (`/` is true division in SQLAlchemy 2), the member page credited each
    activity rounded down to a half hour. Three 60-minute lectures: 1 h each (60 / 45 → two half hours)."""
    from openpyxl import load_workbook
    from tests.conftest import login
    made = api.post(f"/api/v1/branches/{_branch_id()}/members", as_="secretary", json={"name": "孙丽"}).get_json()
    for days in (-3, -4, -5):
        b = booking(menu_item=item("专题党课：红色家书里的初心"), start=slot_start(days), headcount=20)
        db.session.add(RosterEntry(booking_id=b.id, member_id=made["id"], branch_id=b.branch_id))
        db.session.commit()
        visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
        services.mark_members(user("secretary"), b, [made["id"]], [])
    year = b.day.year
    member = db.session.get(Member, made["id"])
    own = sum(services.credited_hours(e) for e in services.member_sessions(member, year))
    assert services.hours_for(60) == 1.0
    listed = {x["name"]: x["hours"] for x in api.get(f"/api/v1/branches/{_branch_id()}/study-hours?year={year}",
                                                      as_="secretary").get_json()["items"]}
    assert listed["孙丽"] == own == sum(1.0 for e in services.member_sessions(member, year)
                                       if e.booking.day.year == year)
    login(client, "secretary")
    sheet = load_workbook(io.BytesIO(client.get(f"/branches/{_branch_id()}/study-hours.xlsx?year={year}").data)).active
    row = next(r for r in sheet.iter_rows(values_only=True) if r and "孙丽" in r)
    assert own in row
    page = client.get(f"/members/{made['id']}?year={year}").get_data(as_text=True)
    assert f"{own:.1f}" in page
