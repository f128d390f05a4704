"""Members sign in themselves (扫码签到): the link a manager or secretary shows as a QR code, and the member's sign-in
without an account. Thin adapters over booking.members.signin."""
from flask import request

from booking import clock
from booking.api.core import bp, current_user, endpoint
from booking.api.openapi import B, DT, I, S, obj, register_components
from booking.api.schema import Body, F
from booking.members import signin
from booking.reservations.services import get_visible

register_components({
    "SignInLink": obj(url=S, expires_at=DT),
    "SignInSheet": obj(
        booking=obj(id=I, base_name=S, menu_item_title=S, start=DT, end=DT),
        members={"type": "array", "items": obj(member_id=I, name=S, branch_name=S, signed_in=B)}),
    "SignedIn": obj(member_id=I, name=S, signed_in_at=DT),
})

SIGN_IN_BODY = Body(
    member_id=F("integer", "党员", required=True, min=1),
    phone_last4=F("string", "手机号后四位", max_length=4, nullable=True),
)


@bp.post("/bookings/<id:booking_id>/sign-in-link")
@endpoint("A short-lived link for the members to sign in with", tag="members",
          responses={201: "SignInLink", 403: None, 404: None, 409: None},
          description="A manager of the base or a taking-part branch's secretary, once checked in and until the end "
                      "of the visit's day (409 invalid_state otherwise). Each call makes a new link of about two "
                      "minutes.")
def sign_in_link(booking_id):
    user = current_user()
    link = signin.make_link(user, get_visible(user, booking_id))
    return {"url": link.url, "expires_at": clock.iso(link.expires_at)}, 201


@bp.get("/sign-in/<token>")
@endpoint("The visit and the members who may sign in with a link", auth=False, tag="members",
          responses={200: "SignInSheet", 404: None, 409: None, 410: None, 429: None},
          description="No login: the link is the credential. 404 for an unknown link, 410 link_expired for an old "
                      "one. Names only, never phones.")
def sign_in_sheet(token):
    booking = signin.booking_of(token, request.remote_addr or "")
    return {
        "booking": {"id": booking.id, "base_name": booking.base.name, "menu_item_title": booking.menu_item.title,
                    "start": clock.iso(booking.starts_at), "end": clock.iso(booking.ends_at)},
        "members": [{"member_id": line.member.id, "name": line.member.name, "branch_name": line.branch.name,
                     "signed_in": line.signed_in_at is not None} for line in signin.sheet(booking)],
    }


@bp.post("/sign-in/<token>")
@endpoint("A member signs in", body=SIGN_IN_BODY, auth=False, tag="members",
          responses={201: "SignedIn", 404: None, 409: None, 410: None, 429: None},
          description="phone_last4 when the member's phone is on file (422 naming it when wrong or missing); 409 "
                      "already_signed_in, or roster_full when the branch's roster is at its headcount.")
def sign_in(token, body):
    entry = signin.sign_in(token, body["member_id"], body["phone_last4"], request.remote_addr or "")
    return {"member_id": entry.member_id, "name": entry.member.name, "signed_in_at": clock.iso(entry.signed_in_at)}, 201
