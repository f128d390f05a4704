"""The statistics dashboard and its exports."""
from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from booking import clock
from booking.areas import services as areas
from booking.documents import exports
from booking.errors import ValidationFailed
from booking.web.errors import on_refusal
from booking.requests import services as lecture_requests
from booking.stats import services

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _params():
    group_by = request.args.get("group_by") if request.args.get("group_by") in _groups() else "month"
    start = end = None
    try:
        start = clock.parse_date(request.args.get("from", "")) if request.args.get("from") else None
        end = clock.parse_date(request.args.get("to", "")) if request.args.get("to") else None
    except ValueError:
        raise ValidationFailed({"from": "日期格式应为 YYYY-MM-DD。"}) from None
    if start is None and end is None:
        today = clock.local_today()
        start, end = today.replace(month=1, day=1), today
    return group_by, start, end


def _reader():
    """Whose figures: the user's, or the area asked for (an admin any, an area administrator its own and below)."""
    return services.reader(current_user, areas.asked(request.args.get("area_id")))


def _groups() -> dict:
    """The groupings the reader is offered: by area for the district's and the areas' readers."""
    return {k: v for k, v in services.GROUPS.items()
            if k != "area" or current_user.role in ("admin", "area_admin")}


def _title(group_by, start, end, reader=None) -> str:
    if reader is not None and reader.role == "area":
        scope = reader.area.name
    else:
        scope = {"admin": "全区", "area_admin": "本属地", "manager": "本基地", "secretary": "本支部",
                 "lecturer": "本人"}[current_user.role]
    period = f"{start or '最早'} 至 {end or '今天'}"
    return f"开放式组织生活基地活动统计（{scope}，按{services.GROUPS[group_by]}，{period}）"


@bp.get("/")
@login_required
def index():
    """Batches and person-times by the chosen grouping and period, with a chart."""
    on_refusal("stats/index.html", more=_no_figures, groups=_groups(), area_choices=areas.choices(current_user),
               status=422)
    group_by, start, end = _params()
    reader = _reader()
    rows, total = services.compute(reader, group_by, start, end, with_idle=True)
    # The district's statistics show beside the base visits what branches ordered (not counted as visits).
    asked = lecture_requests.district_counts(reader, start or date(2000, 1, 1), end or clock.local_today())
    return render_template("stats/index.html", rows=rows, total=total, group_by=group_by, start=start, end=end,
                           groups=_groups(), title=_title(group_by, start, end, reader), asked=asked,
                           area_choices=areas.choices(current_user), area_id=areas.asked(request.args.get("area_id")))


def _no_figures() -> dict:
    """What the page shows beside the message about a bad period: the form, and no figures (figures of another
    period would read as the answer)."""
    return dict(rows=None, total=None, group_by=request.args.get("group_by") if request.args.get("group_by") in
                services.GROUPS else "month", start=None, end=None, title="")


@bp.get("/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt):
    """The same figures as a CSV (UTF-8 with BOM) or XLSX file."""
    group_by, start, end = _params()
    reader = _reader()
    rows, total = services.compute(reader, group_by, start, end, with_idle=True)
    where = f"{reader.area.name}-" if reader.role == "area" else ""
    return exports.download(fmt, f"活动统计-{where}按{services.GROUPS[group_by]}-{start or '最早'}至{end or '今天'}",
                            _title(group_by, start, end, reader),
                            "统计", *services.export_rows(group_by, rows, total), total=True)
