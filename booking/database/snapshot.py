"""Answers kept while the database has not changed: the dashboards read by many, recomputed after any commit.

The statistics, an area's day and the watch list are read again and again between the few writes that change
them: every area administrator opening its landing page in the morning, a big screen polling. Each such answer is
a function of what its reader may see (the token's scope), the question (the query), the time (to the minute) and
the database. This module names the database's state cheaply and exactly, so an answer computed once can be given
again, by this worker, for as long as that state lasts:

- PostgreSQL: the transaction snapshot (`pg_current_snapshot()`: which transactions' work is visible). Two equal
  snapshots see the same rows in every table, and any commit anywhere gives later statements a different one.
- SQLite: `PRAGMA data_version` of the connection, which changes when another connection (of any process)
  commits, together with the connection's own count of writing commits (data_version ignores those) and its
  serial in this process (booking.database.sqlite).

The state is read before the answer is computed; a commit landing in between only means the answer kept is newer
than its key, never older (every statement after the key sees at least what the key saw). Nothing is kept for a
session with writes of its own not yet committed (it sees rows nobody else does): it computes as before. So an
answer is never staler than the database, whichever worker or process wrote, and a write costs nothing more.

Kept per application, in each worker's memory, the most recently used first, at most KEEP answers.
"""
import threading
from collections import OrderedDict

from flask import current_app

from models import db

KEEP = 256


def state():
    """The database's state as this session's connection sees it now, or None when that cannot be named: the
    session holds writes not yet committed, or the connection is not one of ours."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        return None
    conn = session.connection()
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        from psycopg.pq import TransactionStatus
        if raw.pgconn.transaction_status != TransactionStatus.IDLE:  # a write transaction is open
            return None
        return conn.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar()
    serial = getattr(raw, "serial", None)
    if serial is None or raw.in_transaction:
        return None
    (version,), = raw.execute("PRAGMA data_version").fetchall()
    return serial, version, raw.written


class Kept:
    """The answers of one application, most recently used last."""

    def __init__(self, size: int = KEEP):
        self.size = size
        self.lock = threading.Lock()
        self.answers: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key, compute):
        now = state()
        if now is None:
            return compute()
        full = (key, now)
        with self.lock:
            if full in self.answers:
                self.answers.move_to_end(full)
                self.hits += 1
                return self.answers[full]
        answer = compute()
        with self.lock:
            self.misses += 1
            self.answers[full] = answer
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)
        return answer


def init_app(app) -> None:
    app.extensions["kept_answers"] = Kept()


def kept(key, compute):
    """compute(), or the answer it gave for the same key while the database stayed as it is now. The key must
    name everything else the answer depends on (who asks, what, the time); `compute` must not write."""
    store = current_app.extensions.get("kept_answers")
    return compute() if store is None else store.get(key, compute)
