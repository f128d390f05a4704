"""A branch's members (党员名册), the roster of a visit (参加人员), who attended, and the study hours (学时) they earn.

The rules live here; pages, the API and the documents call these functions.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import selectinload

from booking import audit, clock, permissions
from booking.errors import NotAllowed, NotFound, ValidationFailed
from booking.documents.imports import MAX_CELL, rows_from_file
from booking.permissions import Actor
from booking.reservations import lifecycle, partners, records, states
from booking.reservations.lifecycle import require
from booking.reservations.states import COMPLETED
from booking.textutil import CONTACT_PHONE_RE, PHONE_MESSAGE, CONTROL_MESSAGE, has_control_chars
from models import (ABSENCE_REASONS, MEMBER_ROLES, MEMBER_STATUSES, Booking, BookingPartner, Branch, Member, MenuItem,
                    RosterEntry, db)
from models.member import LEADER_ROLES

ROLE_BY_LABEL = {label: code for code, label in MEMBER_ROLES.items()}
STATUS_BY_LABEL = {label: code for code, label in MEMBER_STATUSES.items()} | {"正式": "full", "预备": "probationary"}


# -- whose members ---------------------------------------------------------------------------------

def branch_for_members(actor: Actor, branch_id: int) -> Branch:
    """The branch, if the actor keeps its members: its secretaries and admins. A branch the actor may not even
    know of is not found (404); one they may know of but not keep is refused (403)."""
    branch = db.session.get(Branch, branch_id) if isinstance(branch_id, int) else None
    if branch is None or not permissions.can_see_branch(actor, branch.id):
        raise NotFound("党支部不存在。")
    if not permissions.keeps_members_of(actor, branch.id):
        raise NotAllowed("只有本支部书记和区委组织部管理员可以查看和维护党员名册。")
    return branch


def member_for_edit(actor: Actor, member_id: int) -> Member:
    """A member whose branch the actor keeps (404 / 403 as for the branch)."""
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise NotFound("党员不存在。")
    branch_for_members(actor, member.branch_id)
    return member


def members_query(branch_id: int, active: bool | None = None, role: str | None = None, q: str | None = None):
    """The branch's members: leaders first (书记, 副书记, 委员), then by name."""
    stmt = select(Member).where(Member.branch_id == branch_id)
    if active is not None:
        stmt = stmt.where(Member.active.is_(active))
    if role in MEMBER_ROLES:
        stmt = stmt.where(Member.role == role)
    if q:
        stmt = stmt.where(Member.name.contains(q.strip()[:60], autoescape=True))
    order = {code: n for n, code in enumerate(MEMBER_ROLES)}
    return stmt.order_by(case(order, value=Member.role), Member.name, Member.id)


# -- keeping the roll ------------------------------------------------------------------------------

def _member_fields(name, role, status, phone) -> tuple[dict, dict]:
    """The cleaned values and what is wrong with them, by field."""
    errors, values = {}, {}
    name = (name or "").strip() if isinstance(name, str) else name
    if not isinstance(name, str) or not name:
        errors["name"] = "请填写党员姓名。"
    elif len(name) > 60:
        errors["name"] = "姓名不能超过 60 个字。"
    elif has_control_chars(name):
        errors["name"] = "姓名" + CONTROL_MESSAGE
    values["name"] = name
    if role not in MEMBER_ROLES:
        errors["role"] = f"身份应为{'、'.join(MEMBER_ROLES.values())}之一。"
    values["role"] = role
    if status not in MEMBER_STATUSES:
        errors["status"] = "请选择正式党员或预备党员。"
    values["status"] = status
    phone = (phone or "").strip() if isinstance(phone, str) or phone is None else phone
    if not isinstance(phone, str) or (phone and not CONTACT_PHONE_RE.match(phone)):
        errors["phone"] = PHONE_MESSAGE
    values["phone"] = phone or None
    return values, errors


