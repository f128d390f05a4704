"""Bookings (预约), their history, and the per-slot counter that keeps capacity from being exceeded."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from typing import TYPE_CHECKING

from models import Model
from models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from models.member import RosterEntry
    from models.partner import BookingPartner


class BookingStatus(enum.StrEnum):
    """The states of a booking. Which moves between them are allowed, and who may make them, is decided
    in `booking.reservations.lifecycle`; the model only keeps the database to these values."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COMPLETED = "completed"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.value]


STATUS_LABELS = {
    "pending": "待审核",
    "approved": "已通过",
    "rejected": "已驳回",
    "cancelled": "已取消",
    "expired": "已过期",
    "completed": "已完成",
    "no_show": "未到场",
}

BOOKING_ACTIONS = {
    "created": "提交预约",
    "approved": "审核通过",
    "rejected": "审核驳回",
    "cancelled": "取消预约",
    "expired": "逾期未审核",
    "checked_in": "签到核销",
    "attendance_recorded": "登记实到人数",
    "no_show": "标记未到场",
    "lecturer_invited": "邀请讲师",
    "lecturer_accepted": "讲师接受邀请",
    "lecturer_declined": "讲师婉拒邀请",
    "feedback_given": "提交评价",
    "changed": "修改预约",
    "roster_set": "确定参加人员",
    "members_attended": "登记党员出席",
    "partner_invited": "邀请共建支部",
    "partner_accepted": "共建支部接受邀请",
    "partner_declined": "共建支部婉拒或撤回",
    "promoted_from_waitlist": "候补转为预约",
}

# 组织生活 types: what kind of organisational life the visit was (三会一课 and the theme day).
ACTIVITY_TYPES = {
    "theme_day": "主题党日", "party_lecture": "党课", "member_meeting": "支部党员大会",
    "committee_meeting": "支委会", "group_meeting": "党小组会", "study": "集中学习", "other": "其他",
}

