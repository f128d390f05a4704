"""Pages of the members' own sign-in (扫码签到): the QR code a manager or a taking-part secretary holds up (renewed
every 30 s), and the member's page behind it, without an account. Thin adapters over booking.members.signin."""
import segno
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from booking import clock
from booking.members import signin
from booking.reservations.services import get_visible
from booking.web.errors import on_refusal

bp = Blueprint("signin", __name__)


def _qr(url: str) -> Markup:
    """The link as an SVG QR code sized by its container (quartile error correction: readable from across a room,
    on a screen with glare)."""
    return Markup(segno.make(url, error="q").svg_inline(omitsize=True, border=4, title="党员签到二维码"))


def _signed(booking) -> list:
    """Who signed in themselves, the latest first."""
    return sorted((e for e in booking.roster if e.signed_in_at is not None), key=lambda e: e.signed_in_at,
                  reverse=True)


@bp.get("/bookings/<id:booking_id>/sign-in")
@login_required
def show(booking_id):
    """The QR code to hold up at the door or show on the base's screen; it renews itself."""
    booking = get_visible(current_user, booking_id)
    link = signin.make_link(current_user, booking)
    return render_template("members/signin_show.html", b=booking, link=link, qr=_qr(link.url),
                           signed=_signed(booking))


@bp.get("/bookings/<id:booking_id>/sign-in/code.json")
@login_required
def code(booking_id):
    """A new code for the page to show, and who has signed in so far."""
    booking = get_visible(current_user, booking_id)
    link = signin.make_link(current_user, booking)
    signed = _signed(booking)
    return jsonify(url=link.url, expires_at=clock.iso(link.expires_at), svg=str(_qr(link.url)),
                   count=len(signed), roster=len(booking.roster),
                   signed=[{"name": e.member.name, "at": f"{clock.local(e.signed_in_at):%H:%M}"} for e in signed])


def _member_id(raw) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/s/<token>", methods=["GET", "POST"])
def page(token):
    """The member's page, opened from the QR code: find one's name, tap it, confirm (with the last four digits of
    one's phone when it is on file), and see the time one signed in. No login: the link is the credential."""
    address = request.remote_addr or ""
    if request.method == "GET" and (shown := signin.receipt(token, _member_id(request.args.get("done")))):
        booking, branches, line = shown
        return render_template("members/signin_member.html", b=booking, token=token, branches=branches, done=line)
    on_refusal("members/signin_member.html", status=None, closed=True)
    booking = signin.booking_of(token, address)
    branches = signin.taking_part(booking)
    lines = signin.sheet(booking, branches)
    q = (request.args.get("q") or "").strip()[:20]
    context = dict(b=booking, token=token, lines=[line for line in lines if q in line.member.name], q=q,
                   branches=branches, needs_digits=signin.needs_digits)
    if request.method == "POST":
        member_id = _member_id(request.form.get("member_id"))
        chosen = next((line for line in lines if line.member.id == member_id), None)
        on_refusal("members/signin_member.html", status=None, chosen=chosen, more=lambda: _room(booking, chosen),
                   **context)
        entry = signin.sign_in(token, member_id, (request.form.get("phone_last4") or "").strip(), address)
        # Shown by a GET of its own (post/redirect/get): a reload shows the time again instead of posting twice.
        return redirect(url_for("signin.page", token=token, done=entry.member_id), 303)
    member_id = _member_id(request.args.get("m"))
    chosen = next((line for line in lines if line.member.id == member_id), None)
    return render_template("members/signin_member.html", chosen=chosen, **_room(booking, chosen), **context)


def _room(booking, chosen) -> dict:
    """Whether the chosen member may still join their branch's roster: if not, the page says to ask the secretary
    instead of offering a confirmation that would be refused."""
    return {"room": chosen is None or chosen.on_roster or signin.has_room(booking, chosen.branch.id)}
