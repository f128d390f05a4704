"""Downloads of tables for reports: CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX (openpyxl)."""
import csv
import io

from urllib.parse import quote

from flask import Response

from booking.textutil import printable

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell beginning with one of these is read by spreadsheet programs as a formula (=HYPERLINK(...) and the like).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """Text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _csv_cell(value):
    # The usual defence (OWASP): a leading apostrophe makes the program show the text as it is. Invisible
    # characters stored before they were refused are dropped, as in every document.
    value = printable(value) if isinstance(value, str) else value
    return "'" + value if is_formula_like(value) else value


def csv_bytes(header: list, body: list[list]) -> bytes:
    """A CSV file with a header row; text that looks like a formula is written so that it stays text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_csv_cell(v) for v in header])
    writer.writerows([_csv_cell(v) for v in row] for row in body)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _text_width(value) -> int:
    """How wide a cell's text is in Excel's character units: a Chinese character counts two."""
    text = "" if value is None else str(value)
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


# Printing: the table's text at 10.5 pt (五号), never shrunk below it. A4 is 210 x 297 mm; a column of width w
# (Excel's character units) takes 7w + 5 pixels at 96 to the inch.
CELL_PT, TITLE_PT = 10.5, 14
MARGIN_IN = 0.4


def _column_mm(width: float) -> float:
    return (width * 7 + 5) * 25.4 / 96


def _printable_mm(landscape: bool) -> float:
    return (297 if landscape else 210) - 2 * MARGIN_IN * 25.4


def _lines(value, width: float) -> int:
    """How many lines a cell's text wraps to in a column of `width` at 10.5 pt (14 pixels a Chinese character, 8 a
    Latin one, never split), less the cell's own padding."""
    room, count = width * 7 + 5 - 6, 0
    for part in str("" if value is None else value).split("\n"):
        lines, used = 1, 0
        for c in part:
            w = 14 if ord(c) > 0x2E80 else 8
            if used + w > room and used:
                lines, used = lines + 1, 0
            used += w
        count += lines
    return count


def xlsx_bytes(title: str, sheet: str, header: list, body: list[list], period: str = "", *, total: bool = False,
               widths: list[float] | None = None) -> bytes:
    """A workbook that prints as filed: the title (and period) across the first rows, a bold header frozen and
    repeated on every printed page, every cell bordered and its text wrapped at 10.5 pt, columns as wide as their
    Chinese text (or `widths`), A4 (landscape when wide) fitted to the page width. `total`: the last row is a total,
    in bold (no other row is)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    # Characters stored before they were refused (openpyxl and Excel refuse what XML forbids) go, in every cell.
    title, period, header = printable(title), printable(period), [printable(str(v)) for v in header]
    wb = Workbook()
    # Column widths are counted in the default font's digits: Arial's (10 pt, 7 pixels a digit) is the same in
    # Excel, WPS and LibreOffice (Liberation Sans), where Calibri is replaced by wider fonts and the print shrunk.
    from openpyxl.utils.indexed_list import IndexedList
    wb._fonts = IndexedList([Font(name="Arial", size=10, family=2)])
    wb._named_styles["Normal"].font = wb._fonts[0]
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(name="Arial", bold=True, size=TITLE_PT)
    first = 2
    if period:
        ws.append([period])
        ws["A2"].alignment = Alignment(wrap_text=True, vertical="center")
        first = 3
    ws.append(header)
    for row in body:
        ws.append([printable(v) if isinstance(v, str) else v for v in row])
    for row in ws.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"  # openpyxl stores text beginning with '=' as a formula otherwise
    if widths is None:
        widths = [min(max(max([_text_width(name)] + [_text_width(r[n]) for r in body if n < len(r)]) + 2, 8), 40)
                  for n, name in enumerate(header)]
    landscape = sum(_column_mm(w) for w in widths) > _printable_mm(False)
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    last = ws.max_row
    for r, row in enumerate(ws.iter_rows(min_row=first, max_row=last, max_col=len(header)), start=first):
        for cell, width in zip(row, widths):
            cell.border = border
            cell.font = Font(name="Arial", size=CELL_PT, bold=r == first or (total and r == last and last > first))
            number = isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
            cell.alignment = Alignment(wrap_text=True, vertical="center",
                                       horizontal="center" if r == first or number else None)
            if r == first:
                cell.fill = PatternFill("solid", fgColor="EBEBEB")
        lines = max(_lines(cell.value, width) for cell, width in zip(row, widths))
        if lines > 1:  # as tall as its wrapped text (not every program grows a row by itself)
            ws.row_dimensions[r].height = lines * 14 + 6
    # The title (and period) across the table, centred.
    if len(header) > 1:
        for r in range(1, first):
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
            ws.cell(row=r, column=1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.row_dimensions[1].height = 24
        if period:
            ws.row_dimensions[2].height = _lines(period, sum(widths)) * 14 + 4
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    ws.print_title_rows = f"{first}:{first}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    # Fitted to the width (no column cut off on another sheet of paper); columns chosen to fit, so the text is
    # printed at its size.
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.8  # LibreOffice clips the footer's page number in less
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(fmt: str, filename: str, title: str, sheet: str, header: list, body: list[list],
             total: bool = False) -> Response:
    """The table as an attachment in the chosen format ('csv' or 'xlsx'); `total`: its last row is a total."""
    if fmt == "csv":
        data, mimetype = csv_bytes(header, body), "text/csv; charset=utf-8"
    else:
        data, mimetype = xlsx_bytes(title, sheet, header, body, total=total), XLSX_MIME
    return attachment(data, mimetype, f"{filename}.{fmt}")


def attachment(data: bytes, mimetype: str, filename: str) -> Response:
    """A file to download under its Chinese name (RFC 6266's filename*, with a plain ASCII fallback for old
    clients)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"})
