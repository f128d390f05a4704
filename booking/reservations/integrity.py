"""The integrity checker: what the bookings say must be what the counters and plans say.

Every slot's counter holds exactly the live headcounts of its bookings (the host's and every invited or accepted
partner's, waitlist promotions included) and never more than its capacity; every booking's `partner_headcount` is
the sum of its holding partners; every booking has its history; no lecturer holds two overlapping assignments;
every `booked` series occurrence has its booking; no branch's roster is longer than its part of the headcount;
the months kept per branch and per area (`branch_months`, `area_months`) are what the completed base visits add
up to.
Each check is one grouped query, so it runs over a million bookings. `repair` recomputes the counters (and the
months) from the bookings under the rows' locks and audits what it changed.
Run by `flask --app app check-integrity` and after every concurrency test.
"""
from dataclasses import dataclass

from sqlalchemy import and_, func, literal, or_, select, text, union_all, update
from sqlalchemy.orm import aliased

from booking import audit, clock
from booking.reservations.states import (COUNTED, ENGAGING_LECTURER, HOLDING_LECTURER, HOLDING_PARTNER, LIVE,
                                         ON_THE_DAY, OccurrenceStatus)
from booking.stats.services import month_expr
from models import (AreaMonth, Booking, BookingEvent, BookingPartner, Branch, BranchMonth, Lecture, LectureRequest,
                    Organization, RosterEntry, SeriesOccurrence, SlotOccupancy, db)
from models.lecture import LectureStatus
from models.lecture_request import RequestStatus

DISPATCHED_REQUEST = RequestStatus.DISPATCHED.value  # a request whose lecturer holds its time


@dataclass(frozen=True)
class Mismatch:
    """One thing that does not hold, in words an operator reads."""

    kind: str
    text: str


def _values(statuses) -> list[str]:
    return [s.value for s in statuses]


def _live_places():
    """(venue_id, starts_at, places) of the places held: every booking that holds its slot (live ones, and visits
    that happened or were missed, which keep their count) with its invited or accepted partners."""
    host = select(Booking.venue_id, Booking.starts_at, Booking.headcount.label("places")).where(
        Booking.status.in_(_values(ON_THE_DAY)), Booking.venue_id.is_not(None))  # at the branch's place: no slot
    partner = (select(Booking.venue_id, Booking.starts_at, BookingPartner.headcount.label("places"))
               .join(BookingPartner, BookingPartner.booking_id == Booking.id)
               .where(Booking.status.in_(_values(ON_THE_DAY)), BookingPartner.status.in_(_values(HOLDING_PARTNER))))
    places = union_all(host, partner).subquery()
    return (select(places.c.venue_id, places.c.starts_at, func.sum(places.c.places).label("places"))
            .group_by(places.c.venue_id, places.c.starts_at).subquery())


def _slot_mismatches() -> list[tuple[int, object, int, int, int]]:
    """(venue_id, starts_at, held, live places, capacity) of every slot whose counter is not its live places,
    or whose places exceed its capacity; a slot with live places but no counter row shows held None."""
    live = _live_places()
    occ = SlotOccupancy
    counted = (select(occ.venue_id, occ.starts_at, occ.held, func.coalesce(live.c.places, 0), occ.capacity)
               .outerjoin(live, and_(live.c.venue_id == occ.venue_id, live.c.starts_at == occ.starts_at))
               .where((occ.held != func.coalesce(live.c.places, 0)) | (occ.held > occ.capacity)))
    missing = (select(live.c.venue_id, live.c.starts_at, literal(None), live.c.places, literal(None))
               .outerjoin(occ, and_(live.c.venue_id == occ.venue_id, live.c.starts_at == occ.starts_at))
               .where(occ.id.is_(None), live.c.places > 0))
    return [tuple(r) for r in db.session.execute(counted)] + [tuple(r) for r in db.session.execute(missing)]


def _partner_sums():
    return (select(BookingPartner.booking_id, func.sum(BookingPartner.headcount).label("places"))
            .where(BookingPartner.status.in_(_values(HOLDING_PARTNER))).group_by(BookingPartner.booking_id)
            .subquery())


def _partner_mismatches() -> list[tuple[int, int, int]]:
    """(booking id, partner_headcount, the holding partners' sum) where they differ."""
    sums = _partner_sums()
    rows = db.session.execute(
        select(Booking.id, Booking.partner_headcount, func.coalesce(sums.c.places, 0))
        .outerjoin(sums, sums.c.booking_id == Booking.id)
        .where(Booking.partner_headcount != func.coalesce(sums.c.places, 0)).order_by(Booking.id))
    return [tuple(r) for r in rows]


