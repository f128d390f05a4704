"""SQLite as a production-grade embedded database: WAL, foreign keys, and writers that queue instead of spin.

Reads run in autocommit mode and never wait (WAL). A transaction becomes a write transaction at its first
writing statement: it then takes an exclusive file lock (instance/write.lock) and issues BEGIN IMMEDIATE, and it
lets go of the lock right after COMMIT or ROLLBACK. Writers of every process (gunicorn workers, the scheduler,
the CLI) so queue in the kernel and are woken at once, instead of SQLite's busy handler sleeping and polling,
and a transaction never upgrades from reading to writing (which fails at once with "database is locked").
The WAL is copied back into the database (a checkpoint) by the process that wrote, every CHECKPOINT_EVERY of
its commits, after it has let go of the write lock: SQLite would otherwise do it inside a COMMIT now and then,
and every other writer would wait for the copy and its fsyncs. (SQLite's own checkpoint stays as a backstop at a
much larger WAL.) Like PostgreSQL at READ COMMITTED, what was read before the first write may change before it: the rules that
matter are kept by conditional UPDATEs, unique indexes and row locks that work the same on both databases.
"""
import fcntl
import os

from flask import Flask
from sqlalchemy import event

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
CHECKPOINT_EVERY = 200  # commits of one process; a few MB of WAL at most
BACKSTOP_PAGES = 20000  # SQLite's automatic checkpoint, should ours fall behind (about 80 MB)


def _lock(info: dict, path: str) -> None:
    if "lock_fd" not in info:
        info["lock_fd"] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(info["lock_fd"], fcntl.LOCK_EX)
    info["locked"] = True


def _unlock(info: dict) -> None:
    if info.get("locked"):
        fcntl.flock(info["lock_fd"], fcntl.LOCK_UN)
        info["locked"] = False


def tune(app: Flask, engine) -> None:
    """Install the connection settings and the write lock for an SQLite engine."""
    lock_path = os.path.join(app.instance_path, "write.lock")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # no implicit transactions: begun below, at the first write
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cur.close()

    @event.listens_for(engine, "before_cursor_execute")
    def begin_writing(conn, cursor, statement, parameters, context, executemany):
        if not conn.connection.dbapi_connection.in_transaction and statement.lstrip()[:7].upper().startswith(WRITES):
            _lock(conn.connection.info, lock_path)
            cursor.execute("BEGIN IMMEDIATE")

    commits = 0

    @event.listens_for(engine, "commit")
    def commit_then_unlock(conn):
        nonlocal commits
        dbapi_conn = conn.connection.dbapi_connection
        wrote = dbapi_conn.in_transaction
        if wrote:
            dbapi_conn.commit()  # commit here, so that the next writer goes only once it is done
        _unlock(conn.connection.info)
        if wrote:
            commits += 1
            if commits % CHECKPOINT_EVERY == 0:
                # PASSIVE: copies what it can without waiting for readers or writers, and never blocks them.
                dbapi_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    @event.listens_for(engine, "rollback")
    def rollback_then_unlock(conn):
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn.in_transaction:
            dbapi_conn.rollback()
        _unlock(conn.connection.info)

    @event.listens_for(engine, "reset")
    def unlock_on_return(dbapi_conn, record, reset_state):
        if dbapi_conn.in_transaction:
            dbapi_conn.rollback()
        _unlock(record.info)
