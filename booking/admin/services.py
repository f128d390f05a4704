"""The district administrator's work: organisations, branches (with bulk import), bases, the lecturer pool."""
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from typing import NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from booking import audit, clock, links
from booking.documents import exports
from booking.documents.imports import MAX_CELL, rows_from_file
from booking.catalog import holidays
from booking.catalog.services import escape_like
from booking.notify import services as notify
from booking.reports import services as reports
from booking.textutil import CONTACT_PHONE_RE, CONTROL_MESSAGE, has_control_chars
from booking.errors import Gone, NotFound, ValidationFailed
from models import (BASE_TYPES, LECTURER_CATEGORIES, SECTORS, AuditEntry, Base, Branch, CredentialSheet, Lecturer,
                    LecturerTopic, Organization, User, db)
from booking.auth.services import USERNAME_RE

SECTOR_BY_LABEL = {label: code for code, label in SECTORS.items()}


def get(model, obj_id: int, what: str):
    """A row of `model` by id, or NotFound naming it in Chinese."""
    obj = db.session.get(model, obj_id)
    if obj is None:
        raise NotFound(f"{what}不存在。")
    return obj


def _like(q: str) -> str:
    return f"%{escape_like(q)}%"


@dataclass
class Overview:
    """What the administrator's landing page shows."""
    counts: dict[str, int]
    recent: list[AuditEntry]
    watch: reports.Watch
    undelivered: int  # emails that failed again and again
    stale_days: int = reports.STALE_PENDING_DAYS


def overview(actor: User) -> Overview:
    """The landing page: how many of each thing there are, the latest changes, the watch list, the stuck mail."""
    counts = {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in (
        ("users", User), ("bases", Base), ("organizations", Organization), ("branches", Branch),
        ("lecturers", Lecturer))}
    recent = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return Overview(counts=counts, recent=recent, watch=reports.watch(actor), undelivered=notify.undelivered_count())


