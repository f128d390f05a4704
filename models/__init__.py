"""SQLAlchemy models. `db` lives here so that models never import the application package."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations can name what they alter."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects keep their loaded state after a commit: a service commits, then the view serialises what it just
# wrote without reloading every attribute from the database.
db = SQLAlchemy(model_class=Model, session_options={"expire_on_commit": False})

from models.types import UTCDateTime, utcnow  # noqa: E402
from models.area import Area, AREA_KINDS  # noqa: E402
from models.org import Organization, Branch, SECTORS  # noqa: E402
from models.user import User, ApiToken, CredentialSheet, LoginFailure, ROLES, manager_bases  # noqa: E402
from models.base import Base, Venue, OpeningSlot, Closure, MenuItem, BASE_TYPES, VENUE_KINDS, CATEGORIES  # noqa: E402
from models.lecturer import Lecturer, LecturerTopic, Unavailability, LECTURER_CATEGORIES  # noqa: E402
from models.booking import Booking, BookingEvent, BookingPhoto, PhotoBlob, SlotOccupancy, BookingStatus, BOOKING_ACTIONS  # noqa: E402
from models.booking import ACTIVITY_TYPES  # noqa: E402
from models.partner import BookingPartner, PartnerStatus, PARTNER_STATUSES  # noqa: E402
from models.waitlist import WaitlistEntry, ShareLock, WaitStatus, WAIT_STATUSES  # noqa: E402
from models.member import Member, RosterEntry, SignInFailure, MEMBER_ROLES, MEMBER_STATUSES, ABSENCE_REASONS  # noqa: E402
from models.holiday import Holiday, HOLIDAY_KINDS, HOLIDAY_SOURCES  # noqa: E402
from models.series import BookingSeries, SeriesOccurrence  # noqa: E402
from models.notification import Notification  # noqa: E402
from models.screen import ScreenLink  # noqa: E402
from models.audit import AuditEntry  # noqa: E402
from models.job import JobMark, JobRun  # noqa: E402
from models.lecture_request import LectureRequest, LectureRequestEvent, REQUEST_STATUSES  # noqa: E402
from models.lecture import Lecture, LECTURE_STATUSES  # noqa: E402
from models.figures import AreaMonth, BranchMonth  # noqa: E402

__all__ = [
    "db", "Model", "UTCDateTime", "utcnow", "Area", "AREA_KINDS",
    "Organization", "Branch", "SECTORS",
    "User", "ApiToken", "CredentialSheet", "LoginFailure", "ROLES", "manager_bases",
    "Base", "Venue", "OpeningSlot", "Closure", "MenuItem", "BASE_TYPES", "VENUE_KINDS", "CATEGORIES",
    "Lecturer", "LecturerTopic", "Unavailability", "LECTURER_CATEGORIES",
    "Holiday", "BookingSeries", "SeriesOccurrence", "HOLIDAY_KINDS", "HOLIDAY_SOURCES",
    "ACTIVITY_TYPES", "Member", "RosterEntry", "SignInFailure", "MEMBER_ROLES", "MEMBER_STATUSES", "ABSENCE_REASONS",
    "BookingPartner", "PartnerStatus", "PARTNER_STATUSES", "WaitlistEntry", "ShareLock", "WaitStatus", "WAIT_STATUSES",
    "Booking", "BookingEvent", "BookingPhoto", "PhotoBlob", "SlotOccupancy", "BookingStatus", "BOOKING_ACTIONS",
    "Notification", "ScreenLink", "AuditEntry", "JobMark", "JobRun",
    "LectureRequest", "LectureRequestEvent", "REQUEST_STATUSES", "Lecture", "LECTURE_STATUSES", "AreaMonth", "BranchMonth",
]
