"""Lecture requests (点单): a branch orders a lecture from the district's lecturer team, a dispatcher sends a
lecturer (派单), the lecturer takes it (接单), the branch holds and rates it (评单)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.booking import ACTIVITY_TYPES
from models.types import UTCDateTime, utcnow


class RequestStatus(enum.StrEnum):
    """Where a request stands. Which moves are allowed, and who makes them, is decided in
    `booking.requests.services`; the model keeps the database to these values."""

    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


REQUEST_STATUSES = {
    "submitted": "待派单", "dispatched": "已派单，待讲师接单", "accepted": "讲师已接单", "completed": "已完成",
    "rejected": "未派单", "cancelled": "已取消",
}
REQUEST_BADGES = {
    "submitted": "bg-warning text-dark", "dispatched": "bg-info text-dark", "accepted": "bg-success",
    "completed": "bg-primary", "rejected": "bg-danger", "cancelled": "bg-secondary",
}
REQUEST_ACTIONS = {
    "submitted": "提交点单", "dispatched": "派单", "accepted": "讲师接单", "declined": "讲师婉拒",
    "rejected": "不予派单", "cancelled": "取消点单", "completed": "完成", "changed": "修改点单",
}
_dispatched = "lecturer_id IS NOT NULL"


class LectureRequest(Model):
    """点单: a branch's order of a lecture on a topic, for some day of a window, at its own place."""

    __tablename__ = "lecture_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in REQUEST_STATUSES)})", name="status"),
        CheckConstraint(f"activity_type IN ({', '.join(repr(t) for t in ACTIVITY_TYPES)})", name="activity_type"),
        CheckConstraint("to_date >= from_date", name="window"),
        CheckConstraint("headcount > 0", name="headcount"),
        CheckConstraint("(starts_at IS NULL) = (ends_at IS NULL) AND (ends_at IS NULL OR ends_at > starts_at)",
                        name="times"),
        Index("ix_lecture_requests_branch_created", "branch_id", "created_at"),
        Index("ix_lecture_requests_status_created", "status", "created_at"),
        # The times a dispatched lecturer holds, asked by every lecturer-conflict check.
        Index("ix_lecture_requests_lecturer_start", "lecturer_id", "starts_at",
              sqlite_where=text(_dispatched), postgresql_where=text(_dispatched)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.SUBMITTED.value)
    topic: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(16))  # a menu course category (CATEGORIES), if chosen
    content_topic: Mapped[str | None] = mapped_column(String(60))
    from_date: Mapped[date]
    to_date: Mapped[date]
    address: Mapped[str] = mapped_column(String(200))
    headcount: Mapped[int]
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    activity_type: Mapped[str] = mapped_column(String(24), default="party_lecture")
    note: Mapped[str] = mapped_column(Text, default="")
    # Set by the dispatch: who, and when inside the window.
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lecturers.id"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The activity at the branch's own place the accepted request became.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(500), default="")  # why it was rejected or cancelled
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    branch = relationship("Branch")
    lecturer = relationship("Lecturer")
    booking = relationship("Booking")
    created_by = relationship("User")
    events: Mapped[list[LectureRequestEvent]] = relationship(
        back_populates="request", order_by="(LectureRequestEvent.at, LectureRequestEvent.id)")

    @property
    def status_label(self) -> str:
        return REQUEST_STATUSES.get(self.status, self.status)

    @property
    def status_badge(self) -> str:
        return REQUEST_BADGES.get(self.status, "bg-secondary")

    @property
    def activity_type_label(self) -> str:
        return ACTIVITY_TYPES.get(self.activity_type, self.activity_type)


class LectureRequestEvent(Model):
    """One step of a request's history: who, when, from which status to which, and why."""

    __tablename__ = "lecture_request_events"
    __table_args__ = (
        CheckConstraint(f"action IN ({', '.join(repr(a) for a in REQUEST_ACTIONS)})", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("lecture_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(500), default="")
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lecturers.id"))

    request: Mapped[LectureRequest] = relationship(back_populates="events")
    actor = relationship("User")
    lecturer = relationship("Lecturer")

    @property
    def action_label(self) -> str:
        return REQUEST_ACTIONS.get(self.action, self.action)