def _roster_overflows() -> list[tuple[int, int, int, int]]:
    """(booking id, branch id, roster entries, headcount) of every branch part whose roster is longer than its
    headcount: the host's part against the booking's headcount, a taking-part partner's against its own."""
    parts = (select(RosterEntry.booking_id, RosterEntry.branch_id, func.count().label("n"))
             .group_by(RosterEntry.booking_id, RosterEntry.branch_id).subquery())
    host = (select(parts.c.booking_id, parts.c.branch_id, parts.c.n, Booking.headcount)
            .join(Booking, and_(Booking.id == parts.c.booking_id, Booking.branch_id == parts.c.branch_id))
            .where(parts.c.n > Booking.headcount))
    partner = (select(parts.c.booking_id, parts.c.branch_id, parts.c.n, BookingPartner.headcount)
               .join(BookingPartner, and_(BookingPartner.booking_id == parts.c.booking_id,
                                          BookingPartner.branch_id == parts.c.branch_id))
               .where(parts.c.n > BookingPartner.headcount))
    rows = db.session.execute(union_all(host, partner).limit(1000))
    return sorted(tuple(r) for r in rows)


def _month_mismatches(table=BranchMonth) -> list[tuple[int, str, tuple, tuple]]:
    """(key, month, kept, counted) of every branch's month (`branch_months`), or every area's (`area_months`: its
    organisations' branches'), whose kept figures (batches, person-times, rating sum, rated) are not what the
    completed base visits add up to; two grouped reads."""
    month = month_expr()
    if table is BranchMonth:
        key, stmt = Booking.branch_id, select(Booking.branch_id)
    else:
        key = Organization.area_id
        stmt = (select(key).select_from(Booking).join(Branch, Branch.id == Booking.branch_id)
                .join(Organization, Organization.id == Branch.organization_id))
    counted = {(b, m): tuple(int(v) for v in rest) for b, m, *rest in db.session.execute(
        stmt.add_columns(month, func.count(), func.coalesce(func.sum(Booking.visitor_count), 0),
                         func.coalesce(func.sum(Booking.rating), 0), func.count(Booking.rating))
        .where(Booking.status == COUNTED, Booking.base_id.is_not(None)).group_by(key, month))}
    own = table.branch_id if table is BranchMonth else table.area_id
    kept = {(b, mo): (n, p, r, k) for b, mo, n, p, r, k in db.session.execute(
        select(own, table.month, table.batches, table.person_times, table.rating_sum, table.rated))}
    nothing = (0, 0, 0, 0)
    return [(b, mo, kept.get((b, mo), nothing), counted.get((b, mo), nothing))
            for b, mo in sorted(set(counted) | set(kept)) if kept.get((b, mo), nothing) != counted.get((b, mo), nothing)]


