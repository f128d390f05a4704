"""The lecturer pool: suggestions, invitations without conflicts, answers, blocked time, schedules and records."""
import calendar as pycal
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from booking import clock, links
from booking.errors import LecturerConflict, NotAllowed, NotFound, ValidationFailed
from booking.notify.services import managers_of, notify
from booking.permissions import Actor
from booking.reservations import lifecycle, records
from booking.reservations.lifecycle import require
from booking.reservations.states import ACCEPTED, COMPLETED, DECLINED, ENGAGING_LECTURER, HOLDING_LECTURER, INVITED, LIVE
from models import (CATEGORIES, Booking, BookingEvent, Branch, Lecture, LectureRequest, Lecturer, LecturerTopic,
                    MenuItem, Unavailability, db)
from models.lecture import LectureStatus
from models.lecture_request import RequestStatus

DISPATCHED_REQUEST = RequestStatus.DISPATCHED.value  # a request whose lecturer holds its time


def lecturers_query(category: str | None = None, topic: str | None = None):
    """Active lecturers, by category and topic."""
    stmt = select(Lecturer).where(Lecturer.active.is_(True)).options(selectinload(Lecturer.topic_rows))
    if category:
        stmt = stmt.where(Lecturer.category == category)
    if topic:
        stmt = stmt.where(Lecturer.topic_rows.any(LecturerTopic.topic == topic))
    return stmt.order_by(Lecturer.id)


def busy_lecturer_ids(start: datetime, end: datetime, exclude_booking: int | None = None,
                      exclude_request: int | None = None) -> set[int]:
    """Lecturers holding an assignment (live, or a visit already recorded), an open lecture (讲习活动: once, however many
    bookings it has) or blocked time that overlaps [start, end)."""
    assigned = select(Booking.lecturer_id).where(
        Booking.lecturer_id.is_not(None), Booking.lecturer_status.in_(HOLDING_LECTURER),
        Booking.status.in_(ENGAGING_LECTURER),  # a visit recorded early still holds its time
        Booking.starts_at < end, Booking.ends_at > start, Booking.id != (exclude_booking or -1))
    blocked = select(Unavailability.lecturer_id).where(Unavailability.start_at < end, Unavailability.end_at > start)
    # A lecture request dispatched to a lecturer holds its time until they answer (accepted, it is a booking).
    requested = select(LectureRequest.lecturer_id).where(
        LectureRequest.status == DISPATCHED_REQUEST, LectureRequest.starts_at < end, LectureRequest.ends_at > start,
        LectureRequest.id != (exclude_request or -1))
    lectured = select(Lecture.lecturer_id).where(
        Lecture.status == LectureStatus.PUBLISHED.value, Lecture.lecturer_status.in_(HOLDING_LECTURER),
        Lecture.starts_at < end, Lecture.ends_at > start)
    return (set(db.session.scalars(assigned)) | set(db.session.scalars(blocked)) | set(db.session.scalars(requested))
            | set(db.session.scalars(lectured)))


def _month_bounds(at: datetime) -> tuple[datetime, datetime]:
    local = clock.local(at).date().replace(day=1)
    nxt = (local + timedelta(days=32)).replace(day=1)
    return clock.day_bounds(local)[0], clock.day_bounds(nxt)[0]


