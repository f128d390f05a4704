"""The filed record of an activity (组织生活纪实) and a branch's year of them (台账), as Word, PDF and Excel.

One description of a record (`Record`, built from the booking by `record_of`) feeds every format, so the files say
the same thing; every Word and PDF page is laid out by `booking.documents.style` (A4, the official document layout). PDFs
embed the fonts that travel with the app: they open and print in WeChat's browser, which has no print of its own.
"""
import io
from dataclasses import dataclass

from booking import clock
from booking.documents import style as docstyle
from booking.documents import exports
from booking.photos import storage as photo_store
from booking.errors import InvalidState
from booking.members.services import credited_hours, roster_of
from booking.reservations import partners
from booking.reservations.states import ACCEPTED, COMPLETED
from models import Booking
from booking.members.services import completed_in
from booking.photos.images import too_large
from models import ACTIVITY_TYPES, User, db

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
    photos: list[str]  # the photos' stored names (booking.photos.storage reads them)
    day: str
    recorder: str = ""  # 记录人: who writes it
    rating: str | None = "未评价"  # None: not rated by its nature (the branch's own meeting)
    entry: str = ""  # the line in a ledger's contents: date, type, theme
    caption: str = ""  # under each photo


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


def record_of(booking: Booking, branch_id: int | None = None, recorder: str | None = None) -> Record:
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
    who_counted = "支部登记" if b.base_id is None else "基地登记"  # at the branch's own place nobody else counts
    count = f"{b.visitor_count} 人（{who_counted}，含非党员）"
    own = partners.own_count(b, branch_id) if branch_id is not None and partners.taking_part(b) else None
    if own is not None and any(p.visitor_count is not None for p in partners.taking_part(b)):
        count = f"{b.visitor_count} 人，其中本支部 {own} 人（{who_counted}，含非党员）"
    fields = [
        ("活动类型", b.activity_type_label),
        *_branches_fields(b, branch_id),
        ("时间", clock.written(clock.local(b.starts_at), "%Y年%m月%d日 %H:%M") + f"–{clock.local(b.ends_at):%H:%M}"),
        ("地点", _place(b)),
        ("活动主题", b.topic or b.title),
        ("活动内容", b.title if b.menu_item is not None else b.source_label),
        ("讲师", lecturer),
        ("联系人", f"{b.contact_name} {b.contact_phone}"),
        ("应到党员", f"{len(roster)} 人" if roster else "未确定参加人员"),
        ("实到党员", f"{len(present)} 人" + _how_counted(roster, hours)),
        ("缺席党员", f"{len(absent)} 人" if absent else "无"),
        ("到场人数", count),
    ]
    if unmarked:
        fields.append(("未登记出席", "、".join(unmarked)))
    rating = (f"满意度 {b.rating} 分" + (f"。{b.feedback_comment}" if b.feedback_comment else "")) if b.rating else (
        None if b.source == "own" else "未评价")
    day = clock.day_text(b.day)
    theme = b.topic or b.title
    return Record(b.id, f"{b.activity_type_label}组织生活纪实", fields, present, absent,
                  (partners.own_summary(b, branch_id) or "").strip() or "（未填写）", [p.stored_name for p in b.photos],
                  f"{b.day:%Y-%m-%d}", recorder=recorder or _recorder(b, branch_id), rating=rating,
                  entry=f"{day} {_typed(b.activity_type_label, theme)}", caption=f"{day} {b.place_name}")


def scanned(roster) -> int:
    """How many of the members present signed in themselves (扫码签到) rather than being ticked by hand."""
    return sum(1 for e in roster if e.attendance == "present" and e.signed_in_at is not None)


def _how_counted(roster, hours: float | None) -> str:
    """After the members present: how many signed in themselves, and the study hours each earned."""
    notes = ([f"{scanned(roster)} 人扫码签到"] if scanned(roster) else []) + ([f"每人计 {hours:g} 学时"] if hours else [])
    return f"（{'；'.join(notes)}）" if notes else ""


