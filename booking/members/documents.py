"""The filed record of an activity (组织生活纪实) and a branch's year of them (台账), as Word, PDF and Excel.

One description of a record (`Record`, built from the booking by `record_of`) feeds every format, so the files say
the same thing. PDFs embed a CJK font (CJK_FONT, Debian's Noto CJK by default): they open and print in WeChat's
browser, which has no print of its own.
"""
import functools
import io
import os
from dataclasses import dataclass

from flask import current_app

from booking import clock, exports
from booking import photos as photo_store
from booking.errors import InvalidState
from booking.members.services import credited_hours, roster_of
from booking.reservations import partners
from booking.reservations.lifecycle import ACCEPTED, COMPLETED
from models import Booking

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
MIMES = {"docx": DOCX_MIME, "pdf": PDF_MIME, "xlsx": exports.XLSX_MIME}


def file_response(data: bytes, fmt: str, name: str):
    """A record or ledger as a download under its Chinese name (pages and the API alike)."""
    return exports.attachment(data, MIMES[fmt], f"{name}.{fmt}")


@dataclass
class Record:
    """What a record says, in the order a branch files it."""

    booking_id: int
    title: str
    fields: list[tuple[str, str]]
    present: list[str]
    absent: list[str]
    summary: str
    photos: list[str]  # the photos' stored names (booking.photos reads them)
    day: str


def _branches_fields(b: Booking, branch_id: int | None) -> list[tuple[str, str]]:
    """Who held the activity: the branch whose record it is (the host's by default) and the others taking part."""
    full = lambda branch: f"{branch.organization.name} {branch.name}"  # noqa: E731
    joined = partners.taking_part(b)
    if not joined:
        return [("党支部", full(b.branch))]
    if branch_id in (None, b.branch_id):
        return [("党支部", full(b.branch)), ("共建支部", "、".join(full(p.branch) for p in joined))]
    own = next(p.branch for p in joined if p.branch_id == branch_id)
    others = [full(p.branch) for p in joined if p.branch_id != branch_id]
    return [("党支部", full(own)), ("主办支部", full(b.branch))] + ([("共建支部", "、".join(others))] if others else [])


def record_of(booking: Booking, branch_id: int | None = None) -> Record:
    """The record of a completed booking, for one taking-part branch (its members and its part of the count) or,
    `branch_id` None, the whole activity; 409 invalid_state before completion."""
    if booking.status != COMPLETED:
        raise InvalidState("活动完成后才能生成组织生活纪实。")
    b = booking
    roster = [e for e in roster_of(b) if branch_id is None or e.branch_id == branch_id]
    present = [f"{e.member.name}（{e.member.role_label}）" for e in roster if e.attendance == "present"]
    absent = [f"{e.member.name}（{e.absence_reason or '未说明'}）" for e in roster if e.attendance == "absent"]
    unmarked = [e.member.name for e in roster if e.attendance is None]
    lecturer = b.lecturer.name if b.lecturer and b.lecturer_status == ACCEPTED else "无"
    hours = credited_hours(roster[0]) if roster and roster[0].attendance == "present" else None
    count = f"{b.visitor_count} 人（基地登记，含非党员）"
    own = partners.own_count(b, branch_id) if branch_id is not None and partners.taking_part(b) else None
    if own is not None and any(p.visitor_count is not None for p in partners.taking_part(b)):
        count = f"{b.visitor_count} 人，其中本支部 {own} 人（基地登记，含非党员）"
    fields = [
        ("活动类型", b.activity_type_label),
        *_branches_fields(b, branch_id),
        ("时间", f"{clock.local(b.starts_at):%Y年%m月%d日 %H:%M}–{clock.local(b.ends_at):%H:%M}"),
        ("地点", f"{b.base.name} {b.venue.name}" + (f"（{b.base.address}）" if b.base.address else "")),
        ("活动主题", b.topic or b.menu_item.title),
        ("活动内容", b.menu_item.title),
        ("讲师", lecturer),
        ("联系人", f"{b.contact_name} {b.contact_phone}"),
        ("应到党员", f"{len(roster)} 人" if roster else "未确定参加人员"),
        ("实到党员", f"{len(present)} 人" + (f"（每人计 {hours:g} 学时）" if hours else "")),
        ("缺席党员", f"{len(absent)} 人" if absent else "无"),
        ("到场人数", count),
        ("满意度", f"{b.rating} 分" + (f"：{b.feedback_comment}" if b.feedback_comment else "") if b.rating else "未评价"),
    ]
    if unmarked:
        fields.append(("未登记出席", "、".join(unmarked)))
    return Record(b.id, f"{b.activity_type_label}组织生活纪实", fields, present, absent,
                  (b.activity_summary or "").strip() or "（未填写）", [p.stored_name for p in b.photos],
                  f"{b.day:%Y-%m-%d}")


