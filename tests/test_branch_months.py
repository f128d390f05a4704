"""The months kept per branch (`branch_months`, kept by the database's triggers on `bookings`): they follow every
change of a visit, whoever writes it (a service, an ORM flush, a Core UPDATE, several processes at once), the
statistics read them for whole months and the bookings for the days at a period's ends, and the integrity checker
finds and repairs a month that drifted."""
import random
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import delete, select, update

from booking import clock
from booking.reservations import integrity
from booking.stats import services as stats
from models import Booking, BookingEvent, BranchMonth, Notification, db
from tests.factories import booking, completed, slot_start, user
from tests.server import assert_integrity, call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"


def _kept(branch_id) -> dict:
    return {m: (n, p, r, k) for m, n, p, r, k in db.session.execute(
        select(BranchMonth.month, BranchMonth.batches, BranchMonth.person_times, BranchMonth.rating_sum,
               BranchMonth.rated).where(BranchMonth.branch_id == branch_id)) if n or p or r or k}


def _month(b) -> str:
    return clock.local(b.starts_at).strftime("%Y-%m")


def _figures_problems() -> list:
    return [m for m in integrity.check() if m.kind == "figures"]


def test_the_months_follow_a_visit_through_attendance_feedback_corrections_and_undoing(world, api):
    b = booking(start=slot_start(-3), headcount=20)
    branch_id, month = b.branch_id, _month(b)
    assert _kept(branch_id) == {}  # approved, not yet a visit
    assert api.post(f"/api/v1/bookings/{b.id}/attendance", as_="manager",
                    json={"visitor_count": 12}).status_code == 200
    assert _kept(branch_id) == {month: (1, 12, 0, 0)}
    assert api.post(f"/api/v1/bookings/{b.id}/attendance", as_="manager",
                    json={"visitor_count": 15}).status_code == 200  # a correction: the same visit, its new count
    assert api.post(f"/api/v1/bookings/{b.id}/feedback", as_="secretary", json={"rating": 4}).status_code == 200
    assert _kept(branch_id) == {month: (1, 15, 4, 1)}
    other = completed(start=slot_start(-4, 14), visitors=7)
    assert _kept(branch_id)[_month(other)] == ((2, 22, 4, 1) if _month(other) == month else (1, 7, 0, 0))
    # Written behind the services' back: a Core UPDATE, an ORM flush, a delete; the months follow each.
    db.session.execute(update(Booking).where(Booking.id == other.id).values(status="cancelled")
                       .execution_options(synchronize_session=False))
    db.session.commit()
    assert _kept(branch_id) == {month: (1, 15, 4, 1)}
    db.session.execute(update(Booking).where(Booking.id == b.id).values(status=Booking.status)
                       .execution_options(synchronize_session=False))  # a lock taken, nothing changed
    db.session.commit()
    assert _kept(branch_id) == {month: (1, 15, 4, 1)}
    again = db.session.get(Booking, b.id)
    again.status = "no_show"  # a mistake corrected the other way: no longer counted
    db.session.commit()
    assert _kept(branch_id) == {}
    again.status = "completed"
    db.session.commit()
    db.session.execute(update(Booking).where(Booking.id == other.id).values(status="completed")
                       .execution_options(synchronize_session=False))  # counted again, then deleted outright
    for table in (BookingEvent, Notification):
        db.session.execute(delete(table).where(table.booking_id == other.id))
    db.session.execute(delete(Booking).where(Booking.id == other.id))
    db.session.commit()
    assert _kept(branch_id) == {month: (1, 15, 4, 1)}
    assert _figures_problems() == []


