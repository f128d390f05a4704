"""Notifications: in-app rows for each change that concerns someone, and email when mail is configured."""
import logging
import smtplib
import time
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam, func, select, update

from booking import clock
from booking.errors import NotFound
from models import Booking, Notification, User, db, manager_bases
from models.partner import HOLDING_PARTNER
from booking import audit

log = logging.getLogger(__name__)


_users = User.__table__
_MANAGERS = (select(_users.c.id, _users.c.email)
             .select_from(_users.join(manager_bases, manager_bases.c.user_id == _users.c.id))
             .where(manager_bases.c.base_id == bindparam("base_id"), _users.c.active.is_(True),
                    _users.c.role == "manager"))


def is_secretary_of(branch_id) -> ColumnElement[bool]:
    """Who hears about a branch's bookings: its active secretaries (a condition on users, for joins too)."""
    return and_(_users.c.branch_id == branch_id, _users.c.role == "secretary", _users.c.active.is_(True))


_SECRETARIES = select(_users.c.id, _users.c.email).where(is_secretary_of(bindparam("branch_id")))


def managers_of(base_id: int) -> list:
    """The active managers of a base, as (id, email) rows: what a notification needs."""
    return list(db.session.execute(_MANAGERS, {"base_id": base_id}))


def secretaries_of(branch_id: int) -> list:
    """The active secretaries of a branch, as (id, email) rows."""
    return list(db.session.execute(_SECRETARIES, {"branch_id": branch_id}))


def taking_part_secretaries(booking, host: bool = True) -> list:
    """Who hears a booking's news: the secretaries of its branch (unless `host` is False) and of every partner
    branch still holding places in it (invited or accepted)."""
    branch_ids = ([booking.branch_id] if host else []) + [
        p.branch_id for p in getattr(booking, "partners", ()) if p.status in HOLDING_PARTNER]
    return [row for branch_id in branch_ids for row in secretaries_of(branch_id)]


_INSERT = Notification.__table__.insert()
# Tried for about two weeks (the delay grows to 6 hours), then given up; undelivered mail is shown to the admin
# (its landing page and /healthz), who can try it again or discard it: nothing is given up without someone seeing it.
MAX_MAIL_ATTEMPTS = 64  # 1 + 2 + … + 256 minutes, then every 6 hours: given up 13.9 days after the first try
MAIL_JOB_SECONDS = 40  # one run of send-mail never holds the scheduler longer (the other jobs wait behind it)
MAIL_BREAKER = 3  # consecutive failures in one run: the server is down, the rest waits for the next run
DISCARDED = "已放弃："


def notify(users, kind: str, booking: Booking | None, title: str, body: str = "", read: bool = False,
           series_id: int | None = None, request_id: int | None = None) -> int:
    """Add a notification for each user (anything with .id and .email) to the current transaction, in one
    statement. When mail is configured, each row also holds its email (the outbox): it is committed or rolled
    back with the change it tells of, and the send-mail job delivers it. `read`: the in-app copy starts read (a
    message meant for the mailbox). `series_id`: what a notification about no one booking is about (opening it goes
    there), as `request_id` is (a lecture request). Returns how many were added."""
    rows = []
    seen = set()
    now = clock.now()
    mail = bool(current_app.config.get("MAIL_HOST"))
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        to = user.email if mail and user.email else None
        rows.append({"user_id": user.id, "kind": kind, "booking_id": booking.id if booking else None,
                     "series_id": series_id, "request_id": request_id,
                     "title": title[:200], "body": body, "created_at": now, "email_to": to,
                     "read_at": now if read else None,
                     "email_next_at": now if to else None})
    if rows:
        db.session.execute(_INSERT, rows)
    return len(rows)


# Features whose mails carry what the outbox must not hold (a live reset link) register how the text is finished
# when it is sent: {kind: fn(notification) -> body}.
_MAIL_FINISHERS: dict = {}


def finishes_mail(kind: str):
    """Register the function that writes a kind's email body at send time from its stored row."""
    def register(fn):
        _MAIL_FINISHERS[kind] = fn
        return fn
    return register


def _mail_body(row: Notification) -> str:
    finish = _MAIL_FINISHERS.get(row.kind)
    return finish(row) if finish is not None else row.body