def check() -> list[Mismatch]:
    """Every mismatch found, in a stable order; empty when everything holds."""
    found: list[Mismatch] = []
    for venue_id, start, held, places, capacity in _slot_mismatches():
        when = clock.when(start)
        if held is None:
            found.append(Mismatch("slot", f"场馆 {venue_id} {when}：预约占 {places} 个名额，但没有名额计数。"))
        elif held != places:
            found.append(Mismatch("slot", f"场馆 {venue_id} {when}：计数 {held}，预约合计 {places}（容量 {capacity}）。"))
        else:
            found.append(Mismatch("slot", f"场馆 {venue_id} {when}：已占 {held}，超过容量 {capacity}。"))
    for booking_id, recorded, actual in _partner_mismatches():
        found.append(Mismatch("partners", f"预约 {booking_id}：共建人数记为 {recorded}，有效共建支部合计 {actual}。"))

    no_history = db.session.scalars(
        select(Booking.id).where(~select(BookingEvent.id).where(BookingEvent.booking_id == Booking.id).exists())
        .order_by(Booking.id).limit(1000)).all()
    for booking_id in no_history:
        found.append(Mismatch("history", f"预约 {booking_id}：没有任何历史记录。"))

    # A lecturer in two places at once: two engaging bookings holding the lecturer whose times overlap.
    other = aliased(Booking)
    holding = (Booking.lecturer_status.in_(_values(HOLDING_LECTURER)), Booking.status.in_(_values(ENGAGING_LECTURER)))
    overlaps = db.session.execute(
        select(Booking.lecturer_id, Booking.id, other.id)
        .join(other, and_(other.lecturer_id == Booking.lecturer_id, other.id > Booking.id,
                          other.starts_at < Booking.ends_at, Booking.starts_at < other.ends_at))
        .where(*holding, other.lecturer_status.in_(_values(HOLDING_LECTURER)),
               other.status.in_(_values(ENGAGING_LECTURER)),
               # the bookings of one open lecture share its one session
               or_(Booking.lecture_id.is_(None), other.lecture_id.is_(None), Booking.lecture_id != other.lecture_id))
        .order_by(Booking.lecturer_id, Booking.id).limit(1000)).all()
    for lecturer_id, first, second in overlaps:
        found.append(Mismatch("lecturer", f"讲师 {lecturer_id}：预约 {first} 与 {second} 时间重叠。"))
    # A lecture request dispatched to a lecturer holds the time too: against their bookings and other requests.
    sent, later = aliased(LectureRequest), aliased(LectureRequest)
    against_bookings = db.session.execute(
        select(sent.lecturer_id, sent.id, Booking.id)
        .join(Booking, and_(Booking.lecturer_id == sent.lecturer_id, Booking.starts_at < sent.ends_at,
                            sent.starts_at < Booking.ends_at))
        .where(sent.status == DISPATCHED_REQUEST, *holding).order_by(sent.id).limit(1000)).all()
    for lecturer_id, request_id, booking_id in against_bookings:
        found.append(Mismatch("lecturer", f"讲师 {lecturer_id}：点单 {request_id} 与预约 {booking_id} 时间重叠。"))
    between_requests = db.session.execute(
        select(sent.lecturer_id, sent.id, later.id)
        .join(later, and_(later.lecturer_id == sent.lecturer_id, later.id > sent.id, later.starts_at < sent.ends_at,
                          sent.starts_at < later.ends_at))
        .where(sent.status == DISPATCHED_REQUEST, later.status == DISPATCHED_REQUEST).order_by(sent.id).limit(1000)).all()
    for lecturer_id, first, second in between_requests:
        found.append(Mismatch("lecturer", f"讲师 {lecturer_id}：点单 {first} 与 {second} 时间重叠。"))

    # An open lecture holds its lecturer's time once: against bookings not of it, requests and other lectures.
    lecture, later_lecture = aliased(Lecture), aliased(Lecture)
    lecture_holds = (lecture.status == LectureStatus.PUBLISHED.value,
                     lecture.lecturer_status.in_(_values(HOLDING_LECTURER)))
    lecture_clashes = db.session.execute(union_all(
        select(lecture.lecturer_id, lecture.id, literal("预约"), Booking.id)
        .join(Booking, and_(Booking.lecturer_id == lecture.lecturer_id, Booking.starts_at < lecture.ends_at,
                            lecture.starts_at < Booking.ends_at,
                            or_(Booking.lecture_id.is_(None), Booking.lecture_id != lecture.id)))
        .where(*lecture_holds, *holding),
        select(lecture.lecturer_id, lecture.id, literal("点单"), sent.id)
        .join(sent, and_(sent.lecturer_id == lecture.lecturer_id, sent.starts_at < lecture.ends_at,
                         lecture.starts_at < sent.ends_at))
        .where(*lecture_holds, sent.status == DISPATCHED_REQUEST),
        select(lecture.lecturer_id, lecture.id, literal("讲习活动"), later_lecture.id)
        .join(later_lecture, and_(later_lecture.lecturer_id == lecture.lecturer_id, later_lecture.id > lecture.id,
                                  later_lecture.starts_at < lecture.ends_at, lecture.starts_at < later_lecture.ends_at))
        .where(*lecture_holds, later_lecture.status == LectureStatus.PUBLISHED.value,
               later_lecture.lecturer_status.in_(_values(HOLDING_LECTURER)))).limit(1000)).all()
    for lecturer_id, lecture_id, kind, other_id in lecture_clashes:
        found.append(Mismatch("lecturer", f"讲师 {lecturer_id}：讲习活动 {lecture_id} 与{kind} {other_id} 时间重叠。"))

    # A branch in two places at once: an activity at its own place overlapping another live one of the branch.
    clashes = db.session.execute(
        select(Booking.branch_id, Booking.id, other.id)
        .join(other, and_(other.branch_id == Booking.branch_id, other.id != Booking.id,
                          other.starts_at < Booking.ends_at, Booking.starts_at < other.ends_at))
        .where(Booking.base_id.is_(None), Booking.status.in_(_values(LIVE)), other.status.in_(_values(LIVE)),
               or_(other.base_id.is_not(None), other.id > Booking.id))
        .order_by(Booking.branch_id, Booking.id).limit(1000)).all()
    for branch_id, first, second in clashes:
        found.append(Mismatch("branch", f"党支部 {branch_id}：活动 {first} 与 {second} 时间重叠。"))

    # A roster longer than the part of the branch that brings it: the host's headcount, or the partner's.
    for booking_id, branch_id, on_roster, headcount in _roster_overflows():
        found.append(Mismatch("roster", f"预约 {booking_id}：党支部 {branch_id} 的参加人员 {on_roster} 人，超过其预约人数 "
                                        f"{headcount} 人。"))

    orphans = db.session.execute(
        select(SeriesOccurrence.id, SeriesOccurrence.series_id, SeriesOccurrence.day)
        .outerjoin(Booking, Booking.id == SeriesOccurrence.booking_id)
        .where(SeriesOccurrence.status == OccurrenceStatus.BOOKED.value, Booking.id.is_(None))
        .order_by(SeriesOccurrence.id).limit(1000)).all()
    for occurrence_id, series_id, day in orphans:
        found.append(Mismatch("series", f"固定预约 {series_id} 的 {day.isoformat()}：标为已预约，但没有对应的预约。"))
    for branch_id, month, kept, actual in _month_mismatches():
        found.append(Mismatch("figures", f"党支部 {branch_id} {month}：记下的批次、人次、评分和、评分数 {kept}，"
                                         f"按预约应为 {actual}。"))
    for area_id, month, kept, actual in _month_mismatches(AreaMonth):
        found.append(Mismatch("figures", f"属地 {area_id} {month}：记下的批次、人次、评分和、评分数 {kept}，"
                                         f"按预约应为 {actual}。"))
    return found


