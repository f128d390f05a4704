"""The read-only link of the district office's big screen (数据大屏): no login, no cookie on a shared display."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models import Model
from models.types import UTCDateTime, utcnow


class ScreenLink(Model):
    """A secret link that shows the year's figures; only its hash is kept. Renewing it ends the old one."""

    __tablename__ = "screen_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The area whose figures it shows (None: the whole tree, the district's screen).
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
