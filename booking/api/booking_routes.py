"""Bookings and notifications over the same services as the pages."""
from booking.api import serialize
from booking.api.core import bp, current_actor, current_user, endpoint, json_body, page_of
from booking.api.openapi import S, I, DT, listing, nullable, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.notify import services as notify
from booking.reservations import own, records, services
from models.booking import ACTIVITY_TYPES, STATUS_LABELS
from models.partner import PARTNER_STATUSES

NS, NI = nullable(S), nullable(I)
BOOKING_PROPS = dict(
    id=I, code=S, status={"type": "string", "enum": list(STATUS_LABELS)},
    source={"type": "string", "enum": ["online", "offline", "own", "request"]}, base_id=NI, venue_id=NI,
    menu_item_id=NI, branch_id=I, address=NS,
    start=DT, end=DT, headcount=I, contact_name=S, contact_phone=S, topic=S, note=S,
    activity_type={"type": "string", "enum": list(ACTIVITY_TYPES)}, lecturer_id=NI,
    lecturer_status=NS, visitor_count=NI, checked_in_at=nullable(DT), created_at=DT, rating=NI, feedback_comment=NS,
    series_id=NI, partners={"type": "array", "items": ref("Partner")}, total_headcount=I,
)
register_components({
    "Partner": obj(branch_id=I, branch_name=S, headcount=I,
                   status={"type": "string", "enum": list(PARTNER_STATUSES)}, visitor_count=NI),
    "Booking": {**obj(**BOOKING_PROPS), "properties": {**BOOKING_PROPS, "base_name": NS, "venue_name": NS,
                                                       "branch_name": S, "menu_item_title": NS}},
    "BookingList": listing("Booking"),
    "BookingEvent": obj(at=DT, actor=nullable(ref("UserBrief")), action=S, from_status=NS, to_status=NS, note=NS),
    "BookingHistory": obj(items={"type": "array", "items": ref("BookingEvent")}, total=I),
    "Notification": obj(id=I, kind=S, booking_id=NI, title=S, body=S, created_at=DT, read_at=nullable(DT)),
    "NotificationList": {**listing("Notification"),
                         "properties": {**listing("Notification")["properties"], "unread": I}},
})

