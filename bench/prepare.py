"""Set up what the benchmark drives, in a loaded database: which ids to hit, and a base to create bookings in."""
import json
import os
import sys
from datetime import time, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select  # noqa: E402

from booking import clock, create_app  # noqa: E402
from models import Base, Booking, Branch, Member, MenuItem, OpeningSlot, User, Venue, db  # noqa: E402


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
        info = {"root_area": areas.root().id, "street_area": street, "item_id": item.id, "base_id": generated.id, "date": (today + timedelta(days=7)).isoformat(),
                "bodies": bodies_path, "bodies_count": len(bodies),
                # run.py starts each run after the bodies used since: the count of benchmark bookings minus this
                "bodies_base": len(taken),
                "branch_id": secretary.branch_id, "year": today.year, "roster_booking": roster_booking,
                "roster_body": json.dumps({"member_ids": members}), "series_bodies": series_bodies}
        with open(out_path, "w") as f:
            json.dump(info, f)


if __name__ == "__main__":
    main(sys.argv[1])
