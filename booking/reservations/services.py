"""Bookings: creating them without ever exceeding a slot's capacity, changing them, and deciding on them.

Each public function is one action, shared by the pages, the API, the CLI and the jobs: it asks the action's
guard in `lifecycle` (role, ownership, state and time), checks its fields, acts, and commits. What a move of
state brings with it happens in `lifecycle.transition`.
"""
import re
import secrets
from collections import namedtuple
from datetime import date, datetime

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from booking import clock, permissions
from booking.catalog import services as catalog
from booking.errors import (BranchBlocked, DuplicateBooking, InvalidState, NotAllowed, NotASlot, NotFound, QuotaExceeded,
                            OutsideBookingWindow, SlotFull, ValidationFailed)
from booking.notify.services import is_secretary_of, managers_of, notify, secretaries_of, taking_part_secretaries
from booking.permissions import Actor
from booking.reservations import lifecycle, shares
from booking.reservations.lifecycle import APPROVED, LIVE, PENDING, Move, require
from models import ACTIVITY_TYPES, Booking, BookingEvent, BookingPartner, Branch, SlotOccupancy, User, db
from models.types import UTCDateTime

PHONE_RE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


_bookings, _occ = Booking.__table__, SlotOccupancy.__table__
# Before a booking is written, in one query: whether the branch already holds this slot, whether the check-in
# code drawn for it is taken, and whether the slot is already too full for the headcount (then nothing is written
# and no lock taken: in a rush most requests are for a slot that is full). (The statuses are spelled out: an IN
# list is re-rendered on every run.)
_CLASHES = select(
    select(_bookings.c.id).where(
        _bookings.c.branch_id == bindparam("branch_id"), _bookings.c.venue_id == bindparam("venue_id"),
        _bookings.c.starts_at == bindparam("starts_at"),
        or_(*(_bookings.c.status == s.value for s in LIVE))).exists().label("duplicate"),
    select(_bookings.c.id).where(_bookings.c.code == bindparam("code")).exists().label("code_taken"),
    select(_occ.c.id).where(_occ.c.venue_id == bindparam("venue_id"), _occ.c.starts_at == bindparam("starts_at"),
                            _occ.c.held + bindparam("n") > _occ.c.capacity).exists().label("full"),
)


def new_code() -> str:
    """A check-in code: 8 characters without look-alikes (0/O, 1/I); 32 letters, so each random byte maps evenly."""
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in secrets.token_bytes(8))


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


# -- creating -------------------------------------------------------------------------------------

def validate_fields(item, headcount, contact_name, contact_phone, topic, note, partners: int = 0) -> dict:
    """What is wrong with the request's fields, by field; `item` is anything with min_group and max_group. The
    group limits apply to the total with the partners' `partners` places (a joint booking)."""
    fields = {}
    if isinstance(headcount, bool) or not isinstance(headcount, int):
        fields["headcount"] = "请填写参加人数（整数）。"
    elif partners and (headcount < 1 or not item.min_group <= headcount + partners <= item.max_group):
        fields["headcount"] = (f"合计人数（本支部 {headcount} 人 + 共建支部 {partners} 人）应在 "
                               f"{item.min_group}–{item.max_group} 人之间。")
    elif item is not None and not partners and not item.min_group <= headcount <= item.max_group:
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


def request_fields(item, headcount, contact_name, contact_phone, topic, note, activity_type) -> tuple[dict, str]:
    """What is wrong with a booking request's fields (validate_fields, and the activity type), with the activity
    type it asks for (a theme day when none is given). For a booking and a place on the waitlist alike."""
    fields = validate_fields(item, headcount, contact_name, contact_phone, topic, note)
    activity_type = activity_type or "theme_day"
    if activity_type not in ACTIVITY_TYPES:
        fields["activity_type"] = f"活动类型应为{'、'.join(ACTIVITY_TYPES.values())}之一。"
    return fields, activity_type


