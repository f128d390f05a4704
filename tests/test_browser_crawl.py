"""Every page any role can reach, found by following the links from its landing page (not a hand-kept list): each
answers 200, fits a 390 px phone without scrolling sideways, and has no serious or critical axe-core finding."""
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from sqlalchemy import select

from booking import clock
from booking.lecturers import services as lecturers
from booking.visits import services as visits
from models import db
from tests.browser import assert_accessible, live_server, login, phone_browser, serious_accessibility_violations
from tests.factories import booking, completed, item, slot_start, user

# Links that are not pages: downloads, feeds, photos, the API, and leaving.
SKIP = re.compile(r"/logout|/static/|/api/|\.(csv|xlsx|ics|docx|pdf)(\?|$)|/photos/|/calendar/|/credentials/")
MAX_PAGES = 120


# Query parameters whose every value is a page of its own kind (each status tab lists other bookings).
DISTINCT_VALUES = {"status", "group_by", "type"}


def _pattern(url: str) -> str:
    """One page of each kind: ids become N, and the names of the query's parameters count (with their values for
    DISTINCT_VALUES)."""
    parts = urlsplit(url)
    keys = sorted({f"{k}={v}" if k in DISTINCT_VALUES else k for k, v in parse_qsl(parts.query) if k != "page"})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or href.startswith(("#", "tel:", "mailto:", "javascript:")):
            continue
        absolute = urljoin(page.url, href).split("#")[0]
        if absolute.startswith(base) and not SKIP.search(absolute):
            out.append(absolute)
    return out


def _crawl(page, base: str, start: str) -> list[str]:
    """Visit every kind of page reachable from `start`; returns the patterns seen."""
    seen, queue = {}, [base + start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        key = _pattern(url)
        if key in seen:
            continue
        response = page.goto(url)
        seen[key] = url
        assert response is not None and response.status == 200, (url, response and response.status)
        assert page.evaluate("document.documentElement.scrollWidth") <= 400, f"sideways scroll on {url}"
        small = page.evaluate("""() => [...document.querySelectorAll('.btn, .page-link, .form-control, .form-select')]
            .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
            .map(e => e.outerHTML.slice(0, 80))""")
        assert not small, (url, "tap targets under 44 px", small)
        found = serious_accessibility_violations(page)
        assert not found, (url, found)
        queue.extend(u for u in _links(page, base) if _pattern(u) not in seen)
    assert len(seen) < MAX_PAGES, "the crawl did not finish"
    return sorted(seen)


def _a_lived_in_district():
    """Bookings in every state a page shows: pending, approved, with a lecturer invited, completed with a record."""
    from booking.members import services as members
    from models import RosterEntry
    lecture = item("专题党课：红色家书里的初心")
    people = [members.add_member(user("secretary"), user("secretary").branch, name=name, role=role)
              for name, role in (("王芳", "secretary"), ("李明", "committee"), ("张华", "member"))]
    # Today's visit, checked in: today's page offers its members' sign-in QR code (扫码签到).
    visits.check_in_booking(user("manager"), booking(menu_item=lecture, start=slot_start(0, 14), headcount=20))
    done = completed(start=slot_start(-3))
    db.session.add_all(RosterEntry(booking_id=done.id, member_id=p.id, branch_id=done.branch_id) for p in people)
    db.session.commit()
    members.mark_members(user("secretary"), done, [people[0].id, people[1].id], [{"member_id": people[2].id, "reason": "病假"}])
    visits.save_activity_record(user("secretary"), done, "重温入党誓词，参观展馆。", [])
    booking(secretary="secretary2", start=slot_start(4), approve=False)
    invited = booking(menu_item=lecture, start=slot_start(6), headcount=20)
    members.set_roster(user("secretary"), invited, [people[0].id])
    lecturers.invite(user("manager"), invited, user("lecturer").lecturer_id)
    accepted = booking(secretary="secretary2", menu_item=lecture, start=slot_start(8), headcount=20)
    lecturers.invite(user("manager"), accepted, user("lecturer").lecturer_id)
    lecturers.accept(user("lecturer"), accepted)
    # Joint bookings: the secretary's booking has invited secretary2's branch (not yet answered); the secretary's
    # branch accepted secretary2's invitation and picked its part of the roster.
    from booking.reservations import partners, records
    partners.invite(user("secretary"), invited, user("secretary2").branch_id, 5)
    partners.invite(user("secretary2"), accepted, user("secretary").branch_id, 10)
    partners.accept(user("secretary"), accepted)
    members.set_roster(user("secretary"), accepted, [people[1].id])
    from booking.series import services as series
    first = clock.local_today() + timedelta(days=2)
    spec = series.check(user("secretary"), menu_item_id=item().id, weekday=first.weekday(), week_of_month=-1,
                        time_text="14:00", first=first, last=first + timedelta(days=150), headcount=20,
                        contact_name="王芳", contact_phone="13800000000")
    series.create(user("secretary"), spec)
    # A full slot with the secretary's branch waiting for it, and shares at the first base.
    from booking.reservations import waitlist
    from models import Base
    full = slot_start(9)
    booking(secretary="secretary2", start=full, headcount=60)
    booking(secretary="secretary2", start=full + timedelta(hours=5), headcount=10)
    from models import Branch
    third = db.session.scalar(select(Branch.id).where(
        Branch.id.not_in([user("secretary").branch_id, user("secretary2").branch_id])).order_by(Branch.id))
    records.create_booking(user("manager"), menu_item_id=item().id, start=full, headcount=20,
                                contact_name="联系人", contact_phone="13800000000", branch_id=third)
    waitlist.join(user("secretary"), menu_item_id=item().id, start=full, headcount=10, contact_name="王芳",
                  contact_phone="13800000000")
    db.session.get(Base, item().base_id).max_live_per_branch = 5
    db.session.commit()
    # A lecture the branch ordered, dispatched to the lecturer, one waiting in the queue, and a committee meeting
    # in the branch's own room: their pages are reached too.
    from booking.requests import services as lecture_requests
    from booking.reservations import own
    from models import Lecturer
    today = clock.local_today()
    for n in range(2):
        ordered = lecture_requests.submit(user("secretary"), topic="党史学习教育专题党课", first=today + timedelta(days=3),
                                          last=today + timedelta(days=20), address="区财政局三楼党员活动室",
                                          headcount=18, contact_name="王芳", contact_phone="13800000000")
    lecturer_id = db.session.scalar(select(Lecturer.id).where(Lecturer.name == "张建国"))
    lecture_requests.dispatch(user("admin"), ordered, lecturer_id, slot_start(12, 19), 90)
    start = slot_start(11, 19)
    own.create(user("secretary"), activity_type="committee_meeting", start=start, end=start + timedelta(hours=1),
               address="区财政局三楼党员活动室", topic="研究党员发展工作", headcount=7, contact_name="王芳",
               contact_phone="13800000000")
    # An open lecture (讲习活动) of the first base, its lecturer not yet answered, one branch booked in it: the
    # calendar, the lecture's page (the manager's branches and cancel form, the lecturer's answer) are reached too.
    from booking.lectures import services as lectures
    talk = lectures.publish(user("manager"), menu_item_id=lecture.id, start=slot_start(5, 14), lecturer_id=lecturer_id,
                            topic="学习贯彻党的二十届四中全会精神")
    booking(secretary="secretary2", menu_item=lecture, start=talk.starts_at, headcount=15)
    return invited


@pytest.mark.parametrize("username", ["admin", "street", "manager", "secretary", "lecturer"])
def test_every_page_a_role_can_reach_works_on_a_phone(world, username):
    _a_lived_in_district()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, username)
        patterns = _crawl(page, url, "/")
    print(f"\n{username}: {len(patterns)} kinds of page crawled")
    # The crawl reached the role's daily pages, not just the landing page.
    expected = {"admin": ["/admin/users", "/admin/audit", "/stats/", "/account", "/requests/queue", "/requests/N",
                          "/lectures/new"],
                "street": ["/area/", "/bookings", "/bookings/N", "/requests/queue",
                           "/admin/organizations", "/admin/users", "/reports/", "/reports/watch", "/stats/", "/account"],
                "manager": ["/manage/today", "/manage/pending", "/manage/week", "/bookings/N", "/account",
                            "/bookings/N/sign-in", "/lectures/new"],
                "secretary": ["/bookings", "/bases/N", "/menu-items/N", "/bookings/N", "/account", "/requests/new",
                              "/requests/N"],
                "lecturer": ["/schedule", "/lecturers/N/record", "/bookings/N", "/account", "/requests/N"]}[username]
    for path in expected + ["/lectures", "/lectures/N"]:  # the lecture calendar from the menu, every role
        assert any(p == path or p.startswith(path + "?") for p in patterns), (path, patterns)


