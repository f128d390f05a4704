"""Activities at the branch's own place (本支部自行开展的组织生活): a 支委会 in its meeting room, a 党课 in a
community service station. The same activity as a base visit in every service that follows (roster, attendance,
study hours, record, ledger), with no base, no places and no approval: a booking of source `own` (or `request`,
for a lecture the branch ordered) with its address.

Two live activities of one branch never overlap, at a base or at home: the branch's row is locked while one is
written (a no-op UPDATE: PostgreSQL's row lock, SQLite's write transaction), so two at once cannot both pass.
"""
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update

from booking import clock
from booking.errors import DuplicateBooking, NotAllowed, ValidationFailed
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
    other = clash(branch_id, values["start"], values["end"])
    if other is not None:
        db.session.rollback()
        where = other.address if other.base_id is None else other.base.name
        raise DuplicateBooking(f"本支部在该时间已有活动：{clock.when(other.starts_at)} {where}。")
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
