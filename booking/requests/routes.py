"""Lecture request pages: the branch orders and follows its requests, the dispatcher's queue, the lecturer answers."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking import clock
from booking.web.errors import on_refusal
from booking.requests import services
from booking.requests.forms import DispatchForm, RequestForm
from booking.web.views import paginate

bp = Blueprint("requests", __name__)


@bp.get("/requests")
@login_required
def index():
    """The requests the reader may see, newest first, each with what happens next."""
    page = paginate(services.visible_query(current_user, request.args.get("status") or None), per_page=20)
    return render_template("requests/list.html", page=page, next_step=services.next_step,
                           dispatcher=services.is_dispatcher(current_user))


@bp.get("/requests/queue")
@login_required
def queue():
    """The dispatcher's queue: submitted requests, oldest first."""
    page = paginate(services.queue_query(current_user), per_page=20)
    return render_template("requests/queue.html", page=page)


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new():
    """A secretary orders a lecture for the branch."""
    form = RequestForm()
    page = services.new_request_page(current_user)
    if request.method == "GET":
        for name, value in page["defaults"].items():
            getattr(form, name).data = value
    if form.validate_on_submit():
        on_refusal("requests/new.html", fields=form, form=form, **page)
        made = services.submit(current_user, topic=form.topic.data, category=form.category.data or None,
                               first=form.first.data, last=form.last.data, address=form.address.data,
                               headcount=form.headcount.data, contact_name=form.contact_name.data,
                               contact_phone=form.contact_phone.data, activity_type=form.activity_type.data,
                               note=form.note.data)
        flash("点单已提交，区里安排讲师后会通知您。", "success")
        return redirect(url_for(".detail", request_id=made.id))
    return render_template("requests/new.html", form=form, **page), 422 if request.method == "POST" else 200


@bp.get("/requests/<id:request_id>")
@login_required
def detail(request_id):
    """One request: its state, history and what the reader may do."""
    start = clock.parse_datetime(request.args["start"]) if _valid_start(request.args.get("start")) else None
    page = services.request_page(current_user, request_id, start)
    form = DispatchForm(formdata=None)
    form.lecturer_id.choices = [(s.lecturer.id, s.lecturer.name) for s in page["suggestions"]]
    if start:
        form.start.data = clock.local(start).replace(tzinfo=None)
    return render_template("requests/detail.html", form=form, **page)


def _valid_start(value) -> bool:
    try:
        return bool(value) and clock.parse_datetime(value) is not None
    except ValueError:
        return False


@bp.post("/requests/<id:request_id>/dispatch")
@login_required
def dispatch(request_id):
    """A dispatcher sends a lecturer."""
    found = services.get_visible(current_user, request_id)
    form = DispatchForm()
    on_refusal(redirect_to=url_for(".detail", request_id=request_id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "danger")
        return redirect(url_for(".detail", request_id=request_id))
    start = clock.at_local(form.start.data.date(), form.start.data.time())
    services.dispatch(current_user, found, form.lecturer_id.data, start, form.duration_minutes.data)
    flash("已派单，等待讲师接单。", "success")
    return redirect(url_for(".detail", request_id=request_id))


@bp.post("/requests/<id:request_id>/<any(accept, decline, reject, cancel):action>")
@login_required
def answer(request_id, action):
    """The lecturer accepts or declines; a dispatcher rejects; the secretary cancels."""
    found = services.get_visible(current_user, request_id)
    on_refusal(redirect_to=url_for(".detail", request_id=request_id))
    reason = (request.form.get("reason") or "")[:500]
    if action == "accept":
        services.accept(current_user, found)
        flash("已接单，活动已加入您的日程。", "success")
    elif action == "decline":
        services.decline(current_user, found, reason)
        flash("已婉拒，点单回到待派单。", "success")
    elif action == "reject":
        services.reject(current_user, found, reason)
        flash("已退回点单，支部会收到原因。", "success")
    else:
        services.cancel(current_user, found, reason)
        flash("点单已取消。", "success")
    return redirect(url_for(".detail", request_id=request_id))
