"""Areas (属地): the tree, area administrators and figures by area (the contract's section "Areas")."""
from datetime import timedelta

from sqlalchemy import select

from booking import clock
from models import Area, Booking, Branch, db
from tests.factories import booking, completed, item, slot_start, user


def area(name) -> Area:
    return db.session.scalar(select(Area).where(Area.name == name))


def branch_of(username) -> Branch:
    return db.session.get(Branch, user(username).branch_id)


def test_the_tree_lists_every_parent_before_its_children(world, api):
    r = api.get("/api/v1/areas?per_page=100", as_="secretary")
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert r.get_json()["total"] == len(items) == 7
    seen = set()
    for a in items:
        assert set(a) >= {"id", "name", "kind", "parent_id"}
        assert a["parent_id"] is None or a["parent_id"] in seen
        seen.add(a["id"])
    assert items[0]["name"] == "X区" and items[0]["parent_id"] is None and items[0]["kind"] == "district"
    assert api.get("/api/v1/areas").status_code == 401


def test_the_admin_adds_renames_and_moves_areas_by_the_kinds_order(world, api):
    root, binjiang, hongxing = area("X区"), area("滨江街道"), area("红星街道")
    r = api.post("/api/v1/areas", as_="admin", json={"name": "江心街道", "kind": "street", "parent_id": root.id})
    assert r.status_code == 201, r.get_json()
    new = r.get_json()
    assert new["parent_id"] == root.id and new["kind"] == "street"
    # A kind that does not fit under its parent: a street under a community, a district under a street.
    r = api.post("/api/v1/areas", as_="admin", json={"name": "错层", "kind": "street",
                                                      "parent_id": area("滨江社区").id})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    r = api.post("/api/v1/areas", as_="admin", json={"name": "错层", "kind": "district", "parent_id": binjiang.id})
    assert r.status_code == 422
    # The same name twice under one parent.
    r = api.post("/api/v1/areas", as_="admin", json={"name": "滨江社区", "kind": "community", "parent_id": binjiang.id})
    assert r.status_code == 422 and "name" in r.get_json()["error"]["fields"]
    # Only the admin shapes the tree.
    for who in ("street", "manager", "secretary"):
        r = api.post("/api/v1/areas", as_=who, json={"name": "某社区", "kind": "community", "parent_id": binjiang.id})
        assert r.status_code == 403, who
        assert api.patch(f"/api/v1/areas/{binjiang.id}", as_=who, json={"name": "改名"}).status_code == 403
    # Rename.
    r = api.patch(f"/api/v1/areas/{new['id']}", as_="admin", json={"name": "江心镇"})
    assert r.status_code == 200 and r.get_json()["name"] == "江心镇"
    # Move a community to another street: it and everything in it go along (its base is read there after).
    community = area("滨江社区")
    r = api.patch(f"/api/v1/areas/{community.id}", as_="admin", json={"parent_id": hongxing.id})
    assert r.status_code == 200 and r.get_json()["parent_id"] == hongxing.id
    db.session.expire_all()
    assert area("滨江社区").path == f"{hongxing.path}{community.id}/"
    # Never under itself or its own descendant, and never somewhere its kind does not fit.
    assert api.patch(f"/api/v1/areas/{hongxing.id}", as_="admin", json={"parent_id": hongxing.id}).status_code == 422
    assert api.patch(f"/api/v1/areas/{hongxing.id}", as_="admin",
                     json={"parent_id": area("红星社区").id}).status_code == 422
    assert api.patch(f"/api/v1/areas/{area('红星社区').id}", as_="admin",
                     json={"parent_id": area("滨江社区").id}).status_code == 422
    assert api.patch(f"/api/v1/areas/{hongxing.id}", as_="admin", json={"kind": "community"}).status_code == 422
    assert api.patch("/api/v1/areas/99999", as_="admin", json={"name": "无"}).status_code == 404


def test_an_area_in_which_anything_lies_is_never_deleted(world, api):
    for name in ("X区", "滨江街道", "滨江社区", "科创园街道"):  # root; children and an organisation; a base; both
        r = api.delete(f"/api/v1/areas/{area(name).id}", as_="admin")
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "area_in_use", name
    assert api.delete(f"/api/v1/areas/{area('望江社区').id}", as_="street").status_code == 403
    assert api.delete(f"/api/v1/areas/{area('望江社区').id}", as_="admin").status_code == 204
    assert area("望江社区") is None


