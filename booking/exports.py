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


def xlsx_bytes(title: str, sheet: str, header: list, body: list[list], period: str = "") -> bytes:
    """A workbook that prints as filed: the title (and period) in the first rows, bold frozen headers repeated on
    every printed page, the last row (the total) in bold, columns as wide as their Chinese text, A4 fitted to the
    page width (landscape when wide)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    # Characters stored before they were refused (openpyxl and Excel refuse what XML forbids) go, in every cell.
    title, period, header = printable(title), printable(period), [printable(str(v)) for v in header]
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    first = 2
    if period:
        ws.append([period])
        first = 3
    ws.append(header)
    for cell in ws[first]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in body:
        ws.append([printable(v) if isinstance(v, str) else v for v in row])
    for row in ws.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"  # openpyxl stores text beginning with '=' as a formula otherwise
    if body:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    total = 0
    for n, name in enumerate(header, start=1):
        widest = max([_text_width(name)] + [_text_width(r[n - 1]) for r in body if n - 1 < len(r)])
        width = min(max(widest + 2, 8), 50)
        total += width
        ws.column_dimensions[get_column_letter(n)].width = width
        for row in ws.iter_rows(min_row=first + 1, min_col=n, max_col=n):
            for cell in row:
                if width == 50:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    ws.print_title_rows = f"{first}:{first}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if total > 95 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(fmt: str, filename: str, title: str, sheet: str, header: list, body: list[list]) -> Response:
    """The table as an attachment in the chosen format ('csv' or 'xlsx')."""
    if fmt == "csv":
        data, mimetype = csv_bytes(header, body), "text/csv; charset=utf-8"
    else:
        data, mimetype = xlsx_bytes(title, sheet, header, body), XLSX_MIME
    return attachment(data, mimetype, f"{filename}.{fmt}")


def attachment(data: bytes, mimetype: str, filename: str) -> Response:
    """A file to download under its Chinese name (RFC 6266's filename*, with a plain ASCII fallback for old
    clients)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"})
