"""The district administrator's work: organisations, branches (with bulk import), bases, the lecturer pool."""
import csv
import io
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from booking import audit
from booking.textutil import CONTROL_MESSAGE, has_control_chars
from booking.errors import NotFound, ValidationFailed
from models import BASE_TYPES, LECTURER_CATEGORIES, SECTORS, Base, Branch, Lecturer, LecturerTopic, Organization, User, db

SECTOR_BY_LABEL = {label: code for code, label in SECTORS.items()}


def get(model, obj_id: int, what: str):
    """A row of `model` by id, or NotFound naming it in Chinese."""
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise NotFound(f"{what}不存在。")
    return obj


def save_organization(actor: User, org: Organization | None, *, name: str, sector: str) -> Organization:
    """Create or rename an organisation."""
    name = (name or "").strip()
    fields = {}
    if not name:
        fields["name"] = "请填写党组织名称。"
    elif has_control_chars(name):
        fields["name"] = "名称" + CONTROL_MESSAGE
    elif db.session.scalar(select(Organization.id).where(Organization.name == name,
                                                         Organization.id != (org.id if org else -1))):
        fields["name"] = "已有同名党组织。"
    if sector not in SECTORS:
        fields["sector"] = "请选择所属领域。"
    if fields:
        raise ValidationFailed(fields)
    if org is None:
        org = Organization()
        db.session.add(org)
    org.name, org.sector = name, sector
    db.session.flush()
    audit.record(actor, "organization_saved", "organization", org.id, name)
    db.session.commit()
    return org


def save_branch(actor: User, branch: Branch | None, *, organization_id: int, name: str,
                contact_name: str | None = None, contact_phone: str | None = None, active: bool = True) -> Branch:
    """Create or change a branch."""
    name = (name or "").strip()
    fields = {}
    org = db.session.get(Organization, organization_id) if organization_id else None
    if org is None:
        fields["organization_id"] = "请选择党组织。"
    if not name:
        fields["name"] = "请填写支部名称。"
    elif has_control_chars(name):
        fields["name"] = "名称" + CONTROL_MESSAGE
    elif org and db.session.scalar(select(Branch.id).where(
            Branch.organization_id == org.id, Branch.name == name, Branch.id != (branch.id if branch else -1))):
        fields["name"] = "该党组织下已有同名支部。"
    if fields:
        raise ValidationFailed(fields)
    if branch is None:
        branch = Branch()
        db.session.add(branch)
    branch.organization_id, branch.name = org.id, name
    branch.contact_name, branch.contact_phone = contact_name or None, contact_phone or None
    branch.active = active
    db.session.flush()
    audit.record(actor, "branch_saved", "branch", branch.id, f"{org.name} / {name}")
    db.session.commit()
    return branch


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0
    organizations_created: int = 0
    errors: list[str] = field(default_factory=list)


IMPORT_COLUMNS = ("党组织", "所属领域", "支部名称", "联系人", "联系电话")


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


def _rows_from_file(filename: str, data: bytes) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX, bounded in size and rows before and while parsing."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed({"file": f"文件不能超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB。"})
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith(".csv"):
        return _csv_rows(data)
    raise ValidationFailed({"file": "请上传 .csv 或 .xlsx 文件。"})


