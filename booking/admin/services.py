"""The district administrator's work: the areas' tree, organisations, branches (with bulk import), bases, the lecturer
pool. An area administrator does the organisations', branches' and secretaries' part of it inside its own area: every
query and load here takes the actor and narrows to `areas.organizations_under(actor.area_path)` for it."""
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from typing import NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from booking import audit, clock, links, permissions
from booking.areas import services as areas
from booking.documents import exports
from booking.documents.imports import MAX_CELL, rows_from_file
from booking.catalog import holidays
from booking.catalog.services import escape_like
from booking.notify import services as notify
from booking.reports import services as reports
from booking.textutil import CONTACT_PHONE_RE, CONTROL_MESSAGE, has_control_chars
from booking.errors import Gone, NotAllowed, NotFound, ValidationFailed
from models import (BASE_TYPES, LECTURER_CATEGORIES, ROLES, SECTORS, Area, AuditEntry, Base, Branch, CredentialSheet,
                    Lecturer, LecturerTopic, Organization, User, db)
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


# -- whose organisations: the admin's (all) or an area administrator's (its area and below) -------------------------

# No area's path looks like this (they are digits between slashes): an area administrator without an area sees nothing.
_NOWHERE = "/-/"


def scope_path(actor) -> str | None:
    """The materialised path the actor's organisation work is narrowed to: an area administrator's area (and
    everything below it); None for the admin, who keeps the whole tree."""
    if getattr(actor, "role", None) == "area_admin":
        return actor.area_path or _NOWHERE
    return None


def default_area_id(actor) -> int:
    """Where a new organisation or base goes when none is named: an area administrator's own area, else the
    root."""
    return actor.area_id if scope_path(actor) is not None and actor.area_id else areas.root().id


def _outside(actor, area: Area | None) -> bool:
    """Whether an area lies outside what the actor keeps (never for the admin)."""
    path = scope_path(actor)
    return path is not None and not areas.lies_in(area, path)


def organization_for(actor, org_id: int) -> Organization:
    """An organisation the actor keeps, or NotFound (an area administrator never learns of one outside its area)."""
    org = db.session.get(Organization, org_id)
    if org is None or _outside(actor, org.area):
        raise NotFound("党组织不存在。")
    return org


def branch_for(actor, branch_id: int) -> Branch:
    """A branch the actor keeps, or NotFound."""
    branch = db.session.get(Branch, branch_id)
    if branch is None or _outside(actor, branch.organization.area):
        raise NotFound("党支部不存在。")
    return branch


def account_for(actor, user_id: int) -> User:
    """An account the actor keeps: any for the admin; for an area administrator only its branches' secretaries
    (NotFound for every other account, as if it were not there)."""
    user = db.session.get(User, user_id)
    if user is None or not permissions.keeps_account(actor, user):
        raise NotFound("用户不存在。")
    return user


# -- the areas' tree --------------------------------------------------------------------------------------------

def area_labels() -> dict[int, str]:
    """Each area's trail by id, for lists that name where an organisation or a base lies."""
    return {a.id: label for a, label in areas.trails()}


@dataclass
class AreaRow:
    """One line of the areas page: the area, its trail, how deep it lies, what lies directly in it."""
    area: Area
    trail: str
    depth: int
    organizations: int
    bases: int


def area_tree() -> list[AreaRow]:
    """The whole tree for the admin's areas page, with the organisations and bases lying directly in each area
    (two grouped counts, not one per area)."""
    orgs = dict(db.session.execute(select(Organization.area_id, func.count()).group_by(Organization.area_id)).all())
    bases = dict(db.session.execute(select(Base.area_id, func.count()).group_by(Base.area_id)).all())
    return [AreaRow(area=a, trail=label, depth=a.depth, organizations=orgs.get(a.id, 0), bases=bases.get(a.id, 0))
            for a, label in areas.trails()]


def _area_field(fields: dict, actor, area_id) -> Area | None:
    """The area an organisation or a base is placed in, checked: it exists, and lies within an area
    administrator's own."""
    area = db.session.get(Area, area_id) if isinstance(area_id, int) and not isinstance(area_id, bool) else None
    if area is None:
        fields["area_id"] = "请选择所属属地。"
    elif _outside(actor, area):
        fields["area_id"] = "只能选择本属地或其下级属地。"
    return area


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
        ("users", User), ("bases", Base), ("areas", Area), ("organizations", Organization), ("branches", Branch),
        ("lecturers", Lecturer))}
    recent = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return Overview(counts=counts, recent=recent, watch=reports.watch(actor), undelivered=notify.undelivered_count())


