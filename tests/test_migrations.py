"""Upgrading a database that is in use: a SQLite file with a district's bookings, at an earlier revision, reaches the
newest schema with every row kept, and the months kept per branch are counted from its visits.

Tests build their schema on an empty database, where a migration that copies the bookings table into a new one
(SQLite's batch mode) passes; with rows that other tables reference it fails. Reproduced by upgrading the
benchmark's database from 0029: 0030 did exactly that. Whatever the suite's database, this upgrade is SQLite's
(files of its own); PostgreSQL alters tables in place."""
import sqlite3
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from booking.reservations import integrity
from models import Booking, BranchMonth, RosterEntry, db

EARLIER = "0029"  # before open lectures (0030) and the months kept per branch (0031)


def _app(path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def test_a_sqlite_database_with_bookings_upgrades_to_the_newest_schema(tmp_path):
    # A district with visits, written at the newest schema...
    source = tmp_path / "source.db"
    with _app(source).app_context():
        upgrade()
        from booking.members import services as members
        from tests import world
        from booking.visits import services as visits
        from tests.factories import booking, completed, slot_start, user
        world.load()
        people = [members.add_member(user("secretary"), user("secretary").branch, name=f"党员{i}") for i in range(3)]
        for days in (3, 10, 40):
            b = booking(start=slot_start(-days), headcount=20)
            members.set_roster(user("secretary"), b, [p.id for p in people], now=b.starts_at - timedelta(days=1))
            visits.record_attendance(user("admin"), b, 10 + days, now=b.starts_at + timedelta(hours=1))
        completed(secretary="secretary2", start=slot_start(-12, 14), visitors=9)
        expected = {"bookings": db.session.scalar(select(func.count()).select_from(Booking)),
                    "roster": db.session.scalar(select(func.count()).select_from(RosterEntry))}
        db.session.remove()
        db.engine.dispose()

    # ... copied into a database at the earlier revision, column by column (what it had then) ...
    target = tmp_path / "target.db"
    with _app(target).app_context():
        upgrade(revision=EARLIER)
        db.session.remove()
        db.engine.dispose()
    con = sqlite3.connect(target)  # foreign keys off while the rows go in, table by table
    con.execute("ATTACH DATABASE ? AS source", (str(source),))
    tables = [name for (name,) in con.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' AND "
                                              "name NOT LIKE 'sqlite_%' AND name != 'alembic_version'")]
    for table in tables:
        columns = [row[1] for row in con.execute(f"PRAGMA main.table_info({table})")]
        con.execute(f"DELETE FROM main.{table}")  # what the earlier migrations loaded comes back from the source
        con.execute(f"INSERT INTO main.{table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM source.{table}")
    con.commit()
    con.close()

    # ... upgrades with the app's own connections (foreign keys on), and keeps everything.
    with _app(target).app_context():
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(Booking)) == expected["bookings"]
        assert db.session.scalar(select(func.count()).select_from(RosterEntry)) == expected["roster"]
        assert db.session.scalar(select(func.sum(BranchMonth.batches))) == 4
        assert [m for m in integrity.check() if m.kind == "figures"] == []
        db.session.remove()
        db.engine.dispose()
