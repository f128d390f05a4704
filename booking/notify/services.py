"""Notifications: in-app rows for each change that concerns someone, and email when mail is configured."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam, event, func, select, update
from sqlalchemy.orm import Session

from booking import clock
from booking.errors import NotFound
from models import Booking, Notification, User, db, manager_bases

log = logging.getLogger(__name__)
_MAIL_KEY = "outgoing_mail"


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


_INSERT = Notification.__table__.insert()


def notify(users, kind: str, booking: Booking | None, title: str, body: str = "") -> int:
    """Add a notification for each user (anything with .id and .email) to the current transaction, in one
    statement; email goes out after it commits. Returns how many were added."""
    rows = []
    seen = set()
    now = clock.now()
    mail = bool(current_app.config.get("MAIL_HOST"))
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        rows.append({"user_id": user.id, "kind": kind, "booking_id": booking.id if booking else None,
                     "title": title[:200], "body": body, "created_at": now})
        if mail and user.email:
            db.session.info.setdefault(_MAIL_KEY, []).append((user.email, title, body))
    if rows:
        db.session.execute(_INSERT, rows)
    return len(rows)


@event.listens_for(Session, "after_commit")
def _send_mail_after_commit(session):
    outgoing = session.info.pop(_MAIL_KEY, None)
    if outgoing:
        send_mail(outgoing)


@event.listens_for(Session, "after_rollback")
def _drop_mail_after_rollback(session):
    session.info.pop(_MAIL_KEY, None)


def send_mail(messages: list[tuple[str, str, str]]) -> int:
    """Send (to, subject, body) messages through SMTP; failures are logged, never raised. Returns the count sent."""
    cfg = current_app.config
    sent = 0
    try:
        with smtplib.SMTP(cfg["MAIL_HOST"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            for to, subject, body in messages:
                msg = EmailMessage()
                # A line break in a header would be refused by the library: subjects are one line.
                msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_FROM"], to, " ".join(subject.split())
                msg.set_content(body or subject)
                smtp.send_message(msg)
                sent += 1
    except Exception:  # whatever the mail server or a message does, the request that caused it has succeeded
        log.exception("mail could not be sent (%d of %d sent)", sent, len(messages))
    return sent


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
