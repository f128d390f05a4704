"""Joint bookings (联合 / 共建) over the same services as the pages: partners invited, answering, withdrawn."""
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint
from booking.api.schema import Body, F
from booking.errors import NotAllowed
from booking.reservations import partners
from booking.reservations.services import get_visible

INVITE_BODY = Body(
    branch_id=F("integer", "共建支部", required=True, min=1, max=2147483647),
    headcount=F("integer", "共建支部人数", required=True, min=1, max=100000,
                description="该支部参加人数；项目人数限制按主办与全部共建支部的合计计算"),
)
REASON = Body(reason=F("string", "原因", max_length=500, multiline=True, nullable=True))


@bp.post("/bookings/<id:booking_id>/partners")
@endpoint("Invite a partner branch into a joint booking; its places are held at once", body=INVITE_BODY,
          tag="partners", responses={201: "Partner", 403: None, 409: None},
          description="The booking's secretary or a manager of its base, while pending/approved and not started. "
                      "409 slot_full when the places are not there; 422 for a branch invited already, the host's own, "
                      "or a total beyond the item's group limits.")
def invite_partner(booking_id, body):
    """The host invites a branch with its headcount."""
    user = current_user()
    booking = get_visible(user, booking_id)
    return serialize.partner(partners.invite(user, booking, body["branch_id"], body["headcount"])), 201


@bp.post("/bookings/<id:booking_id>/partners/<id:branch_id>/accept")
@endpoint("The partner branch accepts", tag="partners", responses={200: "Booking", 403: None, 409: None})
def accept_partnership(booking_id, branch_id):
    """That branch's secretary accepts the invitation."""
    user = current_user()
    booking = _as_partner(user, booking_id, branch_id)
    partners.accept(user, booking)
    return serialize.booking(booking)


@bp.post("/bookings/<id:booking_id>/partners/<id:branch_id>/decline")
@endpoint("The partner branch declines; its places are freed", body=REASON, optional_body=True, tag="partners",
          responses={200: "Booking", 403: None, 409: None})
def decline_partnership(booking_id, branch_id, body):
    """That branch's secretary declines (or steps out after accepting), with an optional reason."""
    user = current_user()
    booking = _as_partner(user, booking_id, branch_id)
    partners.decline(user, booking, body.get("reason"))
    return serialize.booking(booking)


@bp.delete("/bookings/<id:booking_id>/partners/<id:branch_id>")
@endpoint("The host withdraws a partner's invitation; its places are freed", body=REASON, optional_body=True,
          tag="partners", responses={200: "Booking", 403: None, 404: None, 409: None})
def withdraw_partner(booking_id, branch_id, body):
    """The booking's secretary or a manager of its base, before the start."""
    user = current_user()
    booking = get_visible(user, booking_id)
    partners.withdraw(user, booking, branch_id, body.get("reason"))
    return serialize.booking(booking)


def _as_partner(user, booking_id: int, branch_id: int):
    """The booking, for answering as `branch_id`: only that branch's secretary answers for it (403 otherwise)."""
    booking = get_visible(user, booking_id)
    if getattr(user, "branch_id", None) != branch_id or getattr(user, "role", None) != "secretary":
        raise NotAllowed("只有受邀共建支部的书记可以为本支部答复。")
    return booking
