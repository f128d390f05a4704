"""Areas (属地): the tree of the district's streets and communities; the admin shapes it."""
from booking.api.core import bp, current_user, endpoint, json_body, page_of
from booking.api.openapi import I, S, listing, nullable, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.areas import day, services
from models import AREA_KINDS

register_components({
    "Area": obj(id=I, name=S, kind={"type": "string", "enum": list(AREA_KINDS)}, parent_id=nullable(I)),
    "AreaList": listing("Area"),
})

KIND_TEXT = "city 市、district 区县、street 街道/乡镇、community 社区/村"


def _fields(required: bool) -> Body:
    return Body(name=F("string", "名称", max_length=60, required=required),
                kind=F("string", "层级", enum=tuple(AREA_KINDS), description=KIND_TEXT, required=required),
                parent_id=F("integer", "上级属地", min=1, required=required))


def area(a) -> dict:
    return {"id": a.id, "name": a.name, "kind": a.kind, "parent_id": a.parent_id}


@bp.get("/areas")
@endpoint("The tree of areas, each parent before its children", query=Query(), paged=True, tag="areas",
          responses={200: "AreaList"})
def list_areas(query):
    """Every area (any authenticated user), ordered so that a parent comes before its children."""
    current_user()
    return page_of(services.all_query(), query, area)


@bp.post("/areas")
@endpoint("Add an area under another", body=_fields(True),
          tag="areas", responses={201: "Area", 403: None, 422: None},
          description="An admin. The kind comes after its parent's (city → district → street → community).")
def create_area(body):
    return area(services.create(current_user(), name=body["name"], kind=body["kind"],
                                parent_id=body["parent_id"])), 201


@bp.patch("/areas/<id:area_id>")
@endpoint("Rename an area, change its kind, or move it", body=_fields(False),
          tag="areas", responses={200: "Area", 403: None, 404: None, 422: None},
          description="An admin; fields not sent stay as they are. Never under itself or its own descendant.")
def change_area(area_id, body):
    given = json_body().keys()
    user = current_user()
    services.only_admin(user)
    found = services.get(area_id)
    return area(services.change(user, found, name=body["name"] if "name" in given else None,
                                kind=body["kind"] if "kind" in given else None,
                                parent_id=body.get("parent_id"), move="parent_id" in given))


@bp.delete("/areas/<id:area_id>")
@endpoint("Remove an empty area", tag="areas", responses={204: None, 403: None, 404: None, 409: None},
          description="An admin. An area in which anything lies is kept: 409 area_in_use.")
def delete_area(area_id):
    user = current_user()
    services.only_admin(user)
    services.delete(user, services.get(area_id))
    return "", 204


register_components({
    "AreaOverview": obj(
        area=ref("Area"), today={"type": "string", "format": "date"},
        quarter_start={"type": "string", "format": "date"},
        idle_branches=obj(total=I, first={"type": "array", "items": obj(
            id=I, name=S, last_activity=nullable({"type": "string", "format": "date"}))}),
        month=obj(batches=I, person_times=I), month_last_year=obj(batches=I, person_times=I),
        pending_bookings=I, requests_waiting=I, members=obj(total=I, short_of_hours=I),
        children={"type": "array", "items": ref("Area")}),
})


@bp.get("/areas/<id:area_id>/overview")
@endpoint("An area's day: idle branches this quarter, this month's visits against last year, what waits",
          tag="areas", responses={200: "AreaOverview", 403: None}, kept=True,
          description="An admin any area; an area administrator its own and those below it (else 403). The area "
                      "administrator's landing page, as JSON.")
def area_overview(area_id):
    page = day.street_day(current_user(), area_id)
    return {
        "area": area(page.area), "today": page.today.isoformat(), "quarter_start": page.quarter_start.isoformat(),
        "idle_branches": {"total": page.idle_total, "first": [
            {"id": b.id, "name": b.name, "last_activity": page.last_activity[b.id].isoformat()
             if page.last_activity.get(b.id) else None} for b in page.idle_first]},
        "month": {"batches": page.month.batches, "person_times": page.month.person_times},
        "month_last_year": {"batches": page.month_before.batches, "person_times": page.month_before.person_times},
        "pending_bookings": page.pending_total, "requests_waiting": page.requests_waiting,
        "members": {"total": page.members_total, "short_of_hours": page.short_total},
        "children": [area(c) for c in page.children],
    }