def import_branches(actor: User, filename: str, data: bytes) -> ImportResult:
    """Import branches from CSV or XLSX (columns 党组织, 所属领域, 支部名称, 联系人, 联系电话).

    All rows are checked first; with any error nothing is imported. Branches that already exist are
    skipped, so the same file can be imported twice. Missing organisations are created.
    """
    rows = [r for r in _rows_from_file(filename, data) if any(c for c in r)]
    if not rows:
        raise ValidationFailed({"file": "文件是空的。"})
    header = rows[0]
    index = {}
    for col in IMPORT_COLUMNS:
        if col in header:
            index[col] = header.index(col)
    missing = [c for c in IMPORT_COLUMNS[:3] if c not in index]
    if missing:
        raise ValidationFailed({"file": f"缺少列：{'、'.join(missing)}。第一行应为列名：{'，'.join(IMPORT_COLUMNS)}。"})
    result = ImportResult()
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    existing = set(db.session.execute(select(Organization.name, Branch.name).join(Branch.organization)).all())
    planned = []
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda col: row[index[col]].strip() if col in index and index[col] < len(row) else ""  # noqa: E731
        org_name, sector_text, branch_name = cell("党组织"), cell("所属领域"), cell("支部名称")
        if not org_name or not branch_name:
            result.errors.append(f"第 {number} 行：党组织和支部名称不能为空。")
            continue
        if len(org_name) > 120 or len(branch_name) > 120:
            result.errors.append(f"第 {number} 行：名称过长（最多 120 字）。")
            continue
        if any(has_control_chars(c) for c in row) or any(len(c) > MAX_CELL for c in row):
            result.errors.append(f"第 {number} 行：含有换行、制表符等控制字符或过长的内容。")
            continue
        sector = SECTOR_BY_LABEL.get(sector_text, sector_text if sector_text in SECTORS else None)
        if org_name not in orgs and sector is None:
            result.errors.append(f"第 {number} 行：所属领域“{sector_text}”无效，应为{'、'.join(SECTORS.values())}之一。")
            continue
        planned.append((org_name, sector, branch_name, cell("联系人")[:60], cell("联系电话")[:30]))
    if result.errors:
        return result
    for org_name, sector, branch_name, contact, phone in planned:
        if (org_name, branch_name) in existing:
            result.skipped += 1
            continue
        org = orgs.get(org_name)
        if org is None:
            org = Organization(name=org_name, sector=sector)
            db.session.add(org)
            orgs[org_name] = org
            result.organizations_created += 1
        db.session.add(Branch(organization=org, name=branch_name, contact_name=contact or None,
                              contact_phone=phone or None))
        existing.add((org_name, branch_name))
        result.created += 1
    audit.record(actor, "branches_imported", "branch", None,
                 f"{filename}: 新增 {result.created}，跳过 {result.skipped}，新党组织 {result.organizations_created}")
    db.session.commit()
    return result


def create_base(actor: User, *, name: str, type: str, address: str = "", description: str = "") -> Base:
    """Open a new base with the default booking rules; its managers then fill in the rest."""
    name = (name or "").strip()
    fields = {}
    if not name:
        fields["name"] = "请填写基地名称。"
    elif has_control_chars(name):
        fields["name"] = "名称" + CONTROL_MESSAGE
    elif db.session.scalar(select(Base.id).where(Base.name == name)):
        fields["name"] = "已有同名基地。"
    if type not in BASE_TYPES:
        fields["type"] = "请选择基地类型。"
    if fields:
        raise ValidationFailed(fields)
    base = Base(name=name, type=type, address=address.strip(), description=description.strip())
    db.session.add(base)
    db.session.flush()
    audit.record(actor, "base_created", "base", base.id, name)
    db.session.commit()
    return base


def set_base_active(actor: User, base: Base, active: bool) -> None:
    """Take a base off the catalogue (or back on); its bookings and history stay."""
    base.active = active
    audit.record(actor, "base_activated" if active else "base_deactivated", "base", base.id, base.name)
    db.session.commit()


def save_lecturer(actor: User, lecturer: Lecturer | None, *, name: str, category: str, topics: list[str],
                  bio: str = "", phone: str | None = None, active: bool = True,
                  monthly_limit: int | None = None) -> Lecturer:
    """Create or change a lecturer's profile."""
    name = (name or "").strip()
    fields = {}
    if not name:
        fields["name"] = "请填写讲师姓名。"
    elif has_control_chars(name):
        fields["name"] = "名称" + CONTROL_MESSAGE
    if category not in LECTURER_CATEGORIES:
        fields["category"] = "请选择讲师类别。"
    topics = sorted({t.strip()[:40] for t in topics if t and t.strip()})
    if not topics:
        fields["topics"] = "请至少填写一个授课主题。"
    if monthly_limit is not None and monthly_limit < 1:
        fields["monthly_limit"] = "每月上限至少为 1，不限请留空。"
    if fields:
        raise ValidationFailed(fields)
    if lecturer is None:
        lecturer = Lecturer(calendar_token=secrets.token_urlsafe(24))
        db.session.add(lecturer)
    lecturer.name, lecturer.category, lecturer.bio = name, category, (bio or "").strip()
    lecturer.phone, lecturer.active, lecturer.monthly_limit = phone or None, active, monthly_limit
    current = {t.topic: t for t in lecturer.topic_rows}
    lecturer.topic_rows = [current.get(t) or LecturerTopic(topic=t) for t in topics]
    db.session.flush()
    audit.record(actor, "lecturer_saved", "lecturer", lecturer.id, name)
    db.session.commit()
    return lecturer
