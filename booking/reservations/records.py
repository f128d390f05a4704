"""Inserting a booking: its code, its fields and slot checked, the branch's claim on the slot, its history.

The one insert path for bookings: a secretary's online booking and a manager's offline one (phone calls and
walk-ins on the day), a series' occurrence (through `create_booking`) and a waitlist entry promoted into freed
places (`book_from_waitlist`). "This branch already holds the slot" is `holds_slot`, covering the branch's own live
booking and an invited or accepted part in another branch's; it is asked before writing and, where two requests
could race past it, again under the slot's lock.
"""
import secrets
from collections import namedtuple
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError

from booking import clock, permissions
from booking.catalog import services as catalog
from booking.errors import (BranchBlocked, DuplicateBooking, NotAllowed, NotASlot, OutsideBookingWindow,
                            QuotaExceeded, SlotFull, ValidationFailed)
from booking.notify.services import is_secretary_of, managers_of, notify, secretaries_of
from booking.permissions import Actor
from booking.reservations import places, shares
from booking.reservations.states import (APPROVED, HOLDING_PARTNER, LIVE, NO_SHOW, OCC_BOOKED, OCC_PLANNED,
                                        PARTNER_INVITED, PENDING)
from booking.textutil import PHONE_MESSAGE, PHONE_RE, text_problem
from models import (ACTIVITY_TYPES, Booking, BookingEvent, BookingPartner, Branch, Lecture, SeriesOccurrence,
                    SlotOccupancy, User, db)
from models.lecture import LectureStatus

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


_bookings, _occ, _partners = Booking.__table__, SlotOccupancy.__table__, BookingPartner.__table__
# The branch holds the slot: its own live booking of it, or an invited or accepted part in another branch's.
# (The statuses are spelled out: an IN list is re-rendered on every run.)
_live = or_(*(_bookings.c.status == s.value for s in LIVE))
_HOLDS_SLOT = or_(
    select(_bookings.c.id).where(
        _bookings.c.branch_id == bindparam("branch_id"), _bookings.c.venue_id == bindparam("venue_id"),
        _bookings.c.starts_at == bindparam("starts_at"), _live).exists(),
    select(_partners.c.id).select_from(_partners.join(_bookings, _bookings.c.id == _partners.c.booking_id)).where(
        _partners.c.branch_id == bindparam("branch_id"), _bookings.c.venue_id == bindparam("venue_id"),
        _bookings.c.starts_at == bindparam("starts_at"), _live,
        or_(*(_partners.c.status == s.value for s in HOLDING_PARTNER))).exists())
_HOLDS = select(_HOLDS_SLOT)
_CODE_TAKEN = select(select(_bookings.c.id).where(_bookings.c.code == bindparam("code")).exists())
# Before a booking is written, in one query: whether the branch already holds this slot (holds_slot), whether the check-in
# code drawn for it is taken, and whether the slot is already too full for the headcount (then nothing is written
# and no lock taken: in a rush most requests are for a slot that is full). (The statuses are spelled out: an IN
# list is re-rendered on every run.)
_CLASHES = select(
    _HOLDS_SLOT.label("duplicate"),
    select(_bookings.c.id).where(_bookings.c.code == bindparam("code")).exists().label("code_taken"),
    select(_occ.c.id).where(_occ.c.venue_id == bindparam("venue_id"), _occ.c.starts_at == bindparam("starts_at"),
                            _occ.c.held + bindparam("n") > _occ.c.capacity).exists().label("full"),
)


class OccurrenceTaken(Exception):
    """A series' date was settled by another process while this one booked it (nothing was written)."""


def new_code() -> str:
    """A check-in code: 8 characters without look-alikes (0/O, 1/I); 32 letters, so each random byte maps evenly."""
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in secrets.token_bytes(8))

def holds_slot(branch_id: int, venue_id: int, starts_at: datetime) -> bool:
    """Whether the branch already holds this dated slot: its own live booking of it, or an invited or accepted part
    in another branch's live booking of it."""
    return bool(db.session.scalar(_HOLDS, {"branch_id": branch_id, "venue_id": venue_id, "starts_at": starts_at}))


