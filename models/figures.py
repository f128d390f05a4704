"""Figures kept as the bookings change: each branch's completed base visits a month (its own, as the host), and
each area's (the visits of the branches of the organisations placed directly in it).

Both are maintained by the database itself (triggers, migration 0031) in the transaction that changes a booking,
whatever wrote it (an ORM flush or a Core UPDATE): a visit counts once, under its branch and the month of its day,
while it is completed at a base, and under its branch's organisation's area. An organisation moved to another area
(or a branch to another organisation) takes its months along in the same transaction. Statistics that sum whole
months (by area, by organisation, the district's summary) read these rows instead of every booking; the integrity
checker compares them with the bookings.
"""
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models import Model


class BranchMonth(Model):
    __tablename__ = "branch_months"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM of the visits' day
    batches: Mapped[int] = mapped_column(Integer, default=0)
    person_times: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)


class AreaMonth(Model):
    __tablename__ = "area_months"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    person_times: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