def sessions_in_month(at: datetime, exclude_booking: int | None = None, only=None) -> dict[int, int]:
    """Sessions (invited or accepted, not cancelled) per lecturer in the month of `at`: bookings, an open lecture
    once, dispatched lecture requests. `only`: of these lecturers alone (read off the lecturer's index, however many
    bookings the month has)."""
    lo, hi = _month_bounds(at)

    def of(column):
        return [column.in_(list(only))] if only is not None else []
    rows = db.session.execute(select(Booking.lecturer_id, func.count()).where(
        Booking.lecturer_id.is_not(None), *of(Booking.lecturer_id), Booking.lecturer_status.in_(HOLDING_LECTURER),
        Booking.status.in_(ENGAGING_LECTURER), Booking.starts_at >= lo, Booking.starts_at < hi,
        Booking.lecture_id.is_(None),  # a lecture's bookings are its one session, counted below
        Booking.id != (exclude_booking or -1)).group_by(Booking.lecturer_id))
    counts = dict(rows.all())
    lectured = db.session.execute(select(Lecture.lecturer_id, func.count()).where(
        Lecture.status == LectureStatus.PUBLISHED.value, Lecture.lecturer_status.in_(HOLDING_LECTURER),
        *of(Lecture.lecturer_id), Lecture.starts_at >= lo, Lecture.starts_at < hi).group_by(Lecture.lecturer_id))
    for lecturer_id, n in lectured:
        counts[lecturer_id] = counts.get(lecturer_id, 0) + n
    requested = db.session.execute(select(LectureRequest.lecturer_id, func.count()).where(
        LectureRequest.status == DISPATCHED_REQUEST, *of(LectureRequest.lecturer_id), LectureRequest.starts_at >= lo,
        LectureRequest.starts_at < hi).group_by(LectureRequest.lecturer_id))
    for lecturer_id, n in requested:
        counts[lecturer_id] = counts.get(lecturer_id, 0) + n
    return counts


@dataclass
class Suggestion:
    lecturer: Lecturer
    score: float
    reasons: list[str] = field(default_factory=list)


def suggestions(actor: Actor, booking: Booking, now: datetime | None = None) -> list[Suggestion]:
    """Free, suitable lecturers for the booking, best first (`rank`): the item's content topic weighs most, its
    course category next."""
    require(lifecycle.can_invite_lecturer(actor, booking, now or clock.now()))
    item = booking.menu_item
    left_out = declined_by(booking)
    if booking.lecturer_status in HOLDING_LECTURER:
        left_out.add(booking.lecturer_id)  # already the booking's lecturer
    return rank(primary={item.content_topic}, secondary={CATEGORIES.get(item.category, ""), item.category},
                busy=busy_lecturer_ids(booking.starts_at, booking.ends_at, exclude_booking=booking.id),
                load=sessions_in_month(booking.starts_at, exclude_booking=booking.id), left_out=left_out)


# The words by which a branch's own text names a topic the lecturers teach (a request typed in its own words).
TOPIC_WORDS = {
    "党史学习": ("党史", "革命", "长征", "初心", "家书", "英烈", "抗战", "延安", "井冈山"),
    "红色课程": ("红色",),
    "思想政治": ("思想", "理论", "精神", "全会", "二十大", "二十届", "党章", "党纪", "党性", "宗旨", "初心使命"),
    "先进模范": ("楷模", "模范", "榜样", "劳模", "英雄", "先进事迹"),
    "文明道德": ("文明", "道德", "家风", "诚信", "孝老"),
    "基层治理": ("治理", "社区", "枫桥", "网格", "物业", "基层"),
    "政策普及": ("政策", "法律", "法治", "宪法", "条例", "合规", "医保", "社保"),
    "志愿服务": ("志愿", "公益"),
    "科技创新": ("科技", "创新", "数字化", "人工智能"),
    "科学知识": ("科学", "科普", "健康"),
    "实用技能": ("技能", "急救", "反诈"),
    "文化课程": ("文化", "非遗", "传统"),
    "网络课程": ("网络", "线上"),
}


def topics_named(text: str) -> set[str]:
    """The topics a text names: a topic itself, or one of its words ("社区治理" names 基层治理)."""
    text = text or ""
    return {topic for topic, words in TOPIC_WORDS.items() if topic in text or any(w in text for w in words)}


def rank(*, primary: set, secondary: set, busy: set[int], load: dict[int, int], left_out: set[int] = frozenset(),
         free_at: bool = False) -> list[Suggestion]:
    """Active lecturers best first, the one rule for base visits and lecture requests: a topic of `primary`
    among theirs weighs 10, one of `secondary` 3, each session this month costs 1 (the load is shared). Left out:
    the busy, those at their monthly limit, and `left_out` (who declined, who holds it already). Each says why,
    and whether the lecturer answers in the system or must be phoned."""
    wanted = {t for t in primary | secondary if t}
    out = []
    for lecturer in db.session.scalars(lecturers_query().options(selectinload(Lecturer.user))):
        if lecturer.id in busy or lecturer.id in left_out:
            continue
        count = load.get(lecturer.id, 0)
        if lecturer.monthly_limit is not None and count >= lecturer.monthly_limit:
            continue
        topics = set(lecturer.topics)
        matched = [t for t in lecturer.topics if t in wanted]
        score = (10 if topics & primary else 0) + (3 if topics & secondary else 0) - count
        reasons = [f"主题匹配：{'、'.join(matched)}"] if matched else ["主题不完全匹配"]
        reasons.append(f"本月已安排 {count} 次" + (f"（上限 {lecturer.monthly_limit} 次）" if lecturer.monthly_limit else ""))
        if free_at:
            reasons.append("该时间有空")
        reasons.append(lecturer.category_label)
        reasons.append(answer_channel(lecturer))
        out.append(Suggestion(lecturer, float(score), reasons))
    out.sort(key=lambda s: (-s.score, s.lecturer.id))
    return out


