"""Open lectures (讲习活动): publish, the calendar, the lecturer's answer and cancelling, over
booking.lectures.services."""
from booking import clock
from booking.api.core import bp, current_user, endpoint
from booking.api.openapi import DT, I, S, listing, nullable, obj, register_components
from booking.api.schema import Body, F, Query
from booking.lectures import services
from models import LECTURE_STATUSES, db

register_components({
    "Lecture": obj(id=I, base_id=I, base_name=S, venue_id=I, menu_item_id=I, start=DT, end=DT, topic=S,
                   lecturer_id=I, lecturer_name=S, lecturer_status=S, capacity=I, remaining=I,
                   status={"type": "string", "enum": list(LECTURE_STATUSES)}, cancel_reason=nullable(S)),
    "LectureList": listing("Lecture"),
})

PUBLISH_BODY = Body(
    menu_item_id=F("integer", "菜单项目", required=True, min=1),
    start=F("datetime", "开始时间", required=True),
    lecturer_id=F("integer", "讲师", required=True, min=1),
    topic=F("string", "主题", max_length=200, nullable=True),
)
CALENDAR_QUERY = Query(**{"from": F("date", "起始日期"), "to": F("date", "截止日期"),
                          "base_id": F("integer", "基地", min=1)})
REASON_BODY = Body(reason=F("string", "原因", max_length=500, nullable=True, multiline=True))
CANCEL_BODY = Body(reason=F("string", "取消原因", required=True, max_length=500, multiline=True))


def lecture_json(lecture, seats=None) -> dict:
    seats = seats or services.seats([lecture])[lecture.id]
    return {"id": lecture.id, "base_id": lecture.base_id, "base_name": lecture.base.name,
            "venue_id": lecture.venue_id, "menu_item_id": lecture.menu_item_id, "start": clock.iso(lecture.starts_at),
            "end": clock.iso(lecture.ends_at), "topic": lecture.topic, "lecturer_id": lecture.lecturer_id,
            "lecturer_name": lecture.lecturer.name, "lecturer_status": lecture.lecturer_status,
            "capacity": seats.capacity, "remaining": seats.remaining, "status": lecture.status,
            "cancel_reason": lecture.cancel_reason or None}


@bp.post("/lectures")
@endpoint("Publish an open lecture in a slot", body=PUBLISH_BODY, tag="lectures",
          responses={201: "Lecture", 403: None, 409: None})
def publish_lecture(body):
    """A manager of the item's base; one a slot (409 duplicate_lecture); the lecturer invited once (409
    lecturer_conflict when busy)."""
    lecture = services.publish(current_user(), menu_item_id=body["menu_item_id"], start=body["start"],
                               lecturer_id=body["lecturer_id"], topic=body["topic"])
    return lecture_json(lecture), 201


@bp.get("/lectures")
@endpoint("The lecture calendar (讲习日历)", query=CALENDAR_QUERY, paged=True, tag="lectures",
          responses={200: "LectureList"})
def list_lectures(query):
    """Published lectures, soonest first; any signed-in user."""
    current_user()
    page, per_page = query.get("page") or 1, query.get("per_page") or 20
    stmt = services.calendar_query(query["from"], query["to"], query["base_id"])
    total = db.session.scalar(stmt.with_only_columns(db.func.count()).order_by(None))
    items = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)))
    seats = services.seats(items)
    return {"items": [lecture_json(x, seats[x.id]) for x in items], "total": total, "page": page,
            "per_page": per_page}


@bp.get("/lectures/<id:lecture_id>")
@endpoint("One lecture", tag="lectures", responses={200: "Lecture", 404: None})
def get_lecture(lecture_id):
    current_user()
    return lecture_json(services.get(lecture_id))


@bp.post("/lectures/<id:lecture_id>/lecturer/accept")
@endpoint("The invited lecturer accepts the lecture", tag="lectures", optional_body=True, body=REASON_BODY,
          responses={200: "Lecture", 403: None, 404: None, 409: None})
def accept_lecture(lecture_id, body):
    return lecture_json(services.accept(current_user(), services.get(lecture_id)))


@bp.post("/lectures/<id:lecture_id>/lecturer/decline")
@endpoint("The invited lecturer declines the lecture", tag="lectures", optional_body=True, body=REASON_BODY,
          responses={200: "Lecture", 403: None, 404: None, 409: None})
def decline_lecture(lecture_id, body):
    return lecture_json(services.decline(current_user(), services.get(lecture_id), body["reason"] or ""))


INVITE_BODY = Body(lecturer_id=F("integer", "讲师", required=True, min=1))


@bp.put("/lectures/<id:lecture_id>/lecturer")
@endpoint("Invite another lecturer to a lecture", body=INVITE_BODY, tag="lectures",
          responses={200: "Lecture", 403: None, 404: None, 409: None})
def invite_lecture_lecturer(lecture_id, body):
    """Its base's manager, once the invited lecturer declined (or before they answered)."""
    return lecture_json(services.invite(current_user(), services.get(lecture_id), body["lecturer_id"]))


@bp.post("/lectures/<id:lecture_id>/cancel")
@endpoint("Cancel a lecture and every live booking of its slot", body=CANCEL_BODY, tag="lectures",
          responses={200: "Lecture", 403: None, 404: None, 409: None})
def cancel_lecture(lecture_id, body):
    return lecture_json(services.cancel(current_user(), services.get(lecture_id), body["reason"]))
