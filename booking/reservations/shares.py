"""Fair shares (配额) of a base's places: how many live upcoming online bookings one branch may hold there at a time,
and how many per calendar month (a base's `max_live_per_branch` and `max_per_branch_per_month`, None: no limit).

The manager's offline bookings are the manager's decision and neither count nor are refused. A count checked and
then acted on would let one branch's simultaneous requests for different slots all through: `hold` first writes
the branch's row in `share_locks` (an upsert, so the row's lock is taken on PostgreSQL and the write lock on
SQLite) and counts under it, so those requests count one after another.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select, text

from booking import clock
from booking.errors import QuotaExceeded
from booking.reservations.states import LIVE, ON_THE_DAY
from models import Booking, db

_b = Booking.__table__
_online_here = (_b.c.branch_id == bindparam("branch_id"), _b.c.base_id == bindparam("base_id"), _b.c.source == "online")
_LIVE_HERE = select(func.count()).where(*_online_here, _b.c.status.in_([s.value for s in LIVE]),
                                         _b.c.starts_at > bindparam("now"))
_MONTH_HERE = select(func.count()).where(*_online_here, _b.c.status.in_([s.value for s in ON_THE_DAY]),
                                          _b.c.day >= bindparam("first"), _b.c.day <= bindparam("last"))
_LOCK = text("INSERT INTO share_locks (branch_id, base_id, uses) VALUES (:branch_id, :base_id, 1) "
             "ON CONFLICT (branch_id, base_id) DO UPDATE SET uses = share_locks.uses + 1")


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _counts(branch_id: int, base_id: int, day: date, now: datetime) -> tuple[int, int]:
    first, last = _month(day)
    params = {"branch_id": branch_id, "base_id": base_id, "now": now, "first": first, "last": last}
    return db.session.scalar(_LIVE_HERE, params) or 0, db.session.scalar(_MONTH_HERE, params) or 0


def refusal(branch_id: int, base_id: int, max_live: int | None, max_month: int | None, day: date,
            now: datetime | None = None) -> QuotaExceeded | None:
    """Why one more online booking of the branch at the base (for `day`) is beyond its shares, or None."""
    if max_live is None and max_month is None:
        return None
    live, month = _counts(branch_id, base_id, day, now or clock.now())
    if max_live is not None and live >= max_live:
        return QuotaExceeded(f"本支部在该基地已有 {live} 个未开始的预约，每个支部最多同时预约 {max_live} 个；"
                             "请在已有活动结束或取消后再预约，如确有需要请联系基地管理员。")
    if max_month is not None and month >= max_month:
        return QuotaExceeded(f"本支部 {day.month} 月已在该基地预约 {month} 次，每个支部每月最多 {max_month} 次；"
                             "请选择其他月份，如确有需要请联系基地管理员。")
    return None


def hold(branch_id: int, base_id: int, max_live: int | None, max_month: int | None, day: date,
         now: datetime | None = None) -> None:
    """Inside the transaction that writes the booking: take the branch's share lock at the base and count under it;
    QuotaExceeded (the caller rolls back) when the booking would pass a share."""
    if max_live is None and max_month is None:
        return
    db.session.execute(_LOCK, {"branch_id": branch_id, "base_id": base_id})
    refused = refusal(branch_id, base_id, max_live, max_month, day, now)
    if refused is not None:
        raise refused


def none_online(base) -> bool:
    """A share of 0: the base takes no online bookings at all (branches book by phone, recorded offline)."""
    return 0 in (base.max_live_per_branch, base.max_per_branch_per_month)


def left(branch_id: int, base, day: date | None = None, now: datetime | None = None) -> int | None:
    """How many more online bookings the branch may make at the base now (in `day`'s month), or None: no limit."""
    if base.max_live_per_branch is None and base.max_per_branch_per_month is None:
        return None
    now = now or clock.now()
    live, month = _counts(branch_id, base.id, day or clock.local_today(now), now)
    room = [limit - used for limit, used in ((base.max_live_per_branch, live), (base.max_per_branch_per_month, month))
            if limit is not None]
    return max(min(room), 0)
