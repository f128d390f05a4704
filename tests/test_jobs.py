"""Scheduled jobs: each does its work once, also when run twice or in two processes at the same moment."""
import os
import subprocess
import sys
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.jobs import services as jobs
from booking.reservations import records
from models import (Base, Booking, BookingEvent, Branch, JobRun, MenuItem, Notification, OpeningSlot, Organization,
                    User, Venue, db)
from tests.factories import booking, item, slot_start, user
from tests.server import assert_integrity, ROOT


def _hourly_base(branches: int = 0):
    """A base whose venue opens every hour of every day, and some branches to book it."""
    base = Base(name="测试用全天基地", type="basic", min_advance_days=0, max_advance_days=60, requires_approval=True)
    db.session.add(base)
    db.session.flush()
    venue = Venue(base_id=base.id, name="全天场馆", kind="other", capacity=1000)
    db.session.add(venue)
    db.session.flush()
    for weekday in range(7):
        for hour in range(24):
            db.session.add(OpeningSlot(venue_id=venue.id, weekday=weekday, start_time=time(hour),
                                       end_time=time(hour, 50), capacity=1000))
    menu_item = MenuItem(base_id=base.id, venue_id=venue.id, title="测试活动", category="practice",
                         content_topic="实用技能", duration_minutes=50, min_group=1, max_group=100)
    db.session.add(menu_item)
    org = Organization(name="测试党委", sector="other")
    db.session.add(org)
    made = [Branch(organization=org, name=f"测试第{i}支部") for i in range(branches)]
    db.session.add_all(made)
    manager = user("manager")
    manager.bases = list(manager.bases) + [base]
    db.session.commit()
    return menu_item, made


def _hour(offset_hours: int) -> datetime:
    """A whole local hour, `offset_hours` from now (rounded down)."""
    local = clock.local(clock.now()).replace(minute=0, second=0, microsecond=0)
    return (local + timedelta(hours=offset_hours)).astimezone(timezone.utc)


def _offline(menu_item, branch, start, approve=True):
    b = db.session.get(Booking, records.create_booking(
        user("manager"), menu_item_id=menu_item.id, start=start, headcount=5, contact_name="联系人",
        contact_phone="13800000000", branch_id=branch.id, now=start - timedelta(days=3)).id)
    if not approve:  # an online-like pending booking: put it back to pending for the expiry tests
        b.status = "pending"
        db.session.commit()
    return b


def test_expire_pending(world):
    b = booking(start=slot_start(-1), approve=False)
    future = booking(secretary="secretary2", start=slot_start(2), approve=False)
    assert jobs.expire_pending() == "expired 1"
    assert db.session.get(Booking, b.id).status == "expired" and db.session.get(Booking, future.id).status == "pending"
    assert jobs.expire_pending() == "expired 0"
    events = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == b.id,
                                                           BookingEvent.action == "expired")).all()
    assert len(events) == 1 and events[0].actor_id is None
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == user("secretary").id)).all()
    assert kinds.count("booking_expired") == 1


def test_mark_no_shows_after_the_day(world):
    yesterday = booking(start=slot_start(-1))
    today = booking(secretary="secretary2", start=slot_start(0, 9))
    assert jobs.mark_no_shows() == "no_show 1"
    assert db.session.get(Booking, yesterday.id).status == "no_show"
    assert db.session.get(Booking, today.id).status == "approved"
    assert jobs.mark_no_shows(now=today.starts_at + timedelta(days=1)) == "no_show 1"
    assert jobs.mark_no_shows() == "no_show 0"


def test_reminders_once_to_secretary_and_accepted_lecturer(world):
    from booking.lecturers import services as lecturers
    menu_item, branches = _hourly_base(branches=2)
    soon = _offline(menu_item, branches[0], _hour(5))
    later = _offline(menu_item, branches[1], _hour(30))
    sec = User(username="tsec", display_name="测试书记", role="secretary", branch_id=branches[0].id)
    sec.set_password("password-123")
    db.session.add(sec)
    db.session.commit()
    lecturers.invite(user("manager"), soon, user("lecturer").lecturer_id)
    lecturers.accept(user("lecturer"), soon)
    assert jobs.send_reminders() == "reminded 1"
    assert jobs.send_reminders() == "reminded 0"
    reminders = db.session.execute(select(Notification.user_id, Notification.booking_id)
                                   .where(Notification.kind == "reminder")).all()
    assert sorted(reminders) == sorted([(sec.id, soon.id), (user("lecturer").id, soon.id)])
    assert db.session.get(Booking, later.id).reminder_sent_at is None
    assert jobs.send_reminders(now=later.starts_at - timedelta(hours=23)) == "reminded 1"


