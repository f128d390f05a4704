"""Every status of the write side, and the named sets of them the rules speak of, in one place.

The enums are defined beside their tables in `models` (whose CHECK constraints list their values, and models never
import the application); the application imports them from here, with the sets, so no bare status string is
written anywhere else. The sets are tuples: their order is fixed, so the SQL they go into is the same in every
process.
"""
from models.booking import STATUS_LABELS, BookingStatus, LecturerStatus
from models.partner import PartnerStatus
from models.series import OccurrenceStatus, SeriesStatus
from models.waitlist import WaitStatus

__all__ = ["BookingStatus", "LecturerStatus", "PartnerStatus", "WaitStatus", "OccurrenceStatus", "SeriesStatus",
           "STATUS_LABELS"]

Status = BookingStatus
PENDING, APPROVED, REJECTED, CANCELLED, EXPIRED, COMPLETED, NO_SHOW = (
    Status.PENDING, Status.APPROVED, Status.REJECTED, Status.CANCELLED, Status.EXPIRED, Status.COMPLETED,
    Status.NO_SHOW)

# Live bookings are still to happen; they hold their places in the slot (pending ones until decided).
LIVE = (PENDING, APPROVED)
HOLDING_PLACES = LIVE
# Entering one of these gives the places back; a visit that happened (or was missed) keeps its slot's count.
RELEASING_PLACES = (REJECTED, CANCELLED, EXPIRED)
# What still stands on a day's plan: live, done or missed, but not withdrawn.
ON_THE_DAY = (PENDING, APPROVED, COMPLETED, NO_SHOW)
# A lecturer's session counts towards their month (and holds their time) while the booking is live or done.
ENGAGING_LECTURER = (PENDING, APPROVED, COMPLETED)
# The visits a manager expects on the day: approved or already recorded.
EXPECTED = (APPROVED, COMPLETED)
# The one status that counts in statistics: a batch (批次).
COUNTED = COMPLETED

# Lecturer invitations: these hold the lecturer's time.
INVITED, ACCEPTED, DECLINED = LecturerStatus.INVITED, LecturerStatus.ACCEPTED, LecturerStatus.DECLINED
HOLDING_LECTURER = (INVITED, ACCEPTED)

# Partner branches of a joint booking: invited and accepted ones hold their places (and see the booking); accepted
# ones take part (bring members, are counted in the statistics and file the record).
PARTNER_INVITED, PARTNER_ACCEPTED, PARTNER_DECLINED, PARTNER_WITHDRAWN = (
    PartnerStatus.INVITED, PartnerStatus.ACCEPTED, PartnerStatus.DECLINED, PartnerStatus.WITHDRAWN)
HOLDING_PARTNER = (PARTNER_INVITED, PARTNER_ACCEPTED)
TAKING_PART = PARTNER_ACCEPTED

# The waitlist.
WAITING, PROMOTED, WAIT_CANCELLED, WAIT_EXPIRED = (WaitStatus.WAITING, WaitStatus.PROMOTED, WaitStatus.CANCELLED,
                                                   WaitStatus.EXPIRED)

# Series and their dates.
SERIES_ACTIVE, SERIES_ENDED = SeriesStatus.ACTIVE, SeriesStatus.ENDED
OCC_BOOKED, OCC_PLANNED, OCC_SKIPPED, OCC_ENDED = (OccurrenceStatus.BOOKED, OccurrenceStatus.PLANNED,
                                                   OccurrenceStatus.SKIPPED, OccurrenceStatus.CANCELLED)


def values(statuses) -> list[str]:
    """The statuses' values, for an IN list."""
    return [s.value for s in statuses]
