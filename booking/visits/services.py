"""The day of the visit and after it: check-in, visitor counts, no-shows, feedback and the activity record."""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from booking import audit, clock, permissions
from booking.photos import images
from booking.photos import storage as photo_store
from booking.errors import InvalidState, NotFound, UnknownCode, ValidationFailed
from booking.permissions import Actor
from booking.textutil import text_problem
from booking.reservations import lifecycle, partners, places, records, states, waitlist
from booking.reservations.lifecycle import Move, require
from models import Booking, BookingPhoto, LoginFailure, RosterEntry, SlotOccupancy, db
from booking.reservations.services import visible_query

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# One form of a record: nine photos at their limit and the text (the request limit, nginx's and README's agree).
MAX_RECORD_REQUEST = MAX_PHOTOS * MAX_PHOTO_BYTES + 3 * 1024 * 1024  # 48 MB
# Images are recognised by their first bytes, never by their file name.
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


def booking_by_code(user: Actor, code: str) -> Booking:
    """The booking with this check-in code, if the user may see it (404 otherwise). The code may be typed, or be
    the check-in URL its QR code holds (…/c/CODE), as a camera reads it."""
    code = (code or "").strip()
    if "/" in code and len(code) < 300:
        code = code.rstrip("/").rpartition("/")[2]
    code = code.upper().replace(" ", "")
    booking = db.session.scalar(select(Booking).where(Booking.code == code)) if 0 < len(code) <= 16 else None
    if booking is None or not permissions.can_view_booking(user, booking):
        raise UnknownCode()
    return booking


