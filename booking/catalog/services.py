"""The catalogue: bases, their menus, and which slots still have room."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from booking.areas import services as areas
from booking import clock
from booking.errors import NotFound
from booking.catalog.holidays import public_holidays
from models import Base, Branch, Closure, Holiday, MenuItem, OpeningSlot, Organization, SlotOccupancy, Venue, db
from models.base import WEEKDAYS


@dataclass(frozen=True)
class SlotView:
    """One dated slot of a venue as a booker sees it."""

    start: datetime
    end: datetime
    capacity: int
    remaining: int
    bookable: bool
    wait_from: int | None = None  # the smallest group that may wait for it (wait_from), None: no waiting


def escape_like(q: str) -> str:
    """Text searched with LIKE, its wildcards taken literally."""
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def bases_query(type_: str | None = None, q: str | None = None):
    """The active bases, filtered by type and a search of name and description."""
    stmt = select(Base).where(Base.active.is_(True))
    if type_:
        stmt = stmt.where(Base.type == type_)
    if q and q.strip():
        pattern = f"%{escape_like(q.strip())}%"
        stmt = stmt.where(or_(Base.name.like(pattern, escape="\\"), Base.description.like(pattern, escape="\\")))
    return stmt.order_by(Base.id)


def base_counts(base_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(active venues, active menu items) per base, in two queries."""
    if not base_ids:
        return {}
    venues = dict(db.session.execute(
        select(Venue.base_id, func.count()).where(Venue.base_id.in_(base_ids), Venue.active.is_(True))
        .group_by(Venue.base_id)).all())
    items = dict(db.session.execute(
        select(MenuItem.base_id, func.count()).where(MenuItem.base_id.in_(base_ids), MenuItem.active.is_(True))
        .group_by(MenuItem.base_id)).all())
    return {i: (venues.get(i, 0), items.get(i, 0)) for i in base_ids}


def get_base(base_id: int, include_inactive: bool = False) -> Base:
    """A base with its venues and menu loaded; NotFound when there is none (or it is closed down)."""
    base = db.session.scalar(
        select(Base).where(Base.id == base_id)
        .options(selectinload(Base.venues), selectinload(Base.menu_items))
    )
    if base is None or (not base.active and not include_inactive):
        raise NotFound("基地不存在。")
    return base


def get_menu_item(item_id: int) -> MenuItem:
    """An active menu item of an active base."""
    item = db.session.scalar(select(MenuItem).where(MenuItem.id == item_id).options(joinedload(MenuItem.base)))
    if item is None or not item.active or not item.base.active:
        raise NotFound("菜单项目不存在。")
    return item


@dataclass(frozen=True)
class ItemWindow:
    """What availability needs to know of a menu item and its base."""

    item_id: int
    venue_id: int
    base_id: int
    min_group: int
    max_group: int
    min_advance_days: int
    max_advance_days: int



_items, _bases, _slots, _closures, _occ = (MenuItem.__table__, Base.__table__, OpeningSlot.__table__,
                                           Closure.__table__, SlotOccupancy.__table__)
# The availability path runs on every calendar click: prebuilt Core statements, a tenth of the ORM's cost.
_holidays = Holiday.__table__
# Closed that day: a closure of the venue or of its whole base, or a public holiday at a base that does not open on
# them. The one rule of a closed day, for the calendar, availability and creation alike.
_CLOSED = or_(
    select(_closures.c.id).where(
        _closures.c.base_id == _items.c.base_id,
        or_(_closures.c.venue_id.is_(None), _closures.c.venue_id == _items.c.venue_id),
        _closures.c.start_date <= bindparam("day"), _closures.c.end_date >= bindparam("day"),
    ).exists(),
    and_(_bases.c.opens_on_holidays.is_(False),
         select(_holidays.c.day).where(_holidays.c.day == bindparam("day"), _holidays.c.kind == "holiday").exists()),
)


def _held_between(venue_id):
    """The slot counters of a venue from :lo to :hi: a range of their unique index, nothing to expand per request."""
    return and_(_occ.c.venue_id == venue_id, _occ.c.starts_at >= bindparam("lo"), _occ.c.starts_at < bindparam("hi"))


