"""Browser journey: a manager checks a group in by code on the day, records the count; the admin's dashboard shows it."""
from datetime import time


from booking import clock
from models import OpeningSlot, db
from tests.browser import assert_accessible, live_server, login, phone_browser, relogin, shot
from tests.factories import booking, item


def test_check_in_record_count_and_see_it_in_statistics(world):
    world.config["WTF_CSRF_ENABLED"] = True
    menu_item = item()
    today = clock.local_today()
    # An early slot today, so the visit has started whenever the test runs.
    db.session.add(OpeningSlot(venue_id=menu_item.venue_id, weekday=today.weekday(), start_time=time(0, 0),
                               end_time=time(0, 30), capacity=80))
    db.session.commit()
    b = booking(start=clock.at_local(today, time(0, 0)), headcount=30)
    code = b.code
    db.session.commit()  # end the test's own transaction: on SQLite it would hold the write lock
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "admin")
        page.goto(f"{url}/stats/")
        assert page.locator("#total-batches").inner_text() == "0"

        relogin(page, url, "manager")
        page.goto(f"{url}/manage/today")
        assert page.get_by_text("区财政局第一党支部").first.is_visible()
        assert_accessible(page)
        shot(page, "20-today")
        page.get_by_label("签到码").fill(code.lower())
        with page.expect_navigation():
            page.get_by_role("button", name="签到", exact=True).click()
        assert page.get_by_text("签到成功").is_visible()
        page.get_by_role("spinbutton", name="实到人数").fill("27")
        with page.expect_navigation():
            page.get_by_role("button", name="登记并完成").click()
        assert page.locator(".badge", has_text="已完成").is_visible()
        assert page.get_by_text("实到 27 人").first.is_visible()
        assert_accessible(page)
        shot(page, "21-completed")

        relogin(page, url, "admin")
        page.goto(f"{url}/stats/?group_by=base")
        assert page.locator("#total-batches").inner_text() == "1"
        assert page.locator("#total-person-times").inner_text() == "27"
        assert page.get_by_role("cell", name="红星革命纪念馆").is_visible()
        # the second chart is drawn in a task of its own, after the first
        page.wait_for_function("!!Chart.getChart(document.querySelector('#chart-person-times'))", timeout=5000)
        assert_accessible(page)
        shot(page, "22-stats")




def test_the_qr_reader_is_fetched_when_the_manager_taps_scan(world):
    """The today page loads without jsQR; tapping 扫码 fetches it (then asks for the camera)."""
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "manager")
        page.goto(f"{url}/manage/today")
        assert page.evaluate("typeof window.jsQR") == "undefined"
        page.on("dialog", lambda dialog: dialog.dismiss())  # no camera here: the page says so
        page.click("#scan-button")
        page.wait_for_function("typeof window.jsQR === 'function'", timeout=10000)


def test_a_phone_photo_of_7_mb_is_shrunk_in_the_page_and_kept_with_its_text(world, tmp_path):
    """Reproduced: photos from a real phone (3-8 MB) were refused; now the page shrinks each one before it is
    sent, shows what it did, and the record keeps the photo and the text typed above it."""
    from tests.factories import completed
    from tests.test_visits import _noise_jpeg
    world.config["WTF_CSRF_ENABLED"] = True
    b = completed()
    db.session.commit()
    photo = tmp_path / "IMG_20261206_093012.jpg"
    photo.write_bytes(_noise_jpeg((1500, 1500), quality=97))
    assert photo.stat().st_size > 5 * 1024 * 1024  # over the per-photo limit as the phone took it
    with live_server(world) as url, phone_browser() as page:
        login(page, url, "secretary")
        page.goto(f"{url}/bookings/{b.id}")
        page.get_by_label("活动纪实（主题党日记录）").fill("在党旗下重温入党誓词。")
        page.get_by_label("照片（最多 9 张", exact=False).set_input_files(str(photo))
        page.get_by_text("压缩后共").wait_for()
        size, name = page.evaluate("[document.getElementById('photos').files[0].size, "
                                   "document.getElementById('photos').files[0].name]")
        assert size < 5 * 1024 * 1024 and name == "IMG_20261206_093012.jpg", (size, name)  # noise: the worst case
        shot(page, "record-photo-shrunk")
        with page.expect_navigation():
            page.get_by_role("button", name="保存纪实").click()
        assert page.get_by_text("活动纪实已保存").is_visible()
        assert_accessible(page)
    db.session.expire_all()
    kept = db.session.get(type(b), b.id)
    assert kept.activity_summary == "在党旗下重温入党誓词。" and len(kept.photos) == 1
