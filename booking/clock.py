"""Time: one clock for services, and conversion between instants and the deployment's local time."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

from models.types import utcnow


def now() -> datetime:
    """The current instant (UTC, aware). Services take `now` as a parameter defaulting to this."""
    return utcnow()


def tz() -> ZoneInfo:
    """The deployment's time zone (setting TIMEZONE)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(dt: datetime) -> datetime:
    """An instant in the deployment's zone."""
    return dt.astimezone(tz())


def local_today(at: datetime | None = None) -> date:
    """Today's date in the deployment's zone."""
    return local(at or now()).date()


def at_local(day: date, t: time) -> datetime:
    """The instant of a local wall-clock time on a day, as aware UTC."""
    return datetime.combine(day, t, tzinfo=tz()).astimezone(timezone.utc)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants of a local day's start and the next day's start."""
    return at_local(day, time(0)), at_local(day + timedelta(days=1), time(0))


# Dates outside these years are typing mistakes (and old years have odd historical offsets).
MIN_YEAR, MAX_YEAR = 2000, 2100


def parse_datetime(value: str) -> datetime:
    """Parse ISO 8601 with or without offset (none = local time); raises ValueError."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a datetime")
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise ValueError("year out of range")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz())
    return dt.astimezone(timezone.utc)


def parse_date(value: str) -> date:
    """Parse YYYY-MM-DD; raises ValueError."""
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("not a date")
    day = date.fromisoformat(value)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError("year out of range")
    return day


def iso(dt: datetime | None) -> str | None:
    """An instant written in local time with its offset."""
    return None if dt is None else local(dt).isoformat(timespec="seconds")


def written(value: date | datetime, fmt: str) -> str:
    """A date or an instant formatted as Chinese texts write it: month and day without a leading zero (2026年1月1日,
    1月3日 09:00; official documents write dates so), the rest as strftime does. An instant is taken as it is: call
    `local` first."""
    return value.strftime(fmt.replace("%m月", f"{value.month}月").replace("%d日", f"{value.day}日"))


def when(dt: datetime) -> str:
    """An instant as notification texts write it: local month, day and time ("12月3日 09:00")."""
    return written(local(dt), "%m月%d日 %H:%M")


def day_text(day: date) -> str:
    """A date as texts write it ("2026年12月3日")."""
    return written(day, "%Y年%m月%d日")
