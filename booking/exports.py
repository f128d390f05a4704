"""Downloads of tables for reports: CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX (openpyxl)."""
import csv
import io

from urllib.parse import quote

from flask import Response

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell beginning with one of these is read by spreadsheet programs as a formula (=HYPERLINK(...) and the like).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """Text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _csv_cell(value):
    # The usual defence (OWASP): a leading apostrophe makes the program show the text as it is.
    return "'" + value if is_formula_like(value) else value


def csv_bytes(header: list, body: list[list]) -> bytes:
    """A CSV file with a header row; text that looks like a formula is written so that it stays text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_csv_cell(v) for v in header])
    writer.writerows([_csv_cell(v) for v in row] for row in body)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, sheet: str, header: list, body: list[list]) -> bytes:
    """A workbook: a title line, bold headers, the rows, the last row (the total) in bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in body:
        ws.append(row)
    for row in ws.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"  # openpyxl stores text beginning with '=' as a formula otherwise
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 28
    for col in "BCD":
        ws.column_dimensions[col].width = 16
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
