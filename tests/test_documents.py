"""Every document the system writes is a page a branch files as it is (GB/T 9704-2012's layout, booking.documents.style):
opened here as Word, PDF and Excel, each page measured, each font named or embedded, page numbers present, the
record signed by its writer, the ledger with its contents and its year against 三会一课."""
import io
import re
from datetime import timedelta

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pypdf import PdfReader

from booking.members import services as members
from booking.visits import services as visits
from models import db
from tests.factories import booking, image_bytes, slot_start, user

MM = 36000  # EMU per millimetre (python-docx lengths)
PT_PER_MM = 72 / 25.4


def _members(api, n=4):
    names = ["王芳", "李明", "张华", "赵磊", "钱进", "孙丽"][:n]
    branch = user("secretary").branch_id
    return [api.post(f"/api/v1/branches/{branch}/members", as_="secretary", json={"name": name}).get_json()
            for name in names]


def _lecture(api, activity_type="party_lecture"):
    """A completed 党课 with a roster, attendance, a summary with a stored control character, two photos."""
    made = _members(api)
    b = booking(start=slot_start(-3), headcount=20)
    b.activity_type = activity_type
    db.session.commit()
    api.put(f"/api/v1/bookings/{b.id}/roster", as_="secretary", json={"member_ids": [m["id"] for m in made]})
    visits.record_attendance(user("manager"), b, 18, now=b.starts_at + timedelta(minutes=30))
    members.mark_members(user("secretary"), b, [made[0]["id"], made[1]["id"]],
                         [{"member_id": made[2]["id"], "reason": "病假"}, {"member_id": made[3]["id"], "reason": "公差"}])
    visits.save_activity_record(user("secretary"), b, "讲授党章，交流体会。",
                                [("合影.png", image_bytes("PNG", (800, 600))), ("讲课.jpg", image_bytes("JPEG", (600, 800)))])
    b.topic = "党章\x0b学习"  # stored before control characters were refused: the writers strip it
    db.session.commit()
    return b


def _assert_docx_layout(data: bytes) -> Document:
    doc = Document(io.BytesIO(data))
    for section in doc.sections:
        assert abs(section.page_width - 210 * MM) < MM and abs(section.page_height - 297 * MM) < MM
        assert [round(x / MM) for x in (section.top_margin, section.bottom_margin, section.left_margin,
                                        section.right_margin)] == [37, 35, 28, 26]
        footer = section.footer._element.xml
        assert "PAGE" in footer and "— " in footer.replace("\u2014 ", "— ")
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 16 and normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    assert doc.styles["Normal"].paragraph_format.first_line_indent.pt == 32  # two characters
    assert doc.styles["Title"].font.size.pt == 22
    assert doc.styles["Title"].element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    return doc


def _assert_pdf_layout(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 210 * PT_PER_MM) < 1 and abs(height - 297 * PT_PER_MM) < 1
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font  # embedded
    return reader


def _text(reader: PdfReader, page: int | None = None) -> str:
    pages = reader.pages if page is None else [reader.pages[page]]
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in pages)


def test_the_record_in_word_is_a4_in_the_official_layout_signed_by_its_writer(world, api):
    b = _lecture(api)
    r = api.get(f"/api/v1/bookings/{b.id}/record?format=docx", as_="secretary")
    assert r.status_code == 200
    doc = _assert_docx_layout(r.data)
    text = "".join(p.text for p in doc.paragraphs)
    cells = "".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert doc.paragraphs[0].text == "党课组织生活纪实" and doc.paragraphs[0].style.name == "Title"
    assert "主题党日" not in text + cells  # a 党课's record says 党课
    assert "记录人王芳" in cells and "审核人" in cells and "签字" in cells  # the signing rows end the record's form
    assert "党章学习" in cells  # the stored control character stripped, the document still written
    assert len(doc.inline_shapes) == 2 and "图1" in text and "图2" in text


def test_the_record_in_pdf_is_a4_with_the_fonts_embedded_and_page_numbers(world, api):
    b = _lecture(api)
    r = api.get(f"/api/v1/bookings/{b.id}/record?format=pdf", as_="secretary")
    assert r.status_code == 200
    reader = _assert_pdf_layout(r.data)
    assert len(reader.pages) >= 2  # two photos to a page after the record
    for n in range(len(reader.pages)):
        assert f"—{n + 1}—" in _text(reader, n)
    text = _text(reader)
    assert "党课组织生活纪实" in text and "记录人" in text and "审核人" in text and "主题党日" not in text
    assert "图1" in text and "图2" in text


