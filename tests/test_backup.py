"""Backup and restore, a full round trip on the database in use (SQLite or PostgreSQL), photos included."""
import os

from sqlalchemy import func, select

from booking.visits import services as visits
from models import Booking, BookingPhoto, Branch, db
from tests.factories import completed, image_bytes, user


def test_backup_then_restore_brings_everything_back(world, tmp_path):
    b = completed()
    visits.save_activity_record(user("secretary"), b, "纪实内容", [("合影.gif", image_bytes("GIF"))])
    photo = db.session.scalar(select(BookingPhoto))
    from booking.photos import storage as photo_store
    branches = db.session.scalar(select(func.count()).select_from(Branch))
    runner = world.test_cli_runner()
    archive = tmp_path / "backup.tar.gz"
    r = runner.invoke(args=["backup", str(archive)])
    assert r.exit_code == 0, r.output
    assert "照片 1 张" in r.output and oct(os.stat(archive).st_mode & 0o777) == "0o600"

    # Things go wrong after the backup: a booking changed, a branch added, the photo lost.
    db.session.get(Booking, b.id).activity_summary = "被误改"
    db.session.add(Branch(organization_id=db.session.scalar(select(Branch.organization_id)), name="备份后新增的支部"))
    photo_store.remove(photo.stored_name)
    db.session.commit()
    assert photo_store.get(photo.stored_name) is None

    r = runner.invoke(args=["restore", str(archive)], input="y\n")
    assert r.exit_code == 0, r.output
    db.session.remove()
    assert db.session.get(Booking, b.id).activity_summary == "纪实内容"
    assert db.session.scalar(select(func.count()).select_from(Branch)) == branches
    assert photo_store.get(photo.stored_name).startswith(b"\xff\xd8")  # kept as JPEG
    # The restored database is the app's: it goes on working.
    assert world.test_client().get("/healthz").get_json() == {"status": "ok"}


def test_restore_refuses_what_is_not_a_backup(world, tmp_path):
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not an archive")
    r = world.test_cli_runner().invoke(args=["restore", str(bogus), "--yes"])
    assert r.exit_code == 1 and "不是本系统的备份文件" in r.output
