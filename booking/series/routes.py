"""Pages of standing monthly bookings (固定预约), over booking.series.services. (The holiday calendar's pages are the
administrator's, in booking.admin.)"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking import clock, permissions
from booking.web.views import arg_id
from booking.series import services as series
from booking.catalog.services import get_menu_item
from booking.web.errors import on_refusal
from booking.forms import Form
from models import ACTIVITY_TYPES
from models.base import WEEKDAYS
from models.series import SERIES_WEEKS
from models.series import SKIP_REASONS

bp = Blueprint("series", __name__)


class SeriesForm(Form):
    week_of_month = SelectField("每月第几个", coerce=int, choices=list(SERIES_WEEKS.items()))
    weekday = SelectField("星期", coerce=int, choices=[(n, w.replace("周", "星期")) for n, w in enumerate(WEEKDAYS)], default=4)
    time = SelectField("场次", validate_choice=False)
    first = DateField("开始日期", validators=[InputRequired("请选择开始日期。")])
    last = DateField("截止日期", validators=[InputRequired("请选择截止日期。")], description="最长 12 个月")
    headcount = IntegerField("参加人数", validators=[InputRequired("请填写参加人数。"), NumberRange(1, 100000)])
    contact_name = StringField("联系人", validators=[InputRequired("请填写联系人。"), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[InputRequired("请填写联系电话。"), Length(max=30)],
                                render_kw={"type": "tel", "autocomplete": "tel"})
    activity_type = SelectField("活动类型", choices=list(ACTIVITY_TYPES.items()), default="theme_day")
    topic = StringField("活动主题", validators=[Optional(), Length(max=200)])


@bp.route("/series/new", methods=["GET", "POST"])
@login_required
def new():
    """Set up a standing monthly booking: the rule, a preview of every date, then saving."""
    if not permissions.can_book_online(current_user):
        abort(403)
    item = get_menu_item(arg_id("item_id") or 0)
    form = SeriesForm()
    form.time.choices = [(f"{t:%H:%M}",) * 2 for t in series.slot_times(item)]
    if request.method == "GET":
        for name, value in series.form_defaults(current_user, item).items():
            form[name].data = value
    page = dict(item=item, form=form, occurrences=None, unknown=[])
    if form.validate_on_submit():
        on_refusal("series/new.html", fields=form, status=422, **page)
        spec = series.check(current_user, menu_item_id=item.id, weekday=form.weekday.data,
                            week_of_month=form.week_of_month.data, time_text=form.time.data, first=form.first.data,
                            last=form.last.data, headcount=form.headcount.data, contact_name=form.contact_name.data,
                            contact_phone=form.contact_phone.data, topic=form.topic.data or "",
                            activity_type=form.activity_type.data)
        if request.form.get("save") == "1":
            made = series.create(current_user, spec)
            flash(f"固定预约已设置：已预约 {series.booked_count(made)} 次，其余日期进入可预约期时自动预约。", "success")
            return redirect(url_for(".detail", series_id=made.id))
        occurrences, unknown = series.preview(spec)
        return render_template("series/new.html", **{**page, "occurrences": occurrences, "unknown": unknown})
    return render_template("series/new.html", **page), 422 if form.errors else 200


@bp.get("/series")
@login_required
def mine():
    """The branch's standing bookings."""
    if not permissions.can_book_online(current_user):
        abort(403)
    return render_template("series/list.html", items=series.for_branch(current_user.branch_id))


@bp.get("/series/<id:series_id>")
@login_required
def detail(series_id):
    """A series: each date and what became of it; cancel the rest; (a manager) approve what is pending."""
    return render_template("series/detail.html", detail=series.series_page(current_user, series_id))


@bp.post("/series/<id:series_id>/cancel")
@login_required
def cancel(series_id):
    """Cancel from a date on, as far as each booking's rules allow."""
    s = series.get_visible(current_user, series_id)
    on_refusal(redirect_to=url_for(".detail", series_id=s.id))
    try:
        first = clock.parse_date(request.form.get("from", "")) if request.form.get("from") else None
    except ValueError:
        first = None
    result = series.cancel(current_user, s, request.form.get("reason", ""), first)
    flash(f"已取消 {len(result.cancelled)} 个预约，后续日期不再自动预约。", "success")
    for booking, why in result.kept:
        flash(f"{clock.when(booking.starts_at)} 的预约未取消：{why}", "warning")
    return redirect(url_for(".detail", series_id=s.id))


@bp.post("/series/<id:series_id>/approve")
@login_required
def approve(series_id):
    """The base's manager approves every pending occurrence at once."""
    s = series.get_visible(current_user, series_id)
    on_refusal(redirect_to=url_for(".detail", series_id=s.id))
    flash(f"已通过 {series.approve_pending(current_user, s)} 个预约。", "success")
    return redirect(url_for(".detail", series_id=s.id))


@bp.app_context_processor
def series_words():
    """The words the series pages use."""
    return {"SKIP_REASONS": SKIP_REASONS}
