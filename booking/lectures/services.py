"""Open lectures (讲习活动): a lecture hall announces a lecture in one slot of a menu item, many branches book seats in
that slot as in any other, and one lecturer serves them all.

The lecture holds its lecturer's time once (`lecturers.busy_lecturer_ids` reads it), is invited once and answers
once; every booking of its slot carries the lecture (`Booking.lecture_id`) with its lecturer and the lecturer's
answer, written by `records.joining_lecture` when the booking is made and by `_answer` for all of them at once.
Cancelling the lecture closes its slot's waitlist and cancels every live booking of the slot with the reason, each
branch told.
Pages and the API call these functions.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from booking import audit, clock, permissions
from booking.catalog import services as catalog
from booking.errors import (DuplicateLecture, InvalidState, LecturerConflict, NotAllowed, NotFound,
                            ValidationFailed)
from booking.lecturers import services as lecturers
from booking.notify.services import managers_of, notify, secretaries_of
from booking.permissions import Actor
from booking.reservations import lifecycle, places, records
from booking.reservations.lifecycle import Move
from booking.reservations.states import ACCEPTED, DECLINED, HOLDING_LECTURER, INVITED, LIVE
from booking.textutil import CONTROL_MESSAGE, has_control_chars
from models import (CATEGORIES, Base, Booking, Lecture, Lecturer, MenuItem, SlotOccupancy, WaitlistEntry, WaitStatus,
                    db)
from models.lecture import LectureStatus

PUBLISHED, CANCELLED = LectureStatus.PUBLISHED.value, LectureStatus.CANCELLED.value


# -- publishing ------------------------------------------------------------------------------------

def _topic(raw) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw.strip()) > 200:
        raise ValidationFailed({"topic": "主题应为 200 字以内的文字。"})
    if has_control_chars(raw):
        raise ValidationFailed({"topic": "主题" + CONTROL_MESSAGE})
    return raw.strip()


def publish(actor: Actor, *, menu_item_id, start, lecturer_id, topic=None, now: datetime | None = None) -> Lecture:
    """A manager of the item's base announces a lecture in one of the item's slots (422 not_a_slot) inside its
    booking window, with the lecturer invited for the session (409 lecturer_conflict when busy); one a slot (409
    duplicate_lecture). Live bookings already made in the slot join it, unless one has invited a lecturer of its
    own (409 invalid_state: the manager settles that first)."""
    now = now or clock.now()
    if not isinstance(start, datetime):
        raise ValidationFailed({"start": "请选择场次。"})
    item = catalog.item_at(menu_item_id, start) if isinstance(menu_item_id, int) and not isinstance(
        menu_item_id, bool) else None
    if item is None:
        raise ValidationFailed({"menu_item_id": "菜单项目不存在或已下架。"})
    if not permissions.manages_base(actor, item.base_id):
        raise NotAllowed("只有该基地的管理员可以发布讲习活动。")
    topic = _topic(topic)
    if isinstance(lecturer_id, bool) or not isinstance(lecturer_id, int):
        raise ValidationFailed({"lecturer_id": "请选择讲师。"})
    records.check_slot(item, start, now, "online")
    end = clock.at_local(clock.local(start).date(), item.end_time)
    lecturer = lecturers.lock_lecturer(lecturer_id)
    if lecturer is None or not lecturer.active:
        raise ValidationFailed({"lecturer_id": "讲师不存在或不在库。"})
    # The slot's counter row taken (no places held): a booking of the slot made at this moment is either written
    # before (and joins the lecture below) or waits for it (and finds the lecture when it is written).
    places.take(item.venue_id, start, end, item.capacity, 0)
    if db.session.scalar(select(Lecture.id).where(Lecture.venue_id == item.venue_id, Lecture.starts_at == start,
                                                  Lecture.status == PUBLISHED)) is not None:
        db.session.rollback()
        raise DuplicateLecture()
    own = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.venue_id == item.venue_id, Booking.starts_at == start, Booking.status.in_([s.value for s in LIVE]),
        Booking.lecturer_status.in_([s.value for s in HOLDING_LECTURER])))
    if own:
        db.session.rollback()
        raise InvalidState("该场次已有预约邀请了自己的讲师，请先与该支部协调（撤销其讲师邀请）后再发布讲习活动。")
    if lecturer.id in lecturers.busy_lecturer_ids(start, end):
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}在该时间已有安排或不可用。")
    if lecturer.monthly_limit is not None and \
            lecturers.sessions_in_month(start).get(lecturer.id, 0) >= lecturer.monthly_limit:
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}本月授课已达上限（{lecturer.monthly_limit} 次）。")
    lecture = Lecture(base_id=item.base_id, venue_id=item.venue_id, menu_item_id=item.id, starts_at=start, ends_at=end,
                      day=clock.local(start).date(), topic=topic, lecturer_id=lecturer.id,
                      lecturer_status=INVITED.value, status=PUBLISHED, created_by_id=actor.id, created_at=now,
                      updated_at=now)
    db.session.add(lecture)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DuplicateLecture() from None
    db.session.execute(update(Booking).where(Booking.venue_id == item.venue_id, Booking.starts_at == start,
                                             Booking.status.in_([s.value for s in LIVE]), Booking.lecture_id.is_(None))
                       .values(lecture_id=lecture.id, lecturer_id=lecturer.id, lecturer_status=INVITED.value)
                       .execution_options(synchronize_session=False))
    when = clock.when(start)
    audit.record(actor, "lecture_published", "lecture", lecture.id,
                 f"{item.base_name} {when}“{topic or item.title}”，讲师 {lecturer.name}")
    if lecturer.user is not None and lecturer.user.active:
        notify([lecturer.user], "lecturer_invited", None, f"讲习活动授课邀请：{item.base_name} {when}",
               f"“{topic or item.title}”，{item.venue_name}，多个支部共同参加。请在“我的授课”中确认是否接受。")
    db.session.commit()
    return lecture


# -- reading ---------------------------------------------------------------------------------------

def get(lecture_id) -> Lecture:
    """A lecture any signed-in user may read (404 otherwise)."""
    lecture = db.session.get(Lecture, lecture_id) if isinstance(lecture_id, int) else None
    if lecture is None:
        raise NotFound("讲习活动不存在。")
    return lecture


@dataclass(frozen=True)
class Seats:
    capacity: int
    remaining: int


def seats(lectures: list[Lecture]) -> dict[int, Seats]:
    """Each lecture's slot capacity and places left (the slot's counter, as every booking reads it)."""
    if not lectures:
        return {}
    held = {(v, s): (cap, h) for v, s, cap, h in db.session.execute(
        select(SlotOccupancy.venue_id, SlotOccupancy.starts_at, SlotOccupancy.capacity, SlotOccupancy.held)
        .where(SlotOccupancy.venue_id.in_({x.venue_id for x in lectures}),
               SlotOccupancy.starts_at.in_({x.starts_at for x in lectures})))}
    out = {}
    for x in lectures:
        if (x.venue_id, x.starts_at) in held:
            capacity, taken = held[(x.venue_id, x.starts_at)]
        else:
            row = catalog.item_at(x.menu_item_id, x.starts_at)
            capacity, taken = (row.capacity or 0) if row is not None else 0, 0
        out[x.id] = Seats(capacity, max(capacity - taken, 0))
    return out


def calendar_query(start: date | None = None, end: date | None = None, base_id: int | None = None,
                   category: str | None = None):
    """The published lectures (讲习日历), soonest first; by base and by the menu item's course category."""
    stmt = select(Lecture).where(Lecture.status == PUBLISHED).options(selectinload(Lecture.base),
                                                                      selectinload(Lecture.lecturer))
    if category:
        stmt = stmt.where(Lecture.menu_item_id.in_(select(MenuItem.id).where(MenuItem.category == category)))
    if start:
        stmt = stmt.where(Lecture.day >= start)
    if end:
        stmt = stmt.where(Lecture.day <= end)
    if base_id is not None:
        stmt = stmt.where(Lecture.base_id == base_id)
    return stmt.order_by(Lecture.starts_at, Lecture.id)


