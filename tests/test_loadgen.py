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


def test_seed_load_areas_spreads_a_city_whose_figures_by_area_add_up(world, api):
    """`seed-load --areas D,S,C`: a city root above the district, D districts of S streets of C communities; every
    generated organisation and base in one of them (communities, or directly in a street or district); statistics
    by area at the root add up to the total; bench-street reads its street."""
    from models import Area, Base, Branch, Organization
    runner = world.test_cli_runner()
    made = runner.invoke(args=["seed-load", "--bookings", "900", "--areas", "2,3,2"])
    assert made.exit_code == 0, made.output
    assert "20 个属地" in made.output  # 2 + 6 + 12
    roots = db.session.scalars(select(Area).where(Area.parent_id.is_(None))).all()
    assert len(roots) == 1 and roots[0].kind == "city"
    city = roots[0]
    tree = {a.id: a for a in db.session.scalars(select(Area))}
    for a in tree.values():  # every path is its parent's and its own id
        assert a.path == (f"{tree[a.parent_id].path}{a.id}/" if a.parent_id else f"/{a.id}/"), a.name
    districts = [a for a in tree.values() if a.parent_id == city.id and a.name.startswith("生成区")]
    streets = [a for a in tree.values() if a.parent_id in {d.id for d in districts}]
    communities = [a for a in tree.values() if a.parent_id in {s.id for s in streets}]
    assert (len(districts), len(streets), len(communities)) == (2, 6, 12)
    assert {a.kind for a in districts} == {"district"} and {a.kind for a in streets} == {"street"}
    assert {a.kind for a in communities} == {"community"}
    # The demo district moved under the city with everything below it.
    demo_district = next(a for a in tree.values() if a.name == "X区")
    assert demo_district.parent_id == city.id and demo_district.kind == "district"
    generated = {a.id for a in districts + streets + communities}
    orgs = db.session.scalars(select(Organization).where(Organization.name.like("生成党组织%"))).all()
    assert orgs and all(o.area_id in generated for o in orgs)
    placed = {tree[o.area_id].kind for o in orgs}
    assert placed == {"community", "street", "district"}  # most in communities, some directly in streets, districts
    assert sum(tree[o.area_id].kind == "community" for o in orgs) > len(orgs) / 2
    assert {o.area_id for o in orgs if tree[o.area_id].kind == "community"} == {c.id for c in communities}
    bases = db.session.scalars(select(Base).where(Base.name.like("生成基地%"))).all()
    assert bases and all(b.area_id in generated and tree[b.area_id].kind in ("community", "street") for b in bases)
    # Statistics by area at the root: one row per district (the demo's included), adding up to the total.
    window = "from=2000-01-01&to=2100-12-31"
    r = api.get(f"/api/v1/stats?group_by=area&{window}", as_="admin")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["total"]["batches"] > 800
    assert sum(row["batches"] for row in body["rows"]) == body["total"]["batches"]
    assert sum(row["person_times"] for row in body["rows"]) == body["total"]["person_times"]
    assert {row["key"] for row in body["rows"]} <= {d.id for d in districts} | {demo_district.id, city.id}
    assert {d.id for d in districts} <= {row["key"] for row in body["rows"]}
    by_month = api.get(f"/api/v1/stats?group_by=month&{window}", as_="admin").get_json()
    assert by_month["total"] == body["total"]
    # A district's figures by area: its streets and its 直属, adding up to the district's total.
    first = min(districts, key=lambda a: a.id)
    inner = api.get(f"/api/v1/stats?group_by=area&area_id={first.id}&{window}", as_="admin").get_json()
    assert sum(row["batches"] for row in inner["rows"]) == inner["total"]["batches"]
    assert inner["total"]["batches"] == next(row["batches"] for row in body["rows"] if row["key"] == first.id)
    # bench-street: the area administrator of the first generated street, who reads its branches' bookings.
    street = min(streets, key=lambda a: a.id)
    assert street.parent_id == first.id
    r = api.client.post("/api/v1/auth/token", json={"username": "bench-street", "password": "demo-pass-2026"})
    assert r.status_code == 200 and r.get_json()["user"]["role"] == "area_admin"
    listed = api.client.get("/api/v1/bookings?per_page=100",
                            headers={"Authorization": f"Bearer {r.get_json()['token']}"}).get_json()
    assert listed["total"] > 0
    in_street = {a.id for a in tree.values() if a.path.startswith(street.path)}
    for item in listed["items"]:
        branch = db.session.get(Branch, item["branch_id"])
        base = db.session.get(Base, item["base_id"]) if item["base_id"] else None
        assert branch.organization.area_id in in_street or (base is not None and base.area_id in in_street)
    # A second run adds to the same city (no second root, no second set of areas).
    again = runner.invoke(args=["seed-load", "--bookings", "100", "--areas", "2,3,2"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(Area)) == len(tree)
    # The test district's tree loaded again finds its district below the city: the city stays the root, nothing
    # is made twice.
    from booking.demo import seed
    from tests import world as district
    seed.load_areas(district.AREAS)
    db.session.commit()
    roots = db.session.scalars(select(Area).where(Area.parent_id.is_(None))).all()
    assert [r.kind for r in roots] == ["city"] and roots[0].name == city.name
    assert db.session.scalar(select(func.count()).select_from(Area)) == len(tree)


def test_seed_load_areas_wants_three_numbers(world):
    result = world.test_cli_runner().invoke(args=["seed-load", "--bookings", "10", "--areas", "2,4"])
    assert result.exit_code == 2 and "D,S,C" in result.output
