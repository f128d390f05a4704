"""Standing monthly bookings and the holiday calendar, over the same services as the pages."""
from booking import clock
from booking.catalog import holidays
from booking.series import services as series
from booking.api.core import bp, current_user, endpoint
from booking.api.openapi import I, S, nullable, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.errors import NotAllowed, ValidationFailed
from models import ACTIVITY_TYPES, HOLIDAY_KINDS

D = {"type": "string", "format": "date"}
register_components({
    "Holiday": obj(date=D, name=S, kind={"type": "string", "enum": list(HOLIDAY_KINDS)}),
    "HolidayList": obj(items={"type": "array", "items": ref("Holiday")}, total=I, year=I, known={"type": "boolean"}),
    "Occurrence": obj(date=D, start={"type": "string", "format": "date-time"}, status=S, booking_id=nullable(I),
                      reason=nullable(S)),
    "Series": obj(id=I, branch_id=I, menu_item_id=I, status=S, weekday=I, week_of_month=I, time=S, **{"from": D},
                  until=D, occurrences={"type": "array", "items": ref("Occurrence")}),
    "SeriesList": obj(items={"type": "array", "items": ref("Series")}, total=I),
    "SeriesCancelled": obj(cancelled_booking_ids={"type": "array", "items": I},
                           not_cancelled={"type": "array", "items": obj(booking_id=I, reason=S)}),
})


def _holiday(h) -> dict:
    return {"date": h.day.isoformat(), "name": h.name, "kind": h.kind}


def _series(s) -> dict:
    return {"id": s.id, "branch_id": s.branch_id, "menu_item_id": s.menu_item_id, "status": s.status,
            "weekday": s.weekday, "week_of_month": s.week_of_month, "time": f"{s.start_time:%H:%M}",
            "from": s.from_date.isoformat(), "until": s.until_date.isoformat(),
            "occurrences": [{"date": o.day.isoformat(), "start": clock.iso(o.starts_at), "status": o.status,
                             "booking_id": o.booking_id, "reason": o.reason} for o in s.occurrences]}


@bp.get("/holidays")
@endpoint("Public holidays and make-up workdays of a year", query=Query(year=F("integer", "年份", min=2000, max=2100)),
          tag="holidays", responses={200: "HolidayList"})
def list_holidays(query):
    """The year's calendar; `known` is false when nobody has entered that year yet (its items are then only the
    days the law fixes: 元旦, 劳动节, 国庆节)."""
    year = query["year"] or clock.local_today().year
    items = holidays.year_of(year)
    return {"items": [_holiday(h) for h in items], "total": len(items), "year": year, "known": holidays.is_known(year)}


HOLIDAY_BODY = Body(date=F("date", "日期", required=True), name=F("string", "名称", required=True, max_length=40),
                    kind=F("string", "类型", required=True, enum=tuple(HOLIDAY_KINDS)))


def _admin():
    user = current_user()
    if user.role != "admin":
        raise NotAllowed("只有区委组织部管理员可以维护节假日。")
    return user


@bp.post("/holidays")
@endpoint("Enter a day of the calendar (replaces the entry for that date)", body=HOLIDAY_BODY, tag="holidays",
          responses={201: "Holiday", 403: None})
def put_holiday(body):
    """An administrator's entry for a later year (or a correction)."""
    entry, _ = series.save_holiday(_admin(), body["date"], body["name"], body["kind"])
    return _holiday(entry), 201


@bp.delete("/holidays/<day>")
@endpoint("Remove a day from the calendar", tag="holidays", responses={204: None, 403: None, 404: None, 422: None})
def delete_holiday(day):
    """An administrator removes a wrongly entered day."""
    user = _admin()
    try:
        parsed = clock.parse_date(day)
    except ValueError:
        raise ValidationFailed({"date": "日期应为 YYYY-MM-DD。"}) from None
    holidays.remove(user, parsed)
    return "", 204


SERIES_BODY = Body(
    menu_item_id=F("integer", "菜单项目", required=True, min=1, max=2147483647),
    weekday=F("integer", "星期", required=True, min=0, max=6, description="0 为星期一"),
    week_of_month=F("integer", "每月第几个", required=True, min=-1, max=4, description="1–4，或 -1 表示最后一个"),
    time=F("string", "时间", required=True, max_length=5, description="场次开始时间 HH:MM"),
    headcount=F("integer", "参加人数", required=True, min=1, max=100000),
    contact_name=F("string", "联系人", required=True, max_length=60),
    contact_phone=F("string", "联系电话", required=True, max_length=30),
    topic=F("string", "活动主题", max_length=200, nullable=True),
    activity_type=F("string", "活动类型", enum=tuple(ACTIVITY_TYPES), nullable=True),
    **{"from": F("date", "开始日期", required=True), "until": F("date", "截止日期", required=True)},
)


@bp.post("/booking-series")
@endpoint("Set up a standing monthly booking", body=SERIES_BODY, tag="series", responses={201: "Series", 403: None})
def create_series(body):
    """A secretary for their branch, up to 12 months: dates in the window are booked now, later ones planned."""
    user = current_user()
    spec = series.check(user, menu_item_id=body["menu_item_id"], weekday=body["weekday"],
                        week_of_month=body["week_of_month"], time_text=body["time"], first=body["from"],
                        last=body["until"], headcount=body["headcount"], contact_name=body["contact_name"],
                        contact_phone=body["contact_phone"], topic=body["topic"] or "",
                        activity_type=body["activity_type"])
    return _series(series.create(user, spec)), 201


@bp.get("/booking-series")
@endpoint("The caller's branch's series", tag="series", responses={200: "SeriesList"})
def list_series():
    """A secretary's branch's series, newest first (others have none of their own)."""
    user = current_user()
    items = series.for_branch(user.branch_id) if user.role == "secretary" and user.branch_id else []
    return {"items": [_series(s) for s in items], "total": len(items)}


@bp.get("/booking-series/<id:series_id>")
@endpoint("One series with its occurrences", tag="series", responses={200: "Series", 404: None})
def get_series(series_id):
    """For its branch, the managers of its base and admins."""
    return _series(series.get_visible(current_user(), series_id))


CANCEL_BODY = Body(reason=F("string", "原因", required=True, max_length=500, multiline=True),
                   **{"from": F("date", "从哪天起", description="默认今天")})


@bp.post("/booking-series/<id:series_id>/cancel")
@endpoint("Cancel a series from a date on", body=CANCEL_BODY, tag="series",
          responses={200: "SeriesCancelled", 403: None, 404: None})
def cancel_series(series_id, body):
    """Cancels what the booking rules still allow, ends the planning, lists what could not be cancelled."""
    user = current_user()
    result = series.cancel(user, series.get_visible(user, series_id), body["reason"], body["from"])
    return {"cancelled_booking_ids": [b.id for b in result.cancelled],
            "not_cancelled": [{"booking_id": b.id, "reason": why} for b, why in result.kept]}
