"""Members sign in themselves (扫码签到): at the venue each member opens a short-lived link from a QR code on their
own phone, taps their name and is present on the roster, without an account.

The link is the only credential. It is signed with the app's secret and names its booking and its expiry, so it is
checked without a query and made anew by every call (`SIGN_IN_LINK_SECONDS`, about two minutes: a photo of the code
sent to an absent member has expired by the time it arrives). Failed tries (an unknown link, wrong phone digits) are
kept for a while and throttled by address and by member; successful sign-ins never are, so a whole group behind the
venue's Wi-Fi signs in at once. A sign-in takes the booking's row first, so members signing in at the same moment
are added one at a time and a branch's roster never grows past its headcount.

The pages (`booking.members.signin_routes`) and the API (`booking.api.signin_routes`) call these functions.
"""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, Signer
from sqlalchemy import and_, delete, func, or_, select, update

from booking import clock, links
from booking.errors import (AlreadySignedIn, InvalidState, LinkExpired, NotFound, RateLimited, RosterFull,
                            ValidationFailed)
from booking.permissions import Actor
from booking.reservations import lifecycle, partners
from booking.reservations.lifecycle import require
from booking.reservations.states import APPROVED, COMPLETED, TAKING_PART
from models import Booking, BookingPartner, Branch, Member, RosterEntry, SignInFailure, db

SALT = "member-sign-in"
LAST4_RE = re.compile(r"^[0-9]{4}$")


@dataclass(frozen=True)
class Link:
    """A sign-in link as handed out: the URL a QR code shows, its token and when it stops working."""

    url: str
    token: str
    expires_at: datetime


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=SALT)


def make_link(actor: Actor, booking: Booking, now: datetime | None = None) -> Link:
    """A new link for the booking's members to sign in with: a manager of its base or a taking-part branch's
    secretary, once the group has checked in and until the end of its day (`lifecycle.can_show_sign_in`)."""
    now = now or clock.now()
    require(lifecycle.can_show_sign_in(actor, booking, now))
    expires = now.replace(microsecond=0) + timedelta(seconds=current_app.config["SIGN_IN_LINK_SECONDS"])
    # booking id, expiry (epoch seconds, base 36) and a nonce: every call a new link, ~45 characters signed.
    payload = f"{booking.id}-{_base36(int(expires.timestamp()))}-{secrets.token_urlsafe(3)}"
    token = _signer().sign(payload).decode()
    return Link(links.external("signin.page", token=token), token, expires)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


# -- guessing is throttled -------------------------------------------------------------------------

def _since(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["SIGN_IN_WINDOW_MINUTES"])


def _refuse_if_throttled(address: str, member_id: int | None, now: datetime) -> None:
    """429 when the address guessed links (unknown ones) too often within the window, or, given a member, when their
    digits were wrong too often. Wrong digits count against the member only: a venue's members share one address,
    and thirty typos by thirty people must never lock the others out."""
    cfg = current_app.config
    if member_id is None:
        failures = db.session.scalar(select(func.count()).select_from(SignInFailure).where(
            SignInFailure.address == address, SignInFailure.member_id.is_(None), SignInFailure.at >= _since(now)))
        limit = cfg["SIGN_IN_MAX_FAILURES"]
    else:
        failures = db.session.scalar(select(func.count()).select_from(SignInFailure).where(
            SignInFailure.member_id == member_id, SignInFailure.at >= _since(now)))
        limit = cfg["SIGN_IN_MEMBER_FAILURES"]
    if failures >= limit:
        raise RateLimited(f"尝试次数过多，请 {cfg['SIGN_IN_WINDOW_MINUTES']} 分钟后再试，或请本支部书记登记出席。")