def can_answer_in_system(lecturer: Lecturer) -> bool:
    """Whether the lecturer has an active account to see and answer invitations."""
    return lecturer.user is not None and lecturer.user.active


def answer_channel(lecturer: Lecturer) -> str:
    """How the lecturer's answer reaches the base, in the words the suggestion list uses."""
    if can_answer_in_system(lecturer):
        return "可在系统中答复"
    if lecturer.phone:
        return f"无账号：请电话联系（{lecturer.phone}）后代为登记答复"
    return "无账号、无电话：请通过讲师团联系后代为登记答复"


def declined_by(booking: Booking) -> set[int]:
    """The lecturers who declined this booking (in the system, by phone, or after accepting): they are not
    suggested for it again."""
    declined = {booking.lecturer_id} if booking.lecturer_status == DECLINED else set()
    return declined | set(db.session.scalars(
        select(BookingEvent.lecturer_id).where(BookingEvent.booking_id == booking.id,
                                               BookingEvent.action == "lecturer_declined",
                                               BookingEvent.lecturer_id.is_not(None))))


def lock_lecturer(lecturer_id: int) -> Lecturer | None:
    """Lock the lecturer's row for this transaction, so assignments of one lecturer happen one at a time.

    A no-op UPDATE of the row: PostgreSQL holds its row lock until commit, and on SQLite it starts the
    (serialised) write transaction, so the conflict checks that follow see every earlier assignment.
    """
    db.session.execute(update(Lecturer).where(Lecturer.id == lecturer_id).values(active=Lecturer.active)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(select(Lecturer).where(Lecturer.id == lecturer_id).with_for_update())


def invite(actor: Actor, booking: Booking, lecturer_id, now: datetime | None = None) -> Booking:
    """Invite a lecturer to the booking; 409 lecturer_conflict when they are busy or blocked at that time."""
    now = now or clock.now()
    require(lifecycle.can_invite_lecturer(actor, booking, now))
    if isinstance(lecturer_id, bool) or not isinstance(lecturer_id, int):
        raise ValidationFailed({"lecturer_id": "请选择讲师。"})
    lecturer = lock_lecturer(lecturer_id)
    if lecturer is None or not lecturer.active:
        raise ValidationFailed({"lecturer_id": "讲师不存在或不在库。"})
    if booking.lecturer_id == lecturer.id and booking.lecturer_status in HOLDING_LECTURER:
        return booking
    if lecturer.id in busy_lecturer_ids(booking.starts_at, booking.ends_at, exclude_booking=booking.id):
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}在该时间已有安排或不可用。")
    if lecturer.monthly_limit is not None and \
            sessions_in_month(booking.starts_at, booking.id).get(lecturer.id, 0) >= lecturer.monthly_limit:
        db.session.rollback()
        raise LecturerConflict(f"{lecturer.name}本月授课已达上限（{lecturer.monthly_limit} 次）。")
    replaced = booking.lecturer if booking.lecturer and booking.lecturer_status in HOLDING_LECTURER else None
    # One live invitation per booking: inviting another replaces it (the page asks first), and the replaced
    # lecturer is told the time is free again.
    booking.lecturer, booking.lecturer_status = lecturer, INVITED
    records.record_event(booking, actor, "lecturer_invited",
                           lecturer.name + (f"（替换 {replaced.name}）" if replaced else ""), now, lecturer_id=lecturer.id)
    if replaced is not None and replaced.user is not None and replaced.user.active:
        notify([replaced.user], "booking_changed", booking, f"授课安排已取消：{booking.base.name} {clock.when(booking.starts_at)}",
               f"“{booking.menu_item.title}”已改由其他讲师承担，该时间不再为您保留。")
    if lecturer.user:
        when = clock.when(booking.starts_at)
        notify([lecturer.user], "lecturer_invited", booking, f"授课邀请：{booking.base.name} {when}",
               f"“{booking.menu_item.title}”，{booking.branch.name} {booking.headcount} 人，{booking.venue.name}。请确认是否接受。")
    db.session.commit()
    return booking


