"""Lecturer pages: schedule, invitations, blocked time, calendar feed, lecture record; the manager's assignment."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking import clock, permissions
from booking.documents import exports
from booking.web.errors import on_refusal
from booking.lecturers import services
from booking.reservations.services import get_visible

bp = Blueprint("lecturers", __name__)


@bp.get("/schedule")
@login_required
def schedule():
    """My sessions: invitations to answer, upcoming sessions, a month calendar, blocked time, the calendar feed."""
    if current_user.role != "lecturer" or current_user.lecturer is None:
        abort(403)
    try:  # a month that is none is this month
        month = clock.parse_date(request.args.get("month", "") + "-01") if request.args.get("month") else None
    except ValueError:
        month = None
    lecturer = current_user.lecturer
    return render_template("lecturers/schedule.html", lecturer=lecturer,
                           schedule=services.schedule_page(lecturer, month, clock.now()))


@bp.post("/schedule/bookings/<id:booking_id>/<any(accept, decline):answer>")
@login_required
def answer(booking_id, answer):
    """Accept or decline an invitation."""
    booking = get_visible(current_user, booking_id)
    on_refusal(redirect_to=url_for(".schedule"))
    if answer == "accept":
        services.accept(current_user, booking)
        flash("已接受邀请，已加入您的日程。", "success")
    else:
        services.decline(current_user, booking, request.form.get("reason", ""))
        flash("已婉拒邀请，基地管理员会重新安排。", "success")
    return redirect(url_for(".schedule"))


@bp.post("/schedule/blocks")
@login_required
def block():
    """Block time (外出, 休假)."""
    try:
        start = clock.parse_datetime(request.form.get("start", ""))
        end = clock.parse_datetime(request.form.get("end", ""))
    except ValueError:
        flash("请填写有效的开始和结束时间。", "danger")
        return redirect(url_for(".schedule") + "#blocks")
    on_refusal(redirect_to=url_for(".schedule") + "#blocks")
    services.block_time(current_user, start, end, request.form.get("reason", ""))
    flash("已标记为不可用时间，这段时间不会收到邀请。", "success")
    return redirect(url_for(".schedule") + "#blocks")


@bp.post("/schedule/blocks/<id:block_id>/delete")
@login_required
def unblock(block_id):
    """Remove blocked time."""
    services.unblock_time(current_user, block_id)
    flash("已删除不可用时间。", "success")
    return redirect(url_for(".schedule") + "#blocks")


@bp.post("/schedule/calendar/renew")
@login_required
def renew():
    """Renew the calendar feed's secret."""
    services.renew_calendar_token(current_user)
    flash("日历订阅地址已更换，旧地址已失效，请在日历应用中重新订阅。", "success")
    return redirect(url_for(".schedule") + "#feed")


@bp.get("/calendar/<token>.ics")
def calendar_feed(token):
    """The lecturer's calendar (RFC 5545), at a secret URL that calendar applications subscribe to."""
    lecturer = services.lecturer_by_token(token)
    return Response(services.calendar_ics(lecturer), mimetype="text/calendar",
                    headers={"Content-Disposition": "inline; filename=schedule.ics", "Cache-Control": "private, max-age=300"})


def _record_lecturer(lecturer_id):
    lecturer = services.get_lecturer(lecturer_id)
    if not permissions.can_view_lecture_record(current_user, lecturer.id):
        abort(403)
    return lecturer


def _year():
    year = request.args.get("year", type=int) or clock.local_today().year
    return min(max(year, 2000), 2100)


@bp.get("/lecturers/<id:lecturer_id>/record")
@login_required
def record(lecturer_id):
    """A lecturer's lecture record for a year: sessions and hours per month."""
    return render_template("lecturers/record.html",
                           record=services.lecture_record_page(_record_lecturer(lecturer_id), _year()))


@bp.get("/lecturers/<id:lecturer_id>/record.<any(csv, xlsx):fmt>")
@login_required
def record_export(lecturer_id, fmt):
    """The lecture record as CSV (UTF-8 with BOM) or XLSX."""
    record = services.lecture_record_page(_record_lecturer(lecturer_id), _year())
    name, year = record.lecturer.name, record.year
    return exports.download(fmt, f"授课记录-{name}-{year}年", f"{name} {year} 年授课记录", "授课记录",
                            services.RECORD_HEADER, record.table(), total=True)


@bp.post("/bookings/<id:booking_id>/lecturer")
@login_required
def assign(booking_id):
    """The manager invites a lecturer to a booking."""
    booking = get_visible(current_user, booking_id)
    raw = request.form.get("lecturer_id", "")
    on_refusal(redirect_to=url_for("reservations.detail", booking_id=booking.id) + "#lecturer")
    services.invite(current_user, booking, int(raw) if raw.isdigit() and len(raw) < 10 else None)
    lecturer = booking.lecturer
    flash(f"已邀请 {lecturer.name}，" + ("等待讲师在系统中确认。" if services.can_answer_in_system(lecturer)
                                       else "该讲师没有账号，请电话联系后在此登记答复。"), "success")
    return redirect(url_for("reservations.detail", booking_id=booking.id) + "#lecturer")


@bp.post("/bookings/<id:booking_id>/lecturer/phone-answer")
@login_required
def phone_answer(booking_id):
    """The manager records the answer an invited lecturer gave by phone."""
    booking = get_visible(current_user, booking_id)
    back = url_for("reservations.detail", booking_id=booking.id) + "#lecturer"
    on_refusal(redirect_to=back)
    accept = request.form.get("answer") == "accept"
    services.record_phone_answer(current_user, booking, accept, request.form.get("note", ""))
    flash(f"已登记：{booking.lecturer.name}{'接受' if accept else '婉拒'}了邀请。", "success")
    return redirect(back)


@bp.post("/bookings/<id:booking_id>/lecturer/withdraw")
@login_required
def withdraw(booking_id):
    """The accepted lecturer withdraws from the session, with a reason."""
    booking = get_visible(current_user, booking_id)
    on_refusal(redirect_to=url_for("reservations.detail", booking_id=booking.id))
    services.withdraw(current_user, booking, request.form.get("reason", ""))
    flash("已退出这场授课，基地管理员会另行安排。", "success")
    return redirect(url_for(".schedule"))


@bp.app_template_global()
def lecturer_channel(lecturer) -> str:
    """How the lecturer's answer reaches the base, in the words the booking page shows."""
    return services.answer_channel(lecturer)
