"""联合 / 共建: the partner branches a host branch brings into its booking, each with its own places and people."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow


class PartnerStatus(enum.StrEnum):
    """Where a partner branch's invitation stands. Invited and accepted partners hold their places."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return PARTNER_STATUSES[self.value]


PARTNER_STATUSES = {"invited": "待答复", "accepted": "已接受", "declined": "已婉拒", "withdrawn": "已撤回"}
# The partners whose places are held in the slot, and who hear of the booking's news.
HOLDING_PARTNER = (PartnerStatus.INVITED, PartnerStatus.ACCEPTED)
PARTNER_BADGES = {"invited": "bg-warning text-dark", "accepted": "bg-success", "declined": "bg-secondary",
                  "withdrawn": "bg-secondary"}


class BookingPartner(Model):
    """One partner branch of a joint booking: its headcount (held in the slot while invited or accepted), its answer,
    and after the visit its own part of the visitor count when the base splits it. Never deleted: a declined or
    withdrawn invitation stays as it ended."""

    __tablename__ = "booking_partners"
    __table_args__ = (
        UniqueConstraint("booking_id", "branch_id", name="uq_booking_partners_booking_branch"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in PARTNER_STATUSES)})", name="status"),
        CheckConstraint("headcount > 0", name="headcount"),
        CheckConstraint("visitor_count IS NULL OR visitor_count >= 0", name="visitor_count"),
        Index("ix_booking_partners_branch", "branch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    headcount: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default=PartnerStatus.INVITED.value)
    # The answer's or the withdrawal's reason, when one was given.
    reason: Mapped[str] = mapped_column(String(500), default="")
    # This branch's own part of the visit's count, when the base recorded attendance split by branch.
    visitor_count: Mapped[int | None]
    # This branch's own record of the activity (活动纪实), written by its secretary: a joint visit is each taking-part
    # branch's organisational life, filed in its own ledger in its own words.
    activity_summary: Mapped[str | None] = mapped_column(Text)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking = relationship("Booking", back_populates="partners")
    branch = relationship("Branch")

    @property
    def branch_name(self) -> str:
        return self.branch.name

    @property
    def status_label(self) -> str:
        return PARTNER_STATUSES.get(self.status, self.status)

    @property
    def status_badge(self) -> str:
        return PARTNER_BADGES.get(self.status, "bg-secondary")

    @property
    def holds_places(self) -> bool:
        return self.status in HOLDING_PARTNER