def _answer(actor: Actor, booking: Booking, accept: bool, note: str, now: datetime, *, by_phone: bool = False,
            withdrawn: bool = False) -> Booking:
    """Write the lecturer's answer, and tell the base's managers (and the lecturer, when a manager wrote it)."""
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationFailed({"reason": "原因不能超过 500 个字。"})
    if withdrawn and not note:
        raise ValidationFailed({"reason": "请说明退出的原因，便于基地另行安排。"})
    booking.lecturer_status = ACCEPTED if accept else DECLINED
    action = "lecturer_accepted" if accept else "lecturer_declined"
    detail = ("电话答复，由管理员登记" + (f"：{note}" if note else "")) if by_phone else \
        (f"接受后退出：{note}" if withdrawn else note)
    records.record_event(booking, actor, action, detail, now, lecturer_id=booking.lecturer_id)
    lecturer = booking.lecturer
    when = clock.when(booking.starts_at)
    verb = "接受" if accept else ("退出" if withdrawn else "婉拒")
    others = [m for m in managers_of(booking.base_id) if m.id != actor.id]
    notify(others, action, booking, f"{lecturer.name}{verb}了授课{'' if withdrawn else '邀请'}：{when}",
           f"“{booking.menu_item.title}”，{booking.branch.name}。" + (f"原因：{note}" if note and not accept else "")
           + ("" if accept else "请重新安排讲师。"))
    if by_phone and can_answer_in_system(lecturer):
        notify([lecturer.user], action, booking, f"管理员已为您登记{verb}授课：{booking.base.name} {when}",
               f"“{booking.menu_item.title}”，{booking.branch.name}。")
    db.session.commit()
    return booking


def accept(actor: Actor, booking: Booking, now: datetime | None = None) -> Booking:
    """The invited lecturer accepts."""
    now = now or clock.now()
    require(lifecycle.can_answer_invitation(actor, booking, now))
    return _answer(actor, booking, True, "", now)


def decline(actor: Actor, booking: Booking, reason: str = "", now: datetime | None = None) -> Booking:
    """The invited lecturer declines; they no longer hold the time."""
    now = now or clock.now()
    require(lifecycle.can_answer_invitation(actor, booking, now))
    return _answer(actor, booking, False, reason, now)


def record_phone_answer(actor: Actor, booking: Booking, accept: bool, note: str = "",
                        now: datetime | None = None) -> Booking:
    """A manager records the answer the invited lecturer gave by phone (history says so)."""
    now = now or clock.now()
    require(lifecycle.can_record_lecturer_answer(actor, booking, now))
    return _answer(actor, booking, accept, note, now, by_phone=True)


