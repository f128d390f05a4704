"""Reading an uploaded table (CSV in UTF-8 or GBK, or XLSX), bounded before and while it is parsed: the branch and
member imports share it."""
import csv
import io

from booking.errors import ValidationFailed

# Bounds checked before a file is parsed, so no upload can keep a worker busy (a district has hundreds of
# branches, not hundreds of thousands).
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_UNPACKED = 20 * 1024 * 1024  # an XLSX is a zip: what its parts unpack to
MAX_IMPORT_ROWS = 5000
MAX_CELL = 1000


def _too_many_rows() -> ValidationFailed:
    return ValidationFailed({"file": f"文件最多 {MAX_IMPORT_ROWS} 行，请分批导入。"})


def _xlsx_rows(data: bytes) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ValidationFailed({"file": "无法读取该 Excel 文件，请确认是 .xlsx 格式。"}) from None
    if unpacked > MAX_IMPORT_UNPACKED:
        raise ValidationFailed({"file": "Excel 文件内容过大，请只保留要导入的支部，或分批导入。"})
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = []
        for row in wb.worksheets[0].iter_rows(values_only=True):
            if len(rows) > MAX_IMPORT_ROWS:
                raise _too_many_rows()
            rows.append(["" if c is None else str(c).strip() for c in row[:20]])
        return rows
    except ValidationFailed:
        raise
    except Exception:
        raise ValidationFailed({"file": "无法读取该 Excel 文件，请确认是 .xlsx 格式。"}) from None


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed({"file": "无法识别文件编码，请另存为 UTF-8 的 CSV。"})
    if "\x00" in text:
        raise ValidationFailed({"file": "文件中有空字符（NUL），不是有效的 CSV 文本文件。"})
    rows = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if len(rows) > MAX_IMPORT_ROWS:
                raise _too_many_rows()
            rows.append([c.strip() for c in row[:20]])
    except csv.Error:
        raise ValidationFailed({"file": f"第 {reader.line_num} 行无法读取（格式错误或单元格过长）。"}) from None
    return rows


def rows_from_file(filename: str, data: bytes) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX, bounded in size and rows before and while parsing."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed({"file": f"文件不能超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB。"})
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith(".csv"):
        return _csv_rows(data)
    raise ValidationFailed({"file": "请上传 .csv 或 .xlsx 文件。"})
