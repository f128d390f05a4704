"""CLI: seed-demo as the contract describes it, idempotent; create-user; migrations match the models."""
from datetime import date, time, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from models import Base, Branch, Lecturer, MenuItem, Organization, User, db

TABLES = (Base, Branch, Lecturer, MenuItem, Organization, User)


def _counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0, r.output
    assert "demo-pass-2026" in r.output
    first = _counts()
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0 and "未做更改" in r.output
    assert _counts() == first


def test_seed_demo_meets_the_contract(demo):
    bases = db.session.scalars(select(Base).order_by(Base.id)).all()
    assert {b.type for b in bases} == {"basic", "red", "welfare", "tech"}
    for b in bases:
        assert b.min_advance_days == 1 and b.max_advance_days >= 30 and b.cancel_deadline_hours == 24
        assert b.requires_approval
        assert len(b.menu_items) >= 3
        assert {m.needs_lecturer for m in b.menu_items} == {True, False}
        for v in b.venues:
            assert {s.weekday for s in v.slots} == set(range(7))
        for m in b.menu_items:
            assert all(m.max_group * 4 >= s.capacity for s in m.venue.slots)
    assert db.session.scalar(select(func.count()).select_from(Branch)) >= 8
    assert db.session.scalar(select(func.count()).select_from(Organization)) >= 3
    users = {u.username: u for u in db.session.scalars(select(User))}
    for name in ("admin", "manager", "manager2", "secretary", "secretary2", "lecturer", "lecturer2"):
        assert users[name].check_password("demo-pass-2026")
    assert users["manager"].base_ids == [bases[0].id]
    assert users["manager2"].base_ids and users["manager2"].base_ids != [bases[0].id]
    assert users["secretary"].branch.organization_id != users["secretary2"].branch.organization_id
    assert users["lecturer"].lecturer and users["lecturer2"].lecturer
    topics = {t for lec in db.session.scalars(select(Lecturer)) for t in lec.topics}
    assert {m.content_topic for b in bases for m in b.menu_items if m.needs_lecturer} <= topics


