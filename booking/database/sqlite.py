"""SQLite as a production-grade embedded database: WAL, foreign keys, and writers that queue instead of spin.

Reads run in autocommit mode and never wait (WAL). A transaction becomes a write transaction at its first
writing statement: it then takes an exclusive file lock (instance/write.lock) and issues BEGIN IMMEDIATE, and it
lets go of the lock right after COMMIT or ROLLBACK. Which statement writes is SQLite's own answer (its authorizer,
while it compiles the statement once per process), not a guess from the statement's first word. Writers of every
process (gunicorn workers, the scheduler, the CLI) so queue on the lock, trying again every few hundred
microseconds, instead of SQLite's busy handler sleeping up to 100 ms between tries, and a transaction never
upgrades from reading to writing (which fails at once with "database is locked").

SQLAlchemy's pysqlite documentation begins every transaction with BEGIN IMMEDIATE from the engine's `begin` event:
here that would take the write lock for every request, reads included, and the two workers would read one at a
time. A request's reads need no transaction under WAL; only its writes must queue.

The WAL is copied back into the database (a checkpoint) by the connection that wrote, every CHECKPOINT_EVERY of
its commits or after CHECKPOINT_SECONDS, after it has let go of the write lock: SQLite would otherwise do it
inside a COMMIT now and then, and every other writer would wait for the copy and its fsyncs. (SQLite's own
checkpoint stays as a backstop at a much larger WAL.) A checkpoint cannot reset the WAL while a reader still
needs its frames, so under load the file can grow; once a checkpoint does reset it, SQLite truncates the file to
WAL_SIZE_LIMIT (journal_size_limit), so its size stays bounded instead of staying at its largest.

This lives in the DBAPI connection itself (sqlite3's `factory`), not in SQLAlchemy events: every statement
passes through it, and engine events would put their dispatch on every statement of every request.

Like PostgreSQL at READ COMMITTED, what was read before the first write may change before it: the rules that
matter are kept by conditional UPDATEs, unique indexes and row locks that work the same on both databases.
"""
import fcntl
import itertools
import os
import sqlite3
import time

from flask import Flask
from sqlalchemy import event

CHECKPOINT_EVERY = 200  # commits of one connection; a few MB of WAL at most
CHECKPOINT_SECONDS = 10  # or this long after the last one, for connections that write now and then
WAL_SIZE_LIMIT = 16 * 1024 * 1024  # what the WAL file is cut back to after a checkpoint that resets it
BACKSTOP_PAGES = 20000  # SQLite's automatic checkpoint, should ours fall behind (about 80 MB)
LOCK_TIMEOUT = 30.0  # seconds a writer waits for the write lock before the request is refused as retryable (503)
LOCKED = "database is locked: the write lock was not free within {:.0f} s"
PAUSE_FIRST, PAUSE_MOST = 0.0002, 0.001  # seconds between a waiting writer's tries of the lock


# What SQLite's authorizer reports while compiling a statement that writes nothing (and that may run outside a
# transaction): reading, functions, recursive CTEs, pragmas, BEGIN/COMMIT and ATTACH. Anything else (an insert, an
# update, a delete, DDL, a savepoint) begins the write transaction.
_READING = frozenset((sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE,
                      sqlite3.SQLITE_PRAGMA, sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH))
# Whether a statement writes, by its text: learnt once per process from SQLite itself. Never trimmed: an entry
# dropped here could find its EXPLAIN in sqlite3's statement cache next time, which asks the authorizer nothing.
_writes: dict[str, bool] = {}
_serials = itertools.count(1)  # each connection of this process (booking.database.snapshot names its state by it)


def wait_for_lock(fd: int, timeout: float) -> None:
    """Take the exclusive lock on fd, waiting at most `timeout` seconds; sqlite3.OperationalError("database is
    locked ...") when it stays taken (SQLAlchemy reports it as an outage: 503, retry later).

    A writer tries again every few hundred microseconds (a write holds the lock for a millisecond or two), so it
    gets on soon after the lock is let go, in any thread, with no signal or timer to set up and restore."""
    deadline, pause = time.monotonic() + timeout, PAUSE_FIRST
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError(LOCKED.format(timeout)) from None
            time.sleep(pause)
            pause = min(pause * 2, PAUSE_MOST)


class WritingCursor(sqlite3.Cursor):
    """A cursor whose first writing statement starts the connection's write transaction."""

    def execute(self, sql, parameters=(), /):
        if not self.connection.in_transaction and self.connection.writes(sql, parameters):
            self.connection.begin_writing()
        return super().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        if not self.connection.in_transaction:
            seq_of_parameters = list(seq_of_parameters)
            if seq_of_parameters and self.connection.writes(sql, seq_of_parameters[0]):
                self.connection.begin_writing()
        return super().executemany(sql, seq_of_parameters)


