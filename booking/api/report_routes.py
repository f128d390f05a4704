"""Reports for the district over the same services as the pages: the summary (JSON or Word) and idle branches."""
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint, page_of
from booking.api.openapi import I, N, S, listing, nullable, obj, ref, register_components
from booking.api.schema import F, Query
from booking.documents import exports
from booking.reports import documents, services

COUNTS = {"type": "object", "additionalProperties": I}
FIGURES = obj(batches=I, person_times=I)
register_components({
    "SectorRow": obj(sector=S, label=S, batches=I, person_times=I),
    "Summary": obj(**{
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "bases": obj(total=I, by_type=COUNTS), "menu_items": obj(total=I, by_category=COUNTS),
        "lecturers": obj(total=I, by_category=COUNTS), "batches": I, "person_times": I, "branches_served": I,
        "by_sector": {"type": "array", "items": ref("SectorRow")}, "lectures": obj(sessions=I, participants=I),
        "by_source": obj(online=FIGURES, offline=FIGURES), "satisfaction": nullable(N),
        "previous": {"type": "object", "description": "上年同期的同一组数字"},
    }),
    "InactiveBranch": obj(branch=ref("Branch"), last_activity=nullable({"type": "string", "format": "date"})),
    "InactiveBranchList": listing("InactiveBranch"),
    "Watch": obj(**{"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                    "idle_branches": I, "idle_bases": {"type": "array", "items": obj(id=I, name=S)},
                    "stale_pending": I, "busy_lecturers": I, "waiting_requests": I, "total": I}),
})

PERIOD = dict(**{"from": F("date", "起始日期", description="含当天；默认今年 1 月 1 日"),
                 "to": F("date", "截止日期", description="含当天；默认今天")},
              area_id=F("integer", "属地", min=1, description="只看该属地及其下级属地（管理员任一属地，街道社区管理员本属地及下级）"))
SUMMARY_QUERY = Query(**PERIOD, format=F("string", "格式", enum=("json", "docx"), description="docx：Word 文档"))


def _summary(s) -> dict:
    return {
        "from": s.start.isoformat(), "to": s.end.isoformat(),
        "bases": {"total": s.bases_total, "by_type": s.bases_by_type},
        "menu_items": {"total": s.items_total, "by_category": s.items_by_category},
        "lecturers": {"total": s.lecturers_total, "by_category": s.lecturers_by_category},
        "batches": s.batches, "person_times": s.person_times, "branches_served": s.branches_served,
        "by_sector": [{"sector": r.key, "label": r.label, "batches": r.batches, "person_times": r.person_times}
                      for r in s.by_sector],
        "lectures": {"sessions": s.lecture_sessions, "participants": s.lecture_participants},
        "by_source": {k: {"batches": v.batches, "person_times": v.person_times} for k, v in s.by_source.items()},
        "satisfaction": s.satisfaction,
        "requests": dict(submitted=s.requests.submitted, completed=s.requests.completed,
                         by_topic=[{"topic": t, "count": n} for t, n in s.requests.by_topic]),
    }


@bp.get("/reports/summary")
@endpoint("The figures a district's work report quotes, for a period", query=SUMMARY_QUERY, tag="reports",
          responses={200: ("Summary", "file"), 403: None},
          description="An admin the district (or an area: area_id), an area administrator its area's bases, a manager "
                      "their bases; with the same period a year earlier as "
                      "`previous`. format=docx answers the Word document stating them in the report's sentences.")
def report_summary(query):
    """The period's summary (or its Word document)."""
    now, before = services.with_year_earlier(current_user(), query["from"], query["to"], query["area_id"])
    if query["format"] == "docx":
        return exports.attachment(documents.summary_docx(now, before), documents.DOCX_MIME, documents.file_name(now))
    return {**_summary(now), "previous": _summary(before)}


@bp.get("/reports/inactive-branches")
@endpoint("Branches with no completed visit in the period, the longest idle first", query=Query(**PERIOD),
          paged=True, tag="reports", responses={200: "InactiveBranchList", 403: None})
def inactive_branches(query):
    """An admin's watch list of branches that have gone quiet."""
    stmt = services.inactive_branches_query(current_user(), query["from"], query["to"], query["area_id"])
    page = page_of(stmt, query, lambda branch: branch)
    last = services.last_activities([b.id for b in page["items"]])
    page["items"] = [{"branch": serialize.branch(b), "last_activity": last[b.id].isoformat() if last[b.id] else None}
                     for b in page["items"]]
    return page



@bp.get("/reports/watch")
@endpoint("The watch list's counts for a period", query=Query(**PERIOD), tag="reports", responses={200: "Watch", 403: None},
          kept=True,
          description="What needs a look: idle branches (the district's or an area's), bases with no visit, bookings "
                      "waiting for approval over two days, lecturers at their monthly limit, lecture requests waiting.")
def report_watch(query):
    page = services.watch_page(current_user(), query["from"], query["to"], query["area_id"])
    w = page.watch
    return {"from": page.start.isoformat(), "to": page.end.isoformat(), "idle_branches": w.idle_branches,
            "idle_bases": [{"id": b.id, "name": b.name} for b in w.idle_bases], "stale_pending": len(w.stale_pending),
            "busy_lecturers": len(w.busy_lecturers), "waiting_requests": len(w.waiting_requests), "total": w.total}
