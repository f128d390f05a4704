"""Bookings: reading, changing and deciding on them (creating one is `records.create_booking`, the one insert path).

Each public function is one action, shared by the pages, the API, the CLI and the jobs: it asks the action's
guard in `lifecycle` (role, ownership, state and time), checks its fields, acts, and commits. What a move of
state brings with it happens in `lifecycle.transition`.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from booking import clock, links, permissions
from booking.catalog import holidays, services as catalog
from booking.errors import NotFound, SlotFull, ValidationFailed
from booking.lecturers import services as lecturers
from booking.members import services as members
from booking.notify.services import managers_of, notify, secretaries_of, taking_part_secretaries
from booking.permissions import Actor
from booking.textutil import text_problem
from booking.reservations import lifecycle, own, partners, places, records, shares, states, waitlist
from booking.reservations.lifecycle import Move, require
from booking.reservations.states import LIVE, PENDING
from booking.reservations.records import record_event, validate_fields
from booking.reservations.states import (ACCEPTED, APPROVED, DECLINED, HOLDING_LECTURER, INVITED, NO_SHOW,
                                        PARTNER_ACCEPTED, PARTNER_DECLINED)
from models import (ACTIVITY_TYPES, Base, Booking, BookingEvent, BookingPartner, Branch, LectureRequest, MenuItem,
                    OpeningSlot, Venue, WaitlistEntry, db)


# -- reading --------------------------------------------------------------------------------------

def get_visible(user: Actor, booking_id: int) -> Booking:
    """The booking if the user may see it; NotFound otherwise (never reveal others' bookings)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_view_booking(user, booking):
        raise NotFound("预约不存在。")
    return booking


def _visible(user: Actor, status: str | None, base_id: int | None, start: date | None, end: date | None) -> list:
    """The conditions of the bookings the user may see, filtered (one rule for the pages' query and the API's list)."""
    return [permissions.booking_scope(user), *_filters(status, base_id, start, end)]


def _filters(status: str | None, base_id: int | None, start: date | None, end: date | None) -> list:
    conditions = []
    if status:
        conditions.append(Booking.status == status)
    if base_id:
        conditions.append(Booking.base_id == base_id)
    if start:
        conditions.append(Booking.day >= start)
    if end:
        conditions.append(Booking.day <= end)
    return conditions


def visible_query(user: Actor, *, status: str | None = None, base_id: int | None = None,
                  start: date | None = None, end: date | None = None):
    """The bookings the user may see, filtered; ordered by start."""
    stmt = select(Booking).where(*_visible(user, status, base_id, start, end))
    return stmt.options(selectinload(Booking.menu_item), selectinload(Booking.branch), selectinload(Booking.lecturer),
                        selectinload(Booking.base), selectinload(Booking.venue),
                        selectinload(Booking.partners).joinedload(BookingPartner.branch)
                        ).order_by(Booking.starts_at, Booking.id)


class Listed:
    """A booking as a list shows it (`serialize.booking` reads it as it reads a Booking): its columns, the names of
    its base, venue, branch and menu item, and its partners with their branches' names."""

    def __init__(self, row, partners: list):
        self.__dict__.update(row._mapping)
        self.partners = partners


class _ListedPartner:
    def __init__(self, row):
        self.branch_id, self.headcount, self.status, self.visitor_count = (
            row.branch_id, row.headcount, row.status, row.visitor_count)
        self.branch = _Named(row.branch_name)


class _Named:
    def __init__(self, name):
        self.name = name


# Prebuilt Core statements (built and keyed once, not per request; no ORM steps around them): a page's bookings
# with their names, and their partners.
_b, _br = Booking.__table__, Branch.__table__
_LISTED = (select(*_b.c, Base.__table__.c.name.label("base_name"), Venue.__table__.c.name.label("venue_name"),
                  _br.c.name.label("branch_name"), MenuItem.__table__.c.title.label("menu_item_title"))
           .select_from(_b.join(_br, _br.c.id == _b.c.branch_id)
                        .outerjoin(Base.__table__, Base.__table__.c.id == _b.c.base_id)
                        .outerjoin(Venue.__table__, Venue.__table__.c.id == _b.c.venue_id)
                        .outerjoin(MenuItem.__table__, MenuItem.__table__.c.id == _b.c.menu_item_id))
           .where(_b.c.id.in_(bindparam("ids", expanding=True))))
_p = BookingPartner.__table__
_LISTED_PARTNERS = (select(_p.c.booking_id, _p.c.branch_id, _p.c.headcount, _p.c.status, _p.c.visitor_count,
                           _br.c.name.label("branch_name"))
                    .select_from(_p.join(_br, _br.c.id == _p.c.branch_id))
                    .where(_p.c.booking_id.in_(bindparam("ids", expanding=True))).order_by(_p.c.id))


def visible_page(user: Actor, *, page: int, per_page: int, status: str | None = None, base_id: int | None = None,
                 start: date | None = None, end: date | None = None) -> tuple[list[Listed], int]:
    """A page of `visible_query` (the same bookings in the same order) and how many there are, read as rows rather
    than as ORM objects: the page's ids from the bookings table alone (its order read off an index where the
    planner finds one, not a sort of the whole scope), their rows with the names, their partners, and the count
    (the API's list; the pages keep `visible_query`)."""
    filters = _filters(status, base_id, start, end)
    conditions = [permissions.booking_scope(user), *filters]
    conn = db.session.connection()
    ids = list(conn.execute(select(_b.c.id).where(*conditions).order_by(_b.c.starts_at, _b.c.id)
                            .limit(per_page).offset((page - 1) * per_page)).scalars())
    total = sum(conn.execute(select(func.count()).select_from(_b).where(part, *filters)).scalar()
                for part in permissions.booking_scope_parts(user))
    if not ids:
        return [], total
    rows = {r.id: r for r in conn.execute(_LISTED, {"ids": ids})}
    partners: dict[int, list] = {}
    for p in conn.execute(_LISTED_PARTNERS, {"ids": ids}):
        partners.setdefault(p.booking_id, []).append(_ListedPartner(p))
    return [Listed(rows[i], partners.get(i, [])) for i in ids], total


def branch_bookings_on(branch_id: int, venue_id: int, day: date) -> dict[datetime, int]:
    """The branch's live bookings at a venue on a day, by start: the slots it already holds."""
    return dict(db.session.execute(select(Booking.starts_at, Booking.id).where(
        Booking.branch_id == branch_id, Booking.venue_id == venue_id, Booking.day == day,
        Booking.status.in_(LIVE))).all())


def pending_count(user: Actor) -> int:
    """Requests waiting for this manager's decision."""
    if not permissions.works_for_bases(user):
        return 0
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status == PENDING, permissions.booking_scope(user))) or 0