def refuse_if_holding(branch_id: int, venue_id: int, starts_at: datetime, message: str | None = None) -> None:
    """Inside a write transaction, with the slot's counter row taken: DuplicateBooking (rolled back) when the branch
    holds the slot, as committed by whoever held that row before (so two requests cannot both pass the check)."""
    if holds_slot(branch_id, venue_id, starts_at):
        db.session.rollback()
        raise DuplicateBooking(message)


_b = Booking.__table__
# Core, prebuilt: online booking asks this on every request.
_NO_SHOWS = (select(_b.c.day)
             .where(_b.c.branch_id == bindparam("branch_id"), _b.c.status == NO_SHOW.value,
                    _b.c.day > bindparam("since"), _b.c.day <= bindparam("today"))
             .order_by(_b.c.day.desc()).limit(bindparam("limit")))


def no_show_block(branch_id: int, today: date) -> date | None:
    """Until when (inclusive) the branch may not book online because of repeated no-shows, or None."""
    cfg = current_app.config
    since = today - timedelta(days=cfg["NO_SHOW_WINDOW_DAYS"])
    days = list(db.session.scalars(_NO_SHOWS, {"branch_id": branch_id, "since": since, "today": today,
                                               "limit": cfg["NO_SHOW_LIMIT"]}))
    if len(days) < cfg["NO_SHOW_LIMIT"]:
        return None
    until = days[0] + timedelta(days=cfg["NO_SHOW_BLOCK_DAYS"])
    return until if until >= today else None


def no_show_refusal(branch_id: int, today: date) -> BranchBlocked | None:
    """The refusal of a branch blocked for repeated no-shows (no_show_block), or None: the one answer of online
    booking, the waitlist and the slot picker alike."""
    until = no_show_block(branch_id, today)
    if until is None:
        return None
    return BranchBlocked(f"贵支部近期多次预约未到场，{clock.day_text(until)} 前不能在线预约或候补；"
                         "如需开展活动，请联系基地管理员登记。")



_INSERT_EVENT = BookingEvent.__table__.insert()
_SAME = object()


def record_event(booking, actor: Actor | None, action: str, note: str = "", now: datetime | None = None, *,
                 from_status=_SAME, to_status=_SAME, lecturer_id: int | None = None) -> None:
    """Write one history row of the booking (who, when, from which status to which, why, and for the lecturer's
    part which lecturer); by default the status stays what it is. `booking` is anything with `id` and `status`."""
    status = booking.status
    db.session.execute(_INSERT_EVENT, {
        "booking_id": booking.id, "at": now or clock.now(), "actor_id": actor.id if actor else None,
        "action": action, "from_status": status if from_status is _SAME else from_status,
        "to_status": status if to_status is _SAME else to_status, "note": note or "", "lecturer_id": lecturer_id})



# -- checking a request ----------------------------------------------------------------------------

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
        fields["headcount"] = f"参加人数应在 {item.min_group}–{item.max_group} 人之间。" + (
            "人数不足时可邀请共建支部联合开展，人数合计计算。" if isinstance(headcount, int) and 0 < headcount < item.min_group
            else "")
    if not (contact_name or "").strip():
        fields["contact_name"] = "请填写联系人。"
    elif len(contact_name.strip()) > 60:
        fields["contact_name"] = "联系人不能超过 60 个字。"
    if not PHONE_RE.match((contact_phone or "").strip()):
        fields["contact_phone"] = PHONE_MESSAGE
    if topic and len(topic) > 200:
        fields["topic"] = "活动主题不能超过 200 个字。"
    if note and len(note) > 2000:
        fields["note"] = "备注不能超过 2000 个字。"
    for name, value, multiline in (("contact_name", contact_name, False), ("contact_phone", contact_phone, False),
                                   ("topic", topic, False), ("note", note, True)):
        problem = text_problem(value, multiline)
        if problem and name not in fields:
            fields[name] = problem
    return fields


def request_fields(item, headcount, contact_name, contact_phone, topic, note, activity_type,
                   partners: int = 0) -> tuple[dict, str]:
    """What is wrong with a booking request's fields (validate_fields, and the activity type), with the activity
    type it asks for (a theme day when none is given). For a booking and a place on the waitlist alike; `partners`
    are the places of the branches a new booking invites at once."""
    fields = validate_fields(item, headcount, contact_name, contact_phone, topic, note, partners)
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