# The places held in a venue's slots of some days.
_HELD = select(_occ.c.starts_at, _occ.c.held).where(_held_between(bindparam("venue_id")))
# Availability in one statement: a row per weekly slot of the item's venue on that weekday (one row with no slot when
# there is none), beside each slot occupancy of the venue that day (the same range of its unique index as _HELD; a
# day has a handful of each, so the rows are few). A round trip saved on the calendar's hottest path.
_ITEM_DAY = (
    select(_items.c.id, _items.c.venue_id, _items.c.base_id, _items.c.min_group, _items.c.max_group,
           _bases.c.min_advance_days, _bases.c.max_advance_days, _slots.c.start_time, _slots.c.end_time, _slots.c.capacity,
           _CLOSED.label("closed"), _occ.c.starts_at.label("held_at"), _occ.c.held)
    .select_from(_items.join(_bases, _bases.c.id == _items.c.base_id).outerjoin(
        _slots, and_(_slots.c.venue_id == _items.c.venue_id, _slots.c.weekday == bindparam("weekday"),
                     _slots.c.active.is_(True))).outerjoin(
        _occ, _held_between(_items.c.venue_id)))
    .where(_items.c.id == bindparam("item_id"), _items.c.active.is_(True), _bases.c.active.is_(True))
    .order_by(_slots.c.start_time)
)


_venues = Venue.__table__
_BASE_ROW = select(_bases).where(_bases.c.id == bindparam("base_id"), _bases.c.active.is_(True))
_ANY_BASE_ROW = select(_bases).where(_bases.c.id == bindparam("base_id"))
_BASE_VENUES = (select(_venues.c.id, _venues.c.name, _venues.c.kind, _venues.c.capacity)
                .where(_venues.c.base_id == bindparam("base_id"), _venues.c.active.is_(True)).order_by(_venues.c.id))
_BASE_MENU = (select(_items.c.id, _items.c.title, _items.c.description, _items.c.category, _items.c.content_topic,
                     _items.c.duration_minutes, _items.c.min_group, _items.c.max_group, _items.c.needs_lecturer,
                     _items.c.venue_id)
              .where(_items.c.base_id == bindparam("base_id"), _items.c.active.is_(True)).order_by(_items.c.id))


def base_detail_rows(base_id: int, include_inactive: bool = False):
    """A base's row with its active venues and menu, as plain rows (three prebuilt queries); NotFound if none
    (or, unless include_inactive, if it is off the catalogue)."""
    params = {"base_id": base_id}
    base = db.session.execute(_ANY_BASE_ROW if include_inactive else _BASE_ROW, params).first()
    if base is None:
        raise NotFound("基地不存在。")
    return base, db.session.execute(_BASE_VENUES, params).all(), db.session.execute(_BASE_MENU, params).all()


def in_booking_window(*, offline: bool, min_days: int, max_days: int, start: datetime, now: datetime) -> bool:
    """The base's booking window, for the calendar and for creation alike. Online: min ≤ calendar days ahead
    ≤ max. A manager's offline booking may also be for later today (a walk-in or a call on the day). Never for a
    slot that has begun (the contract)."""
    days_ahead = (clock.local(start).date() - clock.local_today(now)).days
    return window_allows(offline=offline, days_ahead=days_ahead, min_days=min_days, max_days=max_days, start=start,
                         now=now)


def window_allows(*, offline: bool, days_ahead: int, min_days: int, max_days: int, start: datetime,
                  now: datetime) -> bool:
    """in_booking_window for a slot `days_ahead` calendar days from today (a day's slots share the count)."""
    lowest = 0 if offline else min_days
    return lowest <= days_ahead <= max_days and start > now


def places_held(venue_id: int, first: date, last: date) -> dict[datetime, int]:
    """The places held in each dated slot of a venue from the first to the last local day (one indexed range)."""
    lo, hi = clock.day_bounds(first) if first == last else (clock.day_bounds(first)[0], clock.day_bounds(last)[1])
    return dict(db.session.execute(_HELD, {"venue_id": venue_id, "lo": lo, "hi": hi}).all())


