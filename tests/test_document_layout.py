"""How the record, the ledger and their spreadsheet are laid out, found wanting when rendered and read (issue 35,
items 2-7): photos cropped to a strip in Word, lines beginning with "。" in the PDFs, the signing lines alone on a
page after every record (a year's ledger twice as long as it needs), a Word contents only Word fills in, a ledger
spreadsheet printed at 5 pt, "主题党日：主题党日：" and "2026年01月01日"."""
import io
import re
from dataclasses import replace
from itertools import cycle

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pypdf import PdfReader

from booking.members import documents
from models import db
from tests.factories import completed, slot_start, user
from tests.test_documents import _lecture, _text

MM = 36000  # EMU per millimetre
NO_START = "。，、；：？！）」』”’》〉…"
NO_END = "（「『“‘《〈"


def _line_rule(doc, paragraph) -> str | None:
    """The line rule a paragraph is laid out with: its own, else its style's, else that style's base's..."""
    spacing = paragraph._p.pPr.find(qn("w:spacing")) if paragraph._p.pPr is not None else None
    if spacing is not None and spacing.get(qn("w:line")) is not None:
        return spacing.get(qn("w:lineRule")) or "auto"
    style = paragraph.style
    while style is not None:
        ppr = style.element.find(qn("w:pPr"))
        spacing = ppr.find(qn("w:spacing")) if ppr is not None else None
        if spacing is not None and spacing.get(qn("w:line")) is not None:
            return spacing.get(qn("w:lineRule")) or "auto"
        style = style.base_style
    return None


def _docx(api, path, who="secretary") -> Document:
    r = api.get(path, as_=who)
    assert r.status_code == 200, r.get_data()[:300]
    return Document(io.BytesIO(r.data))


