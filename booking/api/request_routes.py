"""Lecture requests (点单 → 派单 → 接单 → 评单) over the same services as the pages."""
from booking import clock
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint, page_of
from booking.api.lecturer_routes import lecturer_dict
from booking.api.openapi import DT, I, S, listing, nullable, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.requests import services
from models import ACTIVITY_TYPES, CATEGORIES, REQUEST_STATUSES

NS, NI = nullable(S), nullable(I)
register_components({
    "LectureRequest": obj(id=I, branch_id=I, branch_name=S, status={"type": "string", "enum": list(REQUEST_STATUSES)},
                          topic=S, category=NS, content_topic=NS, **{"from": {"type": "string", "format": "date"},
                                                                    "to": {"type": "string", "format": "date"}},
                          address=S, headcount=I, contact_name=S, contact_phone=S, activity_type=S, note=S,
                          lecturer_id=NI, lecturer_name=NS, start=nullable(DT), end=nullable(DT), booking_id=NI,
                          reason=S, created_at=DT),
    "LectureRequestList": listing("LectureRequest"),
    "LectureRequestEvent": obj(at=DT, actor=nullable(ref("UserBrief")), action=S, from_status=NS, to_status=NS,
                               note=NS, lecturer_id=NI),
    "LectureRequestHistory": obj(items={"type": "array", "items": ref("LectureRequestEvent")}, total=I),
})


def request_dict(r) -> dict:
    """A lecture request as the contract shows it."""
    return {"id": r.id, "branch_id": r.branch_id, "branch_name": r.branch.name, "status": r.status, "topic": r.topic,
            "category": r.category, "content_topic": r.content_topic, "from": r.from_date.isoformat(),
            "to": r.to_date.isoformat(), "address": r.address, "headcount": r.headcount,
            "contact_name": r.contact_name, "contact_phone": r.contact_phone, "activity_type": r.activity_type,
            "note": r.note, "lecturer_id": r.lecturer_id, "lecturer_name": r.lecturer.name if r.lecturer else None,
            "start": clock.iso(r.starts_at), "end": clock.iso(r.ends_at), "booking_id": r.booking_id,
            "reason": r.reason, "created_at": clock.iso(r.created_at)}


SUBMIT_BODY = Body(
    topic=F("string", "点单主题", required=True, max_length=200),
    category=F("string", "课程类别", enum=tuple(CATEGORIES), nullable=True),
    content_topic=F("string", "内容专题", max_length=60, nullable=True),
    **{"from": F("date", "起始日期", required=True, description="可安排授课的第一天（不早于今天）"),
       "to": F("date", "截止日期", required=True, description="可安排授课的最后一天（时间段最长 90 天）")},
    address=F("string", "授课地点", required=True, max_length=200),
    headcount=F("integer", "参加人数", required=True, min=1, max=100000),
    contact_name=F("string", "联系人", required=True, max_length=60),
    contact_phone=F("string", "联系电话", required=True, max_length=30),
    activity_type=F("string", "活动类型", enum=tuple(ACTIVITY_TYPES), nullable=True, description="默认 party_lecture（党课）"),
    note=F("string", "备注", max_length=2000, multiline=True, nullable=True),
)


@bp.post("/lecture-requests")
@endpoint("A secretary orders a lecture for the branch (点单)", body=SUBMIT_BODY, tag="lecture-requests",
          responses={201: "LectureRequest", 403: None})
def submit_request(body):
    """The branch orders a lecture; the dispatchers are told."""
    made = services.submit(current_user(), first=body.pop("from"), last=body.pop("to"), **body)
    return request_dict(made), 201


LIST_QUERY = Query(status=F("string", "状态", enum=tuple(REQUEST_STATUSES)))


@bp.get("/lecture-requests")
@endpoint("The lecture requests the caller may see", query=LIST_QUERY, paged=True, tag="lecture-requests",
          responses={200: "LectureRequestList"})
def list_requests(query):
    """A secretary their branch's, an admin all, a lecturer those dispatched to them."""
    return page_of(services.visible_query(current_user(), query["status"]), query, request_dict)


