"""Bookings: reading, changing and deciding on them (creating one is `records.create_booking`, the one insert path).

Each public function is one action, shared by the pages, the API, the CLI and the jobs: it asks the action's
guard in `lifecycle` (role, ownership, state and time), checks its fields, acts, and commits. What a move of
state brings with it happens in `lifecycle.transition`.
"""
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from booking import clock, permissions
from booking.errors import NotFound, SlotFull, ValidationFailed
from booking.notify.services import managers_of, notify, secretaries_of, taking_part_secretaries
from booking.permissions import Actor
from booking.textutil import text_problem
from booking.reservations import lifecycle, places
from booking.reservations.lifecycle import LIVE, PENDING, Move, require
from booking.reservations.records import record_event, validate_fields
from models import ACTIVITY_TYPES, Booking, BookingEvent, BookingPartner, db


# -- reading --------------------------------------------------------------------------------------

def get_visible(user: Actor, booking_id: int) -> Booking:
    """The booking if the user may see it; NotFound otherwise (never reveal others' bookings)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_view_booking(user, booking):
        raise NotFound("预约不存在。")
    return booking


def visible_query(user: Actor, *, status: str | None = None, base_id: int | None = None,
                  start: date | None = None, end: date | None = None):
    """The bookings the user may see, filtered; ordered by start."""
    stmt = select(Booking).where(permissions.booking_scope(user))
    if status:
        stmt = stmt.where(Booking.status == status)
    if base_id:
        stmt = stmt.where(Booking.base_id == base_id)
    if start:
        stmt = stmt.where(Booking.day >= start)
    if end:
        stmt = stmt.where(Booking.day <= end)
    return stmt.options(selectinload(Booking.menu_item), selectinload(Booking.branch),
                        selectinload(Booking.base), selectinload(Booking.venue),
                        selectinload(Booking.partners).joinedload(BookingPartner.branch)
                        ).order_by(Booking.starts_at, Booking.id)


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
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValidationFailed({name: "该项不能修改。" for name in sorted(unknown)})
    current = {name: getattr(booking, name) for name in CHANGEABLE}
    wanted = {**current, **{k: v for k, v in changes.items() if v is not None or k in ("topic", "note")}}
    fields = validate_fields(booking.menu_item, wanted["headcount"], wanted["contact_name"], wanted["contact_phone"],
                              wanted["topic"], wanted["note"], partners=booking.partner_headcount)
    on_roster = sum(1 for e in booking.roster if e.branch_id == booking.branch_id)
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
