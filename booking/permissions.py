"""The role facts: who someone is with respect to a base, a branch or a booking, and which bookings they see.

What they may do to a booking, and when, is decided by the guards of `booking.reservations.lifecycle`,
which build on these facts.
"""
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true

from booking.areas import services as areas
from models import Base, Booking, BookingPartner, Branch, User, db
from models.booking import LecturerStatus
from models.partner import HOLDING_PARTNER


class Actor(Protocol):
    """Who acts: a logged-in User, or the API's token principal, which carries just these facts."""

    id: int
    role: str
    branch_id: int | None
    lecturer_id: int | None
    base_ids: list[int]
    area_id: int | None
    area_path: str | None  # an area administrator's area (models.area's materialised path)
    is_authenticated: bool


def is_admin(user: User | None) -> bool:
    """The district's administrator."""
    return bool(user and user.is_authenticated and user.role == "admin")


def manages_base(user: User | None, base_id: int) -> bool:
    """A manager of this base (admins administer every base)."""
    if not user or not user.is_authenticated:
        return False
    return user.role == "admin" or (user.role == "manager" and base_id in user.base_ids)


def can_edit_base(user: User | None, base: Base) -> bool:
    """Edit rules, venues, slots, closures and menu: the base's own managers and admins; nobody else."""
    return manages_base(user, base.id)


# Invited and accepted partners see the booking; a declined or withdrawn one is like any other branch.
_SEEING_PARTNER = [s.value for s in HOLDING_PARTNER]
# So with lecturers: the invited and the one who accepted see it; one who declined is like any other lecturer.
_SEEING_LECTURER = [LecturerStatus.INVITED.value, LecturerStatus.ACCEPTED.value]


def is_area_admin(user) -> bool:
    """A street's or community's organisation officer (街道社区管理员), with its area."""
    return bool(user and user.is_authenticated and user.role == "area_admin" and user.area_path)


def branch_in_area(user, branch: Branch | None) -> bool:
    """Whether the branch's organisation lies in the area administrator's area (or below it)."""
    return bool(is_area_admin(user) and branch is not None
                and areas.lies_in(branch.organization.area, user.area_path))


def base_in_area(user, base: Base | None) -> bool:
    """Whether the base lies in the area administrator's area (or below it)."""
    return bool(is_area_admin(user) and base is not None and areas.lies_in(base.area, user.area_path))


def booking_scope(user: Actor) -> ColumnElement[bool]:
    """The condition on bookings that says which the user sees (the same rule as can_view_booking), for lists,
    counts and statistics: secretaries their branch's, managers their bases', lecturers their assignments', area
    administrators those of the branches and the bases of their area, admins all."""
    if user.role == "admin":
        return true()
    if user.role == "area_admin":
        if not user.area_path:
            return false()
        return or_(*_in_area(user.area_path))
    if user.role == "manager":
        return Booking.base_id.in_(user.base_ids or [-1])
    if user.role == "secretary":
        branch_id = user.branch_id or -1
        return or_(Booking.branch_id == branch_id, Booking.id.in_(
            select(BookingPartner.booking_id).where(BookingPartner.branch_id == branch_id,
                                                    BookingPartner.status.in_(_SEEING_PARTNER))))
    if user.role == "lecturer":
        return (Booking.lecturer_id == (user.lecturer_id or -1)) & Booking.lecturer_status.in_(_SEEING_LECTURER)
    return false()


def booking_scope_parts(user: Actor) -> list[ColumnElement[bool]]:
    """`booking_scope` as conditions no booking meets twice, so their counts add up to the scope's: an area
    administrator's is its branches' bookings, then the other branches' bookings at its bases (each part counted off
    one index, where their OR reads the whole table); everyone else's is one part."""
    if user.role == "area_admin" and user.area_path:
        own, at_bases = _in_area(user.area_path)
        return [own, and_(at_bases, not_(own))]
    return [booking_scope(user)]