def test_create_user_asks_for_password(world):
    runner = world.test_cli_runner()
    r = runner.invoke(args=["create-user", "newmanager", "--role", "manager", "--base", "2"],
                      input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0, r.output
    user = db.session.scalar(select(User).where(User.username == "newmanager"))
    assert user.role == "manager" and user.base_ids == [2] and user.check_password("s3cret-pass")


def test_create_user_secretary_needs_a_branch(world):
    runner = world.test_cli_runner()
    r = runner.invoke(args=["create-user", "nobranch", "--role", "secretary"], input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 1 and "党支部" in r.output
    r = runner.invoke(args=["create-user", "withbranch", "--role", "secretary", "--branch", "3"],
                      input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0


def test_create_lecturer_gets_a_profile(world):
    r = world.test_cli_runner().invoke(args=["create-user", "newlec", "--role", "lecturer", "--name", "新讲师"],
                                      input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0, r.output
    user = db.session.scalar(select(User).where(User.username == "newlec"))
    assert user.lecturer.name == "新讲师" and user.lecturer.calendar_token


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_seed_demo_gives_the_demo_a_believable_past(app):
    from booking import clock
    from booking.lecturers import services as lecturers
    from booking.stats import services as stats
    from models import Booking
    runner = app.test_cli_runner()
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0, r.output
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    rows, total = stats.compute(admin, "month", None, None)
    assert total.batches >= 100 and total.person_times > total.batches * 10 and total.satisfaction
    assert len(rows) >= 9  # months of visits
    statuses = set(db.session.scalars(select(Booking.status).distinct()))
    assert {"completed", "cancelled", "no_show", "pending", "approved"} <= statuses
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.activity_summary.is_not(None))) > 20
    zhang = db.session.scalar(select(User).where(User.username == "lecturer")).lecturer
    year_rows = [lecturers.lecture_record(zhang, y)[1].sessions for y in {clock.local_today().year,
                                                                         clock.local_today().year - 1}]
    assert sum(year_rows) > 0
    secretary = db.session.scalar(select(User).where(User.username == "secretary"))
    assert stats.compute(secretary, "month", None, None)[1].batches > 0
    # Members on every demo branch; rosters and attendance on the past visits, so study hours are not empty.
    from booking.members import services as members
    from models import Branch, Member, RosterEntry
    assert all(db.session.scalar(select(func.count()).select_from(Member).where(Member.branch_id == b.id))
               for b in db.session.scalars(select(Branch)))
    assert db.session.scalar(select(func.count()).select_from(RosterEntry).where(RosterEntry.attendance == "absent"))
    year = clock.local_today().year
    assert any(line.hours for line in members.study_hours(secretary.branch, year)) or \
        any(line.hours for line in members.study_hours(secretary.branch, year - 1))
    before = db.session.scalar(select(func.count()).select_from(Booking))
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0 and "未做更改" in r.output
    assert db.session.scalar(select(func.count()).select_from(Booking)) == before


def test_the_demo_members_study_hours_come_near_the_yearly_requirement(demo):
    """Reproduced: the demo's members had about 21 study hours a year against 32 (leaders 56), so nearly every
    member showed a shortfall; and 270–300 visits a branch before that. Counted over the demo's past, the twelve
    months before today, whatever the date (reproduced: over 365 days a branch once had 25 visits, because the
    past ran from the first of a month thirteen months back)."""
    import statistics
    from booking import clock
    from booking.demo import seed
    from booking.members import services as members
    from models import Booking, Member, RosterEntry
    since = clock.at_local(seed.past_start(clock.local_today()), time(0))
    hours: dict[int, float] = {}
    for entry in db.session.scalars(select(RosterEntry).join(Booking).where(Booking.starts_at >= since)):
        hours[entry.member_id] = hours.get(entry.member_id, 0) + members.credited_hours(entry)
    people = list(db.session.scalars(select(Member).where(Member.active.is_(True))))
    plain = [hours.get(m.id, 0) for m in people if m.role == "member"]
    leaders = [hours.get(m.id, 0) for m in people if m.role != "member"]
    assert 27 <= statistics.median(plain) <= 40, statistics.median(plain)
    assert statistics.median(leaders) > statistics.median(plain)
    _assert_one_or_two_a_month(clock.local_today())


def _assert_one_or_two_a_month(today):
    """Every branch's visits in the demo's past: one or two a month over its twelve months, none on a weekend or
    a public holiday, none before the past begins."""
    from booking import clock
    from booking.catalog import holidays
    from booking.demo import seed
    from models import Booking
    start, end = clock.at_local(seed.past_start(today), time(0)), clock.at_local(today, time(0))
    visits = db.session.execute(select(Booking.branch_id, func.count()).where(  # at the bases
        Booking.starts_at >= start, Booking.starts_at < end, Booking.base_id.is_not(None))
        .group_by(Booking.branch_id)).all()
    assert len(visits) == db.session.scalar(select(func.count()).select_from(Branch))
    idle = set(db.session.scalars(select(Branch.id).where(Branch.name.in_(seed.IDLE_LATELY))))
    assert len(idle) == 3
    busy = seed.PAST_MONTHS - seed.IDLE_PERIODS
    assert all(12 <= n <= 24 if b not in idle else busy <= n <= 2 * busy for b, n in visits), visits  # 1-2 a month
    quiet_since = clock.at_local(seed.past_periods(today)[-seed.IDLE_PERIODS][0], time(0))
    assert not db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.branch_id.in_(idle), Booking.starts_at >= quiet_since, Booking.starts_at < end))
    past = db.session.scalars(select(Booking.starts_at).where(Booking.starts_at < end)).all()
    assert min(past) >= start
    days = {clock.local(at).date() for at in past}
    assert not days & set(holidays.public_holidays(min(days), max(days)))
    assert all(d.weekday() < 5 for d in days)


@pytest.mark.parametrize("today", [date(2026, 12, 6), date(2026, 7, 15), date(2026, 9, 28), date(2026, 10, 9),
                                   date(2024, 2, 29)])
def test_the_demos_past_holds_its_rhythm_whatever_the_date(app, monkeypatch, today):
    """The whole demo loaded as `make run` loads it on days through the year (the day the old demo failed, just
    in summer, just after 国庆, a leap day): the same rhythm, no visit on a holiday, a district one believes."""
    from booking import clock
    from booking.demo import seed
    moment = clock.at_local(today, time(10, 30))
    monkeypatch.setattr(clock, "now", lambda: moment)
    seed.load_demo()
    seed.load_demo_members()
    assert seed.load_demo_past() > 200
    _assert_one_or_two_a_month(today)
    _assert_believable()  # on 2026-07-15 a quiet branch was a partner of a joint visit, so not quiet
    _assert_nothing_to_come_on_a_holiday()


