"""The SQLite connection class: writers queue on a file lock held from the first write to COMMIT or ROLLBACK,
and the WAL is checkpointed after the lock is let go. Runs on its own database file in every suite."""
import fcntl
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from booking.database.sqlite import CHECKPOINT_EVERY, LockingConnection, prepare

ROOT = Path(__file__).resolve().parent.parent


def _connect(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.db", factory=LockingConnection)
    prepare(conn, str(tmp_path / "write.lock"))
    return conn


def _held(conn) -> bool:
    """Whether another open file description could not take the write lock right now."""
    fd = os.open(conn.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def test_the_first_write_takes_the_lock_and_commit_lets_go(tmp_path):
    conn = _connect(tmp_path)
    conn.execute("SELECT 1").fetchall()
    assert not conn.in_transaction and not _held(conn)
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (x INTEGER)")
    assert conn.in_transaction and _held(conn)
    cur.execute("INSERT INTO t VALUES (?)", (1,))
    conn.commit()
    assert not conn.in_transaction and not _held(conn)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_rollback_and_close_let_go_and_undo(tmp_path):
    conn = _connect(tmp_path)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.cursor().executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert _held(conn)
    conn.rollback()
    assert not _held(conn)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    conn.execute("  insert into t values (3)")  # leading space, lower case: still a write
    assert _held(conn)
    conn.close()
    assert not _held(conn)


SECOND_WRITER = """
import sqlite3, sys, time
from booking.database.sqlite import LockingConnection, prepare
conn = sqlite3.connect(sys.argv[1], factory=LockingConnection)
prepare(conn, sys.argv[2])
# No busy timeout: without the file lock, its BEGIN IMMEDIATE would fail at once with "database is locked".
conn.execute("PRAGMA busy_timeout=0")
print("ready", flush=True)
conn.execute("INSERT INTO t VALUES (2)")
conn.commit()
print(time.monotonic(), flush=True)
"""


def test_a_second_writer_in_another_process_waits_for_the_first(tmp_path):
    first = _connect(tmp_path)
    first.execute("CREATE TABLE t (x INTEGER)")
    first.commit()
    first.execute("INSERT INTO t VALUES (1)")  # holds the lock
    second = subprocess.Popen([sys.executable, "-c", SECOND_WRITER, str(tmp_path / "t.db"), first.lock_path],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert second.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # the second writer is now queued on the lock
        committed_at = time.monotonic()
        first.commit()
        through_at = float(second.stdout.readline())
        assert second.wait(10) == 0
    finally:
        second.kill()
    assert through_at >= committed_at  # it got through only once the first had committed
    assert sorted(first.execute("SELECT x FROM t").fetchall()) == [(1,), (2,)]


def test_every_checkpoint_every_commits_the_wal_is_copied_back(tmp_path):
    conn = _connect(tmp_path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.commit()
    db_file = tmp_path / "t.db"
    for i in range(CHECKPOINT_EVERY - 2):
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 2000,))
        conn.commit()
    before = db_file.stat().st_size
    conn.execute("INSERT INTO t VALUES (?)", ("x" * 2000,))
    conn.commit()  # the CHECKPOINT_EVERY-th commit of this connection
    after = db_file.stat().st_size
    assert before < 100_000 < after  # the rows were only in the WAL, now they are in the database file


def test_a_commit_that_fails_lets_go_of_the_lock(tmp_path):
    # Reproduced with a full disk: a failed COMMIT kept the write lock (SQLAlchemy does not roll the DBAPI
    # connection back after it), and every other writer then waited until gunicorn killed it.
    conn = _connect(tmp_path)
    conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))")
    conn.commit()
    conn.execute("INSERT INTO parent VALUES (7)")  # the write transaction begins
    # Only now: the pragma lasts until the transaction ends, so the violation below is found at COMMIT, which fails.
    conn.execute("PRAGMA defer_foreign_keys=ON")
    conn.execute("INSERT INTO child VALUES (42)")
    assert _held(conn)
    try:
        conn.commit()
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("the commit should have failed")
    assert not conn.in_transaction and not _held(conn)
    other = _connect(tmp_path)
    other.execute("INSERT INTO parent VALUES (1)")  # another writer gets on at once
    other.commit()
    assert conn.execute("SELECT count(*) FROM child").fetchone() == (0,)


