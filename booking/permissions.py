"""Who may do what: the one place that decides. Services call these; views and templates ask them too."""
from models import Base, Booking, User


def is_admin(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.role == "admin")


def manages_base(user: User | None, base_id: int) -> bool:
    """A manager of this base (admins administer every base)."""
    if not user or not user.is_authenticated:
        return False
    return user.role == "admin" or (user.role == "manager" and base_id in user.base_ids)


def can_edit_base(user: User | None, base: Base) -> bool:
    """Edit rules, venues, slots, closures and menu: the base's own managers and admins; nobody else."""
    return manages_base(user, base.id)


def can_view_booking(user: User | None, booking: Booking) -> bool:
    """Secretaries see their branch's, managers their bases', lecturers their assignments', admins all."""
    if not user or not user.is_authenticated:
        return False
    if user.role == "admin":
        return True
    if user.role == "manager":
        return booking.base_id in user.base_ids
    if user.role == "secretary":
        return booking.branch_id == user.branch_id
    if user.role == "lecturer":
        return user.lecturer_id is not None and booking.lecturer_id == user.lecturer_id
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


def is_invited_lecturer(user: User | None, booking: Booking) -> bool:
    """The lecturer the booking's invitation is addressed to."""
    return bool(user and user.is_authenticated and user.role == "lecturer" and user.lecturer_id is not None
                and booking.lecturer_id == user.lecturer_id)


def can_view_lecture_record(user: User | None, lecturer_id: int) -> bool:
    """A lecturer sees their own record; the district's admin sees everyone's."""
    return bool(user and user.is_authenticated and (
        user.role == "admin" or (user.role == "lecturer" and user.lecturer_id == lecturer_id)))


def can_search_branches(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.role in ("admin", "manager"))


def can_decide(user: User | None, booking: Booking) -> bool:
    """Approve or reject: a manager of the booking's base, or an admin."""
    return manages_base(user, booking.base_id)


def can_cancel(user: User | None, booking: Booking) -> bool:
    """Cancel: the booking's branch secretary (until the deadline), a manager of its base, or an admin."""
    if not user or not user.is_authenticated:
        return False
    if user.role == "secretary":
        return booking.branch_id == user.branch_id
    return manages_base(user, booking.base_id)


def can_run_visit(user: User | None, booking: Booking) -> bool:
    """Check in, record attendance, mark no-show: a manager of the booking's base (or an admin)."""
    return manages_base(user, booking.base_id)
