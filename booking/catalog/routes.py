"""Catalogue pages: browse bases, a base's menu, a menu item's days and slots."""
from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from booking import clock, permissions
from booking.catalog import services
from booking.lectures import services as lectures
from booking.reservations import services as reservations, shares
from booking.web.views import paginate
from models import BASE_TYPES

bp = Blueprint("catalog", __name__)


@bp.get("/bases")
@login_required
def index():
    """Browse bases, filter by type, search by name."""
    type_ = request.args.get("type") or None
    if type_ not in BASE_TYPES:
        type_ = None
    q = (request.args.get("q") or "").strip()[:100]
    page = paginate(services.bases_query(type_, q), per_page=12, max_per_page=12)
    counts = services.base_counts([b.id for b in page.items])
    # A branch's secretary lands here: the next open lectures (讲习活动) it may send members to come first.
    coming = lectures.coming(3) if getattr(current_user, "role", None) == "secretary" and not q and not type_ else []
    return render_template("catalog/index.html", page=page, counts=counts, type_=type_, q=q, coming=coming,
                           coming_seats=lectures.seats(coming))


@bp.get("/bases/<id:base_id>")
@login_required
def base(base_id):
    """A base: its description, rules, venues and menu."""
    base = services.get_base(base_id)
    share_left = shares.left(current_user.branch_id, base) if permissions.can_book_online(current_user) else None
    return render_template("catalog/base.html", base=base, hours=services.opening_hours(base.id),
                           editable=permissions.can_edit_base(current_user, base),
                           closures=services.upcoming_closures(base.id, clock.local_today()), share_left=share_left,
                           none_online=shares.none_online(base))


@bp.get("/menu-items/<id:item_id>")
@login_required
def menu_item(item_id):
    """A menu item: a calendar of the coming days with room, and the chosen day's slots."""
    return render_template("catalog/menu_item.html", **reservations.slot_picker(
        current_user, item_id, _date_arg("date"), _date_arg("from"), clock.now()))


def _date_arg(name: str) -> date | None:
    try:
        return clock.parse_date(request.args.get(name, ""))
    except ValueError:
        return None