def add_member(actor: Actor, branch: Branch, *, name, role="member", status="full", phone=None) -> Member:
    """A new member of the branch (no identity-card number is ever asked for)."""
    values, errors = _member_fields(name, role or "member", status or "full", phone)
    if errors:
        raise ValidationFailed(errors)
    member = Member(branch_id=branch.id, **values)
    db.session.add(member)
    db.session.flush()
    audit.record(actor, "member_added", "member", member.id, f"{branch.name} / {member.name}（{member.role_label}）")
    db.session.commit()
    return member


def change_member(actor: Actor, member: Member, **changes) -> Member:
    """Change a member's name, role, status, phone or whether they are active. Never deleted: an inactive member
    keeps their attendance and hours, and leaves the lists one picks rosters from."""
    unknown = set(changes) - {"name", "role", "status", "phone", "active"}
    if unknown:
        raise ValidationFailed({name: "该项不能修改。" for name in sorted(unknown)})
    current = {"name": member.name, "role": member.role, "status": member.status, "phone": member.phone}
    values, errors = _member_fields(*({**current, **{k: v for k, v in changes.items() if k != "active"}}[k]
                                      for k in ("name", "role", "status", "phone")))
    active = changes.get("active", member.active)
    if not isinstance(active, bool):
        errors["active"] = "请选择是否在册。"
    if errors:
        raise ValidationFailed(errors)
    before = f"{member.name}（{member.role_label}，{'在册' if member.active else '已停用'}）"
    for k, v in values.items():
        setattr(member, k, v)
    member.active = active
    audit.record(actor, "member_changed", "member", member.id,
                 f"{member.branch.name} / {before} → {member.name}（{member.role_label}，{'在册' if active else '已停用'}）")
    db.session.commit()
    return member


IMPORT_COLUMNS = ("姓名", "身份", "党员类别", "手机号")
IMPORT_SAMPLE = [["王芳", "书记", "正式党员", "13800000000"], ["赵磊", "党员", "预备党员", ""]]


@dataclass
class MemberImport:
    created: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def import_members(actor: Actor, branch: Branch, filename: str, data: bytes) -> MemberImport:
    """Members from CSV (UTF-8 or GBK) or XLSX, columns IMPORT_COLUMNS (only 姓名 required). Every row is checked
    first; with any error nothing is imported. A name already on the branch's roll is skipped, so the same file
    can be imported twice."""
    rows = [r for r in rows_from_file(filename, data) if any(c for c in r)]
    if not rows:
        raise ValidationFailed({"file": "文件是空的。"})
    header = rows[0]
    if "姓名" not in header:
        raise ValidationFailed({"file": f"缺少列：姓名。第一行应为列名：{'，'.join(IMPORT_COLUMNS)}。"})
    index = {col: header.index(col) for col in IMPORT_COLUMNS if col in header}
    result = MemberImport()
    existing = set(db.session.scalars(select(Member.name).where(Member.branch_id == branch.id)))
    planned, seen = [], {}
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda col: row[index[col]].strip() if col in index and index[col] < len(row) else ""  # noqa: E731
        if any(len(c) > MAX_CELL for c in row):
            result.errors.append(f"第 {number} 行：内容过长。")
            continue
        role_text, status_text = cell("身份") or "党员", cell("党员类别") or "正式党员"
        role = ROLE_BY_LABEL.get(role_text, role_text if role_text in MEMBER_ROLES else None)
        status = STATUS_BY_LABEL.get(status_text, status_text if status_text in MEMBER_STATUSES else None)
        values, errors = _member_fields(cell("姓名"), role, status, cell("手机号"))
        if errors:
            labels = {"name": "姓名", "role": f"身份“{role_text}”", "status": f"党员类别“{status_text}”",
                      "phone": f"手机号“{cell('手机号')}”"}
            result.errors.append(f"第 {number} 行：" + "；".join(
                f"{labels[k]}有误（{v.rstrip('。')}）" if k != "name" else v.rstrip("。") for k, v in errors.items()) + "。")
            continue
        if values["name"] in seen:
            result.errors.append(f"第 {number} 行：“{values['name']}”与第 {seen[values['name']]} 行重复。")
            continue
        seen[values["name"]] = number
        planned.append(values)
    if result.errors:
        return result
    for values in planned:
        if values["name"] in existing:
            result.skipped += 1
            continue
        db.session.add(Member(branch_id=branch.id, **values))
        result.created += 1
    audit.record(actor, "members_imported", "branch", branch.id,
                 f"{branch.name}：{filename}，新增 {result.created}，已有跳过 {result.skipped}")
    db.session.commit()
    return result


