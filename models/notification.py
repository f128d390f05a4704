"""In-app notifications (also sent by email when mail is configured)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow

NOTIFICATION_KINDS = {
    "booking_created": "新预约申请",
    "booking_approved": "预约已通过",
    "booking_rejected": "预约被驳回",
    "booking_cancelled": "预约已取消",
    "booking_expired": "预约已过期",
    "lecturer_invited": "讲师邀请",
    "lecturer_accepted": "讲师已接受",
    "lecturer_declined": "讲师已婉拒",
    "reminder": "活动提醒",
    "digest": "今日概览",
    "booking_blocked": "线上预约受限",
    "booking_changed": "预约已修改",
    "password_reset": "重置密码",
    "series_skipped": "固定预约未能预约",
    "partner_invited": "共建活动邀请",
    "partner_answered": "共建支部答复",
    "partner_withdrawn": "共建邀请已撤回",
    "waitlist_promoted": "候补已转为预约",
    "request_submitted": "新的点单",
    "lecture_requested": "送课派单",
    "request_answered": "点单进展",
}


_MAIL_DUE = "email_to IS NOT NULL AND emailed_at IS NULL"


class Notification(Model):
    """A message to one user about something that concerns them."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        # The outbox: emails written with their notification, not yet sent (the send-mail job reads this).
        Index("ix_notifications_mail_due", "email_next_at", sqlite_where=text(_MAIL_DUE),
              postgresql_where=text(_MAIL_DUE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    # A notification about a standing booking as a whole (a date that could not be booked): opening it shows the
    # series. None for the others.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("lecture_requests.id"))  # a 点单 it tells of
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The email of this notification, when mail is configured and the user has an address: written in the same
    # transaction as the change it tells of, sent later by a job with retries (never while a request waits).
    email_to: Mapped[str | None] = mapped_column(String(120))
    email_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    email_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(String(500))

    user = relationship("User")

    @property
    def kind_label(self) -> str:
        return NOTIFICATION_KINDS.get(self.kind, self.kind)