def users_query(actor, q: str = "", role: str | None = None):
    """Accounts whose username or name contains `q`, of one role or all, oldest first: every account for the admin,
    its branches' secretaries for an area administrator."""
    stmt = select(User).options(selectinload(User.branch), selectinload(User.area)).order_by(User.id)
    if (path := scope_path(actor)) is not None:
        stmt = stmt.where(User.role == "secretary", User.branch_id.in_(areas.branches_under(path)))
    if q:
        stmt = stmt.where(or_(User.username.like(_like(q), escape="\\"), User.display_name.like(_like(q), escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


class AccountChoices(NamedTuple):
    """What an account's form offers: active branches, bases, lecturer profiles no account holds yet, areas (for an
    area administrator's account), and the roles the actor may give."""
    branches: list[tuple[int, str]]
    bases: list[tuple[int, str]]
    free_lecturers: list[tuple[int, str]]
    areas: list[tuple[int, str]]
    roles: list[tuple[str, str]]


def account_choices(actor) -> AccountChoices:
    """The choices of the account forms (role, branch, bases, lecturer profile, area): an area administrator offers
    only secretaries of its own branches."""
    stmt = (select(Branch.id, Organization.name, Branch.name).join(Branch.organization)
            .where(Branch.active.is_(True)).order_by(Organization.name, Branch.name))
    branches = None
    if (path := scope_path(actor)) is not None:
        rows = db.session.execute(stmt.where(Organization.area_id.in_(areas.under(path)))).all()
        branches = [(0, "—")] + [(i, f"{o} · {b}") for i, o, b in rows]
        return AccountChoices(branches=branches, bases=[], free_lecturers=[], areas=[],
                              roles=[("secretary", ROLES["secretary"])])
    rows = db.session.execute(stmt).all()
    bases = [(b.id, b.name) for b in db.session.scalars(select(Base).order_by(Base.id))]
    free = db.session.scalars(select(Lecturer).where(~Lecturer.user.has()).order_by(Lecturer.name)).all()
    return AccountChoices(branches=[(0, "—")] + [(i, f"{o} · {b}") for i, o, b in rows], bases=bases,
                          free_lecturers=[(lec.id, lec.name) for lec in free], areas=areas.choices(actor),
                          roles=list(ROLES.items()))


def organizations_query(actor, q: str = "", area_id: int | None = None):
    """Organisations the actor keeps with their branches, those whose name or a branch's name contains `q`, and
    those lying in the area `area_id` or below it when one is asked."""
    stmt = select(Organization).options(selectinload(Organization.branches)).order_by(Organization.id)
    if (path := scope_path(actor)) is not None:
        stmt = stmt.where(Organization.id.in_(areas.organizations_under(path)))
    if area_id and (area := db.session.get(Area, area_id)) is not None:
        stmt = stmt.where(Organization.id.in_(areas.organizations_under(area.path)))
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


def organization_choices(actor) -> list[tuple[int, str]]:
    """The organisations the actor keeps, by name, for a branch's form."""
    stmt = select(Organization).order_by(Organization.name)
    if (path := scope_path(actor)) is not None:
        stmt = stmt.where(Organization.id.in_(areas.organizations_under(path)))
    return [(o.id, o.name) for o in db.session.scalars(stmt)]


def all_bases(area_id: int | None = None) -> list[Base]:
    """Every base, those off the catalogue too, with their managers; those lying in the area `area_id` or below it
    when one is asked."""
    stmt = select(Base).options(selectinload(Base.managers)).order_by(Base.id)
    if area_id and (area := db.session.get(Area, area_id)) is not None:
        stmt = stmt.where(Base.id.in_(areas.bases_under(area.path)))
    return db.session.scalars(stmt).all()


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


def save_organization(actor: User, org: Organization | None, *, name: str, sector: str,
                      area_id: int | None = None) -> Organization:
    """Create or rename an organisation, and place it in an area (an area administrator: its own or one below;
    a new organisation named no area goes to the root, or to an area administrator's own area)."""
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
    if area_id is None:
        area_id = org.area_id if org is not None else default_area_id(actor)
    area = _area_field(fields, actor, area_id)
    if fields:
        raise ValidationFailed(fields)
    if org is None:
        org = Organization()
        db.session.add(org)
    org.name, org.sector, org.area_id = name, sector, area.id
    db.session.flush()
    audit.record(actor, "organization_saved", "organization", org.id, f"{name}（属地：{areas.trail(area)}）")
    db.session.commit()
    return org


def save_branch(actor: User, branch: Branch | None, *, organization_id: int, name: str,
                contact_name: str | None = None, contact_phone: str | None = None, active: bool = True) -> Branch:
    """Create or change a branch (an area administrator: under an organisation of its own area)."""
    name = (name or "").strip()
    fields = {}
    org = db.session.get(Organization, organization_id) if organization_id else None
    if org is None:
        fields["organization_id"] = "请选择党组织。"
    elif _outside(actor, org.area):
        fields["organization_id"] = "只能选择本属地的党组织。"
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


IMPORT_COLUMNS = ("党组织", "所属领域", "支部名称", "所属属地", "联系人", "联系电话", "书记姓名", "书记用户名", "书记手机号")
IMPORT_REQUIRED = IMPORT_COLUMNS[:3]
# The template's sample row: the demo's own organisation and branch, so importing the template as it is
# creates nothing twice (its 所属属地 is filled in with where that organisation lies: import_template_rows).
IMPORT_SAMPLE = ["区直机关工委", "机关", "区财政局第一党支部", "", "王芳", "13800000000", "王芳", "secretary",
                 "13800000000"]


def import_template_rows() -> list[list[str]]:
    """The template's sample row, naming the area its organisation lies in (so importing it as it is still
    creates nothing twice and refuses nothing)."""
    row = list(IMPORT_SAMPLE)
    org = db.session.scalar(select(Organization).where(Organization.name == row[0]))
    row[IMPORT_COLUMNS.index("所属属地")] = areas.trail(org.area if org is not None else areas.root())
    return [row]


def import_branches(actor: User, filename: str, data: bytes) -> ImportResult:
    """Import branches from CSV or XLSX (columns IMPORT_COLUMNS; 所属属地, the contact's and the secretary's are
    optional).

    All rows are checked first; with any error nothing is imported. Branches that already exist are
    skipped, so the same file can be imported twice. Missing organisations are created. A row that names a
    secretary (name and username) also creates the secretary's account with a one-time password, which must be
    changed at first login; the passwords wait in a sheet the administrator downloads once.

    所属属地 (a trail such as 滨江街道/滨江社区, or a name unique in the tree) places an organisation the import creates
    (empty: the root, or an area administrator's own area); an existing organisation is never moved by an import, so
    a row naming another area than the one it lies in is refused. An area administrator imports only into its own
    area and below, and only under organisations lying there.
    """

    rows = [r for r in rows_from_file(filename, data) if any(c for c in r)]
    if not rows:
        raise ValidationFailed({"file": "文件是空的。"})
    header = rows[0]
    index = {}
    for col in IMPORT_COLUMNS:
        if col in header:
            index[col] = header.index(col)
    missing = [c for c in IMPORT_REQUIRED if c not in index]
    if missing:
        raise ValidationFailed({"file": f"缺少列：{'、'.join(missing)}。第一行应为列名：{'，'.join(IMPORT_COLUMNS)}。"})
    result = ImportResult()
    orgs = {o.name: o for o in db.session.scalars(select(Organization).options(selectinload(Organization.area)))}
    resolved: dict[str, Area | None] = {}  # each area text of the file, looked up once
    new_org_areas: dict[str, tuple[Area, int]] = {}  # a new organisation's area and the line that named it
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
        area_text = cell("所属属地")
        area = None
        if area_text:
            if area_text not in resolved:
                resolved[area_text] = areas.resolve(area_text)
            area = resolved[area_text]
            if area is None:
                problems.append(f"所属属地“{area_text[:60]}”不存在（应填写属地的层级名称，如“滨江街道/滨江社区”）")
            elif _outside(actor, area):
                problems.append(f"所属属地“{area_text[:60]}”不在您管理的属地范围内")
                area = None
        known = orgs.get(org_name)
        if known is not None and _outside(actor, known.area):
            problems.append(f"党组织“{org_name}”不在您管理的属地范围内")
        elif known is not None and area is not None and known.area_id != area.id:
            problems.append(f"党组织“{org_name}”属于“{areas.trail(known.area)}”，与所填所属属地“{area_text[:60]}”不符"
                            "（导入不会移动已有党组织，如需调整请在党组织页面修改）")
        elif known is None and org_name and area is not None:
            first = new_org_areas.setdefault(org_name, (area, number))
            if first[0].id != area.id:
                problems.append(f"党组织“{org_name}”的所属属地与第 {first[1]} 行所填不同")
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
                placed = new_org_areas[org_name][0].id if org_name in new_org_areas else default_area_id(actor)
                org = Organization(name=org_name, sector=sector, area_id=placed)
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


def create_base(actor: User, *, name: str, type: str, address: str = "", description: str = "",
                area_id: int | None = None) -> Base:
    """Open a new base in an area (the root when none is named) with the default booking rules; its managers then
    fill in the rest."""
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
    area = _area_field(fields, actor, default_area_id(actor) if area_id is None else area_id)
    if fields:
        raise ValidationFailed(fields)
    base = Base(name=name, type=type, address=address.strip(), description=description.strip(), area_id=area.id)
    db.session.add(base)
    db.session.flush()
    audit.record(actor, "base_created", "base", base.id, f"{name}（属地：{areas.trail(area)}）")
    db.session.commit()
    return base


def place_base(actor: User, base: Base, area_id) -> Base:
    """Move a base to another area: the admin's alone (a base's managers never change where it lies)."""
    if getattr(actor, "role", None) != "admin":
        raise NotAllowed("只有区委组织部管理员可以调整基地的所属属地。")
    fields: dict = {}
    area = _area_field(fields, actor, area_id)
    if fields:
        raise ValidationFailed(fields)
    was = base.area
    base.area_id = area.id
    audit.record(actor, "base_updated", "base", base.id,
                 f"{base.name}：所属属地 {areas.trail(was) if was else '—'} → {areas.trail(area)}")
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
