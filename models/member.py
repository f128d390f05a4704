"""党员名册 (a branch's members) and 参加人员 (the members a branch brings to one visit, and who came)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow

MEMBER_ROLES = {"secretary": "书记", "deputy": "副书记", "committee": "委员", "member": "党员"}
# Leaders owe more study hours a year (《党员教育管理工作条例》): the branch's secretary, deputy and committee.
LEADER_ROLES = ("secretary", "deputy", "committee")
MEMBER_STATUSES = {"full": "正式党员", "probationary": "预备党员"}
ABSENCE_REASONS = {"sick": "病假", "personal": "事假", "business": "公差", "other": "其他"}
ATTENDANCE = {"present": "出席", "absent": "缺席"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Member(Model):
    """A Party member of a branch. Never deleted: a member who leaves is made inactive and keeps their record.
    No identity-card numbers are kept."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(_in("role", MEMBER_ROLES), name="role"),
        CheckConstraint(_in("status", MEMBER_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16), default="full")
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch = relationship("Branch")

    @property
    def role_label(self) -> str:
        return MEMBER_ROLES.get(self.role, self.role)

    @property
    def status_label(self) -> str:
        return MEMBER_STATUSES.get(self.status, self.status)

    @property
    def is_leader(self) -> bool:
        return self.role in LEADER_ROLES


class RosterEntry(Model):
    """One member on a booking's roster, and (after the visit) whether they came and why not."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("booking_id", "member_id", name="uq_roster_entries_booking_member"),
        CheckConstraint("attendance IS NULL OR attendance IN ('present', 'absent')", name="attendance"),
        Index("ix_roster_entries_member", "member_id", "attendance"),
        # A branch's study hours start from its members' attendance, not from a year of everyone's bookings.
        Index("ix_roster_entries_branch", "branch_id", "attendance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # The member's branch: a joint booking's partners each bring their own members.
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    attendance: Mapped[str | None] = mapped_column(String(8))
    absence_reason: Mapped[str | None] = mapped_column(String(200))
    # When the member signed in themselves at the venue (扫码签到); null when the attendance was marked by hand.
    # Kept when a secretary or manager corrects the attendance afterwards: the history says who changed what.
    signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()
    booking = relationship("Booking", back_populates="roster")

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE.get(self.attendance, "未登记") if self.attendance else "未登记"


class SignInFailure(Model):
    """A failed member sign-in (an unknown link, wrong phone digits), kept for a while so that guessing is throttled
    across processes: by address, and by the member whose digits were guessed."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_member", "member_id", "at"),
                      Index("ix_sign_in_failures_address", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