def holding_text(branch_name: str) -> str:
    """Why a branch that holds the slot cannot be invited to it."""
    return (f"{branch_name}已预约了同一场次（或已作为共建支部参加），不能再邀请；"
            "请对方先取消其预约，或不邀请该支部。")


MAX_PARTNERS_AT_ONCE = 10


def wanted_partners(partners, host_branch_id) -> tuple[list[tuple[Branch, int]], dict]:
    """The branches a new booking invites at once (`[{"branch_id", "headcount"}]`), each active, not the host, named
    once, with a positive headcount: the branches with their places, and what is wrong under `partners`."""
    if not partners:
        return [], {}
    if not isinstance(partners, list) or len(partners) > MAX_PARTNERS_AT_ONCE:
        return [], {"partners": f"共建支部应为列表，最多 {MAX_PARTNERS_AT_ONCE} 个。"}
    wanted, problems, seen = [], [], set()
    for n, part in enumerate(partners, start=1):
        branch_id = part.get("branch_id") if isinstance(part, dict) else None
        headcount = part.get("headcount") if isinstance(part, dict) else None
        branch = (db.session.get(Branch, branch_id)
                  if isinstance(branch_id, int) and not isinstance(branch_id, bool) and 0 < branch_id <= 2**31 - 1
                  else None)
        if branch is None or not branch.active:
            problems.append(f"第 {n} 个共建支部不存在，请重新选择。")
        elif branch.id == host_branch_id:
            problems.append("不能邀请主办支部自己。")
        elif branch.id in seen:
            problems.append(f"{branch.name}重复了。")
        elif isinstance(headcount, bool) or not isinstance(headcount, int) or not 1 <= headcount <= 100000:
            problems.append(f"请填写{branch.name}的参加人数（正整数）。")
        else:
            seen.add(branch.id)
            wanted.append((branch, headcount))
    return wanted, ({"partners": "".join(problems)} if problems else {})


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
NewBooking = namedtuple("NewBooking", BOOKING_COLUMNS + NAMES + ("partners",))
_UNSET = dict.fromkeys(BOOKING_COLUMNS) | {"partners": ()}
# A partner a new booking invited, as written (the fields a booking's answer shows of its partners).
NewPartner = namedtuple("NewPartner", "branch_id branch headcount status visitor_count")


