"""Reads run outside transactions and a transaction begins at the first statement that needs one, on both
databases (booking.database.sqlite, booking.database.postgres): no BEGIN and ROLLBACK around a read, nothing lost for a write."""
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from booking.database.postgres import needs_transaction
from models import Base, db


@pytest.mark.parametrize("sql, needs", [
    ("SELECT bases.id FROM bases WHERE bases.id = %(id)s", False),
    ("  select 1", False),
    ("SHOW transaction_isolation", False),
    ("SELECT bookings.id FROM bookings WHERE bookings.id = %(id)s FOR UPDATE", True),
    ("SELECT id FROM slot_occupancies\nFOR NO KEY UPDATE OF slot_occupancies SKIP LOCKED", True),
    ("select id from bases for share", True),
    ("SELECT id FROM bases FOR KEY SHARE", True),
    ("INSERT INTO bases (name) VALUES (%(n)s)", True),
    ("  update bases set name = 'x'", True),
    ("DELETE FROM api_tokens", True),
    ("WITH b AS (SELECT 1) SELECT * FROM b", True),  # a CTE may write: in a transaction to be safe
    ("SET LOCAL enable_seqscan = off", True),
    ("SAVEPOINT sa_savepoint_1", True),
    ("LOCK TABLE bases", True),
    ("CREATE INDEX ix ON bases (name)", True),
])
def test_which_statements_begin_a_transaction(sql, needs):
    assert needs_transaction(sql) is needs


def _in_transaction(raw) -> bool:
    if hasattr(raw, "pgconn"):
        return raw.pgconn.transaction_status != TransactionStatus.IDLE
    return raw.in_transaction


def test_a_read_opens_no_transaction_and_the_first_write_or_row_lock_does(world):
    base_id = db.session.scalar(select(Base.id).order_by(Base.id))
    name = db.session.get(Base, base_id).name
    raw = db.session.connection().connection.dbapi_connection
    db.session.execute(select(Base.id, Base.name)).all()
    assert not _in_transaction(raw)

    if db.engine.dialect.name == "postgresql":
        # A row lock begins the transaction and holds until it ends: another connection cannot take it meanwhile.
        db.session.execute(select(Base.id).where(Base.id == base_id).with_for_update()).all()
        assert _in_transaction(raw)
        with db.engine.connect() as other:
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(text("SELECT id FROM bases WHERE id = :id FOR UPDATE NOWAIT"), {"id": base_id})
        db.session.rollback()
        assert not _in_transaction(raw)
        raw = db.session.connection().connection.dbapi_connection

    db.session.execute(update(Base).where(Base.id == base_id).values(name="改过的名字"))
    assert _in_transaction(raw)
    db.session.rollback()
    assert not _in_transaction(raw)
    assert db.session.scalar(select(Base.name).where(Base.id == base_id)) == name  # the write was undone

    db.session.execute(update(Base).where(Base.id == base_id).values(name="改过的名字"))
    db.session.commit()
    db.session.remove()
    assert db.session.scalar(select(Base.name).where(Base.id == base_id)) == "改过的名字"  # and a commit keeps it