def users_query(q: str = "", role: str | None = None):
    """Accounts whose username or name contains `q`, of one role or all, oldest first."""
    stmt = select(User).order_by(User.id)
    if q:
        stmt = stmt.where(or_(User.username.like(_like(q), escape="\\"), User.display_name.like(_like(q), escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


class AccountChoices(NamedTuple):
    """What an account's form offers: active branches, bases, and lecturer profiles no account holds yet."""
    branches: list[tuple[int, str]]
    bases: list[tuple[int, str]]
    free_lecturers: list[tuple[int, str]]


def account_choices() -> AccountChoices:
    """The choices of the account forms (branch, bases, lecturer profile)."""
    rows = db.session.execute(select(Branch.id, Organization.name, Branch.name).join(Branch.organization)
                              .where(Branch.active.is_(True)).order_by(Organization.name, Branch.name)).all()
    bases = [(b.id, b.name) for b in db.session.scalars(select(Base).order_by(Base.id))]
    free = db.session.scalars(select(Lecturer).where(~Lecturer.user.has()).order_by(Lecturer.name)).all()
    return AccountChoices(branches=[(0, "—")] + [(i, f"{o} · {b}") for i, o, b in rows], bases=bases,
                          free_lecturers=[(lec.id, lec.name) for lec in free])


def organizations_query(q: str = ""):
    """Organisations with their branches, those whose name or a branch's name contains `q`."""
    stmt = select(Organization).options(selectinload(Organization.branches)).order_by(Organization.id)
    if q:
        stmt = stmt.where(or_(Organization.name.like(_like(q), escape="\\"),
                              Organization.branches.any(Branch.name.like(_like(q), escape="\\"))))
    return stmt


def branch_secretaries(organizations) -> dict[int, list[str]]:
    """The names of each branch's active secretaries, for the organisations shown (branch id → names)."""
    branch_ids = [b.id for o in organizations for b in o.branches]
    secretaries: dict[int, list[str]] = {}
    for branch_id, name in db.session.execute(select(User.branch_id, User.display_name).where(
            User.branch_id.in_(branch_ids), User.role == "secretary", User.active.is_(True)).order_by(User.id)):
        secretaries.setdefault(branch_id, []).append(name)
    return secretaries


def organization_choices() -> list[tuple[int, str]]:
    """Every organisation by name, for a branch's form."""
    return [(o.id, o.name) for o in db.session.scalars(select(Organization).order_by(Organization.name))]


def all_bases() -> list[Base]:
    """Every base, those off the catalogue too, with their managers."""
    return db.session.scalars(select(Base).options(selectinload(Base.managers)).order_by(Base.id)).all()


def lecturers_query(q: str = ""):
    """The whole lecturer pool (inactive too), by name or an exact topic."""
    stmt = select(Lecturer).options(selectinload(Lecturer.topic_rows), selectinload(Lecturer.user)).order_by(Lecturer.id)
    if q:
        stmt = stmt.where(or_(Lecturer.name.like(_like(q), escape="\\"), Lecturer.topic_rows.any(topic=q)))
    return stmt


def audit_query(*, action: str = "", target: str = "", q: str = "", who: str = "", start=None, end=None):
    """The audit trail, newest first, narrowed by kind of change, what it concerned, words in it, who made it
    (name or username) and local dates (both ends included)."""
    stmt = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if target:
        stmt = stmt.where(AuditEntry.target_type == target)
    if q:
        stmt = stmt.where(AuditEntry.detail.like(_like(q), escape="\\"))
    if who:
        stmt = stmt.where(AuditEntry.actor.has(or_(User.display_name.like(_like(who), escape="\\"),
                                                   User.username.like(_like(who), escape="\\"))))
    if start:
        stmt = stmt.where(AuditEntry.at >= clock.day_bounds(start)[0])
    if end:
        stmt = stmt.where(AuditEntry.at < clock.day_bounds(end)[1])
    return stmt


class HolidayYear(NamedTuple):
    """A year of the holiday calendar: its days, and whether the year's announcement has been entered."""
    items: list
    known: bool


def holiday_year(year: int) -> HolidayYear:
    """The calendar page's year."""
    return HolidayYear(items=holidays.year_of(year), known=holidays.is_known(year))


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
    accounts_created: int = 0
    accounts_skipped: int = 0
    sheet_id: int | None = None  # the one-time passwords to download, when accounts were made
    errors: list[str] = field(default_factory=list)


IMPORT_COLUMNS = ("党组织", "所属领域", "支部名称", "联系人", "联系电话", "书记姓名", "书记用户名", "书记手机号")
# The template's sample row: the demo's own organisation and branch, so importing the template as it is
# creates nothing twice.
IMPORT_SAMPLE = ["区直机关工委", "机关", "区财政局第一党支部", "王芳", "13800000000", "王芳", "secretary", "13800000000"]


def import_branches(actor: User, filename: str, data: bytes) -> ImportResult:
    """Import branches from CSV or XLSX (columns IMPORT_COLUMNS; the secretary's three are optional).

    All rows are checked first; with any error nothing is imported. Branches that already exist are
    skipped, so the same file can be imported twice. Missing organisations are created. A row that names a
    secretary (name and username) also creates the secretary's account with a one-time password, which must be
    changed at first login; the passwords wait in a sheet the administrator downloads once.
    """

    rows = [r for r in rows_from_file(filename, data) if any(c for c in r)]
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
    existing = {(o, b): i for i, o, b in db.session.execute(
        select(Branch.id, Organization.name, Branch.name).join(Branch.organization))}
    accounts = {u.username: u for u in db.session.scalars(select(User))}
    planned, usernames = [], {}
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda col: row[index[col]].strip() if col in index and index[col] < len(row) else ""  # noqa: E731
        org_name, sector_text, branch_name = cell("党组织"), cell("所属领域"), cell("支部名称")
        contact, contact_phone = cell("联系人"), cell("联系电话")
        problems = []  # every problem of the row, said at once
        if not org_name or not branch_name:
            problems.append("党组织和支部名称不能为空")
        if len(org_name) > 120 or len(branch_name) > 120:
            problems.append("名称过长（最多 120 字）")
        if any(has_control_chars(c) for c in row) or any(len(c) > MAX_CELL for c in row):
            problems.append("含有换行、制表符等控制字符或过长的内容")
        sector = SECTOR_BY_LABEL.get(sector_text, sector_text if sector_text in SECTORS else None)
        if org_name and org_name not in orgs and sector is None:
            problems.append(f"所属领域“{sector_text}”无效，应为{'、'.join(SECTORS.values())}之一")
        if contact_phone and not contact:
            problems.append("填写了联系电话，请同时填写联系人")
        if contact and not contact_phone:
            problems.append("填写了联系人，请同时填写联系电话")
        if len(contact) > 60:
            problems.append("联系人最多 60 字")
        if contact_phone and not CONTACT_PHONE_RE.match(contact_phone):
            problems.append(f"联系电话“{contact_phone[:30]}”不是有效的手机号或座机号（如 13800000000 或 021-55550101）")
        secretary = None
        name, username, phone = cell("书记姓名")[:60], cell("书记用户名"), cell("书记手机号")[:30]
        if name or username or phone:
            if not name or not username:
                problems.append("创建书记账号需同时填写书记姓名和书记用户名")
            elif not USERNAME_RE.match(username):
                problems.append(f"书记用户名“{username[:64]}”无效，应为 3–64 位字母、数字、下划线、点或短横线")
            elif username in usernames:
                problems.append(f"书记用户名“{username}”与第 {usernames[username]} 行重复")
            else:
                usernames[username] = number
                taken = accounts.get(username)
                branch_id = existing.get((org_name, branch_name))
                if taken is not None and not (taken.role == "secretary" and branch_id and taken.branch_id == branch_id):
                    problems.append(f"用户名“{username}”已被其他账号使用")
                secretary = (name, username, phone, taken is not None)
            if phone and not CONTACT_PHONE_RE.match(phone):
                problems.append(f"书记手机号“{phone}”无效")
        if problems:
            result.errors.append(f"第 {number} 行：{'；'.join(problems)}。")
            continue
        planned.append((org_name, sector, branch_name, contact, contact_phone, secretary))
    if result.errors:
        return result
    credentials = []
    for org_name, sector, branch_name, contact, phone, secretary in planned:
        branch = None
        if (org_name, branch_name) in existing:
            result.skipped += 1
        else:
            org = orgs.get(org_name)
            if org is None:
                org = Organization(name=org_name, sector=sector)
                db.session.add(org)
                orgs[org_name] = org
                result.organizations_created += 1
            branch = Branch(organization=org, name=branch_name, contact_name=contact or None,
                            contact_phone=phone or None)
            db.session.add(branch)
            db.session.flush()
            existing[(org_name, branch_name)] = branch.id
            result.created += 1
        if secretary is None:
            continue
        name, username, mobile, exists = secretary
        if exists:  # imported before: the account is there already
            result.accounts_skipped += 1
            continue
        password = one_time_password()
        account = User(username=username, display_name=name, role="secretary", phone=mobile or None,
                       branch_id=existing[(org_name, branch_name)], must_change_password=True)
        account.set_password(password)
        db.session.add(account)
        credentials.append([org_name, branch_name, name, username, password, mobile])
        result.accounts_created += 1
    # A sheet left undownloaded does not keep its passwords for long: a day after its import it is dropped (by
    # the job drop-password-sheets, and here).
    db.session.execute(update(CredentialSheet).where(CredentialSheet.content.is_not(None),
                                                     CredentialSheet.created_at < clock.now() - SHEET_KEPT)
                       .values(content=None))
    if credentials:
        sheet = CredentialSheet(created_by_id=actor.id, accounts=len(credentials), content=exports.xlsx_bytes(
            "党支部书记账号与初始密码（首次登录须修改，请妥善分发）", "账号",
            ["党组织", "支部名称", "书记姓名", "用户名", "初始密码", "手机号"], credentials,
            period=f"登录地址：{links.external('auth.login')}　首次登录须修改密码；本表仅可下载一次，且只保留一天。"))
        db.session.add(sheet)
        db.session.flush()
        result.sheet_id = sheet.id
    audit.record(actor, "branches_imported", "branch", None,
                 f"{filename}: 新增支部 {result.created}，跳过 {result.skipped}，新党组织 {result.organizations_created}，"
                 f"新书记账号 {result.accounts_created}")
    db.session.commit()
    return result


# Letters and digits that cannot be mistaken for one another when read off a sheet (no 0/O, 1/l/I).
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


def one_time_password() -> str:
    """A random first password (12 characters, about 70 bits) that is easy to read and type."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))


SHEET_KEPT = timedelta(days=1)


def take_credential_sheet(actor: User, sheet_id: int, now: datetime | None = None) -> bytes:
    """The sheet's XLSX, once and only on the day of its import: taking it is one conditional UPDATE that drops the
    file (on SQLite a row lock is no lock, so two downloads at once must race on the row's condition instead). Only
    its maker may take it; past its day it is dropped and refused."""
    now = now or clock.now()
    sheet = db.session.get(CredentialSheet, sheet_id)
    if sheet is None or sheet.created_by_id != actor.id:
        raise NotFound("没有这份账号表。")
    gone = Gone("这份账号表已下载过或已超过一天，初始密码不再保存。如有遗失，请在账号页为相应书记重置密码。")
    content = sheet.content
    if content is None:
        raise gone
    if sheet.created_at < now - SHEET_KEPT:
        drop_old_credential_sheets(now)
        raise gone
    taken = db.session.execute(
        update(CredentialSheet).where(CredentialSheet.id == sheet_id, CredentialSheet.content.is_not(None))
        .values(content=None, downloaded_at=now).execution_options(synchronize_session=False)).rowcount == 1
    if not taken:  # the same sheet taken a moment ago in another request
        db.session.rollback()
        raise gone
    audit.record(actor, "credentials_downloaded", "credential_sheet", sheet_id, f"{sheet.accounts} 个账号")
    db.session.commit()
    db.session.expire(sheet)
    return content


def drop_old_credential_sheets(now: datetime | None = None) -> int:
    """Drop the passwords of every sheet past its day (the job `drop-password-sheets`, and any late download)."""
    now = now or clock.now()
    dropped = db.session.execute(
        update(CredentialSheet).where(CredentialSheet.content.is_not(None),
                                      CredentialSheet.created_at < now - SHEET_KEPT)
        .values(content=None).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return dropped


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