def test_photos_in_word_are_never_clipped_to_the_bodys_exact_line_height(world, api):
    """Reproduced: each photo's paragraph inherited Normal's exact 28 pt line (w:lineRule=exact), and Word and WPS
    clip an inline picture to its line: a thin strip of each photo."""
    b = _lecture(api)
    for path in (f"/api/v1/bookings/{b.id}/record?format=docx",
                 f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format=docx"):
        doc = _docx(api, path)
        paragraphs = doc.paragraphs
        pictures = [n for n, p in enumerate(paragraphs) if p._p.xpath(".//w:drawing")]
        assert len(pictures) == 2, path
        for n in pictures:
            picture, caption = paragraphs[n], paragraphs[n + 1]
            assert _line_rule(doc, picture) != "exact" and _line_rule(doc, caption) != "exact", path
            assert picture.style.name == "照片" and caption.style.name == "Caption"
            fmt = picture.style.paragraph_format
            assert fmt.alignment == 1 and not fmt.first_line_indent and fmt.keep_with_next  # kept with its caption
            assert caption.text.startswith("图") and caption.style.paragraph_format.alignment == 1
        for shape in doc.inline_shapes:  # each photo fits the text width and half the page
            assert shape.width <= 156 * MM and shape.height <= 100 * MM


LONG = "".join(f"{'党员' * (k % 7)}{'学' * (k % 3)}{mark}"
               for k, mark in zip(range(1, 151), cycle(["。", "，", "、", "；", "：", "？", "！", "（学习）", "「交流」",
                                                     "『体会』", "“讨论”", "‘发言’", "《党章》", "〈附〉", "……"])))


def _pdf_lines(data: bytes) -> list[str]:
    lines = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for line in page.extract_text().replace("\x00", "").split("\n"):
            line = "".join(line.split())
            if line:
                lines.append(line)
    return lines


def test_pdf_lines_never_begin_with_closing_punctuation_nor_end_with_an_opening_bracket(world, api):
    """Reproduced: lines of the record began with "。" and "，" and ended with "（" (fpdf2 wraps Chinese anywhere)."""
    b = _lecture(api)
    b.activity_summary = LONG + "\n" + LONG[7:]
    b.topic = "学习《中国共产党纪律处分条例》（2024年修订）“六项纪律”，筑牢拒腐防变思想防线，争做“四有”党员"
    db.session.commit()
    for path in (f"/api/v1/bookings/{b.id}/record?format=pdf",
                 f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format=pdf"):
        r = api.get(path, as_="secretary")
        lines = _pdf_lines(r.data)
        assert len(lines) > 40
        starts = [line for line in lines if line[0] in NO_START]
        ends = [line for line in lines if line[-1] in NO_END]
        assert not starts and not ends, (path, starts[:3], ends[:3])
        assert "党员学。" in "".join(lines)  # nothing lost or doubled in moving a character over


def test_a_record_is_one_page_its_signing_lines_with_its_summary_and_photos_two_to_a_page(world, api):
    """Reproduced: the signing lines fell alone onto a page of their own after almost every record (a year's
    ledger of 26 activities ran to 56 pages); the photos followed one to a page."""
    b = _lecture(api)
    r = api.get(f"/api/v1/bookings/{b.id}/record?format=pdf", as_="secretary")
    reader = PdfReader(io.BytesIO(r.data))
    assert len(reader.pages) == 2  # the record, then its two photos on one page
    assert "审核人" in _text(reader, 0) and "讲授党章" in _text(reader, 0)
    assert "图1" in _text(reader, 1) and "图2" in _text(reader, 1)
    # Whatever the summary's length, the signing lines share their page with the summary's last line.
    record = replace(documents.record_of(b), photos=[])
    sentence = "支部书记领学党章，党员逐一发言，交流学习体会；大家表示要把学习成果转化为推动工作的实际行动。"
    for n in range(2, 40, 2):
        summary = "\n".join([sentence * 2] * (n // 4) + [sentence[:n * 3]])
        reader = PdfReader(io.BytesIO(documents.record_pdf([replace(record, summary=summary)])))
        signed = next(k for k in range(len(reader.pages)) if "审核人" in _text(reader, k))
        assert summary[-6:] in _text(reader, signed), n
        if len(summary) <= 100:  # a summary of a few lines (the demo's run to 50 characters, 258 at most)
            assert len(reader.pages) == 1, (n, len(summary))


def test_a_years_ledger_takes_a_page_a_record(world, api):
    b = _lecture(api)
    branch = user("secretary").branch
    record = documents.record_of(b, branch.id)
    records = [replace(record, photos=[], summary=record.summary * (1 + n % 4)) for n in range(12)]
    lines, ended = documents.year_lines([b], b.day.year, b.day)
    reader = PdfReader(io.BytesIO(documents.ledger_pdf(branch, b.day.year, records, lines, ended)))
    assert len(reader.pages) == 3 + 12  # cover, contents, the year's summary, a page each (was two each: 27)
    reader = PdfReader(io.BytesIO(documents.ledger_pdf(branch, b.day.year, [record] * 3, lines, ended)))
    assert len(reader.pages) == 3 + 3 * 2  # each record's two photos on a page of their own after it


def test_the_word_ledgers_contents_carry_their_page_numbers_as_the_pdfs_do(world, api):
    """Reproduced: the Word ledger's contents read "（目录在 Word 中打开时生成）" in WPS, LibreOffice and phone
    previews (a TOC field only Word fills in, on a prompt)."""
    b = _lecture(api)
    b.activity_summary = "支部书记领学党章，党员逐一发言，交流学习体会。" * 12  # runs on to a page of its own
    second = completed(start=slot_start(-2))
    second.activity_type = "theme_day"
    db.session.commit()
    path = f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format="
    doc = _docx(api, path + "docx")
    body = doc.element.body.xml
    assert "TOC \\o" not in body and "目录在 Word 中打开时生成" not in body
    assert "w:updateFields" not in doc.settings.element.xml
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("目    录")
    entries = [t for t in texts[start + 1:] if "\t" in t]
    assert [e.split("\t")[0][:4] for e in entries] == ["一、年度", "1．20", "2．20"]
    numbers = [int(e.split("\t")[1]) for e in entries]
    # The year's summary; the first record, its summary and signatures (page 4), its photos (page 5); the second.
    assert numbers == [2, 3, 6]
    pdf = PdfReader(io.BytesIO(api.get(path + "pdf", as_="secretary").data))
    assert re.search(r"年度组织生活汇总\.*2", _text(pdf, 1))  # the PDF's contents say the same
    for number in numbers:  # pages numbered from the contents: the PDF's page index less one
        assert f"—{number}—" in _text(pdf, number)
    assert "1．" in _text(pdf, 3) and "活动纪要" in _text(pdf, 4) and "图1" in _text(pdf, 5) and "2．" in _text(pdf, 6)
    # Word breaks its pages where the PDF does: the first record's summary begins a page, the second's does not.
    summaries = [p for p in doc.paragraphs if p.text == "一、活动纪要"]
    assert [bool(p.paragraph_format.page_break_before) for p in summaries] == [True, False]
    # The cover is a section of its own: the contents are page 1 in Word as in the PDF.
    assert len(doc.sections) == 2
    number_type = doc.sections[1]._sectPr.find(qn("w:pgNumType"))
    assert number_type is not None and number_type.get(qn("w:start")) == "1"


def test_without_the_pdfs_fonts_the_word_contents_are_numbered_by_the_layouts_rules(world, api):
    b = _lecture(api)
    world.config["CJK_FONT"] = "/nonexistent/font.ttc"
    doc = _docx(api, f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format=docx")
    assert [p.text.split("\t")[1] for p in doc.paragraphs if "\t" in p.text] == ["2", "3"]


def _printable_width_mm(ws) -> float:
    paper = 297 if ws.page_setup.orientation == "landscape" else 210
    return paper - (ws.page_margins.left + ws.page_margins.right) * 25.4


def _column_mm(width: float) -> float:
    return (width * 7 + 5) * 25.4 / 96  # Excel's character units at the default font, 96 px to the inch


def test_the_ledgers_spreadsheet_prints_legibly_on_landscape_a4_with_borders(world, api):
    """Reproduced: thirteen columns as wide as their longest text, fitted to the width of a page, printed at
    about 5 pt, with no borders."""
    b = _lecture(api)
    b.activity_summary = "很长的纪要" * 50
    db.session.commit()
    data = api.get(f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format=xlsx", as_="secretary").data
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.page_setup.orientation == "landscape"
    header = [c.value for c in ws[2]]
    assert header[0] == "日期" and header[8] == "出席党员" and header[12] == "共同参加的支部"
    widths = [ws.column_dimensions[chr(ord("A") + n)].width for n in range(len(header))]
    # At 100 % the columns fit the page, so fitting to the width never shrinks the print.
    assert sum(_column_mm(w) for w in widths) <= _printable_width_mm(ws)
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            assert (cell.font.sz or 11) >= 10
            assert all(getattr(cell.border, side).style for side in ("left", "right", "top", "bottom")), cell
    assert all(ws.cell(row=3, column=n).alignment.wrap_text for n in range(1, len(header) + 1))
    assert not any(c.font.b for c in ws[3]) and all(c.font.b for c in ws[ws.max_row] if c.value not in (None, ""))


def test_a_sheet_without_a_total_has_no_bold_last_row(world, api, client):
    """Reproduced: the study-hours sheet bolded its last member as if it were a total."""
    from booking.documents import exports
    from tests.conftest import login
    rows = [["王芳", 3], ["李明", 5]]
    plain = load_workbook(io.BytesIO(exports.xlsx_bytes("学时", "学时", ["姓名", "学时"], rows))).active
    assert not plain["A4"].font.b
    summed = load_workbook(io.BytesIO(exports.xlsx_bytes("学时", "学时", ["姓名", "学时"], rows + [["合计", 8]],
                                                         total=True))).active
    assert summed["A5"].font.b and not summed["A4"].font.b
    b = _lecture(api)  # four members, two of them present
    login(client, "secretary")
    sheet = load_workbook(io.BytesIO(client.get(f"/branches/{b.branch_id}/study-hours.xlsx?year={b.day.year}")
                                     .data)).active
    last = [c.value for c in sheet[sheet.max_row]]
    assert sheet.max_row == 2 + 4 and last[0] in ("王芳", "李明", "张华", "赵磊")
    assert not any(c.font.b for c in sheet[sheet.max_row])


def test_documents_name_the_type_once_and_write_dates_without_leading_zeros(world, api):
    """Reproduced: the ledger's entries read "主题党日：主题党日：学习贯彻党的创新理论", and the record's time
    "2026年12月03日 09:00"."""
    b = _lecture(api, activity_type="theme_day")
    b.topic = "主题党日：学习贯彻党的创新理论"
    db.session.commit()
    path = f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format="
    pdf = _text(PdfReader(io.BytesIO(api.get(path + "pdf", as_="secretary").data)))
    doc = _docx(api, path + "docx")
    word = "".join(p.text for p in doc.paragraphs) + "".join(c.text for t in doc.tables for r in t.rows
                                                              for c in r.cells)
    record = _docx(api, f"/api/v1/bookings/{b.id}/record?format=docx")
    word += "".join(c.text for t in record.tables for r in t.rows for c in r.cells)
    for text in (pdf, word):
        assert "主题党日：主题党日" not in text and "主题党日：学习贯彻党的创新理论" in text
        assert not re.search(r"年0[1-9]月|月0[1-9]日", text)
        assert f"{b.day.year}年{b.day.month}月{b.day.day}日" in text


def test_a_lecture_the_branch_names_by_its_kind_is_not_named_twice(world, api):
    """Reproduced (the demo's ledger read as its secretary files it): the contents listed "党课：书记讲党课：学雷锋志愿
    服务月", the type said again before a theme that already says it."""
    b = _lecture(api)
    b.topic = "书记讲党课：学雷锋志愿服务月"
    db.session.commit()
    path = f"/api/v1/branches/{b.branch_id}/records?year={b.day.year}&format="
    pdf = _text(PdfReader(io.BytesIO(api.get(path + "pdf", as_="secretary").data)), 1)
    word = "".join(p.text for p in _docx(api, path + "docx").paragraphs)
    for text in (pdf, word):
        assert "党课：书记讲党课" not in text and "日书记讲党课：学雷锋志愿服务月" in text.replace(" ", "")
    assert documents._typed("党课", "学习党章") == "党课：学习党章"  # a theme that does not say it still gets it
    assert documents._typed("主题党日", "学习党章：主题党日") == "主题党日：学习党章：主题党日"


def test_the_years_table_keeps_each_heading_and_requirement_on_one_line(world):
    """Reproduced (the demo's ledger, PDF and Word alike): the month table's "全年" broke into "全 / 年" in its
    9 pt column."""
    from booking.documents import style
    with world.test_request_context():
        pdf = style.pdf_document("台账")
    lines = [documents.YearLine("支部党员大会", [0] * 12, [0] * 4, "每季度 1 次", [])]
    by_month, by_quarter = documents.summary_rows(lines, 12)
    for rows, widths, size in ((by_month, documents.MONTH_WIDTHS, 9), (by_quarter, documents.QUARTER_WIDTHS, 10)):
        assert abs(sum(widths) - style.TEXT_W) < 0.01
        pdf.set_font("serif", size=size)
        word = style.em_width(size)  # as Word's CJK fonts set it
        for row in rows:
            for text, width in zip(row, widths):
                room = width - 2 * style.CELL_PAD_X - 0.4
                assert pdf.get_string_width(text) <= room and sum(word(c) for c in text) <= room, (text, width)


def test_a_name_with_its_role_and_a_note_of_how_attendance_was_taken_are_never_cut_in_two(world, api):
    """Reproduced (rendered with LibreOffice): the record's 出席党员 cell broke "陶凯（副书" / "记）" and "（委" / "员）",
    and 实到党员 broke "每人计" / "2.5 学时）", in Word and in the PDF alike."""
    b = _lecture(api)
    names = ["彭婷", "王芳", "尹晓梅", "陶凯", "汤敏", "袁强", "邓荣", "郝华", "汤浩然", "欧阳晓明", "胡晓梅",
             "蒋萍", "谭亮", "邱睿", "陶晓燕", "雷建华"]
    roles = cycle(["书记", "副书记", "组织委员", "宣传委员", "党员", "党员"])
    present = [f"{name}（{role}）" for name, role in zip(names, roles)]
    absent = ["李明（事假：在外地参加培训）", "张华（病假）"]
    counted = "16 人（15 人扫码签到；每人计 2.5 学时）"
    record = replace(documents.record_of(b), present=present, absent=absent, photos=[],
                     fields=[(label, counted if label == "实到党员" else value)
                             for label, value in documents.record_of(b).fields])
    # PDF: each name with its role, and each note, whole on one line.
    lines = _pdf_lines(documents.record_pdf([record]))
    for phrase in present + absent + ["15人扫码签到；", "每人计2.5学时）"]:
        assert any("".join(phrase.split()) in line for line in lines), (phrase, lines)
    # Word: the cells hold whole items a line each paragraph, each short enough that Word does not wrap it again.
    doc = Document(io.BytesIO(documents.record_docx([record])))
    cells = {row.cells[0].text: row.cells for row in doc.tables[0].rows}
    present_lines = [p.text for p in cells["出席党员"][1].paragraphs]
    assert len(present_lines) > 1 and "".join(present_lines) == "、".join(present)
    assert all(re.fullmatch(r"([^、（）]+（[^、（）]+）、?)+", line) for line in present_lines), present_lines
    counted_cell = next(c for c in cells["应到党员"] if c.text.startswith("16 人（"))
    assert [p.text for p in counted_cell.paragraphs] == ["16 人（15 人扫码签到；", "每人计 2.5 学时）"]
    for label, width in (("出席党员", sum(documents.FORM_WIDTHS[1:])), ("应到党员", documents.FORM_WIDTHS[3])):
        room = (width - 2 * 1.9) / (12 * 25.4 / 72)  # the cell's text width in 12 pt characters
        cell = cells[label][1] if label == "出席党员" else counted_cell
        for p in cell.paragraphs:
            assert sum(1 if ord(c) > 0x2e7f else 0.6 for c in p.text) <= room, (label, p.text)
