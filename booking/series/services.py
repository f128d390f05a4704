"""Standing monthly bookings (每月第一个星期五 14:00 的主题党日): a rule, its dates over up to a year, and what becomes
of each date. Every occurrence that is booked is an ordinary booking made through `create_booking` (the same
atomic capacity path, the same no-show block); those beyond the base's window are planned and booked by the job
`book-series` on the day their date enters it."""
import calendar as pycal
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, false, or_, select, update

from booking import clock, links, permissions
from booking.catalog import holidays
from booking.errors import (BranchBlocked, DomainError, DuplicateBooking, NotAllowed, NotASlot, NotFound,
                            OutsideBookingWindow, QuotaExceeded, SlotFull, ValidationFailed)
from booking.catalog.holidays import public_holidays, unknown_years
from booking.notify.services import notify, secretaries_of
from booking.reservations import lifecycle, states
from booking.reservations.records import OccurrenceTaken, create_booking, lecture_at, validate_fields
from booking.reservations.states import LIVE, OccurrenceStatus, SeriesStatus, values
from models import ACTIVITY_TYPES, Base, Booking, BookingSeries, MenuItem, OpeningSlot, SeriesOccurrence, db
from booking.catalog.services import availability, closed_days
from booking.reservations.services import approve_booking, cancel_booking
from models import User
from models.series import SKIP_REASONS

BOOKED, PLANNED, SKIPPED, ENDED_PLAN = (OccurrenceStatus.BOOKED, OccurrenceStatus.PLANNED, OccurrenceStatus.SKIPPED,
                                        OccurrenceStatus.CANCELLED)
log = logging.getLogger(__name__)

MAX_MONTHS = 12