def test_the_ledger_has_a_cover_contents_and_the_year_against_the_three_meetings_and_one_lesson(world, api):
    b = _lecture(api)
    branch = user("secretary").branch_id
    path = f"/api/v1/branches/{branch}/records?year={b.day.year}&format="
    reader = _assert_pdf_layout(api.get(path + "pdf", as_="secretary").data)
    cover, contents = _text(reader, 0), _text(reader, 1)
    assert "党支部组织生活台账" in cover and "—1—" not in cover  # the cover has no number
    assert "目录" in contents and re.search(r"一、年度组织生活汇总\.+2", contents) and "—1—" in contents
    summary = _text(reader, 2)
    assert "年度组织生活汇总" in summary and "每季度1次" in summary and "每月1天" in summary and "本系统" in summary
    assert "党课" in summary and "—2—" in summary
    assert "1．" in _text(reader, 3) and "党课组织生活纪实" in _text(reader, 3)  # each record from a new page

    doc = _assert_docx_layout(api.get(path + "docx", as_="secretary").data)
    texts = [p.text for p in doc.paragraphs]
    assert "目    录" in texts
    # The contents' entries with their page numbers, as the PDF's (every program shows them; no field to fill in).
    assert "一、年度组织生活汇总\t2" in texts and any(t.startswith("1．") and t.endswith("\t3") for t in texts)
    assert "年度组织生活汇总" in "".join(texts)
    assert doc.sections[0].different_first_page_header_footer  # no number on the cover


def test_spreadsheets_print_on_a4_fitted_to_the_width_with_the_header_on_every_page(world, api, client):
    b = _lecture(api)
    branch = user("secretary").branch_id
    ledger = load_workbook(io.BytesIO(api.get(f"/api/v1/branches/{branch}/records?year={b.day.year}&format=xlsx",
                                              as_="secretary").data)).active
    from tests.conftest import login
    login(client, "admin")
    stats = load_workbook(io.BytesIO(client.get("/stats/export.xlsx?group_by=base").data)).active
    for ws in (ledger, stats):
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)  # 9: A4
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows.replace("$", "") == "2:2" and ws.freeze_panes == "A3"
        assert ws["A1"].value  # the title first
    assert ledger.page_setup.orientation == "landscape"  # thirteen columns
    assert ledger.column_dimensions["E"].width >= 10  # the theme


def test_the_district_summary_in_word_has_the_same_layout(world, api):
    r = api.get("/api/v1/reports/summary?format=docx&from=2026-01-01&to=2026-12-31", as_="admin")
    assert r.status_code == 200
    doc = _assert_docx_layout(r.data)
    assert doc.paragraphs[0].style.name == "Title" and "开放式组织生活基地工作情况" in doc.paragraphs[0].text


def test_a_font_that_cannot_be_loaded_is_a_clear_page_never_a_500(world, api, client):
    """Reproduced: on a machine without Debian's CJK font every PDF answered 500 (RuntimeError: CJK font not found).
    The fonts now travel with the app; a CJK_FONT set to a file that is not there says so in words."""
    b = _lecture(api)
    world.config["CJK_FONT"] = "/nonexistent/font.ttc"
    r = api.get(f"/api/v1/bookings/{b.id}/record?format=pdf", as_="secretary")
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "font_unavailable"
    from tests.conftest import login
    login(client, "secretary")
    page = client.get(f"/bookings/{b.id}/record.pdf")
    assert page.status_code == 503 and "中文字体无法加载" in page.get_data(as_text=True)
    world.config["CJK_FONT"] = ""
    assert api.get(f"/api/v1/bookings/{b.id}/record?format=pdf", as_="secretary").status_code == 200


def test_the_ledger_judges_only_what_has_ended_and_counts_the_branchs_whole_organisational_life(world, client,
                                                                                                 monkeypatch):
    """Reproduced: on 6 December the ledger showed December's 支委会 and 党小组会 and Q4's 支部党员大会 as "缺",
    though "—" meant not yet due; and every branch looked as if it had skipped 支委会 for ten months, because those
    meetings happen in its own room. Now its activities at its own place count beside its base visits, and every
    type of 三会一课 is judged on the months that ended."""
    from datetime import date, time
    from booking import clock
    from booking.members import documents, services as members
    from booking.reservations import own
    from tests.factories import completed
    monkeypatch.setattr(clock, "now", lambda: clock.at_local(date(2026, 12, 6), time(10)))
    for day, kind in ((date(2026, 1, 15), "group_meeting"), (date(2026, 11, 10), "theme_day"),
                      (date(2026, 12, 3), "theme_day"), (date(2026, 10, 13), "party_lecture")):
        b = completed(start=clock.at_local(day, time(9)))
        b.activity_type = kind
    db.session.commit()
    sec = user("secretary")
    for day in (date(2026, 11, 12), date(2026, 11, 26)):  # the November committee meeting and a group meeting
        start = clock.at_local(day, time(19))
        b = own.create(sec, activity_type="committee_meeting" if day.day == 12 else "group_meeting", start=start,
                       end=start + timedelta(hours=1), address="区财政局 3 楼党员活动室", topic="研究发展党员工作",
                       headcount=7, contact_name="王芳", contact_phone="13800000000")
        b.status, b.visitor_count = "completed", 7
    db.session.commit()
    branch = sec.branch
    bookings = members.completed_in(branch, 2026)
    lines, ended = documents.year_lines(bookings, 2026, date(2026, 12, 6))
    assert ended == 11  # December is in progress
    by = {line.label: line for line in lines}
    theme, group, lecture, committee = by["主题党日"], by["党小组会"], by["党课"], by["支委会"]
    assert theme.month_cells(ended)[10:] == ["1", "1"]  # November held, December's so far shown, not judged
    assert theme.short == [f"{m}月" for m in range(1, 11)]
    assert group.month_cells(ended)[11] == "—" and "12月" not in group.short and "2月" in group.short
    assert group.month_cells(ended)[10] == "1" and "11月" not in group.short  # held in its own room
    assert lecture.short == ["第1季度", "第2季度", "第3季度"] and lecture.quarter_cells(ended)[3] == "1"
    assert committee.month_cells(ended)[10] == "1" and committee.short == [f"{m}月" for m in range(1, 11)]
    assert committee.short_text() == "10 个月未开展"
    assert by["支部党员大会"].quarter_cells(ended)[3] == "—"  # Q4 has not ended: never "缺" on 6 December
    from tests.conftest import login
    login(client, "secretary")
    page = client.get(f"/branches/{branch.id}/records?year=2026").get_data(as_text=True)
    assert "本表统计本支部在本系统登记的全部组织生活" in page and "本系统未记录" not in page


