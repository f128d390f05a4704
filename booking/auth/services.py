"""Accounts: logging in with throttling, API tokens, and managing users."""
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from booking import audit, clock, links, permissions
from booking.auth import weak
from booking.errors import NotAllowed, NotFound, RateLimited, Unauthenticated, ValidationFailed
from booking.notify.services import finishes_mail, notify
from models import ApiToken, Area, Base, Branch, Lecturer, LoginFailure, ROLES, User, db, manager_bases

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD = 8


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


_DECOY_HASHES: dict[str, str] = {}


def _decoy_hash() -> str:
    """A password hash made like the real ones, checked when there is no such account: a made-up username costs
    the same work as a known one, so timing does not tell which names exist."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DECOY_HASHES:
        _DECOY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DECOY_HASHES[method]


def login_delay(failures: int) -> timedelta:
    """How long one username must wait at one address after `failures` recent failures there: nothing up to the
    limit, then a delay that doubles with each further failure, at most the window."""
    cfg = current_app.config
    over = failures - cfg["LOGIN_MAX_FAILURES"]
    if over < 0:
        return timedelta(0)
    return min(timedelta(seconds=cfg["LOGIN_BASE_DELAY_SECONDS"] * 2 ** min(over, 20)),
               timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]))


def authenticate(username: str, password: str, address: str, now: datetime | None = None) -> User:
    """The active user with these credentials.

    Failures are throttled per (username, client address), with a delay that grows with each failure: guessing
    at one account from one place slows down, while failures against other accounts, or from other addresses,
    never stop a correct password (so nobody can lock others out).
    """
    now = now or clock.now()
    cfg = current_app.config
    since = now - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    username = (username or "").strip()[:64]
    address = (address or "")[:64]
    failures, last = db.session.execute(
        select(func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.username == username, LoginFailure.address == address, LoginFailure.at >= since)).one()
    wait = login_delay(failures)
    if failures and last is not None and now < last + wait:
        seconds = max(int((last + wait - now).total_seconds()) + 1, 1)
        raise RateLimited(f"登录失败次数过多，请 {seconds // 60} 分 {seconds % 60} 秒后再试。" if seconds >= 60
                          else f"登录失败次数过多，请 {seconds} 秒后再试。")
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    # The password's hash is checked whatever the account (unknown, deactivated or active): the time taken
    # never tells which.
    if user is not None:
        right = user.check_password(password or "")
    else:
        check_password_hash(_decoy_hash(), password or "")
        right = False
    if user is None or not user.active or not right:
        db.session.add(LoginFailure(username=username, address=address, at=now))
        # Old failures no longer count; prune them so the table stays small.
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
        db.session.commit()
        raise Unauthenticated("用户名或密码错误。")
    user.last_login_at = now
    db.session.commit()
    return user


class PasswordChangeRequired(NotAllowed):
    code, message = "password_change_required", "请先登录网页设置新密码，再使用该账号。"


def issue_token(user: User, now: datetime | None = None) -> tuple[str, ApiToken]:
    """A new bearer token for the user: the raw value (shown once) and its stored row. None while the account's
    password is one an administrator set (it is to be changed first)."""
    if user.must_change_password:
        raise PasswordChangeRequired()
    now = now or clock.now()
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, token_hash=_hash(raw), created_at=now,
        expires_at=now + timedelta(hours=current_app.config["TOKEN_TTL_HOURS"]),
    )
    db.session.add(token)
    db.session.commit()
    return raw, token


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for, from one small query: enough for the permission rules.

    It answers what `booking.permissions` asks of a user (id, role, branch, lecturer profile, bases), so a
    hot path can decide without loading the account; views that need more load the User itself.
    """

    token_id: int
    id: int
    role: str
    branch_id: int | None
    lecturer_id: int | None
    base_ids: list[int]
    area_id: int | None = None
    area_path: str | None = None  # an area administrator's area, as its materialised path (models.area)
    is_authenticated = True


_tokens, _users, _areas = ApiToken.__table__, User.__table__, Area.__table__
# Every API request runs this: a prebuilt Core statement costs a tenth of an ORM query. One row per base the
# user manages (one row with no base for everyone else).
_TOKEN_LOOKUP = (
    select(_tokens.c.id, _tokens.c.user_id, _tokens.c.expires_at, _tokens.c.revoked_at, _users.c.active,
           _users.c.role, _users.c.branch_id, _users.c.lecturer_id, manager_bases.c.base_id, _users.c.area_id,
           _areas.c.path.label("area_path"))
    .select_from(_tokens.join(_users, _users.c.id == _tokens.c.user_id)
                 .outerjoin(manager_bases, manager_bases.c.user_id == _users.c.id)
                 .outerjoin(_areas, _areas.c.id == _users.c.area_id))
    .where(_tokens.c.token_hash == bindparam("token_hash"))
    .order_by(manager_bases.c.base_id)
)


