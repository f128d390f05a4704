"""App-wide views and hooks: home, health check, the login loader, template helpers."""
import os
import re
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from booking import clock, links
from booking.extensions import login_manager
from booking.notify.services import unread_count
from models import ACTIVITY_TYPES, BASE_TYPES, CATEGORIES, LECTURER_CATEGORIES, ROLES, SECTORS, User, db
from models.base import WEEKDAYS
from models.booking import STATUS_LABELS
from models.waitlist import WAIT_BADGES, WAIT_STATUSES
from booking.notify.services import undelivered_count

bp = Blueprint("views", __name__)


MAX_ID = 2147483647  # the largest id a column holds (PostgreSQL's integer)


class IdConverter(IntegerConverter):
    """A database id in a URL: larger numbers are simply not found (never an overflow)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=0, max=MAX_ID)


def refuse_unreadable_referrer():
    """A form sent with a Referer whose address cannot be read (a port like "5743.evil.com") is a bad request,
    answered 400 before Flask-WTF's referrer check over HTTPS fails parsing it (registered ahead of CSRF)."""
    if request.method not in current_app.config["WTF_CSRF_METHODS"]:  # a GET: no form, no check
        return
    referrer = request.headers.get("Referer")
    if referrer:
        try:
            urlsplit(referrer).port
        except ValueError:
            abort(400)


def arg_id(name: str) -> int | None:
    """An id from the query string (?item_id=3), or None when it is missing or no id at all (a number no column
    holds, a negative one, text): the page then says "not found" instead of overflowing in the database."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID else None


@login_manager.user_loader
def load_user(user_id: str):
    """The logged-in user of the session: still active, the session's version still theirs (not logged out,
    password unchanged since), and the session younger than SESSION_MAX_HOURS (REMEMBER_DAYS with "记住我")."""
    number, _, version = user_id.partition(".")
    if not number.isdigit() or not version.isdigit() or len(number) > 10:
        return None
    started = session.get("login_at")
    cfg = current_app.config
    limit = cfg["REMEMBER_DAYS"] * 86400 if session.get("remember") else cfg["SESSION_MAX_HOURS"] * 3600
    if not isinstance(started, (int, float)) or clock.now().timestamp() - started > limit:
        return None
    user = db.session.get(User, int(number))
    if user is None or not user.active or int(version) != (user.session_version or 0):
        return None
    return user


@bp.get("/")
def home():
    """Each role starts where its daily work is."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "admin":
        return redirect(url_for("admin.index"))
    if current_user.role == "area_admin":
        return redirect(url_for("areas.index"))  # the street's day: idle branches, visits, what waits
    if current_user.role == "manager":
        return redirect(url_for("visits.today"))  # the day's visits, with the requests waiting for a decision
    if current_user.role == "lecturer":
        return redirect(url_for("lecturers.schedule"))  # invitations to answer come first there
    return redirect(url_for("catalog.index"))


@bp.get("/healthz")
def healthz():
    """200 when the database answers and can be written; 503 saying what is wrong otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
        problem = _write_problem()
    except Exception:
        db.session.rollback()
        # SQLite cannot even open a read-only or full file system's database in WAL mode: say why, as below.
        return jsonify({"status": "error", "detail": _sqlite_file_problem() or "database unreachable"}), 503
    finally:
        db.session.rollback()
    if problem:
        return jsonify({"status": "error", "detail": problem}), 503
    undelivered = undelivered_count()
    db.session.rollback()
    # Still up: the outbox's trouble is said beside, for the monitor (and the admin's page shows it too).
    return {"status": "ok", "undelivered_mail": undelivered} if undelivered else {"status": "ok"}


HEALTH_MIN_FREE_BYTES = 50 * 1024 * 1024


def _write_problem() -> str | None:
    """Why the database could not take a write now, or None: read-only, or (SQLite) its disk nearly full."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        if db.session.execute(text("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'")).scalar():
            return "database is read-only"
        return None
    return _sqlite_file_problem()


def _sqlite_file_problem() -> str | None:
    """Why an SQLite database file cannot be written (read-only, its disk nearly full), asked of the file system
    without a connection; None for PostgreSQL."""
    import shutil
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return None
    path = engine.url.database
    if not path or path == ":memory:" or not os.path.exists(path):
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
        return "database file is read-only"
    if shutil.disk_usage(folder).free < HEALTH_MIN_FREE_BYTES:
        return "disk nearly full"
    return None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Scripts and styles come only from static/ (vendored, no CDN); pictures may also be data: URLs (the QR code's
# SVG is inline markup). Nothing may frame the pages.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"),
]
HSTS = [("Strict-Transport-Security", "max-age=31536000")]


