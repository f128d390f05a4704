"""Places (名额): the only code that changes a slot's counter or a booking's headcounts.

Each move is one SQL statement under the row's lock that says what the row is now (`RETURNING`; on SQLite the
statement runs inside the write transaction, so what it returns is what the row holds until the commit). The ORM
object the caller holds is then told those values as committed (`written`): it is never assigned, so a flush can
never write a value read before the statement over a concurrent request's change. Callers take the booking's row
before the slot's (the order every writer keeps, so two of them never wait on each other in a circle).
"""
from datetime import datetime

from sqlalchemy import bindparam, text, update
from sqlalchemy.orm.attributes import set_committed_value

from booking.errors import InvalidState, SlotFull
from booking.reservations.states import HOLDING_PARTNER, LIVE, values
from models import Booking, BookingPartner, db
from models.types import UTCDateTime

_MOVED = "该预约刚刚被其他人处理过，请刷新后再试。"


def written(obj, **fields) -> None:
    """A Core statement changed the row behind `obj` to these values: tell the ORM object, without marking it
    changed (so the next flush writes nothing of them back). `obj` may also be a plain record (NewBooking)."""
    if hasattr(obj, "_sa_instance_state"):
        for name, value in fields.items():
            set_committed_value(obj, name, value)


# -- the slot's counter ----------------------------------------------------------------------------

# Hold places in a dated slot in one statement: the slot's counter is created holding them or, when it exists,
# raised only if they still fit (no row changes when they do not). The same SQL on SQLite and PostgreSQL, written
# out because the dialects' ON CONFLICT constructs are compiled anew on every execution.
_TAKE = text(
    "INSERT INTO slot_occupancies (venue_id, starts_at, ends_at, capacity, held) VALUES (:v, :s, :e, :c, :n) "
    "ON CONFLICT (venue_id, starts_at) DO UPDATE SET held = slot_occupancies.held + excluded.held "
    "WHERE slot_occupancies.held + excluded.held <= slot_occupancies.capacity"
).bindparams(bindparam("s", type_=UTCDateTime()), bindparam("e", type_=UTCDateTime()))
_MORE = text(
    "UPDATE slot_occupancies SET held = held + :n WHERE venue_id = :v AND starts_at = :s AND held + :n <= capacity"
).bindparams(bindparam("s", type_=UTCDateTime()))
_RELEASE = text(
    "UPDATE slot_occupancies SET held = held - :n WHERE venue_id = :v AND starts_at = :s"
).bindparams(bindparam("s", type_=UTCDateTime()))
# Still lacks room for n: the slot's counter row, touched only on that condition, so the row's lock orders joining
# the waitlist against a move that frees places (after it, the condition is read again).
_STILL_FULL = text(
    "UPDATE slot_occupancies SET held = held WHERE venue_id = :v AND starts_at = :s AND held + :n > capacity"
).bindparams(bindparam("s", type_=UTCDateTime()))


def take(venue_id: int, start: datetime, end: datetime, capacity: int, n: int) -> None:
    """Hold n places of a dated slot for a new booking, atomically; SlotFull (rolled back) when they are not there.

    The upsert is serialised by the database per row (PostgreSQL row lock, SQLite's write lock), so simultaneous
    requests in any number of processes can never overfill a slot."""
    if n > capacity or db.session.execute(
            _TAKE, {"v": venue_id, "s": start, "e": end, "c": capacity, "n": n}).rowcount != 1:
        db.session.rollback()  # at once: the row the upsert found stays locked until the transaction ends
        raise SlotFull()


def take_more(venue_id: int, start: datetime, n: int) -> bool:
    """Hold n more places of a slot whose counter exists; False (nothing changed) when they are not there."""
    return db.session.execute(_MORE, {"n": n, "v": venue_id, "s": start}).rowcount == 1


def release(venue_id: int, start: datetime, n: int) -> None:
    """Give n places of a slot back."""
    if n:
        db.session.execute(_RELEASE, {"n": n, "v": venue_id, "s": start})


_ROOM = text("SELECT capacity, held FROM slot_occupancies WHERE venue_id = :v AND starts_at = :s").bindparams(
    bindparam("s", type_=UTCDateTime()))


def room(venue_id: int, start: datetime, capacity: int) -> tuple[int, int]:
    """(capacity, places left) of a dated slot as its counter says, read without a lock; a slot nobody holds yet
    has the weekly slot's `capacity`, all of it left."""
    row = db.session.execute(_ROOM, {"v": venue_id, "s": start}).first()
    return (capacity, capacity) if row is None else (row.capacity, max(row.capacity - row.held, 0))


