"""候补: the waitlist of a full slot, and promotion when places are freed.

A secretary joins the waitlist of a slot that lacks room for the branch's headcount, with the booking's fields and
the booking rules otherwise. When places are freed — a rejection, a cancellation, an expiry, a smaller headcount, a
declined or withdrawn partner, a larger capacity — `promote` runs in the same transaction that freed them: the
earliest waiting entry that now fits (first fit: a large group does not block a smaller one behind it) becomes an
ordinary booking, pending or approved by the base's rules. The transaction that freed the places holds the slot's
counter row, so promotions of one slot happen one after another, and an entry is claimed by a conditional UPDATE,
so it is promoted once, into places that were really there.
"""
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from booking import clock, permissions
from booking.catalog import services as catalog
from booking.errors import (DuplicateBooking, InvalidState, NotAllowed, NotFound, QuotaExceeded,
                            SlotAvailable, SlotFull, ValidationFailed)
from booking.permissions import Actor
from booking.reservations import places, records, shares
from booking.reservations.states import WaitStatus
from models import SlotOccupancy, WaitlistEntry, db

WAITING, PROMOTED, CANCELLED, EXPIRED = (WaitStatus.WAITING, WaitStatus.PROMOTED, WaitStatus.CANCELLED,
                                         WaitStatus.EXPIRED)


# -- reading ---------------------------------------------------------------------------------------

def visible_query(actor: Actor, status: str | None = None):
    """The entries the actor may see: a secretary their branch's, a manager their bases', an admin all; newest
    slot last."""
    stmt = select(WaitlistEntry)
    if actor.role == "secretary":
        stmt = stmt.where(WaitlistEntry.branch_id == (actor.branch_id or -1))
    elif actor.role == "manager":
        stmt = stmt.where(WaitlistEntry.base_id.in_(actor.base_ids or [-1]))
    elif actor.role != "admin":
        raise NotAllowed("只有支部书记和基地管理员可以查看候补。")
    if status in {s.value for s in WaitStatus}:
        stmt = stmt.where(WaitlistEntry.status == status)
    return stmt.options(selectinload(WaitlistEntry.menu_item), selectinload(WaitlistEntry.base),
                        selectinload(WaitlistEntry.branch)).order_by(WaitlistEntry.starts_at, WaitlistEntry.id)


def get_visible(actor: Actor, entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None or not _may_see(actor, entry):
        raise NotFound("候补记录不存在。")
    return entry


def _may_see(actor: Actor, entry: WaitlistEntry) -> bool:
    if actor.role == "secretary":
        return entry.branch_id == actor.branch_id
    return permissions.manages_base(actor, entry.base_id)


def status_of(entry: WaitlistEntry, now: datetime | None = None) -> str:
    """The entry's status as it stands now: a waiting entry whose slot has started has expired (the job writes it)."""
    if entry.status == WAITING and entry.starts_at <= (now or clock.now()):
        return EXPIRED.value
    return entry.status


def position(entry: WaitlistEntry) -> int | None:
    """Where a waiting entry stands in its slot's queue (1 is next), or None once it no longer waits."""
    return positions([entry]).get(entry.id)


def positions(entries) -> dict[int, int]:
    """{entry id: its place in its slot's queue} for the waiting ones among `entries`, in one query (a list page
    asks for a page of them at once)."""
    waiting = [e for e in entries if e.status == WAITING]
    if not waiting:
        return {}
    ahead = WaitlistEntry.__table__.alias("ahead")
    rows = db.session.execute(
        select(WaitlistEntry.id, func.count(ahead.c.id))
        .join(ahead, (ahead.c.venue_id == WaitlistEntry.venue_id) & (ahead.c.starts_at == WaitlistEntry.starts_at)
              & (ahead.c.status == WAITING.value) & (ahead.c.id <= WaitlistEntry.id))
        .where(WaitlistEntry.id.in_([e.id for e in waiting])).group_by(WaitlistEntry.id))
    return {entry_id: int(n) for entry_id, n in rows}


def branch_positions(branch_id: int, venue_id: int, day) -> dict[datetime, int]:
    """The slots of a venue's day the branch waits for, with its position in each queue."""
    first = clock.at_local(day, datetime.min.time())
    mine = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.branch_id == branch_id, WaitlistEntry.venue_id == venue_id, WaitlistEntry.starts_at >= first,
        WaitlistEntry.starts_at < first + timedelta(days=1), WaitlistEntry.status == WAITING.value)).all()
    places = positions(mine)
    return {e.starts_at: places[e.id] for e in mine}