def summary() -> str:
    """The `ok` line's figures: how much was checked."""
    slots = db.session.scalar(select(func.count()).select_from(SlotOccupancy)) or 0
    bookings = db.session.scalar(select(func.count()).select_from(Booking)) or 0
    return f"{slots} slots, {bookings} bookings"


def repair(actor=None) -> list[str]:
    """Recompute every booking's partner_headcount and every slot's counter from the bookings, under the rows'
    locks, in one transaction; audit and return what changed. A slot whose live places exceed its capacity is left
    for a person to decide (the CHECK forbids the count) and reported."""
    changed: list[str] = []
    # Every writer of places takes its booking's row and then the slot's counter row before it commits (the same order here): holding them all (a row lock each on
    # PostgreSQL; on SQLite this first write takes the database's write lock), nothing moves while we count.
    db.session.execute(update(Booking).where(Booking.status.in_(_values(LIVE)))
                       .values(partner_headcount=Booking.partner_headcount)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(SlotOccupancy).values(held=SlotOccupancy.held)
                       .execution_options(synchronize_session=False))
    for booking_id, recorded, actual in _partner_mismatches():
        db.session.execute(update(Booking).where(Booking.id == booking_id).values(partner_headcount=actual)
                           .execution_options(synchronize_session=False))
        changed.append(f"预约 {booking_id} 共建人数 {recorded} → {actual}")
    # The months kept per branch, recounted while no booking's change can reach them: PostgreSQL's table lock waits
    # for every transaction that has written one and holds back the next (SQLite: the write lock is already ours).
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE branch_months, area_months IN EXCLUSIVE MODE"))
    for table, name in ((BranchMonth, "党支部"), (AreaMonth, "属地")):
        own = table.branch_id if table is BranchMonth else table.area_id
        for key, month, kept, actual in _month_mismatches(table):
            values = dict(zip(("batches", "person_times", "rating_sum", "rated"), actual))
            if db.session.get(table, (key, month)) is None:
                db.session.add(table(**{own.key: key}, month=month, **values))
            else:
                db.session.execute(update(table).where(own == key, table.month == month).values(**values)
                                   .execution_options(synchronize_session=False))
            changed.append(f"{name} {key} {month} 月度数字 {kept} → {actual}")
        db.session.flush()
    for venue_id, start, held, places, capacity in _slot_mismatches():
        if held is None:
            continue  # a live booking always makes its counter; none to correct here (reported by check)
        if places > capacity:
            changed.append(f"场馆 {venue_id} {clock.when(start)} 预约 {places} 超过容量 {capacity}，需人工处理")
            continue
        db.session.execute(update(SlotOccupancy).where(SlotOccupancy.venue_id == venue_id,
                                                       SlotOccupancy.starts_at == start).values(held=places)
                           .execution_options(synchronize_session=False))
        changed.append(f"场馆 {venue_id} {clock.when(start)} 名额计数 {held} → {places}")
    if changed:
        audit.record(actor, "integrity_repaired", "slot", None, "；".join(changed))
    db.session.commit()
    return changed
