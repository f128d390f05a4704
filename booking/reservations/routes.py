"""Booking pages: book a slot, a booking's page with its code and QR code, lists, the manager's queue and week."""
from datetime import datetime

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from booking import clock, permissions
from booking.web.errors import local_path, on_refusal
from booking.notify import services as notify
from booking.reservations import lifecycle, own, partners, records, services, states, waitlist
from booking.reservations.forms import BookingForm, ChangeForm, OwnActivityForm, ReasonForm
from booking.web.views import arg_id, nav_counter, paginate
from models import WAIT_STATUSES
from models.booking import STATUS_LABELS

bp = Blueprint("reservations", __name__)


@nav_counter
def _pending_for_nav(user):
    return {"to_decide": services.pending_count(user)}


def _parse_start(value: str | None) -> datetime | None:
    try:
        return clock.parse_datetime(value or "")
    except ValueError:
        return None


def _group_limits(form, item) -> None:
    """The headcount field offers the item's own group size (the service checks it again)."""
    form.headcount.render_kw = {"min": 1, "max": item.max_group, "inputmode": "numeric"}
    form.headcount.description = f"每批 {item.min_group}–{item.max_group} 人"


@bp.route("/bookings/new", methods=["GET", "POST"])
@login_required
def new():
    """Book a slot: a secretary for their branch, a manager for a branch found by the search box."""
    start = _parse_start(request.args.get("start"))
    page = services.new_booking_page(current_user, arg_id("item_id") or 0, start,
                                     (request.args.get("q") or "").strip()[:60], clock.now())
    if not page["may_book"]:
        abort(403)
    item, offline = page["item"], page["offline"]
    if start is None:
        return redirect(url_for("catalog.menu_item", item_id=item.id))
    form = page["form"] = BookingForm()
    _group_limits(form, item)
    form.headcount.description += "；人数不足时可邀请共建支部，合计计算"
    form.partners.choices = [(0, "不邀请")] + [(b.id, f"{b.organization.name} · {b.name}") for b in page["invitable"]]
    if offline:
        # Nothing chosen until the manager chooses: a wrong branch is never one tap away.
        form.branch_id.choices = [(0, "请选择党支部")] + [(b.id, f"{b.organization.name} · {b.name}")
                                                         for b in page["branches"]]
    else:
        form.branch_id.choices = [(current_user.branch_id, current_user.branch.name)]
        if request.method == "GET":
            form.contact_name.data = form.contact_name.data or current_user.display_name.split("（")[0]
            form.contact_phone.data = form.contact_phone.data or (current_user.phone or "")
    if form.validate_on_submit() and request.form.get("waitlist") and not offline:
        on_refusal("reservations/new.html", fields=form, **page)
        entry = waitlist.join(current_user, menu_item_id=item.id, start=start, headcount=form.headcount.data,
                              contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                              topic=form.topic.data, activity_type=form.activity_type.data)
        flash(f"已加入候补，当前排第 {waitlist.position(entry)} 位。有名额释放时会自动为本支部预约并通知您。", "success")
        return redirect(url_for(".waitlist_mine"))
    if form.validate_on_submit():
        on_refusal("reservations/new.html", fields=form, **page)
        booking = records.create_booking(
            current_user, menu_item_id=item.id, start=start, headcount=form.headcount.data,
            contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            topic=form.topic.data, note=form.note.data, branch_id=form.branch_id.data if offline else None,
            activity_type=form.activity_type.data, partners=form.wanted_partners())
        flash("预约已提交，请等待基地审核。" if booking.status == states.PENDING else "预约成功。", "success")
        return redirect(url_for(".detail", booking_id=booking.id))
    return render_template("reservations/new.html", **page), 422 if request.method == "POST" else 200


@bp.route("/bookings/own/new", methods=["GET", "POST"])
@login_required
def own_new():
    """A secretary records an activity at the branch's own place: planned ahead, or afterwards."""
    page = own.new_page(current_user, clock.now())
    form = OwnActivityForm()
    if request.method == "GET":
        form.process(data=page["defaults"])
    if form.validate_on_submit():
        on_refusal("reservations/own.html", fields=form, form=form, b=None, **page)
        booking = own.create(current_user, **form.values())
        flash("已登记。活动开始后可在此登记出席人数、参加人员和活动记录。", "success")
        return redirect(url_for(".detail", booking_id=booking.id))
    return render_template("reservations/own.html", form=form, b=None, **page), 422 if request.method == "POST" else 200


@bp.get("/bookings/<id:booking_id>")
@login_required
def detail(booking_id):
    """One booking: status, check-in code and QR code for its branch, history, and the actions allowed."""
    page = services.booking_page(current_user, booking_id, clock.now())
    target, code = page.pop("qr_target"), page["b"].code
    qr = Markup(segno.make(target, error="m").svg_inline(scale=4, border=2, title=f"签到码 {code}")) if target else None
    return render_template("reservations/detail.html", qr=qr, reason_form=ReasonForm(formdata=None), **page)


