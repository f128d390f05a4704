"""A manager keeps their base: rules, venues, weekly slots, closures and the menu."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from booking import audit, clock, permissions
from booking.textutil import CONTACT_PHONE_RE, PHONE_MESSAGE, CONTROL_MESSAGE, has_control_chars
from booking.errors import NotAllowed, NotFound, ValidationFailed
from models import (BASE_TYPES, CATEGORIES, VENUE_KINDS, Base, Booking, Closure, MenuItem, OpeningSlot,
                    SlotOccupancy, User, Venue, db)
from booking.reservations import lifecycle, waitlist
from models.base import WEEKDAYS
from booking.reservations.states import LIVE
from booking.series import services as series


def base_for_edit(user: User, base_id: int) -> Base:
    """The base, if the user may edit it: its own managers and admins; 403 for other managers."""
    base = db.session.get(Base, base_id)
    if base is None:
        raise NotFound("基地不存在。")
    if not permissions.can_edit_base(user, base):
        raise NotAllowed("您不是该基地的管理员，不能修改。")
    return base


def _owned(user: User, obj, what: str):
    if obj is None:
        raise NotFound(f"{what}不存在。")
    base_for_edit(user, obj.base_id if hasattr(obj, "base_id") else obj.venue.base_id)
    return obj


def venue_for_edit(user: User, venue_id: int) -> Venue:
    """A venue the user may edit, or NotFound/NotAllowed."""
    return _owned(user, db.session.get(Venue, venue_id), "场馆")


def slot_for_edit(user: User, slot_id: int) -> OpeningSlot:
    """A weekly slot the user may edit."""
    return _owned(user, db.session.get(OpeningSlot, slot_id), "开放时段")


def closure_for_edit(user: User, closure_id: int) -> Closure:
    """A closure the user may edit."""
    return _owned(user, db.session.get(Closure, closure_id), "闭馆安排")


def item_for_edit(user: User, item_id: int) -> MenuItem:
    """A menu item the user may edit."""
    return _owned(user, db.session.get(MenuItem, item_id), "菜单项目")


BASE_FIELDS = ("name", "type", "address", "description", "visitor_notes", "contact_name", "contact_phone")
RULE_FIELDS = ("min_advance_days", "max_advance_days", "cancel_deadline_hours", "requires_approval", "opens_on_holidays",
               "max_live_per_branch", "max_per_branch_per_month")
# Shares (配额): blank is no limit.
_SHARE_LIMITS = {"max_live_per_branch": (1, 100), "max_per_branch_per_month": (1, 100)}
_RULE_LIMITS = {"min_advance_days": (0, 365), "max_advance_days": (0, 365), "cancel_deadline_hours": (0, 720)}


def update_base(actor: User, base: Base, **changes) -> Base:
    """Change any of a base's profile fields (BASE_FIELDS) and booking rules (RULE_FIELDS); what is not given
    stays. The page sends every field, the API's PATCH only those it changes; both are checked here."""
    unknown = set(changes) - set(BASE_FIELDS) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown base fields: {sorted(unknown)}")
    values = {f: getattr(base, f) for f in BASE_FIELDS + RULE_FIELDS} | changes
    fields = {}
    name = (values["name"] or "").strip()
    if not name:
        fields["name"] = "请填写基地名称。"
    elif has_control_chars(name):
        fields["name"] = "名称" + CONTROL_MESSAGE
    elif db.session.scalar(select(Base.id).where(Base.name == name, Base.id != base.id)):
        fields["name"] = "已有同名基地。"
    if values["type"] not in BASE_TYPES:
        fields["type"] = "请选择基地类型。"
    for f, (low, high) in _RULE_LIMITS.items():
        if not isinstance(values[f], int) or isinstance(values[f], bool) or not low <= values[f] <= high:
            fields[f] = f"请填写 {low}–{high} 之间的整数。"
    if "min_advance_days" not in fields and "max_advance_days" not in fields \
            and values["max_advance_days"] < values["min_advance_days"]:
        fields["max_advance_days"] = "最多提前天数不能小于最少提前天数。"
    if not isinstance(values["requires_approval"], bool):
        fields["requires_approval"] = "请选择是否需要审核。"
    if not isinstance(values["opens_on_holidays"], bool):
        fields["opens_on_holidays"] = "请选择法定节假日是否开放。"
    for f, (low, high) in _SHARE_LIMITS.items():
        v = values[f]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high):
            fields[f] = f"请填写 {low}–{high} 之间的整数，不限则留空。"
    phone = (values["contact_phone"] or "").strip()
    if phone and not CONTACT_PHONE_RE.match(phone):
        fields["contact_phone"] = PHONE_MESSAGE
    for f, limit in (("address", 200), ("description", 5000), ("visitor_notes", 5000), ("contact_name", 60)):
        text = values[f] or ""
        if len(text) > limit:
            fields[f] = f"不能超过 {limit} 个字。"
        elif f != "description" and f != "visitor_notes" and has_control_chars(text):
            fields[f] = CONTROL_MESSAGE
    if fields:
        raise ValidationFailed(fields)
    before = {f: getattr(base, f) for f in RULE_FIELDS}
    base.name, base.type = name, values["type"]
    base.address = (values["address"] or "").strip()
    base.description = (values["description"] or "").strip()
    base.visitor_notes = (values["visitor_notes"] or "").strip()
    base.contact_name = (values["contact_name"] or "").strip() or None
    base.contact_phone = phone or None
    for f in RULE_FIELDS:
        setattr(base, f, values[f])
    changed_rules = "，".join(f"{RULE_LABELS[f]} {_rule_text(before[f])} → {_rule_text(values[f])}"
                             for f in RULE_FIELDS if before[f] != values[f])
    audit.record(actor, "base_updated", "base", base.id, name + (f"（{changed_rules}）" if changed_rules else ""))
    db.session.commit()
    return base


