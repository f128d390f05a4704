"""Members, rosters, who attended, study hours and the filed records, over the same services as the pages."""
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint, json_body, page_of
from booking.api.openapi import B, DT, I, N, S, listing, nullable, obj, ref, register_components
from booking.api.schema import Body, F, Query
from booking.members import documents, services
from booking.reservations.services import get_visible
from models import MEMBER_ROLES, MEMBER_STATUSES

register_components({
    "Member": obj(id=I, branch_id=I, name=S, role={"type": "string", "enum": list(MEMBER_ROLES)},
                  status={"type": "string", "enum": list(MEMBER_STATUSES)}, phone=nullable(S), active=B),
    "MemberList": listing("Member"),
    "RosterEntry": obj(member_id=I, branch_id=I, name=S, role=S, attendance=nullable(S), absence_reason=nullable(S),
                       signed_in_at=nullable(DT), study_hours=N),
    "Roster": obj(items={"type": "array", "items": ref("RosterEntry")}, total=I),
    "StudyHours": obj(year=I, items={"type": "array", "items": obj(member_id=I, name=S, role=S, sessions=I, hours=N,
                                                                   required=I, met=B)}),
})

MEMBERS_QUERY = Query(active=F("boolean", "是否在册"))
MEMBER_BODY = Body(
    name=F("string", "姓名", required=True, max_length=60),
    role=F("string", "身份", enum=tuple(MEMBER_ROLES)),
    status=F("string", "党员类别", enum=tuple(MEMBER_STATUSES)),
    phone=F("string", "手机号", max_length=30, nullable=True),
)
MEMBER_CHANGE = Body(
    name=F("string", "姓名", max_length=60),
    role=F("string", "身份", enum=tuple(MEMBER_ROLES)),
    status=F("string", "党员类别", enum=tuple(MEMBER_STATUSES)),
    phone=F("string", "手机号", max_length=30, nullable=True),
    active=F("boolean", "是否在册"),
)
DOCUMENT_QUERY = Query(format=F("string", "文件格式", enum=("docx", "pdf"), required=True))
YEAR_QUERY = Query(year=F("integer", "年份", min=2000, max=2100))
LEDGER_QUERY = Query(year=F("integer", "年份", min=2000, max=2100),
                     format=F("string", "文件格式", enum=("docx", "pdf", "xlsx"), required=True))


@bp.get("/branches/<id:branch_id>/members")
@endpoint("A branch's members", query=MEMBERS_QUERY, paged=True, tag="members",
          responses={200: "MemberList", 403: None, 404: None})
def list_members(branch_id, query):
    """The branch's secretaries and admins see its roll."""
    branch = services.branch_for_members(current_user(), branch_id)
    return page_of(services.members_query(branch.id, active=query["active"]), query, serialize.member)


@bp.post("/branches/<id:branch_id>/members")
@endpoint("Add a member", body=MEMBER_BODY, tag="members", responses={201: "Member", 403: None, 404: None})
def add_member(branch_id, body):
    """A new member of the branch (role default 党员, status default 正式党员)."""
    user = current_user()
    branch = services.branch_for_members(user, branch_id)
    return serialize.member(services.add_member(user, branch, **{k: v for k, v in body.items() if v is not None})), 201


@bp.patch("/members/<id:member_id>")
@endpoint("Change a member (active: false keeps their record)", body=MEMBER_CHANGE, tag="members",
          responses={200: "Member", 403: None, 404: None})
def change_member(member_id, body):
    """Change the fields given; members are never deleted."""
    given = json_body().keys()
    user = current_user()
    member = services.member_for_edit(user, member_id)
    return serialize.member(services.change_member(user, member, **{k: v for k, v in body.items() if k in given}))


def _roster(booking) -> dict:
    entries = services.roster_of(booking)
    return {"items": [serialize.roster_entry(e, services.credited_hours(e)) for e in entries], "total": len(entries)}


@bp.get("/bookings/<id:booking_id>/roster")
@endpoint("Who a booking's branch brings, and who came", tag="members", responses={200: "Roster", 404: None})
def get_roster(booking_id):
    """For whoever sees the booking."""
    return _roster(get_visible(current_user(), booking_id))


ROSTER_BODY = Body(member_ids=F("array", "参加人员", required=True, items={"type": "integer"},
                                description="本支部在册党员的编号"))


@bp.put("/bookings/<id:booking_id>/roster")
@endpoint("Set the roster", body=ROSTER_BODY, tag="members", responses={200: "Roster", 403: None, 409: None})
def set_roster(booking_id, body):
    """The booking's branch secretary, while it is pending or approved; no longer than the headcount (422)."""
    user = current_user()
    booking = get_visible(user, booking_id)
    services.set_roster(user, booking, body["member_ids"])
    return _roster(booking)


ATTENDANCE_BODY = Body(
    present=F("array", "出席党员", items={"type": "integer"}, description="出席的党员编号"),
    absent=F("array", "缺席党员", items={"type": "object", "properties": {
        "member_id": {"type": "integer"}, "reason": {"type": "string", "maxLength": 200}}},
        description="[{member_id, reason}]；名单中未列为出席的都算缺席"),
)


@bp.put("/bookings/<id:booking_id>/roster/attendance")
@endpoint("Mark who came", body=ATTENDANCE_BODY, tag="members", responses={200: "Roster", 403: None, 409: None})
def mark_attendance(booking_id, body):
    """The branch's secretary or a manager of the base, once checked in or completed; can be corrected."""
    user = current_user()
    booking = get_visible(user, booking_id)
    services.mark_members(user, booking, body["present"] or [], body["absent"] or [])
    return _roster(booking)


@bp.get("/branches/<id:branch_id>/study-hours")
@endpoint("Each member's study hours of a year", query=YEAR_QUERY, tag="members",
          responses={200: "StudyHours", 403: None, 404: None})
def study_hours(branch_id, query):
    """Over the year's completed bookings, present members only."""
    branch = services.branch_for_members(current_user(), branch_id)
    year = services.year_of(query["year"])
    return {"year": year, "items": [
        {"member_id": s.member.id, "name": s.member.name, "role": s.member.role, "sessions": s.sessions,
         "hours": s.hours, "required": s.required, "met": s.met} for s in services.study_hours(branch, year)]}


@bp.get("/bookings/<id:booking_id>/record")
@endpoint("The activity's record as a file", query=DOCUMENT_QUERY, tag="members",
          responses={200: "file", 404: None, 409: None},
          description="format=docx or pdf; 409 invalid_state before the booking is completed.")
def booking_record(booking_id, query):
    """The record of a completed booking (组织生活纪实)."""
    booking = get_visible(current_user(), booking_id)
    data, name = documents.record_file(booking, query["format"], services.own_part(current_user(), booking))
    return documents.file_response(data, query["format"], name)


@bp.get("/branches/<id:branch_id>/records")
@endpoint("A branch's year of records (台账)", query=LEDGER_QUERY, tag="members",
          responses={200: "file", 403: None, 404: None}, description="format=docx, pdf or xlsx (one row each).")
def branch_records(branch_id, query):
    """Every completed activity of the year, one after another."""
    branch = services.branch_for_members(current_user(), branch_id)
    year = services.year_of(query["year"])
    data, name = documents.ledger(branch, year, query["format"])
    return documents.file_response(data, query["format"], name)