def test_the_filed_ledger_says_what_its_summary_counts_not_how_to_use_the_system(world, api, client):
    """Reproduced (the demo's ledger read as its secretary files it): the year's summary in the Word and PDF files
    went on "在本支部场所开展的活动请在“我的预约”中“登记本支部活动”（可补记 31 天内的活动）", the page's
    help to the secretary, printed into the paper filed for the organisation department. The page keeps it."""
    b = _lecture(api)
    path = f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format="
    summary = _text(PdfReader(io.BytesIO(api.get(path + "pdf", as_="secretary").data)), 2)
    word = "".join(p.text for p in Document(io.BytesIO(api.get(path + "docx", as_="secretary").data)).paragraphs)
    for text in (summary, word.replace(" ", "")):
        assert "本表统计本支部在本系统登记的全部组织生活" in text and "“缺”为已结束的月份或季度未达到要求" in text
        assert "我的预约" not in text and "登记本支部活动" not in text and "补记" not in text
    from tests.conftest import login
    login(client, "secretary")
    page = client.get(f"/branches/{b.branch_id}/records?year={b.day.year}").get_data(as_text=True)
    assert "本表统计本支部在本系统登记的全部组织生活" in page and "登记本支部活动" in page


def test_the_reports_sentence_on_lecture_requests_reads_as_a_work_report_does(world):
    """Reproduced (the demo's Word summary read by the organisation department): "点单最多的主题是“企业合规经营”
    （1 次）、“党史学习”（1 次）、“基层治理中的党建引领”（1 次）" when each of ten topics was asked once (three picked
    by their spelling, none the most); "已送课 0 场、0 人次" before any lecture was held; "各支部点单 0 次" in a period
    whose lectures were ordered earlier."""
    from types import SimpleNamespace
    from booking.reports.documents import requests_sentence
    from booking.requests.services import Counts

    def said(submitted, by_topic, sessions, participants=0):
        return requests_sentence(SimpleNamespace(requests=Counts(submitted, sessions, by_topic, sessions,
                                                                 participants)))

    each_once = [(f"主题{n}", 1) for n in range(10)]
    text = said(10, each_once, 4, 37)
    assert text.startswith("各支部点单 10 次") and "已送课 4 场、37 人次" in text
    assert "最多" not in text and "（1 次）" not in text and "点单主题有“主题0”“主题1”“主题2”等，" in text
    text = said(3, [("党史学习", 1), ("文明道德", 1)], 1, 12)
    assert "最多" not in text and "点单主题有“党史学习”“文明道德”，" in text and "等" not in text.split("，")[-2]
    text = said(7, [("党史学习", 3), ("文明道德", 2), ("企业合规经营", 1), ("基层治理", 1)], 2, 30)
    assert "点单最多的主题是“党史学习”（3 次）、“文明道德”（2 次）" in text and "企业合规经营" not in text
    text = said(3, [("党史学习", 3)], 0)
    assert "0 场" not in text and "0 人次" not in text and text.startswith("各支部点单 3 次") and "“党史学习”" in text
    text = said(0, [], 2, 30)
    assert "点单 0 次" not in text and "已送课 2 场、30 人次" in text
    assert said(0, [], 0) == "本期各支部尚未通过系统点单送课。"
    for text in (said(10, each_once, 4, 37), said(3, [("党史学习", 3)], 0), said(0, [], 2, 30)):
        assert text.endswith("。") and "，，" not in text and "；，" not in text
