"""The district's report (工作总结的数据) and its watch list (监督预警), from SQL aggregates in one scope.

Every figure of the summary for a period comes from here: the page, the API, the Word document and the big screen
read the same `Summary`. Batches, person-times and satisfaction are the statistics' own numbers (`stats.compute`),
so the report and the statistics page never disagree. An admin sees the district, a manager their bases.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, distinct, func, or_, select

from booking import clock, permissions
from booking.areas import services as areas
from booking.errors import NotAllowed, ValidationFailed
from booking.lecturers import services as lecturers
from booking.permissions import Actor
from booking.requests import services as lecture_requests
from booking.reservations.states import ACCEPTED, COUNTED, PENDING, TAKING_PART
from booking.stats import services as stats
from models import (BASE_TYPES, CATEGORIES, LECTURER_CATEGORIES, SECTORS, Base, Booking, BookingPartner, Branch,
                    Lecturer, MenuItem, Organization, db)

STALE_PENDING_DAYS = 2


@dataclass
class Cover:
    """What a report covers: the bases (None: the district's, all of them), the reader of their visits' figures,
    its name in sentences, and the area read (an admin's `area_id`, an area administrator's own or asked area)."""

    bases: list[int] | None
    reader: object
    label: str
    area: object = None

    @property
    def district(self) -> bool:
        return self.bases is None

    def in_scope(self, column):
        return column.in_(self.bases) if self.bases is not None else True


class AtBases:
    """The visits the given bases received, read as their manager would (the report of an area's bases)."""

    role = "manager"
    is_authenticated = True
    id = branch_id = lecturer_id = area_id = area_path = None

    def __init__(self, base_ids: list[int]):
        self.base_ids = base_ids


def cover_of(actor: Actor, area_id=None) -> Cover:
    """The report's scope: the district (an admin), an area's bases (an area administrator's own area, or the
    area an admin or area administrator asks for: `areas.readable`), a manager's own bases."""
    if getattr(actor, "role", None) not in ("admin", "area_admin", "manager"):
        raise NotAllowed("只有区委组织部、街道社区管理员和基地管理员可以查看报表。")
    area = areas.readable(actor, area_id) or areas.own_area(actor)
    if area is not None:
        bases = list(db.session.scalars(areas.bases_under(area.path))) or [-1]
        return Cover(bases, AtBases(bases), area.name, area)
    if actor.role == "area_admin":
        raise NotAllowed()
    if permissions.is_admin(actor):
        return Cover(None, actor, "全区")
    bases = list(actor.base_ids or [-1])
    return Cover(bases, actor, "、".join(db.session.scalars(select(Base.name).where(Base.id.in_(bases))
                                                          .order_by(Base.id))))


def period(start: date | None, end: date | None, today: date | None = None) -> tuple[date, date]:
    """The report's period: both ends inclusive, this year so far by default; a reversed one is refused (422)."""
    today = today or clock.local_today()
    start = start or date(today.year, 1, 1)
    end = end or max(today, start)
    if end < start:
        raise ValidationFailed({"to": "截止日期不能早于起始日期。"})
    if (end - start).days > 366 * 10:
        raise ValidationFailed({"from": "统计期间最长十年。"})
    return start, end


def year_earlier(day: date) -> date:
    """The same day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass
class Figures:
    batches: int
    person_times: int


@dataclass
class Summary:
    """What a work report quotes for one period, in one scope."""

    start: date
    end: date
    scope_label: str
    bases_total: int
    bases_by_type: dict[str, int]
    items_total: int
    items_by_category: dict[str, int]
    lecturers_total: int
    lecturers_by_category: dict[str, int]
    batches: int
    person_times: int
    branches_served: int
    by_sector: list[stats.Row]
    lecture_sessions: int
    lecture_participants: int
    by_source: dict[str, Figures]
    satisfaction: float | None
    requests: lecture_requests.Counts
    by_base: list[stats.Row] = field(default_factory=list)
    # Whether the system holds records from the period's start: a period before the first visit recorded here has
    # nothing to compare with (its zeros are not the district's, only the system's).
    covered: bool = True
    district: bool = True  # the district's report (an admin's), not a base's or an area's
    area_id: int | None = None  # the area whose bases it covers

    @property
    def period_text(self) -> str:
        return f"{clock.day_text(self.start)}至{clock.day_text(self.end)}"


def _figures(line: list[int]) -> tuple[int, int, float | None]:
    """A stats row's batches, person-times and satisfaction from [batches, person_times, rating_sum, rated]."""
    return line[0], line[1], stats.average(line[2], line[3])


def _counts(stmt, keys) -> dict[str, int]:
    found = dict(db.session.execute(stmt).all())
    return {k: int(found.get(k, 0)) for k in keys}


def summary(actor: Actor, start: date | None = None, end: date | None = None, area_id=None) -> Summary:
    """The figures of the period for the actor's scope, or the area asked (see the module and `cover_of`)."""
    cover = cover_of(actor, area_id)
    bases, in_scope = cover.bases, cover.in_scope
    start, end = period(start, end)
    by_type = _counts(select(Base.type, func.count()).where(Base.active.is_(True), in_scope(Base.id))
                      .group_by(Base.type), BASE_TYPES)
    by_category = _counts(select(MenuItem.category, func.count()).join(Base, Base.id == MenuItem.base_id)
                          .where(MenuItem.active.is_(True), Base.active.is_(True), in_scope(MenuItem.base_id))
                          .group_by(MenuItem.category), CATEGORIES)
    counted = (*stats.counted(start, end), in_scope(Booking.base_id))
    if bases is None:  # the district's pool of volunteer lecturers
        pool = select(Lecturer.category, func.count()).where(Lecturer.active.is_(True)).group_by(Lecturer.category)
    else:  # a base's: the lecturers who gave its sessions in the period
        gave = select(distinct(Booking.lecturer_id)).where(*counted, Booking.lecturer_status == ACCEPTED)
        pool = select(Lecturer.category, func.count()).where(Lecturer.id.in_(gave)).group_by(Lecturer.category)
    by_lecturer_category = _counts(pool, LECTURER_CATEGORIES)

    # The visits of the period in one pass (and the hosts' parts by branch in another): stats.figures.
    f = stats.figures(cover.reader, start, end)
    names = dict(db.session.execute(select(Base.id, Base.name).where(Base.active.is_(True), in_scope(Base.id))).all())
    gone = [base_id for base_id in f.by_base if base_id not in names]  # a base since made inactive keeps its visits
    if gone:
        names.update(db.session.execute(select(Base.id, Base.name).where(Base.id.in_(gone))).all())
    by_base = [stats.Row(i, names[i], *_figures(f.by_base.get(i, [0, 0, 0, 0]))) for i in sorted(names)]
    total = [sum(v[i] for v in f.by_base.values()) for i in range(4)]
    by_sector = [stats.Row(k, SECTORS.get(k, k), *_figures(f.by_sector[k])) for k in sorted(f.by_sector)
                 if f.by_sector[k][0]]
    by_source = {source: Figures(*v) for source, v in f.by_source.items()}
    # Lectures the branches ordered (点单) are the district's: a base's report counts its own sessions only.
    asked = lecture_requests.district_counts(cover.reader, start, end, cover.area) or lecture_requests.Counts(0, 0, [], 0, 0)
    return Summary(
        start=start, end=end, scope_label=cover.label,
        bases_total=sum(by_type.values()), bases_by_type=by_type,
        items_total=sum(by_category.values()), items_by_category=by_category,
        lecturers_total=sum(by_lecturer_category.values()), lecturers_by_category=by_lecturer_category,
        batches=total[0], person_times=total[1], branches_served=sum(1 for v in f.by_branch.values() if v[0]),
        by_sector=by_sector, lecture_sessions=f.lectures[0] + asked.sessions,
        lecture_participants=f.lectures[1] + asked.participants, requests=asked,
        by_source=by_source, satisfaction=stats.average(total[2], total[3]), by_base=by_base,
        district=cover.district, area_id=cover.area.id if cover.area is not None else None)


def with_year_earlier(actor: Actor, start: date | None = None, end: date | None = None,
                      area_id=None) -> tuple[Summary, Summary]:
    """The period's summary and the same period a year earlier."""
    now = summary(actor, start, end, area_id)
    before = summary(actor, year_earlier(now.start), year_earlier(now.end), area_id)
    first = db.session.scalar(select(func.min(Booking.day)))
    before.covered = first is not None and first <= before.start
    return now, before


def sectors_side_by_side(now: Summary, before: Summary) -> dict:
    """The sectors either period counted, in the sectors' order, with both periods' batches (for one chart)."""
    this = {r.key: r.batches for r in now.by_sector}
    that = {r.key: r.batches for r in before.by_sector}
    keys = [k for k in SECTORS if k in this or k in that]
    return {"labels": [SECTORS[k] for k in keys], "now": [this.get(k, 0) for k in keys],
            "before": [that.get(k, 0) for k in keys]}


def change_text(now: int, before: int, covered: bool = True) -> str:
    """较上年同期 …: how a figure moved against the same period a year earlier (not compared when the system has
    no records from then: "+1091.3%" against a year before the first visit recorded here says nothing)."""
    if not covered:
        return "上年同期本系统尚无完整记录，不作比较"
    if before == 0:
        return "上年同期为 0" if now else "与上年同期持平"
    diff = now - before
    if diff == 0:
        return "与上年同期持平"
    return f"较上年同期{'增加' if diff > 0 else '减少'} {abs(diff)}（{diff / before:+.1%}）"


# -- the watch list --------------------------------------------------------------------------------

def _took_part(branch_column, conditions):
    """Whether the branch took part (host or accepted partner) in a counted visit meeting `conditions`."""
    hosted = select(Booking.id).where(Booking.branch_id == branch_column, Booking.status == COUNTED, *conditions)
    joined = (select(BookingPartner.id).join(Booking, Booking.id == BookingPartner.booking_id)
              .where(BookingPartner.branch_id == branch_column, BookingPartner.status == TAKING_PART.value,
                     Booking.status == COUNTED, *conditions))
    return or_(hosted.exists(), joined.exists())


def _last_activity(branch_column):
    """The day of the branch's last completed visit ever, hosted or joined (None: never)."""
    last_hosted = (select(func.max(Booking.day)).where(Booking.branch_id == branch_column, Booking.status == COUNTED)
                   .scalar_subquery())
    last_joined = (select(func.max(Booking.day)).join(BookingPartner, BookingPartner.booking_id == Booking.id)
                   .where(BookingPartner.branch_id == branch_column, BookingPartner.status == TAKING_PART.value,
                          Booking.status == COUNTED).scalar_subquery())
    return case((last_hosted.is_(None), last_joined), (last_joined.is_(None), last_hosted),
                (last_hosted > last_joined, last_hosted), else_=last_joined)


def inactive_branches_query(actor: Actor, start: date, end: date, area_id=None):
    """Active branches with no completed visit in the period (the district's for an admin, an area's for the admin
    or its area administrator: `areas.readable`), the longest idle first (never, then the longest ago).
    `last_activities` gives each one's last day."""
    if not (permissions.is_admin(actor) or permissions.is_area_admin(actor)):
        raise NotAllowed("只有区委组织部和街道社区管理员可以查看支部活动预警。")
    area = areas.readable(actor, area_id) or areas.own_area(actor)
    start, end = period(start, end)
    last = _last_activity(Branch.id)
    stmt = (select(Branch).join(Organization, Organization.id == Branch.organization_id)
            .where(Branch.active.is_(True), ~_took_part(Branch.id, (Booking.day >= start, Booking.day <= end))))
    if area is not None:
        stmt = stmt.where(Organization.area_id.in_(areas.under(area.path)))
    return stmt.order_by(last.is_not(None), last, Branch.id)


def last_activities(branch_ids: list[int]) -> dict[int, date | None]:
    """The day of each branch's last completed visit (None: never), for a page of the watch list."""
    if not branch_ids:
        return {}
    return dict(db.session.execute(select(Branch.id, _last_activity(Branch.id)).where(Branch.id.in_(branch_ids))).all())


@dataclass
class Watch:
    """What needs a look: counts with the first few of each."""

    idle_branches: int
    idle_bases: list
    stale_pending: list
    busy_lecturers: list
    first_idle: list = field(default_factory=list)
    waiting_requests: list = field(default_factory=list)  # lecture requests untouched for days (the district's)

    @property
    def total(self) -> int:
        return (self.idle_branches + len(self.idle_bases) + len(self.stale_pending) + len(self.busy_lecturers)
                + len(self.waiting_requests))


def watch(actor: Actor, start: date | None = None, end: date | None = None, now: datetime | None = None,
          area_id=None) -> Watch:
    """The watch list of the actor's scope (`cover_of`): idle branches and lecture requests waiting more than three
    days for a dispatcher or a lecturer (the district's or an area's), bases with no visit in the period, requests
    waiting more than two days, lecturers at or over their monthly limit."""
    cover = cover_of(actor, area_id)
    bases, in_scope = cover.bases, cover.in_scope
    now = now or clock.now()
    start, end = period(start, end, clock.local_today(now))
    # Per base, one seek in ix_bookings_base_counted: as cheap with a million bookings as with ten thousand.
    visited = select(Booking.id).where(Booking.base_id == Base.id, *stats.counted(start, end)).exists()
    idle_bases = db.session.scalars(select(Base).where(Base.active.is_(True), in_scope(Base.id), ~visited)
                                    .order_by(Base.id)).all()
    stale = db.session.scalars(select(Booking).where(
        Booking.status == PENDING, Booking.created_at <= now - timedelta(days=STALE_PENDING_DAYS),
        Booking.starts_at > now, in_scope(Booking.base_id)).order_by(Booking.created_at).limit(50)).all()
    first, last = _month(clock.local(now).date())
    # Counted as the limit is (`sessions_in_month`: an open lecture once), for the lecturers who have one.
    limited = {x.id: x for x in db.session.scalars(select(Lecturer).where(Lecturer.monthly_limit.is_not(None)))}
    sessions = lecturers.sessions_in_month(now, only=limited) if limited else {}
    busy = [(limited[i], n) for i, n in sorted(sessions.items()) if n >= limited[i].monthly_limit]
    if bases is not None:  # a manager: the lecturers engaged at their bases
        mine = set(db.session.scalars(select(Booking.lecturer_id).where(
            in_scope(Booking.base_id), Booking.day >= first, Booking.day <= last, Booking.lecturer_id.is_not(None))))
        busy = [row for row in busy if row[0].id in mine]
    idle, first_idle, waiting = 0, [], []
    if cover.district or cover.area is not None:
        query = inactive_branches_query(actor, start, end, cover.area.id if cover.area is not None else None)
        idle = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        first_idle = db.session.scalars(query.limit(5)).all()
        waiting = lecture_requests.waiting_too_long(now, area_path=cover.area.path if cover.area is not None else None)
    return Watch(idle_branches=idle, idle_bases=list(idle_bases), stale_pending=list(stale),
                 busy_lecturers=[(lecturer, int(n)) for lecturer, n in busy], first_idle=first_idle,
                 waiting_requests=waiting)


@dataclass
class ReportPage:
    """What the report page shows: the period beside a year earlier, the watch list's counts, both periods by
    sector for the chart, and whether the reader may set up the big screen."""
    now: Summary
    before: Summary
    watch: Watch
    sectors: dict
    may_set_up_screen: bool


def report_page(actor: Actor, start: date | None = None, end: date | None = None, area_id=None) -> ReportPage:
    """The report page's figures for a period (the default period for a missing end)."""
    now, before = with_year_earlier(actor, start, end, area_id)
    return ReportPage(now=now, before=before, watch=watch(actor, now.start, now.end, area_id=area_id),
                      sectors=sectors_side_by_side(now, before), may_set_up_screen=permissions.keeps_branches(actor))


@dataclass
class WatchPage:
    """The watch list's page: its period, what needs a look, and (the district only) the idle branches to list."""
    start: date
    end: date
    watch: Watch
    idle_branches: object  # a statement to page through, or None where the reader sees no branches' list


def watch_page(actor: Actor, start: date | None = None, end: date | None = None, area_id=None) -> WatchPage:
    """The watch list for a period (the default period for a missing end)."""
    start, end = period(start, end)
    return WatchPage(start=start, end=end, watch=watch(actor, start, end, area_id=area_id),
                     idle_branches=inactive_branches_query(actor, start, end, area_id)
                     if permissions.keeps_branches(actor) else None)


def _month(day: date) -> tuple[date, date]:
    return day.replace(day=1), stats.month_end(day)


def sector_label(code: str) -> str:
    return SECTORS.get(code, code)

