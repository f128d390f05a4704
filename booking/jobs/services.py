"""The work of the scheduled jobs. Each takes `now`, can run twice, late, or in two processes at once,
and never does its work twice: every change is claimed with a conditional UPDATE or a unique mark."""
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from booking import clock, permissions
from booking.errors import InvalidState
from booking.notify.services import notify, taking_part_secretaries
from booking.reports import services as reports
from booking.requests import services as lecture_requests
from booking.reservations import waitlist
from booking.reservations.lifecycle import Move, transition
from booking.reservations.states import ACCEPTED, APPROVED, EXPECTED, PENDING
from models import Booking, JobMark, LectureRequest, User, db
from models.lecture_request import RequestStatus
from booking.admin.services import drop_old_credential_sheets
from booking.notify.services import send_pending_mail
from booking.series import services as series
from models import JobRun

log = logging.getLogger(__name__)
BATCH = 500
TIME_BUDGET_SECONDS = 240  # a run goes on in batches until its work is done, or this long (the next run goes on)


def _ids(stmt) -> list[int]:
    ids = list(db.session.scalars(stmt.limit(BATCH)))
    db.session.rollback()  # end the read; each change below is its own short transaction
    return ids


def _due(stmt):
    """The ids the due query finds, batch after batch until none is left (or the time budget is spent): work
    done drops out of the query, so a backlog of any size is cleared in one run."""
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    seen: set[int] = set()
    while time.monotonic() < deadline:
        batch = [i for i in _ids(stmt) if i not in seen]
        if not batch:
            return
        seen.update(batch)
        yield from batch


def _move_each(due, move: Move, note: str, now: datetime) -> int:
    """Move every due booking along the state machine (with what follows the move, as when a person makes it),
    each in its own short transaction; a booking another process moved first is skipped. Returns how many
    this process moved."""
    moved = 0
    for booking_id in _due(due):
        booking = db.session.get(Booking, booking_id)
        if booking is None:
            continue
        try:
            transition(booking, move, None, note, now)
        except InvalidState:
            db.session.rollback()
            continue
        db.session.commit()
        moved += 1
    return moved


def expire_pending(now: datetime | None = None) -> str:
    """A pending booking whose start has passed becomes expired (its places freed, the branch told)."""
    now = now or clock.now()
    due = select(Booking.id).where(Booking.status == PENDING, Booking.starts_at <= now).order_by(Booking.starts_at)
    expired = _move_each(due, Move.EXPIRE, '开始前未审核，系统自动过期', now)
    left = waitlist.expire_started(now)  # waiting for a slot that has started
    return f"expired {expired}" + (f", {left} waitlist entries expired" if left else "")


def mark_no_shows(now: datetime | None = None) -> str:
    """An approved base visit with no recorded attendance by the end of its day becomes no_show (which may block
    the branch, as a no-show marked by hand does). An activity at the branch's own place waits for its secretary to
    record it: nobody at a base was kept waiting."""
    now = now or clock.now()
    today = clock.local_today(now)
    due = select(Booking.id).where(Booking.status == APPROVED, Booking.day < today,
                                   Booking.base_id.is_not(None)).order_by(Booking.starts_at)
    return f"no_show {_move_each(due, Move.MARK_NO_SHOW, '当天未登记到场，系统自动标记', now)}"