def day_slots(item_id: int, day: date, now: datetime | None = None,
              offline: bool = False) -> tuple[ItemWindow, list[SlotView]]:
    """An active item's slots on a day, each with places left; [] when its venue is closed. NotFound for no item.

    One indexed query (_ITEM_DAY): the item, its base's window, the weekday's slots and the places held that day.
    """
    now = now or clock.now()
    lo, hi = clock.day_bounds(day)
    rows = db.session.execute(_ITEM_DAY, {"item_id": item_id, "weekday": day.weekday(), "day": day,
                                          "lo": lo, "hi": hi}).all()
    if not rows:
        raise NotFound("菜单项目不存在。")
    w = ItemWindow(*rows[0][:7])
    if rows[0].start_time is None or rows[0].closed:
        return w, []
    slots = list({r.start_time: r for r in rows}.values())  # each slot once (a row per occupancy of the day)
    held = {r.held_at: r.held for r in rows if r.held_at is not None}
    return w, _slot_views(w, day, slots, held, now, offline)


def wait_from(*, capacity: int, remaining: int, min_group: int, max_group: int, online_window: bool) -> int | None:
    """The waitlist's rule: the smallest headcount that may wait for a slot, or None when nobody may.

    A branch waits for a slot that lacks room for its group: more than the places left, within the item's group
    limits and the slot's capacity (a larger group could never be let in), in the online booking window (the
    waitlist is a secretary's). The slot picker, the new-booking page, the API's availability and waitlist.join
    all ask this one function."""
    smallest = max(remaining + 1, min_group)
    return smallest if online_window and smallest <= min(max_group, capacity) else None


def _slot_views(w: ItemWindow, day: date, slots, held: dict, now: datetime, offline: bool = False) -> list[SlotView]:
    """The rule for places left, bookable and waited for, for one day's weekly slots and the places held in them;
    `offline`: as the base's manager sees them (a walk-in or a call today)."""
    views = []
    days_ahead = (day - clock.local_today(now)).days
    for slot in slots:
        start, end = clock.at_local(day, slot.start_time), clock.at_local(day, slot.end_time)
        remaining = max(slot.capacity - held.get(start, 0), 0)
        online = window_allows(offline=False, days_ahead=days_ahead, min_days=w.min_advance_days,
                               max_days=w.max_advance_days, start=start, now=now)
        in_window = online or (offline and window_allows(
            offline=True, days_ahead=days_ahead, min_days=w.min_advance_days, max_days=w.max_advance_days,
            start=start, now=now))
        views.append(SlotView(start=start, end=end, capacity=slot.capacity, remaining=remaining,
                              bookable=remaining >= w.min_group and in_window,
                              wait_from=wait_from(capacity=slot.capacity, remaining=remaining, min_group=w.min_group, max_group=w.max_group,
                                                  online_window=online)))
    return views


def availability(item: MenuItem, day: date, now: datetime | None = None, offline: bool = False) -> list[SlotView]:
    """The item's slots on a day (see day_slots)."""
    return day_slots(item.id, day, now, offline)[1]


# What booking a slot needs to know, in one query: the active item, its base's rules, the venue's name,
# and the weekly slot of the venue that begins at that local time (no slot, or closed that day, when there is none).
_ITEM_SLOT = (
    select(_items.c.id, _items.c.title, _items.c.min_group, _items.c.max_group, _items.c.base_id, _items.c.venue_id,
           _bases.c.name.label("base_name"), _bases.c.min_advance_days, _bases.c.max_advance_days,
           _bases.c.requires_approval, _bases.c.max_live_per_branch, _bases.c.max_per_branch_per_month,
           _venues.c.name.label("venue_name"), _slots.c.end_time, _slots.c.capacity,
           _CLOSED.label("closed"))
    .select_from(_items.join(_bases, _bases.c.id == _items.c.base_id).join(_venues, _venues.c.id == _items.c.venue_id)
                 .outerjoin(_slots, and_(_slots.c.venue_id == _items.c.venue_id,
                                         _slots.c.weekday == bindparam("weekday"),
                                         _slots.c.start_time == bindparam("start_time"), _slots.c.active.is_(True))))
    .where(_items.c.id == bindparam("item_id"), _items.c.active.is_(True), _bases.c.active.is_(True))
)