def _picture(stored_name: str):
    """The photo as JPEG bytes both writers accept, or None when it cannot be read."""
    from PIL import Image
    data = photo_store.get(stored_name)
    if data is None:
        return None
    from booking.images import too_large
    try:
        with Image.open(io.BytesIO(data)) as image:
            if too_large(image):  # stored before uploads were checked: never decoded
                return None
            image.load()
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=85)
            return out.getvalue()
    except Exception:  # not an image after all, or gone from the disk: the record says so instead
        return None


# -- Word --------------------------------------------------------------------------------------------

def _docx_record(doc, record: Record) -> None:
    from docx.shared import Cm, Pt
    doc.add_heading(record.title, level=1)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in record.fields:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].width, cells[1].width = Cm(3.2), Cm(12.8)
    doc.add_heading("出席党员", level=2)
    doc.add_paragraph("、".join(record.present) or "无")
    doc.add_heading("缺席党员及原因", level=2)
    doc.add_paragraph("、".join(record.absent) or "无")
    doc.add_heading("活动纪要", level=2)
    for line in record.summary.splitlines() or [""]:
        doc.add_paragraph(line).paragraph_format.first_line_indent = Pt(21)
    if record.photos:
        doc.add_heading("活动照片", level=2)
        for path in record.photos:
            data = _picture(path)
            if data is None:
                doc.add_paragraph("（一张照片无法读取）")
            else:
                doc.add_picture(io.BytesIO(data), width=Cm(12))


