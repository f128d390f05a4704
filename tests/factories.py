"""Test data made through the services, at any time (past visits included)."""
from datetime import time, timedelta

from sqlalchemy import select

from booking import clock
from booking.reservations import records, services as reservations
from booking.visits import services as visits
from models import Booking, MenuItem, User, db


def user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def item(title="重温入党誓词") -> MenuItem:
    return db.session.scalar(select(MenuItem).where(MenuItem.title == title))


def slot_start(days: int, hour: int = 9):
    """A slot start `days` from today (negative for the past), local hour."""
    return clock.at_local(clock.local_today() + timedelta(days=days), time(hour))


def booking(secretary="secretary", menu_item=None, start=None, headcount=20, approve=True, branch_id=None):
    """A booking made up to three days before its start (so past visits can be made too), approved by default.

    Its history is never dated after the real present, so later events sort after it.
    """
    menu_item = menu_item or item()
    start = start or slot_start(3)
    actor = user(secretary)
    made = min(start - timedelta(days=3), clock.now() - timedelta(minutes=2))
    b = db.session.get(Booking, records.create_booking(
        actor, menu_item_id=menu_item.id, start=start, headcount=headcount, contact_name="联系人",
        contact_phone="13800000000", branch_id=branch_id, now=made).id)
    if approve and b.status == "pending":
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        reservations.approve_booking(admin, b, now=made + timedelta(minutes=1))
    return b


def completed(secretary="secretary", menu_item=None, start=None, headcount=20, visitors=18):
    """A past visit with its visitor count recorded."""
    b = booking(secretary, menu_item, start or slot_start(-5), headcount)
    visits.record_attendance(user("admin"), b, visitors, now=b.starts_at + timedelta(hours=1))
    return b


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), color=(200, 30, 30)) -> bytes:
    """A real little image in the given format (uploads are decoded and re-encoded, so fakes no longer pass)."""
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()