def withdraw(actor: Actor, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """The lecturer who accepted withdraws before the start, with a reason; the managers are told to find
    another lecturer, and this lecturer is not suggested for the booking again."""
    now = now or clock.now()
    require(lifecycle.can_withdraw_from_session(actor, booking, now))
    return _answer(actor, booking, False, reason, now, withdrawn=True)


def _own_lecturer(actor) -> Lecturer:
    if actor.role != "lecturer" or actor.lecturer is None:
        raise NotAllowed("只有讲师可以管理自己的日程。")
    return actor.lecturer


def block_time(actor: Actor, start: datetime, end: datetime, reason: str = "", now: datetime | None = None) -> Unavailability:
    """A lecturer blocks time (外出, 休假); not over time they already promised."""
    lecturer = _own_lecturer(actor)
    fields = {}
    if end <= start:
        fields["end"] = "结束时间必须晚于开始时间。"
    elif end - start > timedelta(days=366):
        fields["end"] = "一次最多标记一年。"
    reason = (reason or "").strip()
    if len(reason) > 200:
        fields["reason"] = "原因不能超过 200 个字。"
    if fields:
        raise ValidationFailed(fields)
    lock_lecturer(lecturer.id)
    clash = db.session.scalar(select(Booking).where(
        Booking.lecturer_id == lecturer.id, Booking.lecturer_status.in_(HOLDING_LECTURER), Booking.status.in_(LIVE),
        Booking.starts_at < end, Booking.ends_at > start).limit(1))
    if clash is not None:
        db.session.rollback()
        raise LecturerConflict(f"该时间已有授课安排（{clock.when(clash.starts_at)} {clash.place_name}），请先处理。")
    row = Unavailability(lecturer_id=lecturer.id, start_at=start, end_at=end, reason=reason,
                         created_at=now or clock.now())
    db.session.add(row)
    db.session.commit()
    return row


def unblock_time(actor: Actor, unavailability_id: int) -> None:
    """Remove one's own blocked time."""
    lecturer = _own_lecturer(actor)
    row = db.session.get(Unavailability, unavailability_id)
    if row is None or row.lecturer_id != lecturer.id:
        raise NotFound("没有这条不可用时间。")
    db.session.delete(row)
    db.session.commit()


def blocked_times(lecturer: Lecturer, since: datetime) -> list[Unavailability]:
    """The lecturer's blocked time that has not yet ended, soonest first."""
    return list(db.session.scalars(select(Unavailability).where(
        Unavailability.lecturer_id == lecturer.id, Unavailability.end_at > since).order_by(Unavailability.start_at)))


def schedule_query(lecturer_id: int, start: date | None = None, end: date | None = None):
    """The lecturer's invited and accepted assignments of live or completed bookings, soonest first; the bookings of
    an open lecture are its one session (`lectures_of`), not each an assignment."""
    stmt = select(Booking).where(Booking.lecturer_id == lecturer_id, Booking.lecturer_status.in_(HOLDING_LECTURER),
                                 Booking.status.in_(ENGAGING_LECTURER), Booking.lecture_id.is_(None))
    if start:
        stmt = stmt.where(Booking.day >= start)
    if end:
        stmt = stmt.where(Booking.day <= end)
    return stmt.options(selectinload(Booking.base), selectinload(Booking.venue), selectinload(Booking.branch),
                        selectinload(Booking.menu_item)).order_by(Booking.starts_at, Booking.id)


def feed_token(lecturer: Lecturer) -> str | None:
    """The secret part of the lecturer's calendar URL: the lecturer's id and an HMAC of their feed key under the
    app's SECRET_KEY. The database keeps only the key, so a copy of it alone does not give anyone's feed."""
    if not lecturer.calendar_token:
        return None
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"calendar:{lecturer.id}:{lecturer.calendar_token}".encode(),
                      hashlib.sha256).hexdigest()[:40]
    return f"{lecturer.id}-{digest}"


def renew_calendar_token(actor) -> str:
    """A new key for the calendar feed; the old URL stops working. Returns the new URL's token."""
    lecturer = _own_lecturer(actor)
    lecturer.calendar_token = secrets.token_urlsafe(24)
    db.session.commit()
    return feed_token(lecturer)


def lecturer_by_token(token: str) -> Lecturer:
    """The lecturer whose calendar feed this is, while their account is active; NotFound otherwise."""
    number, _, _digest = (token or "").partition("-")
    lecturer = db.session.get(Lecturer, int(number)) if number.isdigit() and len(number) < 10 and len(token) < 80 \
        else None
    expected = feed_token(lecturer) if lecturer is not None else None
    if expected is None or not hmac.compare_digest(expected, token) or lecturer.user is None or not lecturer.user.active:
        raise NotFound("日历地址无效或已更换。")
    return lecturer