def token_from_raw(raw: str, now: datetime | None = None) -> Principal | None:
    """The live token with this value, if any (not revoked, not expired, its user active)."""
    if not raw or len(raw) > 200:
        return None
    now = now or clock.now()
    # On the session's connection, in its transaction: a Core statement needs none of the ORM's execution steps.
    rows = db.session.connection().execute(_TOKEN_LOOKUP, {"token_hash": _hash(raw)}).all()
    if not rows:
        return None
    row = rows[0]
    if row.revoked_at is not None or row.expires_at <= now or not row.active:
        return None
    base_ids = [r.base_id for r in rows if r.base_id is not None] if row.role == "manager" else []
    return Principal(row.id, row.user_id, row.role, row.branch_id, row.lecturer_id, base_ids, row.area_id,
                     row.area_path if row.role == "area_admin" else None)


def revoke_token(token_id: int, now: datetime | None = None) -> None:
    """Revoke a token; it no longer authenticates."""
    token = db.session.get(ApiToken, token_id)
    token.revoked_at = now or clock.now()
    db.session.commit()


def validate_password(password: str, user: User | None = None, *names: str) -> str | None:
    """The reason a password is not acceptable, or None: its length; one easy to guess (zxcvbn, whose lists hold
    the common passwords, keyboard walks, repeats and dates: 12345678, qwertyui, 88888888; with the common
    Chinese ones and pinyin words: woaini520, dangjian2026); one made of the account's own username or name, or
    its organisation's, branch's or bases' (`user` and `names`), in characters or in pinyin (binjiang2026)."""
    if not password or len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 位。"
    if len(password) > 128:
        return "密码不能超过 128 位。"
    own = [n for n in (*(_names_of(user) if user is not None else ()), *names) if n]
    lowered = password.lower()
    spelled = weak.pinyin_words(own)
    if any(len(n) >= 3 and n.lower() in lowered for n in own) or any(w in lowered for w in spelled):
        return "密码不能包含用户名、姓名或所在单位、支部的名称，也不能包含所管基地的名称或这些名称的拼音，请换一个别人猜不到的密码。"
    from zxcvbn import zxcvbn
    if weak.is_common(password) or zxcvbn(password, user_inputs=[*own, *weak.COMMON, *spelled])["score"] < 2:
        return "这个密码太常见或太有规律（如 12345678、qwertyui、woaini520、重复的字符），容易被猜中，请换一个。"
    return None


def _names_of(user: User) -> list[str]:
    """What a password of this account must not be made of."""
    names = [user.username, (user.display_name or "").split("（")[0]]
    branch = getattr(user, "branch", None)
    if branch is not None:
        names += [branch.name, branch.organization.name]
    names += [base.name for base in getattr(user, "bases", None) or ()]
    lecturer = getattr(user, "lecturer", None)
    if lecturer is not None:
        names.append(lecturer.name)
    return names


def create_user(actor: User | None, *, username: str, password: str, role: str, display_name: str = "",
                email: str | None = None, phone: str | None = None, branch_id: int | None = None,
                base_ids: list[int] | None = None, lecturer_id: int | None = None,
                must_change_password: bool = False, area_id: int | None = None) -> User:
    """Create an account with one role, linked to its branch, bases, lecturer profile or area. An account made for
    someone else (`must_change_password`) asks for a new password at its first login. An area administrator
    (`actor` of role area_admin) makes secretaries of its area's branches only."""
    fields = {}
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        fields["username"] = "用户名为 3–64 位字母、数字、下划线、点或短横线。"
    elif db.session.scalar(select(User.id).where(User.username == username)):
        fields["username"] = "该用户名已被使用。"
    if (reason := validate_password(password, None, username, display_name)):
        fields["password"] = reason
    if role not in ROLES:
        fields["role"] = "请选择角色。"
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if role == "secretary" and branch is None:
        fields["branch_id"] = "支部书记必须关联一个党支部。"
    area = db.session.get(Area, area_id) if isinstance(area_id, int) else None
    if role == "area_admin" and area is None:
        fields["area_id"] = "街道社区管理员必须关联一个属地。"
    if actor is not None and actor.role == "area_admin":
        if role != "secretary":
            fields["role"] = "街道社区管理员只能为本属地的党支部开设支部书记账号。"
        elif branch is not None and not permissions.branch_in_area(actor, branch):
            fields["branch_id"] = "只能选择本属地的党支部。"
    bases = []
    if role == "manager":
        bases = list(db.session.scalars(select(Base).where(Base.id.in_(base_ids or []))))
        if len(bases) != len(set(base_ids or [])):
            fields["base_ids"] = "所选基地不存在。"
    lecturer = db.session.get(Lecturer, lecturer_id) if lecturer_id else None
    if lecturer_id and lecturer is None:
        fields["lecturer_id"] = "讲师档案不存在。"
    elif lecturer is not None and lecturer.user is not None:
        fields["lecturer_id"] = "该讲师档案已关联其他账号。"
    if fields:
        raise ValidationFailed(fields)
    display_name = (display_name or "").strip() or username
    if role == "lecturer" and lecturer is None:
        lecturer = Lecturer(name=display_name, category="cadre", calendar_token=secrets.token_urlsafe(24))
        db.session.add(lecturer)
    user = User(
        username=username, display_name=display_name[:60], role=role,
        email=(email or "").strip() or None, phone=(phone or "").strip() or None,
        branch_id=branch.id if (branch and role == "secretary") else None,
        lecturer=lecturer if role == "lecturer" else None,
        area_id=area.id if (area is not None and role == "area_admin") else None,
    )
    user.set_password(password)
    user.must_change_password = must_change_password
    user.bases = bases
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user_created", "user", user.id, f"{username} ({ROLES[role]})")
    db.session.commit()
    return user


