"""The lecturer pool over the same services as the pages."""
from booking import clock
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint, page_of
from booking.api.openapi import DT, I, N, S, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.errors import NotAllowed
from booking.lecturers import services
from booking.reservations.services import get_visible
from models import LECTURER_CATEGORIES, db

register_components({
    "Lecturer": obj(id=I, name=S, category={"type": "string", "enum": list(LECTURER_CATEGORIES)},
                    topics={"type": "array", "items": S}, bio=S),
    "LecturerList": obj(items={"type": "array", "items": ref("Lecturer")}, total=I, page=I, per_page=I),
    "Suggestion": obj(lecturer=ref("Lecturer"), score=N, reasons={"type": "array", "items": S}),
    "SuggestionList": obj(items={"type": "array", "items": ref("Suggestion")}, total=I),
    "ScheduleList": obj(items={"type": "array", "items": ref("Booking")}, total=I),
    "Unavailability": obj(id=I, start=DT, end=DT, reason=S),
})


def lecturer_dict(lecturer) -> dict:
    """A lecturer as the API shows them."""
    return {"id": lecturer.id, "name": lecturer.name, "category": lecturer.category, "topics": lecturer.topics,
            "bio": lecturer.bio}


LIST_QUERY = Query(category=F("string", "类别", enum=tuple(LECTURER_CATEGORIES)),
                   topic=F("string", "主题", max_length=40))


@bp.get("/lecturers")
@endpoint("The lecturer pool", query=LIST_QUERY, paged=True, tag="lecturers", responses={200: "LecturerList"})
def list_lecturers(query):
    """The active lecturer pool, by category and topic."""
    return page_of(services.lecturers_query(query["category"], query["topic"]), query, lecturer_dict)


@bp.get("/bookings/<id:booking_id>/lecturer-suggestions")
@endpoint("Free, suitable lecturers for a booking, best first", tag="lecturers",
          responses={200: "SuggestionList", 403: None})
def suggestions(booking_id):
    """Free, suitable lecturers for the booking, best first."""
    user = current_user()
    items = services.suggestions(user, get_visible(user, booking_id))
    return {"items": [{"lecturer": lecturer_dict(s.lecturer), "score": s.score, "reasons": s.reasons} for s in items],
            "total": len(items)}


@bp.put("/bookings/<id:booking_id>/lecturer")
@endpoint("Invite a lecturer (409 lecturer_conflict when busy or blocked)",
          body=Body(lecturer_id=F("integer", "讲师", required=True, min=1, max=2147483647)), tag="lecturers",
          responses={200: "Booking", 403: None, 409: None})
def invite(booking_id, body):
    """A manager invites a lecturer to the booking."""
    user = current_user()
    return serialize.booking(services.invite(user, get_visible(user, booking_id), body["lecturer_id"]))


@bp.post("/bookings/<id:booking_id>/lecturer/accept")
@endpoint("The invited lecturer accepts", tag="lecturers", responses={200: "Booking", 403: None, 409: None})
def accept(booking_id):
    """The invited lecturer accepts."""
    user = current_user()
    return serialize.booking(services.accept(user, get_visible(user, booking_id)))


@bp.post("/bookings/<id:booking_id>/lecturer/decline")
@endpoint("The invited lecturer declines", body=Body(reason=F("string", "原因", max_length=500, multiline=True, nullable=True)),
          optional_body=True, tag="lecturers", responses={200: "Booking", 403: None, 409: None})
def decline(booking_id, body):
    """The invited lecturer declines, with an optional reason."""
    user = current_user()
    return serialize.booking(services.decline(user, get_visible(user, booking_id), body.get("reason") or ""))


SCHEDULE_QUERY = Query(**{"from": F("date", "起始日期"), "to": F("date", "截止日期")})


@bp.get("/me/schedule")
@endpoint("The lecturer's invited and accepted assignments, soonest first", query=SCHEDULE_QUERY, tag="lecturers",
          responses={200: "ScheduleList", 403: None})
def my_schedule(query):
    """The calling lecturer's invited and accepted assignments."""
    user = current_user()
    if user.role != "lecturer" or user.lecturer_id is None:
        raise NotAllowed("只有讲师有授课日程。")
    items = db.session.scalars(services.schedule_query(user.lecturer_id, query["from"], query["to"])).all()
    return {"items": [serialize.booking(b) for b in items], "total": len(items)}


@bp.post("/me/unavailability")
@endpoint("Block time (外出, 休假)", body=Body(start=F("datetime", "开始时间", required=True),
                                           end=F("datetime", "结束时间", required=True),
                                           reason=F("string", "原因", max_length=200, nullable=True)),
          tag="lecturers", responses={201: "Unavailability", 403: None, 409: None})
def block(body):
    """The calling lecturer blocks time."""
    row = services.block_time(current_user(), body["start"], body["end"], body.get("reason") or "")
    return {"id": row.id, "start": clock.iso(row.start_at), "end": clock.iso(row.end_at), "reason": row.reason}, 201
