"""The big screen of the district office (数据大屏): a secret read-only link the admin renews, and its figures.

The screen logs nobody in and sets no cookie: a shared display in a hall should not hold anyone's session. Only the
link's hash is kept; renewing it ends the old link at once.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from booking import audit, clock, permissions
from booking.areas import services as areas
from booking.errors import NotAllowed
from booking.lectures import services as lectures
from booking.reports import services as reports
from booking.stats import services as stats
from models import BASE_TYPES, db
from models.screen import ScreenLink


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _live(area_id: int | None):
    """The live links of a screen: the district's (no area) or one area's."""
    return (ScreenLink.revoked_at.is_(None),
            ScreenLink.area_id.is_(None) if area_id is None else ScreenLink.area_id == area_id)


def screen_area(actor, area_id=None):
    """Whose screen the actor sets up: the district's (an admin, no area), or an area's (an admin any; an area
    administrator its own, by default, or one below it). Others are refused."""
    if not permissions.keeps_branches(actor):
        raise NotAllowed("只有区委组织部和街道社区管理员可以设置数据大屏。")
    return areas.readable(actor, area_id) or areas.own_area(actor)


def current(area_id: int | None = None) -> ScreenLink | None:
    """The link in use of the district's screen (or an area's), if any."""
    return db.session.scalar(select(ScreenLink).where(*_live(area_id)).order_by(ScreenLink.id.desc()))


def renew(actor, now: datetime | None = None, area_id: int | None = None) -> str:
    """A new link for the screen (see `screen_area`); the old one stops working. Returns the token, shown once."""
    area = screen_area(actor, area_id)
    where = area.id if area is not None else None
    now = now or clock.now()
    db.session.execute(update(ScreenLink).where(*_live(where)).values(revoked_at=now))
    token = secrets.token_urlsafe(24)
    db.session.add(ScreenLink(token_hash=_hash(token), created_by_id=actor.id, created_at=now, area_id=where))
    audit.record(actor, "screen_link_renewed", "screen", where,
                 f"{area.name if area is not None else ''}数据大屏链接已更新，旧链接失效")
    db.session.commit()
    return token


def revoke(actor, now: datetime | None = None, area_id: int | None = None) -> None:
    """Stop the screen's link (see `screen_area`)."""
    area = screen_area(actor, area_id)
    where = area.id if area is not None else None
    db.session.execute(update(ScreenLink).where(*_live(where)).values(revoked_at=now or clock.now()))
    audit.record(actor, "screen_link_revoked", "screen", where,
                 f"{area.name if area is not None else ''}数据大屏链接已停用")
    db.session.commit()


def link_of(token: str) -> ScreenLink | None:
    """The link in use with this token, if any."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(ScreenLink).where(ScreenLink.token_hash == _hash(token),
                                                      ScreenLink.revoked_at.is_(None)))


def is_valid(token: str) -> bool:
    """Whether the link is one in use."""
    return link_of(token) is not None


@dataclass
class District:
    """The district as the screen's reader: it sees what the district's admin sees, and nothing else."""

    id: None = None
    role: str = "admin"
    branch_id: None = None
    lecturer_id: None = None
    area_id: None = None
    area_path: None = None
    is_authenticated: bool = True

    @property
    def base_ids(self) -> list[int]:
        return []


def figures(today: date | None = None, area_id: int | None = None) -> dict:
    """This year's figures for the screen (the district's, or an area's bases and their visits), as JSON."""
    today = today or clock.local_today()
    district = District()
    reader = reports.cover_of(district, area_id).reader
    start = date(today.year, 1, 1)
    now = reports.summary(district, start, today, area_id)
    by_month, _ = stats.compute(reader, "month", start, today)
    by_type = {r.key: r.batches for r in stats.compute(reader, "base_type", start, today)[0]}
    return {
        "year": today.year, "updated_at": clock.iso(clock.now()), "scope": now.scope_label,
        "tiles": [
            {"label": "开放式组织生活基地", "value": now.bases_total, "unit": "个"},
            {"label": "活动批次", "value": now.batches, "unit": "批"},
            {"label": "参加人次", "value": now.person_times, "unit": "人次"},
            {"label": "服务党支部", "value": now.branches_served, "unit": "个"},
            {"label": "讲习活动", "value": now.lecture_sessions, "unit": "场"},
            {"label": "志愿讲师", "value": now.lecturers_total, "unit": "名"},
        ],
        "by_month": {"labels": [r.label for r in by_month], "batches": [r.batches for r in by_month],
                     "person_times": [r.person_times for r in by_month]},
        "by_type": {"labels": [BASE_TYPES[k] for k in BASE_TYPES], "values": [by_type.get(k, 0) for k in BASE_TYPES]},
        "by_sector": {"labels": [r.label for r in now.by_sector], "values": [r.batches for r in now.by_sector]},
        "coming": _coming_lectures(reports.cover_of(district, area_id).bases),
    }


def _coming_lectures(bases: list[int] | None) -> str:
    """The next open lectures (讲习活动) at the screen's bases, as one line read from across the room."""
    coming = [x for x in lectures.coming(12) if bases is None or x.base_id in bases][:3]
    seats = lectures.seats(coming)
    return "　｜　".join(f"{clock.local(x.starts_at):%m月%d日 %H:%M} {x.base.name}“{x.title}”"
                        + (f"余 {seats[x.id].remaining} 座" if seats[x.id].remaining else "已满")
                        for x in coming)