# -- the roster of a visit -------------------------------------------------------------------------

def roster_of(booking: Booking) -> list[RosterEntry]:
    """The booking's roster, leaders first, then by name."""
    order = {code: n for n, code in enumerate(MEMBER_ROLES)}
    return sorted(booking.roster, key=lambda e: (order.get(e.member.role, 9), e.member.name, e.member_id))


def _member_ids(value, name: str) -> list[int]:
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise ValidationFailed({name: "请提供党员编号的列表。"})
    if len(value) != len(set(value)):
        raise ValidationFailed({name: "名单中有重复的党员。"})
    return value


def set_roster(actor: Actor, booking: Booking, member_ids, now: datetime | None = None) -> list[RosterEntry]:
    """The members a taking-part branch will bring (the booking's branch, or a partner that accepted, each its own
    part): active members of that branch, no more than its headcount (refused, never cut short). Members who stay
    keep what was recorded of them; history `roster_set`. Returns that branch's part of the roster."""
    now = now or clock.now()
    require(lifecycle.can_set_roster(actor, booking, now))
    branch_id = actor.branch_id
    ids = _member_ids(member_ids, "member_ids")
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids or [-1])))}
    wrong = [i for i in ids if i not in members or members[i].branch_id != branch_id or not members[i].active]
    if wrong:
        raise ValidationFailed({"member_ids": f"只能选择本支部在册的党员（编号 {'、'.join(map(str, wrong[:10]))} 不符合）。"})
    headcount = partners.part_headcount(booking, branch_id)
    if len(ids) > headcount:
        whose = "本支部的" if booking.partners else ""
        raise ValidationFailed({"member_ids": f"参加人员 {len(ids)} 人，超过{whose}预约人数 {headcount} 人；"
                                              "请减少人员，或先修改预约人数。"})
    # The booking's row first: a second save of the same roster at the same moment waits for this one, and then
    # reads the roster this one wrote (instead of both finding it empty and both inserting it).
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.expire(booking, ["roster"])
    current = {e.member_id: e for e in booking.roster if e.branch_id == branch_id}
    marked = [e.member.name for i, e in current.items() if i not in members and e.attendance is not None]
    if marked:  # who came (or did not) is part of the record: it is corrected, not dropped
        raise ValidationFailed({"member_ids": f"{'、'.join(marked)}的出席情况已登记，不能从名单中移除；如有误请更正出席情况。"})
    for member_id, entry in current.items():
        if member_id not in members:
            db.session.delete(entry)
    for member_id in ids:
        if member_id not in current:
            db.session.add(RosterEntry(booking_id=booking.id, member_id=member_id, branch_id=branch_id))
    who = "" if branch_id == booking.branch_id else next(
        f"{p.branch.name} " for p in booking.partners if p.branch_id == branch_id)
    records.record_event(booking, actor, "roster_set",
                           f"{who}{len(ids)} 人：" + "、".join(members[i].name for i in ids)[:900], now)
    db.session.commit()
    db.session.expire(booking, ["roster"])
    return [e for e in roster_of(booking) if e.branch_id == branch_id]


def marked_by(actor: Actor, booking: Booking) -> list[RosterEntry]:
    """The roster entries whose attendance the actor marks: a manager of the base everyone's, a taking-part
    branch's secretary its own members'."""
    if permissions.manages_base(actor, booking.base_id):
        return roster_of(booking)
    return [e for e in roster_of(booking) if e.branch_id == actor.branch_id]