def test_the_months_follow_any_mix_of_changes(world):
    """Two hundred random changes of completed and other visits (status, count, rating, day, branch), by ORM
    and by Core: the months kept are what the bookings add up to after each batch of changes."""
    rng = random.Random(38)
    made = [completed(start=slot_start(-days, hour), visitors=5 + days)
            for days in range(2, 9) for hour in (9, 14)]
    made += [completed(secretary="secretary2", start=slot_start(-days, 14), visitors=9) for days in range(2, 5)]
    ids = [b.id for b in made]
    branches = sorted({b.branch_id for b in made})
    for round_ in range(10):
        for _ in range(20):
            b = db.session.get(Booking, rng.choice(ids))
            change = rng.randrange(6)
            if change == 0:
                b.status = rng.choice(["completed", "completed", "cancelled", "no_show", "approved"])
            elif change == 1:
                b.visitor_count = rng.randint(1, 60)
            elif change == 2:
                b.rating = rng.choice([None, 1, 3, 5])
            elif change == 3:
                b.day = b.day + timedelta(days=rng.choice([-40, -1, 1, 40]))
            elif change == 4:
                b.branch_id = rng.choice(branches)
            else:
                db.session.flush()
                db.session.execute(update(Booking).where(Booking.id == b.id)
                                   .values(status=rng.choice(["completed", "cancelled"]),
                                           visitor_count=rng.randint(1, 60))
                                   .execution_options(synchronize_session=False))
                db.session.expire(b)
            if rng.random() < 0.3:
                db.session.flush()
        db.session.commit()
        assert _figures_problems() == [], round_
    assert sum(n for kept in map(_kept, branches) for n, *_ in kept.values()) > 0


def test_statistics_by_area_read_whole_months_and_the_days_at_the_ends(world):
    """Periods of every shape (open, whole months, from and to the middle of months, inside one month): the area
    rows from the months kept add up to the same totals as the figures read from the bookings (by base)."""
    from booking.areas import services as areas
    street = areas.create(user("admin"), name="测试街道", kind="street", parent_id=areas.root().id)
    org = user("secretary2").branch.organization
    org.area_id = street.id
    db.session.commit()
    for days in range(1, 80, 3):
        completed(start=slot_start(-days, 9 if days % 2 else 14), visitors=days % 17 + 3)
        if days % 9 == 0:
            completed(secretary="secretary2", start=slot_start(-days, 14), visitors=days % 5 + 2)
    today = clock.local_today()
    month_start = today.replace(day=1)
    shapes = [(None, None), (month_start - timedelta(days=62), None), (None, today),
              (date(today.year - 1, 1, 1), today), (today - timedelta(days=45), today - timedelta(days=10)),
              ((month_start - timedelta(days=1)).replace(day=1), month_start - timedelta(days=1)),
              (month_start - timedelta(days=20), month_start - timedelta(days=5)),
              (today - timedelta(days=70), (month_start - timedelta(days=1)))]
    admin = user("admin")
    for start, end in shapes:
        rows, total = stats.compute(admin, "area", start, end)
        _, by_base = stats.compute(admin, "base", start, end)
        assert (total.batches, total.person_times, total.satisfaction) == \
               (by_base.batches, by_base.person_times, by_base.satisfaction), (start, end)
        assert sum(r.batches for r in rows) == total.batches
        street_row = next((r for r in rows if r.key == street.id), None)
        expected = Counter()
        for b in db.session.scalars(select(Booking).where(*stats.counted(start, end))):
            if b.branch.organization_id == org.id:
                expected["batches"] += 1
                expected["people"] += b.visitor_count
        assert (street_row.batches if street_row else 0, street_row.person_times if street_row else 0) == \
               (expected["batches"], expected["people"]), (start, end)
    assert stats.split_period(date(2026, 3, 1), date(2026, 5, 31)) == (("2026-03", "2026-05"), [])
    assert stats.split_period(date(2026, 3, 2), date(2026, 5, 30)) == \
           (("2026-04", "2026-04"), [(date(2026, 3, 2), date(2026, 3, 31)), (date(2026, 5, 1), date(2026, 5, 30))])
    assert stats.split_period(date(2026, 3, 2), date(2026, 3, 30)) == (None, [(date(2026, 3, 2), date(2026, 3, 30))])
    assert stats.split_period(date(2026, 3, 2), date(2026, 4, 30)) == \
           (("2026-04", "2026-04"), [(date(2026, 3, 2), date(2026, 3, 31))])
    assert stats.split_period(None, date(2026, 4, 15)) == ((None, "2026-03"), [(date(2026, 4, 1), date(2026, 4, 15))])
    assert stats.split_period(date(2026, 12, 31), None) == \
           (("2027-01", None), [(date(2026, 12, 31), date(2026, 12, 31))])


def test_the_checker_finds_a_month_that_drifted_and_repair_recounts_it(world):
    b = completed(start=slot_start(-3), visitors=11)
    db.session.execute(update(BranchMonth).where(BranchMonth.branch_id == b.branch_id)
                       .values(person_times=BranchMonth.person_times + 5))
    db.session.add(BranchMonth(branch_id=user("secretary2").branch_id, month="2001-01", batches=1, person_times=3,
                               rating_sum=0, rated=0))
    db.session.commit()
    found = _figures_problems()
    assert len(found) == 2 and all("按预约应为" in m.text for m in found), found
    changed = integrity.repair(user("admin"))
    assert sum("月度数字" in line for line in changed) == 2, changed
    assert _figures_problems() == []
    assert _kept(b.branch_id) == {_month(b): (1, 11, 0, 0)}