def _new_docx():
    from docx import Document
    from docx.oxml.ns import qn
    doc = Document()
    for name in ("Normal", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = "SimSun" if name == "Normal" else "SimHei"
        style.element.rPr.rFonts.set(qn("w:eastAsia"), style.font.name)  # Chinese text takes the East Asian font
    return doc


def record_docx(records: list[Record], title: str | None = None) -> bytes:
    """One or more records as a Word document (a year's ledger puts each on its own page)."""
    doc = _new_docx()
    if title:
        doc.add_heading(title, level=0)
    for n, record in enumerate(records):
        if n:
            doc.add_page_break()
        _docx_record(doc, record)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- PDF ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _cjk_font_number(path: str) -> int:
    """In a font collection, the Simplified Chinese face (Noto's .ttc holds JP, KR, SC, TC, HK)."""
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection
    collection = TTCollection(path, lazy=True)
    try:
        for n, font in enumerate(collection.fonts):
            if (font["name"].getDebugName(1) or "").endswith(" SC"):
                return n
    finally:
        collection.close()
    return 0


def _new_pdf():
    from fpdf import FPDF
    path = current_app.config["CJK_FONT"]
    if not os.path.exists(path):
        raise RuntimeError(f"CJK font not found: {path} (install fonts-noto-cjk or set CJK_FONT)")
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("cjk", "", path, collection_font_number=_cjk_font_number(path))
    pdf.set_title("组织生活纪实")
    return pdf


def _pdf_record(pdf, record: Record) -> None:
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(width, 11, record.title, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("cjk", size=11)
    for label, value in record.fields:
        y = pdf.get_y()
        pdf.multi_cell(30, 7, label, border=1, wrapmode="CHAR", new_x="RIGHT", new_y="TOP")
        pdf.multi_cell(width - 30, 7, value, border=1, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 7))
    for heading, body in (("出席党员", "、".join(record.present) or "无"),
                          ("缺席党员及原因", "、".join(record.absent) or "无"), ("活动纪要", record.summary)):
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(width, 8, heading, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        pdf.multi_cell(width, 7, body, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    if record.photos:
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(width, 8, "活动照片", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        for path in record.photos:
            data = _picture(path)
            if data is None:
                pdf.multi_cell(width, 7, "（一张照片无法读取）", new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.image(io.BytesIO(data), w=min(width, 120))
                pdf.ln(2)


def record_pdf(records: list[Record], title: str | None = None) -> bytes:
    """One or more records as a PDF with the Chinese font embedded (each record from a new page)."""
    pdf = _new_pdf()
    if title:
        pdf.add_page()
        pdf.set_font("cjk", size=20)
        pdf.ln(60)
        pdf.multi_cell(pdf.w - pdf.l_margin - pdf.r_margin, 12, title, align="C", wrapmode="CHAR")
    for record in records:
        _pdf_record(pdf, record)
    if not records:
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, "本年度还没有已完成的组织生活。", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# -- Excel -------------------------------------------------------------------------------------------

LEDGER_HEADER = ["日期", "时间", "活动类型", "基地", "场馆", "活动主题", "讲师", "应到党员", "出席党员", "缺席党员及原因",
                 "本支部到场人数", "满意度", "共同参加的支部"]


def joined_with(b: Booking, branch_id: int) -> str:
    """The other branches of a joint activity, as a branch's ledger names them (the host marked 主办)."""
    names = [p.branch.name for p in partners.taking_part(b) if p.branch_id != branch_id]
    if branch_id != b.branch_id:
        names.insert(0, f"{b.branch.name}（主办）")
    return "、".join(names)


def ledger_xlsx(bookings: list[Booking], title: str, branch_id: int) -> bytes:
    """The branch's year, one row per completed activity it took part in, with its own members and its own part of
    the count (formula-like text stays text)."""
    body = []
    for b in bookings:
        roster = [e for e in roster_of(b) if e.branch_id == branch_id]
        body.append([
            f"{b.day:%Y-%m-%d}", f"{clock.local(b.starts_at):%H:%M}–{clock.local(b.ends_at):%H:%M}",
            b.activity_type_label, b.base.name, b.venue.name, b.topic or b.menu_item.title,
            b.lecturer.name if b.lecturer and b.lecturer_status == ACCEPTED else "",
            len(roster), "、".join(e.member.name for e in roster if e.attendance == "present"),
            "、".join(f"{e.member.name}（{e.absence_reason or '未说明'}）" for e in roster if e.attendance == "absent"),
            partners.own_count(b, branch_id), b.rating or "", joined_with(b, branch_id)])
    body.append([f"合计 {len(bookings)} 次", "", "", "", "", "", "", "", "", "",
                 sum(partners.own_count(b, branch_id) or 0 for b in bookings), "", ""])
    return exports.xlsx_bytes(title, "台账", LEDGER_HEADER, body)


def record_file(booking: Booking, fmt: str, branch_id: int | None = None) -> tuple[bytes, str]:
    """One activity's record as docx or pdf (for one taking-part branch, or the whole activity), and its file name
    (409 invalid_state before completion)."""
    record = record_of(booking, branch_id)
    return (record_docx if fmt == "docx" else record_pdf)([record]), record_file_name(booking, branch_id)


def record_file_name(booking: Booking, branch_id: int | None = None) -> str:
    """The record's file name, as a branch would file it: 组织生活纪实-支部-日期."""
    name = booking.branch.name if branch_id in (None, booking.branch_id) else next(
        p.branch.name for p in booking.partners if p.branch_id == branch_id)
    return f"组织生活纪实-{name}-{booking.day:%Y%m%d}"


def ledger(branch, year: int, fmt: str) -> tuple[bytes, str]:
    """A branch's year of records (台账) as docx, pdf or xlsx, and its file name."""
    from booking.members.services import completed_in
    bookings = completed_in(branch, year)
    title = f"{branch.organization.name} {branch.name} {year} 年组织生活台账"
    if fmt == "xlsx":
        data = ledger_xlsx(bookings, title, branch.id)
    else:
        data = (record_docx if fmt == "docx" else record_pdf)([record_of(b, branch.id) for b in bookings], title)
    return data, f"组织生活台账-{branch.name}-{year}年"
