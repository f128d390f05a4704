"""Figures kept as the bookings change: each branch's completed base visits a month (its own, as the host).

`branch_months` is maintained by the database itself (triggers on `bookings`, migration 0031) in the transaction
that changes a booking, whatever wrote it (an ORM flush or a Core UPDATE): a visit counts once, under its branch and
the month of its day, while it is completed at a base. Statistics that sum whole months over many branches (by area,
the district's summary) read these rows instead of every booking; the integrity checker compares them with the
bookings.
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
