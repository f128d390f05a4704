"""Set up what the benchmark drives, in a loaded database: which ids to hit, and a base to create bookings in."""
import json
import os
import sys
from datetime import time, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import random  # noqa: E402

from sqlalchemy import delete, func, insert, select, update  # noqa: E402

from booking import clock, create_app  # noqa: E402
from models import (Area, Base, Booking, Branch, Member, MenuItem, OpeningSlot, Organization,  # noqa: E402
                    RosterEntry, User, Venue, db)

# Members sign in themselves (扫码签到): visits of today, checked in, each a branch's group of GROUP members (its
# headcount) out of MEMBERS on its roll, ON_ROSTER of them put on the roster beforehand by the secretary, the others
# added by their own sign-in. Every sign-in of the benchmark is a different member of a live visit, so that it is
# answered 201 like the real ones; SIGN_IN_VISITS visits hold enough of them for the whole run (run.py).
SIGN_IN_VISITS, GROUP, MEMBERS, ON_ROSTER = 300, 100, 120, 60
SIGN_IN_HOURS = (8, 10, 12, 14)  # a branch that brings two groups in a day does so at different times


def main(out_path: str) -> None:
    app = create_app()
    with app.app_context():
        generated = db.session.scalar(select(Base).where(Base.name.like("生成基地%")).order_by(Base.id))
        item = db.session.scalar(select(MenuItem).where(MenuItem.base_id == generated.id).order_by(MenuItem.id))
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        target = db.session.scalar(select(Base).where(Base.name == "压测新建基地"))
        if target is None:
            # A base for the creation benchmark: hourly slots with room for every request of the run.
            target = Base(name="压测新建基地", type="basic", min_advance_days=0, max_advance_days=60,
                          requires_approval=True)
            db.session.add(target)
            db.session.flush()
            venue = Venue(base_id=target.id, name="大礼堂", kind="lecture_hall", capacity=10000)
            db.session.add(venue)
            db.session.flush()
            for weekday in range(7):
                for hour in range(24):
                    db.session.add(OpeningSlot(venue_id=venue.id, weekday=weekday, start_time=time(hour),
                                               end_time=time(hour, 50), capacity=10000))
            db.session.add(MenuItem(base_id=target.id, venue_id=venue.id, title="压测活动", category="practice",
                                    content_topic="实用技能", duration_minutes=50, min_group=1, max_group=100))
        manager.bases = sorted({*manager.bases, generated, target}, key=lambda b: b.id)
        db.session.commit()
        create_item = db.session.scalar(select(MenuItem).where(MenuItem.base_id == target.id))
        branches = list(db.session.scalars(select(Branch.id).where(Branch.active.is_(True)).order_by(Branch.id)))
        # Bookings of the creation benchmark made by earlier runs on this database: their (slot, branch) is taken.
        made = select(Booking.starts_at, Booking.branch_id).where(Booking.menu_item_id == create_item.id)
        taken = {(clock.iso(s), b) for s, b in db.session.execute(made)}
        today = clock.local_today()
        bodies = []
        # Distinct (slot, branch) pairs not yet booked, in slots from tomorrow on: each request takes a free place.
        for day in range(1, 60):
            for hour in range(24):
                start = clock.iso(clock.at_local(today + timedelta(days=day), time(hour)))
                for branch_id in branches[:200]:
                    if (start, branch_id) in taken:
                        continue
                    bodies.append(json.dumps({"menu_item_id": create_item.id, "start": start, "headcount": 1,
                                              "contact_name": "压测", "contact_phone": "13800000000",
                                              "branch_id": branch_id}, ensure_ascii=False))
        bodies_path = out_path + ".bodies"
        with open(bodies_path, "w") as f:
            f.write("\n".join(bodies) + "\n")
        # The organisational-life paths: the demo secretary's branch with 40 members and a booking to set the roster
        # of; standing monthly bookings (a year: 12 occurrences) in distinct (weekday, week, hour) series.
        secretary = db.session.scalar(select(User).where(User.username == "secretary"))
        have = db.session.scalar(select(Member.id).where(Member.branch_id == secretary.branch_id, Member.name.like("压测党员%")))
        if have is None:
            db.session.add_all(Member(branch_id=secretary.branch_id, name=f"压测党员{k:02d}") for k in range(40))
            db.session.commit()
        members = list(db.session.scalars(select(Member.id).where(Member.branch_id == secretary.branch_id,
                                                                  Member.active.is_(True)).order_by(Member.id)))[:30]
        roster_start = clock.at_local(today + timedelta(days=30), time(23))
        roster_booking = db.session.scalar(select(Booking.id).where(Booking.branch_id == secretary.branch_id,
                                                                    Booking.menu_item_id == create_item.id,
                                                                    Booking.starts_at == roster_start))
        if roster_booking is None:
            from booking.reservations import records
            roster_booking = records.create_booking(
                secretary, menu_item_id=create_item.id, start=roster_start, headcount=30, contact_name="压测",
                contact_phone="13800000000").id
        series_bodies = []
        for weekday in range(7):
            for week in (1, 2, 3, 4, -1):
                for hour in range(24):
                    series_bodies.append({"menu_item_id": create_item.id, "weekday": weekday, "week_of_month": week,
                                          "time": f"{hour:02d}:00", "headcount": 1, "contact_name": "压测",
                                          "contact_phone": "13800000000", "from": (today + timedelta(days=1)).isoformat(),
                                          "until": (today + timedelta(days=364)).isoformat()})
        # The city's figures: its root, and the street of the benchmark's area administrator (seed-load --areas).
        from booking.areas import services as areas
        street = db.session.scalar(select(User.area_id).where(User.username == "bench-street"))
        sign_in = prepare_sign_in(today)
        info = {"sign_in": sign_in, "root_area": areas.root().id, "street_area": street, "item_id": item.id, "base_id": generated.id, "date": (today + timedelta(days=7)).isoformat(),
                "bodies": bodies_path, "bodies_count": len(bodies),
                # run.py starts each run after the bodies used since: the count of benchmark bookings minus this
                "bodies_base": len(taken),
                "branch_id": secretary.branch_id, "year": today.year, "roster_booking": roster_booking,
                "roster_body": json.dumps({"member_ids": members}), "series_bodies": series_bodies}
        with open(out_path, "w") as f:
            json.dump(info, f)