# -- changing it -----------------------------------------------------------------------------------

CHANGEABLE = ("headcount", "contact_name", "contact_phone", "topic", "note")
_FIELD_NAMES = {"headcount": "人数", "contact_name": "联系人", "contact_phone": "联系电话", "topic": "活动主题",
                "note": "备注"}


def change_booking(actor: Actor, booking: Booking, now: datetime | None = None, **changes) -> Booking:
    """Change a live booking's headcount, contact, topic or note: the branch until the cancel deadline, the base
    until the start. A larger headcount takes the extra places atomically (SlotFull when they are not there),
    a smaller one gives places back; the history notes what changed."""
    now = now or clock.now()
    require(lifecycle.can_change(actor, booking, now))
    on_roster = sum(1 for e in booking.roster if e.branch_id == booking.branch_id)
    if booking.at_own_place:
        return own.change(actor, booking, changes, on_roster=on_roster, now=now)
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValidationFailed({name: "基地预约的时间和地点不能修改，请取消后重新预约。" if name in ("start", "end", "address")
                                else "该项不能修改。" for name in sorted(unknown)})
    current = {name: getattr(booking, name) for name in CHANGEABLE}
    wanted = {**current, **{k: v for k, v in changes.items() if v is not None or k in ("topic", "note")}}
    fields = validate_fields(booking.menu_item, wanted["headcount"], wanted["contact_name"], wanted["contact_phone"],
                              wanted["topic"], wanted["note"], partners=booking.partner_headcount)
    if "headcount" not in fields and isinstance(wanted["headcount"], int) and wanted["headcount"] < on_roster:
        fields["headcount"] = f"参加人员名单已有 {on_roster} 人，请先从名单中移除，再把人数减到 {wanted['headcount']} 人。"
    if fields:
        raise ValidationFailed(fields)
    for name in ("contact_name", "contact_phone", "topic", "note"):
        wanted[name] = (wanted[name] or "").strip()
    changed = {name: (current[name], wanted[name]) for name in CHANGEABLE if wanted[name] != current[name]}
    if not changed:
        return booking
    # One statement on the booking's row (its lock orders this against a cancellation or a partner's move), then
    # the slot's places for the difference.
    delta = wanted["headcount"] - current["headcount"]
    others = {name: new for name, (_, new) in changed.items() if name != "headcount"}
    try:
        places.change_headcount(booking, current["headcount"], wanted["headcount"], booking.menu_item.max_group, now,
                                **others)
    except SlotFull:
        raise SlotFull(f"该场次剩余名额不足，无法增加到 {wanted['headcount']} 人。") from None
    if delta < 0:
        lifecycle.places_freed(booking, now)
    note = "；".join(f"{_FIELD_NAMES[n]}：{old or '（空）'} → {new or '（空）'}" for n, (old, new) in changed.items())
    record_event(booking, actor, "changed", note, now)
    when = clock.when(booking.starts_at)
    if permissions.is_bookings_branch(actor, booking):
        notify(managers_of(booking.base_id), "booking_changed", booking, f"支部修改了预约：{booking.branch.name} {when}",
               f"“{booking.menu_item.title}”{when}：{note}")
    else:
        notify(secretaries_of(booking.branch_id), "booking_changed", booking,
               f"预约已被基地修改：{booking.base.name} {when}", f"“{booking.menu_item.title}”{when}：{note}")
    notify(taking_part_secretaries(booking, host=False), "booking_changed", booking,
           f"共建活动有变更：{booking.base.name} {when}", f"{booking.branch.name}主办的“{booking.menu_item.title}”{when}：{note}")
    db.session.commit()
    return booking