def dates_of(weekday: int, week_of_month: int, first: date, last: date) -> list[date]:
    """The dates from first to last that are the rule's weekday of the given week of their month (-1: the last)."""
    out = []
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        days = [d for d in pycal.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
        pick = days[-1] if week_of_month == -1 else (days[week_of_month - 1] if week_of_month <= len(days) else None)
        if pick is not None and first <= pick <= last:
            out.append(pick)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass
class Occurrence:
    """A date of a series as a preview or the series page shows it."""

    day: date
    start: datetime
    status: str  # booked, planned, skipped (the preview says "booked" for what saving books now)
    reason: str | None = None
    booking_id: int | None = None


@dataclass
class Spec:
    item: MenuItem
    weekday: int
    week_of_month: int
    start_time: time
    first: date
    last: date
    headcount: int
    contact_name: str
    contact_phone: str
    topic: str
    activity_type: str


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + (last.month - first.month) + (1 if last.day >= first.day else 0)


def check(actor, *, menu_item_id, weekday, week_of_month, time_text, first, last, headcount, contact_name,
          contact_phone, topic="", activity_type=None, now: datetime | None = None) -> Spec:
    """The series asked for, checked: who may ask, the rule, the period (at most 12 months), a time among the
    item's slots on that weekday, the booking's own fields. ValidationFailed names every bad field."""
    now = now or clock.now()
    if not permissions.can_book_online(actor):
        raise NotAllowed("只有支部书记可以为本支部设置固定预约。")
    item = db.session.get(MenuItem, menu_item_id) if isinstance(menu_item_id, int) and not isinstance(menu_item_id, bool) else None
    errors = {}
    if item is None or not item.active or not item.base.active:
        raise ValidationFailed({"menu_item_id": "菜单项目不存在或已下架。"})
    if isinstance(weekday, bool) or weekday not in range(7):
        errors["weekday"] = "请选择星期几（0 为星期一，6 为星期日）。"
    if isinstance(week_of_month, bool) or week_of_month not in (1, 2, 3, 4, -1):
        errors["week_of_month"] = "请选择每月第几个（1–4，或 -1 表示最后一个）。"
    start_time = None
    try:
        start_time = time.fromisoformat(time_text) if isinstance(time_text, str) and len(time_text) == 5 else None
    except ValueError:
        start_time = None
    if start_time is None:
        errors["time"] = "时间应为 HH:MM，如 14:00。"
    elif "weekday" not in errors and start_time not in slot_times(item, weekday):
        times = [f"{t:%H:%M}" for t in slot_times(item, weekday)]
        errors["time"] = (f"该项目在这一天的场次是 {'、'.join(times)}，请选择其中之一。" if times
                          else "该项目在这一天没有开放的场次。")
    if not isinstance(first, date) or not isinstance(last, date):
        errors["from"] = "请填写起止日期。"
    elif last < first:
        errors["until"] = "截止日期不能早于开始日期。"
    elif first < clock.local_today(now):
        errors["from"] = "开始日期不能早于今天。"
    elif _months_between(first, last) > MAX_MONTHS:
        errors["until"] = f"固定预约最长 {MAX_MONTHS} 个月。"
    activity_type = activity_type or "theme_day"
    if activity_type not in ACTIVITY_TYPES:
        errors["activity_type"] = "活动类型无效。"
    errors.update(validate_fields(item, headcount, contact_name, contact_phone, topic, ""))
    if not errors and not dates_of(weekday, week_of_month, first, last):
        errors["week_of_month"] = "所选期间内没有符合规则的日期。"
    if errors:
        raise ValidationFailed(errors)
    return Spec(item, weekday, week_of_month, start_time, first, last, headcount, contact_name.strip(),
                contact_phone.strip(), (topic or "").strip(), activity_type)


def slot_times(item: MenuItem, weekday: int | None = None) -> list[time]:
    """The start times of the item's open weekly slots (on one weekday, or on any), in order."""
    stmt = select(OpeningSlot.start_time).where(OpeningSlot.venue_id == item.venue_id, OpeningSlot.active.is_(True))
    if weekday is not None:
        stmt = stmt.where(OpeningSlot.weekday == weekday)
    return sorted(set(db.session.scalars(stmt)))


def can_cancel(actor, series: BookingSeries) -> bool:
    """Who may cancel a series from a date on: its branch's secretary and the managers of its base."""
    own = actor.role == "secretary" and actor.branch_id == series.branch_id
    return own or permissions.manages_base(actor, series.menu_item.base_id)


def _earliest(item: MenuItem, now: datetime) -> date:
    return clock.local_today(now) + timedelta(days=item.base.min_advance_days)


def _window_end(item: MenuItem, now: datetime) -> date:
    return clock.local_today(now) + timedelta(days=item.base.max_advance_days)


def preview(spec: Spec, now: datetime | None = None) -> tuple[list[Occurrence], list[int]]:
    """What saving would do with each date, without writing anything: book it now, plan it (beyond today's
    window), or skip it and why (public holiday, closure, no such slot, full). With the years whose holidays
    are not yet known."""
    now = now or clock.now()
    days = [d for d in dates_of(spec.weekday, spec.week_of_month, spec.first, spec.last) if d >= _earliest(spec.item, now)]
    if not days:
        return [], []
    holidays = public_holidays(days[0], days[-1])
    closed = closed_days(spec.item.base_id, spec.item.venue_id, days[0], days[-1])
    out = []
    for day in days:
        start = clock.at_local(day, spec.start_time)
        if day in holidays:
            out.append(Occurrence(day, start, SKIPPED, "holiday"))
        elif day in closed:
            out.append(Occurrence(day, start, SKIPPED, "closed"))
        elif day > _window_end(spec.item, now):
            out.append(Occurrence(day, start, PLANNED))
        else:
            slot = next((s for s in availability(spec.item, day, now) if s.start == start), None)
            if slot is None:
                out.append(Occurrence(day, start, SKIPPED, "not_a_slot"))
            elif slot.remaining < spec.headcount:
                out.append(Occurrence(day, start, SKIPPED, "full"))
            else:
                out.append(Occurrence(day, start, BOOKED))
    return out, unknown_years(days[0], days[-1])


_REASONS = {SlotFull: "full", NotASlot: "not_a_slot", OutsideBookingWindow: "not_a_slot", BranchBlocked: "blocked",
            QuotaExceeded: "quota"}


def _settle(occurrence_id: int, status: OccurrenceStatus, reason: str | None = None,
            booking_id: int | None = None) -> bool:
    """Claim a planned occurrence for an outcome that makes no booking (skipped, or booked by one the branch already
    holds), in one conditional UPDATE, and commit; False when another process settled it first."""
    done = db.session.execute(
        update(SeriesOccurrence).where(SeriesOccurrence.id == occurrence_id, SeriesOccurrence.status == PLANNED.value)
        .values(status=status.value, reason=reason, booking_id=booking_id)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return done


def _book(actor, series: BookingSeries, occurrence_id: int, day: date, start: datetime, now: datetime) -> str | None:
    """Book one planned occurrence through the ordinary path, claiming it in the booking's own transaction
    (records.create_booking with `occurrence_id`), so a date is never marked booked without its booking; a refusal
    becomes the occurrence's skip reason. Returns the status it ended in (None: another process had it, or an error
    that is not the booking's left it planned, to be tried again)."""
    item = series.menu_item
    if day in public_holidays(day, day):
        return SKIPPED if _settle(occurrence_id, SKIPPED, "holiday") else None
    if lecture_at(item.venue_id, start):  # an open lecture's seats are booked one by one, not by a standing series
        return SKIPPED if _settle(occurrence_id, SKIPPED, "lecture") else None
    try:
        create_booking(actor, menu_item_id=item.id, start=start, headcount=series.headcount,
                       contact_name=series.contact_name, contact_phone=series.contact_phone, topic=series.topic,
                       activity_type=series.activity_type, series_id=series.id, occurrence_id=occurrence_id, now=now)
        return BOOKED
    except OccurrenceTaken:
        return None
    except DuplicateBooking:
        db.session.rollback()
        existing = db.session.scalar(select(Booking.id).where(
            Booking.branch_id == series.branch_id, Booking.venue_id == item.venue_id, Booking.starts_at == start,
            Booking.status.in_(values(LIVE))))
        if existing is not None:  # the branch holds it already with a booking of its own
            return BOOKED if _settle(occurrence_id, BOOKED, booking_id=existing) else None
        return SKIPPED if _settle(occurrence_id, SKIPPED, "taking_part") else None
    except DomainError as err:  # full, closed since, no such slot any more, the branch blocked: skipped, with why
        db.session.rollback()
        reason = "closed" if isinstance(err, NotASlot) and _closed(series, day) else _REASONS.get(type(err), "not_a_slot")
        return SKIPPED if _settle(occurrence_id, SKIPPED, reason) else None


def _closed(series: BookingSeries, day: date) -> bool:
    return day in closed_days(series.menu_item.base_id, series.menu_item.venue_id, day, day)


def create(actor, spec: Spec, now: datetime | None = None) -> BookingSeries:
    """Save the series: book the dates inside the window now (each its own ordinary booking), plan the later ones,
    record the skipped ones with their reasons."""
    now = now or clock.now()
    planned, _ = preview(spec, now)
    series = BookingSeries(branch_id=actor.branch_id, menu_item_id=spec.item.id, weekday=spec.weekday,
                           week_of_month=spec.week_of_month, start_time=spec.start_time, from_date=spec.first,
                           until_date=spec.last, headcount=spec.headcount, contact_name=spec.contact_name,
                           contact_phone=spec.contact_phone, topic=spec.topic, activity_type=spec.activity_type,
                           status=SeriesStatus.ACTIVE.value, created_by_id=actor.id, created_at=now)
    db.session.add(series)
    db.session.flush()
    rows = []
    for o in planned:
        # Dates inside the window are planned like the others and booked at once below, each claimed by its booking.
        status = PLANNED if o.status == BOOKED else o.status
        row = SeriesOccurrence(series_id=series.id, day=o.day, starts_at=o.start, status=status.value, reason=o.reason)
        db.session.add(row)
        rows.append((o, row))
    db.session.commit()
    series_id = series.id
    for o, row in rows:
        if o.status == BOOKED:
            _book(actor, db.session.get(BookingSeries, series_id), row.id, o.day, o.start, now)
    db.session.expire_all()
    return db.session.get(BookingSeries, series_id)


def get_visible(actor, series_id: int) -> BookingSeries:
    """A series its branch's secretary, a manager of its base or an admin may see; NotFound otherwise."""
    series = db.session.get(BookingSeries, series_id) if isinstance(series_id, int) else None
    if series is None or not (
            permissions.is_admin(actor) or (actor.role == "secretary" and actor.branch_id == series.branch_id)
            or permissions.manages_base(actor, series.menu_item.base_id)):
        raise NotFound("固定预约不存在。")
    return series


def for_branch(branch_id: int) -> list[BookingSeries]:
    """A branch's series, newest first."""
    return list(db.session.scalars(select(BookingSeries).where(BookingSeries.branch_id == branch_id)
                                   .order_by(BookingSeries.id.desc())))


@dataclass
class Cancelled:
    cancelled: list[Booking]
    kept: list[tuple[Booking, str]]


def cancel(actor, series: BookingSeries, reason: str, first: date | None = None, now: datetime | None = None) -> Cancelled:
    """Cancel every live occurrence from `first` (default today) on that the booking rules still allow the actor to
    cancel, end the planning (planned dates are cancelled), and say which bookings could not be cancelled and why."""
    now = now or clock.now()
    if not can_cancel(actor, series):
        raise NotAllowed("只有该支部书记或基地管理员可以取消固定预约。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写取消原因。"})
    if len(reason) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
    first = first or clock.local_today(now)
    done, kept = [], []
    for occurrence in list(series.occurrences):
        if occurrence.day < first:
            continue
        if occurrence.status == PLANNED:
            occurrence.status = ENDED_PLAN.value
            continue
        booking = occurrence.booking
        if occurrence.status != BOOKED or booking is None or booking.series_id != series.id:
            continue
        refusal = lifecycle.refusal("cancel", actor, booking, now)
        if booking.status not in states.LIVE:
            continue
        if refusal is not None:
            kept.append((booking, refusal.message))
            continue
        cancel_booking(actor, booking, f"取消固定预约：{reason}", now)
        done.append(booking)
    series = db.session.get(BookingSeries, series.id)
    if first <= clock.local_today(now) or not any(o.status == PLANNED for o in series.occurrences):
        series.status = SeriesStatus.ENDED.value
    db.session.commit()
    return Cancelled(done, kept)


def approvable(actor, series: BookingSeries, now: datetime | None = None) -> list[Booking]:
    """The series' own bookings the actor may approve now."""
    now = now or clock.now()
    return [o.booking for o in series.occurrences if o.booking is not None and o.booking.series_id == series.id
            and lifecycle.allows("approve", actor, o.booking, now)]


def approve_pending(actor, series: BookingSeries, now: datetime | None = None) -> int:
    """A manager approves every pending occurrence of the series in one action (each as an ordinary approval)."""
    now = now or clock.now()
    if not permissions.manages_base(actor, series.menu_item.base_id):
        raise NotAllowed("只有该基地的管理员可以审核。")
    approved = 0
    for booking in approvable(actor, series, now):
        approve_booking(actor, booking, now)
        approved += 1
    return approved


@dataclass
class SeriesPage:
    """A series as its page shows it, with what the reader may do with it."""
    series: BookingSeries
    can_approve: bool
    can_cancel: bool
    today: date


def series_page(actor, series_id: int, now: datetime | None = None) -> SeriesPage:
    """A series the actor may see, whether they may approve its pending dates or cancel the rest."""
    now = now or clock.now()
    series = get_visible(actor, series_id)
    return SeriesPage(series=series, can_approve=bool(approvable(actor, series, now)),
                      can_cancel=can_cancel(actor, series), today=clock.local_today(now))


def form_defaults(actor, item: MenuItem, now: datetime | None = None) -> dict:
    """What the new-series form starts with: from the first bookable day to the end of the sixth month after, the
    item's smallest group, the actor as the contact."""
    first = clock.local_today(now) + timedelta(days=item.base.min_advance_days)
    return {"first": first, "last": (first.replace(day=1) + timedelta(days=32 * 6)).replace(day=1) - timedelta(days=1),
            "headcount": item.min_group, "contact_name": actor.display_name.split("（")[0],
            "contact_phone": actor.phone or ""}


def booked_count(series: BookingSeries) -> int:
    """How many of the series' dates are booked."""
    return sum(1 for o in series.occurrences if o.status == OccurrenceStatus.BOOKED)


def book_due(now: datetime | None = None) -> tuple[int, int]:
    """The job `book-series`: each planned occurrence whose date has entered its base's window is booked as its
    branch's secretary would book it, and claimed in that booking's transaction (a conditional UPDATE, so two
    processes never book it twice, and a date is never marked booked without its booking); one that cannot be
    booked is skipped with its true reason and the branch's secretaries are told, with a link to book another slot
    that month. Returns (booked, skipped)."""
    now = now or clock.now()
    today = clock.local_today(now)
    booked = skipped = 0
    # Due: planned dates no later than their base's window reaches today (one condition per base: a handful).
    windows = [and_(MenuItem.base_id == base_id, SeriesOccurrence.day <= today + timedelta(days=days))
               for base_id, days in db.session.execute(select(Base.id, Base.max_advance_days))]
    due = list(db.session.execute(
        select(SeriesOccurrence.id, SeriesOccurrence.series_id, SeriesOccurrence.day, SeriesOccurrence.starts_at)
        .join(BookingSeries)
        .join(MenuItem, MenuItem.id == BookingSeries.menu_item_id)
        .where(SeriesOccurrence.status == PLANNED.value, BookingSeries.status == SeriesStatus.ACTIVE.value,
               or_(false(), *windows))
        .order_by(SeriesOccurrence.day)))
    db.session.rollback()
    for occurrence_id, series_id, day, start in due:
        series = db.session.get(BookingSeries, series_id)
        actor = _secretary_of(series)
        if actor is None:
            ended = SKIPPED if _settle(occurrence_id, SKIPPED, "no_secretary") else None
        else:
            try:
                ended = _book(actor, series, occurrence_id, day, start, now)
            except Exception:  # not the booking's refusal (the database gone a moment, say): planned, tried again
                db.session.rollback()
                log.exception("book-series: occurrence %s left planned", occurrence_id)
                continue
        if ended == BOOKED:
            booked += 1
        elif ended == SKIPPED:
            skipped += 1
            _tell_skipped(series, db.session.get(SeriesOccurrence, occurrence_id))
    return booked, skipped


def _secretary_of(series: BookingSeries):
    """Who the job books for: the series' author while they are the branch's active secretary, else another one."""
    author = db.session.get(User, series.created_by_id) if series.created_by_id else None
    if author is not None and author.active and author.role == "secretary" and author.branch_id == series.branch_id:
        return author
    return db.session.scalar(select(User).where(User.role == "secretary", User.branch_id == series.branch_id,
                                                User.active.is_(True)).order_by(User.id).limit(1))


def _tell_skipped(series: BookingSeries, occurrence: SeriesOccurrence) -> None:
    when = clock.when(occurrence.starts_at)
    link = links.external("catalog.menu_item", item_id=series.menu_item_id, date=occurrence.day.isoformat())
    why = SKIP_REASONS.get(occurrence.reason, occurrence.reason)
    if occurrence.reason == "holiday":  # which holiday: 国庆节（法定节假日）
        name = holidays.public_holidays(occurrence.day, occurrence.day).get(occurrence.day)
        why = f"{name}，{why}" if name else why
    notify(secretaries_of(series.branch_id), "series_skipped", None,
           f"固定预约未能预约：{series.menu_item.title} {when}",
           f"“{series.rule_text}”的 {clock.day_text(occurrence.day)} 未能预约（{why}）。"
           f"可另选本月其他场次：{link}", series_id=series.id)
    db.session.commit()


# -- later changes of the calendar reach the plans ----------------------------------------------------------------

def _on(days, base_id: int | None, venue_id: int | None):
    """The occurrences still planned or booked on these days (of one base's items, or one venue's), oldest first."""
    stmt = (select(SeriesOccurrence).join(BookingSeries, BookingSeries.id == SeriesOccurrence.series_id)
            .join(MenuItem, MenuItem.id == BookingSeries.menu_item_id)
            .where(SeriesOccurrence.day.in_(sorted(set(days))),
                   SeriesOccurrence.status.in_([PLANNED.value, BOOKED.value]))
            .order_by(SeriesOccurrence.day, SeriesOccurrence.id))
    if base_id is not None:
        stmt = stmt.where(MenuItem.base_id == base_id)
    if venue_id is not None:
        stmt = stmt.where(MenuItem.venue_id == venue_id)
    return list(db.session.scalars(stmt))


@dataclass
class Impact:
    """What a holiday or closure entered now does to the plans: planned dates skipped, booked ones cancelled."""

    planned: int = 0
    booked: int = 0

    @property
    def total(self) -> int:
        return self.planned + self.booked

    def text(self) -> str:
        return (f"将影响固定预约 {self.total} 个日期：{self.planned} 个待预约的将跳过，"
                f"{self.booked} 个已预约的将由系统取消（释放名额，并通知支部）。")


def _reachable(occurrence: SeriesOccurrence, now: datetime) -> bool:
    if occurrence.status == PLANNED.value:
        return True
    booking = occurrence.booking
    return booking is not None and booking.status in values(LIVE) and booking.starts_at > now


def impact(days, base_id: int | None = None, venue_id: int | None = None, now: datetime | None = None) -> Impact:
    """What `follow_calendar` would do, without doing it (the admin sees it before confirming)."""
    now = now or clock.now()
    out = Impact()
    for occurrence in _on(days, base_id, venue_id):
        if _reachable(occurrence, now):
            if occurrence.status == PLANNED.value:
                out.planned += 1
            else:
                out.booked += 1
    return out


def follow_calendar(days, reason: str, note: str, base_id: int | None = None, venue_id: int | None = None,
                    now: datetime | None = None) -> Impact:
    """A holiday or closure entered after series were made reaches them: a planned date on those days is skipped
    with `reason` (holiday, closed); a booked one whose booking has not started is cancelled by the system (history
    with `note`, its places freed and offered to the waitlist) and skipped. The branch's secretaries are told
    (series_skipped). Commits. Returns what it did."""
    now = now or clock.now()
    done, told = Impact(), []
    for occurrence in _on(days, base_id, venue_id):
        if not _reachable(occurrence, now):
            continue
        if occurrence.status == PLANNED.value:
            if db.session.execute(update(SeriesOccurrence).where(
                    SeriesOccurrence.id == occurrence.id, SeriesOccurrence.status == PLANNED.value)
                    .values(status=SKIPPED.value, reason=reason).execution_options(synchronize_session=False)).rowcount:
                done.planned += 1
                told.append(occurrence.id)
            continue
        try:
            lifecycle.transition(occurrence.booking, lifecycle.Move.CANCEL, None, note, now)
        except DomainError:  # moved a moment ago (cancelled by its branch, say): nothing left to cancel
            continue
        db.session.execute(update(SeriesOccurrence).where(SeriesOccurrence.id == occurrence.id)
                           .values(status=SKIPPED.value, reason=reason).execution_options(synchronize_session=False))
        done.booked += 1
        told.append(occurrence.id)
    db.session.commit()
    for occurrence_id in told:
        occurrence = db.session.get(SeriesOccurrence, occurrence_id)
        db.session.refresh(occurrence)
        _tell_skipped(occurrence.series, occurrence)
    return done


def save_holiday(actor, day: date, name: str, kind: str, now: datetime | None = None):
    """An administrator's entry for a day (holidays.put); a public holiday then reaches the series planned or
    booked on it. Returns (the entry, what it did to the plans)."""
    entry = holidays.put(actor, day, name, kind)
    done = Impact()
    if kind == "holiday":
        done = follow_calendar([day], "holiday", f"{entry.name}（法定节假日）：系统取消固定预约的这一天", now=now)
    return entry, done


def import_holidays(actor, filename: str, data: bytes, now: datetime | None = None):
    """A year's list (holidays.import_file); its public holidays then reach the series. Returns (the import, what
    it did to the plans)."""
    result = holidays.import_file(actor, filename, data)
    done = Impact()
    if not result.errors and result.holidays:
        names = holidays.public_holidays(min(result.holidays), max(result.holidays))
        for day in sorted(result.holidays):  # each day's note names its holiday (春节, 国庆节…)
            one = follow_calendar([day], "holiday", f"{names.get(day, '')}（法定节假日）：系统取消固定预约的这一天"
                                  if names.get(day) else "法定节假日：系统取消固定预约的这一天", now=now)
            done.planned, done.booked = done.planned + one.planned, done.booked + one.booked
    return result, done