def still_full(venue_id: int, start: datetime, n: int) -> bool:
    """Whether the slot still lacks room for n, with its counter row taken (a queue may form behind it)."""
    return db.session.execute(_STILL_FULL, {"v": venue_id, "s": start, "n": n}).rowcount == 1


# -- a booking's headcounts ------------------------------------------------------------------------

def add_partner_places(booking: Booking, n: int, max_group: int, now: datetime) -> int:
    """Raise the booking's partner places by n, within the item's group limit, then hold them in its slot; returns
    the booking's new partner_headcount. InvalidState when the booking stopped being live, began, or the total no
    longer fits; SlotFull when the slot lacks the places (both rolled back)."""
    new = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(values(LIVE)), Booking.starts_at > now,
                              Booking.headcount + Booking.partner_headcount + n <= max_group)
        .values(partner_headcount=Booking.partner_headcount + n, updated_at=now)
        .returning(Booking.partner_headcount).execution_options(synchronize_session=False)).scalar()
    if new is None:
        db.session.rollback()
        raise InvalidState("该预约刚刚被其他人修改过，请刷新后再试。")
    if not take_more(booking.venue_id, booking.starts_at, n):
        db.session.rollback()
        raise SlotFull()
    written(booking, partner_headcount=new, updated_at=now)
    return new


def end_partner_places(booking: Booking, part: BookingPartner, now: datetime, **ending) -> int:
    """End a partner's part (its row gets `ending`: status, reason, answered_at) and give its places back: the
    booking's row first (InvalidState when it stopped being live or began), then the partner's (InvalidState when
    it no longer holds places), then the slot's. Returns the places given back."""
    moved = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(values(LIVE)), Booking.starts_at > now)
        .values(updated_at=now).returning(Booking.id).execution_options(synchronize_session=False)).scalar()
    if moved is None:
        db.session.rollback()
        raise InvalidState(_MOVED)
    n = db.session.execute(
        update(BookingPartner).where(BookingPartner.id == part.id,
                                     BookingPartner.status.in_(values(HOLDING_PARTNER)))
        .values(**ending).returning(BookingPartner.headcount).execution_options(synchronize_session=False)).scalar()
    if n is None:
        db.session.rollback()
        raise InvalidState("该邀请刚刚被撤回或已答复，请刷新后再试。")
    new = db.session.execute(
        update(Booking).where(Booking.id == booking.id).values(partner_headcount=Booking.partner_headcount - n)
        .returning(Booking.partner_headcount).execution_options(synchronize_session=False)).scalar_one()
    release(booking.venue_id, booking.starts_at, n)
    written(booking, partner_headcount=new, updated_at=now)
    written(part, **ending)
    return n


def change_headcount(booking: Booking, old: int, new: int, max_group: int, now: datetime,
                     **fields) -> tuple[int, int]:
    """Change the host's headcount from `old` (as the person changing it saw it) to `new`, and any other `fields`
    of the row in the same statement, while the booking stays live and its total (with the partners' places as
    they are now) within max_group; then take or give back the difference. Returns (headcount, partner_headcount)
    as they now are. InvalidState (someone changed it a moment ago, or the total no longer fits) or SlotFull,
    rolled back, when it cannot be."""
    delta = new - old
    row = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(values(LIVE)), Booking.headcount == old,
                              Booking.headcount + Booking.partner_headcount + delta <= max_group)
        .values(headcount=new, updated_at=now, **fields)
        .returning(Booking.headcount, Booking.partner_headcount)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        db.session.rollback()
        raise InvalidState(_MOVED)
    if delta > 0 and not take_more(booking.venue_id, booking.starts_at, delta):
        db.session.rollback()
        raise SlotFull()
    if delta < 0:
        release(booking.venue_id, booking.starts_at, -delta)
    written(booking, headcount=row.headcount, partner_headcount=row.partner_headcount, updated_at=now, **fields)
    return row.headcount, row.partner_headcount


def move_status(booking, previous, target, now: datetime, release_places: bool) -> bool:
    """Move the booking's status from `previous` to `target` (False when it was not `previous` any more: someone
    moved it a moment ago); when the move gives places back, everything it holds with its partners is released,
    as read under the row's lock."""
    held = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == previous)
        .values(status=target, updated_at=now).returning(Booking.headcount + Booking.partner_headcount)
        .execution_options(synchronize_session=False)).scalar()
    if held is None:
        return False
    if release_places:
        release(booking.venue_id, booking.starts_at, held)
    written(booking, status=target, updated_at=now)
    return True