def create_booking(actor: Actor, *, menu_item_id, start, headcount, contact_name, contact_phone,
                   topic: str | None = "", note: str | None = "", branch_id: int | None = None,
                   activity_type: str | None = None, series_id: int | None = None,
                   occurrence_id: int | None = None, partners: list | None = None,
                   now: datetime | None = None) -> NewBooking:
    """Book a slot: a secretary online for their branch, a manager offline for any branch of the district.

    Everything is read before the first write, in prebuilt statements; the write transaction is then
    four statements: hold the places, the booking, its history, the notifications. The answer is the booking
    as written (NewBooking), never read back. A series' date (`occurrence_id`) is claimed in the same transaction,
    once its booking exists (OccurrenceTaken, rolled back, when another process settled it first).

    `partners` (`[{"branch_id", "headcount"}]`) invites branches at once, their places held with the host's: the
    item's group limits apply to the total, so a small branch can reach an item's minimum with its partners before
    submitting (a joint booking, as if each had been invited afterwards).
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
        blocked = no_show_refusal(branch_id, clock.local_today(now))
        if blocked is not None:
            raise blocked
    else:
        if not permissions.can_record_offline(actor, item.base_id):
            raise NotAllowed("只能为自己管理的基地登记线下预约。")
        source = "offline"
    invited, fields = wanted_partners(partners, branch_id)
    invited_places = sum(n for _, n in invited)
    more, activity_type = request_fields(item, headcount, contact_name, contact_phone, topic, note, activity_type,
                                         invited_places)
    fields.update(more)
    rows = db.session.execute(_BRANCH, {"id": branch_id}).all() if isinstance(branch_id, int) else []
    branch = rows[0] if rows else None
    if source == "offline" and (branch is None or not branch.active):
        fields["branch_id"] = "请选择预约的党支部。"
    if fields:
        raise ValidationFailed(fields)

    check_slot(item, start, now, source)
    for partner, _ in invited:
        if holds_slot(partner.id, item.venue_id, start):
            raise DuplicateBooking(holding_text(partner.name))
    day = clock.local(start).date()
    end = clock.at_local(day, item.end_time)
    code = new_code()
    while True:
        clashes = db.session.execute(_CLASHES, {"branch_id": branch.id, "venue_id": item.venue_id,
                                                "starts_at": start, "code": code,
                                                "n": headcount + invited_places}).one()
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
    values = _row(item, code=code, status=status, source=source, branch_id=branch.id, starts_at=start, ends_at=end,
                  day=day, headcount=headcount, contact_name=contact_name.strip(),
                  contact_phone=contact_phone.strip(), topic=(topic or "").strip(), note=(note or "").strip(),
                  activity_type=activity_type, series_id=series_id, created_by_id=actor.id, now=now,
                  partner_headcount=invited_places)
    when = clock.when(start)
    places.take(item.venue_id, start, end, item.capacity, headcount + invited_places)
    # Under the slot's lock: a part in another branch's booking of this slot, given a moment ago (the branch's own
    # booking is kept single by the unique index below), and the same for each branch invited.
    refuse_if_holding(branch.id, item.venue_id, start)
    for partner, _ in invited:
        refuse_if_holding(partner.id, item.venue_id, start, holding_text(partner.name))
    if source == "online" and (item.max_live_per_branch is not None or item.max_per_branch_per_month is not None):
        try:
            shares.hold(branch.id, item.base_id, item.max_live_per_branch, item.max_per_branch_per_month, day, now)
        except QuotaExceeded:
            db.session.rollback()
            raise
    booking = _insert(values, item, branch.name, actor, "线下登记" if source == "offline" else "", now)
    if occurrence_id is not None and db.session.execute(
            update(SeriesOccurrence).where(SeriesOccurrence.id == occurrence_id,
                                           SeriesOccurrence.status == OCC_PLANNED.value)
            .values(status=OCC_BOOKED.value, booking_id=booking.id, reason=None)
            .execution_options(synchronize_session=False)).rowcount != 1:
        db.session.rollback()
        raise OccurrenceTaken()
    if invited:
        booking = _invite_at_once(booking, invited, actor, item, when, now)
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


_INSERT_PARTNER = _partners.insert()


def _invite_at_once(booking: NewBooking, invited: list[tuple[Branch, int]], actor: Actor, item, when: str,
                    now: datetime) -> NewBooking:
    """The partners a new booking invites, their places already held with the host's: a row, a history line and a
    notice each, as partners.invite writes them. Returns the booking with its partners."""
    db.session.execute(_INSERT_PARTNER, [
        {"booking_id": booking.id, "branch_id": partner.id, "headcount": n, "status": PARTNER_INVITED.value,
         "reason": "", "visitor_count": None, "invited_by_id": actor.id, "invited_at": now, "answered_at": None}
        for partner, n in invited])
    for partner, n in invited:
        record_event(booking, actor, "partner_invited", f"邀请 {partner.name}（{n} 人）", now)
        notify(secretaries_of(partner.id), "partner_invited", booking, f"共建活动邀请：{booking.branch_name} {when}",
               f"{booking.branch_name}邀请贵支部 {n} 人于 {when} 在{item.base_name}共同参加"
               f"“{item.title}”，请在“我的预约”中接受或婉拒。")
    return booking._replace(partners=[NewPartner(partner.id, partner, n, PARTNER_INVITED.value, None)
                                      for partner, n in invited])


def book_from_waitlist(entry, item, now: datetime) -> int:
    """The booking a promoted waitlist entry becomes, its places already taken by the promotion (waitlist.promote):
    online, pending or approved by the base's rules, its history saying where it came from, the branch told that it
    is now booked and how to cancel if it is no longer needed. The caller commits. Returns its id."""
    status = PENDING if item.requires_approval else APPROVED
    code = new_code()
    while db.session.scalar(_CODE_TAKEN, {"code": code}):
        code = new_code()
    values = _row(item, code=code, status=status, source="online", branch_id=entry.branch_id,
                  starts_at=entry.starts_at, ends_at=entry.ends_at, day=entry.day, headcount=entry.headcount,
                  contact_name=entry.contact_name, contact_phone=entry.contact_phone, topic=entry.topic, note="",
                  activity_type=entry.activity_type, series_id=None, created_by_id=entry.created_by_id, now=now)
    booking = _insert(values, item, entry.branch.name, None, "由候补转入", now)
    record_event(booking, None, "promoted_from_waitlist",
                           f"候补第 {entry.id} 号：有名额释放，自动转为预约（{entry.headcount} 人）", now)
    when = clock.when(entry.starts_at)
    pending_text = "，请等待基地审核" if status == PENDING else f"，签到码 {code}"
    notify(secretaries_of(entry.branch_id), "waitlist_promoted", booking, f"候补成功：{item.base_name} {when}",
           f"“{item.title}”{when} 有名额释放，贵支部的候补已自动转为预约（{entry.headcount} 人）{pending_text}。"
           "如已不需要，请在“我的预约”中取消，把名额留给其他支部。")
    notify(managers_of(entry.base_id), "booking_created", booking,
           f"候补转为预约：{entry.branch.name}" + ("（待审核）" if status == PENDING else ""),
           f"{entry.branch.name} 候补的 {when}“{item.title}”已转为预约，{entry.headcount} 人。")
    return booking.id


def _row(item, *, code: str, status: str, source: str, branch_id: int, starts_at: datetime, ends_at: datetime,
         day: date, headcount: int, contact_name: str, contact_phone: str, topic: str, note: str, activity_type: str,
         series_id: int | None, created_by_id: int | None, now: datetime, partner_headcount: int = 0) -> dict:
    """A new booking's row of the item's slot (`item` as catalog.item_at reads it), as _insert writes it: the
    same columns whether a request or a promoted waitlist entry makes it."""
    return {"code": code, "status": status, "source": source, "base_id": item.base_id, "venue_id": item.venue_id,
            "menu_item_id": item.id, "branch_id": branch_id, "starts_at": starts_at, "ends_at": ends_at, "day": day,
            "headcount": headcount, "contact_name": contact_name, "contact_phone": contact_phone, "topic": topic,
            "note": note, "activity_type": activity_type, "series_id": series_id, "created_by_id": created_by_id,
            "created_at": now, "updated_at": now, "partner_headcount": partner_headcount}


_lectures = Lecture.__table__
_LECTURE_AT = (select(_lectures.c.id, _lectures.c.lecturer_id, _lectures.c.lecturer_status)
               .where(_lectures.c.venue_id == bindparam("venue_id"), _lectures.c.starts_at == bindparam("starts_at"),
                      _lectures.c.status == LectureStatus.PUBLISHED.value)
               .with_for_update(read=True))


def lecture_at(venue_id: int, starts_at: datetime) -> bool:
    """Whether an open lecture (讲习活动) is published in the slot."""
    return db.session.scalar(select(_lectures.c.id).where(
        _lectures.c.venue_id == venue_id, _lectures.c.starts_at == starts_at,
        _lectures.c.status == LectureStatus.PUBLISHED.value)) is not None


def joining_lecture(values: dict) -> dict:
    """A new booking's row joined to the open lecture (讲习活动) of its slot, if one is published: its lecture, the
    lecture's lecturer and their answer (no invitation of its own). Read under a share lock of the lecture's row on
    PostgreSQL, so a lecturer's answer written at the same moment waits for this booking and then updates it too
    (`booking.lectures.services`)."""
    found = db.session.execute(_LECTURE_AT, {"venue_id": values["venue_id"], "starts_at": values["starts_at"]}).first()
    if found is None:
        return values
    return {**values, "lecture_id": found.id, "lecturer_id": found.lecturer_id, "lecturer_status": found.lecturer_status}


def _insert(values: dict, item, branch_name: str, actor: Actor | None, note: str, now: datetime) -> NewBooking:
    """Write the booking (`values` from _row) and its first history row (`created`), with its places already
    taken; DuplicateBooking, rolled back, when the unique index finds the branch's own live booking of the slot
    committed a moment ago. The answer carries the names shown with it."""
    values = joining_lecture(values)
    try:
        booking_id = db.session.execute(_INSERT_BOOKING, values).scalar_one()
    except IntegrityError:
        db.session.rollback()
        raise DuplicateBooking() from None
    names = {"base_name": item.base_name, "venue_name": item.venue_name, "branch_name": branch_name,
             "menu_item_title": item.title}
    booking = NewBooking(**{**_UNSET, **values, **names, "id": booking_id})
    record_event(booking, actor, "created", note, now, from_status=None)
    return booking

