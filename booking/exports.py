"""Downloads of tables for reports: CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX (openpyxl)."""
import csv
import io

from flask import Response

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(header: list, body: list[list]) -> bytes:
    """A CSV file with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
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
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}.{fmt}"})
