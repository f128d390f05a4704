"""Catalogue pages: browse bases, a base's menu, a menu item's days and slots."""
from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from booking import clock, permissions
from booking.catalog import services
from booking.reservations import shares, waitlist
from booking.web.views import paginate
from models import BASE_TYPES

bp = Blueprint("catalog", __name__)
CALENDAR_PAGE = 28  # days of the booking calendar shown at once


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
    return render_template("catalog/index.html", page=page, counts=counts, type_=type_, q=q)


@bp.get("/bases/<id:base_id>")
@login_required
def base(base_id):
    """A base: its description, rules, venues and menu."""
    base = services.get_base(base_id)
    share_left = shares.left(current_user.branch_id, base) if permissions.can_book_online(current_user) else None
    return render_template("catalog/base.html", base=base, hours=services.opening_hours(base.id),
                           closures=services.upcoming_closures(base.id, clock.local_today()), share_left=share_left,
                           none_online=shares.none_online(base))


@bp.get("/menu-items/<id:item_id>")
@login_required
def menu_item(item_id):
    """A menu item: a calendar of the coming days with room, and the chosen day's slots."""
    item = services.get_menu_item(item_id)
    today = clock.local_today()
    # The base's own manager also records walk-ins and calls for later today: their grid starts today.
    offline = permissions.can_record_offline(current_user, item.base_id)
    soonest = 0 if offline else item.base.min_advance_days
    try:
        day = clock.parse_date(request.args.get("date", ""))
    except ValueError:
        day = today + timedelta(days=max(soonest, 0))
    # The whole booking window, four weeks a page; the page holding the chosen day unless ?from= says otherwise.
    first = today + timedelta(days=soonest)
    window = max(item.base.max_advance_days - soonest + 1, 0)
    pages = max((window + CALENDAR_PAGE - 1) // CALENDAR_PAGE, 1)
    try:
        shown_from = clock.parse_date(request.args.get("from", ""))
    except ValueError:
        shown_from = day
    number = min(max((shown_from - first).days // CALENDAR_PAGE, 0), pages - 1)
    page_first = first + timedelta(days=number * CALENDAR_PAGE)
    days = services.calendar_days(item, page_first, max(min(CALENDAR_PAGE, window - number * CALENDAR_PAGE), 0),
                                  offline=offline)
    calendar = {"number": number + 1, "pages": pages,
                "previous": page_first - timedelta(days=CALENDAR_PAGE) if number > 0 else None,
                "next": page_first + timedelta(days=CALENDAR_PAGE) if number + 1 < pages else None,
                "last_day": first + timedelta(days=window - 1) if window else None}
    slots = services.availability(item, day, offline=offline)
    shown = next((d for d in days if d["date"] == day), None)
    # The day's closure as the grid already read it, or (a day beyond the grid) read now.
    closed_reason = shown["closed_reason"] if shown else services.closed_days(item.base_id, item.venue_id, day, day).get(day)
    blocked_until = None
    mine = {}
    if current_user.role == "secretary" and current_user.branch_id:
        from booking.reservations.services import branch_bookings_on
        mine = branch_bookings_on(current_user.branch_id, item.venue_id, day)
        from booking.reservations.lifecycle import no_show_block
        blocked_until = no_show_block(current_user.branch_id, today)
    # Full slots inside the window can be waited for; the branch's own places in their queues.
    now = clock.now()
    waitable = {s.start for s in slots if not s.bookable and s.remaining < item.min_group and services.in_booking_window(
        offline=False, min_days=item.base.min_advance_days, max_days=item.base.max_advance_days, start=s.start, now=now)}
    waiting = waitlist.branch_positions(current_user.branch_id, item.venue_id, day) if mine is not None and \
        current_user.role == "secretary" else {}
    return render_template("catalog/menu_item.html", item=item, base=item.base, day=day, days=days, slots=slots,
                           blocked_until=blocked_until, closed_reason=closed_reason, mine=mine, calendar=calendar,
                           waitable=waitable, waiting=waiting)