def waiting_today(actor: Actor, now: datetime | None = None) -> list[WaitlistEntry]:
    """The entries still waiting for today's slots to come of the actor's bases (the manager's day)."""
    now = now or clock.now()
    today = clock.local_today(now)
    return list(db.session.scalars(visible_query(actor, WAITING.value).where(
        WaitlistEntry.day == today, WaitlistEntry.starts_at > now).options(selectinload(WaitlistEntry.venue))))


def queues(venue_id: int, first: datetime, last: datetime) -> dict[datetime, list[WaitlistEntry]]:
    """The waiting entries of a venue's slots between two moments, by start."""
    out: dict[datetime, list[WaitlistEntry]] = {}
    for entry in db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.venue_id == venue_id, WaitlistEntry.starts_at >= first, WaitlistEntry.starts_at < last,
            WaitlistEntry.status == WAITING.value).options(selectinload(WaitlistEntry.branch))
            .order_by(WaitlistEntry.starts_at, WaitlistEntry.id)):
        out.setdefault(entry.starts_at, []).append(entry)
    return out


# -- joining and leaving ---------------------------------------------------------------------------

def join(actor: Actor, *, menu_item_id, start, headcount, contact_name, contact_phone, topic=None,
         activity_type=None, now: datetime | None = None) -> WaitlistEntry:
    """A secretary waits for a slot that lacks room for the branch's headcount (409 slot_available when it has
    room: book instead), with the booking rules otherwise; never twice for one slot, nor for a slot the branch
    holds (409 duplicate_booking)."""
    now = now or clock.now()
    if not permissions.can_book_online(actor):
        raise NotAllowed("只有支部书记可以为本支部候补。")
    item = catalog.item_at(menu_item_id, start) if isinstance(menu_item_id, int) and not isinstance(menu_item_id, bool) else None
    if item is None:
        raise ValidationFailed({"menu_item_id": "菜单项目不存在或已下架。"})
    branch_id = actor.branch_id
    blocked = records.no_show_refusal(branch_id, clock.local_today(now))
    if blocked is not None:
        raise blocked
    fields, activity_type = records.request_fields(item, headcount, contact_name, contact_phone, topic, None,
                                                    activity_type)
    if fields:
        raise ValidationFailed(fields)
    records.check_slot(item, start, now, "online")
    day = clock.local(start).date()
    if records.holds_slot(branch_id, item.venue_id, start):
        raise DuplicateBooking("本支部已预约或参加该场次，无需候补。")
    refused = shares.refusal(branch_id, item.base_id, item.max_live_per_branch, item.max_per_branch_per_month, day, now)
    if refused is not None:
        raise refused
    # The waitlist's rule, as the pages and the availability answer it (check_slot has refused a slot outside the
    # online window); then the slot's counter row, taken on condition that the headcount still does not fit (no
    # row: nobody holds the slot yet), so a move that frees places waits for this entry or comes before it.
    capacity, remaining = places.room(item.venue_id, start, item.capacity)
    if headcount > capacity:
        raise SlotFull(f"该场次最多容纳 {capacity} 人，容不下 {headcount} 人。")
    smallest = catalog.wait_from(capacity=capacity, remaining=remaining, min_group=item.min_group,
                                 max_group=item.max_group, online_window=True)
    if smallest is None or headcount < smallest or not places.still_full(item.venue_id, start, headcount):
        db.session.rollback()
        raise SlotAvailable(f"该场次还有名额可容纳 {headcount} 人，请直接预约。")
    entry = WaitlistEntry(
        status=WAITING.value, base_id=item.base_id, venue_id=item.venue_id, menu_item_id=item.id, branch_id=branch_id,
        starts_at=start, ends_at=clock.at_local(day, item.end_time), day=day, headcount=headcount,
        contact_name=contact_name.strip(), contact_phone=contact_phone.strip(), topic=(topic or "").strip(),
        activity_type=activity_type, created_by_id=actor.id, created_at=now)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:  # the same branch joined a moment ago
        db.session.rollback()
        raise DuplicateBooking("本支部已在该场次的候补中，请勿重复候补。") from None
    db.session.commit()
    return entry