RULE_LABELS = {"min_advance_days": "最少提前天数", "max_advance_days": "最多提前天数",
               "cancel_deadline_hours": "取消截止小时数", "requires_approval": "需要审核",
               "opens_on_holidays": "法定节假日开放", "max_live_per_branch": "每支部同时可约",
               "max_per_branch_per_month": "每支部每月可约"}


def _rule_text(value) -> str:
    if value is None:
        return "不限"
    return ("是" if value else "否") if isinstance(value, bool) else str(value)


def save_venue(actor: User, base: Base, venue: Venue | None, *, name: str, kind: str, capacity: int,
               description: str = "", active: bool = True) -> Venue:
    """Add a venue to the base, or change one."""
    name = (name or "").strip()
    fields = {}
    if not name:
        fields["name"] = "请填写场馆名称。"
    elif has_control_chars(name):
        fields["name"] = "名称" + CONTROL_MESSAGE
    elif db.session.scalar(select(Venue.id).where(Venue.base_id == base.id, Venue.name == name,
                                                  Venue.id != (venue.id if venue else -1))):
        fields["name"] = "本基地已有同名场馆。"
    if kind not in VENUE_KINDS:
        fields["kind"] = "请选择场馆类型。"
    if fields:
        raise ValidationFailed(fields)
    if venue is None:
        venue = Venue(base_id=base.id)
        db.session.add(venue)
    venue.name, venue.kind, venue.capacity = name, kind, capacity
    venue.description, venue.active = description.strip(), active
    db.session.flush()
    audit.record(actor, "venue_saved", "venue", venue.id, f"{base.name} / {name}")
    db.session.commit()
    return venue


def _overlapping_slot(venue: Venue, weekday: int, start: time, end: time, exclude: int | None = None):
    return db.session.scalar(select(OpeningSlot).where(
        OpeningSlot.venue_id == venue.id, OpeningSlot.weekday == weekday, OpeningSlot.active.is_(True),
        OpeningSlot.start_time < end, OpeningSlot.end_time > start, OpeningSlot.id != (exclude or -1),
    ))


def add_slot(actor: User, venue: Venue, *, weekdays: list[int], start: time, end: time, capacity: int) -> list[OpeningSlot]:
    """Add the same weekly slot on one or more weekdays; slots of one venue may not overlap."""
    fields = {}
    if not weekdays or any(d not in range(7) for d in weekdays):
        fields["weekdays"] = "请至少选择一天。"
    if end <= start:
        fields["end"] = "结束时间必须晚于开始时间。"
    if capacity < 1:
        fields["capacity"] = "容量至少为 1。"
    if fields:
        raise ValidationFailed(fields)
    created = []
    for day in sorted(set(weekdays)):
        existing = db.session.scalar(select(OpeningSlot).where(
            OpeningSlot.venue_id == venue.id, OpeningSlot.weekday == day, OpeningSlot.start_time == start))
        clash = _overlapping_slot(venue, day, start, end, exclude=existing.id if existing else None)
        if clash is not None:
            raise ValidationFailed({"start": f"与{clash.weekday_label} {clash.start_time:%H:%M}–{clash.end_time:%H:%M} 的时段重叠。"})
        if existing is not None:  # a slot once closed is reopened, so its bookings keep their slot
            if existing.active:
                raise ValidationFailed({"start": f"{existing.weekday_label} {start:%H:%M} 已有时段。"})
            existing.active, existing.end_time = True, end
            _set_capacity(existing, capacity)
            created.append(existing)
        else:
            slot = OpeningSlot(venue_id=venue.id, weekday=day, start_time=start, end_time=end, capacity=capacity)
            db.session.add(slot)
            created.append(slot)
    db.session.flush()
    audit.record(actor, "slot_added", "venue", venue.id,
                 f"{venue.base.name} / {venue.name}：{'、'.join(WEEKDAYS[d] for d in sorted(weekdays))} "
                 f"{start:%H:%M}–{end:%H:%M}，容量 {capacity} 人")
    db.session.commit()
    return created


