"""The area administrator's landing page: the street's day (街道今日).

What a street's organisation officer looks at each morning, for its area and everything below it: the branches
idle this quarter, its branches' visits this month against the same days a year earlier, the bookings waiting
for approval at its bases and its branches' lecture requests waiting for a dispatcher, and the members short of
study hours so far this year. Every figure comes from the service that owns its rule (reports, stats, members,
requests), scoped by the one subtree condition (`areas.under`); none is a query per branch.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from booking import clock
from booking.areas import services as areas
from booking.errors import NotAllowed
from booking.members import services as members
from booking.reports import services as reports
from booking.reservations.states import PENDING
from booking.stats import services as stats
from models import Area, Booking, Branch, LectureRequest, db
from models.lecture_request import RequestStatus

FIRST = 5


@dataclass
class ShortBranch:
    branch: Branch
    short: int
    members: int


@dataclass
class StreetDay:
    area: Area
    today: date
    quarter_start: date
    idle_total: int
    idle_first: list            # branches, the longest idle first
    last_activity: dict         # branch id -> its last completed visit (None: never)
    month: stats.Row            # its branches' visits this month so far
    month_before: stats.Row     # the same days a year earlier
    pending_total: int
    pending_first: list         # bookings waiting for approval at its bases, the soonest first
    requests_waiting: int       # its branches' lecture requests waiting for a dispatcher
    short_total: int            # active members short of the year's study hours so far
    members_total: int
    short_first: list           # ShortBranch, the most short first
    children: list              # the areas directly below it


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def street_day(actor, area_id=None, today: date | None = None) -> StreetDay:
    """The day of an area: an area administrator's own (or one below it), any area for an admin (the root by
    default)."""
    if actor.role not in ("admin", "area_admin"):
        raise NotAllowed("只有区委组织部和街道社区管理员可以查看属地概况。")
    area = areas.readable(actor, area_id) or areas.own_area(actor) or areas.root()
    today = today or clock.local_today()
    quarter = _quarter_start(today)
    idle = reports.inactive_branches_query(actor, quarter, today, area.id)
    idle_total = db.session.scalar(select(func.count()).select_from(idle.order_by(None).subquery())) or 0
    idle_first = list(db.session.scalars(idle.limit(FIRST)))
    reader = stats.InArea(area)
    month_start = today.replace(day=1)
    _, now_total = stats.compute(reader, "month", month_start, today)
    _, before_total = stats.compute(reader, "month", reports.year_earlier(month_start), reports.year_earlier(today))
    # `day >= today` (implied by a start still ahead) lets the count read ix_bookings_base_counted from today on.
    pending = (select(Booking).where(Booking.status == PENDING, Booking.base_id.in_(areas.bases_under(area.path)),
                                     Booking.day >= today, Booking.starts_at > clock.now()))
    pending_total = db.session.scalar(pending.with_only_columns(func.count(Booking.id))) or 0
    pending_first = list(db.session.scalars(pending.order_by(Booking.starts_at, Booking.id).limit(FIRST)))
    requests_waiting = db.session.scalar(select(func.count(LectureRequest.id)).where(
        LectureRequest.status == RequestStatus.SUBMITTED.value,
        LectureRequest.branch_id.in_(areas.branches_under(area.path)))) or 0
    short = members.short_of_hours(areas.branches_under(area.path), today.year)
    worst = sorted(((n, total, branch_id) for branch_id, (n, total) in short.items() if n), reverse=True)[:FIRST]
    names = {b.id: b for b in db.session.scalars(select(Branch).where(Branch.id.in_([w[2] for w in worst])))}
    return StreetDay(
        area=area, today=today, quarter_start=quarter, idle_total=idle_total, idle_first=idle_first,
        last_activity=reports.last_activities([b.id for b in idle_first]), month=now_total,
        month_before=before_total, pending_total=pending_total, pending_first=pending_first,
        requests_waiting=requests_waiting, short_total=sum(n for n, _ in short.values()),
        members_total=sum(t for _, t in short.values()),
        short_first=[ShortBranch(names[b], n, t) for n, t, b in worst], children=areas.children(area))
