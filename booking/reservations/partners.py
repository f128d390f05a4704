"""Joint bookings (联合 / 共建): the host branch brings partner branches into its booking, each with its own places.

The item's group limits apply to the total (the host's headcount and every invited or accepted partner's), so small
branches can meet an item's minimum together. A partner's places are held the moment it is invited; declining or
withdrawing gives them back. Each write takes the booking's row first (the same order as cancelling and changing),
then the partner's, then the slot's, so the moves of one booking are serialised and capacity holds whatever
arrives at once.
"""
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from booking import clock, permissions
from booking.errors import DuplicateBooking, InvalidState, NotFound, SlotFull, ValidationFailed
from booking.notify.services import managers_of, notify, secretaries_of
from booking.permissions import Actor
from booking.textutil import text_problem
from booking.reservations import lifecycle, places, records
from booking.reservations.lifecycle import require
from booking.reservations.states import PARTNER_ACCEPTED, PARTNER_DECLINED, PARTNER_INVITED, PARTNER_WITHDRAWN
from models import Booking, BookingPartner, Branch, db
from booking.catalog import services as catalog


def _reason(reason) -> str:
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed({"reason": "原因应为文字。"})
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
    if text_problem(reason, multiline=True):
        raise ValidationFailed({"reason": text_problem(reason, multiline=True)})
    return reason


def _total_text(booking: Booking, extra: int = 0) -> str:
    return f"本支部 {booking.headcount} 人，共建支部 {booking.partner_headcount + extra} 人"


def invitable(host_branch_id: int | None, taken=()) -> list[Branch]:
    """The branches one may invite: every active branch of the district but the host and those already in (`taken`),
    in the catalogue's order."""
    skip = {host_branch_id, *taken}
    return [b for b in db.session.scalars(catalog.branches_query()) if b.id not in skip]


def invitable_to(booking: Booking) -> list[Branch]:
    """The branches one may invite to this booking: not the host, not a branch already taking part."""
    return invitable(booking.branch_id, {p.branch_id for p in booking.partners if p.holds_places})


def invite(actor: Actor, booking: Booking, branch_id, headcount, now: datetime | None = None) -> BookingPartner:
    """Invite another branch with its headcount; its places are held at once (SlotFull when they are not there).
    The total stays within the item's group limits (422 naming `headcount`); a branch is invited once, never the
    host's own, nor one that holds its own booking of the slot (422 naming `branch_id`)."""
    now = now or clock.now()
    require(lifecycle.can_invite_partner(actor, booking, now))
    item, fields = booking.menu_item, {}
    branch = db.session.get(Branch, branch_id) if isinstance(branch_id, int) and not isinstance(branch_id, bool) else None
    existing = None
    if branch is None or not branch.active:
        fields["branch_id"] = "请选择要邀请的党支部。"
    elif branch.id == booking.branch_id:
        fields["branch_id"] = "不能邀请主办支部自己。"
    else:
        existing = next((p for p in booking.partners if p.branch_id == branch.id), None)
        if existing is not None and existing.holds_places:
            fields["branch_id"] = f"{branch.name}已在本次活动的共建支部中，不能重复邀请。"
        elif records.holds_slot(branch.id, booking.venue_id, booking.starts_at):
            raise DuplicateBooking(records.holding_text(branch.name))
    room = item.max_group - booking.total_headcount
    if isinstance(headcount, bool) or not isinstance(headcount, int) or headcount < 1:
        fields["headcount"] = "请填写共建支部的参加人数（正整数）。"
    elif headcount > room:
        fields["headcount"] = (f"合计人数不能超过该项目的 {item.max_group} 人（现有{_total_text(booking)}），"
                               + (f"最多还可邀请 {room} 人。" if room > 0 else "已无法再邀请。"))
    if fields:
        raise ValidationFailed(fields)

    # The booking's row first: the total is checked again under its lock, so two invitations cannot together
    # pass the item's limit; then the slot's places.
    try:
        places.add_partner_places(booking, headcount, item.max_group, now)
    except SlotFull:
        raise SlotFull(f"该场次剩余名额不足，无法为{branch.name}保留 {headcount} 个名额。") from None
    # Under the slot's lock: the branch's own booking of the slot, or its part in another, made a moment ago.
    records.refuse_if_holding(branch.id, booking.venue_id, booking.starts_at, records.holding_text(branch.name))
    values = dict(status=PARTNER_INVITED.value, headcount=headcount, reason="", visitor_count=None,
                  invited_by_id=actor.id, invited_at=now, answered_at=None)
    # The same branch invited by someone else a moment ago: the unique index refuses a second row, the
    # conditional update finds the old row no longer declined or withdrawn. Either way nothing is kept.
    invited_meanwhile = False
    if existing is None:
        part = BookingPartner(booking_id=booking.id, branch_id=branch.id, **values)
        db.session.add(part)
        try:
            db.session.flush()
        except IntegrityError:
            invited_meanwhile = True
    else:  # invited again after declining or being withdrawn: the same row, as it was before
        part = existing
        invited_meanwhile = db.session.execute(
            update(BookingPartner).where(BookingPartner.id == existing.id,
                                         BookingPartner.status.in_([PARTNER_DECLINED.value, PARTNER_WITHDRAWN.value]))
            .values(**values).execution_options(synchronize_session=False)).rowcount != 1
    if invited_meanwhile:
        db.session.rollback()
        raise ValidationFailed({"branch_id": f"{branch.name}已在本次活动的共建支部中，不能重复邀请。"})
    if existing is not None:
        places.written(part, **values)
    records.record_event(booking, actor, "partner_invited", f"邀请 {branch.name}（{headcount} 人）", now)
    when = clock.when(booking.starts_at)
    notify(secretaries_of(branch.id), "partner_invited", booking, f"共建活动邀请：{booking.branch.name} {when}",
           f"{booking.branch.name}邀请贵支部 {headcount} 人于 {when} 在{booking.base.name}共同参加"
           f"“{booking.menu_item.title}”，请在“我的预约”中接受或婉拒。")
    if permissions.is_bookings_branch(actor, booking):
        notify(managers_of(booking.base_id), "booking_changed", booking, f"共建支部加入预约：{booking.branch.name} {when}",
               f"“{booking.menu_item.title}”{when}：邀请 {branch.name} {headcount} 人，合计 {booking.total_headcount} 人。")
    db.session.commit()
    if existing is None:
        db.session.expire(booking, ["partners"])
    return part