def own_part(actor: Actor, booking: Booking) -> int | None:
    """The branch whose members the actor brings to the booking: a taking-part branch's secretary's, else None."""
    return actor.branch_id if lifecycle.takes_part(actor, booking) else None


def absence_text(code: str | None, text: str | None) -> str:
    """A reason for absence as the record writes it: 病假, 事假, 公差, or 其他 with what was typed."""
    text = (text or "").strip()
    label = ABSENCE_REASONS.get(code or "", "")
    if label and label != "其他":
        return label + (f"（{text}）" if text else "")
    return text or "其他"


def mark_members(actor: Actor, booking: Booking, present, absent, now: datetime | None = None) -> list[RosterEntry]:
    """Who came: the members listed present came, the rest of the roster did not (each absence with its reason,
    given or 未说明). A taking-part branch's secretary marks its own members, a manager of the base everyone. Can be
    corrected; each time the history says so (`members_attended`)."""
    now = now or clock.now()
    require(lifecycle.can_mark_members(actor, booking, now))
    present = _member_ids(present if present is not None else [], "present")
    if not isinstance(absent, list) or any(not isinstance(a, dict) for a in absent):
        raise ValidationFailed({"absent": "缺席人员应为 {member_id, reason} 的列表。"})
    reasons = {}
    for a in absent:
        member_id, reason = a.get("member_id"), a.get("reason")
        if isinstance(member_id, bool) or not isinstance(member_id, int):
            raise ValidationFailed({"absent": "缺席人员的党员编号有误。"})
        if reason is not None and (not isinstance(reason, str) or len(reason) > 200 or has_control_chars(reason)):
            raise ValidationFailed({"absent": "缺席原因应为 200 字以内的文字。"})
        reasons[member_id] = (reason or "").strip()
    entries = {e.member_id: e for e in marked_by(actor, booking)}
    if not entries:
        raise ValidationFailed({"present": "还没有确定参加人员，请先在名单中选择本次参加的党员。"})
    strangers = [i for i in list(present) + list(reasons) if i not in entries]
    if strangers:
        raise ValidationFailed({"present": f"编号 {'、'.join(map(str, strangers[:10]))} 不在本次参加人员名单中。"})
    both = set(present) & set(reasons)
    if both:
        raise ValidationFailed({"absent": "同一党员不能既出席又缺席。"})
    # A member who signed in themselves and is now marked absent is a correction of their own word: said by name.
    overruled = [f"{e.member.name}（本人签到 {clock.local(e.signed_in_at):%H:%M}）" for i, e in entries.items()
                 if e.signed_in_at is not None and i not in present and e.attendance != "absent"]
    for member_id, entry in entries.items():
        if member_id in present:
            entry.attendance, entry.absence_reason = "present", None
        else:
            entry.attendance, entry.absence_reason = "absent", reasons.get(member_id) or "未说明"
    came = sum(1 for e in entries.values() if e.attendance == "present")
    signed = sum(1 for e in entries.values() if e.attendance == "present" and e.signed_in_at is not None)
    missed = [f"{e.member.name}（{e.absence_reason}）" for e in entries.values() if e.attendance == "absent"]
    branches = {e.branch_id for e in entries.values()}
    who = "" if branches == {booking.branch_id} or len(branches) > 1 else next(
        f"{p.branch.name}：" for p in booking.partners if p.branch_id in branches)
    records.record_event(booking, actor, "members_attended",
                           (f"{who}出席 {came} 人" + (f"（其中本人签到 {signed} 人）" if signed else "")
                            + (f"；缺席：{'、'.join(missed)}" if missed else "")
                            + (f"；更正为缺席：{'、'.join(overruled)}" if overruled else ""))[:1000], now)
    db.session.commit()
    return list(entries.values())


