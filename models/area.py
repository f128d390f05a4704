"""Areas (属地): the city, its districts, their streets and towns, their communities and villages, as one tree.

Each area keeps its materialised path, its ancestors' ids and its own ("/1/4/17/"): everything below an area is
the one indexed condition `path LIKE '/1/4/%'`, on SQLite and PostgreSQL alike, however deep the tree.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.types import UTCDateTime, utcnow

# In the tree's order: a child's kind comes after its parent's.
AREA_KINDS = {"city": "市", "district": "区县", "street": "街道/乡镇", "community": "社区/村"}
KIND_ORDER = list(AREA_KINDS)


class Area(Model):
    """属地: one node of the tree."""

    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in AREA_KINDS)})", name="kind"),
        UniqueConstraint("parent_id", "name", name="uq_areas_parent_name"),
        # A subtree is `path LIKE '/1/4/%'`: PostgreSQL reads a prefix off this index whatever the database's collation.
        Index("ix_areas_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # "/<root id>/…/<own id>/": see the module.
    path: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Area | None] = relationship(remote_side=[id])

    @property
    def kind_label(self) -> str:
        return AREA_KINDS.get(self.kind, self.kind)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


ROOT_ID = select(Area.id).where(Area.parent_id.is_(None)).order_by(Area.id).limit(1)


def root_area_id(context) -> int | None:
    """The default area of a new organisation or base: the tree's root (a column default, on the flush's
    connection)."""
    return context.connection.execute(ROOT_ID).scalar()
