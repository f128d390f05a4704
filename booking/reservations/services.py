"""Bookings: creating them without ever exceeding a slot's capacity, and every change of state.

Each public function is one action, shared by the pages, the API, the CLI and the jobs. Each checks
permission before state, writes a history row, tells the people concerned, and commits.
"""
import re
import secrets
from collections import namedtuple
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached, selectinload

from booking import clock, permissions
from booking.catalog import services as catalog
from booking.errors import (BranchBlocked, CancelDeadlinePassed, DuplicateBooking, InvalidState, NotAllowed, NotASlot, NotFound,
                            OutsideBookingWindow, SlotFull, ValidationFailed)
from booking.notify.services import is_secretary_of, managers_of, notify, secretaries_of
from models import Booking, BookingEvent, Branch, SlotOccupancy, User, db
from models.booking import LIVE_STATUSES, RELEASING_STATUSES, STATUS_LABELS, TRANSITIONS
from models.types import UTCDateTime

PHONE_RE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


_bookings = Booking.__table__
# Before a booking is written, in one query: whether the branch already holds this slot, and whether the
# check-in code drawn for it is taken. (The statuses are spelled out: an IN list is re-rendered on every run.)
_CLASHES = select(
    select(_bookings.c.id).where(
        _bookings.c.branch_id == bindparam("branch_id"), _bookings.c.venue_id == bindparam("venue_id"),
        _bookings.c.starts_at == bindparam("starts_at"),
        or_(*(_bookings.c.status == s for s in LIVE_STATUSES))).exists().label("duplicate"),
    select(_bookings.c.id).where(_bookings.c.code == bindparam("code")).exists().label("code_taken"),
)


def new_code() -> str:
    """A check-in code: 8 characters without look-alikes (0/O, 1/I); 32 letters, so each random byte maps evenly."""
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in secrets.token_bytes(8))


# -- reading --------------------------------------------------------------------------------------

def get_visible(user: User, booking_id: int) -> Booking:
    """The booking if the user may see it; NotFound otherwise (never reveal others' bookings)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_view_booking(user, booking):
        raise NotFound("预约不存在。")
    return booking


def visible_query(user: User, *, status: str | None = None, base_id: int | None = None,
                  start: date | None = None, end: date | None = None):
    """The bookings the user may see, filtered; ordered by start."""
    stmt = select(Booking)
    if user.role == "secretary":
        stmt = stmt.where(Booking.branch_id == user.branch_id)
    elif user.role == "manager":
        stmt = stmt.where(Booking.base_id.in_(user.base_ids or [-1]))
    elif user.role == "lecturer":
        stmt = stmt.where(Booking.lecturer_id == (user.lecturer_id or -1))
    elif user.role != "admin":
        stmt = stmt.where(False)
    if status:
        stmt = stmt.where(Booking.status == status)
    if base_id:
        stmt = stmt.where(Booking.base_id == base_id)
    if start:
        stmt = stmt.where(Booking.day >= start)
    if end:
        stmt = stmt.where(Booking.day <= end)
    return stmt.options(selectinload(Booking.menu_item), selectinload(Booking.branch),
                        selectinload(Booking.base), selectinload(Booking.venue)).order_by(Booking.starts_at, Booking.id)


def pending_count(user: User) -> int:
    """Requests waiting for this manager's decision."""
    if not permissions.works_for_bases(user):
        return 0
    stmt = select(func.count()).select_from(Booking).where(Booking.status == "pending")
    if user.role == "manager":
        stmt = stmt.where(Booking.base_id.in_(user.base_ids or [-1]))
    return db.session.scalar(stmt) or 0


# -- creating -------------------------------------------------------------------------------------

_NO_SHOW_DAYS = (select(_bookings.c.day)
                 .where(_bookings.c.branch_id == bindparam("branch_id"), _bookings.c.status == "no_show",
                        _bookings.c.day > bindparam("since"), _bookings.c.day <= bindparam("today"))
                 .order_by(_bookings.c.day.desc()).limit(bindparam("limit")))


def no_show_block(branch_id: int, today: date) -> date | None:
    """Until when (inclusive) the branch may not book online because of repeated no-shows, or None."""
    cfg = current_app.config
    since = today - timedelta(days=cfg["NO_SHOW_WINDOW_DAYS"])
    days = list(db.session.scalars(_NO_SHOW_DAYS, {"branch_id": branch_id, "since": since, "today": today,
                                                   "limit": cfg["NO_SHOW_LIMIT"]}))
    if len(days) < cfg["NO_SHOW_LIMIT"]:
        return None
    until = days[0] + timedelta(days=cfg["NO_SHOW_BLOCK_DAYS"])
    return until if until >= today else None