def booking_for_scan(user, code: str) -> Booking | None:
    """The booking a scanned code names, if the user (perhaps nobody logged in) may see it; else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return booking_by_code(user, code)
    except NotFound:
        return None


@dataclass
class Scan:
    """What a scanned code leads to: the booking (None when the scanner may not see it) and whether the scanner
    checks its group in (the base's manager)."""
    booking: Booking | None
    checks_in: bool


def scan(user, code: str) -> Scan:
    """A scanned booking code as the scanner may see it."""
    booking = booking_for_scan(user, code)
    return Scan(booking, booking is not None and permissions.manages_base(user, booking.base_id))


def check_in(actor: Actor, code: str, now: datetime | None = None) -> Booking:
    """Confirm a group's arrival by its code, on the day of its visit."""
    return check_in_booking(actor, booking_by_code(actor, code), now)


def check_in_booking(actor: Actor, booking: Booking, now: datetime | None = None) -> Booking:
    """Confirm a group's arrival (from its code or its page); a second check-in changes nothing."""
    now = now or clock.now()
    require(lifecycle.can_check_in(actor, booking, now))
    if booking.checked_in_at is None:
        # Claimed with a conditional UPDATE: two scans at once record one check-in.
        claimed = db.session.execute(
            update(Booking).where(Booking.id == booking.id, Booking.checked_in_at.is_(None))
            .values(checked_in_at=now).execution_options(synchronize_session=False)).rowcount == 1
        if claimed:
            places.written(booking, checked_in_at=now)
            records.record_event(booking, actor, "checked_in", "", now)
        db.session.commit()
    return booking


def slot_capacity(booking: Booking) -> int:
    """The capacity of the booking's dated slot."""
    capacity = db.session.scalar(select(SlotOccupancy.capacity).where(
        SlotOccupancy.venue_id == booking.venue_id, SlotOccupancy.starts_at == booking.starts_at))
    return capacity or booking.venue.capacity


def _split(booking: Booking, visitor_count: int, visitor_counts) -> dict[int, int] | None:
    """A joint visit's count by branch ({branch_id: n}, the host and the partners that accepted), summing to the
    visit's count; None when the count is not split."""
    if visitor_counts is None:
        return None
    if not isinstance(visitor_counts, dict):
        raise ValidationFailed({"visitor_counts": "分支部人数应为以支部编号为键、人数为值的对象。"})
    allowed = {booking.branch_id} | {p.branch_id for p in partners.taking_part(booking)}
    split = {}
    for key, n in visitor_counts.items():
        branch_id = int(key) if isinstance(key, str) and key.isdigit() else key
        if not isinstance(branch_id, int) or isinstance(branch_id, bool) or branch_id not in allowed:
            raise ValidationFailed({"visitor_counts": f"支部 {key} 没有参加这次活动（只能填写主办支部和已接受邀请的共建支部）。"})
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValidationFailed({"visitor_counts": "各支部人数应为不小于 0 的整数。"})
        split[branch_id] = n
    if sum(split.values()) != visitor_count:
        raise ValidationFailed({"visitor_counts": f"各支部人数之和（{sum(split.values())}）应等于实到人数 {visitor_count}。"})
    return split


def record_attendance(actor: Actor, booking: Booking, visitor_count, now: datetime | None = None,
                      visitor_counts=None) -> Booking:
    """Record how many came (实到人数): the visit is completed. A later call corrects the count. A joint visit's
    count may be split by branch (`visitor_counts`); unsplit, it is the host's (a later unsplit call drops a split)."""
    now = now or clock.now()
    require(lifecycle.can_record_attendance(actor, booking, now))
    capacity = slot_capacity(booking) if booking.venue_id is not None else max(booking.headcount * 2, 100)
    if isinstance(visitor_count, bool) or not isinstance(visitor_count, int) or not 1 <= visitor_count <= capacity:
        raise ValidationFailed({"visitor_count": f"实到人数应为 1–{capacity} 的整数。"})
    split = _split(booking, visitor_count, visitor_counts)
    previous = booking.visitor_count
    if booking.status == states.NO_SHOW:
        note = f"更正“未到场”：实到 {visitor_count} 人"
    elif previous is None:
        note = f"实到 {visitor_count} 人"
    else:
        note = f"实到人数由 {previous} 更正为 {visitor_count}"
    if split is not None:
        names = {booking.branch_id: booking.branch.name} | {p.branch_id: p.branch.name for p in booking.partners}
        note += "（" + "、".join(f"{names[b]} {n} 人" for b, n in split.items()) + "）"
    lifecycle.transition(booking, Move.RECORD_ATTENDANCE, actor, note, now)
    booking.visitor_count = visitor_count
    for part in partners.taking_part(booking):
        part.visitor_count = split.get(part.branch_id, 0) if split is not None else None
    if booking.checked_in_at is None:
        booking.checked_in_at = now
    db.session.commit()
    return booking


def mark_no_show(actor: Actor, booking: Booking, now: datetime | None = None, note: str = "") -> Booking:
    """The group did not come (the branch may be blocked from booking online: see lifecycle)."""
    now = now or clock.now()
    require(lifecycle.can_mark_no_show(actor, booking, now))
    lifecycle.transition(booking, Move.MARK_NO_SHOW, actor, note, now)
    db.session.commit()
    return booking


def give_feedback(actor: Actor, booking: Booking, rating, comment: str | None = "", now: datetime | None = None) -> Booking:
    """The branch rates a completed visit, once."""
    now = now or clock.now()
    require(lifecycle.can_give_feedback(actor, booking, now))
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed({"rating": "请给出 1–5 分的评价。"})
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationFailed({"comment": "评价内容不能超过 1000 个字。"})
    if text_problem(comment, multiline=True):
        raise ValidationFailed({"comment": text_problem(comment, multiline=True)})
    claimed = booking.rating is None and db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.rating.is_(None))
        .values(rating=rating, feedback_comment=comment, feedback_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:  # also when a second request arrived at the same moment
        db.session.rollback()
        raise InvalidState("已经评价过了，每次活动只能评价一次。")
    places.written(booking, rating=rating, feedback_comment=comment, feedback_at=now)
    records.record_event(booking, actor, "feedback_given", f"{rating} 分" + (f"：{comment}" if comment else ""), now)
    db.session.commit()
    return booking


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image recognised by its first bytes, or None."""
    for signature, content_type, ext in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def _photo_allowance(actor: Actor, n: int, now: datetime) -> str | None:
    """Photos take work to check and shrink: one account uploads at most PHOTOS_PER_HOUR of them an hour (counted
    across every process, like failed logins, whether they are kept or refused). The refusal's words, or None
    (and the n photos are counted)."""
    key, since = f"photos:#{actor.id}", now - timedelta(hours=1)
    done = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == key, LoginFailure.at >= since)) or 0
    limit = current_app.config["PHOTOS_PER_HOUR"]
    if done + n > limit:
        return f"一小时内最多上传 {limit} 张照片，请稍后再上传（已上传 {done} 张）。"
    db.session.execute(LoginFailure.__table__.insert(), [{"username": key, "address": "", "at": now}] * n)
    db.session.commit()
    return None


def save_activity_record(actor: Actor, booking: Booking, summary: str, photos: list[tuple[str, bytes]],
                         now: datetime | None = None) -> Booking:
    """The branch's record of its organisational life after a completed visit: a summary and a few photos (a
    partner that took part: its own summary). Refused photos never cost the text typed with them."""
    now = now or clock.now()
    require(lifecycle.can_keep_record(actor, booking, now))
    summary = (summary or "").strip()
    if len(summary) > 5000:
        raise ValidationFailed({"summary": "纪实内容不能超过 5000 个字。"})
    if text_problem(summary, multiline=True):
        raise ValidationFailed({"summary": text_problem(summary, multiline=True)})
    photos = [(name, data) for name, data in photos if data]
    if photos:
        require(lifecycle.can_keep_photos(actor, booking, now))
    if not permissions.is_bookings_branch(actor, booking):  # a partner that took part: its own words
        part = permissions.partner_part(actor, booking)
        part.activity_summary = summary or None
        audit.record(actor, "partner_record_saved", "booking", booking.id, f"{part.branch.name}的活动纪实")
        db.session.commit()
        return booking
    refused = _photo_allowance(actor, len(photos), now) if photos else None
    if photos and refused is None:
        # Lock the booking's row before counting its photos, so two uploads at once cannot pass the limit together.
        db.session.execute(update(Booking).where(Booking.id == booking.id).values(updated_at=now)
                           .execution_options(synchronize_session=False))
        db.session.expire(booking, ["photos"])
    if refused is None and len(booking.photos) + len(photos) > MAX_PHOTOS:
        refused = f"每次活动最多 {MAX_PHOTOS} 张照片，已有 {len(booking.photos)} 张。"
    checked = []
    pixels = 0
    for name, data in photos if refused is None else []:
        kind = sniff_image(data) if len(data) <= MAX_PHOTO_BYTES else None
        if len(data) > MAX_PHOTO_BYTES:
            refused = f"“{name}”超过 {MAX_PHOTO_BYTES // 1024 // 1024} MB。"
        elif kind is None:
            refused = f"“{name}”不是图片（支持 JPEG、PNG、GIF、WebP）。"
        elif (pixels := pixels + images.cost(data)) > images.UPLOAD_PIXELS:
            # The work of one upload is bounded before anything is decoded: the rest go in another upload.
            refused = f"“{name}”及之后的照片这次放不下（一次上传的照片合计像素过多），请分几次上传。"
        if refused:
            break
        try:
            data, content_type, ext = images.normalise(data)
        except images.BadImage as err:
            refused = f"“{name}”{err}。"
            break
        checked.append((name, data, (content_type, ext)))
    if refused is not None:
        # The photos are refused, never the text typed with them: it is kept, and the message says so.
        if summary and summary != (booking.activity_summary or ""):
            booking.activity_summary = summary
            db.session.commit()
            refused = "纪实文字已保存，照片未上传：" + refused
        else:
            db.session.rollback()
        raise ValidationFailed({"photos": refused})
    written = []
    try:
        for name, data, (content_type, ext) in checked:
            stored = f"{booking.id}-{secrets.token_hex(16)}.{ext}"
            photo_store.put(stored, data)
            written.append(stored)
            original = "".join(c for c in (name or "") if c.isprintable())[:200]
            booking.photos.append(BookingPhoto(stored_name=stored, original_name=original,
                                               content_type=content_type, size=len(data), uploaded_by_id=actor.id,
                                               created_at=now))
        booking.activity_summary = summary or booking.activity_summary
        db.session.commit()
    except Exception:
        db.session.rollback()
        photo_store.discard(written)
        raise
    return booking


def remove_photo(actor: Actor, booking: Booking, photo_id: int, now: datetime | None = None) -> None:
    """The branch takes a wrong photo out of its record: the file is deleted, the row stays saying who removed it
    when (the audit log too)."""
    now = now or clock.now()
    require(lifecycle.can_keep_photos(actor, booking, now))
    photo = db.session.get(BookingPhoto, photo_id)
    if photo is None or photo.booking_id != booking.id or photo.removed_at is not None:
        raise NotFound("照片不存在或已删除。")
    photo.removed_at, photo.removed_by_id = now, actor.id
    audit.record(actor, "photo_removed", "booking", booking.id, f"{photo.original_name or photo.stored_name}")
    photo_store.remove(photo.stored_name)
    db.session.commit()
    db.session.expire(booking, ["photos"])


def photo_for(user: Actor, booking_id: int, photo_id: int) -> tuple[BookingPhoto, bytes]:
    """A photo and its bytes, for someone who may see its booking (404 for anyone else, once removed, or when its
    bytes are in no store)."""
    photo = db.session.get(BookingPhoto, photo_id)
    if photo is None or photo.booking_id != booking_id or photo.removed_at is not None \
            or not permissions.can_view_booking(user, photo.booking):
        raise NotFound("照片不存在。")
    data = photo_store.get(photo.stored_name)
    if data is None:
        raise NotFound("照片文件已丢失。")
    return photo, data


def todays_visits(user: Actor, now: datetime | None = None) -> list[Booking]:
    """The day's visits of the user's bases, by venue and time."""
    today = clock.local_today(now)
    stmt = visible_query(user, start=today, end=today).where(Booking.status.in_(states.ON_THE_DAY))
    return list(db.session.scalars(stmt.options(selectinload(Booking.venue), selectinload(Booking.roster).joinedload(RosterEntry.member)).order_by(None)
                                   .order_by(Booking.venue_id, Booking.starts_at, Booking.id)))


@dataclass
class Today:
    """The manager's day: the day's visits by venue, how many, and the waitlist of the day's slots to come."""
    by_venue: dict
    count: int
    waiting: list


def today_page(user: Actor, now: datetime | None = None) -> Today:
    """The day's visits of the user's bases grouped by venue, with the day's waiting entries."""
    visits = todays_visits(user, now)
    by_venue: dict = {}
    for b in visits:
        by_venue.setdefault(b.venue, []).append(b)
    return Today(by_venue=by_venue, count=len(visits), waiting=waitlist.waiting_today(user, now))
