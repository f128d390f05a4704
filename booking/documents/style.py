"""The one style of every Word and PDF file the system writes (record, ledger, district summary): the layout of Party
and government documents after GB/T 9704-2012, so a branch files them as they are.

A4 portrait; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; a centred title in 小标宋 22 pt, body in 仿宋
16 pt with a two-character first-line indent, headings in 黑体 (first level) and 楷体 (second); page numbers at the
foot as "— 1 —". Word files name the East-Asian fonts a Windows PC has (仿宋, 黑体, 楷体, 宋体 for the title when
方正小标宋 is missing); PDFs embed the fonts that travel with the app (booking/documents/fonts, Noto Serif and Sans SC,
OFL), so they look the same everywhere. Every text goes through `textutil.printable` first: control characters
stored before they were refused never break a document.

Both formats lay a page out alike (the body's 28 pt lines, 12 pt tables on 16 pt lines, the same widths), so the
page numbers the PDF finds serve the Word file's contents too. Pictures sit in paragraphs of their own style (single
spacing: an exact line height would clip them to a strip in Word and WPS). PDF lines are broken as Chinese is set
(禁则): closing punctuation never begins a line, an opening bracket never ends one, a Latin word or number is not cut;
Word, WPS and LibreOffice apply the same rules themselves.
"""
from __future__ import annotations

import functools
import io
import logging
import os
import re

from flask import current_app

from booking.errors import DomainError
from booking.textutil import printable

log = logging.getLogger(__name__)
logging.getLogger("fontTools").setLevel(logging.WARNING)  # its subsetter reports every glyph at INFO

# Millimetres, after GB/T 9704-2012.
PAGE_W, PAGE_H = 210, 297
TOP, BOTTOM, LEFT, RIGHT = 37, 35, 28, 26
TEXT_W = PAGE_W - LEFT - RIGHT  # 156
TEXT_H = PAGE_H - TOP - BOTTOM  # 225

TITLE_PT, BODY_PT, TABLE_PT, FOOTER_PT = 22, 16, 12, 14
BODY_LINE_PT, TITLE_LINE_PT = 28, 36  # exact line heights (GB/T 9704: 22 lines of 28 characters a page)
CAPTION_PT = 12
PT = 25.4 / 72  # millimetres in a point
CELL_PAD_X, CELL_PAD_Y = 1.9, 1.0  # a table cell's padding, mm (Word's default side margins)
TABLE_LEADING = 1.35  # a table's lines: its text's size times this
CLOSING_SLACK = 12  # mm a record's page keeps to spare (see OfficialPdf.closing)
PHOTO_BOX = (TEXT_W, 92.0)  # a photo fits in half the text area with its caption: two to a page
# Word: the East-Asian font of each part, as Windows names them.
TITLE_FONT, BODY_FONT, HEADING_FONTS, TABLE_FONT = "方正小标宋简体", "仿宋", ("黑体", "楷体"), "仿宋"
PICTURE_STYLE = "照片"
LATIN_FONT = "Times New Roman"

HERE = os.path.dirname(__file__)
SERIF = os.path.join(HERE, "fonts", "NotoSerifSC-subset.otf")
SANS = os.path.join(HERE, "fonts", "NotoSansSC-subset.otf")
# The full system fonts, where installed, draw a character the subsets lack (a rare name).
SYSTEM_FALLBACKS = ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
                    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class FontUnavailable(DomainError):
    """The PDF's font cannot be loaded: a clear page and a log line, never a 500."""

    status, code = 503, "font_unavailable"
    message = "PDF 所需的中文字体无法加载，请联系系统管理员（检查 CJK_FONT 设置）；Word 格式仍可下载。"


def clean(text) -> str:
    """Text as a document may hold it."""
    return printable("" if text is None else str(text))


def page_number_text(n: int) -> str:
    return f"— {n} —"


# -- Chinese line breaking (禁则) ------------------------------------------------------------------------

NO_LINE_START = frozenset("。，、；：？！）」』”’》〉…．·〕】〗｝％,.;:?!)]}%")
NO_LINE_END = frozenset("（「『“‘《〈〔【〖｛([{")