class SecurityHeaders:
    """WSGI middleware: every answer gets the security headers (no framing of the one-click approve and cancel
    buttons, no type sniffing, no referrer to other sites, scripts and styles only from this site's own files),
    and HSTS when served over HTTPS with the HTTPS setting. Added to the header list as it is sent, which costs
    a list concatenation (Werkzeug's header methods cost 10 µs a request). No view sets these itself."""

    def __init__(self, app, hsts: bool):
        self.app, self.hsts = app, hsts

    def __call__(self, environ, start_response):
        extra = SECURITY_HEADERS + HSTS if self.hsts and environ.get("wsgi.url_scheme") == "https" else SECURITY_HEADERS

        def start(status, headers, exc_info=None):
            return start_response(status, headers + extra, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    """Register the blueprint, converters, request guards and template helpers."""
    app.register_blueprint(bp)

    @app.after_request
    def no_store(response):
        """Pages, API answers (the token's included) and downloads are never kept by a browser or a shared proxy
        (the back button at a shared office PC shows nothing of the last person); static files and the few answers
        that say how long they may be kept (a calendar feed, a photo) keep their own rule. (Static files never reach
        Flask: booking.assets serves them before it.)"""
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.before_request
    def refuse_nul():
        """A NUL character in a form, a query or a file name is refused with 400; an absurdly long URL with 414."""
        # PostgreSQL cannot store NUL characters: refused at the door, never a 500. (JSON bodies are checked
        # field by field by the API's schema.)
        environ = request.environ
        # Over 4 KB of URL is no request a person makes; answered here (gunicorn runs with limit_request_line 0),
        # so the API's answer is its JSON error.
        query = environ.get("QUERY_STRING", "")
        if len(environ.get("PATH_INFO", "")) + len(query) > MAX_URL:
            abort(414)
        mimetype = request.mimetype if environ.get("CONTENT_TYPE") else ""
        # A query string that holds no NUL, raw or escaped, decodes to none: most requests are not parsed here.
        args = (request.args,) if "%00" in query or "\x00" in query else ()
        sources = args + (request.form,) if mimetype in FORM_TYPES else args
        for values in sources:
            for v in values.values():
                if "\x00" in v:
                    abort(400)
        if mimetype == "multipart/form-data":
            if any("\x00" in (f.filename or "") for f in request.files.values()):
                abort(400)

    @app.template_filter("local")
    def local_filter(dt, fmt="%Y年%m月%d日 %H:%M"):
        """An instant in local time, formatted (by default as every page writes a moment: 2026年12月3日 09:00;
        month and day without a leading zero, as Chinese texts write them)."""
        return clock.written(clock.local(dt), fmt) if dt else ""

    @app.template_filter("with_links")
    def with_links_filter(text):
        """A notification's text for the page: the site's own addresses (written for the email) become a short
        link "打开" to the same page, not a line of raw URL; the rest escaped as always."""
        public = re.escape(current_app.config["PUBLIC_URL"].rstrip("/"))
        parts = re.split(rf"({public}/\S*)", text or "")
        out = []
        for n, part in enumerate(parts):
            if n % 2:
                path = part[len(current_app.config["PUBLIC_URL"].rstrip("/")):] or "/"
                out.append(Markup('<a href="{}">打开</a>').format(path))
            else:
                out.append(escape(part))
        return Markup("").join(out)

    @app.template_filter("weekday")
    def weekday_filter(value):
        """周一…周日 of a date, or of an instant in local time."""
        day = clock.local(value).date() if isinstance(value, datetime) else value
        return WEEKDAYS[day.weekday()]

    @app.template_filter("day")
    def day_filter(value):
        """A date written the one way texts write dates (2026年12月3日)."""
        return clock.day_text(value) if value else ""

    @app.template_filter("map_url")
    def map_url_filter(address):
        """A link that opens the address in a map app on a phone (Amap's URI API; a browser shows its web map)."""
        return "https://uri.amap.com/search?" + urlencode({"keyword": address, "src": "booking", "callnative": 1})

    @app.context_processor
    def helpers():
        """What every template may use."""
        unread = 0
        available = not g.get("database_unavailable")
        if available and current_user.is_authenticated:
            unread = unread_count(current_user)
        # What every page shares: the labels of the domain's codes, the navigation's counts. A feature's own
        # helpers (what the lifecycle allows, how a lecturer answers) are registered by that feature's routes.
        return {"has_endpoint": lambda name: name in current_app.view_functions, "external_url": links.external,
                "STATUS_LABELS": STATUS_LABELS, "WAIT_STATUSES": WAIT_STATUSES, "WAIT_BADGES": WAIT_BADGES,
                "ROLES": ROLES, "WEEKDAYS": WEEKDAYS, "BASE_TYPES": BASE_TYPES, "CATEGORIES": CATEGORIES,
                "SECTORS": SECTORS, "LECTURER_CATEGORIES": LECTURER_CATEGORIES, "ACTIVITY_TYPES": ACTIVITY_TYPES,
                "unread_count": unread, "nav_counts": nav_counts() if available else {}}


MAX_PAGE = 100000
MAX_URL = 4096


def paginate(stmt, *, per_page: int, **options):
    """A page of `stmt` for an HTML list: the page number from ?page=, anything absurd read as the last sensible
    page bound (never an overflow in the database)."""
    page = request.args.get("page", type=int) or 1
    return db.paginate(stmt, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False, **options)


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
