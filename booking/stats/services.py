"""Statistics: batches (批次, completed visits) and person-times (人次, their visitor counts), aggregated in SQL."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from booking import permissions
from booking.errors import NotAllowed, ValidationFailed
from booking.permissions import Actor
from booking.reservations.lifecycle import ACCEPTED, COUNTED
from models import BASE_TYPES, Base, Booking, Branch, Lecturer, Organization, db

GROUPS = {"base": "基地", "base_type": "基地类型", "month": "月份", "organization": "党组织", "lecturer": "讲师"}


@dataclass
class Row:
    key: object
    label: str
    batches: int
    person_times: int
    satisfaction: float | None


def _scope(stmt, user: Actor):
    """The bookings the user sees; a lecturer's statistics count the sessions they gave (accepted)."""
    if user.role not in ("admin", "manager", "secretary", "lecturer"):
        raise NotAllowed()
    stmt = stmt.where(permissions.booking_scope(user))
    if user.role == "lecturer":
        stmt = stmt.where(Booking.lecturer_status == ACCEPTED)
    return stmt


def _month_expr():
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(Booking.day, "YYYY-MM")
    return func.substr(Booking.day, 1, 7)  # SQLite keeps dates as 'YYYY-MM-DD' text; cheaper than strftime


def compute(user: Actor, group_by: str, start: date | None = None, end: date | None = None,
            with_idle: bool = False) -> tuple[list[Row], Row]:
    """Rows per group (only groups with a batch, ordered by key; `with_idle` adds zero rows for the bases or base
    types in an admin's or manager's care that had none) and the total, for the user's scope."""
    if group_by not in GROUPS:
        raise ValidationFailed({"group_by": f"分组方式应为 {'、'.join(GROUPS)} 之一。"})
    if start and end and end < start:
        raise ValidationFailed({"to": "截止日期不能早于起始日期。"})
    measures = (func.count(Booking.id), func.coalesce(func.sum(Booking.visitor_count), 0),
                func.coalesce(func.sum(Booking.rating), 0), func.count(Booking.rating))
    base_stmt = select(*measures).where(Booking.status == COUNTED)
    if start:
        base_stmt = base_stmt.where(Booking.day >= start)
    if end:
        base_stmt = base_stmt.where(Booking.day <= end)
    base_stmt = _scope(base_stmt, user)

    if group_by == "base":
        key, label = Base.id, Base.name
        stmt = base_stmt.join(Base, Base.id == Booking.base_id)
    elif group_by == "base_type":
        key, label = Base.type, Base.type
        stmt = base_stmt.join(Base, Base.id == Booking.base_id)
    elif group_by == "month":
        key = _month_expr()
        label = key
        stmt = base_stmt
    elif group_by == "organization":
        key, label = Organization.id, Organization.name
        stmt = base_stmt.join(Branch, Branch.id == Booking.branch_id).join(Organization, Organization.id == Branch.organization_id)
    else:
        key, label = Lecturer.id, Lecturer.name
        stmt = base_stmt.join(Lecturer, Lecturer.id == Booking.lecturer_id).where(Booking.lecturer_status == ACCEPTED)
    stmt = stmt.add_columns(key.label("key"), label.label("label")).group_by(key, label).order_by(key)
    rows = []
    sums = [0, 0, 0, 0]
    for batches, person_times, rating_sum, rated, k, lab in db.session.execute(stmt):
        if group_by == "base_type":
            lab = BASE_TYPES.get(k, k)
        rows.append(Row(k, lab, int(batches), int(person_times), _average(rating_sum, rated)))
        for i, v in enumerate((batches, person_times, rating_sum, rated)):
            sums[i] += int(v)
    if with_idle and group_by in ("base", "base_type") and user.role in ("admin", "manager"):
        rows = _with_idle(user, group_by, rows)
    if group_by == "lecturer":  # visits without a lecturer count in the total too
        sums = [int(v) for v in db.session.execute(base_stmt).one()]
    # Every completed visit falls in exactly one base, type, month and organisation: the rows add up to the total.
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
