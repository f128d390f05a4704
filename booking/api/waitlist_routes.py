"""The waitlist (候补) over the same services as the pages."""
from booking import clock
from booking.api.core import bp, current_user, endpoint, page_of
from booking.api.openapi import DT, I, S, listing, nullable, obj, register_components
from booking.api.schema import Body, F, Query
from booking.reservations import waitlist
from models import ACTIVITY_TYPES, WAIT_STATUSES

register_components({
    "WaitlistEntry": obj(id=I, status={"type": "string", "enum": list(WAIT_STATUSES)}, position=nullable(I),
                         menu_item_id=I, base_id=I, venue_id=I, branch_id=I, start=DT, end=DT, headcount=I,
                         contact_name=S, contact_phone=S, topic=S, activity_type=S, booking_id=nullable(I),
                         created_at=DT),
    "WaitlistList": listing("WaitlistEntry"),
})


def entry(e, place: int | None = None) -> dict:
    """A waitlist entry, with where it stands now (its position while waiting; `place` when already known)."""
    status = waitlist.status_of(e)
    if status == waitlist.WAITING and place is None:
        place = waitlist.position(e)
    return {"id": e.id, "status": status, "position": place if status == waitlist.WAITING else None,
            "menu_item_id": e.menu_item_id, "base_id": e.base_id, "venue_id": e.venue_id, "branch_id": e.branch_id,
            "start": clock.iso(e.starts_at), "end": clock.iso(e.ends_at), "headcount": e.headcount,
            "contact_name": e.contact_name, "contact_phone": e.contact_phone, "topic": e.topic,
            "activity_type": e.activity_type, "booking_id": e.booking_id, "created_at": clock.iso(e.created_at)}


JOIN_BODY = Body(
    menu_item_id=F("integer", "菜单项目", required=True, min=1, max=2147483647),
    start=F("datetime", "开始时间", required=True, description="场次开始时间，ISO 8601；无时区时按部署时区"),
    headcount=F("integer", "参加人数", required=True, min=1, max=100000),
    contact_name=F("string", "联系人", required=True, max_length=60),
    contact_phone=F("string", "联系电话", required=True, max_length=30),
    topic=F("string", "活动主题", max_length=200, nullable=True),
    activity_type=F("string", "活动类型", enum=tuple(ACTIVITY_TYPES), nullable=True),
)


@bp.post("/waitlist")
@endpoint("Join the waitlist of a full slot", body=JOIN_BODY, tag="waitlist",
          responses={201: "WaitlistEntry", 403: None, 409: None},
          description="A secretary, only when the slot lacks room for the headcount (else 409 slot_available); the "
                      "booking rules otherwise. 409 duplicate_booking when the branch holds or already waits for it.")
def join_waitlist(body):
    """The branch waits for the slot."""
    return entry(waitlist.join(current_user(), **body)), 201


LIST_QUERY = Query(status=F("string", "状态", enum=tuple(WAIT_STATUSES)))


@bp.get("/waitlist")
@endpoint("The caller's waitlist entries", query=LIST_QUERY, paged=True, tag="waitlist",
          responses={200: "WaitlistList", 403: None})
def list_waitlist(query):
    """A secretary's branch's entries, a manager's bases', all for an admin."""
    page = page_of(waitlist.visible_query(current_user(), query["status"]), query, lambda e: e)
    places = waitlist.positions(page["items"])
    page["items"] = [entry(e, places.get(e.id)) for e in page["items"]]
    return page


@bp.get("/waitlist/<id:entry_id>")
@endpoint("One waitlist entry", tag="waitlist", responses={200: "WaitlistEntry", 404: None})
def get_waitlist_entry(entry_id):
    """404 where the caller may not see it."""
    return entry(waitlist.get_visible(current_user(), entry_id))


@bp.post("/waitlist/<id:entry_id>/cancel")
@endpoint("Leave the waitlist", tag="waitlist", responses={200: "WaitlistEntry", 403: None, 404: None, 409: None})
def cancel_waitlist_entry(entry_id):
    """The branch's secretary, while the entry waits."""
    user = current_user()
    return entry(waitlist.cancel(user, waitlist.get_visible(user, entry_id)))