def _validate_fields(item, headcount, contact_name, contact_phone, topic, note) -> dict:
    """What is wrong with the request's fields, by field; `item` is anything with min_group and max_group."""
    fields = {}
    if isinstance(headcount, bool) or not isinstance(headcount, int):
        fields["headcount"] = "请填写参加人数（整数）。"
    elif item is not None and not item.min_group <= headcount <= item.max_group:
        fields["headcount"] = f"参加人数应在 {item.min_group}–{item.max_group} 人之间。"
    if not (contact_name or "").strip():
        fields["contact_name"] = "请填写联系人。"
    elif len(contact_name.strip()) > 60:
        fields["contact_name"] = "联系人不能超过 60 个字。"
    if not PHONE_RE.match((contact_phone or "").strip()):
        fields["contact_phone"] = "请填写有效的手机号或座机号，如 13800000000 或 021-55550101。"
    if topic and len(topic) > 200:
        fields["topic"] = "活动主题不能超过 200 个字。"
    if note and len(note) > 2000:
        fields["note"] = "备注不能超过 2000 个字。"
    return fields


# Hold places in a dated slot in one statement: the slot's counter is created holding them or, when it exists,
# raised only if they still fit (no row changes when they do not). The same SQL on SQLite and PostgreSQL, written
# out because the dialects' ON CONFLICT constructs are compiled anew on every execution.
_OCC_TAKE = text(
    "INSERT INTO slot_occupancies (venue_id, starts_at, ends_at, capacity, held) VALUES (:v, :s, :e, :c, :n) "
    "ON CONFLICT (venue_id, starts_at) DO UPDATE SET held = slot_occupancies.held + excluded.held "
    "WHERE slot_occupancies.held + excluded.held <= slot_occupancies.capacity"
).bindparams(bindparam("s", type_=UTCDateTime()), bindparam("e", type_=UTCDateTime()))


def _take_places(venue_id: int, start: datetime, end: datetime, capacity: int, n: int) -> None:
    """Hold n places in the dated slot, atomically; SlotFull when they are not there.

    The upsert is serialised by the database per row (PostgreSQL row lock, SQLite's write lock), so
    simultaneous requests in any number of processes can never overfill a slot.
    """
    if n > capacity or db.session.execute(
            _OCC_TAKE, {"v": venue_id, "s": start, "e": end, "c": capacity, "n": n}).rowcount != 1:
        raise SlotFull()


def _release_places(booking: Booking) -> None:
    db.session.execute(
        update(SlotOccupancy)
        .where(SlotOccupancy.venue_id == booking.venue_id, SlotOccupancy.starts_at == booking.starts_at)
        .values(held=SlotOccupancy.held - booking.headcount)
        .execution_options(synchronize_session=False))


_branches, _users = Branch.__table__, User.__table__
# The branch with its secretaries (who are told when its booking is approved): one row per secretary, or one
# row with none.
_BRANCH = (select(_branches.c.id, _branches.c.name, _branches.c.active, _users.c.id.label("secretary_id"),
                  _users.c.email.label("secretary_email"))
           .select_from(_branches.outerjoin(_users, is_secretary_of(_branches.c.id)))
           .where(_branches.c.id == bindparam("id")))
Recipient = namedtuple("Recipient", "id email")
_INSERT_BOOKING = _bookings.insert().returning(_bookings.c.id)
BOOKING_COLUMNS = tuple(c.key for c in _bookings.columns)
NAMES = ("base_name", "venue_name", "branch_name", "menu_item_title")
# A booking just made, as a plain record: its columns and the names shown with it (what the API answers).
NewBooking = namedtuple("NewBooking", BOOKING_COLUMNS + NAMES)
_UNSET = dict.fromkeys(BOOKING_COLUMNS)


def create_booking(actor, **request) -> Booking:
    """`book`, and the new booking as the session's Booking object, for the pages and scripts that go on
    working with it. (Made from the record without reading the row back.)"""
    new = book(actor, **request)
    booking = Booking(**{key: value for key, value in new._asdict().items() if key not in NAMES})
    make_transient_to_detached(booking)
    db.session.add(booking)
    return booking


