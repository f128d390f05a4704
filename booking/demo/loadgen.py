"""`flask seed-load --bookings N`: a large, realistic district on top of the demo data, for benchmarks.

Mostly completed visits with visitor counts over the past three years, the rest pending or approved in the
coming weeks. Generated bases, venues, branches and lecturers are added as needed so that every slot stays
within its capacity. Rows go in with bulk INSERTs in chunks, with a progress bar.

With `--areas D,S,C` it is a city on one deployment: a city root above the demo district, D generated districts of
S streets of C communities beside it, and the generated organisations (with their branches) and bases spread over
them: most in communities, some directly in a street or a district (直属); the account `bench-street` is the area
administrator of the first generated street.
"""
import math
import random
from datetime import time, timedelta

import click
from sqlalchemy import String, func, insert, literal, or_, select, text, update

from booking import clock
from booking.reservations.states import ACCEPTED, APPROVED, CANCELLED, COMPLETED, NO_SHOW, PENDING
from models import (Area, Base, Booking, BookingEvent, Branch, Lecturer, LecturerTopic, MenuItem, OpeningSlot,
                    Organization, SlotOccupancy, Venue, db)
from models import User

PAST_DAYS = 3 * 365
FUTURE_DAYS = 56
SLOT_TIMES = ((time(9), time(11)), (time(14), time(16)))
CAPACITY = 200
PER_SLOT = 4            # bookings in a past slot (10–40 people each, so never above CAPACITY)
FUTURE_SHARE = 0.04     # of N, in the coming weeks
CHUNK = 20000
TOPICS = ["党史学习", "思想政治", "政策普及", "文明道德", "实用技能", "科学知识", "志愿服务"]
TYPES = ["basic", "red", "welfare", "tech"]