def _assert_nothing_to_come_on_a_holiday():
    """Reproduced: the standing monthly series booked 1 January 2027, a year whose schedule is not announced (the
    days the law fixes stand in for it); the visits to come fall on working days too."""
    from booking import clock
    from booking.catalog import holidays
    from models import Booking
    days = {clock.local(at).date() for at in db.session.scalars(select(Booking.starts_at).where(
        Booking.starts_at >= clock.now(), Booking.status.in_(("pending", "approved"))))}
    assert days and not days & set(holidays.public_holidays(min(days), max(days))), sorted(days)
    assert all(d.weekday() < 5 for d in days), sorted(days)
    assert not any((d.month, d.day) in {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)} for d in days), sorted(days)


def test_the_demos_plan_is_one_or_two_a_month_on_working_days_on_every_day_of_a_year(app):
    """The plan of the demo's past, for every day of two years whose holidays are known (a leap year among them):
    each branch one or two activities in each month-long period, on working days of the holiday calendar, all
    before today; the month in progress holds only its share (no crowd in its first days)."""
    import random
    from collections import Counter
    from booking.catalog import holidays
    from booking.demo import seed
    closed = set(holidays.public_holidays(date(2023, 1, 1), date(2026, 12, 31)))
    assert date(2024, 10, 1) in closed and date(2026, 2, 17) in closed  # the calendar is loaded
    branch_ids, idle = list(range(1, 31)), {4, 17}
    for day in [date(2024, 1, 1) + timedelta(days=n) for n in range(366)] + \
            [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]:
        plan = seed.plan_past(random.Random(2026), day, branch_ids, closed, idle)
        periods = seed.past_periods(day)
        for n, (first, end) in enumerate(periods):
            per = Counter(b for b, _, days in plan if first <= days[0] < end)
            active = set(branch_ids) - (idle if n >= len(periods) - seed.IDLE_PERIODS else set())
            assert set(per) == active and set(per.values()) <= {1, 2}, (day, first)
        assert all(seed.past_start(day) <= d < day and d.weekday() < 5 and d not in closed
                   for _, _, days in plan for d in days), day
        # The month in progress gets the last period's visits on its working days so far, in proportion.
        first, end = seed.past_periods(day)[-1]
        working = [first + timedelta(days=n) for n in range((end - first).days)]
        working = [d for d in working if d.weekday() < 5 and d not in closed]
        share = sum(1 for d in working if d >= day.replace(day=1)) / len(working)
        last = sum(1 for _, _, days in plan if days[0] >= first)
        this_month = sum(1 for _, _, days in plan if days[0] >= day.replace(day=1))
        spread = 4 * (last * share * (1 - share)) ** 0.5  # the days are drawn at random: four deviations
        assert this_month <= last * share + spread + 1, (day, this_month, share)


def test_the_demo_is_a_district_one_believes(demo):
    _assert_believable()


