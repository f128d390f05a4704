"""The one style of every Word and PDF file the system writes (record, ledger, district summary): the layout of Party
and government documents after GB/T 9704-2012, so a branch files them as they are.

A4 portrait; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; a centred title in 小标宋 22 pt, body in 仿宋
16 pt with a two-character first-line indent, headings in 黑体 (first level) and 楷体 (second); page numbers at the
foot as "— 1 —". Word files name the East-Asian fonts a Windows PC has (仿宋, 黑体, 楷体, 宋体 for the title when
方正小标宋 is missing); PDFs embed the fonts that travel with the app (booking/fonts, Noto Serif and Sans SC,
OFL), so they look the same everywhere. Every text goes through `textutil.printable` first: control characters
stored before they were refused never break a document.
"""
from __future__ import annotations

import functools
import io
import logging
import os

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
# Word: the East-Asian font of each part, as Windows names them.
TITLE_FONT, BODY_FONT, HEADING_FONTS, TABLE_FONT = "方正小标宋简体", "仿宋", ("黑体", "楷体"), "仿宋"
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


def _style(doc, name: str, font: str, size: int, *, bold=False, center=False, indent=False, keep=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor
    style = doc.styles[name]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.name = LATIN_FONT
    _east_asian(style, font)
    fmt = style.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Pt(size * 2) if indent else Pt(0)
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = Pt(28 if size >= BODY_PT else size * 1.5)
    fmt.keep_with_next = keep
    # Word's template underlines its Title with a blue rule: official documents have none.
    from docx.oxml.ns import qn
    ppr = style.element.find(qn("w:pPr"))
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)
    return style


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE, TOC) in a paragraph, with a placeholder Word replaces when it updates fields."""
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
            run.text = "1" if code == "PAGE" else "（目录在 Word 中打开时生成）"


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
    _style(doc, "Normal", BODY_FONT, BODY_PT, indent=True)
    _style(doc, "Title", TITLE_FONT, TITLE_PT, center=True, keep=True)
    _style(doc, "Heading 1", HEADING_FONTS[0], BODY_PT, keep=True)
    _style(doc, "Heading 2", HEADING_FONTS[1], BODY_PT, keep=True)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].paragraph_format.space_after = Pt(8 if name == "Title" else 0)
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


def docx_title(doc, text: str):
    paragraph = doc.add_paragraph(clean(text), style="Title")
    return paragraph


def docx_heading(doc, text: str, level: int = 1):
    """黑体 for the first level (一、), 楷体 for the second ((一))."""
    return doc.add_paragraph(clean(text), style="Heading 1" if level == 1 else "Heading 2")


def docx_paragraph(doc, text: str, indent: bool = True, center: bool = False, right: bool = False,
                   size: int | None = None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    paragraph = doc.add_paragraph(clean(text))
    if size:
        for run in paragraph.runs:
            run.font.size = Pt(size)
    if not indent or center or right:
        paragraph.paragraph_format.first_line_indent = Pt(0)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def docx_table(doc, rows: list[list], widths_mm: list[float], header: bool = False, size: int = TABLE_PT):
    """A bordered table in 仿宋 at `size` pt; the first row bold (and repeated on every page) when `header`."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt
    table = doc.add_table(rows=0, cols=len(widths_mm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for r, values in enumerate(rows):
        row = table.add_row()
        if r == 0:  # the grid's widths too: LibreOffice and WPS lay the table out from them
            for column, width in zip(table.columns, widths_mm):
                column.width = Mm(width)
        if header and r == 0:
            props = row._tr.get_or_add_trPr()
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            props.append(repeat)
        for cell, value, width in zip(row.cells, values, widths_mm):
            cell.width = Mm(width)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.first_line_indent = Pt(0)
            paragraph.paragraph_format.line_spacing = Pt(size * 1.5)
            run = paragraph.add_run(clean(value))
            run.font.size = Pt(size)
            run.bold = header and r == 0
            _east_asian(run, TABLE_FONT)
    return table


def signature_lines(recorder: str) -> list[str]:
    """The lines a record is signed on: who wrote it (named), who checked it, each signing with a date."""
    return [f"记录人：{recorder}", "签　字：____________　日期：____年__月__日",
            "审核人：____________　日期：____年__月__日"]


def docx_signatures(doc, recorder: str) -> None:
    docx_paragraph(doc, "", indent=False)
    for n, line in enumerate(signature_lines(recorder)):
        paragraph = docx_paragraph(doc, line, indent=False)
        paragraph.paragraph_format.keep_with_next = n < 2


def docx_page_break(doc) -> None:
    doc.add_page_break()


def docx_contents(doc) -> None:
    """A table of contents (a TOC field over the headings; Word fills it in on opening, asked to update fields)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    paragraph = doc.add_paragraph()
    _field(paragraph, 'TOC \\o "1-1" \\h \\z \\u')
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


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

    class OfficialPdf(FPDF):
        """A4 in the official layout, "— n —" at the foot of every page but the cover."""

        numbered_from = 1

        def footer(self):
            if self.page_no() < self.numbered_from:
                return
            self.set_y(-(BOTTOM - 10))
            self.set_font("serif", size=FOOTER_PT)
            self.cell(0, 8, page_number_text(self.page_no() - self.numbered_from + 1), align="C")

        def title_text(self, text: str) -> None:
            self.set_font("serif", size=TITLE_PT)
            self.multi_cell(TEXT_W, 12, clean(text), align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def heading(self, text: str, level: int = 1, room: float = 20) -> None:
            """A heading kept with what follows: a new page when less than `room` mm is left under it."""
            if self.get_y() + 10 + room > self.h - self.b_margin:
                self.add_page()
            self.set_font("sans" if level == 1 else "serif", size=BODY_PT)
            self.multi_cell(TEXT_W, 10, clean(text), wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")

        def paragraph(self, text: str, indent: bool = True, size: int = BODY_PT, align: str = "J") -> None:
            self.set_font("serif", size=size)
            line = size * 0.3528 * 1.6  # pt to mm, with the leading of print
            for part in (clean(text).splitlines() or [""]):
                self.multi_cell(TEXT_W, line, ("\u3000\u3000" if indent else "") + part, align=align,
                                wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")

        def grid(self, rows: list[list], widths: list[float], header: bool = False, size: int = TABLE_PT) -> None:
            """A bordered table; with `header`, its first row repeated on each page it runs onto."""
            from fpdf.fonts import FontFace
            self.set_font("serif", size=size)
            with self.table(col_widths=widths, width=sum(widths), line_height=size * 0.3528 * 1.5,
                            text_align="LEFT", first_row_as_headings=header, repeat_headings=1 if header else 0,
                            headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
                            wrapmode="CHAR") as table:
                for values in rows:
                    row = table.row()
                    for value in values:
                        row.cell(clean(value))

        def signatures(self, recorder: str) -> None:
            """The signing lines, kept together on one page."""
            if self.get_y() + 45 > self.h - self.b_margin:
                self.add_page()
            self.ln(6)
            for line in signature_lines(recorder):
                self.paragraph(line, indent=False)
                self.ln(2)

    return OfficialPdf


def pdf_document(title: str):
    """A new PDF in the official layout with the serif (body, titles) and sans (headings) CJK fonts embedded;
    FontUnavailable (a clear error page, a log line) when they cannot be loaded."""
    serif, sans = font_paths()
    pdf = _pdf_class()(format="A4", unit="mm")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    try:
        pdf.add_font("serif", "", serif, collection_font_number=_face_number(serif))
        pdf.add_font("sans", "", sans, collection_font_number=_face_number(sans))
        fallbacks = []
        for n, path in enumerate(p for p in SYSTEM_FALLBACKS if os.path.exists(p) and p not in (serif, sans)):
            pdf.add_font(f"fallback{n}", "", path, collection_font_number=_face_number(path))
            fallbacks.append(f"fallback{n}")
        if fallbacks:
            pdf.set_fallback_fonts(fallbacks)
    except Exception as err:  # a missing or unreadable font file: said in words, logged for the operator
        log.error("PDF font cannot be loaded (%s, %s): %s", serif, sans, err)
        raise FontUnavailable() from None
    pdf.set_title(clean(title))
    pdf.set_creator("开放式组织生活基地预约系统")
    return pdf


def pdf_bytes(pdf) -> bytes:
    return bytes(pdf.output())