def _structure(n: int) -> tuple[int, int]:
    """How many generated venues are needed for n bookings."""
    past = n * (1 - FUTURE_SHARE)
    venues = max(2, math.ceil(past / (PAST_DAYS * len(SLOT_TIMES) * PER_SLOT)))
    return venues + venues % 2, max(200, min(5000, n // 400))


def _run_number() -> int:
    """Which run of seed-load on this database this is (1 for the first): generated names carry it, so a second
    run adds new organisations, bases and lecturers beside the first run's instead of colliding with them."""
    first_orgs = select(func.count()).select_from(Organization).where(or_(
        Organization.name.like("生成党组织___-0000"), Organization.name.like("生成党组织0000-%")))
    return (db.session.scalar(first_orgs) or 0) + 1


CITY = "生成市"
AREA_ADMIN = "bench-street"


def _area(name: str, kind: str, parent: Area) -> Area:
    """The area of this name under `parent`, made when missing (path: the parent's and its own id)."""
    area = db.session.scalar(select(Area).where(Area.parent_id == parent.id, Area.name == name))
    if area is None:
        area = Area(name=name, kind=kind, parent_id=parent.id, path="")
        db.session.add(area)
        db.session.flush()
        area.path = f"{parent.path}{area.id}/"
    return area


def city_root() -> Area:
    """The tree's root as a city: when the root is still the demo district, a city is put above it (the district
    and everything below it move down one level: their paths get the city's id in front, one UPDATE)."""
    from booking.areas import services as areas
    top = areas.root()
    if top.kind == "city":
        return top
    city = Area(name=CITY, kind="city", parent_id=None, path="")
    db.session.add(city)
    db.session.flush()
    city.path = f"/{city.id}/"
    db.session.execute(update(Area).where(Area.id != city.id)
                       .values(path=literal(f"/{city.id}", String) + Area.path)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Area).where(Area.id == top.id).values(parent_id=city.id)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.expire_all()
    return db.session.get(Area, city.id)


def make_areas(shape: tuple[int, int, int]) -> dict:
    """D districts of S streets of C communities under the city root (made where missing). Returns the areas by
    kind and where generated organisations and bases go: organisations in every community, street and district
    (so some lie directly in a street or a district), bases in communities and streets."""
    d_count, s_count, c_count = shape
    city = city_root()
    districts, streets, communities = [], [], []
    for d in range(1, d_count + 1):
        district = _area(f"生成区{d:02d}", "district", city)
        districts.append(district)
        for s in range(1, s_count + 1):
            street = _area(f"生成街道{d:02d}-{s:02d}", "street", district)
            streets.append(street)
            for c in range(1, c_count + 1):
                communities.append(_area(f"生成社区{d:02d}-{s:02d}-{c:02d}", "community", street))
    db.session.commit()
    return {"city": city, "districts": districts, "streets": streets, "communities": communities,
            "org_places": [a.id for a in communities + streets + districts],
            # Bases from the last district backwards: the first street (the benchmark's area administrator's) holds
            # its share of them, not every base of a small run.
            "base_places": [a.id for a in reversed(communities + streets)]}


def _make_area_admin(street: Area) -> int:
    """The benchmark's area administrator (bench-street, the demo password) of the first generated street."""
    from booking.auth.services import create_user
    have = db.session.scalar(select(User.id).where(User.username == AREA_ADMIN))
    if have is None:
        have = create_user(None, username=AREA_ADMIN, password=SECRETARY_PASSWORD, role="area_admin",
                           display_name=f"压测街道管理员（{street.name}）", area_id=street.id).id
        db.session.commit()
    return have


def _make_catalogue(venues: int, branches: int, rng: random.Random, run: int, tree: dict | None = None):
    """Bases of two venues each, their weekly slots and menus; organisations, branches and lecturers (spread over
    the generated areas when `tree` is given, else at the root)."""
    start = (db.session.scalar(select(func.count()).select_from(Base)) or 0) + 1
    made_venues, items = [], []
    for i in range(venues // 2):
        base = Base(name=f"生成基地{start + i:04d}", type=TYPES[i % 4], address=f"X区生成路 {start + i} 号",
                    description="压测生成的基地", min_advance_days=1, max_advance_days=60, cancel_deadline_hours=24,
                    requires_approval=True)
        if tree:
            base.area_id = tree["base_places"][i % len(tree["base_places"])]
        db.session.add(base)
        db.session.flush()
        for j, kind in enumerate(("exhibition_hall", "lecture_hall")):
            venue = Venue(base_id=base.id, name=f"{'展厅' if j == 0 else '讲堂'}", kind=kind, capacity=CAPACITY)
            db.session.add(venue)
            db.session.flush()
            for weekday in range(7):
                for s, e in SLOT_TIMES:
                    db.session.add(OpeningSlot(venue_id=venue.id, weekday=weekday, start_time=s, end_time=e,
                                               capacity=CAPACITY))
            item = MenuItem(base_id=base.id, venue_id=venue.id, title="参观展厅" if j == 0 else "专题党课",
                            category="red" if j else "culture", content_topic=TOPICS[(i + j) % len(TOPICS)],
                            duration_minutes=90, min_group=5, max_group=50, needs_lecturer=bool(j))
            db.session.add(item)
            db.session.flush()
            made_venues.append(venue)
            items.append(item)
    orgs = []
    places = tree["org_places"] if tree else []
    for k in range(max(1, branches // 20, len(places))):
        org = Organization(name=f"生成党组织{run:03d}-{k:04d}", sector=rng.choice(
            ["government", "community", "state_enterprise", "new_organization", "institution"]))
        if places:
            org.area_id = places[k % len(places)]
        db.session.add(org)
        orgs.append(org)
    db.session.flush()
    branch_rows = [Branch(organization_id=orgs[b % len(orgs)].id, name=f"第{b:05d}支部") for b in range(branches)]
    db.session.add_all(branch_rows)
    lecturers = [Lecturer(name=f"生成讲师{run:03d}-{k:03d}", category=rng.choice(["cadre", "model", "grassroots"]),
                          topic_rows=[LecturerTopic(topic=t) for t in rng.sample(TOPICS, 2)]) for k in range(50)]
    db.session.add_all(lecturers)
    db.session.commit()
    return items, [b.id for b in branch_rows], [lec.id for lec in lecturers]


def load(n: int, seed: int = 2026, secretaries: int = 0, areas: tuple[int, int, int] | None = None) -> dict:
    """Add n bookings on top of what is there (a second run adds n more); with `secretaries`, that many generated
    branches get a secretary who can log in (the rush benchmark's clients); with `areas` (D, S, C), a city of D
    districts of S streets of C communities over which the generated organisations and bases lie. Returns what
    was made."""
    run = _run_number()
    rng = random.Random(seed + run - 1)
    venues, branches = _structure(n)
    tree = make_areas(areas) if areas else None
    items, branch_ids, lecturer_ids = _make_catalogue(venues, max(branches, secretaries), rng, run, tree)
    area_admin = _make_area_admin(tree["streets"][0]) if tree else None
    made_secretaries = _make_secretaries(branch_ids[:secretaries], run) if secretaries else 0
    today = clock.local_today()
    next_id = (db.session.scalar(select(func.max(Booking.id))) or 0) + 1
    first_id = next_id
    future_n = int(n * FUTURE_SHARE)
    past_n = n - future_n
    bookings, events, occupancies = [], [], []
    done = 0
    lecturing: dict = {}  # start -> the lecturers holding a session then (every generated slot shares its times)

    def flush(bar):
        nonlocal bookings, events, occupancies, done
        if bookings:
            db.session.execute(insert(Booking.__table__), bookings)
            db.session.execute(insert(BookingEvent.__table__), events)
            done += len(bookings)
            bar.update(len(bookings))
        if occupancies:
            db.session.execute(insert(SlotOccupancy.__table__), occupancies)
        db.session.commit()
        bookings, events, occupancies = [], [], []

    def slots(days):
        for d in days:
            for s, e in SLOT_TIMES:
                yield d, clock.at_local(d, s), clock.at_local(d, e)

    with click.progressbar(length=n, label=f"生成 {n} 个预约", show_pos=True, show_percent=True) as bar:
        plan = [(items, range(-PAST_DAYS, 0), past_n, True), (items, range(1, FUTURE_DAYS + 1), future_n, False)]
        for item_list, day_range, quota, past in plan:
            made = 0
            days = [today + timedelta(days=k) for k in day_range]
            per_slot = PER_SLOT if past else max(1, math.ceil(quota / max(1, len(days) * len(SLOT_TIMES) * len(item_list))))
            per_slot = min(per_slot, 4)
            for item in item_list:
                if made >= quota:
                    break
                for day, start, end in slots(days):
                    if made >= quota:
                        break
                    held = 0
                    for branch_id in rng.sample(branch_ids, per_slot):
                        if made >= quota:
                            break
                        headcount = rng.randint(10, 40)
                        if held + headcount > CAPACITY:
                            break
                        held += headcount
                        created = start - timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8))
                        if past:
                            status = COMPLETED if rng.random() > 0.03 else rng.choice([CANCELLED, NO_SHOW])
                        else:
                            status = rng.choice([PENDING, APPROVED, APPROVED])
                        status = status.value
                        if status == CANCELLED:
                            held -= headcount
                        visitors = max(1, headcount - rng.randint(0, 5)) if status == COMPLETED else None
                        lecturer = None
                        if item.needs_lecturer and rng.random() < 0.6:
                            # A lecturer is never in two places at once: one free at this start, if any.
                            taken = lecturing.setdefault(start, set())
                            lecturer = rng.choice(lecturer_ids)
                            if lecturer in taken:
                                lecturer = next((x for x in lecturer_ids if x not in taken), None)
                            if lecturer is not None and status != CANCELLED:
                                taken.add(lecturer)
                        bookings.append({
                            "id": next_id, "code": f"L{next_id:07d}", "status": status,
                            "source": "online" if rng.random() < 0.8 else "offline", "base_id": item.base_id,
                            "venue_id": item.venue_id, "menu_item_id": item.id, "branch_id": branch_id,
                            "starts_at": start, "ends_at": end, "day": day, "headcount": headcount,
                            "contact_name": "联系人", "contact_phone": "13800000000", "topic": "主题党日", "note": "",
                            "lecturer_id": lecturer, "lecturer_status": ACCEPTED.value if lecturer else None,
                            "visitor_count": visitors, "checked_in_at": start if visitors else None,
                            "rating": rng.randint(3, 5) if visitors and rng.random() < 0.5 else None,
                            "created_at": created, "updated_at": created,
                        })
                        events.append({"booking_id": next_id, "at": created, "actor_id": None, "action": "created",
                                       "from_status": None, "to_status": PENDING.value, "note": ""})
                        if status != PENDING:
                            # The history action that led to each status (the state machine's own names).
                            events.append({"booking_id": next_id, "at": created + timedelta(hours=2), "actor_id": None,
                                           "action": "attendance_recorded" if status == COMPLETED else status,
                                           "from_status": (PENDING if status in (APPROVED, CANCELLED) else APPROVED).value,
                                           "to_status": status, "note": ""})
                        next_id += 1
                        made += 1
                    if held:
                        occupancies.append({"venue_id": item.venue_id, "starts_at": start, "ends_at": end,
                                            "capacity": CAPACITY, "held": held})
                    if len(bookings) >= CHUNK:
                        flush(bar)
        flush(bar)
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("bookings", "booking_events", "slot_occupancies"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"bookings": done, "venues": venues, "branches": max(branches, secretaries), "first_id": first_id,
            "secretaries": made_secretaries, "run": run, "area_admin": area_admin,
            "areas": len(tree["districts"]) + len(tree["streets"]) + len(tree["communities"]) if tree else 0}


SECRETARY_PASSWORD = "demo-pass-2026"


def _make_secretaries(branch_ids: list[int], run: int) -> int:
    """A secretary for each branch, usernames load{run}-sec{k}, all with the demo password (hashed once)."""
    from werkzeug.security import generate_password_hash
    from flask import current_app
    digest = generate_password_hash(SECRETARY_PASSWORD, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
    rows = [{"username": f"load{run}-sec{k:05d}", "display_name": f"压测书记{k:05d}", "role": "secretary",
             "branch_id": branch_id, "password_hash": digest, "active": True}
            for k, branch_id in enumerate(branch_ids)]
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(User.__table__), rows[i:i + CHUNK])
    db.session.commit()
    return len(rows)