# -- study hours -----------------------------------------------------------------------------------

def hours_for(minutes: int) -> float:
    """The study hours one present member earns: the activity's minutes (`Booking.duration_minutes`) over
    STUDY_HOUR_MINUTES, rounded down to a half hour."""
    return _half_hours(minutes) / 2


def _half_hours(minutes: int) -> int:
    return (int(minutes) * 2) // current_app.config["STUDY_HOUR_MINUTES"]


def required_hours(role: str) -> int:
    """A year's requirement: STUDY_HOURS_LEADER for the secretary, deputy and committee, else STUDY_HOURS_MEMBER."""
    cfg = current_app.config
    return cfg["STUDY_HOURS_LEADER"] if role in LEADER_ROLES else cfg["STUDY_HOURS_MEMBER"]


def credited_hours(entry: RosterEntry) -> float:
    """What the entry earned: the activity's hours if the member was present at a completed visit, else 0."""
    if entry.attendance != "present" or entry.booking.status != COMPLETED:
        return 0.0
    return hours_for(entry.booking.duration_minutes)


@dataclass
class StudyLine:
    member: Member
    sessions: int
    hours: float
    required: int

    @property
    def met(self) -> bool:
        return self.hours >= self.required


def _earned(branches, year: int) -> dict[int, tuple[int, int]]:
    """Each member's (sessions, half hours) over the year's completed activities they were present at, for the
    branches `branches` names (a branch id, or a subquery of ids): `hours_for` per activity, as every page counts."""
    where = RosterEntry.branch_id == branches if isinstance(branches, int) else RosterEntry.branch_id.in_(branches)
    # Starting from the visits the branches' members came to (a short list), never from a year of the district's
    # bookings, whatever the planner's statistics say: those bookings are then looked up by their keys.
    came = select(RosterEntry.booking_id).where(where, RosterEntry.attendance == "present")
    if isinstance(branches, int):
        came = list(db.session.scalars(came.distinct())) or [-1]
    earned: dict[int, tuple[int, int]] = {}
    # Each activity as long as `Booking.minutes_of` says: a base visit's item, an own activity's start to end.
    for member_id, item_minutes, starts_at, ends_at in db.session.execute(
            select(RosterEntry.member_id, MenuItem.duration_minutes, Booking.starts_at, Booking.ends_at)
            .join(Booking, Booking.id == RosterEntry.booking_id)
            .outerjoin(MenuItem, MenuItem.id == Booking.menu_item_id)
            .where(where, RosterEntry.attendance == "present", Booking.id.in_(came),
                   Booking.status == COMPLETED, Booking.day >= date(year, 1, 1), Booking.day <= date(year, 12, 31))):
        sessions, halves = earned.get(member_id, (0, 0))
        earned[member_id] = (sessions + 1, halves + _half_hours(Booking.minutes_of(item_minutes, starts_at, ends_at)))
    return earned


def study_hours(branch: Branch, year: int) -> list[StudyLine]:
    """Each member's sessions and hours over the year's completed visits (present only), with the requirement:
    those short of it first, fewest hours first. Members no longer active appear when they earned hours. Each
    activity is credited by `hours_for`, the one rule every page, record and export uses (summing the unrounded
    minutes once gave 2.5-3 h more than the member's own page)."""
    earned = _earned(branch.id, year)
    lines = []
    for member in db.session.scalars(members_query(branch.id)):
        sessions, halves = earned.get(member.id, (0, 0))
        if not member.active and not sessions:
            continue
        lines.append(StudyLine(member, sessions, halves / 2, required_hours(member.role)))
    return sorted(lines, key=lambda s: (s.met, s.hours, s.member.name))