def calendar_ics(lecturer: Lecturer, now: datetime | None = None) -> bytes:
    """An RFC 5545 calendar of the lecturer's accepted and invited assignments (icalendar library)."""
    now = now or clock.now()
    cal = Calendar()
    cal.add("prodid", "-//X区开放式组织生活基地预约//讲师日程//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{lecturer.name}的授课日程")
    cal.add("x-wr-timezone", clock.tz().key)
    since = clock.local_today(now) - timedelta(days=90)
    for b in db.session.scalars(schedule_query(lecturer.id, start=since).where(Booking.status.in_(LIVE))):
        ev = Event()
        ev.add("uid", f"booking-{b.id}@open-base-booking")
        ev.add("dtstamp", now)
        ev.add("dtstart", clock.local(b.starts_at))
        ev.add("dtend", clock.local(b.ends_at))
        ev.add("summary", f"{'【待确认】' if b.lecturer_status == INVITED else ''}{b.title}（{b.branch.name}）")
        ev.add("location", f"{b.base.name} {b.venue.name} {b.base.address}".strip() if b.base else (b.address or ""))
        ev.add("description", f"{b.branch.name} {b.headcount} 人；联系人 {b.contact_name} {b.contact_phone}"
               + (f"；主题：{b.topic}" if b.topic else ""))
        ev.add("status", "CONFIRMED" if b.lecturer_status == ACCEPTED else "TENTATIVE")
        cal.add_component(ev)
    for x in lectures_of(lecturer.id, start=since):
        ev = Event()
        ev.add("uid", f"lecture-{x.lecture.id}@open-base-booking")
        ev.add("dtstamp", now)
        ev.add("dtstart", clock.local(x.lecture.starts_at))
        ev.add("dtend", clock.local(x.lecture.ends_at))
        ev.add("summary", f"{'【待确认】' if x.lecture.lecturer_status == INVITED else ''}讲习活动：{x.lecture.title}")
        ev.add("location", f"{x.lecture.base.name} {x.lecture.venue.name} {x.lecture.base.address}".strip())
        ev.add("description", (f"{'、'.join(x.branches)}，共 {x.seats} 人" if x.branches else "尚无支部预约"))
        ev.add("status", "CONFIRMED" if x.lecture.lecturer_status == ACCEPTED else "TENTATIVE")
        cal.add_component(ev)
    # The times carry TZID=Asia/Shanghai (or the TIMEZONE setting); its VTIMEZONE goes with them, so calendar
    # applications that do not know the zone by name still show the right hour.
    cal.add_missing_timezones()
    return cal.to_ical()


@dataclass
class RecordRow:
    period: str
    sessions: int
    hours: float


def lecture_record(lecturer: Lecturer, year: int) -> tuple[list[RecordRow], RecordRow]:
    """Sessions given (completed visits with the lecturer accepted) and hours, per month of a year."""
    given = (Booking.lecturer_id == lecturer.id, Booking.lecturer_status == ACCEPTED, Booking.status == COMPLETED,
             Booking.day >= date(year, 1, 1), Booking.day <= date(year, 12, 31))
    # Each session as long as `Booking.minutes_of` says: a base visit's item, a requested lecture's start to end.
    by_month: dict[str, list[int]] = {}
    seen: set[int] = set()  # an open lecture's bookings are one session
    for day, item_minutes, starts, ends, lecture_id in db.session.execute(
            select(Booking.day, MenuItem.duration_minutes, Booking.starts_at, Booking.ends_at, Booking.lecture_id)
            .outerjoin(MenuItem, MenuItem.id == Booking.menu_item_id).where(*given)):
        if lecture_id is not None:
            if lecture_id in seen:
                continue
            seen.add(lecture_id)
        line = by_month.setdefault(f"{day:%m}", [0, 0])
        line[0] += 1
        line[1] += Booking.minutes_of(item_minutes, starts, ends)
    rows = [RecordRow(f"{year}-{m}", n, round(minutes / 60, 1)) for m, (n, minutes) in sorted(by_month.items())]
    total = RecordRow(str(year), sum(r.sessions for r in rows), round(sum(r.hours for r in rows), 1))
    return rows, total


def lecture_sessions(lecturer: Lecturer, year: int) -> list[Booking]:
    """The sessions the lecture record counts (completed, the lecturer accepted) in a year, in date order."""
    return list(db.session.scalars(
        schedule_query(lecturer.id, start=date(year, 1, 1), end=date(year, 12, 31))
        .where(Booking.lecturer_status == ACCEPTED, Booking.status == COMPLETED)))