def _set_capacity(slot: OpeningSlot, capacity: int, now: datetime | None = None) -> None:
    """Change a slot's capacity, also for its dated slots to come; never below what is already held."""
    now = now or clock.now()
    rows = db.session.scalars(select(SlotOccupancy).where(
        SlotOccupancy.venue_id == slot.venue_id, SlotOccupancy.starts_at > now)).all()
    tz = clock.tz()
    affected = [r for r in rows if r.starts_at.astimezone(tz).weekday() == slot.weekday
                and r.starts_at.astimezone(tz).time() == slot.start_time]
    too_many = max((r.held for r in affected), default=0)
    if too_many > capacity:
        raise ValidationFailed({"capacity": f"已有场次预约了 {too_many} 人，容量不能低于此数。"})
    raised = [r.starts_at for r in affected if capacity > r.capacity]
    for r in affected:
        r.capacity = capacity
    slot.capacity = capacity
    if raised:  # places came free: the waitlists of those dated slots take them
        db.session.flush()
        waitlist.after_capacity_raised(slot.venue_id, raised, now)


def _slot_text(slot: OpeningSlot) -> str:
    """A weekly slot as the audit log names it: base, venue, weekday and time."""
    venue = slot.venue
    return f"{venue.base.name} / {venue.name}：{slot.weekday_label} {slot.start_time:%H:%M}–{slot.end_time:%H:%M}"


def update_slot_capacity(actor: User, slot: OpeningSlot, capacity: int) -> None:
    """Change the capacity of a weekly slot."""
    if capacity < 1:
        raise ValidationFailed({"capacity": "容量至少为 1。"})
    before = slot.capacity
    _set_capacity(slot, capacity)
    audit.record(actor, "slot_capacity", "opening_slot", slot.id,
                 f"{_slot_text(slot)}：容量 {before} → {capacity} 人")
    db.session.commit()


def set_slot_active(actor: User, slot: OpeningSlot, active: bool) -> int:
    """Stop (or resume) offering a weekly slot; returns how many live bookings to come are in it (they stay valid)."""
    slot.active = active
    tz = clock.tz()
    starts = db.session.scalars(select(Booking.starts_at).where(
        Booking.venue_id == slot.venue_id, Booking.status.in_(LIVE), Booking.starts_at > clock.now()))
    live = sum(1 for s in starts if s.astimezone(tz).weekday() == slot.weekday
               and s.astimezone(tz).time() == slot.start_time)
    audit.record(actor, "slot_opened" if active else "slot_closed", "opening_slot", slot.id,
                 _slot_text(slot) + (f"（其中已有 {live} 个有效预约，保留有效）" if live and not active else ""))
    db.session.commit()
    return live


def _closure_day_ok(day: date) -> bool:
    return clock.MIN_YEAR <= day.year <= clock.MAX_YEAR


def closure_conflicts(base: Base, venue_id: int | None, start_date: date, end_date: date) -> list[Booking]:
    """The live bookings a closure of these days (of the whole base, or one venue) would fall on, soonest first;
    none for dates a closure may not have (add_closure says why)."""
    if not (_closure_day_ok(start_date) and _closure_day_ok(end_date)):
        return []
    first, _ = clock.day_bounds(start_date)
    _, last = clock.day_bounds(end_date)
    stmt = select(Booking).where(Booking.base_id == base.id, Booking.status.in_(LIVE),
                                 Booking.starts_at >= first, Booking.starts_at < last)
    if venue_id:
        stmt = stmt.where(Booking.venue_id == venue_id)
    return list(db.session.scalars(stmt.order_by(Booking.starts_at, Booking.id)))


class ClosureTouchesBookings(ValidationFailed):
    """A closure over live bookings needs the manager's decision: cancel them, or keep them to move by hand."""

    def __init__(self, count: int):
        super().__init__({"affected": f"该期间有 {count} 个有效预约，请选择取消这些预约，或保留由您逐一处理。"})


