"""PostgreSQL: reads outside transactions, a transaction begun at the first statement that needs one.

SQLAlchemy's default runs every request in a transaction: psycopg sends BEGIN before the first statement and the
pool sends ROLLBACK when the request gives the connection back. A request that only reads (an availability
lookup, a base's page) so makes two extra round trips, and the ROLLBACK also makes psycopg forget its prepared
statements (a rolled-back transaction may have undone a PREPARE), so the same three queries are parsed and
planned again in every request. Measured on the benchmark's availability lookup: 2.27 ms a request in the
transaction, 1.50 ms outside it, before any statement was prepared.

So connections are in autocommit mode (the engine's isolation_level) and the cursor begins the transaction itself
at the first statement that is not a plain read: a write, DDL, SET, a SAVEPOINT, or a SELECT that locks rows
(FOR UPDATE / FOR SHARE). From there on everything runs in that transaction until SQLAlchemy commits or rolls
back (psycopg sends COMMIT or ROLLBACK whenever a transaction is open, autocommit or not). This is the model of
booking.database.sqlite on the other database, and at PostgreSQL's READ COMMITTED it changes nothing a request can see:
each statement of a READ COMMITTED transaction reads its own snapshot anyway, and a plain SELECT takes no row lock.
Reads made before the first write are not part of the write's transaction, as before; the rules that matter are
kept by conditional UPDATEs, unique indexes and row locks, all of which run inside it.

Why the cursor decides, by the statement's text: psycopg's own transaction handling (autocommit off) sends BEGIN
before every first statement, reads included, which is the round trip this module exists to save; and SQLAlchemy's
compiled statement says whether it inserts, updates or deletes only for its own constructs, not for the text()
upserts of booking.reservations.places and shares. The rule is one-sided: only a statement that starts with SELECT
(or SHOW) and locks no rows runs outside a transaction; anything else (a WITH, a comment first) begins one.
"""
import re
from functools import lru_cache

import psycopg
from psycopg.pq import TransactionStatus

_PLAIN_READ = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)
_LOCKS_ROWS = re.compile(r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)
_IDLE = TransactionStatus.IDLE


@lru_cache(maxsize=2048)
def needs_transaction(sql: str) -> bool:
    """Whether a statement must run in a transaction: everything but a SELECT (or SHOW) that locks no rows."""
    return _PLAIN_READ.match(sql) is None or _LOCKS_ROWS.search(sql) is not None


class BeginningCursor(psycopg.Cursor):
    """A cursor that opens the connection's transaction before the first statement that needs one."""

    def execute(self, query, params=None, **kwargs):
        self._begin_for(query)
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        self._begin_for(query)
        return super().executemany(query, params_seq, **kwargs)

    def _begin_for(self, query) -> None:
        if self.connection.pgconn.transaction_status == _IDLE and (
                not isinstance(query, str) or needs_transaction(query)):
            super().execute("BEGIN", prepare=False)


def engine_options(options: dict) -> None:
    """What the engine needs for this module: autocommit connections with the beginning cursor."""
    options["isolation_level"] = "AUTOCOMMIT"
    options.setdefault("connect_args", {})["cursor_factory"] = BeginningCursor
