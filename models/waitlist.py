"""候补: a branch waiting for a full slot, in order, and the lock that keeps one branch's shares (配额) of a base."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow


class WaitStatus(enum.StrEnum):
    """Where a waitlist entry stands."""

    WAITING = "waiting"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return WAIT_STATUSES[self.value]


WAIT_STATUSES = {"waiting": "候补中", "promoted": "已转为预约", "cancelled": "已取消", "expired": "已过期"}
WAIT_BADGES = {"waiting": "bg-warning text-dark", "promoted": "bg-success", "cancelled": "bg-secondary",
               "expired": "bg-secondary"}
_waiting = "status = 'waiting'"


class WaitlistEntry(Model):
    """A branch's place in the queue of a full slot, with the booking's fields. When places are freed, the earliest
    entry that fits becomes a booking (promoted, with its id); it expires when the slot starts. Never deleted."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in WAIT_STATUSES)})", name="status"),
        CheckConstraint("headcount > 0", name="headcount"),
        # One waiting entry per branch and slot, even when two requests race.
        Index("uq_waitlist_waiting_branch_slot", "branch_id", "venue_id", "starts_at", unique=True,
              sqlite_where=text(_waiting), postgresql_where=text(_waiting)),
        # The queue of a slot, in order: what promotion reads.
        Index("ix_waitlist_slot_queue", "venue_id", "starts_at", "status", "id"),
        Index("ix_waitlist_branch", "branch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default=WaitStatus.WAITING.value)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    menu_item_id: Mapped[int] = mapped_column(ForeignKey("menu_items.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date]
    headcount: Mapped[int]
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(String(200), default="")
    activity_type: Mapped[str] = mapped_column(String(24), default="theme_day")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    base = relationship("Base")
    venue = relationship("Venue")
    menu_item = relationship("MenuItem")
    branch = relationship("Branch")
    booking = relationship("Booking")

    @property
    def status_label(self) -> str:
        return WAIT_STATUSES.get(self.status, self.status)

    @property
    def status_badge(self) -> str:
        return WAIT_BADGES.get(self.status, "bg-secondary")


class ShareLock(Model):
    """One row per branch and base, written by an online booking at a base with shares (配额) before it counts the
    branch's bookings there: the row's lock makes one branch's simultaneous requests count one after another."""

    __tablename__ = "share_locks"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), primary_key=True)
    uses: Mapped[int] = mapped_column(default=0)