def test_visits_completed_and_rated_at_once_in_several_processes_keep_the_months_exact(world):
    """Twenty-four visits of two branches recorded at the same moment by four gunicorn workers, then rated and
    corrected at the same moment: each branch's months are exactly its visits (the triggers add under the row's
    lock), on SQLite and PostgreSQL; the integrity checker agrees."""
    made = []
    for secretary in ("secretary", "secretary2"):
        days = 1
        while sum(b.branch_id == user(secretary).branch_id for b in made) < 12 and days < 60:
            for hour in (9, 14):
                try:
                    made.append(booking(secretary, start=slot_start(-days, hour), headcount=30))
                except Exception:  # a day the venue is closed (a weekend, a public holiday): the next one
                    db.session.rollback()
            days += 1
    jobs = [(b.id, b.branch_id) for b in made]
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        tokens = {name: call(url, "POST", "/api/v1/auth/token", {"username": name, "password": PASSWORD})[1]["token"]
                  for name in ("admin", "secretary", "secretary2")}
        first = simultaneously([(url, "POST", f"/api/v1/bookings/{i}/attendance", {"visitor_count": 10 + n % 7},
                                 tokens["admin"]) for n, (i, _) in enumerate(jobs)])
        assert Counter(status for status, _ in first) == {200: len(jobs)}, first
        rater = {b: name for name in ("secretary", "secretary2")
                 for b in [call(url, "GET", "/api/v1/me", None, tokens[name])[1].get("branch_id")]}
        second = simultaneously(
            [(url, "POST", f"/api/v1/bookings/{i}/feedback", {"rating": 1 + n % 5}, tokens[rater[branch_id]])
             for n, (i, branch_id) in enumerate(jobs)]
            + [(url, "POST", f"/api/v1/bookings/{i}/attendance", {"visitor_count": 20}, tokens["admin"])
               for i, _ in jobs[::2]])
        assert Counter(status for status, _ in second) == {200: len(jobs) + len(jobs[::2])}, second
    kept = Counter()
    for branch_id in {b for _, b in jobs}:
        for n, p, r, k in _kept(branch_id).values():
            kept.update(batches=n, people=p, ratings=r, rated=k)
    expected_people = sum(20 if n % 2 == 0 else 10 + n % 7 for n in range(len(jobs)))
    assert kept == Counter(batches=len(jobs), people=expected_people, ratings=sum(1 + n % 5 for n in range(len(jobs))),
                           rated=len(jobs)), kept
    assert_integrity()


def _area_rows(start=None, end=None) -> dict:
    rows, _ = stats.compute(user("admin"), "area", start, end)
    return {r.key: (r.batches, r.person_times) for r in rows}


def test_an_organisation_or_a_branch_moved_to_another_area_takes_its_months_along(world):
    from booking.areas import services as areas
    from models import Branch, Organization
    east = areas.create(user("admin"), name="东街道", kind="street", parent_id=areas.root().id)
    west = areas.create(user("admin"), name="西街道", kind="street", parent_id=areas.root().id)
    for days in (3, 5, 40):
        completed(start=slot_start(-days), visitors=10)
    completed(secretary="secretary2", start=slot_start(-6, 14), visitors=4)
    mine, theirs = user("secretary").branch, user("secretary2").branch
    assert mine.organization_id != theirs.organization_id
    assert east.id not in _area_rows() and west.id not in _area_rows()
    # An organisation placed in a street (the admin's form writes the ORM), then moved on by a Core UPDATE.
    mine.organization.area_id = east.id
    db.session.commit()
    assert _area_rows()[east.id] == (3, 30) and _figures_problems() == []
    db.session.execute(update(Organization).where(Organization.id == mine.organization_id).values(area_id=west.id))
    db.session.commit()
    rows = _area_rows()
    assert rows[west.id] == (3, 30) and east.id not in rows and _figures_problems() == []
    # A branch moved to another organisation counts under that organisation's area from then on, its past too.
    theirs_org = db.session.get(Organization, theirs.organization_id)
    theirs_org.area_id = east.id
    db.session.commit()
    assert _area_rows()[east.id] == (1, 4)
    db.session.get(Branch, mine.id).organization_id = theirs_org.id
    db.session.commit()
    rows = _area_rows()
    assert rows[east.id] == (4, 34) and west.id not in rows and _figures_problems() == []
    # Moved within one area (another organisation of the same street): nothing changes.
    other = Organization(name="东街道第二党委", sector="other", area_id=east.id)
    db.session.add(other)
    db.session.flush()
    db.session.get(Branch, mine.id).organization_id = other.id
    db.session.commit()
    assert _area_rows()[east.id] == (4, 34) and _figures_problems() == []