def _latin(c: str) -> bool:
    return (c.isascii() and not c.isspace()) or c == "–"


def can_break(before: str, after: str) -> bool:
    """Whether a line may end after `before` and the next begin with `after`."""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if _latin(before) and _latin(after):  # a word, a number, a time, a telephone number stays whole
        return False
    return not (before == after and before in "—…")  # —— and …… are one mark


def break_lines(text: str, width_of, max_width: float) -> list[str]:
    """`text` (one paragraph) in lines no wider than `max_width` (`width_of` measures one character), broken where
    Chinese typesetting allows: when a line is full, the characters that may not end it (an opening bracket) or
    that the next line may not begin with (closing punctuation) go over to the next line with their neighbour."""
    lines, line, used = [], [], 0.0
    for c in text:
        w = width_of(c)
        if line and used + w > max_width + 1e-6:
            run = line + [c]
            cut = len(line)
            while cut > 0 and not can_break(run[cut - 1], run[cut]):
                cut -= 1
            if cut == 0 or sum(width_of(x) for x in run[cut:]) > max_width:  # no place allowed: break where full,
                cut = len(line) - 1 if c in NO_LINE_START and len(line) > 1 else len(line)  # punctuation kept
            lines.append("".join(line[:cut]).rstrip(" "))
            line = run[cut:]
            while line and line[0] == " ":
                line.pop(0)
            used = sum(width_of(x) for x in line)
        else:
            line.append(c)
            used += w
    lines.append("".join(line).rstrip(" "))
    return lines


LIST_PHRASE = re.compile(r"[^、；]+[、；]?")


def list_lines(text: str, width_of, max_width: float) -> str:
    """A form cell's list that does not fit on one line of `max_width` (`width_of` measures one character), broken
    only between its items (after 、 or ；), as many whole items to a line as fit: "陶凯（副书记）" or "每人计 2.5
    学时" is never cut in two. Text with an item longer than a line (prose) is left for the writer to wrap."""
    wide = lambda phrase: sum(width_of(c) for c in phrase) > max_width  # noqa: E731
    phrases = LIST_PHRASE.findall(text)
    if "\n" in text or not wide(text) or any(wide(p) for p in phrases):
        return text
    lines = [""]
    for phrase in phrases:
        if lines[-1] and wide(lines[-1] + phrase):
            lines.append("")
        lines[-1] += phrase
    return "\n".join(lines)


def form_lists(rows: list[list[tuple[str, int]]], widths_mm: list[float], size: float = TABLE_PT) \
        -> list[list[tuple[str, int]]]:
    """A form's rows with each cell's list broken between its items for the cell's width (`list_lines`): one
    layout for Word and the PDF, the lines given, not left to each program's wrapping (half a character to spare,
    so that neither breaks a line again)."""
    width_of, out = em_width(size), []
    for cells in rows:
        column, laid = 0, []
        for text, span in cells:
            room = sum(widths_mm[column:column + span]) - 2 * CELL_PAD_X - size * PT / 2
            laid.append((list_lines(text, width_of, room), span))
            column += span
        out.append(laid)
    return out


# -- Word --------------------------------------------------------------------------------------------

