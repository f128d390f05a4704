"""The day of the visit and after it: check-in, attendance, no-show, feedback, activity record and photos."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.errors import InvalidState, ValidationFailed
from booking.visits import services
from models import BookingEvent, db
from tests.conftest import login
from tests.factories import booking, completed, image_bytes, slot_start, user

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


def test_check_in_by_code_on_the_day(world, api):
    b = booking(start=slot_start(0, 14))
    r = api.post("/api/v1/check-in", as_="manager", json={"code": b.code.lower()})
    assert r.status_code == 200 and r.get_json()["checked_in_at"]
    events = [e.action for e in db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == b.id))]
    assert events.count("checked_in") == 1
    # again: harmless, no second history entry
    assert api.post("/api/v1/check-in", as_="manager", json={"code": b.code}).status_code == 200
    events = [e.action for e in db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == b.id))]
    assert events.count("checked_in") == 1


def test_check_in_errors(world, api):
    tomorrow = booking(start=slot_start(1))
    r = api.post("/api/v1/check-in", as_="manager", json={"code": tomorrow.code})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "wrong_day"
    r = api.post("/api/v1/check-in", as_="manager", json={"code": "NOPE1234"})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    today = booking(start=slot_start(0, 14))
    assert api.post("/api/v1/check-in", as_="manager2", json={"code": today.code}).status_code == 404
    assert api.post("/api/v1/check-in", as_="secretary", json={"code": today.code}).status_code == 403
    pending = booking(secretary="secretary2", start=slot_start(0, 14), approve=False)
    r = api.post("/api/v1/check-in", as_="manager", json={"code": pending.code})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"


def test_attendance_completes_and_can_be_corrected(world, api):
    b = booking(start=slot_start(-1))
    r = api.post(f"/api/v1/bookings/{b.id}/attendance", as_="manager", json={"visitor_count": 18})
    assert r.status_code == 200 and r.get_json()["status"] == "completed" and r.get_json()["visitor_count"] == 18
    r = api.post(f"/api/v1/bookings/{b.id}/attendance", as_="manager", json={"visitor_count": 21})
    assert r.status_code == 200 and r.get_json()["visitor_count"] == 21
    history = api.get(f"/api/v1/bookings/{b.id}/history", as_="manager").get_json()["items"]
    recorded = [h for h in history if h["action"] == "attendance_recorded"]
    assert [(h["from_status"], h["to_status"]) for h in recorded] == [("approved", "completed"), ("completed", "completed")]
    assert "18" in recorded[1]["note"] and "21" in recorded[1]["note"]


def test_attendance_rules(world, api):
    future = booking(start=slot_start(2))
    r = api.post(f"/api/v1/bookings/{future.id}/attendance", as_="manager", json={"visitor_count": 10})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    past = booking(start=slot_start(-1))
    for bad in (0, 81, "10", None):
        r = api.post(f"/api/v1/bookings/{past.id}/attendance", as_="manager", json={"visitor_count": bad})
        assert r.status_code == 422 and "visitor_count" in r.get_json()["error"]["fields"], bad
    assert api.post(f"/api/v1/bookings/{past.id}/attendance", as_="manager", json={"visitor_count": 80}).status_code == 200
    assert api.post(f"/api/v1/bookings/{past.id}/attendance", as_="secretary", json={"visitor_count": 5}).status_code == 403
    assert api.post(f"/api/v1/bookings/{past.id}/attendance", as_="manager2", json={"visitor_count": 5}).status_code == 404
    pending = booking(secretary="secretary2", start=slot_start(-1, 14), approve=False)
    r = api.post(f"/api/v1/bookings/{pending.id}/attendance", as_="manager", json={"visitor_count": 5})
    assert r.status_code == 409


def test_no_show(world, api):
    b = booking(start=slot_start(-1))
    r = api.post(f"/api/v1/bookings/{b.id}/no-show", as_="manager")
    assert r.status_code == 200 and r.get_json()["status"] == "no_show"
    r = api.post(f"/api/v1/bookings/{b.id}/no-show", as_="manager")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    future = booking(start=slot_start(2))
    assert api.post(f"/api/v1/bookings/{future.id}/no-show", as_="manager").status_code == 409
    assert api.post(f"/api/v1/bookings/{future.id}/no-show", as_="secretary").status_code == 403


def test_completed_and_no_show_keep_their_slot_count(world):
    from models import SlotOccupancy
    b = completed()
    held = db.session.scalar(select(SlotOccupancy.held).where(SlotOccupancy.starts_at == b.starts_at))
    assert held == b.headcount


def test_feedback_once(world, api):
    b = completed()
    r = api.post(f"/api/v1/bookings/{b.id}/feedback", as_="secretary", json={"rating": 6})
    assert r.status_code == 422 and "rating" in r.get_json()["error"]["fields"]
    r = api.post(f"/api/v1/bookings/{b.id}/feedback", as_="secretary", json={"rating": 5, "comment": "讲解生动"})
    assert r.status_code == 200 and r.get_json()["rating"] == 5
    r = api.post(f"/api/v1/bookings/{b.id}/feedback", as_="secretary", json={"rating": 4})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_state"
    assert api.post(f"/api/v1/bookings/{b.id}/feedback", as_="manager", json={"rating": 4}).status_code == 403
    assert api.post(f"/api/v1/bookings/{b.id}/feedback", as_="secretary2", json={"rating": 4}).status_code == 404
    future = booking(start=slot_start(2))
    assert api.post(f"/api/v1/bookings/{future.id}/feedback", as_="secretary", json={"rating": 4}).status_code == 409


def test_the_booking_page_shows_small_copies_of_the_photos(world, client):
    """The record page showed each photo at its kept size (1600 px, ~65 KiB) as a thumbnail: a phone fetched
    them all in full."""
    import io

    from PIL import Image

    from booking.photos import storage as photo_store
    b = completed()
    services.save_activity_record(user("secretary"), b, "纪实", [("合影.jpg", image_bytes("JPEG", (3000, 2000))),
                                                              ("签到表.png", image_bytes("PNG", (1200, 1600)))])
    photo, screenshot = b.photos
    login(client, "secretary")
    page = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert f'src="/bookings/{b.id}/photos/{photo.id}?size=small"' in page
    assert f'href="/bookings/{b.id}/photos/{photo.id}"' in page  # a tap opens the photo itself
    for kept in (photo, screenshot):
        small = client.get(f"/bookings/{b.id}/photos/{kept.id}?size=small")
        assert small.status_code == 200 and small.mimetype == "image/jpeg"
        with Image.open(io.BytesIO(small.data)) as image:
            assert max(image.size) == 480 and image.format == "JPEG"
        assert len(small.data) < len(photo_store.get(kept.stored_name)) / 2
        assert small.headers["Cache-Control"] == "private, max-age=3600"
    # The same rule as the photo itself: another branch's secretary sees nothing.
    client.post("/logout")
    login(client, "secretary2")
    assert client.get(f"/bookings/{b.id}/photos/{photo.id}?size=small").status_code == 404
    # A kept file that no longer reads as an image: the photo's bytes as they are, never a 500.
    from models import PhotoBlob
    db.session.execute(PhotoBlob.__table__.update().where(PhotoBlob.stored_name == photo.stored_name)
                       .values(data=b"not an image any more"))
    db.session.commit()
    client.post("/logout")
    login(client, "secretary")
    r = client.get(f"/bookings/{b.id}/photos/{photo.id}?size=small")
    assert r.status_code == 200 and r.data == b"not an image any more"


def test_activity_record_validates_uploads(world):
    b = completed()
    secretary = user("secretary")
    with pytest.raises(ValidationFailed) as err:
        services.save_activity_record(secretary, b, "纪实", [("photo.jpg", b"GIF? no, text pretending")])
    assert "不是图片" in err.value.fields["photos"]
    with pytest.raises(ValidationFailed):
        services.save_activity_record(secretary, b, "纪实", [("big.png", PNG + b"\x00" * services.MAX_PHOTO_BYTES)])
    with pytest.raises(ValidationFailed):
        services.save_activity_record(secretary, b, "纪实", [("p.png", PNG)] * 10)
    services.save_activity_record(secretary, b, "重温入党誓词，参观展馆。", [("a.txt", PNG), ("b.png", JPEG)])
    assert [p.content_type for p in b.photos] == ["image/png", "image/jpeg"]  # by content, not by name
    assert b.activity_summary.startswith("重温")
    with pytest.raises(InvalidState):
        services.save_activity_record(secretary, booking(start=slot_start(2)), "x", [])


def test_photos_only_for_those_who_may_see_the_booking(world, client):
    b = completed()
    services.save_activity_record(user("secretary"), b, "纪实", [("p.png", PNG)])
    photo = b.photos[0]
    url = f"/bookings/{b.id}/photos/{photo.id}"
    assert client.get(url).status_code == 302  # must log in
    login(client, "secretary")
    r = client.get(url)
    from booking.photos import storage as photo_store
    assert r.status_code == 200 and r.data == photo_store.get(photo.stored_name) and r.mimetype == "image/png"
    assert r.data.startswith(b"\x89PNG")
    client.post("/logout")
    login(client, "secretary2")
    assert client.get(url).status_code == 404
    other = completed(secretary="secretary2", start=slot_start(-6))
    assert client.get(f"/bookings/{other.id}/photos/{photo.id}").status_code == 404
    client.post("/logout")
    login(client, "manager")
    assert client.get(url).status_code == 200
    client.post("/logout")
    login(client, "manager2")
    assert client.get(url).status_code == 404


def test_pages_today_check_in_attendance_and_record(world, client):
    b = booking(start=slot_start(0, 9))
    login(client, "manager")
    html = client.get("/manage/today").get_data(as_text=True)
    assert "区财政局第一党支部" in html and 'id="scan-button"' in html
    r = client.post("/manage/check-in", data={"code": b.code})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/bookings/{b.id}#attendance")
    # Reproduced: a mistyped code showed a full 404 page; the desk stays on its check-in form with the message.
    r = client.post("/manage/check-in", data={"code": "ZZZZZZZZ"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/manage/today")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "没有找到这个签到码对应的预约，请核对后重新输入" in html and 'id="scan-button"' in html
    past = booking(secretary="secretary2", start=slot_start(-1))
    client.post(f"/bookings/{past.id}/attendance", data={"visitor_count": "abc"})
    assert db.session.get(type(past), past.id).status == "approved"
    client.post(f"/bookings/{past.id}/attendance", data={"visitor_count": "25"})
    assert db.session.get(type(past), past.id).visitor_count == 25
    client.post("/logout")
    login(client, "secretary2")
    client.post(f"/bookings/{past.id}/feedback", data={"rating": "4", "comment": "很好"})
    from io import BytesIO
    r = client.post(f"/bookings/{past.id}/record", data={"summary": "支部 25 人参加。", "photos": [(BytesIO(PNG), "a.png")]},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    html = client.get(f"/bookings/{past.id}").get_data(as_text=True)
    assert "支部 25 人参加。" in html and "★★★★☆" in html and "活动照片 1" in html and "打印活动记录" in html


def test_check_in_time_uses_local_day(world):
    b = booking(start=slot_start(1))
    manager = user("manager")
    from booking.errors import WrongDay
    with pytest.raises(WrongDay):
        services.check_in(manager, b.code, now=b.starts_at - timedelta(days=1))
    services.check_in(manager, b.code, now=b.starts_at - timedelta(hours=8, minutes=59))  # 00:01 local
    assert clock.local(b.checked_in_at).date() == b.day


def test_the_qr_code_holds_a_check_in_url_that_opens_the_check_in_for_the_manager(world, client, monkeypatch):
    b = booking(start=slot_start(3, 9))
    monkeypatch.setattr(clock, "now", lambda: b.starts_at - timedelta(minutes=20))
    login(client, "secretary")
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert b.code in html and "<svg" in html
    # The QR's content is the URL; segno draws what it was given, so compare with the URL the page encodes.
    import segno
    expected = segno.make(f"http://localhost/c/{b.code}", error="m").svg_inline(scale=4, border=2,
                                                                               title=f"签到码 {b.code}")
    assert expected in html
    # Nobody logged in: the code and what it is for, nothing about the booking.
    client.post("/logout")
    from flask import g
    g.pop("_login_user", None)
    page = client.get(f"/c/{b.code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and b.code in text and b.branch.name not in text and str(b.headcount) + " 人" not in text
    assert client.get("/c/NOSUCHCODE").status_code == 200  # the same page: a scan says nothing about validity
    # The base's manager: straight to the booking's check-in.
    login(client, "manager")
    r = client.get(f"/c/{b.code.lower()}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/bookings/{b.id}#checkin-h")
    # Another base's manager learns nothing.
    client.post("/logout")
    g.pop("_login_user", None)
    login(client, "manager2")
    r = client.get(f"/c/{b.code}")
    assert r.status_code == 200 and b.branch.name not in r.get_data(as_text=True)


def test_a_camera_reading_the_url_checks_in(world, api, monkeypatch):
    b = booking(start=slot_start(3, 9))
    monkeypatch.setattr(clock, "now", lambda: b.starts_at - timedelta(minutes=20))
    done = services.check_in(user("manager"), f"https://booking.example.org/c/{b.code}")
    assert done.id == b.id and done.checked_in_at is not None


def test_a_refused_photo_keeps_the_text_typed_with_it_and_a_wrong_photo_can_be_removed(world, client):
    from models import AuditEntry, BookingPhoto
    from tests.test_visits import JPEG, PNG
    b = completed()
    login(client, "secretary")
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "重温入党誓词，参观展馆。", "photos": [
        (__import__("io").BytesIO(b"not a picture"), "notes.jpg")]}, content_type="multipart/form-data",
        follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "纪实文字已保存，照片未上传" in html and "不是图片" in html
    assert "重温入党誓词，参观展馆。" in html  # on the page again, in the record and in the form
    db.session.expire_all()
    assert db.session.get(type(b), b.id).activity_summary == "重温入党誓词，参观展馆。"
    services.save_activity_record(user("secretary"), db.session.get(type(b), b.id), "", [("a.png", PNG), ("b.jpg", JPEG)])
    first = db.session.scalar(select(BookingPhoto).where(BookingPhoto.booking_id == b.id).order_by(BookingPhoto.id))
    from booking.photos import storage as photo_store
    assert photo_store.get(first.stored_name) is not None
    html = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    assert "删除活动照片 1" in html
    r = client.post(f"/bookings/{b.id}/photos/{first.id}/remove", follow_redirects=True)
    assert "照片已删除" in r.get_data(as_text=True)
    assert photo_store.get(first.stored_name) is None  # its bytes are gone from the store
    db.session.expire_all()
    assert [p.content_type for p in db.session.get(type(b), b.id).photos] == ["image/jpeg"]
    assert db.session.get(BookingPhoto, first.id).removed_by_id == user("secretary").id  # the row stays
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "photo_removed"))
    assert client.get(f"/bookings/{b.id}/photos/{first.id}").status_code == 404
    # Another branch cannot remove anything.
    client.post("/logout")
    from flask import g
    g.pop("_login_user", None)
    login(client, "secretary2")
    second = db.session.get(type(b), b.id).photos[0]
    assert client.post(f"/bookings/{b.id}/photos/{second.id}/remove").status_code in (403, 404)


def test_image_bombs_are_refused_and_photos_kept_upright_small_and_without_metadata(world):
    """Reproduced: a 9400 × 9400 PNG of 280 KB passed the upload checks, and building the record then took 17 s.
    Its pixels are counted before anything is decoded; a phone photo is turned upright, cut to 1600 px on its long
    side and stripped of its EXIF (GPS included) once, at upload."""
    import io
    import time
    from PIL import Image
    from booking.photos import storage as photo_store
    from booking.errors import ValidationFailed
    bomb = io.BytesIO()
    Image.new("1", (9400, 9400)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 300_000
    b = completed()
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as refused:
        services.save_activity_record(user("secretary"), b, "纪实", [("bomb.png", bomb.getvalue())])
    assert "像素过多" in refused.value.fields["photos"] and time.monotonic() - started < 2
    photo = Image.new("RGB", (4000, 3000), (20, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone turned: to be rotated 90°
    exif[0x010F] = "PhoneMaker"
    shot = io.BytesIO()
    photo.save(shot, format="JPEG", exif=exif)
    services.save_activity_record(user("secretary"), db.session.get(type(b), b.id), "纪实", [("合影.jpg", shot.getvalue())])
    kept = Image.open(io.BytesIO(photo_store.get(db.session.get(type(b), b.id).photos[0].stored_name)))
    assert kept.format == "JPEG" and kept.size == (1200, 1600)  # upright: portrait now
    assert not kept.getexif()


def test_the_qr_reader_loads_only_when_scanning_starts(world, client):
    """jsQR (about 250 KB) is not shipped with the today page; the scan button names it, fetched on the first tap."""
    import re
    login(client, "manager")
    html = client.get("/manage/today").get_data(as_text=True)
    assert "jsQR.js\"></script>" not in html
    src = re.search(r'id="scan-button" data-jsqr="([^"]+)"', html).group(1)
    assert client.get(src).status_code == 200


def _noise_jpeg(size, quality=95) -> bytes:
    """A photo as a phone takes it: detail everywhere, so megabytes of JPEG."""
    import io
    import os
    from PIL import Image
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).resize(
        (size[0] * 2, size[1] * 2)).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def test_three_phone_photos_of_3_4_mb_upload_with_their_text(world, client):
    """Reproduced: three 3.4 MB photos answered a bare "413 提交的内容过大" page and the typed summary was lost; the
    form promised nine photos of 5 MB. The request limit, nginx's and the documentation's now agree on 48 MB."""
    import io
    photo = _noise_jpeg((1100, 1100))
    assert 3_000_000 < len(photo) < 5 * 1024 * 1024, len(photo)
    b = completed()
    login(client, "secretary")
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "集中学习，交流发言。", "photos": [
        (io.BytesIO(photo), f"IMG_000{n}.jpg") for n in range(3)]}, content_type="multipart/form-data")
    assert r.status_code == 302
    db.session.expire_all()
    kept = db.session.get(type(b), b.id)
    assert kept.activity_summary == "集中学习，交流发言。" and len(kept.photos) == 3
    assert world.config["MAX_CONTENT_LENGTH"] == services.MAX_RECORD_REQUEST >= 9 * services.MAX_PHOTO_BYTES
    import pathlib
    nginx = (pathlib.Path(__file__).parents[1] / "deploy" / "nginx" / "booking-proxy.conf").read_text()
    assert f"client_max_body_size {services.MAX_RECORD_REQUEST // 1024 // 1024}m;" in nginx
    root = pathlib.Path(__file__).parents[1]
    limit = f"{services.MAX_RECORD_REQUEST // 1024 // 1024} MB"
    assert limit in (root / "README.md").read_text()  # what the user is told
    operations = (root / "docs" / "operations.md").read_text()  # what the operator is told (README links it)
    assert limit in operations and f"client_max_body_size {services.MAX_RECORD_REQUEST // 1024 // 1024}m" in operations


def test_jpeg_comment_blocks_are_dropped(world):
    # Reproduced: a JPEG's comment block (COM) was written again into the photo as kept.
    import io
    from PIL import Image
    from booking.photos import storage as photo_store
    shot = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 90, 160)).save(shot, format="JPEG", comment=b"secret-comment-13900000000")
    assert b"secret-comment" in shot.getvalue()
    b = completed()
    services.save_activity_record(user("secretary"), b, "纪实", [("a.jpg", shot.getvalue())])
    kept = photo_store.get(db.session.get(type(b), b.id).photos[0].stored_name)
    assert b"secret-comment" not in kept and Image.open(io.BytesIO(kept)).size == (640, 480)


def _png_16_bit_rgba(width, height) -> bytes:
    """A 16-bit RGBA PNG (Pillow cannot write one): the costliest photo to decode, all transparent black."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + b"\x00" * (width * 8)
    raw = zlib.compress(row * height, 6)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_the_work_of_one_upload_is_bounded_before_anything_is_decoded(world, monkeypatch):
    """Reproduced: nine 6300×6300 16-bit RGBA PNGs (just under 40 MP each) tied up a worker for 14.5 s. A 16-bit
    or transparent image weighs more; one upload's photos together have a pixel budget; the text is kept."""
    import io
    from PIL import Image
    from booking.photos import images
    heavy = _png_16_bit_rgba(3000, 3000)  # 9 MP, but 16 bits and alpha: 72 MP of work
    assert images.cost(heavy) == 3000 * 3000 * 8
    b = completed()
    from PIL import PngImagePlugin
    decoded = []
    real_load = PngImagePlugin.PngImageFile.load
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", lambda self: decoded.append(1) or real_load(self))
    with pytest.raises(ValidationFailed) as refused:
        services.save_activity_record(user("secretary"), b, "过组织生活。", [("heavy.png", heavy)])
    assert "heavy.png" in refused.value.fields["photos"] and "像素过多" in refused.value.fields["photos"]
    assert decoded == []  # refused from its header: not one pixel decoded
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(type(b), b.id).activity_summary == "过组织生活。"
    # Four 36-megapixel photos: each allowed alone, the fourth over one upload's budget.
    big = io.BytesIO()
    Image.new("RGB", (7200, 5000), (90, 90, 90)).save(big, format="JPEG", quality=70)
    with pytest.raises(ValidationFailed) as refused:
        services.save_activity_record(user("secretary"), db.session.get(type(b), b.id), "",
                                      [(f"p{n}.jpg", big.getvalue()) for n in range(4)])
    assert "p3.jpg" in refused.value.fields["photos"] and "分几次上传" in refused.value.fields["photos"]
    assert db.session.get(type(b), b.id).photos == []
    services.save_activity_record(user("secretary"), db.session.get(type(b), b.id), "",
                                  [(f"p{n}.jpg", big.getvalue()) for n in range(3)])
    assert len(db.session.get(type(b), b.id).photos) == 3


def test_photo_uploads_are_throttled_per_account(world, client):
    import io
    world.config["PHOTOS_PER_HOUR"] = 4
    b = completed()
    login(client, "secretary")
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "", "photos": [
        (io.BytesIO(JPEG), f"{n}.jpg") for n in range(3)]}, content_type="multipart/form-data")
    assert r.status_code == 302
    r = client.post(f"/bookings/{b.id}/record", data={"summary": "过了一次组织生活。", "photos": [
        (io.BytesIO(JPEG), f"{n}.jpg") for n in range(2)]}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "一小时内最多上传 4 张照片" in r.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(type(b), b.id).photos) == 3
    assert db.session.get(type(b), b.id).activity_summary == "过了一次组织生活。"  # the text typed is kept