def test_every_organisation_and_base_names_its_area(world, api):
    bases = api.get("/api/v1/bases?per_page=100", as_="secretary").get_json()["items"]
    where = {b["name"]: b["area_id"] for b in bases}
    assert where["滨江党群服务中心"] == area("滨江社区").id
    assert where["时代楷模事迹展览馆"] == area("X区").id  # never placed: at the root
    one = api.get(f"/api/v1/bases/{bases[0]['id']}", as_="secretary").get_json()
    assert one["area_id"] == bases[0]["area_id"]
    branches = api.get("/api/v1/branches?per_page=100", as_="manager").get_json()["items"]
    orgs = {b["organization"]["name"]: b["organization"]["area_id"] for b in branches}
    assert orgs["滨江街道党工委"] == area("滨江街道").id and orgs["区直机关工委"] == area("X区").id
    me = api.get("/api/v1/me", as_="street").get_json()
    assert me["role"] == "area_admin" and me["area_id"] == area("滨江街道").id
    assert api.get("/api/v1/me", as_="secretary").get_json()["area_id"] is None


def _visits():
    """secretary2's branch lies in 滨江街道, secretary's directly in the district; 滨江党群服务中心 lies in 滨江社区."""
    red, centre = item("重温入党誓词"), item("志愿服务：社区环境整治")
    return {
        "in_branch": completed("secretary2", red, slot_start(-20, 9), 20, 18),     # its branch, another base
        "in_base": completed("secretary", centre, slot_start(-15, 9), 20, 12),     # another branch, its base
        "outside": completed("secretary", red, slot_start(-12, 9), 20, 16),        # neither
        "in_both": completed("secretary2", centre, slot_start(-10, 14), 20, 9),
    }


def test_the_area_admin_reads_its_branches_and_bases_bookings_and_changes_none(world, api):
    v = _visits()
    listed = api.get("/api/v1/bookings?per_page=100", as_="street").get_json()
    ids = {b["id"] for b in listed["items"]}
    assert ids == {v["in_branch"].id, v["in_base"].id, v["in_both"].id} and listed["total"] == 3
    # Counted in parts (its branches', then other branches' at its bases), filters and pages apply to each.
    at_base = api.get(f"/api/v1/bookings?per_page=1&base_id={v['in_base'].base_id}", as_="street").get_json()
    assert at_base["total"] == 2 and len(at_base["items"]) == 1
    since = api.get(f"/api/v1/bookings?per_page=1&page=3&from={v['in_base'].day.isoformat()}", as_="street").get_json()
    assert since["total"] == 2 and since["items"] == []
    assert api.get(f"/api/v1/bookings/{v['in_base'].id}", as_="street").status_code == 200
    r = api.get(f"/api/v1/bookings/{v['outside'].id}", as_="street")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    # Reading, never changing: no cancelling, approving or recording for someone else's visit.
    upcoming = booking("secretary2", item("重温入党誓词"), slot_start(6, 9), approve=False)
    for path, body in ((f"/api/v1/bookings/{upcoming.id}/approve", {}),
                       (f"/api/v1/bookings/{upcoming.id}/cancel", {"reason": "街道代取消"})):
        assert api.post(path, as_="street", json=body).status_code in (403, 404), path
    assert api.patch(f"/api/v1/bookings/{upcoming.id}", as_="street", json={"headcount": 10}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Booking, upcoming.id).status == "pending"


def _stats(api, who, **params):
    query = "&".join(f"{k}={val}" for k, val in params.items())
    r = api.get(f"/api/v1/stats?{query}", as_=who)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _adds_up(body):
    assert sum(r["batches"] for r in body["rows"]) == body["total"]["batches"]
    assert sum(r["person_times"] for r in body["rows"]) == body["total"]["person_times"]


