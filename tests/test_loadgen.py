"""`flask seed-load` adds on top of what is there: run twice, it adds N and then N more (the issue's report: the
second run failed with UNIQUE constraint failed: organizations.name and a traceback)."""
from sqlalchemy import func, select

from models import Booking, SlotOccupancy, User, db


def test_seed_load_twice_adds_twice_and_makes_secretaries(world, api):
    runner = world.test_cli_runner()
    before = db.session.scalar(select(func.count()).select_from(Booking))
    first = runner.invoke(args=["seed-load", "--bookings", "600", "--secretaries", "5"])
    assert first.exit_code == 0, first.output
    assert "第 1 次生成" in first.output and "5 个书记账号" in first.output
    after_first = db.session.scalar(select(func.count()).select_from(Booking))
    second = runner.invoke(args=["seed-load", "--bookings", "400"])
    assert second.exit_code == 0, second.output
    assert "Traceback" not in second.output and "第 2 次生成" in second.output
    assert after_first - before == 600
    assert db.session.scalar(select(func.count()).select_from(Booking)) - after_first == 400
    # Every generated slot stays within its capacity; the secretaries can log in.
    assert db.session.scalar(select(func.count()).select_from(SlotOccupancy)
                             .where(SlotOccupancy.held > SlotOccupancy.capacity)) == 0
    # And the checker agrees: places, histories, lecturers never in two places at once.
    checked = runner.invoke(args=["check-integrity"])
    assert checked.exit_code == 0 and checked.output.startswith("ok "), checked.output
    name = db.session.scalar(select(User.username).where(User.username.like("load1-sec%")).order_by(User.username))
    r = api.client.post("/api/v1/auth/token", json={"username": name, "password": "demo-pass-2026"})
    assert r.status_code == 200 and r.get_json()["user"]["role"] == "secretary"


def test_a_failing_seed_load_says_why_in_one_line(world, monkeypatch):
    from sqlalchemy.exc import IntegrityError
    from booking.demo import loadgen

    def broken(*args, **kwargs):
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed: organizations.name"))

    monkeypatch.setattr(loadgen, "load", broken)
    result = world.test_cli_runner().invoke(args=["seed-load", "--bookings", "10"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: 生成压测数据失败：UNIQUE constraint failed: organizations.name"
