"""Report pages: the summary with its charts and Word document, the watch list, and the big screen."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking import clock, permissions
from booking.areas import services as areas
from booking.documents import exports
from booking.errors import ValidationFailed
from booking.web.errors import on_refusal
from booking.forms import Form
from booking.reports import documents, screen, services
from booking.requests import services as lecture_requests
from booking.web.views import paginate

bp = Blueprint("reports", __name__)


def _dates():
    """The period asked for (None for either end: the default); a bad date is a refusal with a message."""
    out = []
    for name in ("from", "to"):
        raw = (request.args.get(name) or "").strip()
        try:
            out.append(clock.parse_date(raw) if raw else None)
        except ValueError:
            raise ValidationFailed({name: "日期应为 YYYY-MM-DD 格式。"}) from None
    return out


def _only_report_readers():
    if not permissions.reads_reports(current_user):
        abort(403)


def _area_id():
    """The area asked for (`area_id`), for an admin any and for an area administrator its own and below."""
    return areas.asked(request.args.get("area_id"))


@bp.get("/reports/")
@login_required
def index():
    """The period's figures beside the same period a year earlier, with charts and the Word document."""
    _only_report_readers()
    on_refusal("reports/index.html", status=422, more=lambda: {"now": None, "before": None, "start": None, "end": None,
                                                                "area_choices": areas.choices(current_user)})
    start, end = _dates()
    report = services.report_page(current_user, start, end, _area_id())
    return render_template("reports/index.html", now=report.now, before=report.before, start=report.now.start,
                           end=report.now.end, watch=report.watch, change=services.change_text,
                           sectors=report.sectors, may_set_up_screen=report.may_set_up_screen,
                           # the document's sentences: reports.documents builds on reports.services, not under it
                           sentences=documents.sentences(report.now, report.before),
                           area_choices=areas.choices(current_user), area_id=_area_id())


@bp.get("/reports/summary.docx")
@login_required
def summary_docx():
    """The report's Word document."""
    _only_report_readers()
    start, end = _dates()
    now, before = services.with_year_earlier(current_user, start, end, _area_id())
    return exports.attachment(documents.summary_docx(now, before), documents.DOCX_MIME, documents.file_name(now))


@bp.get("/reports/watch")
@login_required
def watch():
    """The watch list: idle branches (the district), idle bases, requests waiting over two days, busy lecturers,
    lecture requests waiting over three days (the district)."""
    _only_report_readers()
    on_refusal(redirect_to=url_for(".watch"))
    page = services.watch_page(current_user, *_dates(), _area_id())
    idle = paginate(page.idle_branches, per_page=30) if page.idle_branches is not None else None
    last = services.last_activities([b.id for b in idle.items]) if idle else {}
    return render_template("reports/watch.html", watch=page.watch, idle=idle, last=last, start=page.start, end=page.end,
                           stale_days=services.STALE_PENDING_DAYS, waiting_days=lecture_requests.WAITING_DAYS,
                           area_choices=areas.choices(current_user), area_id=_area_id())


@bp.route("/reports/screen", methods=["GET", "POST"])
@login_required
def screen_link():
    """The admin sets up (or renews, or stops) the big screen's read-only link: the district's, or one per area (an
    area administrator its own area's)."""
    if not permissions.keeps_branches(current_user):
        abort(403)
    area = screen.screen_area(current_user, _area_id())
    where = area.id if area is not None else None
    token = None
    if request.method == "POST":
        if not Form().validate_on_submit():  # the CSRF token
            abort(400)
        if request.form.get("action") == "revoke":
            screen.revoke(current_user, area_id=where)
            flash("数据大屏链接已停用。", "success")
            return redirect(url_for(".screen_link", area_id=where))
        token = screen.renew(current_user, area_id=where)
    return render_template("reports/screen_link.html", link=screen.current(where), token=token, area=area,
                           area_choices=areas.choices(current_user), area_id=where)


@bp.get("/screen/<token>")
def screen_page(token):
    """The big screen: no login, no cookie; it refreshes its figures by itself."""
    link = screen.link_of(token)
    if link is None:
        abort(404)
    return render_template("reports/screen.html", token=token, data=screen.figures(area_id=link.area_id))


@bp.get("/screen/<token>/data.json")
def screen_data(token):
    """The screen's figures, fetched again every minute."""
    link = screen.link_of(token)
    if link is None:
        abort(404)
    return screen.figures(area_id=link.area_id)