class LecturerStatus(enum.StrEnum):
    """Where a lecturer's invitation to a booking stands."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


LECTURER_STATUSES = {"invited": "已邀请", "accepted": "已接受", "declined": "已婉拒"}
SOURCES = {"online": "线上预约", "offline": "线下登记", "own": "本支部自行开展", "request": "点单送课"}
# Activities at the branch's own place (its meeting room, a community service station): no base, no places.
OWN_PLACE_SOURCES = ("own", "request")

# How each status looks in a list (Bootstrap badge classes).
STATUS_BADGES = {
    "pending": "bg-warning text-dark",
    "approved": "bg-success",
    "rejected": "bg-danger",
    "cancelled": "bg-secondary",
    "expired": "bg-secondary",
    "completed": "bg-primary",
    "no_show": "bg-dark",
}

# The live statuses (lifecycle.LIVE) as the partial unique index spells them; a test holds the two together.
_live = "status IN ('pending', 'approved')"
_has_lecturer = "lecturer_id IS NOT NULL"


class Booking(Model):
    """预约: a branch's reservation of a menu item in one slot of its venue; or, with no base (source `own`, or
    `request` for a lecture it ordered), an activity of its organisational life at its own place."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUS_LABELS)})", name="status"),
        CheckConstraint("source IN ('online', 'offline', 'own', 'request')", name="source"),
        # A base visit has its base, venue and menu item; an activity at the branch's own place has its address.
        CheckConstraint("(source IN ('own', 'request') AND base_id IS NULL AND venue_id IS NULL AND menu_item_id IS NULL"
                        " AND address IS NOT NULL) OR (source IN ('online', 'offline') AND base_id IS NOT NULL"
                        " AND venue_id IS NOT NULL AND menu_item_id IS NOT NULL)", name="place"),
        CheckConstraint(f"activity_type IN ({', '.join(repr(t) for t in ACTIVITY_TYPES)})", name="activity_type"),
        CheckConstraint("headcount > 0", name="headcount"),
        CheckConstraint("partner_headcount >= 0", name="partner_headcount"),
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint("visitor_count IS NULL OR visitor_count > 0", name="visitor_count"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint(
            "lecturer_status IS NULL OR lecturer_status IN ('invited', 'accepted', 'declined')",
            name="lecturer_status",
        ),
        # One live booking per branch and slot, even when two requests race.
        Index(
            "uq_bookings_live_branch_slot", "branch_id", "venue_id", "starts_at", unique=True,
            sqlite_where=text(_live), postgresql_where=text(_live),
        ),
        Index("ix_bookings_venue_start", "venue_id", "starts_at"),
        Index("ix_bookings_base_start", "base_id", "starts_at"),
        Index("ix_bookings_branch_start", "branch_id", "starts_at"),
        Index("ix_bookings_status_start", "status", "starts_at"),
        # A list's first page in its order (starts_at, id) read off an index, whatever the scope (migration 0026).
        Index("ix_bookings_start", "starts_at", "id"),
        # Whether a branch (or a base) had a completed visit in a period, and its last one: one seek each, however
        # many bookings it has (the watch list's idle branches and bases, an area's day; migration 0028). The
        # branch's also covers the statistics by area, summed by branch in its order (no sort of a million rows).
        Index("ix_bookings_branch_counted", "branch_id", "status", "day", "base_id", "visitor_count", "rating"),
        Index("ix_bookings_base_counted", "base_id", "status", "day"),
        # Partial: a booking enters it only once it has a lecturer, so making a booking does not write it.
        Index("ix_bookings_lecturer_start", "lecturer_id", "starts_at",
              sqlite_where=text(_has_lecturer), postgresql_where=text(_has_lecturer)),
        # Covers the statistics and the district's report: completed visits by day, with what they are grouped and
        # summed by (base, branch, online or offline, whether an accepted lecturer gave it).
        Index("ix_bookings_stats", "status", "day", "visitor_count", "rating", "base_id", "branch_id", "source",
              "lecturer_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))
    # None for an activity at the branch's own place (source own or request), which has its `address` instead.
    base_id: Mapped[int | None] = mapped_column(ForeignKey("bases.id"))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    menu_item_id: Mapped[int | None] = mapped_column(ForeignKey("menu_items.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The local calendar day of the start: what statistics and date filters count by.
    day: Mapped[date]
    headcount: Mapped[int]
    # The places the partner branches hold (invited or accepted), kept with the booking's row so that the row's
    # lock orders invitations against cancellations and the places a cancellation frees are read in one statement.
    partner_headcount: Mapped[int] = mapped_column(default=0, server_default="0")
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(String(200), default="")
    activity_type: Mapped[str] = mapped_column(String(24), default="theme_day", server_default="theme_day")
    # The standing monthly booking this occurrence belongs to, if any.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lecturers.id"))
    lecturer_status: Mapped[str | None] = mapped_column(String(16))
    # The open lecture (讲习活动) of its slot, whose lecturer it carries; None for an ordinary visit.
    lecture_id: Mapped[int | None] = mapped_column(ForeignKey("lectures.id"), index=True)
    visitor_count: Mapped[int | None]
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None]
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activity_summary: Mapped[str | None] = mapped_column(Text)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    base = relationship("Base")
    venue = relationship("Venue")
    menu_item = relationship("MenuItem")
    branch = relationship("Branch")
    lecturer = relationship("Lecturer")
    lecture = relationship("Lecture")
    created_by = relationship("User")
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="(BookingEvent.at, BookingEvent.id)"
    )
    partners: Mapped[list["BookingPartner"]] = relationship(back_populates="booking", order_by="BookingPartner.id")
    roster: Mapped[list["RosterEntry"]] = relationship(back_populates="booking", order_by="RosterEntry.id")
    # The record's photos; removed ones stay as rows (who removed which when) but are no longer part of it.
    photos: Mapped[list[BookingPhoto]] = relationship(
        back_populates="booking", order_by="BookingPhoto.id",
        primaryjoin="and_(BookingPhoto.booking_id == Booking.id, BookingPhoto.removed_at.is_(None))")

    # The names shown with a booking (a booking just made carries them in its record, records.NewBooking).
    @property
    def base_name(self) -> str | None:
        return self.base.name if self.base is not None else None

    @property
    def venue_name(self) -> str | None:
        return self.venue.name if self.venue is not None else None

    @property
    def branch_name(self) -> str:
        return self.branch.name

    @property
    def menu_item_title(self) -> str | None:
        return self.menu_item.title if self.menu_item is not None else None

    @property
    def title(self) -> str:
        """What the activity is called in a list: the menu item's title, an own-place activity's theme, a lecture
        the branch ordered as such ("点单送课：…")."""
        if self.menu_item is not None:
            return self.menu_item.title
        theme = self.topic or self.activity_type_label
        return f"点单送课：{theme}" if self.source == "request" else theme

    @property
    def place_name(self) -> str:
        """Where it happens, in a few words: the base, or the address of the branch's own place."""
        return self.base.name if self.base is not None else (self.address or "")

    @property
    def duration_minutes(self) -> int:
        """How long the activity itself lasts (what study hours and lecture hours count): see `minutes_of`."""
        return self.minutes_of(self.menu_item.duration_minutes if self.menu_item is not None else None,
                               self.starts_at, self.ends_at)

    @staticmethod
    def minutes_of(item_minutes: int | None, starts_at, ends_at) -> int:
        """A base visit lasts its menu item's duration (its slot may be longer); an activity at the branch's own
        place from its start to its end. The one rule, also for the aggregates that read the columns."""
        if item_minutes is not None:
            return int(item_minutes)
        return int((ends_at - starts_at).total_seconds() // 60)

    @property
    def at_own_place(self) -> bool:
        """An activity at the branch's own place (no base): its own or a lecture it ordered."""
        return self.base_id is None

    @property
    def total_headcount(self) -> int:
        """The host's headcount and every invited or accepted partner's: what the item's group limits apply to."""
        return self.headcount + (self.partner_headcount or 0)

    @property
    def status_label(self) -> str:
        if self.status == BookingStatus.APPROVED and self.base_id is None:  # nobody approves an activity at home
            return "已登记"
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def status_badge(self) -> str:
        return STATUS_BADGES.get(self.status, "bg-secondary")

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def activity_type_label(self) -> str:
        return ACTIVITY_TYPES.get(self.activity_type, self.activity_type)

    @property
    def lecturer_status_label(self) -> str:
        return LECTURER_STATUSES.get(self.lecturer_status or "", "")


class BookingEvent(Model):
    """One change of a booking: who, when, from which status to which, and why. Never deleted."""

    __tablename__ = "booking_events"
    __table_args__ = (
        CheckConstraint(f"action IN ({', '.join(repr(a) for a in BOOKING_ACTIONS)})", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # The lecturer an invitation, acceptance or decline concerned (answers may be recorded by a manager).
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lecturers.id"))

    booking: Mapped[Booking] = relationship(back_populates="events")
    actor = relationship("User")

    @property
    def action_label(self) -> str:
        if self.action == "created" and self.booking.base_id is None:  # recorded by the branch, not asked of a base
            return "登记活动"
        return BOOKING_ACTIONS.get(self.action, self.action)


class SlotOccupancy(Model):
    """The places held in one dated slot of a venue.

    Bookings take places with one conditional UPDATE (`held + n <= capacity`), which the database
    serialises per row on SQLite and PostgreSQL alike; the CHECK is the last line of defence.
    """

    __tablename__ = "slot_occupancies"
    __table_args__ = (
        UniqueConstraint("venue_id", "starts_at", name="uq_slot_occupancies_venue_start"),
        CheckConstraint("held >= 0", name="held_nonnegative"),
        CheckConstraint("held <= capacity", name="held_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    held: Mapped[int] = mapped_column(default=0)


class PhotoBlob(Model):
    """A photo's bytes, when the database is the photo store (PHOTO_STORAGE=database, see booking.photos.storage)."""

    __tablename__ = "photo_blobs"

    stored_name: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BookingPhoto(Model):
    """A photo of the activity record (主题党日纪实); its bytes in the photo store (booking.photos.storage), served only to who
    may see the booking."""

    __tablename__ = "booking_photos"
    __table_args__ = (CheckConstraint("size > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    booking: Mapped[Booking] = relationship(back_populates="photos")