@bp.get("/lecture-requests/<id:request_id>")
@endpoint("One lecture request", tag="lecture-requests", responses={200: "LectureRequest", 404: None})
def get_request(request_id):
    """404 where the caller may not see it."""
    return request_dict(services.get_visible(current_user(), request_id))


@bp.get("/lecture-requests/<id:request_id>/history")
@endpoint("A lecture request's history", tag="lecture-requests", responses={200: "LectureRequestHistory", 404: None})
def request_history(request_id):
    """Who did what, when, oldest first."""
    events = services.history(services.get_visible(current_user(), request_id))
    return {"items": [{**serialize.booking_event(e), "lecturer_id": e.lecturer_id} for e in events],
            "total": len(events)}


SUGGEST_QUERY = Query(start=F("datetime", "授课时间", description="给出时，排除该时间忙或不可用的讲师"))


@bp.get("/lecture-requests/<id:request_id>/lecturer-suggestions")
@endpoint("Lecturers for a request, best first (a dispatcher)", query=SUGGEST_QUERY, tag="lecture-requests",
          responses={200: "SuggestionList", 403: None, 404: None})
def request_suggestions(request_id, query):
    """Ranked by topic and this month's load; busy ones left out when `start` is given."""
    user = current_user()
    items = services.suggestions(user, services.get_visible(user, request_id), query["start"])
    return {"items": [{"lecturer": lecturer_dict(s.lecturer), "score": s.score, "reasons": s.reasons} for s in items],
            "total": len(items)}


DISPATCH_BODY = Body(
    lecturer_id=F("integer", "讲师", required=True, min=1, max=2147483647),
    start=F("datetime", "授课时间", required=True, description="在点单的时间段内"),
    duration_minutes=F("integer", "授课时长（分钟）", required=True, min=1, max=100000),
)
REASON = Body(reason=F("string", "原因", max_length=500, multiline=True, nullable=True))
REQUIRED_REASON = Body(reason=F("string", "原因", required=True, max_length=500, multiline=True))


@bp.post("/lecture-requests/<id:request_id>/dispatch")
@endpoint("Dispatch a lecturer (派单); 409 lecturer_conflict when busy", body=DISPATCH_BODY, tag="lecture-requests",
          responses={200: "LectureRequest", 403: None, 404: None, 409: None})
def dispatch_request(request_id, body):
    """A dispatcher sends a lecturer at a time inside the window."""
    user = current_user()
    request = services.get_visible(user, request_id)
    return request_dict(services.dispatch(user, request, body["lecturer_id"], body["start"], body["duration_minutes"]))


@bp.post("/lecture-requests/<id:request_id>/accept")
@endpoint("The dispatched lecturer takes it (接单)", tag="lecture-requests",
          responses={200: "LectureRequest", 403: None, 404: None, 409: None})
def accept_request(request_id):
    """It becomes an activity at the branch's own place with the lecturer."""
    user = current_user()
    return request_dict(services.accept(user, services.get_visible(user, request_id)))


@bp.post("/lecture-requests/<id:request_id>/decline")
@endpoint("The dispatched lecturer declines; back to the queue", body=REASON, optional_body=True,
          tag="lecture-requests", responses={200: "LectureRequest", 403: None, 404: None, 409: None})
def decline_request(request_id, body):
    """The request goes back to submitted; the dispatchers are told."""
    user = current_user()
    return request_dict(services.decline(user, services.get_visible(user, request_id), body.get("reason")))


@bp.post("/lecture-requests/<id:request_id>/reject")
@endpoint("A dispatcher declines to dispatch it, with a reason", body=REQUIRED_REASON, tag="lecture-requests",
          responses={200: "LectureRequest", 403: None, 404: None, 409: None})
def reject_request(request_id, body):
    """The branch is told why."""
    user = current_user()
    return request_dict(services.reject(user, services.get_visible(user, request_id), body["reason"]))


@bp.post("/lecture-requests/<id:request_id>/cancel")
@endpoint("The branch's secretary cancels it before the lecture", body=REASON, optional_body=True,
          tag="lecture-requests", responses={200: "LectureRequest", 403: None, 404: None, 409: None})
def cancel_request(request_id, body):
    """A dispatched or accepted lecturer is told; the time is free again."""
    user = current_user()
    return request_dict(services.cancel(user, services.get_visible(user, request_id), body.get("reason")))
