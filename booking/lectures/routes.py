"""Pages of open lectures (讲习活动): the district's lecture calendar every role reaches, a lecture with its branches
and seats, a base manager's form to announce one and to cancel it, the lecturer's answer. Thin adapters over
booking.lectures.services."""
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking import clock, permissions
from booking.lectures import forms, services
from booking.web.errors import on_refusal
from booking.web.views import arg_id, paginate
from models import CATEGORIES, Base, db
from models.base import WEEKDAYS

bp = Blueprint("lectures", __name__)


def _month(raw) -> tuple[date | None, date | None, str]:
    """A month asked for as YYYY-MM: its first and last day; anything else: from today on."""
    text = (raw or "").strip()
    try:
        first = date(int(text[:4]), int(text[5:7]), 1) if len(text) == 7 and text[4] == "-" else None
    except ValueError:
        first = None
    if first is None:
        return clock.local_today(), None, ""
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1), text


@bp.get("/lectures")
@login_required
def calendar():
    """讲习日历: the district's published lectures, soonest first, by base, course category and month."""
    start, end, month = _month(request.args.get("month"))
    base_id = arg_id("base_id")
    category = request.args.get("category") if request.args.get("category") in CATEGORIES else None
    page = paginate(services.calendar_query(start, end, base_id, category), per_page=20)
    return render_template("lectures/calendar.html", page=page, seats=services.seats(page.items), month=month,
                           held=services.held_by(getattr(current_user, "branch_id", None), page.items),
                           base_id=base_id, category=category, categories=CATEGORIES,
                           bases=db.session.scalars(db.select(Base).where(Base.active.is_(True)).order_by(Base.id)).all(),
                           may_publish=permissions.works_for_bases(current_user))


@bp.route("/lectures/new", methods=["GET", "POST"])
@login_required
def new():
    """A base's manager announces a lecture in one slot of a menu item, with its lecturer."""
    if not permissions.works_for_bases(current_user):
        abort(403)
    form = forms.LectureForm()
    form.menu_item_id.choices = [(i.id, f"{i.base.name} · {i.title}") for i in services.publishable_items(current_user)]
    chosen = form.menu_item_id.data or (form.menu_item_id.choices[0][0] if form.menu_item_id.choices else None)
    form.start.choices = [(f"{clock.local(s.start):%Y-%m-%dT%H:%M}", _slot_label(s))
                          for s in services.slot_choices(chosen)]
    if request.form.get("suggest") and form.start.data not in dict(form.start.choices):
        form.start.data = None  # a slot of the item chosen before: this item's slots are listed afresh
    try:
        start = clock.parse_datetime(form.start.data) if form.start.data else None
    except ValueError:
        start = None
    # Ranked as a booking's suggestions once the item and the time are chosen (推荐讲师), the reasons beside.
    ranked = services.suggestions(chosen, start)
    form.lecturer_id.choices = [(x.lecturer.id, f"{x.lecturer.name}（{'；'.join(x.reasons[:2])}）") for x in ranked]
    if request.form.get("suggest"):  # only the suggestions asked for: the form again, nothing published
        return render_template("lectures/new.html", form=form, ranked=start is not None)
    if form.validate_on_submit():
        on_refusal("lectures/new.html", fields=form, status=422, form=form, ranked=start is not None)
        lecture = services.publish(current_user, menu_item_id=form.menu_item_id.data, start=start,
                                   lecturer_id=form.lecturer_id.data, topic=form.topic.data)
        flash("讲习活动已发布，已向讲师发出授课邀请；各支部可在讲习日历中预约座位。", "success")
        return redirect(url_for(".detail", lecture_id=lecture.id))
    return render_template("lectures/new.html", form=form, ranked=start is not None), 422 if form.errors else 200


def _slot_label(slot) -> str:
    """A slot as the publish form lists it: 12月10日 周四 09:00–11:00（余 60 座）."""
    start = clock.local(slot.start)
    return (f"{start:%m月%d日} {WEEKDAYS[start.weekday()]} {start:%H:%M}–{clock.local(slot.end):%H:%M}"
            f"（余 {slot.remaining} 座）")


@bp.get("/lectures/<id:lecture_id>")
@login_required
def detail(lecture_id):
    """One lecture: when, where, who speaks, seats left; its branches for the base's manager; the lecturer's answer."""
    lecture = services.get(lecture_id)
    manages = permissions.manages_base(current_user, lecture.base_id)
    return render_template("lectures/detail.html", x=lecture, seats=services.seats([lecture])[lecture.id],
                           manages=manages, bookings=services.slot_bookings(lecture) if manages else [],
                           held=services.held_by(getattr(current_user, "branch_id", None), [lecture]),
                           # another lecturer after a decline: ranked as on the publish form, the busy left out
                           pool=services.suggestions(lecture.menu_item_id, lecture.starts_at) if manages else [],
                           invited=current_user.role == "lecturer" and current_user.lecturer_id == lecture.lecturer_id,
                           now=clock.now())


def _act(lecture_id, action, success: str):
    """Do a lecture's action from its page and go back there (a refusal flashed there)."""
    lecture = services.get(lecture_id)
    on_refusal(redirect_to=url_for(".detail", lecture_id=lecture.id))
    lecture = action(lecture)
    flash(success.format(lecturer=lecture.lecturer.name), "success")
    return redirect(url_for(".detail", lecture_id=lecture.id))


def _lecturer_id():
    raw = (request.form.get("lecturer_id") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw


@bp.post("/lectures/<id:lecture_id>/lecturer")
@login_required
def invite(lecture_id):
    """Its base's manager invites another lecturer after a decline."""
    return _act(lecture_id, lambda x: services.invite(current_user, x, _lecturer_id()), "已向{lecturer}发出授课邀请。")


@bp.post("/lectures/<id:lecture_id>/cancel")
@login_required
def cancel(lecture_id):
    return _act(lecture_id, lambda x: services.cancel(current_user, x, request.form.get("reason", "")),
                "讲习活动已取消，该场次的预约已全部取消并通知各支部。")


@bp.post("/lectures/<id:lecture_id>/accept")
@login_required
def accept(lecture_id):
    return _act(lecture_id, lambda x: services.accept(current_user, x), "已接受授课邀请。")


@bp.post("/lectures/<id:lecture_id>/decline")
@login_required
def decline(lecture_id):
    return _act(lecture_id, lambda x: services.decline(current_user, x, request.form.get("reason", "")),
                "已婉拒授课邀请，基地管理员会另行安排。")