def book(actor, *, menu_item_id, start, headcount, contact_name, contact_phone,
         topic: str | None = "", note: str | None = "", branch_id: int | None = None,
         now: datetime | None = None) -> NewBooking:
    """Book a slot: a secretary online for their branch, a manager offline for any branch of the district.

    `actor` is a User, or anything the permission rules accept as one (the API's token principal).
    Everything is read before the first write, in prebuilt statements; the write transaction is then
    four statements: hold the places, the booking, its history, the notifications.
    """
    now = now or clock.now()
    if actor.role not in ("secretary", "manager"):
        raise NotAllowed("只有支部书记（线上预约）和基地管理员（线下登记）可以预约。")
    item = catalog.item_at(menu_item_id, start) if isinstance(menu_item_id, int) else None
    if item is None:
        raise ValidationFailed({"menu_item_id": "菜单项目不存在或已下架。"})
    if actor.role == "secretary":
        if not permissions.can_book_online(actor):
            raise NotAllowed("您的账号没有关联党支部。")
        if branch_id not in (None, actor.branch_id):
            raise NotAllowed("支部书记只能为本支部预约。")
        branch_id, source = actor.branch_id, "online"
        blocked_until = no_show_block(branch_id, clock.local_today(now))
        if blocked_until is not None:
            raise BranchBlocked(
                f"贵支部近期多次预约未到场，{blocked_until:%Y年%m月%d日} 前不能在线预约；如需活动请联系基地管理员登记。")
    else:
        if not permissions.can_record_offline(actor, item.base_id):
            raise NotAllowed("只能为自己管理的基地登记线下预约。")
        source = "offline"
    fields = _validate_fields(item, headcount, contact_name, contact_phone, topic, note)
    rows = db.session.execute(_BRANCH, {"id": branch_id}).all() if isinstance(branch_id, int) else []
    branch = rows[0] if rows else None
    if source == "offline" and (branch is None or not branch.active):
        fields["branch_id"] = "请选择预约的党支部。"
    if fields:
        raise ValidationFailed(fields)

    if item.end_time is None or item.closed:
        raise NotASlot()
    day = clock.local(start).date()
    end = clock.at_local(day, item.end_time)
    days_ahead = (day - clock.local_today(now)).days
    if source == "online":
        in_window = item.min_advance_days <= days_ahead <= item.max_advance_days and start > now
    else:  # a manager also records same-day walk-ins, but never for a slot that is over
        in_window = 0 <= days_ahead <= item.max_advance_days and end > now
    if not in_window:
        raise OutsideBookingWindow(
            f"该基地可预约 {item.min_advance_days}–{item.max_advance_days} 天内的场次。" if source == "online" else None)
    code = new_code()
    while True:
        clashes = db.session.execute(_CLASHES, {"branch_id": branch.id, "venue_id": item.venue_id,
                                                "starts_at": start, "code": code}).one()
        if clashes.duplicate:
            raise DuplicateBooking()
        if not clashes.code_taken:
            break
        code = new_code()

    # Everything read; the write transaction (and on SQLite the write lock) starts with taking the places.
    status = "approved" if source == "offline" or not item.requires_approval else "pending"
    managers = managers_of(item.base_id) if source == "online" else []
    secretaries = [Recipient(r.secretary_id, r.secretary_email) for r in rows if r.secretary_id is not None]
    values = {
        "code": code, "status": status, "source": source, "base_id": item.base_id,
        "venue_id": item.venue_id, "menu_item_id": item.id, "branch_id": branch.id, "starts_at": start,
        "ends_at": end, "day": day, "headcount": headcount, "contact_name": contact_name.strip(),
        "contact_phone": contact_phone.strip(), "topic": (topic or "").strip(), "note": (note or "").strip(),
        "created_by_id": actor.id, "created_at": now, "updated_at": now}
    when = f"{clock.local(start):%m月%d日 %H:%M}"
    names = {"base_name": item.base_name, "venue_name": item.venue_name, "branch_name": branch.name,
             "menu_item_title": item.title}
    _take_places(item.venue_id, start, end, item.capacity, headcount)
    try:
        booking_id = db.session.execute(_INSERT_BOOKING, values).scalar_one()
    except IntegrityError:  # the same branch's live booking of this slot, committed a moment ago
        db.session.rollback()
        raise DuplicateBooking() from None
    booking = NewBooking(**{**_UNSET, **values, **names, "id": booking_id})
    _event(booking, actor, "created", None, status, "线下登记" if source == "offline" else "", now)
    if status == "pending":
        notify(managers, "booking_created", booking, f"新预约待审核：{branch.name}",
               f"{branch.name} 预约了 {when} 的“{item.title}”，{headcount} 人，请审核。")
    else:
        if source == "online":
            notify(managers, "booking_created", booking, f"新预约：{branch.name}",
                   f"{branch.name} 预约了 {when} 的“{item.title}”，{headcount} 人（无需审核）。")
        notify(secretaries, "booking_approved", booking, f"预约成功：{item.base_name} {when}",
               f"“{item.title}”{when}，{headcount} 人。签到码 {code}。")
    db.session.commit()
    return booking


