"""Statistics: batches (批次, completed visits) and person-times (人次, their visitor counts), aggregated in SQL."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import and_, case, distinct, func, select, union_all

from booking import clock, permissions
from booking.areas import services as areas
from booking.errors import NotAllowed, ValidationFailed
from booking.permissions import Actor
from booking.reservations.states import ACCEPTED, COUNTED, TAKING_PART
from models import (BASE_TYPES, SECTORS, AreaMonth, Base, Booking, BookingPartner, Branch, BranchMonth, Lecture,
                    Lecturer, MenuItem, Organization, db)

GROUPS = {"base": "基地", "base_type": "基地类型", "month": "月份", "organization": "党组织", "sector": "党组织领域",
          "lecturer": "讲师", "area": "属地", "lecture": "讲习活动"}
# Groups where a joint visit counts once for each taking-part organisation (or sector), with its own part.
BY_PARTS = ("organization", "sector")


@dataclass
class Row:
    key: object
    label: str
    batches: int
    person_times: int
    satisfaction: float | None


class InArea:
    """A reader of an area's figures: the visits of the branches whose organisation lies in the area or below it,
    wherever they went (an admin's or area administrator's statistics asked with `area_id`, an area
    administrator's own by default)."""

    role = "area"
    is_authenticated = True

    def __init__(self, area):
        self.area = area
        self.area_path = area.path


def reader(user: Actor, area_id=None):
    """Who the figures are read for: the user, or the area asked (`areas.readable`: an admin any area, an area
    administrator its own and those below it; others are refused)."""
    area = areas.readable(user, area_id)
    return InArea(area) if area is not None else user


def _scope(stmt, user: Actor):
    """The bookings the user sees; a lecturer's statistics count the sessions they gave (accepted). A secretary's
    are their branch's parts (see `_parts`), not scoped here; an area's (`InArea`) its branches' visits."""
    if user.role in ("area", "area_admin"):
        return stmt.where(Booking.branch_id.in_(areas.branches_under(user.area_path or "\0")))
    if user.role not in ("admin", "manager", "secretary", "lecturer"):
        raise NotAllowed()
    if user.role == "secretary":
        return stmt
    stmt = stmt.where(permissions.booking_scope(user))
    if user.role == "lecturer":
        stmt = stmt.where(Booking.lecturer_status == ACCEPTED)
    return stmt


def month_expr():
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(Booking.day, "YYYY-MM")
    return func.substr(Booking.day, 1, 7)  # SQLite keeps dates as 'YYYY-MM-DD' text; cheaper than strftime


def _parts(conditions, user: Actor):
    """Each counted visit's parts: one row per taking-part branch (booking_id, branch_id, n, rating), where n is the
    branch's own count: a partner's split count (0 when not split), the host the rest (all of it when not split).
    A visit without partners is one row, its whole count the host's."""
    split = (select(func.coalesce(func.sum(BookingPartner.visitor_count), 0))
             .where(BookingPartner.booking_id == Booking.id, BookingPartner.status == TAKING_PART.value)
             .scalar_subquery())
    host = _scope(select(Booking.id.label("booking_id"), Booking.branch_id.label("branch_id"),
                         case((Booking.partner_headcount == 0, Booking.visitor_count),
                              else_=Booking.visitor_count - split).label("n"),
                         Booking.rating.label("rating")).where(*conditions), user)
    partner = _scope(select(BookingPartner.booking_id, BookingPartner.branch_id,
                            func.coalesce(BookingPartner.visitor_count, 0), Booking.rating)
                     .join(Booking, Booking.id == BookingPartner.booking_id)
                     .where(BookingPartner.status == TAKING_PART.value, *conditions), user)
    if user.role == "secretary":
        own = user.branch_id or -1
        host, partner = host.where(Booking.branch_id == own), partner.where(BookingPartner.branch_id == own)
    return union_all(host, partner).subquery("parts")


# Whose statistics may read the months kept per branch (`branch_months`): scoped by branch or not at all. A
# manager's and a lecturer's are scoped by base or by lecturer, which those rows do not keep.
BY_MONTHS = ("admin", "area", "area_admin")


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(day: date) -> date:
    """The last day of the day's month."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)


def split_period(start: date | None, end: date | None) -> tuple[tuple[str | None, str | None] | None, list]:
    """A period as the whole months inside it ((first, last) as YYYY-MM, None for open; None when there is none) and
    the days at its ends outside them ([(from, to)], read from the bookings)."""
    first = None if start is None else start if start.day == 1 else month_end(start) + timedelta(days=1)
    last = None if end is None else end if end == month_end(end) else end.replace(day=1) - timedelta(days=1)
    if first is not None and last is not None and first > last:  # no whole month: all of it from the bookings
        return None, [(start, end)]
    edges = []
    if start is not None and first != start:
        edges.append((start, first - timedelta(days=1)))
    if end is not None and last != end:
        edges.append((last + timedelta(days=1), end))
    return (first and _month_key(first), last and _month_key(last)), edges


def host_sums(user: Actor, start: date | None, end: date | None):
    """(branch_id, batches, person_times, rating_sum, rated) of the counted visits of a period in the user's scope,
    each visit under its own branch (the host), whole: one row per branch and query part.

    For the district's and an area's figures the whole months come from `branch_months` (kept by the database as
    the bookings change: the cost is the branches' months, not the bookings), the days at the period's ends from
    the bookings; for everyone else the bookings off the statistics' covering index."""
    if user.role not in BY_MONTHS:
        return _hosts_from_bookings(user, start, end)
    months, edges = split_period(start, end)
    rows = [row for a, b in edges for row in _hosts_from_bookings(user, a, b)]
    if months is not None:
        stmt = _months_summed(BranchMonth, BranchMonth.branch_id, months)
        if user.role in ("area", "area_admin"):
            stmt = stmt.where(BranchMonth.branch_id.in_(areas.branches_under(user.area_path or "\0")))
        rows += db.session.execute(stmt).all()
    return rows


def _hosts_from_bookings(user: Actor, start: date | None, end: date | None) -> list:
    """host_sums' rows read from the bookings (off the statistics' covering index)."""
    return db.session.execute(_scope(
        select(Booking.branch_id, func.count(), func.coalesce(func.sum(Booking.visitor_count), 0),
               func.coalesce(func.sum(Booking.rating), 0), func.count(Booking.rating))
        .where(*counted(start, end)).group_by(Booking.branch_id), user)).all()


def _months_summed(table, key, months: tuple[str | None, str | None]):
    """(key, batches, person_times, rating_sum, rated) of the kept months between the two (None: open)."""
    stmt = (select(key, func.sum(table.batches), func.sum(table.person_times), func.sum(table.rating_sum),
                   func.sum(table.rated)).group_by(key).having(func.sum(table.batches) > 0))
    if months[0]:
        stmt = stmt.where(table.month >= months[0])
    if months[1]:
        stmt = stmt.where(table.month <= months[1])
    return stmt


def part_sums(user: Actor, start: date | None, end: date | None, *keyings) -> list[dict]:
    """For each keying (a function of a branch id: its organisation, its sector, the branch itself), {key: [batches,
    person_times, rating_sum, rated]} over the parts of the counted visits of the period in the user's scope.
    A visit counts once under a key however many of its branches share it; a partner's person-times are its split
    count, the host's the rest.

    Two small reads rather than one query over a union: the hosts' visits by branch (`host_sums`), and the few
    joint visits' partners."""
    out = [defaultdict(lambda: [0, 0, 0, 0]) for _ in keyings]
    conditions = counted(start, end)
    for branch_id, *measures in host_sums(user, start, end):
        for sums, key_of in zip(out, keyings):
            line = sums[key_of(branch_id)]
            for i, v in enumerate(measures):
                line[i] += int(v)
    joint = _scope(select(Booking.id, Booking.branch_id, Booking.rating, BookingPartner.branch_id,
                          BookingPartner.visitor_count)
                   .join(BookingPartner, BookingPartner.booking_id == Booking.id)
                   .where(BookingPartner.status == TAKING_PART.value, *conditions)
                   .order_by(BookingPartner.booking_id), user)  # driven by the few partners, not the bookings
    for _, rows in groupby(db.session.execute(joint).all(), key=lambda r: r[0]):
        rows = list(rows)
        for sums, key_of in zip(out, keyings):
            host_key = key_of(rows[0][1])
            seen = {host_key}
            for _, _, rating, branch_id, own in rows:
                sums[host_key][1] -= own or 0
                key = key_of(branch_id)
                sums[key][1] += own or 0
                if key not in seen:
                    seen.add(key)
                    sums[key][0] += 1
                    if rating is not None:
                        sums[key][2] += rating
                        sums[key][3] += 1
    return out


def _organisations() -> tuple[dict, dict]:
    """Each branch's organisation, and each organisation's (name, sector)."""
    org_of = dict(db.session.execute(select(Branch.id, Branch.organization_id)).all())
    orgs = {i: (name, sector) for i, name, sector in db.session.execute(
        select(Organization.id, Organization.name, Organization.sector))}
    return org_of, orgs


def _by_parts_rows(user: Actor, start: date | None, end: date | None, group_by: str):
    """The organisation or sector rows (batches, person_times, rating_sum, rated, key, label), ordered by key."""
    org_of, orgs = _organisations()
    if group_by == "organization":
        sums, = part_sums(user, start, end, lambda branch_id: org_of[branch_id])
        return [(*sums[k], k, orgs[k][0]) for k in sorted(sums) if sums[k][0]]
    sums, = part_sums(user, start, end, lambda branch_id: orgs[org_of[branch_id]][1])
    return [(*sums[k], k, k) for k in sorted(sums) if sums[k][0]]


def counted(start: date | None, end: date | None) -> list:
    """The conditions of the counted visits (批次) of a period: base visits only (an activity at the branch's own
    place is organisational life, counted in the ledger, not a visit to a base)."""
    conditions = [Booking.status == COUNTED, Booking.base_id.is_not(None)]
    if start:
        conditions.append(Booking.day >= start)
    if end:
        conditions.append(Booking.day <= end)
    return conditions


@dataclass
class Figures:
    """One pass over a period's counted visits: by base, and by source and whether an accepted lecturer gave it."""

    by_base: dict[int, list[int]]        # base id -> [batches, person_times, rating_sum, rated]
    by_source: dict[str, list[int]]      # online / offline -> [batches, person_times]
    lectures: list[int]                  # [sessions, participants]
    by_branch: dict[int, list[int]]      # taking-part branch -> its part (see part_sums)
    by_sector: dict[str, list[int]]      # sector -> its parts, a visit once per sector


def figures(user: Actor, start: date, end: date) -> Figures:
    """The district report's aggregates for a period, in the user's scope (`_scope`, as every statistic)."""
    conditions = counted(start, end)
    lectured = (Booking.lecturer_status == ACCEPTED).label("lectured")
    stmt = _scope(select(Booking.base_id, Booking.source, lectured, func.count(),
                         func.coalesce(func.sum(Booking.visitor_count), 0), func.coalesce(func.sum(Booking.rating), 0),
                         func.count(Booking.rating)).where(*conditions)
                  .group_by(Booking.base_id, Booking.source, lectured), user)
    by_base: dict = defaultdict(lambda: [0, 0, 0, 0])
    by_source = {"online": [0, 0], "offline": [0, 0]}
    lectures = [0, 0]
    for base_id, source, was_lecture, n, people, rating_sum, rated in db.session.execute(stmt):
        for i, v in enumerate((n, people, rating_sum, rated)):
            by_base[base_id][i] += int(v)
        by_source[source][0] += int(n)
        by_source[source][1] += int(people)
        if was_lecture:
            lectures[0] += int(n)
            lectures[1] += int(people)
    # An open lecture (讲习活动) is one session however many branches booked seats: its bookings count once.
    bookings, sessions = db.session.execute(_scope(select(func.count(), func.count(distinct(Booking.lecture_id))).where(
        *conditions, Booking.lecture_id.is_not(None), Booking.lecturer_status == ACCEPTED), user)).one()
    lectures[0] -= int(bookings) - int(sessions)
    org_of, orgs = _organisations()
    by_branch, by_sector = part_sums(user, start, end, lambda b: b, lambda b: orgs[org_of[b]][1])
    return Figures(dict(by_base), by_source, lectures, dict(by_branch), dict(by_sector))


NO_LECTURER = "未安排讲师"
NOT_A_LECTURE = "其他活动（非讲习活动）"


def _lecture_labels() -> dict[int, str]:
    """Each lecture as a row names it: its date, base and topic (or item)."""
    return {i: f"{clock.local(start):%Y-%m-%d} {base}：{topic or title}" for i, start, base, topic, title in
            db.session.execute(select(Lecture.id, Lecture.starts_at, Base.name, Lecture.topic, MenuItem.title)
                               .join(Base, Base.id == Lecture.base_id).join(MenuItem, MenuItem.id == Lecture.menu_item_id))}


def month_text(key: str) -> str:
    """2026-02 as people write it: 2026年2月."""
    year, _, month = str(key).partition("-")
    return f"{year}年{int(month)}月" if month.isdigit() else str(key)


def _grouped(stmt, group_by: str):
    """The statement joined to what `group_by` groups by (all but organisation), with the key and label columns."""
    if group_by == "base":
        key, label = Base.id, Base.name
        stmt = stmt.join(Base, Base.id == Booking.base_id)
    elif group_by == "base_type":
        key, label = Base.type, Base.type
        stmt = stmt.join(Base, Base.id == Booking.base_id)
    elif group_by == "month":
        key = label = month_expr()
    elif group_by == "lecture":  # one row per open lecture (its bookings: its participants), the other visits last
        key, label = Lecture.id, Lecture.topic
        stmt = stmt.outerjoin(Lecture, Lecture.id == Booking.lecture_id)
        return (stmt.add_columns(key.label("key"), label.label("label")).group_by(key, label)
                .order_by(key.is_(None), key))
    else:  # visits no lecturer gave (none invited, or none accepted) form one row, key None, last
        key, label = Lecturer.id, Lecturer.name
        stmt = stmt.outerjoin(Lecturer, and_(Lecturer.id == Booking.lecturer_id, Booking.lecturer_status == ACCEPTED))
        return (stmt.add_columns(key.label("key"), label.label("label")).group_by(key, label)
                .order_by(key.is_(None), key))
    return stmt.add_columns(key.label("key"), label.label("label")).group_by(key, label).order_by(key)


def _by_area_rows(user: Actor, start: date | None, end: date | None):
    """The area rows (batches, person_times, rating_sum, rated, key, label) under the area read (the root for the
    district): one per child area with its whole subtree, and 直属 (keyed by the area itself) for what lies directly
    in it. A visit counts under its branch's area, once: the rows add up to the total.

    Whole months come from the months kept per area (as many rows as areas and months, whatever the bookings and
    branches), the days at the period's ends from the bookings by branch, each branch's sums to its area's row."""
    bucket, labels = areas.buckets(user.area_path or "\0" if user.role in ("area", "area_admin") else None)
    months, edges = split_period(start, end)
    by_area = db.session.execute(_months_summed(AreaMonth, AreaMonth.area_id, months)).all() if months else []
    by_branch = [row for a, b in edges for row in _hosts_from_bookings(user, a, b)]
    area_of = dict(db.session.execute(select(Branch.id, Organization.area_id).join(
        Organization, Organization.id == Branch.organization_id).where(
        Branch.id.in_(sorted({row[0] for row in by_branch})))).all()) if by_branch else {}
    sums: dict = defaultdict(lambda: [0, 0, 0, 0])
    for area_id, *measures in [*by_area, *((area_of.get(row[0]), *row[1:]) for row in by_branch)]:
        row = bucket.get(area_id)
        if row is None:  # a branch outside the area read: not counted (the scope keeps them out)
            continue
        line = sums[row]
        for i, v in enumerate(measures):
            line[i] += int(v)
    return [(*sums[k], k, labels[k]) for k in sorted(sums) if sums[k][0]]


def compute(user: Actor, group_by: str, start: date | None = None, end: date | None = None,
            with_idle: bool = False) -> tuple[list[Row], Row]:
    """Rows per group (only groups with a batch, ordered by key; `with_idle` adds zero rows for the bases or base
    types in an admin's or manager's care that had none) and the total, for the user's scope.

    A joint visit (联合活动) is one batch wherever it is counted once (base, type, month, lecturer, the total); by
    organisation each taking-part organisation counts it, with its branches' own count; a secretary counts their
    own branch's part (one batch, its own count)."""
    if group_by not in GROUPS:
        raise ValidationFailed({"group_by": f"分组方式应为 {'、'.join(GROUPS)} 之一。"})
    if start and end and end < start:
        raise ValidationFailed({"to": "截止日期不能早于起始日期。"})
    conditions = counted(start, end)
    if group_by == "area" and user.role not in ("admin", "area", "area_admin"):
        raise NotAllowed("只有区委组织部和街道社区管理员可以按属地统计。")
    by_parts = user.role == "secretary"
    if by_parts:
        parts = _parts(conditions, user)
        measures = (func.count(), func.coalesce(func.sum(parts.c.n), 0), func.coalesce(func.sum(parts.c.rating), 0),
                    func.count(parts.c.rating))
        base_stmt = select(*measures).select_from(parts)
    else:
        measures = (func.count(Booking.id), func.coalesce(func.sum(Booking.visitor_count), 0),
                    func.coalesce(func.sum(Booking.rating), 0), func.count(Booking.rating))
        base_stmt = _scope(select(*measures).where(*conditions), user)

    if group_by in BY_PARTS and by_parts:  # a secretary: their own branch's parts, one organisation
        key = Organization.id if group_by == "organization" else Organization.sector
        label = Organization.name if group_by == "organization" else Organization.sector
        stmt = (base_stmt.join(Branch, Branch.id == parts.c.branch_id)
                .join(Organization, Organization.id == Branch.organization_id)
                .add_columns(key.label("key"), label.label("label")).group_by(key, label).order_by(key))
    elif group_by in BY_PARTS or group_by == "area":
        stmt = None  # aggregated from the parts (`part_sums`), or by the branches' areas
    elif by_parts:
        stmt = _grouped(base_stmt.join(Booking, Booking.id == parts.c.booking_id), group_by)
    else:
        stmt = _grouped(base_stmt, group_by)
    rows = []
    sums = [0, 0, 0, 0]
    lecture_labels = _lecture_labels() if group_by == "lecture" else {}
    for batches, person_times, rating_sum, rated, k, lab in (
            db.session.execute(stmt) if stmt is not None else
            _by_area_rows(user, start, end) if group_by == "area" else _by_parts_rows(user, start, end, group_by)):
        if group_by == "base_type":
            lab = BASE_TYPES.get(k, k)
        elif group_by == "sector":
            lab = SECTORS.get(k, k)
        elif group_by == "lecturer" and k is None:
            lab = NO_LECTURER
        elif group_by == "lecture":
            lab = lecture_labels.get(k, NOT_A_LECTURE)
        elif group_by == "month" and k:
            lab = month_text(k)
        rows.append(Row(k, lab, int(batches), int(person_times), average(rating_sum, rated)))
        for i, v in enumerate((batches, person_times, rating_sum, rated)):
            sums[i] += int(v)
    if with_idle and group_by in ("base", "base_type") and user.role in ("admin", "manager"):
        rows = _with_idle(user, group_by, rows)
    if group_by in BY_PARTS and user.role != "secretary":
        # Organisations each count the joint visits they took part in: the total counts each visit once, under its
        # host.
        hosts = host_sums(user, start, end)
        sums = [sum(int(row[i]) for row in hosts) for i in range(1, 5)]
    # Every completed visit falls in exactly one base, type, month and lecturer (or none): those rows add up to the
    # total (not the organisations' or sectors', which each count the joint visits they took part in).
    total = Row("total", "合计", sums[0], sums[1], average(sums[2], sums[3]))
    return rows, total


def _with_idle(user: Actor, group_by: str, rows: list[Row]) -> list[Row]:
    """The rows with a zero row for each base (or base type) in the user's care that had no visit: a district
    sees its idle bases."""
    seen = {r.key for r in rows}
    if group_by == "base_type":
        idle = [Row(code, label, 0, 0, None) for code, label in BASE_TYPES.items() if code not in seen]
    else:
        stmt = select(Base.id, Base.name).where(Base.active.is_(True)).order_by(Base.id)
        if user.role == "manager":
            stmt = stmt.where(Base.id.in_(user.base_ids or [-1]))
        idle = [Row(i, name, 0, 0, None) for i, name in db.session.execute(stmt) if i not in seen]
    return sorted(rows + idle, key=lambda r: (str(r.key) if group_by == "base_type" else r.key))


def average(rating_sum, rated) -> float | None:
    return round(int(rating_sum) / int(rated), 2) if rated else None


def export_rows(group_by: str, rows: list[Row], total: Row) -> tuple[list[str], list[list]]:
    """Chinese headers and the rows as they go into a report (the total last)."""
    header = [GROUPS[group_by], "批次", "人次", "满意度（平均分）"]
    body = [[r.label, r.batches, r.person_times, r.satisfaction if r.satisfaction is not None else ""] for r in rows]
    body.append([total.label, total.batches, total.person_times, total.satisfaction if total.satisfaction is not None else ""])
    return header, body