def prepare_sign_in(today) -> dict:
    """Visits of today to sign in to, set anew on every run (a reused database's are moved to today and their
    rosters reset): SIGN_IN_VISITS for the sign-ins, one more whose sheet is read (half its roster signed in). A base
    of their own with its manager (bench-signin), so that no other path of the benchmark sees them in its scope."""
    base = db.session.scalar(select(Base).where(Base.name == "压测签到基地"))
    if base is None:
        base = Base(name="压测签到基地", type="basic", min_advance_days=0, max_advance_days=60, requires_approval=True)
        db.session.add(base)
        db.session.flush()
        venue = Venue(base_id=base.id, name="签到展厅", kind="exhibition_hall", capacity=10000)
        db.session.add(venue)
        db.session.flush()
        for weekday in range(7):
            for hour in SIGN_IN_HOURS:
                db.session.add(OpeningSlot(venue_id=venue.id, weekday=weekday, start_time=time(hour),
                                           end_time=time(hour + 1, 30), capacity=10000))
        db.session.add(MenuItem(base_id=base.id, venue_id=venue.id, title="压测签到活动", category="practice",
                                content_topic="实用技能", duration_minutes=90, min_group=1, max_group=GROUP))
        manager = User(username="bench-signin", display_name="签到压测管理员", role="manager")
        manager.set_password("demo-pass-2026")
        manager.bases = [base]
        db.session.add(manager)
        db.session.flush()
    item = db.session.scalar(select(MenuItem).where(MenuItem.base_id == base.id))
    visits = list(db.session.scalars(select(Booking).where(Booking.menu_item_id == item.id).order_by(Booking.id)))
    # Branches with no account (never the demo secretaries') and outside the street of bench-street, whose figures
    # the benchmark measures too: the newest first.
    with_account = select(User.branch_id).where(User.branch_id.is_not(None))
    eligible = select(Branch.id).where(Branch.active.is_(True), Branch.id.not_in(with_account))
    street = db.session.scalar(select(Area.path).join(User, User.area_id == Area.id)
                               .where(User.username == "bench-street"))
    if street:
        in_street = select(Organization.id).join(Area, Area.id == Organization.area_id).where(Area.path.like(street + "%"))
        eligible = eligible.where(Branch.organization_id.not_in(in_street))
    eligible_ids = set(db.session.scalars(eligible))
    if visits and any(v.branch_id not in eligible_ids for v in visits):  # made by an earlier version: anew
        ids = [v.id for v in visits]
        db.session.execute(delete(RosterEntry).where(RosterEntry.booking_id.in_(ids)))
        db.session.execute(delete(Booking).where(Booking.id.in_(ids)))
        db.session.expunge_all()
        visits = []
    if not visits:
        branches = sorted(eligible_ids, reverse=True)[:SIGN_IN_VISITS + 1]
        # Each gets MEMBERS members with a phone on file, so each sign-in confirms the last four digits.
        have = set(db.session.scalars(select(Member.branch_id).where(Member.branch_id.in_(branches),
                                                                     Member.name.like("签到党员%"))))
        seq = db.session.scalar(select(func.max(Member.id))) or 0
        rows = []
        for branch_id in branches:
            if branch_id in have:
                continue
            for k in range(MEMBERS):
                seq += 1
                rows.append({"branch_id": branch_id, "name": f"签到党员{k + 1:03d}", "role": "member",
                             "status": "full", "phone": f"139{seq:08d}", "active": True})
        if rows:
            db.session.execute(insert(Member), rows)
        from booking.reservations.records import new_code
        for n in range(SIGN_IN_VISITS + 1):
            visit = Booking(code=new_code(), status="approved", source="online", base_id=base.id,
                            venue_id=item.venue_id, menu_item_id=item.id, branch_id=branches[n % len(branches)],
                            starts_at=clock.now() + timedelta(minutes=n),
                            ends_at=clock.now() + timedelta(minutes=n + 90), day=today, headcount=GROUP,
                            contact_name="压测签到", contact_phone="13800000000", topic="", activity_type="theme_day")
            db.session.add(visit)
            visits.append(visit)
        db.session.flush()
    # Today, checked in, with the roster the secretary set (ON_ROSTER members, none signed in yet).
    now = clock.now()
    ids = [v.id for v in visits]
    db.session.execute(delete(RosterEntry).where(RosterEntry.booking_id.in_(ids)))
    branches = sorted({v.branch_id for v in visits})
    on_roll = {}
    for member_id, branch_id, phone in db.session.execute(
            select(Member.id, Member.branch_id, Member.phone).where(Member.branch_id.in_(branches),
                                                                   Member.name.like("签到党员%")).order_by(Member.id)):
        on_roll.setdefault(branch_id, []).append((member_id, phone[-4:]))
    seen: dict[int, int] = {}
    rows, plan = [], []
    for visit in visits:
        turn = seen[visit.branch_id] = seen.get(visit.branch_id, -1) + 1
        start = clock.at_local(today, time(SIGN_IN_HOURS[turn % len(SIGN_IN_HOURS)]))
        db.session.execute(update(Booking).where(Booking.id == visit.id).values(
            starts_at=start, ends_at=start + timedelta(minutes=90), day=today, status="approved", checked_in_at=now,
            visitor_count=None))
        roll = on_roll[visit.branch_id]
        sheet = visit is visits[-1]
        for k, (member_id, _) in enumerate(roll[:ON_ROSTER]):
            signed = sheet and k % 2 == 0
            rows.append({"booking_id": visit.id, "member_id": member_id, "branch_id": visit.branch_id,
                         "attendance": "present" if signed else None, "signed_in_at": now if signed else None})
        if not sheet:  # who comes, in the order they tap: those on the roster and the others mixed
            comers = [[m, last4] for m, last4 in roll[:GROUP]]
            random.Random(visit.id).shuffle(comers)
            plan.append({"booking_id": visit.id, "members": comers})
    db.session.execute(insert(RosterEntry), rows)
    db.session.commit()
    return {"manager": "bench-signin", "visits": plan, "sheet_booking": visits[-1].id, "group": GROUP,
            "members": MEMBERS, "on_roster": ON_ROSTER}


if __name__ == "__main__":
    main(sys.argv[1])