# -- changing state -------------------------------------------------------------------------------

_INSERT_EVENT = BookingEvent.__table__.insert()


def _event(booking: Booking, actor, action: str, from_status, to_status, note: str, now: datetime) -> None:
    db.session.execute(_INSERT_EVENT, {"booking_id": booking.id, "at": now, "actor_id": actor.id if actor else None,
                                       "action": action, "from_status": from_status, "to_status": to_status,
                                       "note": note or ""})


def transition(booking: Booking, action: str, actor: User | None, note: str = "",
               now: datetime | None = None) -> str:
    """Move a booking along the state machine; InvalidState unless its current status allows the action.

    The status is changed with a conditional UPDATE, so two simultaneous decisions cannot both win.
    Returns the status it came from.
    """
    now = now or clock.now()
    allowed, target = TRANSITIONS[action]
    previous = booking.status
    if previous not in allowed:
        raise InvalidState(f"预约当前为“{STATUS_LABELS[previous]}”，不能执行此操作。")
    result = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == previous)
        .values(status=target, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise InvalidState("该预约刚刚被其他人处理过，请刷新后再试。")
    booking.status = target
    if previous in LIVE_STATUSES and target in RELEASING_STATUSES:
        _release_places(booking)
    _event(booking, actor, action, previous, target, note, now)
    return previous


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def approve_booking(actor: User, booking: Booking, now: datetime | None = None) -> Booking:
    """A manager approves a pending request; its places were held from the start, so nothing can fail here."""
    _require(permissions.can_decide(actor, booking), "只有该基地的管理员可以审核。")
    transition(booking, "approved", actor, "", now)
    notify(secretaries_of(booking.branch_id), "booking_approved", booking,
           f"预约已通过：{booking.base.name} {clock.local(booking.starts_at):%m月%d日 %H:%M}",
           f"“{booking.menu_item.title}”已通过审核。签到码 {booking.code}，请按时到达。")
    db.session.commit()
    return booking


def reject_booking(actor: User, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """A manager rejects a pending request with a reason; its places are freed."""
    _require(permissions.can_decide(actor, booking), "只有该基地的管理员可以审核。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写驳回原因。"})
    if len(reason) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
    transition(booking, "rejected", actor, reason, now)
    notify(secretaries_of(booking.branch_id), "booking_rejected", booking,
           f"预约未通过：{booking.base.name} {clock.local(booking.starts_at):%m月%d日 %H:%M}",
           f"“{booking.menu_item.title}”未通过审核。原因：{reason}")
    db.session.commit()
    return booking


def cancel_deadline(booking: Booking) -> datetime:
    """Until when the branch itself may cancel."""
    return booking.starts_at - timedelta(hours=booking.base.cancel_deadline_hours)


def cancel_booking(actor: User, booking: Booking, reason: str | None = "", now: datetime | None = None) -> Booking:
    """Cancel: the branch until the base's deadline, a manager of the base any time before the start."""
    now = now or clock.now()
    _require(permissions.can_cancel(actor, booking), "您不能取消这个预约。")
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
    if booking.status not in TRANSITIONS["cancelled"][0]:
        raise InvalidState(f"预约当前为“{STATUS_LABELS[booking.status]}”，不能取消。")
    if actor.role == "secretary":
        if now > cancel_deadline(booking):
            raise CancelDeadlinePassed(
                f"活动开始前 {booking.base.cancel_deadline_hours} 小时内不能自行取消，请联系基地管理员。")
    elif now >= booking.starts_at:
        raise InvalidState("活动已经开始，不能取消。")
    transition(booking, "cancelled", actor, reason, now)
    when = f"{clock.local(booking.starts_at):%m月%d日 %H:%M}"
    body = f"“{booking.menu_item.title}”{when} 的预约已取消。" + (f"原因：{reason}" if reason else "")
    if actor.role == "secretary":
        notify(managers_of(booking.base_id), "booking_cancelled", booking, f"支部取消了预约：{booking.branch.name}", body)
    else:
        notify(secretaries_of(booking.branch_id), "booking_cancelled", booking,
               f"预约已被基地取消：{booking.base.name} {when}", body)
    db.session.commit()
    return booking


def history(booking: Booking) -> list[BookingEvent]:
    """Every change of the booking, oldest first."""
    return list(db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == booking.id)
        .options(selectinload(BookingEvent.actor)).order_by(BookingEvent.at, BookingEvent.id)))


