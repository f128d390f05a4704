"""The booking lifecycle, decided once: its states, the moves between them, who may make each move and when,
and what follows from a move whoever makes it (a page, the API, the CLI or a job).

Guards take `(actor, booking, now)` and answer with the typed refusal (a DomainError with its Chinese
message) or with None. Services call `require(guard(...))` and then act; templates ask `allows(...)`
through the `can` helper, so a page offers exactly what the service would accept. Permission comes
before state, state before time, as the API's contract says.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from booking import clock, permissions
from booking.errors import CancelDeadlinePassed, DomainError, InvalidState, NotAllowed, WrongDay
from booking.notify.services import managers_of, notify, secretaries_of, taking_part_secretaries
from booking.permissions import Actor
from booking.reservations import places, waitlist
from booking.reservations.records import no_show_block, record_event
from booking.reservations.states import (ACCEPTED, APPROVED, CANCELLED, COMPLETED, COUNTED, EXPIRED, HOLDING_LECTURER,
                                        HOLDING_PARTNER, HOLDING_PLACES, INVITED, LIVE, NO_SHOW, PARTNER_INVITED,
                                        PENDING, REJECTED, RELEASING_PLACES, STATUS_LABELS, TAKING_PART, Status)
from models import Booking, LectureRequest, LectureRequestEvent, db
from models.lecture_request import RequestStatus


class Move(enum.StrEnum):
    """The moves of the state machine, valued as the history (and the API's `action`) writes them."""

    APPROVE = "approved"
    REJECT = "rejected"
    CANCEL = "cancelled"
    EXPIRE = "expired"
    RECORD_ATTENDANCE = "attendance_recorded"
    MARK_NO_SHOW = "no_show"


# The state machine: move -> (allowed from, to). Completed -> completed is a corrected count.
TRANSITIONS: dict[Move, tuple[tuple[Status, ...], Status]] = {
    Move.APPROVE: ((PENDING,), APPROVED),
    Move.REJECT: ((PENDING,), REJECTED),
    Move.CANCEL: (LIVE, CANCELLED),
    Move.EXPIRE: ((PENDING,), EXPIRED),
    Move.RECORD_ATTENDANCE: ((APPROVED, COMPLETED, NO_SHOW), COMPLETED),  # from no_show: a mistake corrected
    Move.MARK_NO_SHOW: ((APPROVED,), NO_SHOW),
}


def label(status: str) -> str:
    """The Chinese name of a status."""
    return STATUS_LABELS.get(status, status)


def is_live(booking) -> bool:
    """Still to happen, holding its places."""
    return booking.status in LIVE


def is_counted(booking) -> bool:
    """A visit that happened and counts as a batch."""
    return booking.status == COUNTED


# -- rules of time: the cancel deadline and the no-show block (the booking window is the catalogue's) ---------------------------------------------------------------------------------

def cancel_deadline(booking) -> datetime:
    """Until when the branch itself may cancel or change its booking (its own activity: until it starts)."""
    if booking.base_id is None:
        return booking.starts_at
    return cancel_deadline_for(booking.starts_at, booking.base)


def cancel_deadline_for(start: datetime, base) -> datetime:
    """The cancel deadline of a visit starting at `start` at this base (known before it is booked)."""
    return start - timedelta(hours=base.cancel_deadline_hours)


# -- guards ----------------------------------------------------------------------------------------

Refusal = DomainError | None
Guard = Callable[[Actor, Booking, datetime], Refusal]


AT_OWN_PLACE = "本支部自行开展的活动不在基地，不需要{}。"


def _at_base(booking, verb: str) -> Refusal:
    """A base's own steps (approval, check-in, no-show, partners, a base's lecturer) are not an own activity's."""
    return InvalidState(AT_OWN_PLACE.format(verb)) if booking.base_id is None else None


def _state(booking, allowed, verb: str) -> Refusal:
    if booking.status not in allowed:
        return InvalidState(f"预约当前为“{label(booking.status)}”，不能{verb}。")
    return None


def can_approve(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A manager of the booking's base (or an admin) decides a pending request."""
    if booking.base_id is None:
        return _at_base(booking, "审核")
    if not permissions.manages_base(actor, booking.base_id):
        return NotAllowed("只有该基地的管理员可以审核。")
    return _state(booking, TRANSITIONS[Move.APPROVE][0], "审核")


def can_reject(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """As approving: a manager of the base, a pending request."""
    return can_approve(actor, booking, now)


def _branch_or_base_before_start(actor: Actor, booking: Booking, now: datetime, verb: str) -> Refusal:
    """The rule shared by cancelling and changing: the branch until the base's deadline, a manager of the base
    (or an admin) until the start; only while the booking is live."""
    own = permissions.is_bookings_branch(actor, booking)
    if not (own or (booking.base_id is not None and permissions.manages_base(actor, booking.base_id))):
        return NotAllowed(f"您不能{verb}这个预约。")
    refusal = _state(booking, LIVE, verb)
    if refusal:
        return refusal
    if own and booking.base_id is None:
        if now >= booking.starts_at:
            return InvalidState(f"活动已经开始，不能{verb}。")
    elif own:
        if now > cancel_deadline(booking):
            return CancelDeadlinePassed(
                f"活动开始前 {booking.base.cancel_deadline_hours} 小时内不能自行{verb}，请联系基地管理员。")
    elif now >= booking.starts_at:
        return InvalidState(f"活动已经开始，不能{verb}。")
    return None


def can_cancel(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """Cancel: the branch until the deadline, the base until the start."""
    return _branch_or_base_before_start(actor, booking, now, "取消")


def can_change(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """Change headcount, contact, topic or note: as cancelling."""
    return _branch_or_base_before_start(actor, booking, now, "修改")


def can_check_in(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A manager of the base checks an approved group in on the day of its visit (once)."""
    if booking.base_id is None:
        return _at_base(booking, "签到")
    if not permissions.manages_base(actor, booking.base_id):
        return NotAllowed("只有该基地的管理员可以签到核销。")
    if clock.local_today(now) != booking.day:
        return WrongDay(f"该预约是 {clock.day_text(booking.day)} 的活动，不是今天。")
    return _state(booking, (APPROVED,), "签到")


def can_record_attendance(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A manager of the base records (or corrects) how many came: once the group has checked in or the visit has
    begun. A no-show marked by mistake is corrected this way on the visit's day (the history keeps both). An
    activity at the branch's own place: its secretary, once it has begun (a requested lecture: its lecturer or an
    admin too)."""
    if booking.base_id is None:
        recorders = permissions.is_bookings_branch(actor, booking) or actor.role == "admin" or (
            booking.source == "request" and permissions.is_invited_lecturer(actor, booking))
        if not recorders:
            return NotAllowed("只有本支部书记可以登记本支部活动的出席人数。")
        refusal = _state(booking, TRANSITIONS[Move.RECORD_ATTENDANCE][0], "登记人数")
        if refusal:
            return refusal
        return InvalidState("活动尚未开始，开始后才能登记实到人数。") if now < booking.starts_at else None
    if not permissions.manages_base(actor, booking.base_id):
        return NotAllowed("只有该基地的管理员可以登记实到人数。")
    refusal = _state(booking, TRANSITIONS[Move.RECORD_ATTENDANCE][0], "登记人数")
    if refusal:
        return refusal
    if booking.status == NO_SHOW and clock.local_today(now) != booking.day:
        return InvalidState("“未到场”只能在活动当天更正，请联系区委组织部处理。")
    if now < booking.starts_at and booking.checked_in_at is None:
        return InvalidState("活动尚未开始，签到后或开始后才能登记实到人数。")
    return None


def can_mark_no_show(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A manager of the base marks an approved group that did not come, once the visit has begun."""
    if booking.base_id is None:
        return _at_base(booking, "标记未到场")
    if not permissions.manages_base(actor, booking.base_id):
        return NotAllowed("只有该基地的管理员可以标记未到场。")
    refusal = _state(booking, TRANSITIONS[Move.MARK_NO_SHOW][0], "标记未到场")
    if refusal:
        return refusal
    if booking.checked_in_at is not None:
        return InvalidState("该支部已签到，不能标记未到场；请登记实到人数。")
    if now < booking.starts_at:
        return InvalidState("活动尚未开始，不能标记未到场。")
    return None


def _of_lecture() -> Refusal:
    """A booking of an open lecture's slot has the lecture's lecturer: invited and answered once, for the lecture."""
    return InvalidState("这是讲习活动的预约，讲师由基地为整场讲习活动统一邀请和答复。")


def can_invite_lecturer(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A manager of the base invites a lecturer to a live booking that has not begun."""
    if booking.base_id is None:
        return _at_base(booking, "基地安排讲师（需要讲师请点单）")
    if not permissions.manages_base(actor, booking.base_id):
        return NotAllowed("只有该基地的管理员可以安排讲师。")
    if booking.lecture_id is not None:
        return _of_lecture()
    if booking.status not in LIVE or booking.starts_at <= now:
        return InvalidState("只能为尚未开始的待审核或已通过的预约安排讲师。")
    return None


def can_answer_invitation(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The invited lecturer accepts or declines, once, while the booking is live."""
    if not permissions.is_invited_lecturer(actor, booking):
        return NotAllowed("只有受邀讲师可以答复。")
    if booking.lecture_id is not None:
        return _of_lecture()
    if booking.lecturer_status != INVITED:
        return InvalidState("这个邀请已经答复过了。")
    if booking.status not in LIVE:
        return InvalidState("该预约已不再进行。")
    return None


def can_record_lecturer_answer(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A manager of the base records the answer an invited lecturer gave by phone (lecturers without an account
    cannot answer in the system), while the booking is live."""
    if not permissions.manages_base(actor, booking.base_id):
        return NotAllowed("只有该基地的管理员可以代讲师登记答复。")
    if booking.lecture_id is not None:
        return _of_lecture()
    if booking.lecturer_status != INVITED:
        return InvalidState("没有等待答复的讲师邀请。")
    if booking.status not in LIVE:
        return InvalidState("该预约已不再进行。")
    return None


def can_withdraw_from_session(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The lecturer who accepted withdraws before the start, with a reason; the base finds another."""
    if not permissions.is_invited_lecturer(actor, booking):
        return NotAllowed("只有该场讲师可以退出授课。")
    if booking.lecture_id is not None:
        return _of_lecture()
    if booking.lecturer_status != ACCEPTED:
        return InvalidState("只有已接受的授课才能退出。")
    if booking.status not in LIVE or booking.starts_at <= now:
        return InvalidState("活动已开始或已不再进行，不能退出。")
    return None


def takes_part(actor: Actor, booking: Booking) -> bool:
    """The secretary of the booking's branch, or of a partner branch that accepted: brings its own members."""
    if permissions.is_bookings_branch(actor, booking):
        return True
    part = permissions.partner_part(actor, booking)
    return part is not None and part.status == TAKING_PART


def can_set_roster(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """Each taking-part branch (the booking's, and partners that accepted) picks the members it will bring, while
    the booking is pending or approved."""
    if not takes_part(actor, booking):
        return NotAllowed("只有预约支部（或已接受邀请的共建支部）的书记可以确定参加人员。")
    if booking.status not in LIVE:
        return InvalidState("只有待审核或已通过的预约可以确定参加人员。")
    return None


def can_mark_members(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The branch's secretary or a manager of the base marks which roster members came, once the group has checked
    in or the visit is completed; it can be corrected."""
    if not (takes_part(actor, booking) or permissions.manages_base(actor, booking.base_id)):
        return NotAllowed("只有参加活动的支部书记或基地管理员可以登记党员出席。")
    if booking.status == COMPLETED or (booking.status == APPROVED and booking.checked_in_at is not None):
        return None
    return InvalidState("签到后才能登记党员出席情况。")


def can_show_sign_in(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The members' own sign-in (扫码签到) is shown by a manager of the base or a taking-part branch's secretary, once
    the group has checked in and until the end of the visit's day."""
    if not (takes_part(actor, booking) or permissions.manages_base(actor, booking.base_id)):
        return NotAllowed("只有基地管理员或参加活动的支部书记可以出示党员签到二维码。")
    if booking.checked_in_at is None or booking.status not in (APPROVED, COMPLETED):
        return InvalidState("团队签到核销后才能出示党员签到二维码。")
    if clock.local(now).date() > booking.day:
        return InvalidState("活动当天结束后不能再扫码签到；如需更正出席情况，请在预约页登记。")
    return None


def _before_start(booking, now: datetime, verb: str) -> Refusal:
    if booking.status not in LIVE:
        return InvalidState(f"预约当前为“{label(booking.status)}”，不能{verb}。")
    if now >= booking.starts_at:
        return InvalidState(f"活动已经开始，不能{verb}。")
    if booking.checked_in_at is not None:
        return InvalidState(f"已经签到，不能再{verb}。")
    return None


def can_invite_partner(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The booking's branch (or a manager of its base) invites partner branches into it, before the start."""
    if booking.base_id is None:
        return _at_base(booking, "邀请共建支部")
    if not (permissions.is_bookings_branch(actor, booking) or permissions.manages_base(actor, booking.base_id)):
        return NotAllowed("只有预约支部的书记或基地管理员可以邀请共建支部。")
    return _before_start(booking, now, "邀请共建支部")


def can_withdraw_partner(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The booking's branch (or a manager of its base) withdraws a partner's invitation before the start."""
    if not (permissions.is_bookings_branch(actor, booking) or permissions.manages_base(actor, booking.base_id)):
        return NotAllowed("只有预约支部的书记或基地管理员可以撤回共建邀请。")
    refusal = _before_start(booking, now, "撤回共建邀请")
    if refusal:
        return refusal
    if not any(p.status in HOLDING_PARTNER for p in booking.partners):
        return InvalidState("没有可撤回的共建邀请。")
    return None


def _partner_answer(actor: Actor, booking: Booking, now: datetime, allowed, verb: str) -> Refusal:
    part = permissions.partner_part(actor, booking)
    if part is None:
        return NotAllowed(f"只有受邀共建支部的书记可以{verb}。")
    if part.status not in allowed:
        return InvalidState(f"贵支部的共建邀请当前为“{part.status_label}”，不能{verb}。")
    return _before_start(booking, now, verb)


def can_accept_partnership(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A partner branch's secretary accepts its invitation, before the start."""
    return _partner_answer(actor, booking, now, (PARTNER_INVITED,), "接受邀请")


def can_decline_partnership(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """A partner branch's secretary declines (or, having accepted, steps out), before the start."""
    return _partner_answer(actor, booking, now, HOLDING_PARTNER, "婉拒邀请")


def can_give_feedback(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The booking's branch rates a completed visit (or a lecture it ordered), once; its own meeting is not rated."""
    if booking.source == "own":
        return InvalidState("本支部自行开展的活动不需要评价。")
    if not permissions.is_bookings_branch(actor, booking):
        return NotAllowed("只有预约支部可以评价。")
    if booking.status != COMPLETED:
        return InvalidState("活动完成后才能评价。")
    if booking.rating is not None:
        return InvalidState("已经评价过了，每次活动只能评价一次。")
    return None


def can_keep_record(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """Each taking-part branch keeps its own activity record of a completed visit: the booking's branch its
    summary and the photos, a partner that took part its own summary."""
    part = permissions.partner_part(actor, booking)
    if not permissions.is_bookings_branch(actor, booking) and not (part is not None and part.status == TAKING_PART):
        return NotAllowed("只有参加活动的支部可以填写活动纪实。")
    if booking.status != COMPLETED:
        return InvalidState("活动完成后才能填写活动纪实。")
    return None


def can_set_activity_type(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """Correct what kind of organisational life the activity is (it decides the ledger's 三会一课 lines): the
    booking's branch or a manager of its base, while it is to happen or once it has happened."""
    if not (permissions.is_bookings_branch(actor, booking) or permissions.manages_base(actor, booking.base_id)):
        return NotAllowed("只有预约支部或基地管理员可以修改活动类型。")
    return _state(booking, (PENDING, APPROVED, COMPLETED), "修改活动类型")


def can_keep_photos(actor: Actor, booking: Booking, now: datetime) -> Refusal:
    """The booking's branch uploads and removes the activity's photos (partners write their own summary)."""
    if not permissions.is_bookings_branch(actor, booking):
        return NotAllowed("活动照片由主办支部上传和删除。")
    if booking.status != COMPLETED:
        return InvalidState("活动完成后才能上传活动照片。")
    return None


GUARDS: dict[str, Guard] = {
    "approve": can_approve,
    "reject": can_reject,
    "cancel": can_cancel,
    "change": can_change,
    "check_in": can_check_in,
    "record_attendance": can_record_attendance,
    "mark_no_show": can_mark_no_show,
    "invite_lecturer": can_invite_lecturer,
    "answer_invitation": can_answer_invitation,
    "record_lecturer_answer": can_record_lecturer_answer,
    "withdraw_from_session": can_withdraw_from_session,
    "set_roster": can_set_roster,
    "mark_members": can_mark_members,
    "show_sign_in": can_show_sign_in,
    "give_feedback": can_give_feedback,
    "keep_record": can_keep_record,
    "keep_photos": can_keep_photos,
    "set_activity_type": can_set_activity_type,
    "invite_partner": can_invite_partner,
    "withdraw_partner": can_withdraw_partner,
    "accept_partnership": can_accept_partnership,
    "decline_partnership": can_decline_partnership,
}


def require(refusal: Refusal) -> None:
    """Raise the guard's refusal, if it gave one."""
    if refusal is not None:
        raise refusal


def refusal(action: str, actor: Actor, booking: Booking, now: datetime | None = None) -> Refusal:
    """The guard's answer for `action` now: the refusal, or None (a page says why an action is not offered)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return NotAllowed()
    return GUARDS[action](actor, booking, now or clock.now())


def allows(action: str, actor: Actor, booking: Booking, now: datetime | None = None) -> bool:
    """Whether the guard of `action` lets the actor act now (what a page asks before offering a button)."""
    return refusal(action, actor, booking, now) is None


# -- moving along the state machine ----------------------------------------------------------------

def places_freed(booking, now: datetime | None = None) -> None:
    """Places of the booking's slot were given back in this transaction: the slot's waitlist takes them, in the
    same transaction (see `waitlist`)."""
    waitlist.promote(booking.venue_id, booking.starts_at, now)


def transition(booking: Booking, move: Move, actor: Actor | None, note: str = "",
               now: datetime | None = None) -> str:
    """Move a booking along the state machine, with everything that follows; InvalidState unless its current
    status allows the action. `actor` None is the system (a job).

    The status is changed with a conditional UPDATE, so two simultaneous moves cannot both win. The places
    are given back when the move releases them, the history row is written, and the move's consequences
    (notifications, the no-show block) follow here, whoever made it. The caller commits.
    Returns the status it came from.
    """
    now = now or clock.now()
    allowed, target = TRANSITIONS[move]
    previous = booking.status
    if previous not in allowed:
        raise InvalidState(f"预约当前为“{label(previous)}”，不能执行此操作。")
    # The places given back are those held as read under the row's lock: a change of headcount or a partner
    # invited a moment ago is what they are given back for.
    releasing = previous in HOLDING_PLACES and target in RELEASING_PLACES and booking.venue_id is not None
    if not places.move_status(booking, previous, target, now, release_places=releasing):
        db.session.rollback()
        raise InvalidState("该预约刚刚被其他人处理过，请刷新后再试。")
    if releasing:
        places_freed(booking, now)
    record_event(booking, actor, move.value, note, now, from_status=previous, to_status=target)
    if booking.source == "request" and target in (COMPLETED, CANCELLED):
        _request_follows(booking, actor, target, note, now)
    consequence = _CONSEQUENCES.get(move)
    if consequence:
        consequence(booking, actor, note, now)
    return previous


# -- what follows a move ---------------------------------------------------------------------------

def _approved(booking: Booking, actor, note: str, now: datetime) -> None:
    notify(taking_part_secretaries(booking), "booking_approved", booking,
           f"预约已通过：{booking.base.name} {clock.when(booking.starts_at)}",
           f"“{booking.menu_item.title}”已通过审核。签到码 {booking.code}，请按时到达。")


def _rejected(booking: Booking, actor, note: str, now: datetime) -> None:
    notify(taking_part_secretaries(booking), "booking_rejected", booking,
           f"预约未通过：{booking.base.name} {clock.when(booking.starts_at)}",
           f"“{booking.menu_item.title}”未通过审核。原因：{note}")


def _cancelled(booking: Booking, actor, note: str, now: datetime) -> None:
    when = clock.when(booking.starts_at)
    if booking.base_id is None:  # the branch's own activity: only a requested lecture's lecturer has to know
        lecturer = booking.lecturer if booking.lecturer_status in HOLDING_LECTURER else None
        if lecturer is not None and lecturer.user is not None and lecturer.user.active:
            notify([lecturer.user], "booking_cancelled", booking, f"授课取消：{booking.branch.name} {when}",
                   f"{booking.branch.name}在{booking.address}的“{booking.topic}”已取消。" + (f"原因：{note}" if note else ""))
        return
    body = f"“{booking.menu_item.title}”{when} 的预约已取消。" + (f"原因：{note}" if note else "")
    partners = taking_part_secretaries(booking, host=False)
    if actor is not None and permissions.is_bookings_branch(actor, booking):
        notify(managers_of(booking.base_id), "booking_cancelled", booking,
               f"支部取消了预约：{booking.branch.name}", body)
        notify(partners, "booking_cancelled", booking, f"共建活动已取消：{booking.base.name} {when}",
               f"主办支部{booking.branch.name}取消了{body}")
    else:
        notify(secretaries_of(booking.branch_id), "booking_cancelled", booking,
               f"预约已被基地取消：{booking.base.name} {when}", body)
        notify(partners, "booking_cancelled", booking, f"共建活动已被基地取消：{booking.base.name} {when}", body)
    # One branch less at an open lecture is no news to its lecturer (the lecture's cancellation tells them once).
    lecturer = booking.lecturer if booking.lecturer_status in HOLDING_LECTURER and booking.lecture_id is None else None
    if lecturer is not None and lecturer.user is not None and lecturer.user.active:
        notify([lecturer.user], "booking_cancelled", booking, f"授课取消：{booking.base.name} {when}", body)


def _expired(booking: Booking, actor, note: str, now: datetime) -> None:
    notify(taking_part_secretaries(booking), "booking_expired", booking,
           f"预约已过期：{booking.base.name} {clock.when(booking.starts_at)}",
           f"“{booking.menu_item.title}”在开始前未获审核，已自动过期，名额已释放。")


def _no_show(booking: Booking, actor, note: str, now: datetime) -> None:
    """A missed visit may block the branch's online booking; it is told so, by hand or by the job alike."""
    cfg = current_app.config
    until = no_show_block(booking.branch_id, clock.local_today(now))
    if until is not None:
        notify(secretaries_of(booking.branch_id), "booking_blocked", booking,
               f"线上预约已暂停至 {clock.day_text(until)}",
               f"贵支部近 {cfg['NO_SHOW_WINDOW_DAYS']} 天内有 {cfg['NO_SHOW_LIMIT']} "
               f"次预约未到场，{clock.day_text(until)} 前不能在线预约，如需活动请联系基地管理员登记。")


def _request_follows(booking: Booking, actor, target: str, note: str, now: datetime) -> None:
    """A requested lecture's activity completed or cancelled: its request (点单) follows, with its history."""
    request_id = db.session.scalar(
        update(LectureRequest).where(LectureRequest.booking_id == booking.id,
                                     LectureRequest.status == RequestStatus.ACCEPTED.value)
        .values(status=target, updated_at=now).returning(LectureRequest.id).execution_options(synchronize_session=False))
    if request_id is not None:
        db.session.add(LectureRequestEvent(request_id=request_id, at=now, actor_id=actor.id if actor else None,
                                           action=target, from_status=RequestStatus.ACCEPTED.value, to_status=target,
                                           note=(note or "")[:500]))


_CONSEQUENCES = {
    Move.APPROVE: _approved,
    Move.REJECT: _rejected,
    Move.CANCEL: _cancelled,
    Move.EXPIRE: _expired,
    Move.MARK_NO_SHOW: _no_show,
}
