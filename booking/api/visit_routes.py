"""Check-in, attendance, no-show, feedback and statistics over the same services as the pages."""
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint
from booking.api.openapi import I, N, S, nullable, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.reservations.services import get_visible
from booking.stats import services as stats
from booking.visits import services

register_components({
    "StatsRow": obj(key={"oneOf": [I, S]}, label=S, batches=I, person_times=I, satisfaction=nullable(N)),
    "StatsTotal": obj(batches=I, person_times=I, satisfaction=nullable(N)),
    "Stats": obj(rows={"type": "array", "items": ref("StatsRow")}, total=ref("StatsTotal"), group_by=S),
})


@bp.post("/check-in")
@endpoint("Check a group in by its code, on the day of its visit",
          body=Body(code=F("string", "签到码", required=True, max_length=32)), tag="visits",
          responses={200: "Booking", 403: None, 404: None, 409: None})
def check_in(body):
    """A manager checks a group in by its code."""
    return serialize.booking(services.check_in(current_user(), body["code"]))


@bp.post("/bookings/<id:booking_id>/attendance")
@endpoint("Record (or correct) how many came; the visit becomes completed",
          body=Body(visitor_count=F("integer", "实到人数", required=True, min=1, max=100000),
                    visitor_counts=F("map", "分支部人数", nullable=True, max=100,
                                     items={"type": "integer", "minimum": 0, "maximum": 100000},
                                     description="联合活动按支部分列：{\"支部编号\": 人数}，之和等于 visitor_count")),
          tag="visits", responses={200: "Booking", 403: None, 409: None})
def attendance(booking_id, body):
    """A manager records (or corrects) how many came, for a joint visit perhaps split by branch."""
    user = current_user()
    booking = get_visible(user, booking_id)
    return serialize.booking(services.record_attendance(user, booking, body["visitor_count"],
                                                        visitor_counts=body["visitor_counts"]))


@bp.post("/bookings/<id:booking_id>/no-show")
@endpoint("Mark that the group did not come", tag="visits", responses={200: "Booking", 403: None, 409: None})
def no_show(booking_id):
    """A manager marks that the group did not come."""
    user = current_user()
    return serialize.booking(services.mark_no_show(user, get_visible(user, booking_id)))


@bp.post("/bookings/<id:booking_id>/feedback")
@endpoint("The branch rates a completed visit, once",
          body=Body(rating=F("integer", "评分", required=True, min=1, max=5),
                    comment=F("string", "评价", max_length=1000, multiline=True, nullable=True)),
          tag="visits", responses={200: "Booking", 403: None, 409: None})
def feedback(booking_id, body):
    """The branch rates a completed visit, once."""
    user = current_user()
    return serialize.booking(services.give_feedback(user, get_visible(user, booking_id), body["rating"], body["comment"]))


STATS_QUERY = Query(
    group_by=F("string", "分组方式", required=True, enum=tuple(stats.GROUPS)),
    **{"from": F("date", "起始日期", description="预约开始日期不早于（含）"),
       "to": F("date", "截止日期", description="预约开始日期不晚于（含）")},
    area_id=F("integer", "属地", min=1, description="只统计该属地及其下级属地的支部的活动（无论去了哪个基地）"),
)


@bp.get("/stats")
@endpoint("Batches and person-times, grouped", query=STATS_QUERY, tag="statistics", responses={200: "Stats", 403: None},
          kept=True)
def get_stats(query):
    """Counted only from completed visits; an admin sees all, a manager their bases, a secretary their branch, an
    area administrator its area's branches; `area_id` narrows to an area the caller reads."""
    user = current_user()
    rows, total = stats.compute(stats.reader(user, query["area_id"]), query["group_by"], query["from"], query["to"])
    return {
        "rows": [{"key": r.key, "label": r.label, "batches": r.batches, "person_times": r.person_times,
                  "satisfaction": r.satisfaction} for r in rows],
        "total": {"batches": total.batches, "person_times": total.person_times, "satisfaction": total.satisfaction},
        "group_by": query["group_by"],
    }