def test_visits_counted_while_their_organisation_moves_count_under_one_area_only(world):
    """Twelve visits recorded through the API by four gunicorn workers while the admin moves their branch's
    organisation back and forth between two streets through its page: every visit is counted once, under the
    street the organisation ends in (a visit's trigger reads the organisation FOR SHARE, so a move waits for the
    visits being counted under the old street and those after it read the new one)."""
    import re
    import threading
    import urllib.parse

    from booking.areas import services as areas
    from tests.test_concurrency import _page_session
    east = areas.create(user("admin"), name="东街道", kind="street", parent_id=areas.root().id)
    west = areas.create(user("admin"), name="西街道", kind="street", parent_id=areas.root().id)
    org = user("secretary").branch.organization
    org_id, org_name, sector = org.id, org.name, org.sector
    made, days = [], 1
    while len(made) < 12 and days < 60:
        for hour in (9, 14):
            try:
                made.append(booking(start=slot_start(-days, hour), headcount=30).id)
            except Exception:  # a day the venue is closed: the next one
                db.session.rollback()
        days += 1
    east_id, west_id = east.id, west.id
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    statuses = []
    with gunicorn(uri, workers=4) as url:
        token = call(url, "POST", "/api/v1/auth/token", {"username": "admin", "password": PASSWORD})[1]["token"]
        movers = []
        for _ in range(4):
            opener = _page_session(url, "admin")
            page = opener.open(f"{url}/admin/organizations/{org_id}", timeout=30).read().decode()
            movers.append((opener, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)))
        barrier = threading.Barrier(len(made) + len(movers))

        def record(booking_id, n):
            barrier.wait()
            statuses.append(call(url, "POST", f"/api/v1/bookings/{booking_id}/attendance",
                                 {"visitor_count": 10 + n}, token)[0])

        def move(opener, csrf, area_id):
            body = urllib.parse.urlencode({"csrf_token": csrf, "name": org_name, "sector": sector,
                                           "area_id": area_id}).encode()
            barrier.wait()
            with opener.open(f"{url}/admin/organizations/{org_id}", data=body, timeout=60) as r:
                statuses.append(r.status)

        threads = [threading.Thread(target=record, args=(b, n)) for n, b in enumerate(made)]
        threads += [threading.Thread(target=move, args=(*m, (east_id, west_id)[i % 2])) for i, m in enumerate(movers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert Counter(statuses) == {200: len(made) + len(movers)}, statuses
    ended_in = db.session.get(type(user("secretary").branch.organization), org_id).area_id
    rows = _area_rows()
    assert rows[ended_in] == (len(made), sum(10 + n for n in range(len(made)))), rows
    assert (west_id if ended_in == east_id else east_id) not in rows
    assert_integrity()


def test_an_area_its_organisations_left_can_be_removed(world, client):
    """An area that once held an organisation keeps zero months after it moved away; removing the area (empty now)
    took its page to a 500 (the months' reference to it) before they went with it."""
    from booking.areas import services as areas
    from models import Area, AreaMonth
    from tests.conftest import login
    street = areas.create(user("admin"), name="临时街道", kind="street", parent_id=areas.root().id)
    completed(start=slot_start(-3), visitors=8)
    org = user("secretary").branch.organization
    org.area_id = street.id
    db.session.commit()
    org.area_id = areas.root().id
    db.session.commit()
    assert db.session.scalar(select(AreaMonth.batches).where(AreaMonth.area_id == street.id)) == 0
    street_id = street.id
    login(client, "admin")
    r = client.post(f"/admin/areas/{street_id}/delete", data={"confirm": "1"})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(Area, street_id) is None
    assert _figures_problems() == []
    assert _area_rows()[areas.root().id][0] == 1  # the visit still counts, where its organisation is
