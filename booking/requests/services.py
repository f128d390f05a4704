"""Lecture requests (点单 → 派单 → 接单 → 评单): a branch orders a lecture on a topic for a window of days at its
own place; a dispatcher (the district's admin) sends a lecturer at a time inside the window; the lecturer takes it
or declines (back to the queue); the accepted request becomes an activity at the branch's own place with the
lecturer (booking source `request`), held, recorded and rated like any activity.

A dispatched lecturer holds that time like any assignment: dispatching locks the lecturer's row (as inviting to a
base visit does) and asks `lecturers.busy_lecturer_ids`, which counts dispatched requests too, so a lecturer is
never in two places, also when two dispatchers act at once.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select, update

from booking import clock
from booking.areas import services as areas
from booking.errors import InvalidState, LecturerConflict, NotAllowed, NotFound, ValidationFailed
from booking.lecturers import services as lecturers
from booking.notify.services import notify, secretaries_of
from booking.permissions import Actor
from booking.reservations import lifecycle, own
from booking.reservations.states import ACCEPTED as LECTURER_ACCEPTED, COMPLETED as BOOKING_COMPLETED
from booking.textutil import PHONE_MESSAGE, PHONE_RE, field_text
from models import ACTIVITY_TYPES, CATEGORIES, Booking, LectureRequest, LectureRequestEvent, MenuItem, User, db
from models.lecture_request import RequestStatus

SUBMITTED, DISPATCHED, ACCEPTED, COMPLETED, REJECTED, CANCELLED = (s.value for s in RequestStatus)
OPEN = (SUBMITTED, DISPATCHED)  # waiting for a dispatcher or for the lecturer
MAX_WINDOW_DAYS = 90
MIN_MINUTES, MAX_MINUTES = 30, 480
WAITING_DAYS = 3  # a request untouched longer than this is on the watch list


# -- who sees what --------------------------------------------------------------------------------

def is_dispatcher(actor: Actor) -> bool:
    """Who dispatches requests: the district's admin, and an area administrator those of its area's branches
    (`scope`)."""
    return actor.role == "admin" or (actor.role == "area_admin" and bool(getattr(actor, "area_path", None)))


def scope(actor: Actor):
    """The requests the actor may see, as a WHERE clause."""
    if actor.role == "admin":
        return LectureRequest.id.is_not(None)
    if actor.role == "area_admin" and getattr(actor, "area_path", None):
        return LectureRequest.branch_id.in_(areas.branches_under(actor.area_path))
    if actor.role == "secretary" and actor.branch_id:
        return LectureRequest.branch_id == actor.branch_id
    if actor.role == "lecturer" and getattr(actor, "lecturer_id", None):
        return LectureRequest.lecturer_id == actor.lecturer_id
    return LectureRequest.id.is_(None)


def visible_query(actor: Actor, status: str | None = None):
    """The requests the actor may see, newest first (a dispatcher's queue asks `queue`)."""
    stmt = select(LectureRequest).where(scope(actor))
    if status:
        stmt = stmt.where(LectureRequest.status == status)
    return stmt.order_by(LectureRequest.created_at.desc(), LectureRequest.id.desc())


def waiting_too_long(now: datetime, limit: int = 50, area_path: str | None = None) -> list[LectureRequest]:
    """Requests waiting more than WAITING_DAYS for a dispatcher or for the lecturer's answer, the longest first:
    the watch list's (of an area's branches when `area_path` is given)."""
    stmt = select(LectureRequest).where(
        LectureRequest.status.in_(OPEN), LectureRequest.updated_at <= now - timedelta(days=WAITING_DAYS))
    if area_path:
        stmt = stmt.where(LectureRequest.branch_id.in_(areas.branches_under(area_path)))
    return list(db.session.scalars(stmt.order_by(LectureRequest.updated_at, LectureRequest.id).limit(limit)))


def queue_query(actor: Actor):
    """The dispatcher's queue: submitted requests, oldest first."""
    if not is_dispatcher(actor):
        raise NotAllowed("只有派单人员可以查看待派单的点单。")
    return select(LectureRequest).where(scope(actor), LectureRequest.status == SUBMITTED).order_by(
        LectureRequest.created_at, LectureRequest.id)


def get_visible(actor: Actor, request_id) -> LectureRequest:
    """The request if the actor may see it; NotFound otherwise."""
    found = db.session.get(LectureRequest, request_id) if isinstance(request_id, int) else None
    if found is None or not db.session.scalar(select(LectureRequest.id).where(LectureRequest.id == found.id,
                                                                              scope(actor))):
        raise NotFound("点单不存在。")
    return found


def _who_may(actor: Actor, request: LectureRequest, action: str) -> bool:
    if action in ("dispatch", "reject"):
        return is_dispatcher(actor)
    if action in ("accept", "decline"):
        return _answers_for(actor, request)
    if action == "cancel":
        return actor.role == "secretary" and actor.branch_id == request.branch_id
    raise ValueError(action)


def _state_allows(request: LectureRequest, action: str, now: datetime) -> bool:
    if action == "dispatch":  # or sent again, to another lecturer or time, until the lecturer has taken it
        return request.status in OPEN
    if action == "reject":
        return request.status in OPEN
    if action == "accept":
        return request.status == DISPATCHED and request.starts_at > now
    if action == "decline":
        return request.status == DISPATCHED
    return request.status in (*OPEN, ACCEPTED) and (request.starts_at is None or request.starts_at > now)


WHO = {"dispatch": "只有派单人员可以派单。", "reject": "只有派单人员可以退回点单。", "accept": "只有派单的讲师可以接单。",
       "decline": "只有派单的讲师可以婉拒。", "cancel": "只有本支部书记可以取消点单。"}
VERBS = {"dispatch": "派单", "reject": "退回", "accept": "接单", "decline": "婉拒", "cancel": "取消"}


def can(actor: Actor, request: LectureRequest, action: str, now: datetime | None = None) -> bool:
    """Whether the actor may take this action on the request now: the one rule the pages offer and the services
    enforce (`dispatch`, `reject`, `accept`, `decline`, `cancel`)."""
    return _who_may(actor, request, action) and _state_allows(request, action, now or clock.now())


def _require(actor: Actor, request: LectureRequest, action: str, now: datetime) -> None:
    """NotAllowed (403) for the wrong person, InvalidState (409) for the wrong moment."""
    if not _who_may(actor, request, action):
        raise NotAllowed(WHO[action])
    if not _state_allows(request, action, now):
        raise InvalidState(f"该点单{request.status_label}，不能{VERBS[action]}。")


def next_step(request: LectureRequest) -> str:
    """What happens next, in the words the branch's list shows."""
    return {
        SUBMITTED: "等待区里安排讲师",
        DISPATCHED: f"已安排{request.lecturer.name if request.lecturer else '讲师'}，等待讲师确认",
        ACCEPTED: "讲师已接单，按时开展活动，结束后登记出席并评价",
        COMPLETED: "已完成",
        REJECTED: f"未能安排：{request.reason}",
        CANCELLED: "已取消",
    }.get(request.status, "")


def history(request: LectureRequest) -> list[LectureRequestEvent]:
    """The request's history, oldest first."""
    return list(request.events)


# -- the branch orders ----------------------------------------------------------------------------

def submit(actor: Actor, *, topic, category=None, content_topic=None, first, last, address, headcount,
           contact_name, contact_phone, activity_type=None, note=None, now: datetime | None = None) -> LectureRequest:
    """A secretary orders a lecture for their branch: a topic, the window of days it can host it (from today, at
    most 90 days long), where, how many. The dispatchers are told."""
    now = now or clock.now()
    if not (actor.role == "secretary" and actor.branch_id):
        raise NotAllowed("只有支部书记可以为本支部点单。")
    fields: dict[str, str] = {}
    values = {
        "topic": field_text(fields, "topic", topic, "点单主题", 200, required=True),
        "content_topic": field_text(fields, "content_topic", content_topic, "内容专题", 60) or None,
        "address": field_text(fields, "address", address, "授课地点", 200, required=True),
        "contact_name": field_text(fields, "contact_name", contact_name, "联系人", 60, required=True),
        "contact_phone": field_text(fields, "contact_phone", contact_phone, "联系电话", 30, required=True),
        "note": field_text(fields, "note", note, "备注", 2000, multiline=True),
    }
    if "contact_phone" not in fields and not PHONE_RE.match(values["contact_phone"]):
        fields["contact_phone"] = PHONE_MESSAGE
    if category is not None and category not in CATEGORIES:
        fields["category"] = f"课程类别应为{'、'.join(CATEGORIES.values())}之一。"
    activity_type = activity_type or "party_lecture"
    if activity_type not in ACTIVITY_TYPES:
        fields["activity_type"] = f"活动类型应为{'、'.join(ACTIVITY_TYPES.values())}之一。"
    if isinstance(headcount, bool) or not isinstance(headcount, int) or not 1 <= headcount <= 100000:
        fields["headcount"] = "请填写参加人数（正整数）。"
    today = clock.local_today(now)
    if not isinstance(first, date):
        fields["from"] = "请填写可安排的起始日期。"
    elif first < today:
        fields["from"] = "起始日期不能早于今天。"
    if not isinstance(last, date):
        fields["to"] = "请填写可安排的截止日期。"
    elif isinstance(first, date) and not first <= last <= first + timedelta(days=MAX_WINDOW_DAYS - 1):
        fields["to"] = f"截止日期应不早于起始日期，可安排的时间段最长 {MAX_WINDOW_DAYS} 天。"
    if fields:
        raise ValidationFailed(fields)
    if values["content_topic"] is None and values["topic"] in menu_topics():  # chosen from the suggestions
        values["content_topic"] = values["topic"]
    request = LectureRequest(branch_id=actor.branch_id, status=SUBMITTED, category=category, from_date=first,
                             to_date=last, headcount=headcount, activity_type=activity_type,
                             created_by_id=actor.id, created_at=now, updated_at=now, **values)
    db.session.add(request)
    db.session.flush()
    _event(request, actor, "submitted", None, SUBMITTED, "", now)
    branch = request.branch.name
    notify(dispatchers(request), "request_submitted", None, f"新的点单：{branch}",
           f"{branch}点单“{request.topic}”，{_window(request)}，{request.headcount} 人，地点：{request.address}。"
           "请在“点单派单”中安排讲师。", request_id=request.id)
    db.session.commit()
    return request


def _window(request: LectureRequest) -> str:
    if request.from_date == request.to_date:
        return clock.day_text(request.from_date)
    return f"{clock.day_text(request.from_date)}至{clock.day_text(request.to_date)}"


def dispatchers(request: LectureRequest) -> list:
    """Who is told of a new request or a lecturer's decline: the active admins, and the area administrators of
    the areas the branch lies in (its community, its street and above)."""
    area = request.branch.organization.area
    above = [int(i) for i in area.path.strip("/").split("/")] if area is not None else []
    return list(db.session.scalars(select(User).where(
        User.active.is_(True), or_(User.role == "admin", (User.role == "area_admin") & User.area_id.in_(above)))
        .order_by(User.id)))


def _event(request, actor, action, from_status, to_status, note, now, lecturer_id=None) -> None:
    db.session.add(LectureRequestEvent(request_id=request.id, at=now, actor_id=actor.id if actor else None,
                                       action=action, from_status=from_status, to_status=to_status,
                                       note=(note or "")[:500], lecturer_id=lecturer_id))


def _reason(reason, required: bool = False) -> str:
    fields: dict[str, str] = {}
    value = field_text(fields, "reason", reason, "原因", 500, required=required, multiline=True)
    if fields:
        raise ValidationFailed(fields)
    return value


def _move(request: LectureRequest, allowed: tuple, target: str, now: datetime, **values) -> None:
    """Move the request from one of `allowed` to `target` in one conditional UPDATE (two people acting at once:
    one of them wins, the other is told it moved)."""
    # As the actor saw it: the same state, and the same lecturer and time (a request sent to another lecturer in
    # between is not accepted, declined or sent again by the one who saw the old one).
    same = [LectureRequest.lecturer_id.is_(None) if request.lecturer_id is None
            else LectureRequest.lecturer_id == request.lecturer_id,
            LectureRequest.starts_at.is_(None) if request.starts_at is None
            else LectureRequest.starts_at == request.starts_at]
    moved = db.session.execute(
        update(LectureRequest).where(LectureRequest.id == request.id, LectureRequest.status.in_(allowed), *same)
        .values(status=target, updated_at=now, **values).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise InvalidState("该点单刚刚被其他人处理过，请刷新后再试。")
    db.session.expire(request)


# -- the dispatcher sends a lecturer --------------------------------------------------------------

def dispatch(actor: Actor, request: LectureRequest, lecturer_id, start, duration_minutes,
             now: datetime | None = None) -> LectureRequest:
    """Send a lecturer at a time inside the request's window for `duration_minutes`: 409 lecturer_conflict when
    the lecturer is busy or blocked then (base visits and lectures alike), 409 duplicate_booking when the branch
    already has an activity then; the lecturer is told. A request dispatched and not yet taken may be sent again
    (改派: another lecturer, or another time); the lecturer it was sent to before is told."""
    now = now or clock.now()
    _require(actor, request, "dispatch", now)
    fields: dict[str, str] = {}
    if isinstance(lecturer_id, bool) or not isinstance(lecturer_id, int):
        fields["lecturer_id"] = "请选择讲师。"
    if not isinstance(start, datetime):
        fields["start"] = "请填写授课时间。"
    elif not (request.from_date <= clock.local(start).date() <= request.to_date) or start <= now:
        fields["start"] = f"授课时间应在点单的时间段内（{_window(request)}），且晚于现在。"
    if isinstance(duration_minutes, bool) or not isinstance(duration_minutes, int) \
            or not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        fields["duration_minutes"] = f"授课时长应为 {MIN_MINUTES}–{MAX_MINUTES} 分钟。"
    if fields:
        raise ValidationFailed(fields)
    end = start + timedelta(minutes=duration_minutes)
    lecturer = lecturers.lock_lecturer(lecturer_id)
    if lecturer is None or not lecturer.active:
        db.session.rollback()
        raise ValidationFailed({"lecturer_id": "讲师不存在或不在库。"})
    if lecturer.id in lecturers.busy_lecturer_ids(start, end, exclude_request=request.id):
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}在该时间已有安排或不可用。")
    other = own.clash(request.branch_id, start, end)
    if other is not None:
        db.session.rollback()
        raise ValidationFailed({"start": f"该支部在该时间已有活动（{clock.when(other.starts_at)}），请换一个时间。"})
    before, previous, previous_when = request.status, request.lecturer, request.starts_at
    _move(request, OPEN, DISPATCHED, now, lecturer_id=lecturer.id, starts_at=start, ends_at=end, reason="")
    when = clock.when(start)
    _event(request, actor, "dispatched", before, DISPATCHED,
           (f"改派（原为{previous.name} {clock.when(previous_when)}）：" if previous is not None else "")
           + f"{lecturer.name} {when}，{duration_minutes} 分钟", now, lecturer_id=lecturer.id)
    if previous is not None and previous.id != lecturer.id and previous.user is not None and previous.user.active:
        notify([previous.user], "request_answered", None, f"派单已改派：{request.branch.name}",
               f"{request.branch.name}点单“{request.topic}”（原定 {clock.when(previous_when)}）已改派其他讲师，"
               "您不必再前往。", request_id=request.id)
    if lecturer.user is not None and lecturer.user.active:
        notify([lecturer.user], "lecture_requested", None, f"送课派单：{request.branch.name} {when}",
               f"{request.branch.name}点单“{request.topic}”，请于 {when} 到{request.address}授课（{duration_minutes} 分钟，"
               f"{request.headcount} 人）。请在“我的日程”中接单或婉拒。", request_id=request.id)
    notify(secretaries_of(request.branch_id), "request_answered", None, f"点单已派单：{lecturer.name} {when}",
           f"您的点单“{request.topic}”已安排{lecturer.name}于 {when} 授课，待讲师确认。", request_id=request.id)
    db.session.commit()
    return request


def _answers_for(actor: Actor, request: LectureRequest) -> bool:
    """The dispatched lecturer answers; a dispatcher answers for one without an account (by phone)."""
    if actor.role == "lecturer" and getattr(actor, "lecturer_id", None) == request.lecturer_id:
        return True
    lecturer = request.lecturer
    return is_dispatcher(actor) and lecturer is not None and not lecturers.can_answer_in_system(lecturer)


def accept(actor: Actor, request: LectureRequest, now: datetime | None = None) -> LectureRequest:
    """The lecturer takes the request: it becomes an activity at the branch's own place with the lecturer."""
    now = now or clock.now()
    _require(actor, request, "accept", now)
    values = {"activity_type": request.activity_type, "start": request.starts_at, "end": request.ends_at,
              "address": request.address, "topic": request.topic, "headcount": request.headcount,
              "contact_name": request.contact_name, "contact_phone": request.contact_phone, "note": request.note}
    booking = own.insert(actor, request.branch_id, values, source="request", lecturer_id=request.lecturer_id, now=now)
    _move(request, (DISPATCHED,), ACCEPTED, now, booking_id=booking.id)
    _event(request, actor, "accepted", DISPATCHED, ACCEPTED, "", now, lecturer_id=request.lecturer_id)
    when = clock.when(request.starts_at)
    notify(secretaries_of(request.branch_id), "request_answered", booking, f"讲师已接单：{request.lecturer.name} {when}",
           f"{request.lecturer.name}已接单，将于 {when} 到{request.address}讲授“{request.topic}”。", request_id=request.id)
    db.session.commit()
    return request


def decline(actor: Actor, request: LectureRequest, reason=None, now: datetime | None = None) -> LectureRequest:
    """The lecturer declines: the request goes back to the queue (its history says who and why), the
    dispatchers are told."""
    now = now or clock.now()
    _require(actor, request, "decline", now)
    reason = _reason(reason)
    lecturer = request.lecturer
    _move(request, (DISPATCHED,), SUBMITTED, now, lecturer_id=None, starts_at=None, ends_at=None)
    _event(request, actor, "declined", DISPATCHED, SUBMITTED, reason, now, lecturer_id=lecturer.id)
    notify(dispatchers(request), "request_answered", None, f"讲师婉拒点单：{lecturer.name}",
           f"{lecturer.name}婉拒了{request.branch.name}的点单“{request.topic}”" + (f"，原因：{reason}" if reason else "")
           + "。点单已回到待派单，请另行安排。", request_id=request.id)
    db.session.commit()
    return request


def reject(actor: Actor, request: LectureRequest, reason, now: datetime | None = None) -> LectureRequest:
    """A dispatcher declines to dispatch the request, with a reason; the branch is told."""
    now = now or clock.now()
    _require(actor, request, "reject", now)
    reason = _reason(reason, required=True)
    previous, lecturer = request.status, request.lecturer
    _move(request, OPEN, REJECTED, now, reason=reason, lecturer_id=None, starts_at=None, ends_at=None)
    _event(request, actor, REJECTED, previous, REJECTED, reason, now)
    notify(secretaries_of(request.branch_id), "request_answered", None, f"点单未能安排：{request.topic}",
           f"您的点单“{request.topic}”未能安排，原因：{reason}", request_id=request.id)
    if lecturer is not None and lecturer.user is not None:
        notify([lecturer.user], "request_answered", None, f"派单已取消：{request.branch.name}",
               f"{request.branch.name}的点单“{request.topic}”已取消，该时间不再为您保留。", request_id=request.id)
    db.session.commit()
    return request


def cancel(actor: Actor, request: LectureRequest, reason=None, now: datetime | None = None) -> LectureRequest:
    """The branch's secretary cancels the request before the lecture starts; a dispatched or accepted lecturer is
    told and the time is free again."""
    now = now or clock.now()
    _require(actor, request, "cancel", now)
    reason = _reason(reason)
    previous, lecturer, booking = request.status, request.lecturer, request.booking
    _move(request, (*OPEN, ACCEPTED), CANCELLED, now, reason=reason)
    if booking is not None:
        lifecycle.transition(booking, lifecycle.Move.CANCEL, actor, "点单已取消" + (f"：{reason}" if reason else ""), now)
    _event(request, actor, CANCELLED, previous, CANCELLED, reason, now)
    if lecturer is not None and lecturer.user is not None:
        notify([lecturer.user], "request_answered", booking, f"点单已取消：{request.branch.name}",
               f"{request.branch.name}取消了点单“{request.topic}”" + (f"，原因：{reason}" if reason else "")
               + "，该时间不再为您保留。", request_id=request.id)
    db.session.commit()
    return request


def suggestions(actor: Actor, request: LectureRequest, start: datetime | None = None) -> list:
    """Lecturers for the request, best first by the rule bookings use (`lecturers.rank`): the content topic chosen,
    or the topics its own words name, weigh most, its course category next; busy ones left out when a time is
    given (for the request's duration once dispatched, else two hours), and those who declined it."""
    if not is_dispatcher(actor):
        raise NotAllowed("只有派单人员可以查看讲师推荐。")
    at = start or clock.at_local(request.from_date, clock.local(clock.now()).time())
    minutes = (request.ends_at - request.starts_at) if request.starts_at and request.ends_at else timedelta(hours=2)
    primary = ({request.content_topic} if request.content_topic else set()) \
        | lecturers.topics_named(f"{request.topic} {request.note or ''}")
    declined = set(db.session.scalars(select(LectureRequestEvent.lecturer_id).where(
        LectureRequestEvent.request_id == request.id, LectureRequestEvent.action == "declined",
        LectureRequestEvent.lecturer_id.is_not(None))))
    return lecturers.rank(primary=primary, secondary={CATEGORIES.get(request.category or "", ""), request.category or ""},
                          busy=lecturers.busy_lecturer_ids(start, start + minutes, exclude_request=request.id)
                          if start else set(),
                          load=lecturers.sessions_in_month(at), left_out=declined, free_at=start is not None)


# -- what the pages show --------------------------------------------------------------------------

def menu_topics() -> set[str]:
    """The content topics the menus teach: what a branch is offered to order."""
    return {t for t in db.session.scalars(select(MenuItem.content_topic).where(MenuItem.active.is_(True))) if t}


def new_request_page(actor: Actor, now: datetime | None = None) -> dict:
    """The order form's starting values (the branch's usual room, its contact, a window from next week) and the
    topics the menus teach, offered as suggestions."""
    if not (actor.role == "secretary" and actor.branch_id):
        raise NotAllowed("只有支部书记可以为本支部点单。")
    today = clock.local_today(now)
    branch = actor.branch
    topics = sorted(menu_topics())
    defaults = {"address": own.usual_address(branch.id), "contact_name": branch.contact_name or actor.display_name,
                "contact_phone": branch.contact_phone or (actor.phone or ""), "first": today + timedelta(days=7),
                "last": today + timedelta(days=37), "headcount": branch.member_count or 20}
    return {"topics": topics, "defaults": defaults, "branch": branch}


def request_page(actor: Actor, request_id, start: datetime | None = None, now: datetime | None = None) -> dict:
    """One request with its history, what the reader may do, and for a dispatcher the ranked lecturers (busy ones
    left out when a time is chosen)."""
    now = now or clock.now()
    found = get_visible(actor, request_id)
    allowed = {action: can(actor, found, action, now) for action in VERBS}
    return {"r": found, "events": history(found), "next_step": next_step(found), "allowed": allowed,
            "suggestions": suggestions(actor, found, start) if allowed["dispatch"] else [], "start": start,
            "phone_answer": allowed["accept"] and actor.role != "lecturer"}


# -- counting -------------------------------------------------------------------------------------

@dataclass
class Counts:
    """What branches asked for in a period (requests made in it) and the requested lectures given in it."""

    submitted: int
    completed: int
    by_topic: list[tuple[str, int]]  # the most asked topics first
    sessions: int       # completed requested lectures held in the period
    participants: int   # their visitor counts


def topic_of():
    """A request's topic as it is counted: the menu's content topic when one was chosen, else the typed topic."""
    return func.coalesce(LectureRequest.content_topic, LectureRequest.topic)


def district_counts(actor: Actor, start: date, end: date, area=None) -> Counts | None:
    """The lecture-request figures a reader sees beside the statistics and in the report: an area's when `area` is
    given or the reader is one (`stats.InArea`): its branches' requests and lectures, wherever they were held; the
    district's for an admin; None for others (a base's report and statistics are its own visits only)."""
    path = area.path if area is not None else (actor.area_path or "\0" if actor.role in ("area", "area_admin")
                                               else None)
    if path is not None:
        return counts(start, end, branches=areas.branches_under(path))
    return counts(start, end) if actor.role == "admin" else None


def counts(start: date, end: date, top: int = 10, branches=None) -> Counts:
    """The figures of lecture requests for a period (both ends inclusive): the district's, or those of the branches
    `branches` names (a subquery of ids: an area's)."""
    since, until = clock.day_bounds(start)[0], clock.day_bounds(end)[1]
    made = (LectureRequest.created_at >= since, LectureRequest.created_at < until)
    held = ()
    if branches is not None:
        made += (LectureRequest.branch_id.in_(branches),)
        held = (Booking.branch_id.in_(branches),)
    submitted, completed = db.session.execute(select(
        func.count(), func.count(case((LectureRequest.status == COMPLETED, 1)))).where(*made)).one()
    topic = topic_of().label("topic")
    by_topic = db.session.execute(select(topic, func.count()).where(*made).group_by(topic)
                                  .order_by(func.count().desc(), topic).limit(top)).all()
    sessions, participants = db.session.execute(select(
        func.count(), func.coalesce(func.sum(Booking.visitor_count), 0)).where(
        Booking.source == "request", Booking.status == BOOKING_COMPLETED, Booking.lecturer_status == LECTURER_ACCEPTED,
        Booking.day >= start, Booking.day <= end, *held)).one()
    return Counts(int(submitted), int(completed), [(t, int(n)) for t, n in by_topic], int(sessions), int(participants))
