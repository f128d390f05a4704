"""Scheduled jobs: their runs, and marks that make a piece of work happen once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models import Model
from models.types import UTCDateTime, utcnow


class JobRun(Model):
    """One run of a scheduled job, with its result."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None]
    detail: Mapped[str] = mapped_column(Text, default="")


class JobMark(Model):
    """A piece of work done once (a manager's digest of one day): the unique key is the lock."""

    __tablename__ = "job_marks"
    __table_args__ = (UniqueConstraint("job", "key", name="uq_job_marks_job_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
