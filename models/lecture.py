"""讲习活动: an open lecture a lecture hall announces in one slot of a menu item, for many branches to book seats in.
One lecturer, invited once for the session; every booking of the slot carries the lecture (`Booking.lecture_id`)
and its lecturer."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow

class LectureStatus(enum.StrEnum):
    PUBLISHED = "published"
    CANCELLED = "cancelled"


LECTURE_STATUSES = {"published": "已发布", "cancelled": "已取消"}
_published = "status = 'published'"


class Lecture(Model):
    __tablename__ = "lectures"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in LECTURE_STATUSES)})", name="status"),
        CheckConstraint("lecturer_status IN ('invited', 'accepted', 'declined')", name="lecturer_status"),
        # One published lecture a slot.
        Index("uq_lectures_slot", "venue_id", "starts_at", unique=True,
              sqlite_where=text(_published), postgresql_where=text(_published)),
        Index("ix_lectures_start", "starts_at"),
        Index("ix_lectures_lecturer_start", "lecturer_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    menu_item_id: Mapped[int] = mapped_column(ForeignKey("menu_items.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date]
    topic: Mapped[str] = mapped_column(String(200), default="")
    lecturer_id: Mapped[int] = mapped_column(ForeignKey("lecturers.id"))
    lecturer_status: Mapped[str] = mapped_column(String(16), default="invited")
    status: Mapped[str] = mapped_column(String(16), default="published")
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    base = relationship("Base")
    venue = relationship("Venue")
    menu_item = relationship("MenuItem")
    lecturer = relationship("Lecturer")

    @property
    def published(self) -> bool:
        return self.status == LectureStatus.PUBLISHED

    @property
    def cancelled(self) -> bool:
        return self.status == LectureStatus.CANCELLED

    @property
    def title(self) -> str:
        return self.topic or self.menu_item.title
