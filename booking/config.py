"""Settings, read from the environment (see README: Settings)."""
import os
import secrets
from datetime import timedelta
from urllib.parse import urlsplit


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/secret_key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        key = f.read().strip()
    if not key:  # another process is writing it this very moment
        raise RuntimeError("instance/secret_key is empty; remove it and start again")
    return key


def database_uri(instance_path: str) -> str:
    """DATABASE_URL, with postgresql:// mapped to the psycopg 3 driver; default SQLite in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "booking.db")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    """A setting that is one of a few words; anything else stops the start with a clear message."""
    value = os.environ.get(name, "").strip().lower() or default
    if value not in allowed:
        raise RuntimeError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return value


DEV_PUBLIC_URL = "http://127.0.0.1:5000"


def _public_url() -> str:
    """PUBLIC_URL: required in production (HTTPS=1 or APP_ENV=production), where a missing one stops the start;
    in development the address `make run` serves."""
    url = os.environ.get("PUBLIC_URL", "").strip().rstrip("/")
    production = os.environ.get("HTTPS", "") in ("1", "true", "yes") or os.environ.get("APP_ENV", "") == "production"
    if not url:
        if production:
            raise RuntimeError("PUBLIC_URL must be set in production: the site's address as users reach it, "
                               "e.g. https://dangjian.example.gov.cn (every link in mails and QR codes is built from it)")
        return DEV_PUBLIC_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(f"PUBLIC_URL must be an http(s) address such as https://dangjian.example.gov.cn (got {url!r})")
    return url


def trusted_hosts(public_url: str) -> list[str] | None:
    """TRUSTED_HOSTS (comma-separated) or, when PUBLIC_URL is set, its host and this machine's own names (health
    checks); a request for any other Host gets 400. None (any host) in development without PUBLIC_URL."""
    listed = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    if listed:
        return listed
    if not os.environ.get("PUBLIC_URL", "").strip():
        return None
    return [urlsplit(public_url).hostname, "localhost", "127.0.0.1", "::1"]


def load(instance_path: str) -> dict:
    """The configuration mapping for create_app."""
    public_url = _public_url()
    return {
        "PUBLIC_URL": public_url,
        "TRUSTED_HOSTS": trusted_hosts(public_url),
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_uri(instance_path),
        # Connections that rested are pinged before use (booking.database.ping), not every one on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        # Mail: with no MAIL_HOST, notifications stay in-app only.
        "MAIL_HOST": os.environ.get("MAIL_HOST", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "noreply@localhost"),
        # Seconds one SMTP connection or command may take (a hung mail server never holds the job longer).
        "MAIL_TIMEOUT": _float("MAIL_TIMEOUT", 5),
        # SQLite: seconds a writer waits for the write lock (the app's own and SQLite's, for a lock taken outside
        # the app) before the request is answered 503 with Retry-After.
        "SQLITE_LOCK_TIMEOUT": _float("SQLITE_LOCK_TIMEOUT", 30),
        # A form's whole request: an activity record's nine photos of 5 MB and its text (nginx's
        # client_max_body_size is the same 48m).
        "MAX_CONTENT_LENGTH": 48 * 1024 * 1024,
        # Photos one account may upload an hour (checking and shrinking them is work for the server).
        "PHOTOS_PER_HOUR": _int("PHOTOS_PER_HOUR", 60),
        # Where activity photos are kept: in the database (the default: every app server reads the same ones), or as
        # files in UPLOAD_FOLDER (default instance/uploads; a shared mount for several servers). See booking.photos.storage.
        "PHOTO_STORAGE": _choice("PHOTO_STORAGE", ("database", "filesystem"), "database"),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", ""),
        "API_MAX_BODY": 64 * 1024,
        "TOKEN_TTL_HOURS": _int("TOKEN_TTL_HOURS", 24 * 30),
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_WINDOW_MINUTES": _int("LOGIN_WINDOW_MINUTES", 15),
        "LOGIN_BASE_DELAY_SECONDS": _int("LOGIN_BASE_DELAY_SECONDS", 30),
        # Members sign in themselves (扫码签到): how long one link lives (its QR code renews every 30 s), and how many
        # unknown links an address, or wrong phone digits one member, may try within SIGN_IN_WINDOW_MINUTES before
        # further tries are refused for a while.
        "SIGN_IN_LINK_SECONDS": _int("SIGN_IN_LINK_SECONDS", 120),
        "SIGN_IN_MAX_FAILURES": _int("SIGN_IN_MAX_FAILURES", 30),
        "SIGN_IN_MEMBER_FAILURES": _int("SIGN_IN_MEMBER_FAILURES", 5),
        "SIGN_IN_WINDOW_MINUTES": _int("SIGN_IN_WINDOW_MINUTES", 10),
        # Behind the documented nginx, the number of proxies whose X-Forwarded-* headers are trusted (0: none).
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
        # A branch with NO_SHOW_LIMIT no-shows within NO_SHOW_WINDOW_DAYS may not book online for NO_SHOW_BLOCK_DAYS.
        "NO_SHOW_LIMIT": _int("NO_SHOW_LIMIT", 3),
        "NO_SHOW_WINDOW_DAYS": _int("NO_SHOW_WINDOW_DAYS", 90),
        "NO_SHOW_BLOCK_DAYS": _int("NO_SHOW_BLOCK_DAYS", 30),
        "DIGEST_HOUR": _int("DIGEST_HOUR", 7),
        # Study hours (学时): a present member earns an activity's minutes over STUDY_HOUR_MINUTES, rounded down to a
        # half hour; the year's requirement for leaders (书记, 副书记, 委员) and for members.
        "STUDY_HOUR_MINUTES": _int("STUDY_HOUR_MINUTES", 45),
        "STUDY_HOURS_LEADER": _int("STUDY_HOURS_LEADER", 56),
        "STUDY_HOURS_MEMBER": _int("STUDY_HOURS_MEMBER", 32),
        # The CJK font the PDFs embed: by default the fonts that travel with the app (booking/documents/fonts, Noto Serif and
        # Sans SC); CJK_FONT (a .ttc, .otf or .ttf) overrides both.
        "CJK_FONT": os.environ.get("CJK_FONT", ""),
        # Where the fingerprinted and precompressed static files are built at start-up (booking.assets); default
        # INSTANCE_PATH/static. nginx serves the same folder (deploy/nginx/booking-static.conf).
        "STATIC_BUILD_FOLDER": os.environ.get("STATIC_BUILD_FOLDER", ""),
        "SCHEDULER_ENABLED": os.environ.get("SCHEDULER_ENABLED", "") in ("1", "true", "yes"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS (production behind nginx): the cookie goes only over HTTPS, and browsers are told to
        # keep to HTTPS (HSTS).
        "SESSION_COOKIE_SECURE": os.environ.get("HTTPS", "") in ("1", "true", "yes"),
        "HTTPS": os.environ.get("HTTPS", "") in ("1", "true", "yes"),
        # A web session ends this long after its login, whatever the browser keeps.
        "SESSION_MAX_HOURS": _int("SESSION_MAX_HOURS", 12),
        # "记住我" at login: the session outlives the browser (WeChat's included) for this many days, still ended
        # by logout, a password change or deactivation.
        "REMEMBER_DAYS": _int("REMEMBER_DAYS", 30),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_int("REMEMBER_DAYS", 30)),
        # A password-reset link sent by email works once, for this long.
        "PASSWORD_RESET_MINUTES": _int("PASSWORD_RESET_MINUTES", 60),
        # Shown on the login page and when a password cannot be reset by email: whom to ask.
        "LOGIN_HELP_TEXT": os.environ.get("LOGIN_HELP_TEXT", "无法登录或忘记密码，请联系区委组织部管理员。"),
        "WTF_CSRF_TIME_LIMIT": None,
        # Forms take WTForms' own Chinese translations (booking.forms.Form), not Flask-Babel's (not used here).
        "WTF_I18N_ENABLED": False,
    }