def set_activity_type(actor: Actor, booking: Booking, activity_type, now: datetime | None = None) -> Booking:
    """Correct the activity's type (a 主题党日 that was in fact a 支委会): the ledger and its 三会一课 lines follow;
    the history says from what to what (`changed`)."""
    now = now or clock.now()
    require(lifecycle.can_set_activity_type(actor, booking, now))
    if activity_type not in ACTIVITY_TYPES:
        raise ValidationFailed({"activity_type": "请选择活动类型。"})
    before = booking.activity_type
    if activity_type == before:
        return booking
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(activity_type=activity_type)
                       .execution_options(synchronize_session=False))
    record_event(booking, actor, "changed",
                           f"活动类型：{ACTIVITY_TYPES.get(before, before)} → {ACTIVITY_TYPES[activity_type]}", now)
    db.session.commit()
    db.session.expire(booking, ["activity_type"])
    return booking


# -- deciding on it --------------------------------------------------------------------------------

def _reason(reason: str | None, required: bool, message: str = "请填写驳回原因。") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed({"reason": message})
    if len(reason) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
    if text_problem(reason, multiline=True):
        raise ValidationFailed({"reason": text_problem(reason, multiline=True)})
    return reason


def approve_booking(actor: Actor, booking: Booking, now: datetime | None = None) -> Booking:
    """A manager approves a pending request; its places were held from the start, so nothing can fail here."""
    now = now or clock.now()
    require(lifecycle.can_approve(actor, booking, now))
    lifecycle.transition(booking, Move.APPROVE, actor, "", now)
    db.session.commit()
    return booking


def reject_booking(actor: Actor, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """A manager rejects a pending request with a reason; its places are freed."""
    now = now or clock.now()
    require(lifecycle.can_reject(actor, booking, now))
    lifecycle.transition(booking, Move.REJECT, actor, _reason(reason, required=True), now)
    db.session.commit()
    return booking


def cancel_booking(actor: Actor, booking: Booking, reason: str | None = "", now: datetime | None = None) -> Booking:
    """Cancel: the branch until the base's deadline, a manager of the base any time before the start."""
    now = now or clock.now()
    require(lifecycle.can_cancel(actor, booking, now))
    lifecycle.transition(booking, Move.CANCEL, actor, _reason(reason, required=False), now)
    db.session.commit()
    return booking


def history(booking: Booking) -> list[BookingEvent]:
    """Every change of the booking, oldest first."""
    return list(db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == booking.id)
        .options(selectinload(BookingEvent.actor)).order_by(BookingEvent.at, BookingEvent.id)))


# -- what the pages show ---------------------------------------------------------------------------
# Each page that needs more than one load asks one function here: the rules it shows are decided where the API and
# the jobs decide them, and the template only lays out what it is given.