def _east_asian(run_or_style, name: str) -> None:
    from docx.oxml.ns import qn
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _style(doc, name: str, font: str, size: float, *, bold=False, center=False, indent=False, keep=False,
           line_pt: float | None = None):
    """A paragraph style in the official layout: black, justified (or centred), lines `line_pt` high exactly (the
    body's 28 pt by default; None: single spacing, as a picture needs)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor
    style = doc.styles[name] if name in [s.name for s in doc.styles] else \
        doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.name = LATIN_FONT
    _east_asian(style, font)
    fmt = style.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Pt(size * 2) if indent else Pt(0)
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    if line_pt is None:
        fmt.line_spacing = 1.0  # w:lineRule="auto": the line grows with what it holds
    else:
        fmt.line_spacing = Pt(line_pt)
    fmt.keep_with_next = keep
    # Word's template underlines its Title with a blue rule: official documents have none.
    from docx.oxml.ns import qn
    ppr = style.element.find(qn("w:pPr"))
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)
    return style


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE) in a paragraph, with a placeholder every program replaces as it lays the page out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, ""), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == code:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {code} "
            run._r.append(instr)
        else:
            run.text = "1"


def docx_document(first_page_number: bool = True):
    """A new Word document in the official layout: A4 portrait, the margins, the styles, "— n —" in the footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_W), Mm(PAGE_H)
    section.top_margin, section.bottom_margin = Mm(TOP), Mm(BOTTOM)
    section.left_margin, section.right_margin = Mm(LEFT), Mm(RIGHT)
    section.footer_distance = Mm(BOTTOM - 7 - 10)
    section.different_first_page_header_footer = not first_page_number
    _style(doc, "Normal", BODY_FONT, BODY_PT, indent=True, line_pt=BODY_LINE_PT)
    _style(doc, "Title", TITLE_FONT, TITLE_PT, center=True, keep=True, line_pt=TITLE_LINE_PT)
    _style(doc, "Heading 1", HEADING_FONTS[0], BODY_PT, keep=True, line_pt=BODY_LINE_PT)
    _style(doc, "Heading 2", HEADING_FONTS[1], BODY_PT, keep=True, line_pt=BODY_LINE_PT)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].paragraph_format.space_after = Pt(8 if name == "Title" else 0)
    # A photo and its caption: single spacing (an exact line clips a picture to its height), centred, no indent,
    # the photo kept on the page of its caption.
    _style(doc, PICTURE_STYLE, BODY_FONT, BODY_PT, center=True, keep=True, line_pt=None)
    caption = _style(doc, "Caption", BODY_FONT, CAPTION_PT, center=True, line_pt=None)
    caption.paragraph_format.space_after = Pt(10)
    caption.paragraph_format.keep_together = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    lead = footer.add_run("— ")
    _field(footer, "PAGE")
    tail = footer.add_run(" —")
    for run in footer.runs:
        run.font.size = Pt(FOOTER_PT)
        run.font.name = LATIN_FONT
        _east_asian(run, "宋体")
    del lead, tail
    return doc


def docx_title(doc, text: str, new_page: bool = False):
    paragraph = doc.add_paragraph(clean(text), style="Title")
    paragraph.paragraph_format.page_break_before = new_page or None
    return paragraph


def docx_heading(doc, text: str, level: int = 1, bookmark: str | None = None, new_page: bool = False):
    """黑体 for the first level (一、), 楷体 for the second ((一)); `bookmark` names it for the contents' links;
    `new_page`: from the top of a new page (a property of the heading, not an empty paragraph holding a break,
    which LibreOffice can turn into a blank page)."""
    paragraph = doc.add_paragraph(clean(text), style="Heading 1" if level == 1 else "Heading 2")
    paragraph.paragraph_format.page_break_before = new_page or None
    if bookmark:
        _bookmark(paragraph, bookmark)
    return paragraph


def _bookmark(paragraph, name: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    import zlib
    number = str(zlib.crc32(name.encode()) % 10 ** 8)
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), number)
    start.set(qn("w:name"), name)
    end.set(qn("w:id"), number)
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def docx_paragraph(doc, text: str, indent: bool = True, center: bool = False, right: bool = False,
                   size: int | None = None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    paragraph = doc.add_paragraph(clean(text))
    if size:
        for run in paragraph.runs:
            run.font.size = Pt(size)
        paragraph.paragraph_format.line_spacing = Pt(size * 1.5)
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)  # two of its own characters
    if not indent or center or right:
        paragraph.paragraph_format.first_line_indent = Pt(0)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def docx_picture(doc, data: bytes, size_mm: tuple[float, float], page_break_before: bool = False):
    """A photo in a paragraph of the picture style (single spacing: never clipped; kept with its caption)."""
    from docx.shared import Mm
    paragraph = doc.add_paragraph(style=PICTURE_STYLE)
    paragraph.paragraph_format.page_break_before = page_break_before or None
    paragraph.add_run().add_picture(io.BytesIO(data), width=Mm(size_mm[0]), height=Mm(size_mm[1]))
    return paragraph


def docx_caption(doc, text: str):
    return doc.add_paragraph(clean(text), style="Caption")