def check_slot(item, start: datetime, now: datetime, source: str) -> None:
    """The slot asked for can be requested: the item's row (catalog.item_at) has a weekly slot beginning at `start`
    that is not closed that day (NotASlot), within the base's booking window for an online or offline request
    (OutsideBookingWindow). For a booking and a place on the waitlist alike."""
    if item.end_time is None or item.closed:
        raise NotASlot()
    if not catalog.in_booking_window(offline=source == "offline", min_days=item.min_advance_days,
                                     max_days=item.max_advance_days, start=start, now=now):
        raise OutsideBookingWindow(
            f"该基地可预约 {item.min_advance_days}–{item.max_advance_days} 天内的场次。" if source == "online" else None)


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
        db.session.rollback()  # at once: the row the upsert found stays locked until the transaction ends
        raise SlotFull()


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
# A booking just made, as written: its columns and the names shown with it. The one answer of creation: the
# API serialises it as it is and a page needs its id and status, so nothing is read back (an ORM object would
# cost more than the rest of the answer); who goes on working with the booking loads it.
NewBooking = namedtuple("NewBooking", BOOKING_COLUMNS + NAMES)
_UNSET = dict.fromkeys(BOOKING_COLUMNS)


def create_booking(actor: Actor, *, menu_item_id, start, headcount, contact_name, contact_phone,
                   topic: str | None = "", note: str | None = "", branch_id: int | None = None,
                   activity_type: str | None = None, series_id: int | None = None,
                   now: datetime | None = None) -> NewBooking:
    """Book a slot: a secretary online for their branch, a manager offline for any branch of the district.

    Everything is read before the first write, in prebuilt statements; the write transaction is then
    four statements: hold the places, the booking, its history, the notifications. The answer is the booking
    as written (NewBooking), never read back.
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
        blocked_until = lifecycle.no_show_block(branch_id, clock.local_today(now))
        if blocked_until is not None:
            raise BranchBlocked(
                f"贵支部近期多次预约未到场，{clock.day_text(blocked_until)} 前不能在线预约；如需活动请联系基地管理员登记。")
    else:
        if not permissions.can_record_offline(actor, item.base_id):
            raise NotAllowed("只能为自己管理的基地登记线下预约。")
        source = "offline"
    fields, activity_type = request_fields(item, headcount, contact_name, contact_phone, topic, note, activity_type)
    rows = db.session.execute(_BRANCH, {"id": branch_id}).all() if isinstance(branch_id, int) else []
    branch = rows[0] if rows else None
    if source == "offline" and (branch is None or not branch.active):
        fields["branch_id"] = "请选择预约的党支部。"
    if fields:
        raise ValidationFailed(fields)

    check_slot(item, start, now, source)
    day = clock.local(start).date()
    end = clock.at_local(day, item.end_time)
    code = new_code()
    while True:
        clashes = db.session.execute(_CLASHES, {"branch_id": branch.id, "venue_id": item.venue_id,
                                                "starts_at": start, "code": code, "n": headcount}).one()
        if clashes.duplicate:
            raise DuplicateBooking()
        if clashes.full:
            raise SlotFull()
        if not clashes.code_taken:
            break
        code = new_code()

    # Everything read; the write transaction (and on SQLite the write lock) starts with taking the places.
    status = APPROVED if source == "offline" or not item.requires_approval else PENDING
    managers = managers_of(item.base_id) if source == "online" else []
    secretaries = [Recipient(r.secretary_id, r.secretary_email) for r in rows if r.secretary_id is not None]
    values = {
        "code": code, "status": status, "source": source, "base_id": item.base_id,
        "venue_id": item.venue_id, "menu_item_id": item.id, "branch_id": branch.id, "starts_at": start,
        "ends_at": end, "day": day, "headcount": headcount, "contact_name": contact_name.strip(),
        "contact_phone": contact_phone.strip(), "topic": (topic or "").strip(), "note": (note or "").strip(),
        "activity_type": activity_type, "series_id": series_id, "created_by_id": actor.id, "created_at": now, "updated_at": now}
    when = clock.when(start)
    names = {"base_name": item.base_name, "venue_name": item.venue_name, "branch_name": branch.name,
             "menu_item_title": item.title}
    _take_places(item.venue_id, start, end, item.capacity, headcount)
    if source == "online" and (item.max_live_per_branch is not None or item.max_per_branch_per_month is not None):
        try:
            shares.hold(branch.id, item.base_id, item.max_live_per_branch, item.max_per_branch_per_month, day, now)
        except QuotaExceeded:
            db.session.rollback()
            raise
    try:
        booking_id = db.session.execute(_INSERT_BOOKING, values).scalar_one()
    except IntegrityError:  # the same branch's live booking of this slot, committed a moment ago
        db.session.rollback()
        raise DuplicateBooking() from None
    booking = NewBooking(**{**_UNSET, **values, **names, "id": booking_id})
    lifecycle.record_event(booking, actor, "created", "线下登记" if source == "offline" else "", now,
                           from_status=None)
    if status == PENDING:
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


def book_from_waitlist(entry, item, now: datetime) -> int:
    """The booking a promoted waitlist entry becomes, its places already taken by the promotion (waitlist.promote):
    online, pending or approved by the base's rules, its history saying where it came from, the branch told that it
    is now booked and how to cancel if it is no longer needed. The caller commits. Returns its id."""
    status = PENDING if item.requires_approval else APPROVED
    code = new_code()
    while db.session.execute(_CLASHES, {"branch_id": entry.branch_id, "venue_id": entry.venue_id,
                                        "starts_at": entry.starts_at, "code": code, "n": 0}).one().code_taken:
        code = new_code()
    values = {
        "code": code, "status": status, "source": "online", "base_id": entry.base_id, "venue_id": entry.venue_id,
        "menu_item_id": entry.menu_item_id, "branch_id": entry.branch_id, "starts_at": entry.starts_at,
        "ends_at": entry.ends_at, "day": entry.day, "headcount": entry.headcount, "contact_name": entry.contact_name,
        "contact_phone": entry.contact_phone, "topic": entry.topic, "note": "", "activity_type": entry.activity_type,
        "series_id": None, "created_by_id": entry.created_by_id, "created_at": now, "updated_at": now}
    booking_id = db.session.execute(_INSERT_BOOKING, values).scalar_one()
    booking = NewBooking(**{**_UNSET, **values, "id": booking_id, "base_name": item.base_name,
                            "venue_name": item.venue_name, "branch_name": "", "menu_item_title": item.title})
    lifecycle.record_event(booking, None, "created", "由候补转入", now, from_status=None)
    lifecycle.record_event(booking, None, "promoted_from_waitlist",
                           f"候补第 {entry.id} 号：有名额释放，自动转为预约（{entry.headcount} 人）", now)
    when = clock.when(entry.starts_at)
    pending_text = "，请等待基地审核" if status == PENDING else f"，签到码 {code}"
    notify(secretaries_of(entry.branch_id), "waitlist_promoted", booking, f"候补成功：{item.base_name} {when}",
           f"“{item.title}”{when} 有名额释放，贵支部的候补已自动转为预约（{entry.headcount} 人）{pending_text}。"
           "如已不需要，请在“我的预约”中取消，把名额留给其他支部。")
    notify(managers_of(entry.base_id), "booking_created", booking,
           f"候补转为预约：{entry.branch.name}" + ("（待审核）" if status == PENDING else ""),
           f"{entry.branch.name} 候补的 {when}“{item.title}”已转为预约，{entry.headcount} 人。")
    return booking_id


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
    # The booking row first (its lock orders this against a cancellation), on condition that nobody moved it.
    moved = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == booking.status,
                              Booking.headcount == current["headcount"],
                              Booking.partner_headcount == booking.partner_headcount)
        .values(**{name: new for name, (_, new) in changed.items()}, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("该预约刚刚被其他人处理过，请刷新后再试。")
    if "headcount" in changed:
        delta = wanted["headcount"] - current["headcount"]
        if delta > 0:
            if not lifecycle.take_more_places(booking, delta):
                db.session.rollback()
                raise SlotFull(f"该场次剩余名额不足，无法增加到 {wanted['headcount']} 人。")
        else:
            lifecycle.release_places(booking, -delta)
            lifecycle.places_freed(booking, now)
    for name, (_, new) in changed.items():
        setattr(booking, name, new)
    note = "；".join(f"{_FIELD_NAMES[n]}：{old or '（空）'} → {new or '（空）'}" for n, (old, new) in changed.items())
    lifecycle.record_event(booking, actor, "changed", note, now)
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


# -- deciding on it --------------------------------------------------------------------------------

def _reason(reason: str | None, required: bool, message: str = "请填写驳回原因。") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed({"reason": message})
    if len(reason) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
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