def message_id(notification_id: int) -> str:
    """The Message-ID of a notification's email: the same on every attempt, so a repeat is recognisable."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    return f"<notification-{notification_id}@{domain}>"


def _message(to: str, subject: str, body: str, msg_id: str | None = None) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    # A line break in a header would be refused by the library: subjects are one line.
    msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_FROM"], to, " ".join(subject.split())
    if msg_id:
        msg["Message-ID"] = msg_id
    msg.set_content(body or subject)
    return msg


def _smtp() -> smtplib.SMTP:
    cfg = current_app.config
    smtp = smtplib.SMTP(cfg["MAIL_HOST"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
    if cfg.get("MAIL_USE_TLS"):
        smtp.starttls()
    if cfg.get("MAIL_USERNAME"):
        smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
    return smtp


MAIL_MAX_DELAY_MINUTES = 6 * 60


def retry_delay(attempts: int) -> timedelta:
    """How long after its n-th failed attempt an email is tried again: 1, 2, 4 … minutes, at most 6 hours (capped
    before it is computed: 2 ** 41 minutes is past the year 9999)."""
    doubled = 2 ** min(max(attempts - 1, 0), MAIL_MAX_DELAY_MINUTES.bit_length())
    return timedelta(minutes=min(doubled, MAIL_MAX_DELAY_MINUTES))


_DUE_MAIL = (select(Notification.id)
             .where(Notification.email_to.is_not(None), Notification.emailed_at.is_(None),
                    Notification.email_next_at <= bindparam("now"),
                    Notification.email_attempts < MAX_MAIL_ATTEMPTS)
             .order_by(Notification.email_next_at, Notification.id).limit(bindparam("limit")))


def send_pending_mail(now: datetime | None = None, batch: int = 200) -> tuple[int, int]:
    """Send the outbox's due emails: each is claimed first (its next attempt moved on, in its own commit), so two
    runs at once never send the same one; marked sent once the server took it. A process that dies in between
    sends it again later, with the same Message-ID: at least once. Returns (sent, failed)."""
    now = now or clock.now()
    if not current_app.config.get("MAIL_HOST"):
        return 0, 0
    sent = failed = in_a_row = 0
    smtp = None
    deadline = time.monotonic() + current_app.config.get("MAIL_JOB_SECONDS", MAIL_JOB_SECONDS)
    try:
        while time.monotonic() < deadline and in_a_row < MAIL_BREAKER:
            ids = list(db.session.scalars(_DUE_MAIL, {"now": now, "limit": batch}))
            db.session.rollback()
            if not ids:
                break
            for notification_id in ids:
                if time.monotonic() >= deadline or in_a_row >= MAIL_BREAKER:
                    break  # the rest stays due: the next run sends it
                claimed = db.session.execute(
                    update(Notification)
                    .where(Notification.id == notification_id, Notification.emailed_at.is_(None),
                           Notification.email_next_at <= now)
                    .values(email_attempts=Notification.email_attempts + 1,
                            email_next_at=now + timedelta(minutes=10))
                    .execution_options(synchronize_session=False)).rowcount == 1
                db.session.commit()
                if not claimed:
                    continue
                row = db.session.get(Notification, notification_id)
                try:
                    smtp = smtp or _smtp()
                    smtp.send_message(_message(row.email_to, row.title, _mail_body(row), message_id(row.id)))
                except Exception as err:  # the server, the network or the message: try again later
                    log.warning("mail for notification %s failed: %s", notification_id, err)
                    db.session.execute(update(Notification).where(Notification.id == notification_id).values(
                        email_error=f"{type(err).__name__}: {err}"[:500],
                        email_next_at=now + retry_delay(row.email_attempts)).execution_options(synchronize_session=False))
                    db.session.commit()
                    failed += 1
                    in_a_row += 1
                    if smtp is not None:
                        try:
                            smtp.close()
                        finally:
                            smtp = None
                    continue
                db.session.execute(update(Notification).where(Notification.id == notification_id)
                                   .values(emailed_at=clock.now(), email_error=None)
                                   .execution_options(synchronize_session=False))
                db.session.commit()
                sent += 1
                in_a_row = 0
            if len(ids) < batch:
                break
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:
                pass
    return sent, failed


_UNDELIVERED = (Notification.email_to.is_not(None), Notification.emailed_at.is_(None),
                Notification.email_error.is_not(None), ~Notification.email_error.startswith(DISCARDED))


def undelivered_count() -> int:
    """Emails that failed at least once and are not sent yet (nor discarded): what the admin is shown."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(*_UNDELIVERED)) or 0


def retry_undelivered(actor, now: datetime | None = None) -> int:
    """The admin tries every undelivered email again now (given up ones too). Returns how many."""
    now = now or clock.now()
    n = db.session.execute(update(Notification).where(*_UNDELIVERED)
                           .values(email_attempts=0, email_next_at=now)
                           .execution_options(synchronize_session=False)).rowcount
    audit.record(actor, "mail_retried", "notification", None, f"{n} 封")
    db.session.commit()
    return n


def discard_undelivered(actor) -> int:
    """The admin gives up the undelivered emails (their notifications stay in the app). Returns how many."""
    n = db.session.execute(update(Notification).where(*_UNDELIVERED)
                           .values(email_attempts=MAX_MAIL_ATTEMPTS,
                                   email_error=func.substr(DISCARDED + func.coalesce(Notification.email_error, ""),
                                                           1, 500))
                           .execution_options(synchronize_session=False)).rowcount
    audit.record(actor, "mail_discarded", "notification", None, f"{n} 封")
    db.session.commit()
    return n


def notifications_query(user: User, unread_only: bool = False):
    """The user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (404 for someone else's)."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("通知不存在。")
    if row.read_at is None:
        row.read_at = clock.now()
        db.session.commit()
    return row


def mark_all_read(user: User) -> None:
    """Mark all of the user's notifications read."""
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=clock.now()))
    db.session.commit()
