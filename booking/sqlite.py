"""SQLite as a production-grade embedded database: WAL, foreign keys, and writers that queue instead of spin.

Write requests take an exclusive file lock (instance/write.lock) for their duration, so the gunicorn workers'
writers wait in the kernel's queue and are woken at once, instead of SQLite's busy handler sleeping and polling.
Write transactions also start with BEGIN IMMEDIATE: a deferred transaction that read and then writes fails at
once with "database is locked" when another process wrote in between. Reads (GET) run in autocommit mode and
never wait for writers (WAL).
"""
import fcntl
import os

from flask import Flask, g, has_request_context, request
from sqlalchemy import event

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _is_read() -> bool:
    return has_request_context() and request.method in READ_METHODS


def tune(app: Flask, engine) -> None:
    """Install the connection settings and the write lock for an SQLite engine."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions are begun explicitly, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        if not _is_read():
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    lock_path = os.path.join(app.instance_path, "write.lock")

    @app.before_request
    def take_write_lock():
        if request.method not in READ_METHODS:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            g._sqlite_write_lock = fd

    @app.teardown_request
    def release_write_lock(_exc):
        fd = g.pop("_sqlite_write_lock", None)
        if fd is not None:
            from models import db
            db.session.rollback()  # end any open transaction before the next writer goes (after a commit: no-op)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
