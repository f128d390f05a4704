"""Activities at the branch's own place (本支部自行开展的组织生活): a 支委会 in its meeting room, a 党课 in a
community service station. The same activity as a base visit in every service that follows (roster, attendance,
study hours, record, ledger), with no base, no places and no approval: a booking of source `own` (or `request`,
for a lecture the branch ordered) with its address.

Two live activities of one branch never overlap, at a base or at home: the branch's row is locked while one is
written (a no-op UPDATE: PostgreSQL's row lock, SQLite's write transaction), so two at once cannot both pass.
"""
from datetime import datetime, time, timedelta

from sqlalchemy import and_, select, update

from booking import clock
from booking.errors import DuplicateBooking, NotAllowed, ValidationFailed
from booking.notify.services import notify
from booking.permissions import Actor
from booking.reservations.records import new_code, record_event
from booking.reservations.states import APPROVED, LIVE
from booking.textutil import PHONE_MESSAGE, PHONE_RE, field_text
from models import ACTIVITY_TYPES, Booking, Branch, db

MAX_HOURS = 8  # a meeting, a lecture, a theme day: never longer
RECORDED_AFTER_DAYS = 31  # a meeting may be recorded up to a month afterwards
AHEAD_DAYS = 366  # or planned up to a year ahead
DEFAULT_ROOM = "党员活动室"


def usual_address(branch_id: int) -> str:
    """Where the branch usually meets: the address of its latest activity at its own place, else its name and
    "党员活动室" (the form's starting value)."""
    last = db.session.scalar(select(Booking.address).where(Booking.branch_id == branch_id,
                                                           Booking.address.is_not(None))
                             .order_by(Booking.starts_at.desc()).limit(1))
    if last:
        return last
    branch = db.session.get(Branch, branch_id)
    return f"{branch.name}{DEFAULT_ROOM}" if branch else DEFAULT_ROOM


def new_page(actor: Actor, now: datetime | None = None) -> dict:
    """The form's starting values: today's evening, the branch's usual room, its contact and its members."""
    if not (actor.role == "secretary" and actor.branch_id):
        raise NotAllowed("只有支部书记可以登记本支部自行开展的活动。")
    branch = actor.branch
    return {"branch": branch, "defaults": {
        "day": clock.local_today(now), "start": time(19), "end": time(20, 30), "address": usual_address(branch.id),
        "headcount": branch.member_count or None, "contact_name": branch.contact_name or actor.display_name,
        "contact_phone": branch.contact_phone or (actor.phone or "")}}


def form_values(booking: Booking) -> dict:
    """An own activity's fields as its form shows them."""
    start, end = clock.local(booking.starts_at), clock.local(booking.ends_at)
    return {"activity_type": booking.activity_type, "day": start.date(), "start": start.time(), "end": end.time(),
            "address": booking.address, "topic": booking.topic, "headcount": booking.headcount,
            "contact_name": booking.contact_name, "contact_phone": booking.contact_phone, "note": booking.note}