@bp.route("/bookings/<id:booking_id>/edit", methods=["GET", "POST"])
@login_required
def edit(booking_id):
    """Change a booking's headcount, contact, topic or note (places taken or given back at once)."""
    booking = services.get_visible(current_user, booking_id)
    lifecycle.require(lifecycle.can_change(current_user, booking, clock.now()))
    if booking.at_own_place:
        return _edit_own(booking)
    form = ChangeForm(obj=booking)
    _group_limits(form, booking.menu_item)
    if form.validate_on_submit():
        on_refusal("reservations/edit.html", fields=form, b=booking, form=form)
        services.change_booking(current_user, booking, **{name: form[name].data for name in services.CHANGEABLE})
        flash("预约已修改。", "success")
        return redirect(url_for(".detail", booking_id=booking.id))
    return render_template("reservations/edit.html", b=booking, form=form), 422 if request.method == "POST" else 200


def _edit_own(booking):
    """Change an own activity: its time, place and the rest, on the form it was recorded with."""
    form = OwnActivityForm()
    if booking.source == "request":  # the dispatcher's and the lecturer's time
        for name in ("day", "start", "end"):
            form[name].render_kw = {"readonly": True}
    if request.method == "GET":
        form.process(data=own.form_values(booking))
    if form.validate_on_submit():
        on_refusal("reservations/own.html", fields=form, form=form, b=booking, branch=booking.branch)
        services.change_booking(current_user, booking, **form.values())
        flash("已保存修改。", "success")
        return redirect(url_for(".detail", booking_id=booking.id))
    return (render_template("reservations/own.html", form=form, b=booking, branch=booking.branch),
            422 if request.method == "POST" else 200)


def _act(booking_id, action, done: str):
    """Do a decision on the booking and say what was done (`done` names it: 已通过, 已驳回, 已取消)."""
    booking = services.get_visible(current_user, booking_id)
    back = local_path(request.form.get("next"), url_for(".detail", booking_id=booking.id))
    form = ReasonForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for m in errors:
                flash(m, "danger")
        return redirect(url_for(".detail", booking_id=booking.id))
    on_refusal(redirect_to=back)
    action(booking, form.reason.data)
    # Who was told: the base's managers when the branch itself acted (cancelling its own booking), else the branch.
    told = "已通知基地管理员" if permissions.is_bookings_branch(current_user, booking) else "已通知预约支部"
    flash(f"{done}：{booking.branch.name} {clock.when(booking.starts_at)} {booking.menu_item.title}，{told}。", "success")
    return redirect(back)


@bp.post("/bookings/<id:booking_id>/activity-type")
@login_required
def activity_type(booking_id):
    """Correct the activity's type (the ledger follows)."""
    booking = services.get_visible(current_user, booking_id)
    on_refusal(redirect_to=url_for(".detail", booking_id=booking.id))
    services.set_activity_type(current_user, booking, request.form.get("activity_type", ""))
    flash(f"活动类型已改为“{booking.activity_type_label}”，组织生活台账随之更新。", "success")
    return redirect(url_for(".detail", booking_id=booking.id))


@bp.post("/bookings/<id:booking_id>/approve")
@login_required
def approve(booking_id):
    """Approve with one click."""
    return _act(booking_id, lambda b, _r: services.approve_booking(current_user, b), "已通过")


@bp.post("/bookings/<id:booking_id>/reject")
@login_required
def reject(booking_id):
    """Reject with a required reason."""
    return _act(booking_id, lambda b, r: services.reject_booking(current_user, b, r), "已驳回")


@bp.post("/bookings/<id:booking_id>/cancel")
@login_required
def cancel(booking_id):
    """Cancel with a reason."""
    return _act(booking_id, lambda b, r: services.cancel_booking(current_user, b, r), "已取消")


# -- joint bookings --------------------------------------------------------------------------------

def _partner_act(booking_id, action, done: str):
    """A partner move from the booking's page, saying what was done (`done` may name the partner: {branch},
    {headcount}); a refusal comes back to the partners' section with its message."""
    booking = services.get_visible(current_user, booking_id)
    back = url_for(".detail", booking_id=booking.id) + "#partners-h"
    on_refusal(redirect_to=back)
    part = action(booking)
    flash(done.format(branch=part.branch.name, headcount=part.headcount), "success")
    return redirect(back)


def _form_int(name: str):
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.post("/bookings/<id:booking_id>/partners")
@login_required
def invite_partner(booking_id):
    """The host invites a partner branch with its headcount."""
    return _partner_act(booking_id, lambda b: partners.invite(current_user, b, _form_int("branch_id"),
                                                              _form_int("headcount")),
                        "已邀请 {branch}（{headcount} 人），名额已保留，等待对方答复。")