# -- the lecturer's answer -------------------------------------------------------------------------

def _carry(lecture: Lecture, actor: Actor, values: dict, action: str, note: str, lecturer_id: int,
           now: datetime) -> None:
    """Every booking of the lecture takes the lecture's lecturer values (one UPDATE); each live one says so in its
    history."""
    live = list(db.session.scalars(select(Booking).where(Booking.lecture_id == lecture.id,
                                                         Booking.status.in_([s.value for s in LIVE]))))
    db.session.execute(update(Booking).where(Booking.lecture_id == lecture.id).values(**values)
                       .execution_options(synchronize_session=False))
    for b in live:
        records.record_event(b, actor, action, note, now, lecturer_id=lecturer_id)


def _answer(actor: Actor, lecture: Lecture, accept: bool, reason: str, now: datetime) -> Lecture:
    """The invited lecturer accepts or declines the session: the lecture and every booking of it, in one
    conditional UPDATE each (a second answer at the same moment finds it answered)."""
    if actor.role != "lecturer" or actor.lecturer_id is None or actor.lecturer_id != lecture.lecturer_id:
        raise NotAllowed("只有受邀讲师本人可以答复。")
    reason = (reason or "").strip() if isinstance(reason, str) or reason is None else reason
    if not isinstance(reason, str) or len(reason) > 500 or has_control_chars(reason):
        raise ValidationFailed({"reason": "原因应为 500 字以内的文字。"})
    if lecture.status != PUBLISHED or now >= lecture.starts_at:
        raise InvalidState("该讲习活动已取消或已开始，不能答复。")
    status = (ACCEPTED if accept else DECLINED).value
    moved = db.session.execute(update(Lecture).where(Lecture.id == lecture.id, Lecture.status == PUBLISHED,
                                                     Lecture.lecturer_status == INVITED.value)
                               .values(lecturer_status=status, updated_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("该邀请已答复或已取消，请刷新后查看。")
    action = "lecturer_accepted" if accept else "lecturer_declined"
    _carry(lecture, actor, {"lecturer_status": status}, action,
           f"讲习活动（第 {lecture.id} 号）" + (f"：{reason}" if reason else ""), lecture.lecturer_id, now)
    when = clock.when(lecture.starts_at)
    verb = "接受" if accept else "婉拒"
    audit.record(actor, f"lecture_{action}", "lecture", lecture.id, f"{verb}：{when}" + (f"；{reason}" if reason else ""))
    notify([m for m in managers_of(lecture.base_id) if m.id != actor.id], action, None,
           f"{lecture.lecturer.name}{verb}了讲习活动授课：{when}",
           f"“{lecture.title}”。" + ("" if accept else (f"原因：{reason}。" if reason else "") + "请另行安排讲师或取消讲习活动。"))
    db.session.commit()
    db.session.refresh(lecture)
    return lecture


def accept(actor: Actor, lecture: Lecture, now: datetime | None = None) -> Lecture:
    return _answer(actor, lecture, True, "", now or clock.now())


def decline(actor: Actor, lecture: Lecture, reason: str = "", now: datetime | None = None) -> Lecture:
    return _answer(actor, lecture, False, reason, now or clock.now())


def invite(actor: Actor, lecture: Lecture, lecturer_id, now: datetime | None = None) -> Lecture:
    """Its base's manager invites another lecturer once the invited one declined (or replaces one not yet answered):
    the lecture and every booking of it carry the new invitation; 409 lecturer_conflict when that lecturer is busy."""
    now = now or clock.now()
    if not permissions.manages_base(actor, lecture.base_id):
        raise NotAllowed("只有该基地的管理员可以安排讲习活动的讲师。")
    if lecture.status != PUBLISHED or now >= lecture.starts_at:
        raise InvalidState("只有未开始的讲习活动可以另行安排讲师。")
    if lecture.lecturer_status == ACCEPTED.value:
        raise InvalidState("讲师已接受邀请；如需更换，请先与讲师沟通由其退出。")
    if isinstance(lecturer_id, bool) or not isinstance(lecturer_id, int):
        raise ValidationFailed({"lecturer_id": "请选择讲师。"})
    lecturer = lecturers.lock_lecturer(lecturer_id)
    if lecturer is None or not lecturer.active:
        raise ValidationFailed({"lecturer_id": "讲师不存在或不在库。"})
    previous = lecture.lecturer_id if lecture.lecturer_status == INVITED.value else None
    busy = lecturers.busy_lecturer_ids(lecture.starts_at, lecture.ends_at) - ({previous} if previous else set())
    if lecturer.id in busy and lecturer.id != previous:
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}在该时间已有安排或不可用。")
    if lecturer.monthly_limit is not None and lecturer.id != previous and \
            lecturers.sessions_in_month(lecture.starts_at).get(lecturer.id, 0) >= lecturer.monthly_limit:
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}本月授课已达上限（{lecturer.monthly_limit} 次）。")
    moved = db.session.execute(update(Lecture).where(Lecture.id == lecture.id, Lecture.status == PUBLISHED,
                                                     Lecture.lecturer_id == lecture.lecturer_id,
                                                     Lecture.lecturer_status == lecture.lecturer_status)
                               .values(lecturer_id=lecturer.id, lecturer_status=INVITED.value, updated_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("讲习活动的讲师刚刚有了变化，请刷新后查看。")
    _carry(lecture, actor, {"lecturer_id": lecturer.id, "lecturer_status": INVITED.value}, "lecturer_invited",
           f"讲习活动（第 {lecture.id} 号）改请 {lecturer.name}", lecturer.id, now)
    when = clock.when(lecture.starts_at)
    audit.record(actor, "lecture_lecturer_invited", "lecture", lecture.id, f"{when}：改请 {lecturer.name}")
    replaced = db.session.get(Lecturer, previous) if previous is not None and previous != lecturer.id else None
    if replaced is not None and replaced.user is not None and replaced.user.active:
        notify([replaced.user], "booking_changed", None, f"讲习活动授课安排已取消：{when}",
               f"“{lecture.title}”已改由其他讲师承担，该时间不再为您保留。")
    if lecturer.user is not None and lecturer.user.active:
        notify([lecturer.user], "lecturer_invited", None, f"讲习活动授课邀请：{lecture.base.name} {when}",
               f"“{lecture.title}”，多个支部共同参加。请在“我的日程”中确认是否接受。")
    db.session.commit()
    db.session.refresh(lecture)
    return lecture


# -- cancelling ------------------------------------------------------------------------------------

def cancel(actor: Actor, lecture: Lecture, reason, now: datetime | None = None) -> Lecture:
    """Its base's manager cancels the lecture before it starts, with a reason: its slot's waitlist is closed and every
    live booking of the slot is cancelled with the reason, each branch told (and the lecturer once)."""
    now = now or clock.now()
    if not permissions.manages_base(actor, lecture.base_id):
        raise NotAllowed("只有该基地的管理员可以取消讲习活动。")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500 or has_control_chars(reason):
        raise ValidationFailed({"reason": "请填写取消原因（500 字以内），会告知每个预约的支部。"})
    if lecture.status != PUBLISHED or now >= lecture.starts_at:
        raise InvalidState("只有未开始的讲习活动可以取消。")
    moved = db.session.execute(update(Lecture).where(Lecture.id == lecture.id, Lecture.status == PUBLISHED)
                               .values(status=CANCELLED, cancel_reason=reason, updated_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("该讲习活动刚刚已被取消。")
    # The waitlist first: the places the cancellations free are nobody's to take; the waiting branches are told.
    waiting = db.session.scalars(update(WaitlistEntry).where(WaitlistEntry.venue_id == lecture.venue_id,
                                                             WaitlistEntry.starts_at == lecture.starts_at,
                                                             WaitlistEntry.status == WaitStatus.WAITING.value)
                                 .values(status=WaitStatus.CANCELLED.value, ended_at=now)
                                 .returning(WaitlistEntry.branch_id)
                                 .execution_options(synchronize_session=False)).all()
    when = clock.when(lecture.starts_at)
    for branch_id in set(waiting):
        notify(secretaries_of(branch_id), "booking_cancelled", None, f"讲习活动取消，候补已关闭：{when}",
               f"“{lecture.title}”已取消，贵支部的候补随之关闭。原因：{reason}")
    note = f"讲习活动取消：{reason}"
    for b in db.session.scalars(select(Booking).where(
            and_(Booking.venue_id == lecture.venue_id, Booking.starts_at == lecture.starts_at),
            Booking.status.in_([s.value for s in LIVE]))).all():
        lifecycle.transition(b, Move.CANCEL, actor, note, now)
    audit.record(actor, "lecture_cancelled", "lecture", lecture.id, f"{when}“{lecture.title}”：{reason}")
    lecturer = db.session.get(Lecturer, lecture.lecturer_id)
    if lecture.lecturer_status in (INVITED.value, ACCEPTED.value) and lecturer.user is not None and lecturer.user.active:
        notify([lecturer.user], "booking_cancelled", None, f"讲习活动取消：{when}", f"“{lecture.title}”已取消。原因：{reason}")
    db.session.commit()
    db.session.refresh(lecture)
    return lecture


# -- what the pages show ---------------------------------------------------------------------------

def publishable_items(actor: Actor) -> list[MenuItem]:
    """The active menu items of the bases the actor manages (an admin's: every base's), to announce a lecture in."""
    stmt = select(MenuItem).join(Base, Base.id == MenuItem.base_id).where(MenuItem.active.is_(True),
                                                                         Base.active.is_(True))
    if not permissions.is_admin(actor):
        stmt = stmt.where(MenuItem.base_id.in_(actor.base_ids or [-1]))
    return list(db.session.scalars(stmt.order_by(Base.id, MenuItem.id)))


def slot_choices(menu_item_id, now: datetime | None = None) -> list[catalog.SlotView]:
    """The item's slots a lecture may be announced in: open, inside the base's booking window, none announced in
    it yet; earliest first. (The publish form lists them; `publish` holds the rule.)"""
    item = db.session.get(MenuItem, menu_item_id) if isinstance(menu_item_id, int) else None
    if item is None:
        return []
    now = now or clock.now()
    today = clock.local_today(now)
    first = today + timedelta(days=max(item.base.min_advance_days, 0))
    days = (today + timedelta(days=item.base.max_advance_days) - first).days + 1
    taken = set(db.session.scalars(select(Lecture.starts_at).where(
        Lecture.venue_id == item.venue_id, Lecture.status == LectureStatus.PUBLISHED.value,
        Lecture.starts_at >= clock.at_local(first, time(0)))))
    return [s for s in catalog.open_slots(item, first, days, now)
            if s.start not in taken and catalog.in_booking_window(
                offline=False, min_days=item.base.min_advance_days, max_days=item.base.max_advance_days,
                start=s.start, now=now)]


def suggestions(menu_item_id, start: datetime | None) -> list:
    """The lecturers to invite to a lecture of the item at `start`, best first, by the rule of a booking's
    suggestions (`lecturers.rank`): the item's content topic, then its course category, the month's load; the busy
    and those at their limit left out. All active lecturers, by the same rule without the time, when no start."""
    item = db.session.get(MenuItem, menu_item_id) if isinstance(menu_item_id, int) else None
    if item is None:
        return lecturers.rank(primary=set(), secondary=set(), busy=set(), load={})
    row = catalog.item_at(item.id, start) if start is not None else None
    end = clock.at_local(clock.local(start).date(), row.end_time) if row is not None and row.end_time else None
    return lecturers.rank(primary={item.content_topic}, secondary={CATEGORIES.get(item.category, ""), item.category},
                          busy=lecturers.busy_lecturer_ids(start, end) if end else set(),
                          load=lecturers.sessions_in_month(start) if start else {})


def held_by(branch_id: int | None, lectures: list[Lecture]) -> dict[int, int]:
    """Of these lectures, those the branch holds a live booking in (its own): lecture id -> the booking's id."""
    if branch_id is None or not lectures:
        return {}
    return {lecture_id: booking_id for lecture_id, booking_id in db.session.execute(
        select(Booking.lecture_id, Booking.id).where(Booking.branch_id == branch_id,
                                                     Booking.lecture_id.in_([x.id for x in lectures]),
                                                     Booking.status.in_([s.value for s in LIVE])))}


def slot_bookings(lecture: Lecture) -> list[Booking]:
    """The bookings of the lecture's slot (its branches and seats), earliest first."""
    return list(db.session.scalars(select(Booking).where(Booking.venue_id == lecture.venue_id,
                                                         Booking.starts_at == lecture.starts_at)
                                   .order_by(Booking.created_at, Booking.id)))


def coming(limit: int = 3, now: datetime | None = None) -> list[Lecture]:
    """The next few published lectures (a secretary's landing page)."""
    now = now or clock.now()
    return list(db.session.scalars(select(Lecture).where(Lecture.status == PUBLISHED, Lecture.starts_at > now)
                                   .order_by(Lecture.starts_at, Lecture.id).limit(limit)))