def short_of_hours(branches, year: int) -> dict[int, tuple[int, int]]:
    """For the branches `branches` names (a subquery of ids: an area's), each branch's (active members short of
    the year's requirement so far, active members): the same rule as `study_hours`, in two queries for all."""
    earned = _earned(branches, year)
    out: dict[int, list[int]] = {}
    for member_id, branch_id, role in db.session.execute(
            select(Member.id, Member.branch_id, Member.role).where(Member.branch_id.in_(branches),
                                                                   Member.active.is_(True))):
        line = out.setdefault(branch_id, [0, 0])
        line[1] += 1
        if earned.get(member_id, (0, 0))[1] / 2 < required_hours(role):
            line[0] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def member_sessions(member: Member, year: int) -> list[RosterEntry]:
    """The activities a member was on the roster of in a year, with how they went (the line's detail)."""
    return list(db.session.scalars(
        select(RosterEntry).join(Booking, Booking.id == RosterEntry.booking_id)
        .where(RosterEntry.member_id == member.id, Booking.day >= date(year, 1, 1), Booking.day <= date(year, 12, 31))
        .order_by(Booking.starts_at)))


@dataclass
class SessionLine:
    """One activity on a member's page with the hours it earned them."""
    entry: RosterEntry
    hours: float


@dataclass
class SessionMonth:
    """A month of a member's activities with the hours earned in it."""
    month: int
    lines: list[SessionLine]
    hours: float


@dataclass
class MemberYear:
    """A member's year as their page shows it: how many activities, how many attended, the hours, by month (the
    latest first)."""
    year: int
    sessions: int
    present: int
    hours: float
    months: list[SessionMonth]


def member_year(member: Member, year: int) -> MemberYear:
    """The member's activities of a year with the hours each earned (credited_hours), summed by month and year."""
    lines = [SessionLine(e, credited_hours(e)) for e in member_sessions(member, year)]
    months = []
    for line in sorted(lines, key=lambda line: line.entry.booking.day.month):
        if not months or months[-1].month != line.entry.booking.day.month:
            months.append(SessionMonth(line.entry.booking.day.month, [], 0))
        months[-1].lines.append(line)
    for month in months:
        month.hours = sum(line.hours or 0 for line in month.lines)
    return MemberYear(year=year, sessions=len(lines), present=sum(1 for line in lines if line.entry.attendance == "present"),
                      hours=sum(line.hours or 0 for line in lines), months=months[::-1])


# -- the branch's year of records ------------------------------------------------------------------

def completed_in(branch: Branch, year: int) -> list[Booking]:
    """The branch's completed activities of a year, in date order: its ledger (台账). What the ledger's page and
    files show of each is loaded with it, a query per kind rather than per activity."""
    took_part = select(BookingPartner.booking_id).where(BookingPartner.branch_id == branch.id,
                                                        BookingPartner.status == states.TAKING_PART.value)
    return list(db.session.scalars(
        select(Booking).where(or_(Booking.branch_id == branch.id, Booking.id.in_(took_part)), Booking.status == COMPLETED,
                              Booking.day >= date(year, 1, 1), Booking.day <= date(year, 12, 31))
        .options(selectinload(Booking.roster).joinedload(RosterEntry.member), selectinload(Booking.base),
                 selectinload(Booking.partners).joinedload(BookingPartner.branch),
                 selectinload(Booking.venue), selectinload(Booking.menu_item), selectinload(Booking.lecturer),
                 selectinload(Booking.photos), selectinload(Booking.branch).joinedload(Branch.organization))
        .order_by(Booking.starts_at, Booking.id)))


def year_or_this(raw) -> int:
    """A page's year: the one asked for when it is a year the pages know (2000–2100), else this year."""
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else clock.local_today().year


def year_of(raw) -> int:
    """A year from a query (this year when absent); ValidationFailed for anything else."""
    if raw in (None, ""):
        return clock.local_today().year
    if isinstance(raw, int) and not isinstance(raw, bool):
        year = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) == 4:
        year = int(raw)
    else:
        raise ValidationFailed({"year": "年份应为四位数字，如 2026。"})
    if not 2000 <= year <= 2100:
        raise ValidationFailed({"year": "年份应在 2000–2100 之间。"})
    return year