def _failed(address: str, member_id: int | None, now: datetime) -> None:
    """Keep a failed try (committed at once: the refusal that follows rolls nothing back), pruning old ones."""
    db.session.rollback()
    db.session.add(SignInFailure(address=address, member_id=member_id, at=now))
    db.session.execute(delete(SignInFailure).where(SignInFailure.at < now - timedelta(days=1)))
    db.session.commit()


# -- the link's booking and members ----------------------------------------------------------------

def booking_of(token, address: str, now: datetime | None = None) -> Booking:
    """The booking a live link names. 404 for a link that was never made here (counted against the address, 429
    after too many), 410 `link_expired` for an old one, 409 when the visit can no longer be signed in to."""
    now = now or clock.now()
    address = (address or "")[:64]
    _refuse_if_throttled(address, None, now)
    try:
        booking_id, expires, _ = _signer().unsign(token if isinstance(token, str) else "").decode().split("-", 2)
        booking = db.session.get(Booking, int(booking_id))
        expires_at = int(expires, 36)
    except (BadData, ValueError, UnicodeError):
        booking = None
    if booking is None:
        _failed(address, None, now)
        raise NotFound("签到链接无效，请扫描活动现场的签到二维码。")
    if now.timestamp() > expires_at:
        raise LinkExpired()
    if booking.checked_in_at is None or booking.status not in (APPROVED, COMPLETED):
        raise InvalidState("本次活动已不能扫码签到，请联系本支部书记。")
    return booking


@dataclass(frozen=True)
class Person:
    """A member as the sign-in needs them: never shown more than the name (the phone only checks the digits)."""

    id: int
    name: str
    phone: str | None


@dataclass(frozen=True)
class Part:
    """A branch taking part."""

    id: int
    name: str


@dataclass(frozen=True)
class SheetLine:
    """A member who may sign in: their branch and, once they have, when."""

    member: Person
    branch: Part
    on_roster: bool
    signed_in_at: datetime | None


def taking_part(booking: Booking) -> list[Part]:
    """The branches taking part: the booking's, then each partner that accepted (one query)."""
    partners_in = select(BookingPartner.branch_id).where(BookingPartner.booking_id == booking.id,
                                                         BookingPartner.status == TAKING_PART.value)
    rows = db.session.execute(select(Branch.id, Branch.name).where(
        or_(Branch.id == booking.branch_id, Branch.id.in_(partners_in))).order_by(Branch.id))
    parts = [Part(branch_id, name) for branch_id, name in rows]
    return sorted(parts, key=lambda part: part.id != booking.branch_id)


def _lines(booking: Booking, branches: list[Part], *where) -> list[SheetLine]:
    """Active members of the branches taking part (narrowed by `where`), each with their entry on the visit's
    roster if any: one query, read as plain rows."""
    by_id = {b.id: b for b in branches}
    rows = db.session.execute(
        select(Member.id, Member.name, Member.phone, Member.branch_id, RosterEntry.id, RosterEntry.signed_in_at)
        .outerjoin(RosterEntry, and_(RosterEntry.member_id == Member.id, RosterEntry.booking_id == booking.id))
        .where(Member.branch_id.in_(list(by_id)), Member.active.is_(True), *where).order_by(Member.name, Member.id))
    return [SheetLine(Person(member_id, name, phone), by_id[branch_id], entry_id is not None, signed_in_at)
            for member_id, name, phone, branch_id, entry_id, signed_in_at in rows]


def sheet(booking: Booking, branches: list[Part] | None = None) -> list[SheetLine]:
    """The active members of the branches taking part, branch by branch (the booking's first), each roster's
    members first, then by name; names only are shown of them. One query (it is the page the whole group opens at
    the door)."""
    branches = branches if branches is not None else taking_part(booking)
    order = {b.id: n for n, b in enumerate(branches)}
    return sorted(_lines(booking, branches), key=lambda line: (order[line.branch.id], not line.on_roster))