def photo_size(width_px: int, height_px: int, box: tuple[float, float] = PHOTO_BOX) -> tuple[float, float]:
    """A photo's printed size in mm: as large as fits the box, its proportions kept."""
    scale = min(box[0] / width_px, box[1] / height_px)
    return width_px * scale, height_px * scale


def _cell_text(cell, text: str, size: float, bold: bool = False, center: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    for n, part in enumerate(clean(text).splitlines() or [""]):
        paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing = Pt(size * TABLE_LEADING)
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(part)
        run.font.size = Pt(size)
        run.bold = bold
        _east_asian(run, TABLE_FONT)


def _new_table(doc, widths_mm: list[float]):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm
    table = doc.add_table(rows=0, cols=len(widths_mm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_mm):  # the grid: LibreOffice and WPS lay the table out from it
        column.width = Mm(width)
    # The cells' padding as the PDF's: 1 mm above and below (Word's own 1.9 mm at the sides).
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "bottom"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(round(CELL_PAD_Y / PT * 20)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    return table


def _row_props(row, *, header=False, cant_split=False, height_mm: float | None = None) -> None:
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm
    props = row._tr.get_or_add_trPr()
    for name, wanted in (("w:cantSplit", cant_split), ("w:tblHeader", header)):
        if wanted:
            element = OxmlElement(name)
            element.set(qn("w:val"), "true")
            props.append(element)
    if height_mm:
        row.height, row.height_rule = Mm(height_mm), WD_ROW_HEIGHT_RULE.AT_LEAST


def docx_table(doc, rows: list[list], widths_mm: list[float], header: bool = False, size: int = TABLE_PT):
    """A bordered table in 仿宋 at `size` pt; the first row bold (and repeated on every page) when `header`."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.shared import Mm
    table = _new_table(doc, widths_mm)
    for r, values in enumerate(rows):
        row = table.add_row()
        _row_props(row, header=header and r == 0, cant_split=True)
        for cell, value, width in zip(row.cells, values, widths_mm):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _cell_text(cell, value, size, bold=header and r == 0)
    return table


def docx_form(doc, rows: list[list[tuple[str, int]]], widths_mm: list[float], labels: set[int],
              size: int = TABLE_PT, row_height_mm: float | None = None, keep: bool = False):
    """A form: each row its cells as (text, columns spanned); the cells starting in a column of `labels` centred.
    Rows never split across pages; `keep`: the whole table on one page."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.shared import Mm
    table = _new_table(doc, widths_mm)
    for r, cells in enumerate(rows):
        row = table.add_row()
        _row_props(row, cant_split=True, height_mm=row_height_mm)
        column, grid = 0, row.cells  # (python-docx works the whole table's cells out on each row.cells)
        for text, span in cells:
            cell = grid[column]
            if span > 1:
                cell = cell.merge(grid[column + span - 1])
            cell.width = Mm(sum(widths_mm[column:column + span]))
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _cell_text(cell, text, size, center=column in labels)
            if keep and r < len(rows) - 1:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
            column += span
    return table


def signature_rows(recorder: str) -> list[list[tuple[str, int]]]:
    """The rows a record is signed on: who wrote it (named) and who checked it, each signing with a date."""
    return [[("记录人", 1), (recorder, 1), ("签字", 1), ("", 1), ("日期", 1), ("　　年　月　日", 1)],
            [("审核人", 1), ("", 1), ("签字", 1), ("", 1), ("日期", 1), ("　　年　月　日", 1)]]


SIGNATURE_WIDTHS = [18, 46, 13, 29, 13, 37]  # 156 mm
SIGNATURE_ROW_MM = 10  # room for a hand


def docx_signatures(doc, recorder: str) -> None:
    """The signing rows, on one page with what comes before them (the caller keeps its last paragraph with them)."""
    docx_form(doc, signature_rows(recorder), SIGNATURE_WIDTHS, {0, 2, 4}, row_height_mm=SIGNATURE_ROW_MM, keep=True)


def docx_restart_numbering(doc) -> None:
    """A new section from the next page, its pages numbered from 1 (after a cover that is not numbered)."""
    from docx.enum.section import WD_SECTION
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    section._sectPr.append(numbering)


def fit_text(text: str, width_of, max_width: float) -> str:
    """`text` on one line of `max_width`, cut short with "…" when longer."""
    text = clean(text)
    if sum(width_of(c) for c in text) <= max_width:
        return text
    while text and sum(width_of(c) for c in text) + width_of("…") > max_width:
        text = text[:-1]
    return text + "…"


def em_width(size_pt: float):
    """A character's width in mm as Word's CJK fonts set it: a full em for Chinese, about half for Latin."""
    return lambda c: size_pt * PT * (0.5 if c.isascii() or c == "–" else 1.0)


CONTENTS_PT, CONTENTS_LINE_MM, CONTENTS_NUMBER_MM = 14, 10, 14


def docx_contents(doc, entries: list[tuple[str, int, str]]) -> None:
    """The contents: each entry's text, a dotted leader and its page number (written here, so every program shows
    them as the PDF does), linked to its heading's bookmark."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt
    for text, page, bookmark in entries:
        paragraph = doc.add_paragraph()
        fmt = paragraph.paragraph_format
        fmt.first_line_indent = Pt(0)
        fmt.line_spacing = Mm(CONTENTS_LINE_MM)
        fmt.alignment = 0  # left: the tab carries the number to the right edge
        fmt.tab_stops.add_tab_stop(Mm(TEXT_W), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), bookmark)
        paragraph._p.append(link)
        shown = fit_text(text, em_width(CONTENTS_PT), TEXT_W - CONTENTS_NUMBER_MM)
        for part in (shown, "\t", str(page)):
            run = paragraph.add_run(part)
            run.font.size = Pt(CONTENTS_PT)
            _east_asian(run, BODY_FONT)
            link.append(run._r)


def docx_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- PDF ---------------------------------------------------------------------------------------------

def font_paths() -> tuple[str, str]:
    """(serif, sans) the PDFs embed: CJK_FONT overrides both; by default the fonts that travel with the app."""
    override = current_app.config.get("CJK_FONT") or ""
    if override:
        return override, override
    return SERIF, SANS


@functools.lru_cache(maxsize=8)
def _face_number(path: str) -> int:
    """In a font collection (.ttc), the Simplified Chinese face."""
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


def _pdf_class():
    from fpdf import FPDF
    from fpdf.table import Padding

    class OfficialPdf(FPDF):
        """A4 in the official layout, "— n —" at the foot of every page but the cover; every line broken as Chinese
        is set (`break_lines`), the body's lines 28 pt apart and justified as Word justifies them."""

        numbered_from = 1

        def footer(self):
            if self.page_no() < self.numbered_from:
                return
            self.set_y(-(BOTTOM - 10))
            self.set_font("serif", size=FOOTER_PT)
            self.cell(0, 8, page_number_text(self.page_no() - self.numbered_from + 1), align="C")

        def width_of(self):
            """A character's width in mm in the current font and size (measured once per font and size)."""
            cache = self.__dict__.setdefault("_char_widths", {}).setdefault((self.font_family, self.font_size_pt), {})

            def width(c: str) -> float:
                if c not in cache:
                    cache[c] = self.get_string_width(c)
                return cache[c]
            return width

        def lines(self, text: str, indent: bool = False, width: float = TEXT_W) -> list[str]:
            """One paragraph in the current font broken into lines (two full-width spaces first when `indent`)."""
            return break_lines(("\u3000\u3000" if indent else "") + text, self.width_of(), width)

        def write_lines(self, lines: list[tuple[str, bool]], height: float, align: str = "J") -> None:
            """Lines as laid out, each (text, last of its paragraph); "J": spread to the full width, by spacing the
            characters, all but a paragraph's last line."""
            width_of = self.width_of()
            for text, last in lines:
                spacing = 0.0
                if align == "J" and not last and len(text) > 1:
                    slack = TEXT_W - sum(width_of(c) for c in text)
                    if 0 < slack < 3 * self.font_size:
                        spacing = slack / (len(text) - 1)
                self.set_char_spacing(spacing * self.k)  # points
                self.set_x(self.l_margin)
                self.cell(TEXT_W, height, text, align="L" if align == "J" else align, new_x="LMARGIN",
                          new_y="NEXT")
            self.set_char_spacing(0)

        def laid_out(self, text: str, indent: bool = True) -> list[tuple[str, bool]]:
            """Every paragraph of `text` as lines, each marked when it ends its paragraph."""
            out = []
            for part in clean(text).splitlines() or [""]:
                broken = self.lines(part, indent)
                out += [(line, n == len(broken) - 1) for n, line in enumerate(broken)]
            return out

        def title_text(self, text: str) -> None:
            self.set_font("serif", size=TITLE_PT)
            self.write_lines([(line, True) for line in self.lines(clean(text))], TITLE_LINE_PT * PT, align="C")
            self.ln(8 * PT)

        def heading(self, text: str, level: int = 1, room: float | None = 20, space: float = 0) -> None:
            """A heading kept with what follows: a new page when less than `room` mm is left under it (None: the
            caller has made room)."""
            self.set_font("sans" if level == 1 else "serif", size=BODY_PT)
            lines = self.lines(clean(text))
            height = BODY_LINE_PT * PT
            if room is not None and self.get_y() + space + height * len(lines) + room > self.h - self.b_margin:
                self.add_page()
            elif space and self.get_y() > self.t_margin + 1:
                self.ln(space)
            self.write_lines([(line, True) for line in lines], height, align="L")

        def paragraph(self, text: str, indent: bool = True, size: int = BODY_PT, align: str = "J") -> None:
            self.set_font("serif", size=size)
            height = (BODY_LINE_PT if size >= BODY_PT else size * 1.5) * PT
            self.write_lines(self.laid_out(text, indent), height, align)

        def _cells(self, cells: list[tuple[str, int]], widths: list[float]) -> list[tuple[str, int, int]]:
            """Each cell's text broken into lines for its width, with its span and first column."""
            width_of, out, column = self.width_of(), [], 0
            for text, span in cells:
                room = sum(widths[column:column + span]) - 2 * CELL_PAD_X - 0.4  # a hair inside fpdf2's own width
                lines = [line for part in (clean(text).splitlines() or [""]) for line in
                         break_lines(part, width_of, room)]
                out.append(("\n".join(lines), span, column))
                column += span
            return out

        def _table(self, rows: list[list[tuple[str, int]]], widths: list[float], size: float, header: bool,
                   labels: set[int], min_height: float | None) -> None:
            from fpdf.fonts import FontFace
            self.set_font("serif", size=size)
            with self.table(col_widths=widths, width=sum(widths), line_height=size * TABLE_LEADING * PT, text_align="LEFT",
                            first_row_as_headings=header, repeat_headings=1 if header else 0,
                            headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)), v_align="MIDDLE",
                            padding=Padding(top=CELL_PAD_Y, right=CELL_PAD_X, bottom=CELL_PAD_Y, left=CELL_PAD_X),
                            wrapmode="CHAR") as table:
                for cells in rows:
                    row = table.row(min_height=min_height)
                    for text, span, column in self._cells(cells, widths):
                        row.cell(text, colspan=span, align="CENTER" if column in labels else "LEFT")

        def form_height(self, rows: list[list[tuple[str, int]]], widths: list[float], size: float = TABLE_PT,
                        min_height: float | None = None) -> float:
            """How tall `form` draws these rows, in mm."""
            self.set_font("serif", size=size)
            total = 0.0
            for cells in rows:
                lines = max(text.count("\n") + 1 for text, _, _ in self._cells(cells, widths))
                total += max(lines * size * TABLE_LEADING * PT + 2 * CELL_PAD_Y, min_height or 0)
            return total

        def grid(self, rows: list[list], widths: list[float], header: bool = False, size: int = TABLE_PT) -> None:
            """A bordered table; with `header`, its first row repeated on each page it runs onto."""
            self._table([[(v, 1) for v in values] for values in rows], widths, size, header, set(), None)

        def form(self, rows: list[list[tuple[str, int]]], widths: list[float], labels: set[int],
                 size: int = TABLE_PT, min_height: float | None = None) -> None:
            """A form: each row its cells as (text, columns spanned); cells starting in a column of `labels`
            centred. A row is never split across pages."""
            self._table(rows, widths, size, False, labels, min_height)

        def closing(self, heading: str, text: str, recorder: str) -> bool:
            """A record's last part: its heading, the summary and the signing rows. On the form's page when all of
            it fits there with CLOSING_SLACK to spare (Word's and WPS's fonts set a little taller than these); else
            all of it from a new page (True), the summary's last two lines on the page of the signatures if it runs
            on (the signatures never alone on a page)."""
            self.set_font("serif", size=BODY_PT)
            laid = self.laid_out(text)
            line = BODY_LINE_PT * PT
            signatures = signature_rows(recorder)
            signed = 4 + self.form_height(signatures, SIGNATURE_WIDTHS, min_height=SIGNATURE_ROW_MM)
            heading_h = 6 * PT + line * len(self.lines(clean(heading)))
            moved = self.get_y() + heading_h + len(laid) * line + signed + CLOSING_SLACK > self.h - self.b_margin
            if moved and self.get_y() > self.t_margin + 1:
                self.add_page()
            self.heading(heading, room=None, space=6 * PT)
            self.set_font("serif", size=BODY_PT)
            rest, kept = laid[:-2], laid[-2:]
            self.write_lines(rest, line)
            if self.get_y() + len(kept) * line + signed > self.h - self.b_margin:
                self.add_page()
            self.write_lines(kept, line)
            self.ln(4)
            self.form(signatures, SIGNATURE_WIDTHS, {0, 2, 4}, min_height=SIGNATURE_ROW_MM)
            return moved

        def contents_line(self, text: str, number: str) -> None:
            """One line of a contents: the entry (cut short to one line), a dotted leader, the page number."""
            self.set_font("serif", size=CONTENTS_PT)
            shown = fit_text(text, self.width_of(), TEXT_W - CONTENTS_NUMBER_MM)
            width, number_width = self.get_string_width(shown), self.get_string_width(number)
            self.set_x(self.l_margin)
            self.cell(width, CONTENTS_LINE_MM, shown, new_x="RIGHT", new_y="TOP")
            room = TEXT_W - width - number_width - 2  # the leader, a millimetre clear of each side
            if number and room > 3:
                self.set_font("serif", size=10)
                self.set_x(self.l_margin + width + 1)
                self.cell(room, CONTENTS_LINE_MM, "." * int(room / max(self.get_string_width("."), 0.1)),
                          align="R", new_x="RIGHT", new_y="TOP")
                self.set_font("serif", size=CONTENTS_PT)
            self.set_x(self.l_margin + TEXT_W - CONTENTS_NUMBER_MM)
            self.cell(CONTENTS_NUMBER_MM, CONTENTS_LINE_MM, number, align="R", new_x="LMARGIN", new_y="NEXT")

    return OfficialPdf


def pdf_document(title: str, fallbacks: bool = True):
    """A new PDF in the official layout with the serif (body, titles) and sans (headings) CJK fonts embedded;
    FontUnavailable (a clear error page, a log line) when they cannot be loaded. `fallbacks` False: without the
    system's full fonts for rare characters (a second or so to load), when the pages are only counted."""
    serif, sans = font_paths()
    pdf = _pdf_class()(format="A4", unit="mm")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    try:
        pdf.add_font("serif", "", serif, collection_font_number=_face_number(serif))
        pdf.add_font("sans", "", sans, collection_font_number=_face_number(sans))
        loaded = []
        for n, path in enumerate(p for p in SYSTEM_FALLBACKS if fallbacks and os.path.exists(p)
                                 and p not in (serif, sans)):
            pdf.add_font(f"fallback{n}", "", path, collection_font_number=_face_number(path))
            loaded.append(f"fallback{n}")
        if loaded:
            pdf.set_fallback_fonts(loaded)
    except Exception as err:  # a missing or unreadable font file: said in words, logged for the operator
        log.error("PDF font cannot be loaded (%s, %s): %s", serif, sans, err)
        raise FontUnavailable() from None
    pdf.set_title(clean(title))
    pdf.set_creator("开放式组织生活基地预约系统")
    return pdf


def pdf_bytes(pdf) -> bytes:
    return bytes(pdf.output())