CREATE_BODY = Body(
    place=F("string", "活动地点类型", enum=("own",), nullable=True,
            description="own：本支部自行开展（不在基地），需 end、address，不需 menu_item_id"),
    menu_item_id=F("integer", "菜单项目", min=1, max=2147483647, nullable=True, required_unless=("place", "own"),
                   description="在基地活动时必填"),
    start=F("datetime", "开始时间", required=True, description="场次开始时间，ISO 8601；无时区时按部署时区"),
    headcount=F("integer", "参加人数", required=True, min=1, max=100000),
    contact_name=F("string", "联系人", required=True, max_length=60),
    contact_phone=F("string", "联系电话", required=True, max_length=30),
    topic=F("string", "活动主题", max_length=200, nullable=True),
    note=F("string", "备注", max_length=2000, multiline=True, nullable=True),
    branch_id=F("integer", "党支部", min=1, max=2147483647, nullable=True,
                description="线下登记时必填；支部书记可省略"),
    activity_type=F("string", "活动类型", enum=tuple(ACTIVITY_TYPES), nullable=True, description="默认 theme_day（主题党日）"),
    end=F("datetime", "结束时间", nullable=True, description="本支部自行开展时必填：晚于开始时间，最长 8 小时"),
    address=F("string", "活动地点", max_length=200, nullable=True, description="本支部自行开展时必填"),
    partners=F("array", "共建支部", max=10, nullable=True,
               items={"type": "object", "required": ["branch_id", "headcount"],
                      "properties": {"branch_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                                     "headcount": {"type": "integer", "minimum": 1, "maximum": 100000}}},
               description="同时邀请的共建支部及其人数（名额一并保留）；项目的人数限制按合计计算"),
)


@bp.post("/bookings")
@endpoint("Book a slot (secretary online, manager offline)", body=CREATE_BODY, tag="bookings",
          responses={201: "Booking", 403: None, 409: None})
def create_booking(body):
    """Create a booking; 409 slot_full or duplicate_booking, 422 not_a_slot or outside_booking_window. With
    `place` `own`, an activity at the branch's own place instead (409 duplicate_booking when it overlaps)."""
    if body.pop("place", None) == "own":
        made = own.create(current_actor(), **{name: body.get(name) for name in OWN_FIELDS})
        return serialize.booking(made), 201
    body.pop("end", None), body.pop("address", None)
    return serialize.booking(records.create_booking(current_actor(), **body)), 201


OWN_FIELDS = ("activity_type", "start", "end", "address", "topic", "headcount", "contact_name", "contact_phone", "note")


LIST_QUERY = Query(
    status=F("string", "状态", enum=tuple(STATUS_LABELS)),
    base_id=F("integer", "基地", min=1, max=2147483647),
    **{"from": F("date", "起始日期", description="开始日期不早于（含）"),
       "to": F("date", "截止日期", description="开始日期不晚于（含）")},
)


@bp.get("/bookings")
@endpoint("Bookings the caller may see", query=LIST_QUERY, paged=True, tag="bookings",
          responses={200: "BookingList"}, kept=True)
def list_bookings(query):
    """A secretary's branch's, a manager's bases', a lecturer's assignments, or all for an admin."""
    page, per_page = query.get("page") or 1, query.get("per_page") or 20
    items, total = services.visible_page(current_actor(), page=page, per_page=per_page, status=query["status"],
                                         base_id=query["base_id"], start=query["from"], end=query["to"])
    return {"items": [serialize.booking(b) for b in items], "total": total, "page": page, "per_page": per_page}


@bp.get("/bookings/<id:booking_id>")
@endpoint("One booking", tag="bookings", responses={200: "Booking"})
def get_booking(booking_id):
    """One booking, 404 where the caller may not see it."""
    return serialize.booking(services.get_visible(current_user(), booking_id))


@bp.get("/bookings/<id:booking_id>/history")
@endpoint("Every change of a booking, oldest first", tag="bookings", responses={200: "BookingHistory"})
def booking_history(booking_id):
    """Every change of the booking, oldest first."""
    events = services.history(services.get_visible(current_user(), booking_id))
    return {"items": [serialize.booking_event(e) for e in events], "total": len(events)}


@bp.post("/bookings/<id:booking_id>/approve")
@endpoint("Approve a pending booking", tag="bookings", responses={200: "Booking", 403: None, 409: None})
def approve(booking_id):
    """A manager of its base approves a pending booking."""
    user = current_user()
    return serialize.booking(services.approve_booking(user, services.get_visible(user, booking_id)))


CHANGE_BODY = Body(
    headcount=F("integer", "参加人数", min=1, max=100000),
    contact_name=F("string", "联系人", max_length=60),
    contact_phone=F("string", "联系电话", max_length=30),
    topic=F("string", "活动主题", max_length=200, nullable=True),
    note=F("string", "备注", max_length=2000, multiline=True, nullable=True),
    start=F("datetime", "开始时间", description="仅本支部自行开展的活动可改（点单送课除外）"),
    end=F("datetime", "结束时间", description="仅本支部自行开展的活动可改（点单送课除外）"),
    address=F("string", "活动地点", max_length=200, description="仅本支部自行开展的活动可改"),
    activity_type=F("string", "活动类型", enum=tuple(ACTIVITY_TYPES), description="仅本支部自行开展的活动在此修改"),
)


@bp.patch("/bookings/<id:booking_id>")
@endpoint("Change a booking's headcount, contact, topic or note", body=CHANGE_BODY, tag="bookings",
          responses={200: "Booking", 403: None, 409: None},
          description="The branch until the cancel deadline, a manager of the base until the start. A larger headcount "
                      "takes the extra places atomically (409 slot_full), a smaller one gives them back.")
def change(booking_id, body):
    """Change the fields given in the body (absent fields stay as they are)."""
    given = json_body().keys()
    user = current_user()
    booking = services.get_visible(user, booking_id)
    return serialize.booking(services.change_booking(user, booking, **{k: v for k, v in body.items() if k in given}))


REASON_REQUIRED = Body(reason=F("string", "原因", required=True, max_length=500, multiline=True))
REASON_OPTIONAL = Body(reason=F("string", "原因", max_length=500, multiline=True, nullable=True))


@bp.post("/bookings/<id:booking_id>/reject")
@endpoint("Reject a pending booking with a reason", body=REASON_REQUIRED, tag="bookings",
          responses={200: "Booking", 403: None, 409: None})
def reject(booking_id, body):
    """A manager of its base rejects a pending booking with a reason."""
    user = current_user()
    booking = services.get_visible(user, booking_id)
    return serialize.booking(services.reject_booking(user, booking, body["reason"]))


@bp.post("/bookings/<id:booking_id>/cancel")
@endpoint("Cancel a booking", body=REASON_OPTIONAL, tag="bookings", optional_body=True,
          responses={200: "Booking", 403: None, 409: None})
def cancel(booking_id, body):
    """The branch (until the deadline) or the base (until the start) cancels."""
    user = current_user()
    booking = services.get_visible(user, booking_id)
    return serialize.booking(services.cancel_booking(user, booking, body.get("reason")))


NOTIFICATIONS_QUERY = Query(unread=F("boolean", "只看未读"))


@bp.get("/me/notifications")
@endpoint("The caller's notifications, newest first", query=NOTIFICATIONS_QUERY, paged=True, tag="notifications",
          responses={200: "NotificationList"})
def my_notifications(query):
    """The caller's notifications, newest first, with the unread count."""
    user = current_user()
    page = page_of(notify.notifications_query(user, bool(query["unread"])), query, serialize.notification)
    page["unread"] = notify.unread_count(user)
    return page


@bp.post("/me/notifications/<id:notification_id>/read")
@endpoint("Mark a notification read", tag="notifications", responses={200: "Notification"})
def read_notification(notification_id):
    """Mark one of the caller's notifications read."""
    return serialize.notification(notify.mark_read(current_user(), notification_id))
