"""Fifty members of a joint visit scanning at the door at the same moment, several tapping twice, under four gunicorn
workers: each signs in exactly once, no roster grows past its branch's headcount, nobody is lost, nothing answers
5xx, and the integrity checker finds nothing."""
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from booking import clock
from booking.members import services
from booking.reservations import partners
from booking.visits import services as visits
from models import RosterEntry, db
from tests.factories import booking, item, slot_start, user
from tests.server import assert_integrity, call, gunicorn, simultaneously

PASSWORD = "demo-pass-2026"
HOST_HEADCOUNT, PARTNER_HEADCOUNT = 30, 20


def _members(username: str, prefix: str, n: int) -> list[int]:
    secretary = user(username)
    return [services.add_member(secretary, secretary.branch, name=f"{prefix}{i:02d}").id for i in range(n)]


def test_members_signing_in_at_once_each_count_once_and_rosters_hold_their_headcounts(world):
    host = _members("secretary", "主办党员", 35)  # 10 already on the roster, 25 more than can join
    partner = _members("secretary2", "共建党员", 25)  # none on the roster, 5 more than can join
    partner_branch = user("secretary2").branch_id
    # Today's joint visit, made days ago: the host's ten on the roster, the partner accepted, checked in.
    made = clock.now() - timedelta(days=3)
    b = booking(menu_item=item("专题党课：红色家书里的初心"), start=slot_start(0, 14), headcount=HOST_HEADCOUNT)
    partners.invite(user("secretary"), b, partner_branch, PARTNER_HEADCOUNT, now=made)
    partners.accept(user("secretary2"), b, now=made)
    services.set_roster(user("secretary"), b, host[:10], now=made)
    visits.check_in_booking(user("manager"), b)
    b = {"id": b.id}
    uri = world.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()
    with gunicorn(uri, workers=4) as url:
        tokens = {"manager": call(url, "POST", "/api/v1/auth/token",
                                  {"username": "manager", "password": PASSWORD})[1]["token"]}
        status, link = call(url, "POST", f"/api/v1/bookings/{b['id']}/sign-in-link", None, tokens["manager"])
        assert status == 201, link
        sign_in = urlsplit(link["url"]).path.replace("/s/", "/api/v1/sign-in/")
        # Everyone at once; every fifth member taps twice.
        everyone = host + partner
        wave = [(url, "POST", sign_in, {"member_id": m}, None) for m in everyone]
        wave += [(url, "POST", sign_in, {"member_id": m}, None) for m in everyone[::5]]
        started = clock.now()
        results = simultaneously(wave)
        assert clock.now() - started < timedelta(seconds=60)
        outcome = Counter((status, body.get("error", {}).get("code")) for status, body in results)
        assert set(outcome) <= {(201, None), (409, "already_signed_in"), (409, "roster_full")}, outcome
        signed = Counter(wave[i][3]["member_id"] for i, (status, _) in enumerate(results) if status == 201)
        assert max(signed.values()) == 1  # nobody twice
        # The rostered ten all signed in; of the others, exactly as many as the parts have room for.
        assert all(signed[m] == 1 for m in host[:10])
        assert sum(signed[m] for m in host) == HOST_HEADCOUNT
        assert sum(signed[m] for m in partner) == PARTNER_HEADCOUNT
        assert outcome[(409, "roster_full")] == 5 + 5 + sum(1 for m in everyone[::5] if not signed[m])
        status, roster = call(url, "GET", f"/api/v1/bookings/{b['id']}/roster", None, tokens["manager"])
        assert status == 200 and roster["total"] == HOST_HEADCOUNT + PARTNER_HEADCOUNT
        assert {e["member_id"] for e in roster["items"] if e["signed_in_at"]} == set(signed)  # none lost
        assert all(e["attendance"] == "present" for e in roster["items"])
    assert_integrity()
    assert db.session.scalar(select(func.count()).select_from(RosterEntry).where(
        RosterEntry.signed_in_at.is_not(None))) == HOST_HEADCOUNT + PARTNER_HEADCOUNT