def test_statistics_by_area_add_up_and_area_id_narrows_to_the_subtree(world, api):
    v = _visits()
    root, binjiang = area("X区"), area("滨江街道")
    body = _stats(api, "admin", group_by="area")
    _adds_up(body)
    rows = {r["key"]: r for r in body["rows"]}
    assert rows[binjiang.id]["label"] == "滨江街道" and rows[binjiang.id]["batches"] == 2
    assert rows[binjiang.id]["person_times"] == 18 + 9
    assert rows[root.id]["label"] == "直属" and rows[root.id]["batches"] == 2
    assert body["total"]["batches"] == 4 and [r["key"] for r in body["rows"]] == sorted(rows)
    # area_id: the visits of the subtree's branches, wherever they went.
    narrowed = _stats(api, "admin", group_by="base", area_id=binjiang.id)
    assert narrowed["total"] == {**narrowed["total"], "batches": 2, "person_times": 27}
    _adds_up(narrowed)
    # The area admin's default is its own area: the same figures; by area, its communities and its 直属.
    assert _stats(api, "street", group_by="base")["total"] == narrowed["total"]
    own = _stats(api, "street", group_by="area")
    _adds_up(own)
    assert [(r["key"], r["label"]) for r in own["rows"]] == [(binjiang.id, "直属")]
    # An area it does not hold, or any area for a manager or a secretary: 403.
    for who, where in (("street", area("红星街道").id), ("street", root.id), ("manager", binjiang.id),
                       ("secretary", binjiang.id)):
        r = api.get(f"/api/v1/stats?group_by=month&area_id={where}", as_=who)
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden", who
    assert api.get("/api/v1/stats?group_by=area", as_="manager").status_code == 403
    # An area below its own is the area admin's to read.
    assert _stats(api, "street", group_by="month", area_id=area("滨江社区").id)["total"]["batches"] == 0
    assert v  # the scenario's visits were made


def test_the_summary_and_idle_branches_of_an_area(world, api):
    _visits()
    binjiang = area("滨江街道")
    # The period holds the scenario's visits whatever today is (in early January they fall in the last year).
    today = clock.local_today()
    period = f"from={(today - timedelta(days=60)).isoformat()}&to={today.isoformat()}"
    r = api.get(f"/api/v1/reports/summary?area_id={binjiang.id}&{period}", as_="admin")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    # The bases lying in the subtree (滨江党群服务中心) and the visits they received.
    assert body["bases"]["total"] == 1 and body["batches"] == 2 and body["person_times"] == 12 + 9
    assert api.get(f"/api/v1/reports/summary?{period}", as_="street").get_json()["batches"] == 2
    assert api.get(f"/api/v1/reports/summary?area_id={area('红星街道').id}", as_="street").status_code == 403
    docx = api.get(f"/api/v1/reports/summary?format=docx&{period}", as_="street")
    assert docx.status_code == 200
    from io import BytesIO

    from docx import Document
    text = "\n".join(p.text for p in Document(BytesIO(docx.data)).paragraphs)
    assert "滨江街道打造" in text and "滨江街道开放式组织生活基地工作情况" in text
    idle = api.get(f"/api/v1/reports/inactive-branches?area_id={binjiang.id}&per_page=100&{period}", as_="admin").get_json()
    names = {i["branch"]["name"] for i in idle["items"]}
    assert names == {"望江社区党支部"}  # 滨江社区党支部 visited; the other branches lie elsewhere
    assert api.get(f"/api/v1/reports/inactive-branches?per_page=100&{period}", as_="street").get_json()["total"] == 1
    assert api.get(f"/api/v1/reports/inactive-branches?area_id={area('X区').id}",
                   as_="street").status_code == 403
    assert api.get("/api/v1/reports/inactive-branches", as_="manager").status_code == 403


def test_create_user_makes_an_area_admin_of_an_area(world):
    from flask import current_app
    runner = current_app.test_cli_runner()
    where = area("红星街道").id
    result = runner.invoke(args=["create-user", "hongxing", "--role", "area_admin", "--area", str(where)],
                           input="Hx-street-2026!\nHx-street-2026!\n")
    assert result.exit_code == 0, result.output
    made = user("hongxing")
    assert made.role == "area_admin" and made.area_id == where
    result = runner.invoke(args=["create-user", "noarea", "--role", "area_admin"],
                           input="Hx-street-2026!\nHx-street-2026!\n")
    assert result.exit_code == 1 and "area_id" in result.output