def _place(b: Booking, short: bool = False) -> str:
    """Where the activity took place: the base and venue (with its address), or the branch's own place."""
    if b.base is None:
        return b.address or ""
    if short:
        return f"{b.base.name} {b.venue.name}"
    return f"{b.base.name} {b.venue.name}" + (f"（{b.base.address}）" if b.base.address else "")


def _typed(label: str, theme: str) -> str:
    """The activity's type and theme as a ledger names them: "主题党日：重温入党誓词", the type said once when the
    theme already begins with it ("主题党日：学习贯彻……", "支部党员大会") or names it before its first colon
    ("书记讲党课：……", not "党课：书记讲党课：……")."""
    return theme if label in theme.split("：", 1)[0] else f"{label}：{theme}"


def _picture(stored_name: str):
    """The photo as JPEG bytes both writers accept, or None when it cannot be read."""
    from PIL import Image
    data = photo_store.get(stored_name)
    if data is None:
        return None
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


# -- the year at a glance: 三会一课 against its frequencies -----------------------------------------------------

# 《中国共产党支部工作条例（试行）》 and common practice: how often each kind is expected (per month or per quarter).
FREQUENCIES = {
    "member_meeting": ("quarter", "每季度 1 次"),
    "committee_meeting": ("month", "每月 1 次"),
    "group_meeting": ("month", "每月 1 次"),
    "party_lecture": ("quarter", "每季度 1 次"),
    "theme_day": ("month", "每月 1 天"),
}
SHORT = "缺"
# What the year's summary covers, said wherever it is shown: the filed Word and PDF say only that; the page adds
# how the secretary records what is missing (help to the system's user, not part of the paper filed).
FILED_SCOPE = ("本表统计本支部在本系统登记的全部组织生活：到基地开展的活动和在本支部场所开展的活动（含点单送课）；"
               "“缺”为已结束的月份或季度未达到要求，“—”为尚未结束（不作判断）。")
SUMMARY_SCOPE = FILED_SCOPE + "在本支部场所开展的活动请在“我的预约”中“登记本支部活动”（可补记 31 天内的活动）。"


@dataclass
class YearLine:
    """One activity type's year: counts by month and by quarter, what is expected, the periods short of it."""

    label: str
    months: list[int]
    quarters: list[int]
    expected: str
    short: list[str]
    judged: bool = True  # False: a type held as needed (集中学习, 其他), never marked short

    def short_text(self) -> str:
        """The periods short of the requirement, in a few words (a month-by-month type: how many months)."""
        if not self.judged:
            return "—"
        if not self.short:
            return "无"
        if self.expected.startswith("每月"):
            return f"{len(self.short)} 个月未开展"
        return "、".join(self.short) + "未开展"

    def month_cells(self, ended: int) -> list[str]:
        """Each month's count; a month not yet over shows its count so far, or "—" (not judged)."""
        per_month = self.judged and self.expected.startswith("每月")
        return [(str(n) if n else "—") if m > ended else (SHORT if per_month and n == 0 else str(n))
                for m, n in enumerate(self.months, start=1)]

    def quarter_cells(self, ended: int) -> list[str]:
        per_quarter = self.judged and self.expected.startswith("每季度")
        return [(str(n) if n else "—") if q * 3 > ended else (SHORT if per_quarter and n == 0 else str(n))
                for q, n in enumerate(self.quarters, start=1)]


