"""Pages for the day of the visit and after it."""
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from booking import permissions
from booking.photos import images
from booking.web.errors import on_refusal
from booking.reservations import services as reservations
from booking.visits import services

bp = Blueprint("visits", __name__)


@bp.get("/manage/today")
@login_required
def today():
    """Today's visits of my bases by venue, with check-in by code or camera."""
    if not permissions.works_for_bases(current_user):
        abort(403)
    day = services.today_page(current_user)
    return render_template("visits/today.html", by_venue=day.by_venue, count=day.count, waiting=day.waiting)


@bp.get("/c/<code>")
def scanned(code):
    """Where a booking's QR code leads (WeChat's 扫一扫 opens it): the base's manager, logged in, gets the
    booking's check-in; whoever else scans it sees only the code and what it is for."""
    code = code.strip().upper()[:16]
    found = services.scan(current_user, code)
    if found.checks_in:
        return redirect(url_for("reservations.detail", booking_id=found.booking.id) + "#checkin-h")
    return render_template("visits/scanned.html", code=code, booking=found.booking)


@bp.post("/manage/check-in")
@login_required
def check_in():
    """Check a group in by its code (typed, or read from the QR code by the camera)."""
    on_refusal(redirect_to=url_for(".today"))
    booking = services.check_in(current_user, request.form.get("code", ""))
    partners = f"（含共建支部 {booking.partner_headcount} 人）" if booking.partner_headcount else ""
    flash(f"签到成功：{booking.branch.name}，预约 {booking.total_headcount} 人{partners}。请登记实到人数。", "success")
    return redirect(url_for("reservations.detail", booking_id=booking.id) + "#attendance")


def _act(booking_id, action, success: str):
    booking = reservations.get_visible(current_user, booking_id)
    on_refusal(redirect_to=url_for("reservations.detail", booking_id=booking.id))
    action(booking)
    flash(success, "success")
    return redirect(url_for("reservations.detail", booking_id=booking.id))


def _int(name):
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 9 else value


@bp.post("/bookings/<id:booking_id>/check-in")
@login_required
def check_in_booking(booking_id):
    """Check the group in from its booking's page."""
    return _act(booking_id, lambda b: services.check_in_booking(current_user, b),
                "签到成功，可以登记实到人数了。")


@bp.post("/bookings/<id:booking_id>/attendance")
@login_required
def attendance(booking_id):
    """Record (or correct) how many came."""
    return _act(booking_id, lambda b: services.record_attendance(current_user, b, _int("visitor_count"),
                                                                 visitor_counts=_split_counts()),
                "实到人数已登记，活动已完成。")


def _split_counts() -> dict | None:
    """A joint visit's count by branch from the form's split-<branch_id> fields; None when none is filled in (a
    blank one beside filled ones is 0; text that is not a count is passed on for the service to refuse)."""
    given = {key[len("split-"):]: value.strip() for key, value in request.form.items()
             if key.startswith("split-") and len(key) < 20}
    if not any(given.values()):
        return None
    return {key: (int(v) if v.isdigit() and len(v) < 7 else (0 if v == "" else -1)) for key, v in given.items()}


@bp.post("/bookings/<id:booking_id>/no-show")
@login_required
def no_show(booking_id):
    """Mark that the group did not come."""
    return _act(booking_id, lambda b: services.mark_no_show(current_user, b), "已标记为未到场。")


@bp.post("/bookings/<id:booking_id>/feedback")
@login_required
def feedback(booking_id):
    """The branch's rating of the visit."""
    return _act(booking_id, lambda b: services.give_feedback(current_user, b, _int("rating"), request.form.get("comment")),
                "感谢您的评价。")


@bp.post("/bookings/<id:booking_id>/record")
@login_required
def record(booking_id):
    """The branch's activity record: summary and photos."""
    files = [(f.filename or "", f.read(services.MAX_PHOTO_BYTES + 1)) for f in request.files.getlist("photos")]
    return _act(booking_id, lambda b: services.save_activity_record(current_user, b, request.form.get("summary", ""), files),
                "活动纪实已保存。")


@bp.post("/bookings/<id:booking_id>/photos/<id:photo_id>/remove")
@login_required
def remove_photo(booking_id, photo_id):
    """Take a wrong photo out of the activity record."""
    return _act(booking_id, lambda b: services.remove_photo(current_user, b, photo_id), "照片已删除。")


@bp.get("/bookings/<id:booking_id>/photos/<id:photo_id>")
@login_required
def photo(booking_id, photo_id):
    """A photo of the activity record, only for those who may see the booking; `?size=small`, its thumbnail as the
    booking page shows it (the photo itself when it cannot be made)."""
    photo, data = services.photo_for(current_user, booking_id, photo_id)
    thumbnail = images.small(data) if request.args.get("size") == "small" else None
    response = send_file(io.BytesIO(thumbnail or data), mimetype="image/jpeg" if thumbnail else photo.content_type,
                         max_age=0, etag=photo.stored_name + ("-small" if thumbnail else ""), conditional=True,
                         last_modified=photo.created_at)
    response.headers["Cache-Control"] = "private, max-age=3600"  # nosniff, as on every answer
    return response