def test_reminder_email_goes_out_once(world):
    from aiosmtpd.controller import Controller
    from tests.server import free_port
    received = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos)
            return "250 OK"

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        world.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
        b = booking(start=slot_start(1, 9))
        jobs.send_mail()  # the booking's own emails, from the outbox
        before = len(received)
        jobs.send_reminders(now=b.starts_at - timedelta(hours=20))
        jobs.send_reminders(now=b.starts_at - timedelta(hours=19))
        jobs.send_mail()
        jobs.send_mail()
    finally:
        controller.stop()
    assert received[before:] == [["secretary@example.org"]]


def test_manager_digest_once_a_day(world):
    booking(start=slot_start(1, 9))
    pending = booking(secretary="secretary2", start=slot_start(2, 9), approve=False)
    morning = clock.at_local(pending.day - timedelta(days=1), time(7, 30))
    assert jobs.manager_digest(now=morning - timedelta(hours=2)) == "too early"
    assert jobs.manager_digest(now=morning) == "digests 2"
    assert jobs.manager_digest(now=morning + timedelta(hours=1)) == "digests 0"
    digest = db.session.scalar(select(Notification).where(Notification.kind == "digest",
                                                          Notification.user_id == user("manager").id))
    assert "今天有 1 批活动" in digest.body and "待审核的预约：1 个" in digest.body
    assert jobs.manager_digest(now=morning + timedelta(days=1)) == "digests 2"


def test_repeated_no_shows_block_online_booking(world, api):
    for days in (-40, -20, -5):
        b = booking(start=slot_start(days))
        jobs.mark_no_shows(now=b.starts_at + timedelta(days=1))
    blocked = db.session.scalar(select(Notification).where(Notification.kind == "booking_blocked"))
    assert blocked and "前不能在线预约" in blocked.title + blocked.body
    until = (slot_start(-5).astimezone(clock.tz()).date() + timedelta(days=30))
    r = api.post("/api/v1/bookings", as_="secretary", json={
        "menu_item_id": item().id, "start": clock.iso(slot_start(3)), "headcount": 20, "contact_name": "王芳",
        "contact_phone": "13800000000"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "branch_blocked"
    assert clock.day_text(until) in r.get_json()["error"]["message"]
    # the manager can still record an offline booking for the branch
    r = api.post("/api/v1/bookings", as_="manager", json={
        "menu_item_id": item().id, "start": clock.iso(slot_start(3)), "headcount": 20, "contact_name": "王芳",
        "contact_phone": "13800000000", "branch_id": user("secretary").branch_id})
    assert r.status_code == 201
    # and the block lifts after 30 days
    assert records.no_show_block(user("secretary").branch_id, until + timedelta(days=1)) is None
    assert records.no_show_block(user("secretary").branch_id, until) == until


def test_two_no_shows_do_not_block(world):
    for days in (-20, -5):
        b = booking(start=slot_start(days))
        jobs.mark_no_shows(now=b.starts_at + timedelta(days=1))
    assert records.no_show_block(user("secretary").branch_id, clock.local_today()) is None


def test_failing_job_is_recorded_and_does_not_raise(world, monkeypatch):
    def boom(now=None):
        raise RuntimeError("database went away")
    monkeypatch.setitem(jobs.JOBS, "send-reminders", jobs.Job("send-reminders", boom, {"trigger": "interval", "minutes": 10}, ""))
    ok, detail = jobs.run_job("send-reminders")
    assert not ok and "database went away" in detail
    run = db.session.scalar(select(JobRun).where(JobRun.name == "send-reminders"))
    assert run.ok is False


def test_jobs_cli(world):
    runner = world.test_cli_runner()
    for _ in range(2):
        r = runner.invoke(args=["jobs", "run", "expire-pending"])
        assert r.exit_code == 0 and "expire-pending: ok" in r.output
    r = runner.invoke(args=["jobs", "list"])
    assert r.exit_code == 0
    line = next(x for x in r.output.splitlines() if x.startswith("expire-pending"))
    assert "every 5 min" in line and "ok expired 0" in line
    assert "never" in next(x for x in r.output.splitlines() if x.startswith("send-reminders"))
    assert runner.invoke(args=["jobs", "run", "no-such-job"]).exit_code == 2


def _run_two_processes(uri: str, job: str):
    env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": "jobs-test"}
    cmd = [sys.executable, "-m", "flask", "--app", "app", "jobs", "run", job]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    return outs


@pytest.mark.parametrize("job", ["send-reminders", "expire-pending"])
def test_two_processes_at_once_do_the_work_once(world, job):
    menu_item, branches = _hourly_base(branches=30)
    made = []
    for i, branch in enumerate(branches):
        if job == "send-reminders":
            made.append(_offline(menu_item, branch, _hour(2 + i % 20)))
        else:
            made.append(_offline(menu_item, branch, _hour(-1 - i % 20), approve=False))
        sec = User(username=f"jsec{i}", display_name=f"书记{i}", role="secretary", branch_id=branch.id)
        sec.set_password("password-123")
        db.session.add(sec)
    db.session.commit()
    ids = [b.id for b in made]
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()

    outs = _run_two_processes(uri, job)

    if job == "send-reminders":
        per_booking = dict(db.session.execute(
            select(Notification.booking_id, func.count()).where(Notification.kind == "reminder")
            .group_by(Notification.booking_id)).all())
        assert per_booking == {i: 1 for i in ids}, outs
        assert sum(int(o.split("reminded ")[1].split(")")[0]) for o in outs) == 30
    else:
        per_booking = dict(db.session.execute(
            select(BookingEvent.booking_id, func.count()).where(BookingEvent.action == "expired")
            .group_by(BookingEvent.booking_id)).all())
        assert per_booking == {i: 1 for i in ids}, outs
        assert all(db.session.get(Booking, i).status == "expired" for i in ids)
        notes = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "booking_expired"))
        assert notes == 30
    assert_integrity()