@pytest.mark.parametrize("sql", [
    "WITH n AS (SELECT 5 AS x) INSERT INTO t SELECT x FROM n",  # a write behind a common table expression
    "/* a comment first */ INSERT INTO t VALUES (6)",
    "-- a line comment\nUPDATE t SET x = x + 1",
    "REPLACE INTO t VALUES (7)",
    "SAVEPOINT sa_savepoint_1",  # the transaction it opens is the write transaction
])
def test_what_sqlite_says_writes_takes_the_lock(tmp_path, sql):
    conn = _connect(tmp_path)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.execute(sql)
    assert conn.in_transaction and _held(conn)
    conn.rollback()
    assert not _held(conn)


@pytest.mark.parametrize("sql", [
    "SELECT x FROM t WHERE x = ?",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n WHERE i = ?",
    "/* reads */ SELECT count(*) FROM t WHERE x > ?",
])
def test_reads_take_no_lock_and_no_transaction(tmp_path, sql):
    conn = _connect(tmp_path)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    for _ in range(2):  # the second time from what the first learnt
        conn.execute(sql, (1,)).fetchall()
        assert not conn.in_transaction and not _held(conn)


def test_the_wal_is_cut_back_once_readers_let_it(tmp_path, monkeypatch):
    # Reproduced: the WAL grew to 34 MB under write load and was never truncated.
    from booking.database import sqlite as module
    monkeypatch.setattr(module, "WAL_SIZE_LIMIT", 2 * 1024 * 1024)
    writer, reader = _connect(tmp_path), _connect(tmp_path)
    writer.execute("CREATE TABLE t (x BLOB)")
    writer.commit()
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchall()  # a reader holding its snapshot: no checkpoint can reset
    blob = os.urandom(32 * 1024)
    for _ in range(300):
        writer.execute("INSERT INTO t VALUES (?)", (blob,))
        writer.commit()
    wal = tmp_path / "t.db-wal"
    grown = wal.stat().st_size
    assert grown > 8 * 1024 * 1024
    reader.rollback()
    for _ in range(CHECKPOINT_EVERY):
        writer.execute("INSERT INTO t VALUES (?)", (b"x",))
        writer.commit()
    assert wal.stat().st_size <= 2 * 1024 * 1024, (grown, wal.stat().st_size)


def _writer_waits(conn, results):
    started = time.monotonic()
    try:
        conn.execute("INSERT INTO t VALUES (2)")
        results.append(("wrote", time.monotonic() - started))
    except sqlite3.OperationalError as err:
        results.append((str(err), time.monotonic() - started))


def test_a_writer_gives_up_after_the_lock_timeout_with_a_retryable_error(tmp_path):
    """A write lock held for ever (a stuck process) no longer makes every other writer wait for ever: after the
    timeout the write fails as "database is locked", which the app answers 503 with Retry-After. In the main thread
    (a gunicorn worker) and in another thread alike; a lock let go in time is taken."""
    import threading
    holder = sqlite3.connect(tmp_path / "t.db", factory=LockingConnection, check_same_thread=False)
    prepare(holder, str(tmp_path / "write.lock"))
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    holder.execute("INSERT INTO t VALUES (1)")  # holds the write lock
    waiter = sqlite3.connect(tmp_path / "t.db", factory=LockingConnection, check_same_thread=False)
    prepare(waiter, str(tmp_path / "write.lock"), lock_timeout=0.3)
    results = []
    _writer_waits(waiter, results)
    thread = threading.Thread(target=_writer_waits, args=(waiter, results))
    thread.start()
    thread.join(10)
    assert [r[0] for r in results] == ["database is locked: the write lock was not free within 0 s"] * 2, results
    assert all(0.25 <= r[1] < 2 for r in results), results
    assert not waiter.in_transaction
    holder.commit()
    prepare(waiter, str(tmp_path / "write.lock"), lock_timeout=5)
    threading.Timer(0.2, holder.rollback).start()
    holder.execute("INSERT INTO t VALUES (3)")
    results.clear()
    _writer_waits(waiter, results)
    assert results[0][0] == "wrote" and results[0][1] < 2, results
    waiter.commit()


def test_the_lock_timeout_is_an_outage_the_app_answers_503():
    import sqlite3 as _sqlite3
    from sqlalchemy import exc
    from booking.web.errors import is_outage
    from booking.database.sqlite import LOCKED
    err = exc.OperationalError("INSERT", {}, _sqlite3.OperationalError(LOCKED.format(30)))
    assert is_outage(err)
