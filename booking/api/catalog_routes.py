"""The catalogue: bases, menus, availability, branches."""
from booking import permissions
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint, json_body, page_of
from booking.api.schema import Body, F, Query
from booking.catalog import services
from booking.manage import services as manage
from booking.errors import NotAllowed
from models import BASE_TYPES

BASES_QUERY = Query(
    type=F("string", "基地类型", enum=tuple(BASE_TYPES)),
    q=F("string", "搜索词", max_length=100, description="在名称和简介中搜索"),
)


@bp.get("/bases")
@endpoint("List bases", query=BASES_QUERY, paged=True, tag="catalogue", responses={200: "BaseList"})
def list_bases(query):
    """Active bases, filtered by type and searched by name and description."""
    stmt = services.bases_query(query["type"], query["q"])
    page = page_of(stmt, query, lambda b: b)
    counts = services.base_counts([b.id for b in page["items"]])
    page["items"] = [serialize.base_summary(b, counts[b.id]) for b in page["items"]]
    return page


@bp.get("/bases/<id:base_id>")
@endpoint("One base with its rules, venues and menu", tag="catalogue", responses={200: "BaseDetail", 404: None})
def get_base(base_id):
    """A base's detail."""
    return serialize.base_detail(*services.base_detail_rows(base_id))


RULES_BODY = Body(
    min_advance_days=F("integer", "最少提前天数", min=0, max=365),
    max_advance_days=F("integer", "最多提前天数", min=0, max=365),
    cancel_deadline_hours=F("integer", "取消截止小时数", min=0, max=720),
    requires_approval=F("boolean", "线上预约需要审核"),
    opens_on_holidays=F("boolean", "法定节假日开放"),
    max_live_per_branch=F("integer", "每支部同时可约", min=1, max=100, nullable=True, description="null 为不限"),
    max_per_branch_per_month=F("integer", "每支部每月可约", min=1, max=100, nullable=True, description="null 为不限"),
)
BASE_CHANGE_BODY = Body(
    name=F("string", "基地名称", max_length=120),
    description=F("string", "简介", max_length=5000, multiline=True),
    address=F("string", "地址", max_length=200),
    visitor_notes=F("string", "预约须知", max_length=5000, multiline=True, description="到达、交通、停车等须知"),
    contact_name=F("string", "联系人", max_length=60, nullable=True),
    contact_phone=F("string", "联系电话", max_length=30, nullable=True),
    rules=F("object", "预约规则", schema=RULES_BODY),
)


@bp.patch("/bases/<id:base_id>")
@endpoint("Change a base's details and rules", body=BASE_CHANGE_BODY, tag="catalogue",
          responses={200: "BaseDetail", 403: None, 404: None},
          description="A manager of the base or an admin; fields not sent stay as they are.")
def change_base(base_id, body):
    """Change the fields given (rules too); the same checks as the manager's page."""
    given = json_body().keys()
    base = manage.base_for_edit(current_user(), base_id)
    changes = {k: v for k, v in body.items() if k in given and k != "rules"}
    changes.update(body.get("rules") or {})
    manage.update_base(current_user(), base, **changes)
    return serialize.base_detail(*services.base_detail_rows(base_id, include_inactive=True))


AVAILABILITY_QUERY = Query(date=F("date", "日期", required=True))


@bp.get("/menu-items/<id:item_id>/availability")
@endpoint("Slots of a menu item on a day, with places left", query=AVAILABILITY_QUERY, tag="catalogue",
          responses={200: "Availability", 404: None})
def availability(item_id, query):
    """The day's slots of the item's venue with capacity, places left, whether they can be booked and from what
    headcount they may be waited for."""
    item, slots = services.day_slots(item_id, query["date"])
    return {"date": query["date"].isoformat(), "menu_item_id": item.item_id, "venue_id": item.venue_id,
            "slots": [serialize.slot(s) for s in slots]}


BRANCHES_QUERY = Query(q=F("string", "搜索词", max_length=100, description="支部或党组织名称"))


@bp.get("/branches")
@endpoint("Search branches (for offline bookings and the partners of a joint booking)", query=BRANCHES_QUERY, paged=True, tag="catalogue",
          responses={200: "BranchList", 403: None})
def list_branches(query):
    """Branches by name or organisation; for managers, admins and secretaries (who invite partners)."""
    user = current_user()
    if permissions.is_area_admin(user):  # an area administrator: the branches of its area
        return page_of(services.branches_query(query["q"], user.area_path), query, serialize.branch)
    if not permissions.can_search_branches(user):
        raise NotAllowed("只有基地管理员、支部书记和管理员可以查询党支部。")
    return page_of(services.branches_query(query["q"]), query, serialize.branch)


