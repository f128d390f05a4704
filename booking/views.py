"""App-wide views and hooks: home, health check, the login loader, template helpers."""
from datetime import datetime

from flask import Blueprint, Flask, abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from booking import clock, permissions
from booking.extensions import login_manager
from booking.notify.services import unread_count
from models import BASE_TYPES, CATEGORIES, ROLES, User, db
from models.base import WEEKDAYS
from models.booking import STATUS_LABELS
from booking.reservations import lifecycle

bp = Blueprint("views", __name__)


class IdConverter(IntegerConverter):
    """A database id in a URL: larger numbers are simply not found (never an overflow)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=0, max=2147483647)


@login_manager.user_loader
def load_user(user_id: str):
    """The logged-in user of the session, if still active."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


@bp.get("/")
def home():
    """Each role starts where its daily work is."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "admin":
        return redirect(url_for("admin.index"))
    if current_user.role == "manager":
        return redirect(url_for("manage.index"))
    return redirect(url_for("catalog.index"))


@bp.get("/healthz")
def healthz():
    """200 when the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return jsonify({"status": "error"}), 503
    return {"status": "ok"}


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    """Register the blueprint, converters, request guards and template helpers."""
    app.register_blueprint(bp)

    @app.before_request
    def refuse_nul():
        # PostgreSQL cannot store NUL characters; refuse them at the door with a 400, never a 500.
        # (JSON bodies are checked field by field by the API's schema.)
        """A NUL character in a form or query is refused with 400."""
        sources = (request.args, request.form) if request.mimetype in FORM_TYPES else (request.args,)
        for values in sources:
            for v in values.values():
                if "\x00" in v:
                    abort(400)

    @app.template_filter("local")
    def local_filter(dt, fmt="%Y-%m-%d %H:%M"):
        """An instant in local time, formatted."""
        return clock.local(dt).strftime(fmt) if dt else ""

    @app.template_filter("weekday")
    def weekday_filter(value):
        """周一…周日 of a date, or of an instant in local time."""
        day = clock.local(value).date() if isinstance(value, datetime) else value
        return WEEKDAYS[day.weekday()]

    @app.context_processor
    def helpers():
        """What every template may use."""
        unread = 0
        if current_user.is_authenticated:
            unread = unread_count(current_user)
        return {"perm": permissions, "life": lifecycle,
                "can": lambda action, booking: lifecycle.allows(action, current_user, booking),
                "has_endpoint": lambda name: name in current_app.view_functions,
                "STATUS_LABELS": STATUS_LABELS, "ROLES": ROLES, "WEEKDAYS": WEEKDAYS, "BASE_TYPES": BASE_TYPES, "CATEGORIES": CATEGORIES, "unread_count": unread,
                "nav_counts": nav_counts()}


_nav_providers = []


def nav_counter(fn):
    """Features register a function that returns {name: count} for the navigation."""
    _nav_providers.append(fn)
    return fn


def nav_counts() -> dict:
    """The counts the navigation shows, from every feature that registered one."""
    counts = {}
    if current_user.is_authenticated:
        for fn in _nav_providers:
            counts.update(fn(current_user))
    return counts
