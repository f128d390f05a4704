"""The web edge's answer to a refusal or a failure, done once: a domain error re-renders the form it came from (or
flashes and goes back), an HTTP error or an outage becomes a Chinese error page, and under /api/v1 every one of
them becomes the contract's JSON error."""
import errno
import sqlite3
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc
from werkzeug.exceptions import HTTPException, SecurityError

from booking.errors import DomainError, ValidationFailed
from booking.extensions import login_manager
from models import db

HTTP_CODES = {
    400: ("bad_request", "请求格式有误。"),
    401: ("unauthenticated", "请先登录或提供有效的令牌。"),
    403: ("forbidden", "您没有权限执行此操作。"),
    404: ("not_found", "未找到该资源。"),
    405: ("method_not_allowed", "该路径不支持此请求方法。"),
    413: ("payload_too_large", "请求体过大。"),
    414: ("uri_too_long", "请求地址过长。"),
    415: ("bad_request", "请使用 application/json 提交。"),
    429: ("rate_limited", "请求过于频繁，请稍后再试。"),
}


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    """A JSON error response in the contract's shape."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    response = jsonify({"error": error})
    response.status_code = status
    return response


def http_json_error(err: HTTPException):
    """A werkzeug HTTP error (unknown path, wrong method, too large …) as a contract error."""
    status = err.code or 500
    code, message = HTTP_CODES.get(status, ("error", err.description or "请求失败。"))
    response = json_error(status, code, message)
    if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response


HTTP_MESSAGES = {
    400: "请求格式有误。",
    401: "请先登录。",
    403: "您没有权限访问此页面。",
    404: "页面不存在。",
    405: "不支持该请求方法。",
    413: "提交的内容过大（一次最多 48 MB：照片每张不超过 5 MB，每次最多 9 张），请返回减少后重试。",
    414: "请求地址过长。",
    415: "不支持的内容类型。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器出了点问题，请稍后再试。",
}


@dataclass
class _RefusalPage:
    template: str | None
    fields: object
    redirect_to: str | None
    context: dict = field(default_factory=dict)
    more: object = None
    status: int | None = None
    beside: str = ""


def on_refusal(template: str | None = None, *, fields=None, redirect_to: str | None = None, more=None,
               status: int | None = None, beside: str = "", **context) -> None:
    """Say how this page answers if a service refuses the request: render `template` again with `context` (and
    what `more()` adds, computed only then), the messages beside the fields of the form `fields` (a message that
    names no field beside the field `beside`, or flashed above), with `status` (default: the refusal's); or
    flash the message and redirect to `redirect_to`. Without it, a refused form goes back where it came from."""
    g.refusal_page = _RefusalPage(template, fields, redirect_to, context, more, status, beside)


def flash_refusal(err: DomainError, form=None, beside: str = "") -> None:
    """A refusal's messages: beside the form's fields where they name one, else flashed."""
    messages = err.fields if isinstance(err, ValidationFailed) and err.fields else {beside: err.message}
    aliases = getattr(form, "field_aliases", {})  # the service's name of a field the form calls otherwise
    for name, message in messages.items():
        target = getattr(form, aliases.get(name, name), None) if form is not None and name else None
        if target is not None and hasattr(target, "errors"):
            if isinstance(target.errors, tuple):
                target.errors = list(target.errors)
            target.errors.append(message)
        else:
            flash(message, "danger")


def register(app: Flask) -> None:
    """Friendly Chinese error pages; a domain error re-renders the form or flashes and goes back."""

    def is_api() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        if is_api():
            return json_error(err.status, err.code, err.message, err.fields)
        db.session.rollback()  # whatever the refused action began is undone before the page is drawn
        page = g.get("refusal_page")
        hidden = err.status in (403, 404) and not (page is not None and getattr(err, "stays_on_form", False))
        if hidden or (page is None and request.method in ("GET", "HEAD")):
            return render_template("error.html", status=err.status, message=err.message), err.status
        if page is not None and page.template:
            flash_refusal(err, page.fields, page.beside)
            context = {**page.context, **(page.more() if page.more else {})}
            return render_template(page.template, **context), page.status or err.status
        flash_refusal(err)
        return redirect(page.redirect_to if page is not None and page.redirect_to else _safe_back())

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        # An expired or missing form token: say so in words, with the way back to the form.
        return render_template("error.html", status=400, back=_safe_back(),
                               message="页面已过期或表单无效，请返回刷新页面后重新提交。"), 400

    @app.errorhandler(SecurityError)
    def unknown_host(err: SecurityError):
        # A Host outside TRUSTED_HOSTS: answered without building any link (which would ask for the host again).
        return app.response_class("400 Bad Request: unknown host\n", status=400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if is_api():
            return http_json_error(err)
        code = err.code or 500
        return render_template("error.html", status=code, message=HTTP_MESSAGES.get(code, err.description)), code

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        outage = is_outage(err)
        if outage:
            app.logger.error("database unavailable: %s", err)
        else:
            app.logger.exception("unhandled error")
        try:
            db.session.rollback()  # the error page reads the session (the navigation's counts): start it clean
        except Exception:
            app.logger.exception("rollback after an unhandled error failed")
        g.database_unavailable = outage  # the error page then asks the database nothing
        if outage and "_login_user" not in g:
            g._login_user = login_manager.anonymous_user()  # not even who is logged in
        if outage:
            if is_api():
                response = json_error(503, "service_unavailable", UNAVAILABLE)
            else:
                response = app.make_response((render_template("error.html", status=503, message=UNAVAILABLE), 503))
            response.headers["Retry-After"] = "5"
            return response
        if is_api():
            return json_error(500, "internal_error", "服务器内部错误，请稍后再试。")
        return render_template("error.html", status=500, message=HTTP_MESSAGES[500]), 500


SQLITE_OUTAGES = ("disk is full", "disk I/O error", "readonly database", "database is locked",
                  "unable to open database file")
UNAVAILABLE = "系统暂时无法处理请求（数据库暂时不可用），请稍后重试；已提交的内容不会丢失。"


def is_outage(err: BaseException) -> bool:
    """The database (or the disk under it) cannot serve now: restarting, unreachable, full or read-only.
    Retrying later will do; nothing about the request was wrong."""
    if isinstance(err, exc.OperationalError) and isinstance(err.orig, sqlite3.OperationalError):
        # SQLite says "operational" of mistakes too ("no such table"): only these are the file's state.
        return any(words in str(err.orig) for words in SQLITE_OUTAGES)
    if isinstance(err, (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError)):
        return True
    if isinstance(err, exc.InternalError):  # PostgreSQL: a read-only transaction (a standby, or read-only mode)
        return "read-only" in str(err) or "read only" in str(err)
    return isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT)


def _safe_back() -> str:
    """The page the user came from, if it is on this site; else the home page."""
    ref = request.referrer or ""
    host = request.host_url
    if ref.startswith(host):
        return ref
    return url_for("catalog.index")


def local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`. Browsers drop tabs, line breaks and other control
    characters from a URL and read a backslash as a slash, so the target is judged as they will read it: never
    `//host` or `/\\host` (another site), never a scheme or a host."""
    if not isinstance(target, str) or not target:
        return default
    seen = "".join(c for c in target if c.isprintable() and not c.isspace()).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//") or seen != target:
        return default
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return default
    return target
