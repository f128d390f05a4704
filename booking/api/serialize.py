"""Plain-dict views of models for the API (shapes fixed by the contract)."""
from flask import current_app

from booking import clock, links
from booking.lecturers.services import feed_token


def user_brief(user) -> dict:
    """A user in a few fields (in history rows and the token answer)."""
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role}


def me(user) -> dict:
    """The caller, with what their role links them to."""
    calendar_url = None
    if user.role == "lecturer" and user.lecturer and user.lecturer.calendar_token \
            and "lecturers.calendar_feed" in current_app.view_functions:
        calendar_url = links.external("lecturers.calendar_feed", token=feed_token(user.lecturer))
    return {
        **user_brief(user),
        "email": user.email,
        "branch_id": user.branch_id if user.role == "secretary" else None,
        "base_ids": user.base_ids if user.role == "manager" else [],
        "lecturer_id": user.lecturer_id if user.role == "lecturer" else None,
        "calendar_url": calendar_url,
        "area_id": user.area_id if user.role == "area_admin" else None,
    }


def base_summary(base, counts: tuple[int, int]) -> dict:
    """A base in a list, with its counts of venues and menu items."""
    return {
        "id": base.id, "name": base.name, "type": base.type, "address": base.address,
        "description": base.description, "venue_count": counts[0], "menu_item_count": counts[1],
        "area_id": base.area_id,
    }


def venue(v) -> dict:
    """A venue of a base."""
    return {"id": v.id, "name": v.name, "kind": v.kind, "capacity": v.capacity}


def menu_item(m) -> dict:
    """A menu item of a base."""
    return {
        "id": m.id, "title": m.title, "description": m.description, "category": m.category,
        "content_topic": m.content_topic, "duration_minutes": m.duration_minutes, "min_group": m.min_group,
        "max_group": m.max_group, "needs_lecturer": m.needs_lecturer, "venue_id": m.venue_id,
    }


def base_detail(base, venues, menu) -> dict:
    """A base with its rules, venues and menu, from the catalogue's plain rows."""
    return {
        "id": base.id, "name": base.name, "type": base.type, "address": base.address,
        "description": base.description, "venue_count": len(venues), "menu_item_count": len(menu),
        "area_id": base.area_id, "contact_name": base.contact_name, "contact_phone": base.contact_phone, "visitor_notes": base.visitor_notes,
        "rules": {
            "min_advance_days": base.min_advance_days, "max_advance_days": base.max_advance_days,
            "cancel_deadline_hours": base.cancel_deadline_hours, "requires_approval": base.requires_approval,
            "opens_on_holidays": base.opens_on_holidays, "max_live_per_branch": base.max_live_per_branch,
            "max_per_branch_per_month": base.max_per_branch_per_month,
        },
        "venues": [dict(v._mapping) for v in venues],
        "menu": [dict(m._mapping) for m in menu],
    }


def slot(s) -> dict:
    """A dated slot with its places left, and from what headcount it may be waited for."""
    return {"start": clock.iso(s.start), "end": clock.iso(s.end), "capacity": s.capacity,
            "remaining": s.remaining, "bookable": s.bookable, "waitlist_from": s.wait_from}


def branch(b) -> dict:
    """A branch with its organisation."""
    org = b.organization
    return {"id": b.id, "name": b.name,
            "organization": {"id": org.id, "name": org.name, "sector": org.sector, "area_id": org.area_id}}


def booking(b, names: bool = True) -> dict:
    """A booking in the contract's fields (and, by default, the names shown with it)."""
    out = {
        "id": b.id, "code": b.code, "status": b.status, "source": b.source, "base_id": b.base_id,
        "venue_id": b.venue_id, "menu_item_id": b.menu_item_id, "branch_id": b.branch_id,
        "start": clock.iso(b.starts_at), "end": clock.iso(b.ends_at), "headcount": b.headcount,
        "contact_name": b.contact_name, "contact_phone": b.contact_phone, "topic": b.topic, "note": b.note,
        "activity_type": b.activity_type, "lecturer_id": b.lecturer_id, "lecturer_status": b.lecturer_status, "visitor_count": b.visitor_count,
        "checked_in_at": clock.iso(b.checked_in_at), "created_at": clock.iso(b.created_at),
        "rating": b.rating, "feedback_comment": b.feedback_comment, "series_id": b.series_id,
        "partners": [partner(p) for p in (getattr(b, "partners", None) or ())],
        "total_headcount": b.headcount + (b.partner_headcount or 0), "address": getattr(b, "address", None),
    }
    if names:
        out.update({"base_name": b.base_name, "venue_name": b.venue_name, "branch_name": b.branch_name,
                    "menu_item_title": b.menu_item_title})
    return out


def partner(p) -> dict:
    """A partner branch of a joint booking (its own part of the count once the base split it)."""
    return {"branch_id": p.branch_id, "branch_name": p.branch.name, "headcount": p.headcount, "status": p.status,
            "visitor_count": p.visitor_count}


def booking_event(e) -> dict:
    """One row of a booking's history."""
    return {"at": clock.iso(e.at), "actor": user_brief(e.actor) if e.actor else None, "action": e.action,
            "from_status": e.from_status, "to_status": e.to_status, "note": e.note or None}


def notification(n) -> dict:
    """One notification."""
    return {"id": n.id, "kind": n.kind, "booking_id": n.booking_id, "title": n.title, "body": n.body,
            "created_at": clock.iso(n.created_at), "read_at": clock.iso(n.read_at)}


def member(m) -> dict:
    """A member of a branch."""
    return {"id": m.id, "branch_id": m.branch_id, "name": m.name, "role": m.role, "status": m.status,
            "phone": m.phone, "active": m.active}


def roster_entry(e, hours: float) -> dict:
    """A member on a booking's roster, with what they earned there."""
    return {"member_id": e.member_id, "branch_id": e.branch_id, "name": e.member.name, "role": e.member.role,
            "attendance": e.attendance, "absence_reason": e.absence_reason, "signed_in_at": clock.iso(e.signed_in_at),
            "study_hours": hours}
