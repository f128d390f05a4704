"""Party organisations (党组织) and their branches (党支部)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model
from models.area import Area, root_area_id
from models.types import UTCDateTime, utcnow

SECTORS = {
    "government": "机关",
    "community": "街道社区",
    "state_enterprise": "国有企业",
    "new_organization": "两新组织",
    "institution": "事业单位",
    "other": "其他",
}


class Organization(Model):
    """党组织: the unit a branch belongs to, with its sector."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(f"sector IN ({', '.join(repr(s) for s in SECTORS)})", name="sector"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    sector: Mapped[str] = mapped_column(String(32))
    # 属地: the street or community the organisation lies in (the root when nobody placed it).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True, default=root_area_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branches: Mapped[list[Branch]] = relationship(back_populates="organization", order_by="Branch.name")
    area: Mapped[Area] = relationship()

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.sector, self.sector)


class Branch(Model):
    """党支部: the group that books and visits."""

    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_branches_org_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    member_count: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="branches")
