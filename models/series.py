"""Standing monthly bookings (booking series, 固定预约) and what became of each of their dates."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow
from models.base import WEEKDAYS

SERIES_WEEKS = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", -1: "最后一个"}
OCCURRENCE_STATUSES = {"booked": "已预约", "planned": "待预约", "skipped": "已跳过", "cancelled": "已取消"}


class OccurrenceStatus(enum.StrEnum):
    """What became of one date of a series; CANCELLED: its planning ended (the series was cancelled)."""

    BOOKED = "booked"
    PLANNED = "planned"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return OCCURRENCE_STATUSES[self.value]


class SeriesStatus(enum.StrEnum):
    """Whether a series still plans its dates."""

    ACTIVE = "active"
    ENDED = "ended"


BOOKED, PLANNED, SKIPPED, ENDED_PLAN = (OccurrenceStatus.BOOKED, OccurrenceStatus.PLANNED, OccurrenceStatus.SKIPPED,
                                        OccurrenceStatus.CANCELLED)
SKIP_REASONS = {"holiday": "法定节假日", "closed": "闭馆", "not_a_slot": "没有该场次", "full": "名额已满",
                "blocked": "线上预约暂停", "quota": "超出本支部在该基地的预约次数",
                "no_secretary": "本支部没有可用的书记账号", "taking_part": "本支部已作为共建支部参加该场次",
                "lecture": "该场次是讲习活动（请在讲习日历中预约座位）"}


class BookingSeries(Model):
    """A standing booking: the same menu item on one weekday of a week of each month (每月第一个星期五), for up to
    a year. Each occurrence becomes an ordinary booking when its date enters the base's window."""

    __tablename__ = "booking_series"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("week_of_month IN (1, 2, 3, 4, -1)", name="week_of_month"),
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        CheckConstraint("until_date >= from_date", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    menu_item_id: Mapped[int] = mapped_column(ForeignKey("menu_items.id"))
    weekday: Mapped[int]
    week_of_month: Mapped[int]
    start_time: Mapped[time]
    from_date: Mapped[date]
    until_date: Mapped[date]
    headcount: Mapped[int]
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(String(200), default="")
    activity_type: Mapped[str] = mapped_column(String(24), default="theme_day")
    status: Mapped[str] = mapped_column(String(8), default=SeriesStatus.ACTIVE.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch = relationship("Branch")
    menu_item = relationship("MenuItem")
    occurrences: Mapped[list[SeriesOccurrence]] = relationship(back_populates="series",
                                                                order_by="SeriesOccurrence.day")

    @property
    def rule_text(self) -> str:
        return f"每月{SERIES_WEEKS[self.week_of_month]}{WEEKDAYS[self.weekday].replace('周', '星期')} {self.start_time:%H:%M}"


class SeriesOccurrence(Model):
    """One date of a series and what became of it: booked (with its booking), planned, skipped (why), cancelled."""

    __tablename__ = "series_occurrences"
    __table_args__ = (
        UniqueConstraint("series_id", "day", name="uq_series_occurrences_series_day"),
        CheckConstraint("status IN ('booked', 'planned', 'skipped', 'cancelled')", name="status"),
        Index("ix_series_occurrences_planned", "status", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("booking_series.id"), index=True)
    day: Mapped[date]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(16))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))

    series: Mapped[BookingSeries] = relationship(back_populates="occurrences")
    booking = relationship("Booking")

    @property
    def status_label(self) -> str:
        return OCCURRENCE_STATUSES.get(self.status, self.status)

    @property
    def reason_label(self) -> str:
        return SKIP_REASONS.get(self.reason or "", self.reason or "")