def _in_area(path: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """An area's bookings: those of its branches, and those at its bases."""
    return Booking.branch_id.in_(areas.branches_under(path)), Booking.base_id.in_(areas.bases_under(path))


def can_view_booking(user: User | None, booking: Booking) -> bool:
    """Secretaries see their branch's (and those it is invited into or takes part in as a partner; a partner
    that declined or was withdrawn no longer does), managers their bases', lecturers their invitations and
    lectures (one who declined no longer does), area administrators those of their area's branches and bases
    (reading only), admins all."""
    if not user or not user.is_authenticated:
        return False
    if user.role == "admin":
        return True
    if user.role == "area_admin":
        return branch_in_area(user, booking.branch) or base_in_area(user, booking.base)
    if user.role == "manager":
        return booking.base_id in user.base_ids
    if user.role == "secretary":
        if booking.branch_id == user.branch_id:
            return True
        part = partner_part(user, booking)
        return part is not None and part.status in _SEEING_PARTNER
    if user.role == "lecturer":
        return (user.lecturer_id is not None and booking.lecturer_id == user.lecturer_id
                and booking.lecturer_status in _SEEING_LECTURER)
    return False


def can_book_online(user: User | None) -> bool:
    """A secretary books online for their own branch."""
    return bool(user and user.is_authenticated and user.role == "secretary" and user.branch_id)


def can_record_offline(user: User | None, base_id: int) -> bool:
    """A manager of the base records phone and walk-in bookings for any branch."""
    return bool(user and user.is_authenticated and user.role == "manager" and base_id in user.base_ids)


def works_for_bases(user: User | None) -> bool:
    """Managers (and admins) see the queue, the week view and today's visits of the bases they run."""
    return bool(user and user.is_authenticated and user.role in ("manager", "admin"))


def is_bookings_branch(user: User | None, booking: Booking) -> bool:
    """The secretary of the booking's branch: rates the visit and keeps its activity record."""
    return bool(user and user.is_authenticated and user.role == "secretary" and user.branch_id == booking.branch_id)


def partner_part(user: User | None, booking: Booking) -> BookingPartner | None:
    """The partner invitation of the secretary's branch in a joint booking (whatever its answer), or None."""
    if not (user and user.is_authenticated and user.role == "secretary" and user.branch_id):
        return None
    return next((p for p in getattr(booking, "partners", ()) if p.branch_id == user.branch_id), None)


def is_invited_lecturer(user: User | None, booking: Booking) -> bool:
    """The lecturer the booking's invitation is addressed to."""
    return bool(user and user.is_authenticated and user.role == "lecturer" and user.lecturer_id is not None
                and booking.lecturer_id == user.lecturer_id)


def can_view_lecture_record(user: User | None, lecturer_id: int) -> bool:
    """A lecturer sees their own record; the district's admin sees everyone's."""
    return bool(user and user.is_authenticated and (
        user.role == "admin" or (user.role == "lecturer" and user.lecturer_id == lecturer_id)))


def can_search_branches(user: User | None) -> bool:
    """Managers and admins look branches up (for offline bookings), secretaries too (for the partners of a joint
    booking): names of branches are known across the district."""
    return bool(user and user.is_authenticated and user.role in ("admin", "manager", "secretary"))


def can_see_branch(user: User | None, branch_id: int) -> bool:
    """Who may know a branch exists: its own secretaries, managers and admins (who look branches up), and the
    area administrator of its area."""
    if not user or not user.is_authenticated:
        return False
    if user.role == "area_admin":
        return branch_in_area(user, db.session.get(Branch, branch_id))
    return user.role in ("admin", "manager") or (user.role == "secretary" and user.branch_id == branch_id)


def keeps_members_of(user: User | None, branch_id: int) -> bool:
    """The branch's roll of members, its study hours and its ledger: its own secretaries, the area administrator
    of its area, and admins."""
    if user and user.is_authenticated and user.role == "area_admin":
        return branch_in_area(user, db.session.get(Branch, branch_id))
    return bool(user and user.is_authenticated and (
        user.role == "admin" or (user.role == "secretary" and user.branch_id == branch_id)))


def keeps_account(user: User | None, account: User) -> bool:
    """Who changes an account (its details, password, whether it is active): an admin any; an area administrator
    only the secretaries of its area's branches."""
    if is_admin(user):
        return True
    return bool(is_area_admin(user) and account.role == "secretary" and branch_in_area(user, account.branch))


def reads_reports(user: User | None) -> bool:
    """The district's report, its watch list and statistics by area: admins, area administrators (their area) and
    managers (their bases)."""
    return bool(user and user.is_authenticated and user.role in ("admin", "area_admin", "manager"))


def keeps_branches(user: User | None) -> bool:
    """Organisations, branches and secretaries' accounts: admins (all), area administrators (their area)."""
    return bool(user and user.is_authenticated and (user.role == "admin" or is_area_admin(user)))


def managed_bases(user: User) -> list[Base]:
    """The bases a user manages (all of them for an admin)."""
    if user.role == "admin":
        return list(db.session.scalars(select(Base).order_by(Base.id)))
    return list(user.bases)
