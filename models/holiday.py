"""The public-holiday calendar: 法定节假日 and 调休上班 days."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from models import Model

HOLIDAY_KINDS = {"holiday": "法定节假日", "workday": "调休上班"}
HOLIDAY_SOURCES = {"library": "内置", "statute": "法定固定假日，待公布安排", "admin": "管理员录入"}


class Holiday(Model):
    """One day of the State Council's calendar: a public holiday or a make-up workday. `source` says whether it
    came with the system (`library`, the chinese-calendar package), stands in for a year nobody has announced
    (`statute`, the days the law fixes by the solar calendar) or an administrator entered it (`admin`, which wins
    over the others for the same day)."""

    __tablename__ = "holidays"
    __table_args__ = (
        CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),
        CheckConstraint("source IN ('library', 'statute', 'admin')", name="source"),
    )

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8), default="admin")

    @property
    def source_label(self) -> str:
        return HOLIDAY_SOURCES.get(self.source, self.source)

    @property
    def kind_label(self) -> str:
        return HOLIDAY_KINDS.get(self.kind, self.kind)
