"""The pages work under their own Content-Security-Policy: no script, style or picture of theirs is refused."""
from datetime import time

from booking import clock
from models import OpeningSlot, db
from tests.browser import live_server, login, phone_browser, relogin
from tests.factories import booking, completed, item


def test_pages_run_under_their_policy(world):
    menu_item = item()
    today = clock.local_today()
    db.session.add(OpeningSlot(venue_id=menu_item.venue_id, weekday=today.weekday(), start_time=time(0, 0),
                               end_time=time(0, 30), capacity=80))
    db.session.commit()
    live = booking(start=clock.at_local(today, time(0, 0)), headcount=30)
    done = completed()
    db.session.commit()
    refused = []
    with live_server(world) as url, phone_browser(bypass_csp=False) as page:
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: refused.append(str(e)))
        login(page, url, "secretary")
        for path in (f"/bookings/{live.id}", f"/bookings/{done.id}", "/bases", f"/menu-items/{menu_item.id}", "/stats/"):
            page.goto(url + path)
        assert page.locator(".qr svg").count() == 0 or page.locator(".qr svg").first.is_visible()
        relogin(page, url, "manager")
        for path in ("/manage/today", f"/bookings/{live.id}", "/manage/week", "/stats/"):
            page.goto(url + path)
        page.add_init_script("window.print = () => { window.__printed = true; };")
        page.goto(url + f"/bookings/{done.id}")
        page.get_by_role("button", name="打印活动记录").click()  # the print button works without inline code
        assert page.evaluate("window.__printed === true")
        # The chart on the statistics page is drawn (Chart.js from static/, its data from a JSON block).
        relogin(page, url, "admin")
        page.goto(url + "/stats/?group_by=base")
        assert page.locator("#chart-batches").is_visible() and page.locator("#chart-person-times").is_visible()
        assert page.evaluate("!!Chart.getChart(document.querySelector('#chart-batches'))")
    assert refused == []