def _answer_host(booking: Booking, kind: str, title: str, body: str) -> None:
    notify(secretaries_of(booking.branch_id), kind, booking, title, body)
    notify(managers_of(booking.base_id), kind, booking, title, body)


def accept(actor: Actor, booking: Booking, now: datetime | None = None) -> BookingPartner:
    """The partner's secretary accepts: its branch takes part (sets its roster, files the record, is counted)."""
    now = now or clock.now()
    require(lifecycle.can_accept_partnership(actor, booking, now))
    part = permissions.partner_part(actor, booking)
    moved = db.session.execute(
        update(BookingPartner).where(BookingPartner.id == part.id, BookingPartner.status == PARTNER_INVITED.value)
        .values(status=PARTNER_ACCEPTED.value, answered_at=now).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("该邀请刚刚被撤回或已答复，请刷新后再试。")
    places.written(part, status=PARTNER_ACCEPTED.value, answered_at=now)
    records.record_event(booking, actor, "partner_accepted", f"{part.branch.name}接受邀请（{part.headcount} 人）", now)
    when = clock.when(booking.starts_at)
    _answer_host(booking, "partner_answered", f"共建支部已接受：{part.branch.name}",
                 f"{part.branch.name}接受了 {when}“{booking.menu_item.title}”的共建邀请，{part.headcount} 人。")
    db.session.commit()
    return part


def _give_back(booking: Booking, part: BookingPartner, status, reason: str, now: datetime) -> None:
    """End a partner's part (declined or withdrawn) and give its places back (places.end_partner_places), then
    offer them to the slot's waitlist in the same transaction."""
    places.end_partner_places(booking, part, now, status=status.value, reason=reason, answered_at=now)
    lifecycle.places_freed(booking, now)


def _short_of_minimum(booking: Booking) -> str:
    minimum = booking.menu_item.min_group
    if booking.total_headcount >= minimum:
        return ""
    return f"合计人数 {booking.total_headcount} 人，已少于该项目最少 {minimum} 人，请与基地沟通或增加人数。"


def decline(actor: Actor, booking: Booking, reason=None, now: datetime | None = None) -> BookingPartner:
    """The partner's secretary declines (or steps out after accepting), with an optional reason; its places are
    given back and its members leave the roster."""
    now = now or clock.now()
    require(lifecycle.can_decline_partnership(actor, booking, now))
    reason = _reason(reason)
    part = permissions.partner_part(actor, booking)
    _give_back(booking, part, PARTNER_DECLINED, reason, now)
    _leave_roster(booking, part.branch_id)
    records.record_event(booking, actor, "partner_declined",
                           f"{part.branch.name}婉拒" + (f"：{reason}" if reason else ""), now)
    when = clock.when(booking.starts_at)
    _answer_host(booking, "partner_answered", f"共建支部已婉拒：{part.branch.name}",
                 f"{part.branch.name}婉拒了 {when}“{booking.menu_item.title}”的共建邀请"
                 + (f"，原因：{reason}" if reason else "") + f"，{part.headcount} 个名额已释放。" + _short_of_minimum(booking))
    db.session.commit()
    return part


def withdraw(actor: Actor, booking: Booking, branch_id, reason=None, now: datetime | None = None) -> BookingPartner:
    """The host's secretary (or a manager of the base) withdraws a partner's invitation before the start."""
    now = now or clock.now()
    require(lifecycle.can_withdraw_partner(actor, booking, now))
    part = next((p for p in booking.partners if p.branch_id == branch_id and p.holds_places), None)
    if part is None:
        raise NotFound("该支部不在本次活动的共建支部中。")
    reason = _reason(reason)
    _give_back(booking, part, PARTNER_WITHDRAWN, reason, now)
    _leave_roster(booking, part.branch_id)
    records.record_event(booking, actor, "partner_declined",
                           f"撤回对 {part.branch.name} 的邀请" + (f"：{reason}" if reason else ""), now)
    when = clock.when(booking.starts_at)
    notify(secretaries_of(part.branch_id), "partner_withdrawn", booking, f"共建邀请已撤回：{booking.branch.name} {when}",
           f"{booking.branch.name}撤回了 {when}“{booking.menu_item.title}”的共建邀请" + (f"，原因：{reason}" if reason else "") + "。")
    if not permissions.manages_base(actor, booking.base_id):
        notify(managers_of(booking.base_id), "booking_changed", booking, f"共建支部退出预约：{part.branch.name}",
               f"“{booking.menu_item.title}”{when}：撤回 {part.branch.name} {part.headcount} 人，"
               f"合计 {booking.total_headcount} 人。")
    elif booking.total_headcount < booking.menu_item.min_group:
        notify(secretaries_of(booking.branch_id), "booking_changed", booking, f"共建支部已撤回：{part.branch.name}",
               _short_of_minimum(booking))
    db.session.commit()
    return part


def _leave_roster(booking: Booking, branch_id: int) -> None:
    """A branch that no longer takes part brings nobody: its members come off the roster (nothing is recorded of
    them yet, the visit has not begun)."""
    for entry in list(booking.roster):
        if entry.branch_id == branch_id:
            booking.roster.remove(entry)
            db.session.delete(entry)


# -- reading ---------------------------------------------------------------------------------------

def taking_part(booking: Booking) -> list[BookingPartner]:
    """The partners that accepted: they bring members, are counted and file the record."""
    return [p for p in booking.partners if p.status == PARTNER_ACCEPTED]


def part_headcount(booking: Booking, branch_id: int) -> int:
    """How many one taking-part branch brings: the host's headcount, or the partner's."""
    if branch_id == booking.branch_id:
        return booking.headcount
    return next((p.headcount for p in booking.partners if p.branch_id == branch_id), 0)


def own_count(booking: Booking, branch_id: int) -> int | None:
    """One branch's part of the visitor count: its split count, the host's the rest (all of it when not split)."""
    if booking.visitor_count is None:
        return None
    if branch_id == booking.branch_id:
        return booking.visitor_count - sum(p.visitor_count or 0 for p in taking_part(booking))
    return next((p.visitor_count or 0 for p in taking_part(booking) if p.branch_id == branch_id), None)


def own_summary(booking: Booking, branch_id: int | None) -> str | None:
    """A taking-part branch's own record of the activity (the host's: the booking's), None while unwritten."""
    if branch_id is None or branch_id == booking.branch_id:
        return booking.activity_summary
    return next((p.activity_summary for p in taking_part(booking) if p.branch_id == branch_id), None)


def partner_names(booking: Booking) -> str:
    return "、".join(p.branch.name for p in taking_part(booking))