def item_at(item_id: int, start: datetime):
    """An active item of an active base with the slot that begins at `start`, as one row; None for no such item.

    The row's `end_time` and `capacity` are None when the venue has no open slot beginning then, and `closed`
    is true when the venue (or its whole base) is closed that day.
    """
    local = clock.local(start)
    return db.session.execute(_ITEM_SLOT, {"item_id": item_id, "weekday": local.weekday(),
                                           "start_time": local.time().replace(tzinfo=None),
                                           "day": local.date()}).first()


def opening_hours(base_id: int) -> list[tuple[str, str]]:
    """The base's opening hours from its venues' weekly slots, as (days, times) lines: "周一至周五",
    "09:00–11:00、14:00–16:00"; consecutive weekdays with the same times share a line."""
    times: dict[int, set] = {}
    for weekday, start, end in db.session.execute(
            select(OpeningSlot.weekday, OpeningSlot.start_time, OpeningSlot.end_time).join(Venue)
            .where(Venue.base_id == base_id, Venue.active.is_(True), OpeningSlot.active.is_(True))):
        times.setdefault(weekday, set()).add((start, end))
    merged = {}
    for weekday, ranges in times.items():
        spans = []
        for start, end in sorted(ranges):
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        merged[weekday] = "、".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in spans)
    lines, day = [], 0
    while day < 7:
        if day not in merged:
            day += 1
            continue
        last = day
        while last + 1 < 7 and merged.get(last + 1) == merged[day]:
            last += 1
        label = WEEKDAYS[day] if last == day else (f"{WEEKDAYS[day]}、{WEEKDAYS[last]}" if last == day + 1
                                                   else f"{WEEKDAYS[day]}至{WEEKDAYS[last]}")
        lines.append((label, merged[day]))
        day = last + 1
    return lines


def upcoming_closures(base_id: int, today: date, days: int = 60) -> list[Closure]:
    """Closures of the base (whole or one venue) that end today or later and begin within `days`."""
    return list(db.session.scalars(select(Closure).where(
        Closure.base_id == base_id, Closure.end_date >= today, Closure.start_date <= today + timedelta(days=days))
        .options(selectinload(Closure.venue)).order_by(Closure.start_date)))


def closed_days(base_id: int, venue_id: int, first: date, last: date) -> dict[date, str]:
    """The days from first to last on which the venue (or its whole base) is closed, with the closure's reason
    (a public holiday, for a base that does not open on them, with the holiday's name)."""
    closed = {}
    if not db.session.scalar(select(Base.opens_on_holidays).where(Base.id == base_id)):
        closed.update({d: f"{name}（法定节假日不开放）" for d, name in public_holidays(first, last).items()})
    for start, end, reason in db.session.execute(select(Closure.start_date, Closure.end_date, Closure.reason).where(
            Closure.base_id == base_id, or_(Closure.venue_id.is_(None), Closure.venue_id == venue_id),
            Closure.start_date <= last, Closure.end_date >= first).order_by(Closure.id)):
        day = max(start, first)
        while day <= min(end, last):
            closed.setdefault(day, reason)
            day += timedelta(days=1)
    return closed


def calendar_days(item: MenuItem, first: date, days: int, now: datetime | None = None,
                  offline: bool = False) -> list[dict]:
    """For a run of days: whether each is open and how many places are left in bookable slots.

    Three queries whatever the number of days: the weekly slots, the closures and the places held.
    """
    out = []
    for day, slots, closed_reason, holiday in _run_of_days(item, first, days, now or clock.now(), offline):
        bookable = [s for s in slots if s.bookable]
        out.append({
            "date": day, "open": bool(slots), "bookable": bool(bookable), "closed_reason": closed_reason,
            "holiday": holiday, "remaining": sum(s.remaining for s in bookable),
        })
    return out