def check(*, activity_type, start, end, address, topic, headcount, contact_name, contact_phone, note,
          now: datetime) -> dict:
    """The activity's fields, cleaned; ValidationFailed naming every field that is wrong."""
    fields: dict[str, str] = {}
    if activity_type not in ACTIVITY_TYPES:
        fields["activity_type"] = f"请选择活动类型：{'、'.join(ACTIVITY_TYPES.values())}。"
    if not isinstance(start, datetime):
        fields["start"] = "请填写开始时间。"
    elif not now - timedelta(days=RECORDED_AFTER_DAYS) <= start <= now + timedelta(days=AHEAD_DAYS):
        fields["start"] = f"开始时间应在 {RECORDED_AFTER_DAYS} 天前到一年内之间（事后补记最多 {RECORDED_AFTER_DAYS} 天）。"
    if not isinstance(end, datetime):
        fields["end"] = "请填写结束时间。"
    elif isinstance(start, datetime) and not start < end <= start + timedelta(hours=MAX_HOURS):
        fields["end"] = f"结束时间应晚于开始时间，活动最长 {MAX_HOURS} 小时。"
    if isinstance(headcount, bool) or not isinstance(headcount, int) or not 1 <= headcount <= 100000:
        fields["headcount"] = "请填写应到人数（正整数）。"
    values = {
        "address": field_text(fields, "address", address, "活动地点", 200, required=True),
        "topic": field_text(fields, "topic", topic, "活动主题", 200, required=True),
        "contact_name": field_text(fields, "contact_name", contact_name, "联系人", 60, required=True),
        "contact_phone": field_text(fields, "contact_phone", contact_phone, "联系电话", 30, required=True),
        "note": field_text(fields, "note", note, "备注", 2000, multiline=True),
    }
    if "contact_phone" not in fields and not PHONE_RE.match(values["contact_phone"]):
        fields["contact_phone"] = PHONE_MESSAGE
    if fields:
        raise ValidationFailed(fields)
    return {**values, "activity_type": activity_type, "start": start, "end": end, "headcount": headcount}


def lock_branch(branch_id: int) -> None:
    """Take the branch's row for this transaction: its activities are written one at a time."""
    db.session.execute(update(Branch).where(Branch.id == branch_id).values(active=Branch.active)
                       .execution_options(synchronize_session=False))


def clash(branch_id: int, start: datetime, end: datetime, exclude: int | None = None) -> Booking | None:
    """The branch's live activity (at a base or at home) overlapping start..end, if any."""
    stmt = select(Booking).where(Booking.branch_id == branch_id, Booking.status.in_([s.value for s in LIVE]),
                                 and_(Booking.starts_at < end, Booking.ends_at > start))
    if exclude is not None:
        stmt = stmt.where(Booking.id != exclude)
    return db.session.scalars(stmt.order_by(Booking.starts_at).limit(1)).first()


def refuse_clash(branch_id: int, start: datetime, end: datetime, exclude: int | None = None) -> None:
    """DuplicateBooking (the transaction rolled back) when the branch has a live activity overlapping start..end;
    asked under the branch's lock."""
    other = clash(branch_id, start, end, exclude)
    if other is not None:
        db.session.rollback()
        where = other.address if other.base_id is None else other.base.name
        raise DuplicateBooking(f"本支部在该时间已有活动：{clock.when(other.starts_at)} {where}。")


def create(actor: Actor, *, activity_type, start, end, address, topic, headcount, contact_name, contact_phone,
           note=None, now: datetime | None = None) -> Booking:
    """Record an activity at the branch's own place: its secretary plans it (or records it afterwards). It is
    approved at once (it takes no base's places); 409 duplicate_booking when the branch already has a live
    activity at that time."""
    now = now or clock.now()
    if not (actor.role == "secretary" and actor.branch_id):
        raise NotAllowed("只有支部书记可以登记本支部自行开展的活动。")
    values = check(activity_type=activity_type, start=start, end=end, address=address, topic=topic,
                   headcount=headcount, contact_name=contact_name, contact_phone=contact_phone, note=note, now=now)
    booking = insert(actor, actor.branch_id, values, source="own", lecturer_id=None, now=now)
    db.session.commit()
    return booking


def insert(actor: Actor | None, branch_id: int, values: dict, *, source: str, lecturer_id: int | None,
           now: datetime) -> Booking:
    """Write a checked activity of the branch under its row's lock (the caller commits)."""
    lock_branch(branch_id)
    refuse_clash(branch_id, values["start"], values["end"])
    code = new_code()
    while db.session.scalar(select(Booking.id).where(Booking.code == code)):
        code = new_code()
    booking = Booking(
        code=code, status=APPROVED.value, source=source, base_id=None, venue_id=None, menu_item_id=None,
        branch_id=branch_id, starts_at=values["start"], ends_at=values["end"],
        day=clock.local(values["start"]).date(), headcount=values["headcount"], partner_headcount=0,
        contact_name=values["contact_name"], contact_phone=values["contact_phone"], topic=values["topic"],
        note=values["note"], activity_type=values["activity_type"], address=values["address"],
        lecturer_id=lecturer_id, lecturer_status="accepted" if lecturer_id else None,
        created_by_id=actor.id if actor else None, created_at=now, updated_at=now)
    db.session.add(booking)
    db.session.flush()
    record_event(booking, actor, "created", "本支部自行开展" if source == "own" else "点单送课", now, from_status=None)
    return booking


