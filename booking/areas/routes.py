"""The area administrator's landing page (the street's day); an admin opens any area's."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from booking import permissions
from booking.areas import day, services

bp = Blueprint("areas", __name__, url_prefix="/area")


@bp.get("/")
@login_required
def index():
    """Idle branches this quarter, visits this month against last year, what waits at its bases, study hours."""
    if not permissions.keeps_branches(current_user):
        abort(403)
    page = day.street_day(current_user, services.asked(request.args.get("area_id")))
    return render_template("areas/day.html", day=page)