def _assert_believable():
    """Reproduced: 510 of 548 visits recorded offline; every 主题党日 "学习贯彻党的创新理论", every 党小组会 "交流学习
    体会", a 支委会 summarised as a guided tour; approvals stamped 04:00-05:00; 张建国 gave 8 lectures in four
    days; 王芳, 李明 and 张华 sat in two branches; a hospital, a library and a cultural centre under 区属学校党委;
    lecturer phones 13900000003…07; the watch list all zeros."""
    from collections import Counter
    from datetime import timedelta
    from booking import clock
    from models import Booking, BookingEvent, Lecturer, Member, Organization
    end = clock.now()
    past = db.session.scalars(select(Booking).where(Booking.starts_at < end)).all()
    visits = [b for b in past if b.base_id is not None]
    online = sum(b.source == "online" for b in visits) / len(visits)
    assert online >= 0.8, online
    themes = Counter(b.topic for b in past if b.activity_type == "theme_day")
    assert len(themes) >= 15 and max(themes.values()) <= len(past) / 10, themes.most_common(3)
    assert not any((b.topic or "").startswith(b.activity_type_label) for b in past)
    for b in past:
        if b.activity_summary and b.activity_type in ("committee_meeting", "group_meeting", "member_meeting"):
            assert b.activity_type_label in b.activity_summary and "讲解员" not in b.activity_summary, b.activity_summary
    approvals = db.session.scalars(select(BookingEvent.at).where(BookingEvent.action == "approved",
                                                                 BookingEvent.at < end)).all()
    assert approvals and all(8 <= clock.local(at).hour < 19 for at in approvals)
    # A session once: an open lecture's bookings share its lecturer and its start (讲习活动).
    lectures = sorted({(b.lecturer_id, b.starts_at) for b in past if b.lecturer_id and b.lecturer_status == "accepted"})
    for lecturer_id in {x for x, _ in lectures}:
        times = [t for x, t in lectures if x == lecturer_id]
        assert all(later - times[n] > timedelta(days=4) for n, later in enumerate(times[4:])), lecturer_id
    members = db.session.execute(select(Member.branch_id, Member.name)).all()
    assert len({name for _, name in members}) == len(members)  # each name once in the district
    phones = [p for p in db.session.scalars(select(Lecturer.phone)) if p]
    assert not any(p.startswith("1390000") for p in phones)
    orgs = {o.name: [b.name for b in o.branches] for o in db.session.scalars(select(Organization))}
    assert not any("医院" in b or "图书馆" in b for b in orgs.get("区教育系统党委", []))
    from booking.reports import services as reports
    from models import User
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    today = clock.local_today()
    idle = db.session.execute(reports.inactive_branches_query(admin, today - timedelta(days=90), today)).all()
    assert 3 <= len(idle) <= 8, idle  # the watch list has something to say
    _assert_whole_organisational_life()


def _assert_whole_organisational_life():
    """The demo branches' own 支委会 and 党小组会 (and the 主题党日, 党员大会 and 党课 the bases did not hold) make
    their 三会一课 summary read true: a branch that has not gone quiet misses at most two months of any monthly
    type over the months of the demo's past that ended this year, and no quarter; lecture requests stand in every
    state, the completed ones rated and recorded."""
    from booking import clock
    from booking.demo import seed
    from booking.members import documents, services as members
    from models import Booking, LectureRequest, REQUEST_STATUSES
    today = clock.local_today()
    year = today.year
    covered_from = seed.past_start(today)
    quiet = set(seed.IDLE_LATELY)
    for branch in db.session.scalars(select(Branch).where(Branch.active.is_(True))):
        if branch.name in quiet:
            continue
        lines, ended = documents.branch_year(members.completed_in(branch, year), year)
        for line in lines:
            if not line.judged:
                continue
            if line.expected.startswith("每月"):
                missed = [m for m in line.short if date(year, int(m.rstrip("月")), 1) >= covered_from]
                assert len(missed) <= 2, (branch.name, line.label, line.short)
            else:
                missed = [q for q in line.short
                          if date(year, 3 * int(q[1]) - 2, 1) >= covered_from]
                assert not missed, (branch.name, line.label, line.short)
    own = db.session.scalar(select(func.count()).select_from(Booking).where(Booking.source == "own"))
    assert own >= 20 * 12, own
    assert set(db.session.scalars(select(LectureRequest.status).distinct())) == set(REQUEST_STATUSES)
    held = db.session.scalars(select(Booking).where(Booking.source == "request", Booking.status == "completed")).all()
    assert held and all(b.rating and b.activity_summary and b.lecturer_status == "accepted" for b in held)
    # Reproduced (the records read as filed): 实到党员 12 人 against 到场人数 7 人. Never more members present than
    # people counted, at a base, at home or at a lecture the branch ordered.
    from models import RosterEntry
    present = dict(db.session.execute(select(RosterEntry.booking_id, func.count()).where(
        RosterEntry.attendance == "present").group_by(RosterEntry.booking_id)).all())
    counted = dict(db.session.execute(select(Booking.id, Booking.visitor_count).where(
        Booking.status == "completed")).all())
    assert not [(i, n, counted.get(i)) for i, n in present.items() if n > (counted.get(i) or 0)]
