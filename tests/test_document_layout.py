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
    from booking import exports
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
