"""The lecturer pool (讲师团): profiles, their topics and blocked time."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow

LECTURER_CATEGORIES = {"cadre": "党员干部", "model": "先进模范", "grassroots": "草根能人"}


class Lecturer(Model):
    """讲师: a volunteer lecturer's profile."""

    __tablename__ = "lecturers"
    __table_args__ = (
        CheckConstraint(f"category IN ({', '.join(repr(c) for c in LECTURER_CATEGORIES)})", name="category"),
        CheckConstraint("monthly_limit IS NULL OR monthly_limit > 0", name="monthly_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(16), index=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    monthly_limit: Mapped[int | None]
    # The calendar feed's key. The feed's URL carries an HMAC of it under SECRET_KEY (lecturers.services.feed_token),
    # never the key itself, so the database alone gives nobody's feed; a new key ends the old URL.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topic_rows: Mapped[list[LecturerTopic]] = relationship(
        cascade="all, delete-orphan", order_by="LecturerTopic.topic"
    )
    user = relationship("User", back_populates="lecturer", uselist=False)

    @property
    def topics(self) -> list[str]:
        return [t.topic for t in self.topic_rows]

    @property
    def category_label(self) -> str:
        return LECTURER_CATEGORIES.get(self.category, self.category)


class LecturerTopic(Model):
    """One topic a lecturer can speak on (a course category or a content topic of the menus)."""

    __tablename__ = "lecturer_topics"
    __table_args__ = (UniqueConstraint("lecturer_id", "topic", name="uq_lecturer_topics_lecturer_topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lecturer_id: Mapped[int] = mapped_column(ForeignKey("lecturers.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40), index=True)


class Unavailability(Model):
    """Time a lecturer blocked (外出, 休假); no invitation may fall into it."""

    __tablename__ = "unavailabilities"
    __table_args__ = (CheckConstraint("end_at > start_at", name="times"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lecturer_id: Mapped[int] = mapped_column(ForeignKey("lecturers.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