def year_lines(bookings: list[Booking], year: int, today) -> tuple[list[YearLine], int]:
    """The ledger's summary: for each activity type, its counts by month and quarter against 三会一课's
    frequencies, and the months (or quarters) that ended short of them; with the number of months of the year
    that have ended (the month in progress is not judged: its meeting may still come). The bookings are the
    branch's whole organisational life: its base visits and its activities at its own place alike."""
    ended = 12 if today.year > year else (today.month - 1 if today.year == year else 0)
    lines = []
    for code, label in ACTIVITY_TYPES.items():
        months = [0] * 12
        for b in bookings:
            if b.activity_type == code:
                months[b.day.month - 1] += 1
        quarters = [sum(months[q * 3:q * 3 + 3]) for q in range(4)]
        period, expected = FREQUENCIES.get(code, (None, "按需"))
        if period is None and not any(months):
            continue
        if period is None:
            short = []
        elif period == "month":
            short = [f"{m}月" for m in range(1, ended + 1) if months[m - 1] == 0]
        else:  # a quarter is judged once it has ended
            short = [f"第{q}季度" for q in range(1, ended // 3 + 1) if quarters[q - 1] == 0]
        lines.append(YearLine(label, months, quarters, expected, short, period is not None))
    return lines, ended


def branch_year(bookings: list[Booking], year: int) -> tuple[list[YearLine], int]:
    """The ledger's summary of a branch's year as of today: what its page and its files both show."""
    return year_lines(bookings, year, clock.local_today())


def summary_rows(lines: list[YearLine], last_month: int) -> tuple[list[list], list[list]]:
    by_month = [["类型＼月", *[str(m) for m in range(1, 13)], "全年", "要求"]]
    by_month += [[l.label, *l.month_cells(last_month), str(sum(l.months)), l.expected] for l in lines]
    by_quarter = [["类型", "一季度", "二季度", "三季度", "四季度", "要求", "未达到要求"]]
    by_quarter += [[l.label, *l.quarter_cells(last_month), l.expected, l.short_text()] for l in lines]
    return by_month, by_quarter


MONTH_WIDTHS = [24] + [8] * 12 + [11, 25]  # 156 mm: "支部党员大会", "12", "全年" and "每季度 1 次" each on one line
QUARTER_WIDTHS = [26, 15, 15, 15, 15, 25, 45]


def _recorder(b: Booking, branch_id: int | None) -> str:
    """Who writes the record: the branch's secretary (its account's name), else the contact."""
    from sqlalchemy import select
    branch = branch_id or b.branch_id
    name = db.session.scalar(select(User.display_name).where(User.role == "secretary", User.branch_id == branch,
                                                             User.active.is_(True)).order_by(User.id).limit(1))
    return (name or "").split("（")[0] or b.contact_name  # the person, not "王芳（区财政局第一党支部）"


# -- the record's layout, the same in Word and PDF -----------------------------------------------------------

# Short fields side by side, two to a row (the rest across the table): a record fits on one page with its
# signatures.
PAIRED = {"活动类型": "时间", "讲师": "联系人", "应到党员": "实到党员", "缺席党员": "到场人数"}
FORM_WIDTHS = [22, 46, 22, 66]  # 156 mm: label, value, label, value (the time on one line)
SUMMARY_HEADING, PHOTOS_HEADING = "一、活动纪要", "二、活动照片"


def form_rows(record: Record) -> list[list[tuple[str, int]]]:
    """The record's table: its fields (short ones in pairs), then who came, who did not and why, the rating; each
    cell as (text, columns spanned), a list broken between its items where it runs over a line."""
    values = dict(record.fields)
    placed = {second for first, second in PAIRED.items() if first in values and second in values}
    rows = []
    for label, value in record.fields:
        if label in placed:
            continue
        second = PAIRED.get(label)
        if second in values:
            rows.append([(label, 1), (value, 1), (second, 1), (values[second], 1)])
        else:
            rows.append([(label, 1), (value, 3)])
    rows.append([("出席党员", 1), ("、".join(record.present) or "无", 3)])
    rows.append([("缺席党员及原因", 1), ("、".join(record.absent) or "无", 3)])
    if record.rating is not None:  # a branch's own meeting is not rated
        rows.append([("评价", 1), (record.rating, 3)])
    return docstyle.form_lists(rows, FORM_WIDTHS)


def photo_pages(record: Record) -> int:
    """The pages a record's photos take after it: two to a page."""
    return (len(record.photos) + 1) // 2


# -- Word --------------------------------------------------------------------------------------------

def _docx_photos(doc, record: Record) -> None:
    """From a new page, two photos to a page, each with its caption."""
    from PIL import Image
    if not record.photos:
        return
    docstyle.docx_heading(doc, PHOTOS_HEADING, new_page=True)
    for n, path in enumerate(record.photos, start=1):
        data = _picture(path)
        new_page = n > 2 and n % 2 == 1
        if data is None:
            paragraph = docstyle.docx_caption(doc, f"图{n}（照片无法读取）")
            paragraph.paragraph_format.page_break_before = new_page or None
            continue
        with Image.open(io.BytesIO(data)) as image:
            size = docstyle.photo_size(*image.size)
        docstyle.docx_picture(doc, data, size, page_break_before=new_page)
        docstyle.docx_caption(doc, f"图{n}  {record.caption}")


def _docx_record(doc, record: Record, new_page: bool = False, summary_new_page: bool = False) -> None:
    """The record; `summary_new_page`: its summary and signatures from a new page (as the PDF has laid them out)."""
    from docx.shared import Pt
    docstyle.docx_title(doc, record.title, new_page=new_page)
    docstyle.docx_form(doc, form_rows(record), FORM_WIDTHS, {0, 2})
    heading = docstyle.docx_heading(doc, SUMMARY_HEADING, new_page=summary_new_page)
    heading.paragraph_format.space_before = Pt(6)
    paragraphs = [docstyle.docx_paragraph(doc, line) for line in record.summary.splitlines() or [""]]
    # The summary's end on the page of the signatures: its last paragraph kept with them.
    paragraphs[-1].paragraph_format.keep_with_next = True
    paragraphs[-1].paragraph_format.space_after = Pt(11)
    docstyle.docx_signatures(doc, record.recorder)
    _docx_photos(doc, record)


def record_docx(records: list[Record]) -> bytes:
    """One record as a Word document in the official layout."""
    doc = docstyle.docx_document()
    for n, record in enumerate(records):
        _docx_record(doc, record, new_page=n > 0)
    return docstyle.docx_bytes(doc)


def _cover_lines(branch, year: int) -> list[tuple[str, str]]:
    return [("党组织", branch.organization.name), ("党支部", branch.name), ("年    度", f"{year}年")]


def _contents_names(records: list[Record]) -> list[str]:
    return ["一、年度组织生活汇总"] + [f"{n}．{r.entry}" for n, r in enumerate(records, start=1)]


def ledger_layout(branch, year: int, records: list[Record], lines: list[YearLine], last_month: int) \
        -> tuple[list[int], list[bool]]:
    """The page each part of the ledger starts on (the contents being page 1) and the records whose summary and
    signatures begin a page of their own, as the PDF lays them out; the Word file follows the same rules (the same
    sizes, each record from a new page, its summary moved to the next page where the PDF moved it, its photos two
    to a page after it), so its contents carry the same numbers. Without the PDF's fonts, counted by those rules
    (a record taken as one page)."""
    try:
        _, starts, moved = _ledger_pass(branch, year, records, lines, last_month, _contents_names(records), None,
                                        draw_photos=False, fallbacks=False)
        return starts, moved
    except docstyle.FontUnavailable:
        first = int((docstyle.TEXT_H - 16) // docstyle.CONTENTS_LINE_MM)  # entries under the contents' title
        more = int(docstyle.TEXT_H // docstyle.CONTENTS_LINE_MM)
        contents = 1 + max(0, -(-(len(records) + 1 - first) // more))
        starts, page = [contents + 1], contents + 2  # the year's summary on a page of its own
        for record in records:
            starts.append(page)
            page += 1 + photo_pages(record)
        return starts, [False] * len(records)


def ledger_docx(branch, year: int, records: list[Record], lines: list[YearLine], last_month: int) -> bytes:
    """The year's ledger in Word: a cover (not numbered), the contents with their page numbers, the year's summary
    against 三会一课, then each record on a new page."""
    doc = docstyle.docx_document(first_page_number=False)
    for _ in range(5):
        docstyle.docx_paragraph(doc, "", indent=False)
    docstyle.docx_title(doc, "党支部组织生活台账")
    for _ in range(4):
        docstyle.docx_paragraph(doc, "", indent=False)
    for label, value in _cover_lines(branch, year):
        docstyle.docx_paragraph(doc, f"{label}：{value}", center=True)
    docstyle.docx_restart_numbering(doc)  # the contents are page 1, as in the PDF
    docstyle.docx_title(doc, "目    录")
    names = _contents_names(records)
    pages, moved = ledger_layout(branch, year, records, lines, last_month)
    docstyle.docx_contents(doc, [(name, page, f"part{n}") for n, (name, page) in enumerate(zip(names, pages))])
    docstyle.docx_heading(doc, names[0], bookmark="part0", new_page=True)
    by_month, by_quarter = summary_rows(lines, last_month)
    docstyle.docx_paragraph(doc, f"{year}年共开展组织生活 {len(records)} 次。" + FILED_SCOPE)
    docstyle.docx_table(doc, by_month, MONTH_WIDTHS, header=True, size=9)
    docstyle.docx_paragraph(doc, "", indent=False)
    docstyle.docx_table(doc, by_quarter, QUARTER_WIDTHS, header=True, size=10)
    for n, record in enumerate(records, start=1):
        docstyle.docx_heading(doc, names[n], bookmark=f"part{n}", new_page=True)
        _docx_record(doc, record, summary_new_page=moved[n - 1])
    if not records:
        docstyle.docx_paragraph(doc, "本年度还没有已完成的组织生活。")
    return docstyle.docx_bytes(doc)


# -- PDF ---------------------------------------------------------------------------------------------

def _pdf_photos(pdf, record: Record, draw: bool = True) -> None:
    """From a new page, two photos to a page, each fitted into half the text area with its caption (`draw`
    False: the pages only, to count them)."""
    from PIL import Image
    if not record.photos:
        return
    pdf.add_page()
    pdf.heading(PHOTOS_HEADING, room=None)
    for n, path in enumerate(record.photos, start=1):
        if n > 2 and n % 2 == 1:
            pdf.add_page()
        if not draw:
            continue
        data = _picture(path)
        if data is None:
            pdf.paragraph(f"图{n}（照片无法读取）", indent=False, size=docstyle.CAPTION_PT, align="C")
            continue
        with Image.open(io.BytesIO(data)) as image:
            width, height = docstyle.photo_size(*image.size)
        pdf.ln(2)
        pdf.image(io.BytesIO(data), x=docstyle.LEFT + (docstyle.TEXT_W - width) / 2, w=width, h=height)
        pdf.ln(1)
        pdf.paragraph(f"图{n}  {record.caption}", indent=False, size=docstyle.CAPTION_PT, align="C")
        pdf.ln(3)


def _pdf_record(pdf, record: Record, draw_photos: bool = True) -> bool:
    """The record from the current page; True when its summary and signatures went on to a page of their own."""
    pdf.title_text(record.title)
    pdf.form(form_rows(record), FORM_WIDTHS, {0, 2})
    moved = pdf.closing(SUMMARY_HEADING, record.summary, record.recorder)
    _pdf_photos(pdf, record, draw_photos)
    return moved


def record_pdf(records: list[Record]) -> bytes:
    """One record as a PDF in the official layout, the fonts embedded."""
    pdf = docstyle.pdf_document(records[0].title if records else "组织生活纪实")
    for record in records:
        pdf.add_page()
        _pdf_record(pdf, record)
    return docstyle.pdf_bytes(pdf)


def ledger_pdf(branch, year: int, records: list[Record], lines: list[YearLine], last_month: int) -> bytes:
    """The year's ledger as PDF: a cover (not numbered), the contents with page numbers, the summary, the records.
    Laid out twice: the first pass (photos left out, their pages kept) finds the page each part starts on, the
    second writes them into the contents (one line an entry, so both passes break pages alike)."""
    names = _contents_names(records)
    found = _ledger_pass(branch, year, records, lines, last_month, names, None, draw_photos=False)[1]
    return docstyle.pdf_bytes(_ledger_pass(branch, year, records, lines, last_month, names, found)[0])


def _ledger_pass(branch, year, records, lines, last_month, names, numbers, draw_photos=True, fallbacks=True):
    """The ledger laid out, the page each part starts on and the records whose summary went on to a page of its
    own; `draw_photos` False: a pass that counts pages (the photos' pages kept blank); `fallbacks` False: without
    the full system fonts for rare characters."""
    pdf = docstyle.pdf_document(f"{branch.name} {year}年党支部组织生活台账", fallbacks=fallbacks)
    pdf.numbered_from = 2  # the cover has no number; the contents' first page is — 1 —
    pdf.add_page()
    pdf.ln(55)
    pdf.title_text("党支部组织生活台账")
    pdf.ln(40)
    for label, value in _cover_lines(branch, year):
        pdf.paragraph(f"{label}：{value}", indent=False, align="C")
        pdf.ln(2)
    pdf.add_page()
    pdf.title_text("目    录")
    for n, name in enumerate(names):
        pdf.contents_line(name, str(numbers[n]) if numbers else "")
    starts = []
    pdf.add_page()
    starts.append(pdf.page_no() - pdf.numbered_from + 1)
    pdf.start_section(names[0])
    pdf.heading(names[0])
    pdf.paragraph(f"{year}年共开展组织生活 {len(records)} 次。" + FILED_SCOPE)
    by_month, by_quarter = summary_rows(lines, last_month)
    pdf.ln(2)
    pdf.grid(by_month, MONTH_WIDTHS, header=True, size=9)
    pdf.ln(4)
    pdf.grid(by_quarter, QUARTER_WIDTHS, header=True, size=10)
    moved = []
    for name, record in zip(names[1:], records):
        pdf.add_page()
        starts.append(pdf.page_no() - pdf.numbered_from + 1)
        pdf.start_section(name)
        pdf.heading(name)
        moved.append(_pdf_record(pdf, record, draw_photos))
    if not records:
        pdf.paragraph("本年度还没有已完成的组织生活。")
    return pdf, starts, moved


# -- Excel -------------------------------------------------------------------------------------------

# The columns a ledger is read by, each as wide as its usual text at 10.5 pt (longer text wraps): 137 character
# units, landscape A4's width, so the sheet prints at its size.
LEDGER_COLUMNS = [("日期", 11), ("时间", 12), ("活动类型", 9.5), ("地点", 13.5), ("活动主题", 15.5), ("讲师", 7.5),
                  ("应到党员", 5.5), ("实到党员", 5.5), ("出席党员", 18.5), ("缺席党员及原因", 14.5),
                  ("本支部到场人数", 5.5), ("满意度", 7), ("共同参加的支部", 11.5)]
LEDGER_HEADER = [name for name, _ in LEDGER_COLUMNS]


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
        present = [e.member.name for e in roster if e.attendance == "present"]
        body.append([
            f"{b.day:%Y-%m-%d}", f"{clock.local(b.starts_at):%H:%M}–{clock.local(b.ends_at):%H:%M}",
            b.activity_type_label, _place(b, short=True), b.topic or b.title,
            b.lecturer.name if b.lecturer and b.lecturer_status == ACCEPTED else "",
            len(roster), len(present), "、".join(present) + (f"（{scanned(roster)} 人扫码签到）" if scanned(roster) else ""),
            "、".join(f"{e.member.name}（{e.absence_reason or '未说明'}）" for e in roster if e.attendance == "absent"),
            partners.own_count(b, branch_id), b.rating or "", joined_with(b, branch_id)])
    body.append([f"合计 {len(bookings)} 次", "", "", "", "", "", sum(r[6] for r in body), sum(r[7] for r in body),
                 "", "", sum(partners.own_count(b, branch_id) or 0 for b in bookings), "", ""])
    return exports.xlsx_bytes(title, "台账", LEDGER_HEADER, body, total=True,
                              widths=[width for _, width in LEDGER_COLUMNS])


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
    bookings = completed_in(branch, year)
    title = f"{branch.organization.name} {branch.name} {year} 年组织生活台账"
    if fmt == "xlsx":
        data = ledger_xlsx(bookings, title, branch.id)
    else:
        lines, last_month = branch_year(bookings, year)
        # One branch, one writer: asked once for the year, not once a record.
        writer = _recorder(bookings[0], branch.id) if bookings else ""
        records = [record_of(b, branch.id, writer) for b in bookings]
        data = (ledger_docx if fmt == "docx" else ledger_pdf)(branch, year, records, lines, last_month)
    return data, f"组织生活台账-{branch.name}-{year}年"