def test_the_area_admin_dispatches_its_branches_lecture_requests(world, api):
    from models import Notification
    from tests.test_lecture_requests import _at, _lecturer, _order
    inside = _order(api, "secretary2").get_json()
    outside = _order(api, "secretary").get_json()
    # Told of its branches' new requests, not of others'.
    told = {n.request_id for n in db.session.scalars(select(Notification).where(
        Notification.user_id == user("street").id, Notification.kind == "request_submitted"))}
    assert told == {inside["id"]}
    queue = api.get("/api/v1/lecture-requests?per_page=100", as_="street").get_json()["items"]
    assert [r["id"] for r in queue] == [inside["id"]]
    body = {"lecturer_id": _lecturer().id, "start": clock.iso(_at(5)), "duration_minutes": 90}
    assert api.post(f"/api/v1/lecture-requests/{outside['id']}/dispatch", as_="street", json=body).status_code == 404
    r = api.post(f"/api/v1/lecture-requests/{inside['id']}/dispatch", as_="street", json=body)
    assert r.status_code == 200 and r.get_json()["status"] == "dispatched", r.get_json()


def test_every_grouping_adds_up_over_the_demo_by_area_included(demo, api):
    year = clock.local_today().year
    period = f"from={year - 1}-01-01&to={year}-12-31"
    root = area("X区")
    for who, where in (("admin", None), ("admin", area("滨江街道").id), ("street", None),
                       ("street", area("滨江社区").id)):
        totals = set()
        for group_by in ("area", "base", "base_type", "month", "lecturer"):
            body = _stats(api, who, group_by=group_by, **({"area_id": where} if where else {}),
                          **dict(p.split("=") for p in period.split("&")))
            _adds_up(body)
            totals.add((body["total"]["batches"], body["total"]["person_times"]))
        assert len(totals) == 1, (who, where, totals)
    district = _stats(api, "admin", group_by="area", **dict(p.split("=") for p in period.split("&")))
    streets = {r["label"] for r in district["rows"]}
    assert {"滨江街道", "红星街道", "科创园街道", "直属"} <= streets and district["total"]["batches"] > 100
    assert root.name == "X区"


def test_the_area_admin_lists_its_areas_branches(world, api):
    r = api.get("/api/v1/branches?per_page=100", as_="street")
    assert r.status_code == 200
    assert {b["name"] for b in r.get_json()["items"]} == {"滨江社区党支部", "望江社区党支部"}
    assert api.get("/api/v1/branches?q=财政", as_="street").get_json()["total"] == 0


def test_an_areas_summary_counts_the_lecture_requests_of_its_branches(world, api):
    """The lectures its branches ordered (点单) are part of a street's figures, as they are of the district's: the
    street's summary counts its own branches' requests, never zero, never the whole district's."""
    today = clock.local_today()
    period = f"from={today.isoformat()}&to={(today + timedelta(days=1)).isoformat()}"
    body = {"topic": "学习贯彻党的二十届四中全会精神", "category": "red", "from": (today + timedelta(days=3)).isoformat(),
            "to": (today + timedelta(days=20)).isoformat(), "address": "滨江社区党群服务站二楼会议室", "headcount": 25,
            "contact_name": "王芳", "contact_phone": "13800000000"}
    for who in ("secretary", "secretary2", "secretary2"):
        assert api.post("/api/v1/lecture-requests", as_=who, json=body).status_code == 201
    district = api.get(f"/api/v1/reports/summary?{period}", as_="admin").get_json()["requests"]
    street = api.get(f"/api/v1/reports/summary?{period}", as_="street").get_json()["requests"]
    asked = api.get(f"/api/v1/reports/summary?area_id={area('滨江街道').id}&{period}", as_="admin").get_json()["requests"]
    assert district["submitted"] == 3
    assert street["submitted"] == asked["submitted"] == 2  # secretary2's branch lies in 滨江街道, secretary's not
    assert street["by_topic"] == [{"topic": "学习贯彻党的二十届四中全会精神", "count": 2}]
    # The statistics page beside them says the same.
    from tests.conftest import login
    client = api.client
    login(client, "street")
    page = client.get(f"/stats/?{period}").get_data(as_text=True)
    assert "期间各支部点单 <strong>2</strong> 次" in page