def open_slots(item: MenuItem, first: date, days: int, now: datetime | None = None) -> list[SlotView]:
    """The item's dated slots over a run of days, closed days left out, earliest first (three queries)."""
    return [slot for _, slots, _, _ in _run_of_days(item, first, days, now or clock.now(), False) for slot in slots]


def _run_of_days(item: MenuItem, first: date, days: int, now: datetime, offline: bool):
    """Each day of a run: (day, its slots as SlotViews (none when closed), why it is closed, its holiday's name)."""
    if days <= 0:
        return
    last = first + timedelta(days=days - 1)
    w = ItemWindow(item.id, item.venue_id, item.base_id, item.min_group, item.max_group, item.base.min_advance_days,
                   item.base.max_advance_days)
    weekly: dict[int, list] = {}
    for slot in db.session.execute(select(OpeningSlot.weekday, OpeningSlot.start_time, OpeningSlot.end_time,
                                          OpeningSlot.capacity)
                                   .where(OpeningSlot.venue_id == item.venue_id, OpeningSlot.active.is_(True))
                                   .order_by(OpeningSlot.start_time)):
        weekly.setdefault(slot.weekday, []).append(slot)
    closed = closed_days(item.base_id, item.venue_id, first, last)
    holiday_names = public_holidays(first, last)
    held = places_held(item.venue_id, first, last)
    for offset in range(days):
        day = first + timedelta(days=offset)
        slots = [] if day in closed else _slot_views(w, day, weekly.get(day.weekday(), []), held, now, offline)
        yield day, slots, closed.get(day), holiday_names.get(day)


CALENDAR_PAGE = 28  # days of the booking calendar shown at once


def item_days(item: MenuItem, day: date | None, shown_from: date | None, *, offline: bool, now: datetime) -> dict:
    """The slot picker's catalogue part: the whole booking window four weeks a page (the page holding the chosen
    day unless `shown_from` says otherwise), the chosen day (by default the first one may book) with its slots and,
    when closed, why. `offline`: the base's manager, whose grid starts today (walk-ins and calls)."""
    today = clock.local_today(now)
    soonest = 0 if offline else item.base.min_advance_days
    day = day or today + timedelta(days=max(soonest, 0))
    first = today + timedelta(days=soonest)
    window = max(item.base.max_advance_days - soonest + 1, 0)
    pages = max((window + CALENDAR_PAGE - 1) // CALENDAR_PAGE, 1)
    number = min(max(((shown_from or day) - first).days // CALENDAR_PAGE, 0), pages - 1)
    page_first = first + timedelta(days=number * CALENDAR_PAGE)
    days = calendar_days(item, page_first, max(min(CALENDAR_PAGE, window - number * CALENDAR_PAGE), 0), now=now,
                         offline=offline)
    calendar = {"number": number + 1, "pages": pages,
                "previous": page_first - timedelta(days=CALENDAR_PAGE) if number > 0 else None,
                "next": page_first + timedelta(days=CALENDAR_PAGE) if number + 1 < pages else None,
                "last_day": first + timedelta(days=window - 1) if window else None}
    shown = next((d for d in days if d["date"] == day), None)
    # The day's closure as the grid already read it, or (a day beyond the grid) read now.
    closed_reason = shown["closed_reason"] if shown else closed_days(item.base_id, item.venue_id, day, day).get(day)
    return {"day": day, "days": days, "calendar": calendar, "slots": availability(item, day, now, offline=offline),
            "closed_reason": closed_reason}


def branches_query(q: str | None = None, area_path: str | None = None):
    """Active branches, searched by branch or organisation name (an area's only, given its path)."""
    stmt = select(Branch).join(Organization).where(Branch.active.is_(True))
    if area_path:
        stmt = stmt.where(Organization.area_id.in_(areas.under(area_path)))
    if q and q.strip():
        pattern = f"%{escape_like(q.strip())}%"
        stmt = stmt.where(or_(Branch.name.like(pattern, escape="\\"), Organization.name.like(pattern, escape="\\")))
    return stmt.options(selectinload(Branch.organization)).order_by(Branch.id)