def test_the_pages_before_login_work_on_a_phone(world):
    b = _a_lived_in_district()
    from booking.auth.services import reset_link_token
    from booking.members import signin
    from booking.reservations.states import APPROVED
    from models import Booking, Member
    token = reset_link_token(user("secretary"))
    # A member's own sign-in page, opened from the QR code without an account: the list of names and one name's
    # confirmation (the link lives two minutes: made just before).
    today = db.session.scalar(select(Booking).where(Booking.checked_in_at.is_not(None), Booking.status == APPROVED))
    sign_in = signin.make_link(user("manager"), today).url.split("/s/", 1)[1]
    member = db.session.scalar(select(Member.id).where(Member.branch_id == today.branch_id).order_by(Member.id))
    with live_server(world) as url, phone_browser() as page:
        for path in ("/login", "/forgot", f"/reset/{token}", f"/c/{b.code}", f"/s/{sign_in}",
                     f"/s/{sign_in}?m={member}"):
            assert page.goto(url + path).status == 200, path
            assert page.evaluate("document.documentElement.scrollWidth") <= 400, path
            assert_accessible(page)


@pytest.mark.parametrize("username", ["secretary", "manager", "street"])
def test_the_demo_itself_works_on_a_phone(demo, username):
    """End to end on the demo as `make run` loads it (a year of visits, members, notifications): the pages a new
    user clicks through first hold up with real amounts of data, not only with the tests' small district."""
    with live_server(demo) as url, phone_browser() as page:
        login(page, url, username)
        patterns = _crawl(page, url, "/")
    assert len(patterns) >= 10, patterns