def receipt(token, member_id) -> tuple[Booking, list[Part], SheetLine] | None:
    """What the member's page shows again after a sign-in, reloaded or reopened later from the chat: the visit and
    the member's time. The link's signature is checked, not its age, for it tells no more than the list of names
    did (a name and a time); None when the link is not authentic or the member has not signed in to its visit.
    Only that member's line is read, not the whole sheet."""
    try:
        booking_id = int(_signer().unsign(token if isinstance(token, str) else "").decode().split("-", 1)[0])
    except (BadData, ValueError, UnicodeError):
        return None
    booking = db.session.get(Booking, booking_id)
    if booking is None or not isinstance(member_id, int):
        return None
    branches = taking_part(booking)
    line = next(iter(_lines(booking, branches, Member.id == member_id, RosterEntry.signed_in_at.is_not(None))), None)
    return (booking, branches, line) if line else None


def member_of(booking: Booking, member_id) -> Member:
    """A member who may sign in to the booking: active, of a branch taking part (422 otherwise)."""
    member = db.session.get(Member, member_id) if isinstance(member_id, int) and not isinstance(member_id, bool) \
        else None
    if member is None or not member.active or member.branch_id not in {b.id for b in taking_part(booking)}:
        raise ValidationFailed({"member_id": "只有参加本次活动的支部的在册党员可以签到。"})
    return member


def needs_digits(member: Member | Person) -> bool:
    """Whether the member confirms with the last four digits of the phone on file."""
    return len(_digits(member.phone)) >= 4


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def has_room(booking: Booking, branch_id: int) -> bool:
    """Whether the branch's roster of the visit has room under its part of the headcount for one more member."""
    on_roster = db.session.scalar(select(func.count()).select_from(RosterEntry).where(
        RosterEntry.booking_id == booking.id, RosterEntry.branch_id == branch_id))
    return on_roster < partners.part_headcount(booking, branch_id)


# -- signing in ------------------------------------------------------------------------------------

def sign_in(token, member_id, phone_last4, address: str, now: datetime | None = None) -> RosterEntry:
    """The member signs in: present on the roster with the time, added to it while their branch's roster has room
    under its headcount (409 `roster_full` otherwise). A member whose phone is on file gives its last four digits
    (422 on `phone_last4`; wrong ones count as a failed try). Once only (409 `already_signed_in`)."""
    now = now or clock.now()
    address = (address or "")[:64]
    booking = booking_of(token, address, now)
    member = member_of(booking, member_id)
    _refuse_if_throttled(address, member.id, now)
    if needs_digits(member):
        if phone_last4 in (None, ""):
            raise ValidationFailed({"phone_last4": "请填写您登记的手机号的后四位。"})
        if not isinstance(phone_last4, str) or not LAST4_RE.match(phone_last4) \
                or not secrets.compare_digest(phone_last4, _digits(member.phone)[-4:]):
            _failed(address, member.id, now)
            raise ValidationFailed({"phone_last4": "手机号后四位不正确，请重新输入；如手机号有变，请联系本支部书记。"})
    # The booking's row first: sign-ins of one visit are written one at a time, so two members cannot both take a
    # roster's last place, and one member tapping twice finds their first sign-in.
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(status=Booking.status)
                       .execution_options(synchronize_session=False))
    entry = db.session.scalar(select(RosterEntry).where(RosterEntry.booking_id == booking.id,
                                                        RosterEntry.member_id == member.id))
    if entry is not None and entry.signed_in_at is not None:
        raise AlreadySignedIn(f"您已于 {clock.local(entry.signed_in_at):%H:%M} 签到，无需重复签到。")
    if entry is None:
        if not has_room(booking, member.branch_id):
            raise RosterFull()
        entry = RosterEntry(booking_id=booking.id, member_id=member.id, branch_id=member.branch_id)
        db.session.add(entry)
    entry.attendance, entry.absence_reason, entry.signed_in_at = "present", None, now
    db.session.commit()
    db.session.expire(booking, ["roster"])
    return entry