def update_user(actor: User, user: User, *, display_name: str, email: str | None, phone: str | None,
                branch_id: int | None = None, base_ids: list[int] | None = None, area_id: int | None = None) -> User:
    """Change a user's name, contact, and the branch, bases or area they are linked to (an area administrator:
    its area's secretaries, to its area's branches)."""
    fields = {}
    if user.role == "secretary":
        branch = db.session.get(Branch, branch_id) if branch_id else None
        if branch is None:
            fields["branch_id"] = "支部书记必须关联一个党支部。"
        elif actor.role == "area_admin" and not permissions.branch_in_area(actor, branch):
            fields["branch_id"] = "只能选择本属地的党支部。"
    if user.role == "area_admin" and area_id is not None and db.session.get(Area, area_id) is None:
        fields["area_id"] = "街道社区管理员必须关联一个属地。"
    if fields:
        raise ValidationFailed(fields)
    user.display_name = (display_name or "").strip()[:60] or user.username
    user.email = (email or "").strip() or None
    user.phone = (phone or "").strip() or None
    if user.role == "secretary":
        user.branch_id = branch_id
    if user.role == "manager":
        user.bases = list(db.session.scalars(select(Base).where(Base.id.in_(base_ids or []))))
    if user.role == "area_admin" and area_id is not None:
        user.area_id = area_id
    audit.record(actor, "user_updated", "user", user.id, user.username)
    db.session.commit()
    return user


def end_sessions(user: User) -> None:
    """End every web session of the user (logout ends them all: a copied cookie stops working too)."""
    user.end_sessions()
    db.session.commit()


def _end_access(user: User) -> None:
    """Every web session and API token of the user ends (at the next commit): a new password, a deactivation.
    A token once ended never comes back, whatever happens to the account later."""
    user.end_sessions()
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=clock.now()).execution_options(synchronize_session=False))


def _set_password(user: User, password: str, *, must_change: bool) -> None:
    """A new password: every web session and API token of the user ends with the old one."""
    user.set_password(password)
    user.must_change_password = must_change
    _end_access(user)


def reset_password(actor: User, user: User, password: str) -> None:
    """An administrator sets a password the user must change at their next login; the user's web sessions end
    and their API tokens are revoked."""
    if (reason := validate_password(password, user)):
        raise ValidationFailed({"password": reason})
    _set_password(user, password, must_change=actor.id != user.id)
    audit.record(actor, "password_reset", "user", user.id, user.username)
    db.session.commit()


def change_own_password(user: User, current: str, new: str, confirm: str) -> None:
    """The user chooses a new password, giving the current one; their other sessions and tokens end (the caller
    logs this session in again)."""
    fields = {}
    if not user.check_password(current or ""):
        fields["current"] = "当前密码不正确。"
    if (reason := validate_password(new, user)):
        fields["new"] = reason
    elif new == current:
        fields["new"] = "新密码不能与当前密码相同。"
    elif new != confirm:
        fields["confirm"] = "两次输入的新密码不一致。"
    if fields:
        raise ValidationFailed(fields)
    _set_password(user, new, must_change=False)
    audit.record(user, "password_changed", "user", user.id, user.username)
    db.session.commit()


def _reset_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_mark(user: User) -> str:
    # Part of the link: once the password changes (the link used, or any other change) the link is dead.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_link_token(user: User) -> str:
    """The token of a one-time password-reset link for the user."""
    return _reset_signer().dumps({"u": user.id, "p": _password_mark(user)})


