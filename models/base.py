"""Bases (基地), their venues (场馆), weekly opening slots (开放时段), closures (闭馆) and menus (特色菜单)."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.area import Area, root_area_id
from models.types import UTCDateTime, utcnow
from models.user import manager_bases

BASE_TYPES = {"basic": "基础型", "red": "红色型", "welfare": "公益型", "tech": "科技型"}
VENUE_KINDS = {
    "museum": "博物馆",
    "exhibition_hall": "展馆/展厅",
    "lecture_hall": "讲堂",
    "service_center": "党群服务中心",
    "outdoor": "户外场地",
    "other": "其他",
}
CATEGORIES = {"red": "红色课程", "culture": "文化课程", "practice": "实践课程", "online": "网络课程"}
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(Model):
    """基地: an open organisational-life base with its booking rules."""

    __tablename__ = "bases"
    __table_args__ = (
        CheckConstraint(_in("type", BASE_TYPES), name="type"),
        CheckConstraint("min_advance_days >= 0", name="min_advance"),
        CheckConstraint("max_advance_days >= min_advance_days", name="max_advance"),
        CheckConstraint("cancel_deadline_hours >= 0", name="cancel_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # 预约须知: arrival, transport, parking, meeting point; shown on the base page and on every booking.
    visitor_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    min_advance_days: Mapped[int] = mapped_column(default=1)
    max_advance_days: Mapped[int] = mapped_column(default=30)
    cancel_deadline_hours: Mapped[int] = mapped_column(default=24)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    # Whether the base opens on public holidays (法定节假日); the default is open.
    opens_on_holidays: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Fair shares (配额) of one branch's online bookings here: live upcoming ones at a time, and per calendar month
    # (None: no limit). The manager's offline bookings do not count.
    max_live_per_branch: Mapped[int | None]
    max_per_branch_per_month: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    # 属地: the street or community the base lies in (the root when nobody placed it).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True, default=root_area_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area] = relationship()
    venues: Mapped[list[Venue]] = relationship(back_populates="base", order_by="Venue.id")
    menu_items: Mapped[list[MenuItem]] = relationship(back_populates="base", order_by="MenuItem.id")
    closures: Mapped[list[Closure]] = relationship(back_populates="base", order_by="Closure.start_date")
    managers = relationship("User", secondary=manager_bases, back_populates="bases")

    @property
    def type_label(self) -> str:
        return BASE_TYPES.get(self.type, self.type)


class Venue(Model):
    """场馆/展厅/讲堂: a place inside a base with a capacity."""

    __tablename__ = "venues"
    __table_args__ = (
        UniqueConstraint("base_id", "name", name="uq_venues_base_name"),
        CheckConstraint(_in("kind", VENUE_KINDS), name="kind"),
        CheckConstraint("capacity > 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    base: Mapped[Base] = relationship(back_populates="venues")
    slots: Mapped[list[OpeningSlot]] = relationship(
        back_populates="venue", order_by="(OpeningSlot.weekday, OpeningSlot.start_time)"
    )

    @property
    def kind_label(self) -> str:
        return VENUE_KINDS.get(self.kind, self.kind)


class OpeningSlot(Model):
    """开放时段: a weekly opening slot of a venue; weekday 0 is Monday."""

    __tablename__ = "opening_slots"
    __table_args__ = (
        UniqueConstraint("venue_id", "weekday", "start_time", name="uq_opening_slots_venue_day_start"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("end_time > start_time", name="times"),
        CheckConstraint("capacity > 0", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]
    capacity: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    venue: Mapped[Venue] = relationship(back_populates="slots")

    @property
    def weekday_label(self) -> str:
        return WEEKDAYS[self.weekday]


class Closure(Model):
    """闭馆: dates (inclusive) on which a venue, or the whole base when no venue is named, does not open."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    base: Mapped[Base] = relationship(back_populates="closures")
    venue: Mapped[Venue | None] = relationship()


class MenuItem(Model):
    """菜单项目: one activity a base offers, held in one venue."""

    __tablename__ = "menu_items"
    __table_args__ = (
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint("duration_minutes > 0", name="duration"),
        CheckConstraint("min_group >= 1", name="min_group"),
        CheckConstraint("max_group >= min_group", name="max_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16))
    content_topic: Mapped[str] = mapped_column(String(40))
    duration_minutes: Mapped[int]
    min_group: Mapped[int] = mapped_column(default=1)
    max_group: Mapped[int]
    needs_lecturer: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    base: Mapped[Base] = relationship(back_populates="menu_items")
    venue: Mapped[Venue] = relationship()

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)