@bp.post("/bookings/<id:booking_id>/partners/accept")
@login_required
def accept_partnership(booking_id):
    """The partner's secretary accepts."""
    return _partner_act(booking_id, lambda b: partners.accept(current_user, b),
                        "已接受共建邀请。请在下方确定本支部的参加人员。")


@bp.post("/bookings/<id:booking_id>/partners/decline")
@login_required
def decline_partnership(booking_id):
    """The partner's secretary declines, with an optional reason."""
    return _partner_act(booking_id, lambda b: partners.decline(current_user, b, request.form.get("reason", "")[:500]),
                        "已婉拒共建邀请，名额已释放，主办支部会收到通知。")


@bp.post("/bookings/<id:booking_id>/partners/<id:branch_id>/withdraw")
@login_required
def withdraw_partner(booking_id, branch_id):
    """The host (or the base) withdraws a partner's invitation."""
    return _partner_act(booking_id, lambda b: partners.withdraw(current_user, b, branch_id,
                                                                request.form.get("reason", "")[:500]),
                        "已撤回对 {branch} 的邀请，{headcount} 个名额已释放，该支部会收到通知。")


# -- the waitlist ----------------------------------------------------------------------------------

@bp.get("/waitlist")
@login_required
def waitlist_mine():
    """A secretary's waitlist entries (a manager's: their bases'), the waiting ones first."""
    if current_user.role not in ("secretary", "manager", "admin"):
        abort(403)
    status = request.args.get("status") if request.args.get("status") in WAIT_STATUSES else None
    waiting, places, rest = services.waitlist_page(current_user, status, clock.now())
    return render_template("reservations/waitlist.html", waiting=waiting, past=paginate(rest, per_page=20),
                           status=status, places=places, status_of=waitlist.status_of)


@bp.post("/waitlist/<id:entry_id>/cancel")
@login_required
def waitlist_cancel(entry_id):
    """The branch leaves the waitlist."""
    entry = waitlist.get_visible(current_user, entry_id)
    on_refusal(redirect_to=url_for(".waitlist_mine"))
    waitlist.cancel(current_user, entry)
    flash(f"已取消候补：{entry.menu_item.title} {clock.when(entry.starts_at)}。", "success")
    return redirect(url_for(".waitlist_mine"))


@bp.get("/bookings")
@login_required
def mine():
    """The bookings I may see: upcoming first, then the past; filtered by status."""
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    upcoming, past = services.my_bookings(current_user, status, clock.now())
    return render_template("reservations/list.html", upcoming=upcoming, past=paginate(past, per_page=20),
                           status=status)


@bp.get("/manage/pending")
@login_required
def pending():
    """The manager's queue of requests waiting for a decision, the soonest visit first."""
    if not permissions.works_for_bases(current_user):
        abort(403)
    page = paginate(services.pending_query(current_user), per_page=30)
    return render_template("reservations/pending.html", page=page, reason_form=ReasonForm(formdata=None),
                           **services.pending_flags(page.items))


@bp.get("/manage/week")
@login_required
def week():
    """A week of one venue: every slot with its occupancy and the bookings in it."""
    if not permissions.works_for_bases(current_user):
        abort(403)
    try:
        first = clock.parse_date(request.args.get("start", ""))
    except ValueError:
        first = clock.local_today()
    return render_template("reservations/week.html", **services.week_page(current_user, arg_id("venue_id"), first))


@bp.get("/notifications")
@login_required
def notifications():
    """My notifications, newest first."""
    page = paginate(notify.notifications_query(current_user), per_page=20)
    return render_template("reservations/notifications.html", page=page)


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def notification_read(notification_id):
    """Mark read and open what it is about: the booking, the standing booking, or the day's visits of a digest."""
    row = notify.mark_read(current_user, notification_id)
    if row.booking_id:
        return redirect(url_for(".detail", booking_id=row.booking_id))
    if row.series_id:
        return redirect(url_for("series.detail", series_id=row.series_id))
    if row.kind == "digest" and current_user.role == "manager":
        return redirect(url_for("visits.today"))
    return redirect(url_for(".notifications"))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all():
    """Mark every notification read."""
    notify.mark_all_read(current_user)
    flash("已全部标为已读。", "success")
    return redirect(url_for(".notifications"))


# The booking pages' own template helpers: what the lifecycle allows the reader, why not, and the reader's part in a
# joint booking (asked per row by the lists).
@bp.app_template_global()
def can(action: str, booking) -> bool:
    """Whether the reader may take the action on the booking now."""
    return lifecycle.allows(action, current_user, booking)


@bp.app_template_global()
def refusal(action: str, booking) -> str | None:
    """Why the reader may not take the action now (None when they may)."""
    return lifecycle.refusal(action, current_user, booking)


@bp.app_template_global()
def my_part(booking):
    """The reader's branch's part in a joint booking it was invited to (None for the host or anyone else)."""
    return permissions.partner_part(current_user, booking)