class LockingConnection(sqlite3.Connection):
    """An SQLite connection in autocommit mode whose writes queue on a file lock (see the module's docstring)."""

    lock_path: str | None = None
    lock_timeout: float = LOCK_TIMEOUT
    serial: int | None = None
    _lock_fd: int | None = None
    _locked = False
    _commits = 0
    _checkpointed_at = 0.0

    def cursor(self, factory=WritingCursor):
        return super().cursor(factory)

    # sqlite3's shortcut methods would make their own plain cursor; route them through ours.
    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def writes(self, sql: str, parameters) -> bool:
        """Whether the statement writes, as SQLite itself says when it compiles it (EXPLAIN compiles without
        running, and the authorizer is told each table it would read or change): a write behind a WITH or a
        comment, or a savepoint, is one too. A statement SQLite cannot compile is treated as a write, and fails
        when it runs as it would have."""
        known = _writes.get(sql)
        if known is not None:
            return known
        actions = []

        def note(action, *_names):
            actions.append(action)
            return sqlite3.SQLITE_OK

        self.set_authorizer(note)
        try:
            super().cursor().execute("EXPLAIN " + sql, parameters).close()
        except sqlite3.Error:
            return True
        finally:
            self.set_authorizer(None)
        known = _writes[sql] = not actions or not _READING.issuperset(actions)
        return known

    def begin_writing(self) -> None:
        """Queue for the write lock, then BEGIN IMMEDIATE (which so never waits on another writer)."""
        if self.lock_path is None:
            raise RuntimeError("LockingConnection.lock_path is not set")
        if self._lock_fd is None:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        wait_for_lock(self._lock_fd, self.lock_timeout)
        self._locked = True
        try:
            super().cursor().execute("BEGIN IMMEDIATE")
        except BaseException:
            self._unlock()
            raise

    def commit(self) -> None:
        wrote = self.in_transaction
        try:
            super().commit()
        except BaseException:
            # A COMMIT can fail (a full disk, a deferred constraint) and leave the transaction open, and SQLAlchemy
            # does not roll the DBAPI connection back after it: end the transaction here, so the lock never
            # outlives it (its writes are lost either way).
            try:
                super().rollback()
            finally:
                if not self.in_transaction:
                    self._unlock()
            raise
        self._unlock()
        if wrote:
            self._commits += 1
            now = time.monotonic()
            if self._commits % CHECKPOINT_EVERY == 0 or now - self._checkpointed_at > CHECKPOINT_SECONDS:
                self._checkpointed_at = now
                # PASSIVE: copies what it can without waiting for readers or writers, and never blocks them.
                super().cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    @property
    def written(self) -> int:
        """How many transactions that wrote this connection has committed (PRAGMA data_version counts only
        other connections' commits)."""
        return self._commits

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._unlock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._unlock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _unlock(self) -> None:
        if self._locked:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._locked = False


def engine_options(options: dict) -> None:
    """What the engine needs for this module: our connection class, and no pre-ping."""
    options.setdefault("connect_args", {})["factory"] = LockingConnection
    options["pool_pre_ping"] = False  # a file, not a server: nothing to ping


def prepare(dbapi_conn: LockingConnection, lock_path: str, lock_timeout: float = LOCK_TIMEOUT) -> None:
    """The settings of every new connection, where its write lock lives and how long a writer waits for it."""
    dbapi_conn.isolation_level = None  # no implicit transactions: begun at the first write
    dbapi_conn.lock_path = lock_path
    dbapi_conn.lock_timeout = lock_timeout
    dbapi_conn.serial = next(_serials)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # SQLite's own wait, for a lock taken outside the app (a sqlite3 shell, a backup tool) and what the file lock
    # does not cover (a checkpoint): the same limit as the write lock's, so no writer waits longer than it.
    cur.execute(f"PRAGMA busy_timeout={max(1, int(lock_timeout * 1000))}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cur.close()


def tune(app: Flask, engine) -> None:
    """Prepare each new SQLite connection of the engine; the write lock lives in the instance folder."""
    lock_path = os.path.join(app.instance_path, "write.lock")
    timeout = float(app.config["SQLITE_LOCK_TIMEOUT"])

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        prepare(dbapi_conn, lock_path, timeout)
        _keep_private(engine.url.database)


def _keep_private(path: str | None) -> None:
    """The database file is the service's own (SQLite gives its -wal and -shm files the same mode)."""
    if not path or path == ":memory:" or not os.path.exists(path):
        return
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o007:
        try:
            os.chmod(path, mode & 0o770)
        except PermissionError:  # not our file: leave it to whoever owns it
            pass