def test_scheduler_process_runs_the_jobs(world):
    """`flask scheduler` as its own process: a booking that fell due is expired without anyone asking."""
    import time as _time
    b = booking(start=slot_start(-1), approve=False)
    booking_id = b.id
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": "jobs-test"}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = _time.monotonic() + 30
        wanted = {"expire-pending", "mark-no-shows", "send-reminders"}
        while _time.monotonic() < deadline:
            status = db.session.get(Booking, booking_id).status
            ran = {r.name for r in db.session.scalars(select(JobRun))}
            db.session.remove()  # never sit on a transaction while the scheduler works
            # Done when the booking is expired and the first round of every job has run (they start one by one).
            if status == "expired" and wanted <= ran:
                break
            _time.sleep(0.3)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    db.session.remove()
    assert db.session.get(Booking, booking_id).status == "expired", output
    assert "scheduler started" in output
    runs = {r.name for r in db.session.scalars(select(JobRun))}
    assert {"expire-pending", "mark-no-shows", "send-reminders"} <= runs


def test_a_backlog_larger_than_a_batch_is_cleared_in_one_run(world, monkeypatch):
    # Reproduced: 1,200 due reminders took three runs (30 minutes); expiring bookings kept their places meanwhile.
    monkeypatch.setattr(jobs, "BATCH", 5)
    menu_item, branches = _hourly_base(branches=12)
    start = _hour(3)
    for branch in branches:
        _offline(menu_item, branch, start)
    assert jobs.send_reminders() == "reminded 12"
    assert jobs.send_reminders() == "reminded 0"
    late = [_offline(menu_item, branch, _hour(-2), approve=False) for branch in branches]
    assert jobs.expire_pending() == "expired 12"
    assert {db.session.get(Booking, b.id).status for b in late} == {"expired"}


def test_a_hung_mail_server_never_holds_the_jobs_and_undelivered_mail_is_shown(world, client):
    """Reproduced: a server that accepts the connection and never answers held send-mail 51 s for 5 emails (a
    large outbox for over an hour, every other job waiting). Now a run stops after three failures in a row, each
    within the timeout; the mail waits for later, and the admin sees it, tries again or gives it up."""
    import socket
    import threading
    import time
    from booking.notify.services import notify, send_pending_mail, undelivered_count
    from models import Notification, User, db as _db
    from sqlalchemy import select
    from tests.conftest import login
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(listener.accept()) for _ in range(16)], daemon=True).start()
    world.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=listener.getsockname()[1], MAIL_TIMEOUT=1)
    secretary = _db.session.scalar(select(User).where(User.username == "secretary"))
    for n in range(5):
        notify([secretary], "reminder", None, f"提醒 {n}", "正文")
    _db.session.commit()
    started = time.monotonic()
    sent, failed = send_pending_mail()
    assert (sent, failed) == (0, 3) and time.monotonic() - started < 6  # three tries of 1 s, then it stops
    assert undelivered_count() == 3
    assert client.get("/healthz").get_json() == {"status": "ok", "undelivered_mail": 3}
    login(client, "admin")
    html = client.get("/admin/").get_data(as_text=True)
    assert "有 <strong>3</strong> 封通知邮件多次未能发出" in html
    client.post("/admin/mail/retry")
    assert _db.session.scalar(select(Notification.email_attempts).where(Notification.title == "提醒 0")) == 0
    client.post("/admin/mail/discard")
    assert undelivered_count() == 0 and "多次未能发出" not in client.get("/admin/").get_data(as_text=True)
    assert client.get("/healthz").get_json() == {"status": "ok"}
    listener.close()
    for conn, _ in held:
        conn.close()