def user_of_reset_token(token: str) -> User:
    """The user a reset link is for, if it is genuine, unexpired and unused; otherwise NotFound."""
    try:
        data = _reset_signer().loads(token or "", max_age=current_app.config["PASSWORD_RESET_MINUTES"] * 60)
        user = db.session.get(User, int(data["u"]))
        mark = data["p"]
    except (BadData, KeyError, TypeError, ValueError):
        user, mark = None, None
    if user is None or not user.active or mark != _password_mark(user):
        raise NotFound("重置链接无效或已过期，请重新申请。")
    return user


def mail_configured() -> bool:
    """Whether emails can be sent at all (MAIL_HOST set)."""
    return bool(current_app.config.get("MAIL_HOST"))


RESETS_PER_ACCOUNT, RESETS_PER_ADDRESS, RESET_WINDOW = 3, 10, timedelta(hours=1)
RESET_ANSWER_SECONDS = 0.25  # every request takes this long, so the time does not tell whether the account exists


# Where the stored body of a reset mail says the link goes: the link itself is written into the email as it is
# sent (finish_reset_mail), so neither the outbox nor a backup of it ever holds a live link.
RESET_LINK_PLACE = "（重置链接仅在邮件中提供）"


def request_password_reset(identifier: str, address: str = "", now: datetime | None = None) -> None:
    """Send a one-time reset link to the account named by username or email, when it has an email address and
    mail is configured. Says nothing about whether the account exists (the page gives one answer, in the same
    time either way). At most RESETS_PER_ACCOUNT requests for one name and RESETS_PER_ADDRESS from one address
    an hour send anything: nobody can flood an account's mailbox."""
    import time as _time
    started = _time.monotonic()
    try:
        _request_reset((identifier or "").strip()[:120], address[:64], now or clock.now())
    finally:
        _time.sleep(max(0.0, RESET_ANSWER_SECONDS - (_time.monotonic() - started)))


def _request_reset(identifier: str, address: str, now: datetime) -> None:
    if not identifier or not mail_configured():
        return
    # Requests are counted like failed logins (the same table, a name of their own), across every process: per
    # account, whichever of its names (username or email) was typed; per typed text when no account has it.
    user = db.session.scalar(select(User).where(or_(User.username == identifier, User.email == identifier),
                                                User.active.is_(True)).order_by(User.id).limit(1))
    key = f"reset:#{user.id}" if user is not None else "reset:" + identifier[:58]
    since = now - RESET_WINDOW
    asked = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == key, LoginFailure.at >= since)) or 0
    from_here = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username.like("reset:%"), LoginFailure.address == address, LoginFailure.at >= since)) or 0
    db.session.add(LoginFailure(username=key, address=address, at=now))
    db.session.commit()
    if asked >= RESETS_PER_ACCOUNT or from_here >= RESETS_PER_ADDRESS:
        return
    if user is None or not user.email:
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    # The email goes through the outbox like every other; the in-app copy is marked read (it is for the mail).
    notify([user], "password_reset", None, "重置组织生活基地预约平台的登录密码",
           f"{user.display_name}，您好：\n\n请在 {minutes} 分钟内打开以下链接设置新密码（只能使用一次）：\n"
           f"{RESET_LINK_PLACE}\n\n如果不是您本人申请，请忽略本邮件，原密码仍然有效。", read=True)
    audit.record(None, "password_reset_requested", "user", user.id, user.username)
    db.session.commit()


@finishes_mail("password_reset")
def finish_reset_mail(row) -> str:
    """The reset mail's text as it is sent: a fresh one-time link in its place (its minutes count from now)."""
    user = db.session.get(User, row.user_id)
    if user is None:
        return row.body
    return row.body.replace(RESET_LINK_PLACE, links.external("auth.reset", token=reset_link_token(user)))


def reset_with_token(token: str, new: str, confirm: str) -> User:
    """Set the password chosen through a reset link; the link is then used up."""
    user = user_of_reset_token(token)
    if (reason := validate_password(new, user)):
        raise ValidationFailed({"new": reason})
    if new != confirm:
        raise ValidationFailed({"confirm": "两次输入的新密码不一致。"})
    _set_password(user, new, must_change=False)
    audit.record(user, "password_reset_by_link", "user", user.id, user.username)
    db.session.commit()
    return user


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account; a deactivated user cannot log in and their tokens stop working."""
    if actor.id == user.id and not active:
        raise ValidationFailed({"active": "不能停用自己的账号。"})
    user.active = active
    if not active:
        _end_access(user)
    audit.record(actor, "user_activated" if active else "user_deactivated", "user", user.id, user.username)
    db.session.commit()


def get_user(user_id: int) -> User:
    """A user by id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在。")
    return user
