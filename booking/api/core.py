"""The API blueprint's plumbing: bearer authentication, input parsing, pagination, documentation."""
from functools import wraps

from flask import Blueprint, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, select

from booking import clock
from booking.api.schema import PAGING, Schema
from booking.auth import services as auth_services
from booking.database import snapshot
from booking.errors import BadRequest, DomainError, Unauthenticated, ValidationFailed
from booking.textutil import MULTILINE_CONTROL_MESSAGE, has_control_chars
from models import User, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class PageSessionInterface(SecureCookieSessionInterface):
    """The signed session cookie belongs to the pages; the API authenticates with bearer tokens only.

    An API request starts with an empty session and never reads the cookie, so a logged-in browser's
    cookie cannot act on the API, and no request there pays for checking the cookie's signature.
    """

    def open_session(self, app, request):
        if request.path.startswith(bp.url_prefix + "/"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """An empty session nobody changed (every API answer, a page before login) has no cookie to set or
        delete: only `Vary: Cookie` when it was read, as Flask's own does, without reading the seven cookie
        settings first."""
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


@bp.before_request
def limit_body():
    """Bodies over the API's limit are refused before they are read; a chunked body (no length given) is cut off
    at the limit as it is read (413), never parsed whole."""
    limit = current_app.config["API_MAX_BODY"]
    length = request.content_length
    if length is not None and length > limit:
        raise _TooLarge()
    if length is None and request.method in ("POST", "PUT", "PATCH"):
        request.max_content_length = limit


class _TooLarge(DomainError):
    status, code, message = 413, "payload_too_large", "请求体过大。"


def bearer_token():
    """The live token named by the Authorization header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return auth_services.token_from_raw(raw.strip())


def current_actor():
    """Who is asking, as the token's principal: what the permission rules need, without loading the account."""
    return g.api_principal


# Prebuilt: Session.get builds and keys its statement anew on every call, a third of an API request's time
# (the identity map it would look in first seldom holds the account this early in a request).
_USER = select(User).where(User.id == bindparam("id"))


def current_user():
    """The user of this API request, loaded on first use."""
    if g.get("api_user") is None:
        user = db.session.execute(_USER, {"id": g.api_principal.id}).scalar_one_or_none()
        if user is None:
            raise Unauthenticated()
        g.api_user = user
    return g.api_user


def endpoint(summary: str, *, body: Schema | None = None, query: Schema | None = None, auth: bool = True,
             responses: dict | None = None, tag: str = "", paged: bool = False, description: str = "",
             optional_body: bool = False, kept: bool = False):
    """Declare an API view: authentication, body and query validation, and its OpenAPI description.

    The view receives `body=` and `query=` (validated dicts) when they are declared. A `kept` view (one that only
    reads, and whose answer depends on nothing but the caller's scope, the path, the query, the minute and the
    database) gives its answer again while the database has not changed (booking.database.snapshot).
    """
    if paged:
        query = Schema({**(query.fields if query else {}), **PAGING})
    if kept and not auth:
        raise ValueError("a kept view answers by the caller's scope: it needs a token")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.api_user = None
            if auth:
                principal = bearer_token()
                if principal is None:
                    raise Unauthenticated()
                g.api_principal = principal
            if query is not None:
                kwargs["query"] = query.load(request.args, from_query=True)
            if body is not None:
                empty = not request.get_data(cache=True)
                kwargs["body"] = body.load({} if (optional_body and empty) else json_body(body.raw_fields()))
            if kept:
                return snapshot.kept(_asked(kwargs), lambda: view(*args, **kwargs))
            return view(*args, **kwargs)

        wrapper.api_doc = {
            "summary": summary, "description": description, "body": body, "query": query, "auth": auth,
            "responses": responses or {}, "tag": tag, "optional_body": optional_body,
        }
        return wrapper

    return decorate


def _asked(kwargs: dict) -> tuple:
    """What a kept view's answer depends on besides the database: the view and its arguments, the caller's scope
    (the permission rules read no more of a user than its principal), and the minute."""
    p = g.api_principal
    return (request.endpoint, repr(sorted(kwargs.items())), p.role, p.branch_id, p.lecturer_id, tuple(p.base_ids),
            p.area_id, p.area_path, clock.now().replace(second=0, microsecond=0))


def json_body(raw_fields: tuple[str, ...] = ()) -> dict:
    """The request's JSON object; 400 for a wrong content type, malformed JSON or a non-object; 422 for a text
    anywhere in it (but the `raw_fields`, a password) holding a character no text may hold."""
    if not request.is_json:
        raise BadRequest("请使用 Content-Type: application/json 提交 JSON。")
    if request.content_length is None and request.get_data(cache=True):
        # A chunked body is read only up to the limit; reading on past it answers 413 (never a cut-off parse).
        request.stream.read(1)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested thousands deep: not a request anyone means
        raise BadRequest("请求体嵌套过深。") from None
    if not isinstance(data, dict):
        raise BadRequest("请求体不是有效的 JSON 对象。")
    bad = _first_bad_text({k: v for k, v in data.items() if k not in raw_fields}, "")
    if bad is not None:  # nested texts (a list of reasons, a map's keys) keep the same rule as declared fields
        raise ValidationFailed({bad or "body": "内容" + MULTILINE_CONTROL_MESSAGE})
    return data


def _first_bad_text(value, path: str) -> str | None:
    """The path of the first text anywhere in a JSON value holding a character no text may hold (line breaks
    allowed here; a single-line field's own declaration refuses them), or None."""
    if isinstance(value, str):
        return path if has_control_chars(value, multiline=True) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if has_control_chars(key, multiline=True):
            return path or "body"
        found = _first_bad_text(item, where)
        if found is not None:
            return found
    return None


def page_of(stmt, query: dict, serialize) -> dict:
    """A page of a select statement in the contract's list shape."""
    page = query.get("page") or 1
    per_page = query.get("per_page") or 20
    result = db.paginate(stmt, page=page, per_page=per_page, max_per_page=100, error_out=False, count=True)
    return {"items": [serialize(x) for x in result.items], "total": result.total,
            "page": page, "per_page": per_page}