def send_reminders(now: datetime | None = None) -> str:
    """Once per booking, when the visit is less than 24 hours away: the secretary and the accepted lecturer."""
    now = now or clock.now()
    sent = 0
    for booking_id in _due(select(Booking.id).where(
            Booking.status == APPROVED, Booking.reminder_sent_at.is_(None),
            Booking.starts_at > now, Booking.starts_at <= now + timedelta(hours=24)).order_by(Booking.starts_at)):
        claimed = db.session.execute(
            update(Booking).where(Booking.id == booking_id, Booking.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        booking = db.session.get(Booking, booking_id)
        when = clock.when(booking.starts_at)
        to = taking_part_secretaries(booking)
        if booking.lecturer and booking.lecturer_status == ACCEPTED and booking.lecturer.user:
            to.append(booking.lecturer.user)
        if booking.at_own_place:
            notify(to, "reminder", booking, f"活动提醒：{when} {booking.activity_type_label}",
                   f"{booking.activity_type_label}“{booking.topic}”将于 {when} 在{booking.address}开始，"
                   f"应到 {booking.headcount} 人。")
        else:
            notify(to, "reminder", booking, f"活动提醒：{when} {booking.base.name}",
                   f"“{booking.menu_item.title}”将于 {when} 在{booking.base.name}{booking.venue.name}开始，"
                   f"{booking.total_headcount} 人。签到码 {booking.code}。地址：{booking.base.address}")
        db.session.commit()
        sent += 1
    unanswered = _nudge_unanswered_requests(now)
    return f"reminded {sent}" + (f", {unanswered} unanswered requests" if unanswered else "")


def _nudge_unanswered_requests(now: datetime) -> int:
    """Once per dispatch, when a dispatched lecture is less than 24 hours away and its lecturer has not answered:
    the lecturer (to answer) and the dispatchers (to ring them, or send another)."""
    told = 0
    for request_id in _due(select(LectureRequest.id).where(
            LectureRequest.status == RequestStatus.DISPATCHED.value, LectureRequest.starts_at > now,
            LectureRequest.starts_at <= now + timedelta(hours=24)).order_by(LectureRequest.starts_at)):
        request = db.session.get(LectureRequest, request_id)
        if request is None or not _claim("request-unanswered", f"{request.id}:{clock.iso(request.starts_at)}", now):
            continue
        when = clock.when(request.starts_at)
        body = f"{request.branch.name}点单的“{request.topic}”将于 {when} 在{request.address}开始，讲师尚未接单。"
        if request.lecturer.user is not None:
            notify([request.lecturer.user], "lecture_requested", None, f"请尽快接单：{when} {request.branch.name}",
                   body + "请在“我的日程”中接单或婉拒。", request_id=request.id)
        notify(lecture_requests.dispatchers(request), "request_answered", None, f"讲师尚未接单：{request.lecturer.name}",
               body + f"请电话联系讲师（{request.lecturer.phone or '未留电话'}）或改派。", request_id=request.id)
        db.session.commit()
        told += 1
    return told


def _claim(job: str, key: str, now: datetime) -> bool:
    """Take the unique mark for this piece of work; False when it was already taken."""
    db.session.add(JobMark(job=job, key=key, at=now))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def manager_digest(now: datetime | None = None) -> str:
    """Each morning each manager gets the day's visits and the requests still waiting, once a day."""
    now = now or clock.now()
    local = clock.local(now)
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return "too early"
    today = local.date()
    sent = 0
    managers = [u.id for u in db.session.scalars(select(User).where(User.role == "manager", User.active.is_(True)))]
    db.session.rollback()
    for user_id in managers:
        if not _claim("manager-digest", f"{user_id}:{today}", now):
            continue
        manager = db.session.get(User, user_id)
        theirs = permissions.booking_scope(manager)
        visits = db.session.scalars(select(Booking).where(
            theirs, Booking.day == today, Booking.status.in_(EXPECTED)).order_by(Booking.starts_at)).all()
        waiting = db.session.scalar(select(func.count()).select_from(Booking).where(
            theirs, Booking.status == PENDING)) or 0
        lines = [f"{clock.local(b.starts_at):%H:%M} {b.venue.name} {b.branch.name} {b.total_headcount} 人（{b.menu_item.title}）"
                 for b in visits]
        body = (f"今天有 {len(visits)} 批活动：\n" + "\n".join(lines) if visits else "今天没有预约的活动。") + \
            f"\n待审核的预约：{waiting} 个。"
        watch = reports.watch(manager, now=now)  # what concerns their bases on the watch list
        if watch.stale_pending:
            body += f"\n其中等待审核超过 {reports.STALE_PENDING_DAYS} 天的：{len(watch.stale_pending)} 个，请尽快处理。"
        if watch.idle_bases:
            body += f"\n今年以来还没有活动的基地：{'、'.join(b.name for b in watch.idle_bases)}。"
        notify([manager], "digest", None, f"今日概览：{len(visits)} 批活动，{waiting} 个待审核", body)
        db.session.commit()
        sent += 1
    return f"digests {sent}"


def send_mail(now: datetime | None = None) -> str:
    """Deliver the outbox's due emails (retried with growing delays when the server fails)."""
    if not current_app.config.get("MAIL_HOST"):
        return "mail not configured"
    sent, failed = send_pending_mail(now)
    return f"sent {sent}, failed {failed}"


@dataclass(frozen=True)
class Job:
    name: str
    func: object
    trigger: dict
    description: str


def book_series(now: datetime | None = None) -> str:
    """Standing monthly bookings: book each planned occurrence once its date enters the base's window."""
    booked, skipped = series.book_due(now)
    return f"booked {booked}, skipped {skipped}"


def drop_password_sheets(now: datetime | None = None) -> str:
    """Initial-password sheets keep their passwords for one day only."""
    return f"dropped {drop_old_credential_sheets(now)}"


JOBS = {
    job.name: job for job in (
        Job("expire-pending", expire_pending, {"trigger": "interval", "minutes": 5}, "待审核预约开始后自动过期"),
        Job("mark-no-shows", mark_no_shows, {"trigger": "interval", "minutes": 30}, "当天未登记到场的预约标记为未到场"),
        Job("send-reminders", send_reminders, {"trigger": "interval", "minutes": 10}, "活动前 24 小时内提醒支部和讲师"),
        Job("manager-digest", manager_digest, {"trigger": "cron", "minute": "*/30"}, "每天早上给基地管理员发今日概览"),
        Job("send-mail", send_mail, {"trigger": "interval", "minutes": 1}, "发送通知邮件（失败时稍后重试）"),
        Job("book-series", book_series, {"trigger": "interval", "minutes": 15}, "固定预约：日期进入可预约期时自动预约"),
        Job("drop-password-sheets", drop_password_sheets, {"trigger": "interval", "minutes": 30},
            "初始密码表超过一天即删除其中的密码"),
    )
}


def describe_schedule(job: Job) -> str:
    """A job's trigger in a few words (for `jobs list`)."""
    t = job.trigger
    if t["trigger"] == "interval":
        return f"every {t['minutes']} min"
    return f"cron minute={t.get('minute', '*')} hour={t.get('hour', '*')}"


def run_job(name: str, now: datetime | None = None) -> tuple[bool, str]:
    """Run one job and record the run; a failure is logged and recorded, never raised."""
    job = JOBS[name]
    started = clock.now()
    try:
        detail = job.func(now)
        ok = True
    except Exception as err:  # the scheduler must go on; the next run retries
        db.session.rollback()
        log.exception("job %s failed", name)
        detail, ok = f"{type(err).__name__}: {err}"[:500], False
    db.session.add(JobRun(name=name, started_at=started, finished_at=clock.now(), ok=ok, detail=detail))
    db.session.commit()
    return ok, detail


def last_runs() -> dict:
    """The latest recorded run of each job."""
    latest = select(JobRun.name, func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    rows = db.session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))
    return {r.name: r for r in rows}