RECORD_HEADER = ["日期", "时间", "地点", "活动项目", "党支部", "实到人数", "授课时长（小时）"]


@dataclass
class LectureRecord:
    """A lecturer's year: the months' figures, the year's total and every session counted."""
    lecturer: Lecturer
    year: int
    rows: list[RecordRow]
    total: RecordRow
    sessions: list[Booking]
    lectures: list["LectureSession"] = field(default_factory=list)  # open lectures given: one session each

    def table(self) -> list[list]:
        """The sessions as the export's rows (RECORD_HEADER), in date order, the year's total last."""
        rows = [(b.starts_at, [b.day.isoformat(), f"{clock.local(b.starts_at):%H:%M}–{clock.local(b.ends_at):%H:%M}",
                               b.place_name, b.title, f"{b.branch.organization.name} · {b.branch.name}",
                               b.visitor_count, round(b.duration_minutes / 60, 1)]) for b in self.sessions]
        rows += [(x.lecture.starts_at, [
            x.lecture.day.isoformat(), f"{clock.local(x.lecture.starts_at):%H:%M}–{clock.local(x.lecture.ends_at):%H:%M}",
            f"{x.lecture.base.name} {x.lecture.venue.name}", f"讲习活动：{x.lecture.title}", "、".join(x.branches), x.seats,
            round(x.lecture.menu_item.duration_minutes / 60, 1)]) for x in self.lectures]
        body = [row for _, row in sorted(rows, key=lambda r: r[0])]
        body.append([f"全年合计 {self.total.sessions} 次", "", "", "", "", "", self.total.hours])
        return body


def lecture_record_page(lecturer: Lecturer, year: int) -> LectureRecord:
    """What the lecture record's page and its export show for a year."""
    rows, total = lecture_record(lecturer, year)
    return LectureRecord(lecturer=lecturer, year=year, rows=rows, total=total, sessions=lecture_sessions(lecturer, year),
                         lectures=[x for x in lectures_of(lecturer.id, date(year, 1, 1), date(year, 12, 31), completed=True)
                                   if x.lecture.lecturer_status == ACCEPTED])


@dataclass
class LectureSession:
    """An open lecture (讲习活动) as its lecturer's schedule shows it: once, with the branches booked and their seats."""
    lecture: Lecture
    branches: list[str]
    seats: int


def lectures_of(lecturer_id: int, start: date | None = None, end: date | None = None,
                completed: bool = False) -> list[LectureSession]:
    """The published lectures the lecturer is invited to or gives (`completed`: those held, with their completed
    bookings), soonest first, each with the branches booked in its slot."""
    stmt = select(Lecture).where(Lecture.lecturer_id == lecturer_id,
                                 Lecture.status == LectureStatus.PUBLISHED.value,
                                 Lecture.lecturer_status.in_(HOLDING_LECTURER))
    if start:
        stmt = stmt.where(Lecture.day >= start)
    if end:
        stmt = stmt.where(Lecture.day <= end)
    found = list(db.session.scalars(stmt.options(selectinload(Lecture.base), selectinload(Lecture.venue),
                                                 selectinload(Lecture.menu_item)).order_by(Lecture.starts_at)))
    wanted = [COMPLETED] if completed else list(ENGAGING_LECTURER)
    parts: dict[int, list] = {x.id: [[], 0] for x in found}
    if found:
        for lecture_id, name, headcount, came in db.session.execute(
                select(Booking.lecture_id, Branch.name, Booking.headcount + Booking.partner_headcount,
                       Booking.visitor_count).join(Branch, Branch.id == Booking.branch_id)
                .where(Booking.lecture_id.in_(list(parts)), Booking.status.in_(wanted)).order_by(Booking.id)):
            parts[lecture_id][0].append(name)
            parts[lecture_id][1] += (came or 0) if completed else headcount
    sessions = [LectureSession(x, *parts[x.id]) for x in found]
    return [x for x in sessions if x.branches] if completed else sessions


