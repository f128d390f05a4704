"""Every page of the administrator and the base manager is usable on a phone and passes axe-core."""
import pytest

from models import db
from tests.browser import assert_accessible, live_server, login, phone_browser, shot
from tests.factories import booking, completed, slot_start

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/users/2", "/admin/organizations",
               "/admin/organizations/1", "/admin/branches/new", "/admin/bases", "/admin/lecturers",
               "/admin/lecturers/1", "/admin/audit", "/lecturers/1/record",
               # the areas' tree, an area's page, the delete confirmation of one in use, a base's area
               "/admin/areas", "/admin/areas/2", "/admin/areas/2/delete", "/admin/bases/1/area"]
# An area administrator on the admin's pages it uses (its own area's organisations and secretaries).
STREET_PAGES = ["/admin/organizations", "/admin/users", "/admin/users/new", "/admin/organizations/new",
                "/admin/branches/4"]
MANAGER_PAGES = ["/manage/", "/manage/bases/1", "/manage/venues/1", "/manage/bases/1/menu/new", "/manage/menu-items/1",
                 "/manage/pending", "/manage/today", "/bookings", "/stats/?group_by=organization", "/notifications",
                 # a completed and a pending booking (made below), the change page, the item's grid from today
                 "/bookings/1", "/bookings/2", "/bookings/2/edit", "/menu-items/1"]


@pytest.mark.parametrize("username,pages", [("admin", ADMIN_PAGES), ("manager", MANAGER_PAGES),
                                            ("street", STREET_PAGES)])
def test_pages_are_accessible_on_a_phone(world, username, pages):
    completed(start=slot_start(-3))
    booking(secretary="secretary2", start=slot_start(4), approve=False)
    db.session.commit()
    with live_server(world) as url, phone_browser() as page:
        login(page, url, username)
        for path in pages:
            response = page.goto(url + path)
            assert response.status == 200, path
            assert page.evaluate("document.documentElement.scrollWidth") <= 400, path
            assert_accessible(page)
        shot(page, f"40-{username}-last")
        page.goto(url + pages[1])
        shot(page, f"41-{username}-page")