def slot_picker(actor: Actor, item_id: int, day: date | None, shown_from: date | None, now: datetime) -> dict:
    """A menu item's page: the calendar of its booking window, the chosen day's slots, and for a branch what it
    holds and waits for there, whether it is blocked (no_show_refusal), and what it may do: book, wait, plan a
    series. The base's own manager sees the grid from today (walk-ins and calls)."""
    item = catalog.get_menu_item(item_id)
    offline = permissions.can_record_offline(actor, item.base_id)
    branch_id = actor.branch_id if actor.role == "secretary" else None
    blocked = records.no_show_refusal(branch_id, clock.local_today(now)) if branch_id else None
    online = permissions.can_book_online(actor) and blocked is None
    page = catalog.item_days(item, day, shown_from, offline=offline, now=now)
    return dict(page, item=item, base=item.base, blocked=blocked, may_book=online or offline, may_wait=online,
                may_plan_series=online,
                mine=branch_bookings_on(branch_id, item.venue_id, page["day"]) if branch_id else {},
                waiting=waitlist.branch_positions(branch_id, item.venue_id, page["day"]) if branch_id else {})


def new_booking_page(actor: Actor, item_id: int, start: datetime | None, q: str, now: datetime) -> dict:
    """The new-booking page of a slot: the slot with its places and from what headcount it may be waited for
    (catalog.wait_from), the branch's share left, the cancel deadline already passed, the branches one may invite
    (partners.invitable) and, for a manager's offline booking, the branches found by `q`. `may_book` False: the
    actor may not book this item at all; `start` None: no slot was named."""
    item = catalog.get_menu_item(item_id)
    offline = permissions.can_record_offline(actor, item.base_id)
    page = dict(item=item, base=item.base, start=start, offline=offline, q=q,
                may_book=offline or permissions.can_book_online(actor))
    if start is None or not page["may_book"]:
        return page
    day = clock.local(start).date()
    slot = next((s for s in catalog.availability(item, day, now) if s.start == start), None)
    gone = start <= now  # a time already past (an old link): nothing to book, said as such
    page.update(
        slot=slot, gone=gone,
        # Booked inside the cancel deadline, the branch could not cancel or change it itself: said before submitting.
        past_deadline=not gone and not offline and lifecycle.cancel_deadline_for(start, item.base) < now,
        share_left=None if offline else shares.left(actor.branch_id, item.base, day),
        full=slot is not None and slot.remaining < item.min_group,  # no room even for the item's smallest group
        may_wait=not offline and slot is not None and slot.wait_from is not None,
        invitable=partners.invitable(None if offline else actor.branch_id),
        # Every active branch for a manager (a district has hundreds): the box above the list narrows it in place.
        branches=db.session.scalars(catalog.branches_query(q).limit(5000)).all() if offline else None)
    return page


def booking_page(actor: Actor, booking_id: int, now: datetime) -> dict:
    """A booking's page: the booking (NotFound where the actor may not see it), the target of its check-in QR code
    (its branch and its base's managers, while it is live), its history, the lecturers one may invite, the branch's
    own part (roster, pickable members, record), the partners one may invite, and the facts the page lays out."""
    booking = get_visible(actor, booking_id)

    def may(action: str) -> bool:
        return lifecycle.allows(action, actor, booking, now)

    branch, manages = permissions.is_bookings_branch(actor, booking), permissions.manages_base(actor, booking.base_id)
    own = members.own_part(actor, booking)
    my_part = permissions.partner_part(actor, booking)
    counted = lifecycle.is_counted(booking)
    return dict(
        b=booking, events=history(booking), now=now, deadline=lifecycle.cancel_deadline(booking),
        # The QR code holds the check-in URL: a manager's phone opens the check-in, anyone else's only the code.
        qr_target=links.external("visits.scanned", code=booking.code)
        if lifecycle.is_live(booking) and (branch or manages) and not booking.at_own_place else None,
        candidates=lecturers.suggestions(actor, booking, now) if may("invite_lecturer") else None,
        own=own, own_headcount=partners.part_headcount(booking, own) if own else None,
        own_summary=partners.own_summary(booking, own) if own else None,
        pickable=db.session.scalars(members.members_query(own, active=True)).all() if may("set_roster") else None,
        roster=members.roster_of(booking), markable=members.marked_by(actor, booking),
        taking_part=partners.taking_part(booking), my_part=my_part,
        invitable=partners.invitable_to(booking) if may("invite_partner") else None,
        invite_room=booking.menu_item.max_group - booking.total_headcount if booking.menu_item else 0,
        is_branch=branch, manages=manages, counted=counted, approved=booking.status == APPROVED,
        no_show=booking.status == NO_SHOW,
        code_shown=(lifecycle.is_live(booking) or counted) and not booking.at_own_place,  # nothing to check in at home
        my_part_accepted=my_part is not None and my_part.status == PARTNER_ACCEPTED,
        # A lecturer invited or accepted holds the time: inviting another gives it back (lecturers.assign).
        lecturer_holds=booking.lecturer is not None and booking.lecturer_status in HOLDING_LECTURER,
        lecturer_invited=booking.lecturer_status == INVITED, lecturer_accepted=booking.lecturer_status == ACCEPTED,
        lecturer_declined=booking.lecturer_status == DECLINED,
        declined_partners={p.branch_id for p in booking.partners if p.status == PARTNER_DECLINED},
        # A lecture the branch ordered: its request (the dispatch and the answers).
        ordered=db.session.scalar(select(LectureRequest).where(LectureRequest.booking_id == booking.id))
        if booking.source == "request" else None)