@dataclass
class SchedulePage:
    """What a lecturer's schedule shows: invitations to answer, accepted sessions to come, a month's calendar with
    its sessions and blocked days, the blocked time still ahead, and the calendar feed's address."""
    invitations: list[Booking]
    accepted: list[Booking]
    month: date
    weeks: list[list[date]]
    by_day: dict[date, list[Booking]]
    blocked: dict[date, list[Unavailability]]
    blocks: list[Unavailability]
    feed: str | None
    today: date
    prev: date
    next: date
    # Lecture requests dispatched to the lecturer, waiting for their answer (接单 or 婉拒), soonest first.
    requests: list[LectureRequest] = field(default_factory=list)
    requests_by_day: dict[date, list[LectureRequest]] = field(default_factory=dict)
    # Open lectures (讲习活动): invited ones to answer, accepted ones to come, and the month's by day.
    lecture_invitations: list[LectureSession] = field(default_factory=list)
    lectures: list[LectureSession] = field(default_factory=list)
    lectures_by_day: dict[date, list[LectureSession]] = field(default_factory=dict)


def schedule_page(lecturer: Lecturer, month: date | None = None, now: datetime | None = None) -> SchedulePage:
    """The lecturer's schedule around a month (this month when none is asked for)."""
    now = now or clock.now()
    today = clock.local_today(now)
    month = month or today.replace(day=1)
    last = month.replace(day=pycal.monthrange(month.year, month.month)[1])
    upcoming = db.session.scalars(schedule_query(lecturer.id, start=today).limit(50)).all()
    by_day: dict[date, list[Booking]] = {}
    for b in db.session.scalars(schedule_query(lecturer.id, start=month, end=last)):
        by_day.setdefault(b.day, []).append(b)
    weeks = pycal.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    token = feed_token(lecturer)
    dispatched = list(db.session.scalars(select(LectureRequest).where(
        LectureRequest.lecturer_id == lecturer.id, LectureRequest.status == DISPATCHED_REQUEST,
        LectureRequest.ends_at > now).order_by(LectureRequest.starts_at)))
    requests_by_day: dict[date, list[LectureRequest]] = {}
    for r in dispatched:
        requests_by_day.setdefault(clock.local(r.starts_at).date(), []).append(r)
    coming = [x for x in lectures_of(lecturer.id, start=today) if x.lecture.starts_at > now]
    lectures_by_day: dict[date, list[LectureSession]] = {}
    for x in lectures_of(lecturer.id, start=month, end=last):
        lectures_by_day.setdefault(x.lecture.day, []).append(x)
    return SchedulePage(
        lecture_invitations=[x for x in coming if x.lecture.lecturer_status == INVITED],
        lectures=[x for x in coming if x.lecture.lecturer_status == ACCEPTED], lectures_by_day=lectures_by_day,
        invitations=[b for b in upcoming if b.lecturer_status == INVITED],
        accepted=[b for b in upcoming if b.lecturer_status == ACCEPTED], month=month, weeks=weeks, by_day=by_day,
        blocked=blocks_between(lecturer, weeks[0][0], weeks[-1][-1]), blocks=blocked_times(lecturer, now),
        feed=links.external("lecturers.calendar_feed", token=token) if token else None, today=today,
        prev=(month - timedelta(days=1)).replace(day=1), next=last + timedelta(days=1), requests=dispatched,
        requests_by_day=requests_by_day)


def blocks_between(lecturer: Lecturer, first: date, last: date) -> dict[date, list[Unavailability]]:
    """The lecturer's blocked time touching each day from first to last (for the month calendar)."""
    lo, hi = clock.day_bounds(first)[0], clock.day_bounds(last)[1]
    by_day: dict[date, list[Unavailability]] = {}
    for row in db.session.scalars(select(Unavailability).where(
            Unavailability.lecturer_id == lecturer.id, Unavailability.start_at < hi, Unavailability.end_at > lo)
            .order_by(Unavailability.start_at)):
        day = max(clock.local(row.start_at).date(), first)
        end = min(clock.local(row.end_at - timedelta(microseconds=1)).date(), last)
        while day <= end:
            by_day.setdefault(day, []).append(row)
            day += timedelta(days=1)
    return by_day


def get_lecturer(lecturer_id: int) -> Lecturer:
    """A lecturer by id, or NotFound."""
    lecturer = db.session.get(Lecturer, lecturer_id)
    if lecturer is None:
        raise NotFound("讲师不存在。")
    return lecturer