CHANGEABLE = ("activity_type", "start", "end", "address", "topic", "headcount", "contact_name", "contact_phone", "note")
_LABELS = {"activity_type": "活动类型", "start": "开始时间", "end": "结束时间", "address": "活动地点", "topic": "活动主题",
           "headcount": "应到人数", "contact_name": "联系人", "contact_phone": "联系电话", "note": "备注"}


def change(actor: Actor, booking: Booking, changes: dict, *, on_roster: int, now: datetime) -> Booking:
    """Change an own activity (its guard already asked): any of its fields, checked as when it was recorded, and
    its time still clear of the branch's other activities (under the branch's lock). A requested lecture's time
    is the dispatcher's and its lecturer's: it is not moved here. The lecturer is told of any change."""
    unknown = set(changes) - set(CHANGEABLE)
    if booking.source == "request":
        held = {"start": booking.starts_at, "end": booking.ends_at}
        unknown |= {name for name in held if name in changes and changes[name] != held[name]}
    if unknown:
        message = "点单送课的时间由派单确定，如需改期请取消后重新点单。" if booking.source == "request" else "该项不能修改。"
        raise ValidationFailed({name: message for name in sorted(unknown)})
    current = {"activity_type": booking.activity_type, "start": booking.starts_at, "end": booking.ends_at,
               "address": booking.address, "topic": booking.topic, "headcount": booking.headcount,
               "contact_name": booking.contact_name, "contact_phone": booking.contact_phone, "note": booking.note}
    wanted = {**current, **{k: v for k, v in changes.items() if v is not None or k == "note"}}
    values = check(**wanted, now=now if "start" in changes else min(now, current["start"]))
    if values["headcount"] < on_roster:
        raise ValidationFailed({"headcount": f"参加人员名单已有 {on_roster} 人，请先从名单中移除，再把人数减到 "
                                             f"{values['headcount']} 人。"})
    changed = {name: (current[name], values[name]) for name in CHANGEABLE if values[name] != current[name]}
    if not changed:
        return booking
    if "start" in changed or "end" in changed:
        lock_branch(booking.branch_id)
        refuse_clash(booking.branch_id, values["start"], values["end"], exclude=booking.id)
    booking.activity_type, booking.address, booking.topic = values["activity_type"], values["address"], values["topic"]
    booking.headcount, booking.note = values["headcount"], values["note"]
    booking.contact_name, booking.contact_phone = values["contact_name"], values["contact_phone"]
    booking.starts_at, booking.ends_at = values["start"], values["end"]
    booking.day, booking.updated_at = clock.local(values["start"]).date(), now
    if "start" in changed:
        booking.reminder_sent_at = None  # reminded again the day before its new time
    note = "；".join(f"{_LABELS[n]}：{_shown(old)} → {_shown(new)}" for n, (old, new) in changed.items())
    record_event(booking, actor, "changed", note, now)
    if booking.lecturer is not None and booking.lecturer.user is not None:
        notify([booking.lecturer.user], "booking_changed", booking,
               f"送课活动有变更：{booking.branch.name} {clock.when(booking.starts_at)}", note)
    db.session.commit()
    return booking


def _shown(value) -> str:
    if isinstance(value, datetime):
        return clock.when(value)
    if value in ACTIVITY_TYPES:
        return ACTIVITY_TYPES[value]
    return str(value) if value not in (None, "") else "（空）"