def add_closure(actor: User, base: Base, *, venue_id: int | None, start_date: date, end_date: date, reason: str,
                affected: str = "", now=None) -> tuple[Closure, list[Booking], list[Booking]]:
    """Close the base or one venue for a range of days. Live bookings on those days need a decision (`affected`):
    "cancel" cancels each that has not begun, with the closure's reason (history, places freed, the branch and
    the lecturer told); "keep" leaves them for the manager to move. Returns the closure, the bookings cancelled
    and those kept."""
    fields = {}
    for name, day in (("start_date", start_date), ("end_date", end_date)):
        if not _closure_day_ok(day):
            fields[name] = f"请填写 {clock.MIN_YEAR}–{clock.MAX_YEAR} 年之间的日期。"
    if not fields and end_date < start_date:
        fields["end_date"] = "结束日期不能早于开始日期。"
    if not fields and end_date < clock.local_today(now):
        fields["end_date"] = "闭馆日期已经过去，无需登记。"
    if not (reason or "").strip():
        fields["reason"] = "请填写闭馆原因。"
    venue = None
    if venue_id:
        venue = db.session.get(Venue, venue_id)
        if venue is None or venue.base_id != base.id:
            fields["venue_id"] = "所选场馆不属于本基地。"
    if fields:
        raise ValidationFailed(fields)
    now = now or clock.now()
    live = closure_conflicts(base, venue.id if venue else None, start_date, end_date)
    if live and affected not in ("cancel", "keep"):
        raise ClosureTouchesBookings(len(live))
    closure = Closure(base_id=base.id, venue_id=venue.id if venue else None, start_date=start_date,
                      end_date=end_date, reason=reason.strip())
    db.session.add(closure)
    db.session.flush()
    # Standing bookings' dates on those days are skipped, and their bookings cancelled by the system (see series).
    days = [start_date + timedelta(days=n) for n in range((end_date - start_date).days + 1)]
    series.follow_calendar(days, "closed", f"闭馆：{reason.strip()}", base_id=base.id,
                           venue_id=venue.id if venue else None, now=now)
    cancelled, kept = [], []
    for booking in live:
        db.session.refresh(booking)
        if booking.status not in LIVE:  # a series' date, cancelled with it
            cancelled.append(booking)
            continue
        if affected == "cancel" and lifecycle.allows("cancel", actor, booking, now):
            lifecycle.transition(booking, lifecycle.Move.CANCEL, actor, f"闭馆：{reason.strip()}", now)
            cancelled.append(booking)
        else:
            kept.append(booking)
    audit.record(actor, "closure_added", "base", base.id,
                 f"{base.name}{' / ' + venue.name if venue else '（整个基地）'}：{clock.day_text(start_date)}"
                 + (f"至{clock.day_text(end_date)}" if end_date != start_date else "") + f"，{reason.strip()}" + (f"；取消预约 {len(cancelled)} 个" if cancelled else "")
                 + (f"；保留预约 {len(kept)} 个" if kept else ""))
    db.session.commit()
    return closure, cancelled, kept


def remove_closure(actor: User, closure: Closure) -> None:
    """Reopen the days of a closure (nothing depends on a closure row)."""
    audit.record(actor, "closure_removed", "base", closure.base_id,
                 f"{closure.base.name}{' / ' + closure.venue.name if closure.venue else '（整个基地）'}："
                 f"{clock.day_text(closure.start_date)}"
                 + (f"至{clock.day_text(closure.end_date)}" if closure.end_date != closure.start_date else "")
                 + f"，{closure.reason}")
    db.session.delete(closure)
    db.session.commit()


def save_menu_item(actor: User, base: Base, item: MenuItem | None, *, title: str, description: str,
                   category: str, content_topic: str, duration_minutes: int, min_group: int, max_group: int,
                   venue_id: int, needs_lecturer: bool, active: bool = True) -> MenuItem:
    """Add an item to the base's menu, or change one."""
    fields = {}
    title = (title or "").strip()
    if not title:
        fields["title"] = "请填写项目名称。"
    elif has_control_chars(title):
        fields["title"] = "名称" + CONTROL_MESSAGE
    if category not in CATEGORIES:
        fields["category"] = "请选择课程类别。"
    if not (content_topic or "").strip():
        fields["content_topic"] = "请填写内容主题。"
    venue = db.session.get(Venue, venue_id) if venue_id else None
    if venue is None or venue.base_id != base.id:
        fields["venue_id"] = "请选择本基地的场馆。"
    if max_group < min_group:
        fields["max_group"] = "最多人数不能小于最少人数。"
    elif venue is not None and max_group > venue.capacity:
        fields["max_group"] = f"最多人数不能超过场馆容量（{venue.capacity} 人）。"
    if fields:
        raise ValidationFailed(fields)
    if item is None:
        item = MenuItem(base_id=base.id)
        db.session.add(item)
    item.title, item.description, item.category = title, description.strip(), category
    item.content_topic, item.duration_minutes = content_topic.strip(), duration_minutes
    item.min_group, item.max_group, item.venue_id = min_group, max_group, venue.id
    item.needs_lecturer, item.active = needs_lecturer, active
    db.session.flush()
    audit.record(actor, "menu_item_saved", "menu_item", item.id, f"{base.name} / {title}")
    db.session.commit()
    return item


