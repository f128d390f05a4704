"""Statistics: batches (批次, completed visits) and person-times (人次, their visitor counts), aggregated in SQL."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select, union_all

from booking import permissions
from booking.errors import NotAllowed, ValidationFailed
from booking.permissions import Actor
from booking.reservations.lifecycle import ACCEPTED, COUNTED, TAKING_PART
from models import BASE_TYPES, SECTORS, Base, Booking, BookingPartner, Branch, Lecturer, Organization, db

GROUPS = {"base": "基地", "base_type": "基地类型", "month": "月份", "organization": "党组织", "sector": "党组织领域",
          "lecturer": "讲师"}
# Groups where a joint visit counts once for each taking-part organisation (or sector), with its own part.
BY_PARTS = ("organization", "sector")


@dataclass
class Row:
    key: object
    label: str
    batches: int
    person_times: int
    satisfaction: float | None


def _scope(stmt, user: Actor):
    """The bookings the user sees; a lecturer's statistics count the sessions they gave (accepted). A secretary's
    are their branch's parts (see `_parts`), not scoped here."""
    if user.role not in ("admin", "manager", "secretary", "lecturer"):
        raise NotAllowed()
    if user.role == "secretary":
        return stmt
    stmt = stmt.where(permissions.booking_scope(user))
    if user.role == "lecturer":
        stmt = stmt.where(Booking.lecturer_status == ACCEPTED)
    return stmt


def _month_expr():
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


def parts_of(user: Actor, start: date, end: date):
    """The taking-part branches' parts of the counted visits of a period in the user's scope (see `_parts`)."""
    return _parts([Booking.status == COUNTED, Booking.day >= start, Booking.day <= end], user)


def _grouped(stmt, group_by: str):
    """The statement joined to what `group_by` groups by (all but organisation), with the key and label columns."""
    if group_by == "base":
        key, label = Base.id, Base.name
        stmt = stmt.join(Base, Base.id == Booking.base_id)
    elif group_by == "base_type":
        key, label = Base.type, Base.type
        stmt = stmt.join(Base, Base.id == Booking.base_id)
    elif group_by == "month":
        key = label = _month_expr()
    else:
        key, label = Lecturer.id, Lecturer.name
        stmt = stmt.join(Lecturer, Lecturer.id == Booking.lecturer_id).where(Booking.lecturer_status == ACCEPTED)
    return stmt.add_columns(key.label("key"), label.label("label")).group_by(key, label).order_by(key)


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
    conditions = [Booking.status == COUNTED]
    if start:
        conditions.append(Booking.day >= start)
    if end:
        conditions.append(Booking.day <= end)
    by_parts = user.role == "secretary" or group_by in BY_PARTS
    if by_parts:
        parts = _parts(conditions, user)
        measures = (func.count(), func.coalesce(func.sum(parts.c.n), 0), func.coalesce(func.sum(parts.c.rating), 0),
                    func.count(parts.c.rating))
        base_stmt = select(*measures).select_from(parts)
    else:
        measures = (func.count(Booking.id), func.coalesce(func.sum(Booking.visitor_count), 0),
                    func.coalesce(func.sum(Booking.rating), 0), func.count(Booking.rating))
        base_stmt = _scope(select(*measures).where(*conditions), user)

    if group_by == "organization":
        # A visit counts once in an organisation even when two of its branches took part in it.
        per_org = (select(parts.c.booking_id, Branch.organization_id.label("org"), func.sum(parts.c.n).label("n"),
                          func.max(parts.c.rating).label("rating"))
                   .join(Branch, Branch.id == parts.c.branch_id).group_by(parts.c.booking_id, Branch.organization_id)
                   .subquery("per_org"))
        stmt = (select(func.count(), func.coalesce(func.sum(per_org.c.n), 0), func.coalesce(func.sum(per_org.c.rating), 0),
                       func.count(per_org.c.rating), Organization.id.label("key"), Organization.name.label("label"))
                .join(Organization, Organization.id == per_org.c.org)
                .group_by(Organization.id, Organization.name).order_by(Organization.id))
    elif group_by == "sector":
        # Likewise once in a sector (机关, 街道社区, …) however many of its organisations took part.
        per_sector = (select(parts.c.booking_id, Organization.sector.label("sector"), func.sum(parts.c.n).label("n"),
                             func.max(parts.c.rating).label("rating"))
                      .join(Branch, Branch.id == parts.c.branch_id)
                      .join(Organization, Organization.id == Branch.organization_id)
                      .group_by(parts.c.booking_id, Organization.sector).subquery("per_sector"))
        stmt = (select(func.count(), func.coalesce(func.sum(per_sector.c.n), 0),
                       func.coalesce(func.sum(per_sector.c.rating), 0), func.count(per_sector.c.rating),
                       per_sector.c.sector.label("key"), per_sector.c.sector.label("label"))
                .group_by(per_sector.c.sector).order_by(per_sector.c.sector))
    elif by_parts:
        stmt = _grouped(base_stmt.join(Booking, Booking.id == parts.c.booking_id), group_by)
    else:
        stmt = _grouped(base_stmt, group_by)
    rows = []
    sums = [0, 0, 0, 0]
    for batches, person_times, rating_sum, rated, k, lab in db.session.execute(stmt):
        if group_by == "base_type":
            lab = BASE_TYPES.get(k, k)
        elif group_by == "sector":
            lab = SECTORS.get(k, k)
        rows.append(Row(k, lab, int(batches), int(person_times), _average(rating_sum, rated)))
        for i, v in enumerate((batches, person_times, rating_sum, rated)):
            sums[i] += int(v)
    if with_idle and group_by in ("base", "base_type") and user.role in ("admin", "manager"):
        rows = _with_idle(user, group_by, rows)
    if group_by in BY_PARTS and user.role != "secretary":
        # Organisations each count the joint visits they took part in: the total counts each visit once.
        sums = [int(v) for v in db.session.execute(
            _scope(select(func.count(Booking.id), func.coalesce(func.sum(Booking.visitor_count), 0),
                          func.coalesce(func.sum(Booking.rating), 0), func.count(Booking.rating)).where(*conditions),
                   user)).one()]
    elif group_by == "lecturer":  # visits without a lecturer count in the total too
        sums = [int(v) for v in db.session.execute(base_stmt).one()]
    # Every completed visit falls in exactly one base, type and month: those rows add up to the total (not the
    # organisations' or sectors', which each count the joint visits they took part in).
    total = Row("total", "合计", sums[0], sums[1], _average(sums[2], sums[3]))
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


def _average(rating_sum, rated) -> float | None:
    return round(int(rating_sum) / int(rated), 2) if rated else None


def export_rows(group_by: str, rows: list[Row], total: Row) -> tuple[list[str], list[list]]:
    """Chinese headers and the rows as they go into a report (the total last)."""
    header = [GROUPS[group_by], "批次", "人次", "满意度（平均分）"]
    body = [[r.label, r.batches, r.person_times, r.satisfaction if r.satisfaction is not None else ""] for r in rows]
    body.append([total.label, total.batches, total.person_times, total.satisfaction if total.satisfaction is not None else ""])
    return header, body