def cancel(actor: Actor, entry: WaitlistEntry, now: datetime | None = None) -> WaitlistEntry:
    """The branch leaves the waitlist (a waiting entry only)."""
    now = now or clock.now()
    if not (actor.role == "secretary" and actor.branch_id == entry.branch_id):
        raise NotAllowed("只有本支部书记可以取消候补。")
    if status_of(entry, now) != WAITING:
        raise InvalidState(f"该候补当前为“{WaitStatus(status_of(entry, now)).label}”，不能取消。")
    moved = db.session.execute(update(WaitlistEntry).where(WaitlistEntry.id == entry.id,
                                                           WaitlistEntry.status == WAITING.value)
                               .values(status=CANCELLED.value, ended_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("该候补刚刚已转为预约或被取消，请刷新后查看。")
    places.written(entry, status=CANCELLED.value, ended_at=now)
    db.session.commit()
    return entry


def expire_started(now: datetime | None = None) -> int:
    """Entries whose slot has started expire (the job). Returns how many."""
    now = now or clock.now()
    done = db.session.execute(update(WaitlistEntry).where(WaitlistEntry.status == WAITING.value,
                                                          WaitlistEntry.starts_at <= now)
                              .values(status=EXPIRED.value, ended_at=now)
                              .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return done


# -- promotion -------------------------------------------------------------------------------------

_WAITING_HERE = (select(WaitlistEntry.id, WaitlistEntry.headcount, WaitlistEntry.branch_id)
                 .where(WaitlistEntry.venue_id == bindparam("venue_id"), WaitlistEntry.starts_at == bindparam("start"),
                        WaitlistEntry.status == WAITING.value)
                 .order_by(WaitlistEntry.id))


def promote(venue_id: int, start: datetime, now: datetime | None = None) -> list[int]:
    """Inside the transaction that freed places of a slot: turn the earliest waiting entries that now fit into
    bookings, first fit. Returns the new bookings' ids. The caller commits."""
    now = now or clock.now()
    if start <= now:
        return []
    waiting = db.session.execute(_WAITING_HERE, {"venue_id": venue_id, "start": start}).all()
    if not waiting:
        return []
    room = db.session.scalar(select(SlotOccupancy.capacity - SlotOccupancy.held).where(
        SlotOccupancy.venue_id == venue_id, SlotOccupancy.starts_at == start))
    made = []
    for entry_id, headcount, branch_id in waiting:
        if room is None or room < headcount:
            continue  # first fit: a smaller group behind it may fit
        booking_id = _promote_one(db.session.get(WaitlistEntry, entry_id), now)
        if booking_id is not None:
            made.append(booking_id)
            room -= headcount
    return made


def _promote_one(entry: WaitlistEntry, now: datetime) -> int | None:
    """One entry into a booking, or None when it cannot be (it stays waiting, or ends if the branch holds the
    slot already)."""
    item = catalog.item_at(entry.menu_item_id, entry.starts_at)
    if item is None or item.end_time is None or item.closed:
        return None
    if records.holds_slot(entry.branch_id, entry.venue_id, entry.starts_at):
        # It booked the slot itself meanwhile, or takes part in another branch's booking of it: it waits no more.
        db.session.execute(update(WaitlistEntry).where(WaitlistEntry.id == entry.id,
                                                       WaitlistEntry.status == WAITING.value)
                           .values(status=CANCELLED.value, ended_at=now).execution_options(synchronize_session=False))
        places.written(entry, status=CANCELLED.value, ended_at=now)
        return None
    try:  # the branch's shares first (its lock, and the count under it): nothing else is written yet
        shares.hold(entry.branch_id, entry.base_id, item.max_live_per_branch, item.max_per_branch_per_month,
                    entry.day, now)
    except QuotaExceeded:
        return None  # it waits on: a share may come free before the slot starts
    if not places.take_more(entry.venue_id, entry.starts_at, entry.headcount):
        return None
    claimed = db.session.execute(
        update(WaitlistEntry).where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WAITING.value)
        .values(status=PROMOTED.value, ended_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:  # cancelled by its branch a moment ago: the places go back
        places.release(entry.venue_id, entry.starts_at, entry.headcount)
        return None
    booking_id = records.book_from_waitlist(entry, item, now)
    db.session.execute(update(WaitlistEntry).where(WaitlistEntry.id == entry.id).values(booking_id=booking_id)
                       .execution_options(synchronize_session=False))
    places.written(entry, status=PROMOTED.value, ended_at=now, booking_id=booking_id)
    return booking_id


def promoted_into(booking_ids: list[int]) -> set[int]:
    """Which of these bookings a waitlist entry became."""
    if not booking_ids:
        return set()
    return set(db.session.scalars(select(WaitlistEntry.booking_id).where(WaitlistEntry.booking_id.in_(booking_ids))))


def after_capacity_raised(venue_id: int, starts: list[datetime], now: datetime | None = None) -> int:
    """A larger capacity of dated slots frees places: promote in each. The caller commits. Returns how many."""
    return sum(len(promote(venue_id, start, now)) for start in starts)