def pending_query(actor: Actor):
    """The manager's queue: the requests waiting for their decision, the soonest visit first."""
    return visible_query(actor, status=PENDING).order_by(None).order_by(Booking.starts_at, Booking.id)


def pending_flags(bookings) -> dict:
    """What a manager decides on, beside each request of a page of the queue: which came from the waitlist
    (`promoted`), and which fall on a public holiday (`on_holiday`: the base may open then, or the calendar was
    entered after the request came)."""
    days = [b.day for b in bookings]
    return {"promoted": waitlist.promoted_into([b.id for b in bookings]),
            "on_holiday": holidays.public_holidays(min(days), max(days)) if days else {}}


def my_bookings(actor: Actor, status: str | None, now: datetime):
    """The bookings list: the upcoming ones the actor may see (the first hundred), and the query of the past ones,
    the latest first (the page pages it)."""
    visible = visible_query(actor, status=status)
    upcoming = db.session.scalars(visible.where(Booking.starts_at >= now).limit(100)).all()
    past = (visible.where(Booking.starts_at < now).order_by(None)
            .order_by(Booking.starts_at.desc(), Booking.id.desc()))
    return upcoming, past


def waitlist_page(actor: Actor, status: str | None, now: datetime):
    """The waitlist page: the entries still waiting (unless a status is chosen) with their places in the queues,
    and the query of the others, the latest first (the page pages it)."""
    waiting = db.session.scalars(waitlist.visible_query(actor, waitlist.WAITING.value)
                                 .where(WaitlistEntry.starts_at > now)).all() if status is None else []
    rest = (waitlist.visible_query(actor, status).where(~WaitlistEntry.id.in_([e.id for e in waiting] or [-1]))
            .order_by(None).order_by(WaitlistEntry.starts_at.desc(), WaitlistEntry.id.desc()))
    return waiting, waitlist.positions(waiting), rest


def week_page(actor: Actor, venue_id: int | None, first: date) -> dict:
    """A week of one of the actor's venues (the first when `venue_id` names none of them), from the Monday of
    `first`: every weekly slot by day with the places held, the bookings on the day and the waiting queue; a
    closed day with its reason."""
    venues = [v for b in permissions.managed_bases(actor) for v in b.venues if v.active]
    if not venues:
        return dict(venues=[], venue=None)
    venue = next((v for v in venues if v.id == venue_id), venues[0])
    first -= timedelta(days=first.weekday())
    days = [first + timedelta(days=i) for i in range(7)]
    held = catalog.places_held(venue.id, days[0], days[-1])
    bookings: dict = {}
    for b in db.session.scalars(visible_query(actor, start=days[0], end=days[-1]).where(
            Booking.venue_id == venue.id, Booking.status.in_(states.ON_THE_DAY))):
        bookings.setdefault(b.starts_at, []).append(b)
    slots = db.session.scalars(select(OpeningSlot).where(OpeningSlot.venue_id == venue.id, OpeningSlot.active.is_(True))
                               .order_by(OpeningSlot.start_time)).all()
    closed = catalog.closed_days(venue.base_id, venue.id, days[0], days[-1])
    waiting = waitlist.queues(venue.id, clock.at_local(days[0], datetime.min.time()),
                              clock.at_local(days[-1] + timedelta(days=1), datetime.min.time()))
    grid = []
    for start_time, end_time in sorted({(s.start_time, s.end_time) for s in slots}):
        row = []
        for day in days:
            slot = next((s for s in slots if s.weekday == day.weekday() and s.start_time == start_time), None)
            if slot is None or day in closed:
                row.append({"closed": True, "reason": closed.get(day, "")})  # why: a closure, a holiday
                continue
            at = clock.at_local(day, start_time)
            row.append({"capacity": slot.capacity, "held": held.get(at, 0), "bookings": bookings.get(at, []),
                        "waiting": waiting.get(at, [])})
        grid.append(((start_time, end_time), row))
    return dict(venues=venues, venue=venue, days=days, grid=grid, prev=first - timedelta(days=7),
                next=first + timedelta(days=7))
