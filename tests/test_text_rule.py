"""One input rule for every text, pages and API alike (issue: hardening, third round, item 1): no control,
format or other invisible character, no surrogate, no non-character; and no text already stored can break a
document. Reproduced: `PATCH /api/v1/bases/1 {"name": "红星革命纪念馆\\ufffe"}` answered 200, and then every Word
file holding the name answered 500 ("All strings must be XML compatible")."""
import json
import re

import pytest
from sqlalchemy import update

from models import Base, Branch, db
from tests.conftest import login
from tests.test_documents import _lecture

# U+FFFE/U+FFFF (XML refuses them), a C1 control, the line and paragraph separators, zero-width space and joiner,
# the byte-order mark, bidi overrides and isolates (U+202E shows a name reversed), a lone surrogate, a
# non-character from the U+FDD0 block.
INVISIBLE = ["\ufffe", "\uffff", "\x85", "\u2028", "\u2029", "\u200b", "\u200d", "\ufeff", "\u202a", "\u202e",
             "\u2066", "\u2069", "\ud800", "\ufdd0", "\x0b"]


@pytest.mark.parametrize("ch", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_the_api_refuses_an_invisible_character_in_a_name(world, api, ch):
    body = json.dumps({"name": f"红星革命纪念馆{ch}"})  # escaped as \uXXXX: a lone surrogate travels too
    r = api.patch("/api/v1/bases/1", as_="admin", data=body, content_type="application/json")
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == "validation_error" and "name" in r.get_json()["error"]["fields"]
    assert "\u5b57\u7b26" in r.get_json()["error"]["fields"]["name"]  # 字符
    assert "\ufffe" not in db.session.get(Base, 1).name


def test_ordinary_chinese_text_punctuation_and_emoji_are_kept(world, api):
    name = "红星革命纪念馆（新馆）—“初心”·1921 👍"
    r = api.patch("/api/v1/bases/1", as_="admin", json={"name": name, "visitor_notes": "第一行\n第二行\r\n第三行"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["name"] == name


def _string_fields(spec):
    """Every text field of every request body in the API's own description: (method, path, field)."""
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for name, prop in (body or {}).get("properties", {}).items():
                if prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
                    yield method, re.sub(r"\{[^}]+\}", "1", path), name


def test_every_text_field_of_the_api_refuses_a_bidi_override(world, api, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    fields = list(_string_fields(spec))
    assert len(fields) >= 20
    for method, path, name in fields:
        if name == "password":  # a password is never shown: any character may be part of it
            continue
        r = getattr(api, method)(path, as_="admin", json={name: "正常\u202e文字"})
        assert r.status_code == 422, (method, path, name, r.status_code, r.get_json())
        assert name in r.get_json()["error"]["fields"], (method, path, name, r.get_json())


def test_nested_texts_in_a_body_keep_the_same_rule(world, api):
    from tests.factories import booking, slot_start
    b = booking(start=slot_start(-1), headcount=20)
    r = api.put(f"/api/v1/bookings/{b.id}/roster/attendance", as_="manager",
                json={"present": [], "absent": [{"member_id": 1, "reason": "病假\ufeff"}]})
    assert r.status_code == 422, r.get_json()


def test_a_single_line_api_field_refuses_a_line_break_a_multiline_one_keeps_it(world, api):
    assert api.patch("/api/v1/bases/1", as_="admin", json={"address": "红星路\n1 号"}).status_code == 422
    r = api.patch("/api/v1/bases/1", as_="admin", json={"description": "第一段。\n第二段。"})
    assert r.status_code == 200 and r.get_json()["description"] == "第一段。\n第二段。"


def test_pages_refuse_it_beside_the_field_and_keep_what_was_typed(world, client):
    login(client, "admin")
    r = client.post("/admin/organizations/new", data={"name": "区委\u200b组织部", "sector": "government"})
    page = r.get_data(as_text=True)
    assert r.status_code in (200, 422) and "不可见字符" in page
    login(client, "manager")
    r = client.post("/manage/bases/1", data={"name": "红星革命纪念馆", "type": "red", "address": "红星路 1 号",
                                             "description": "简介\u202e倒过来", "visitor_notes": "",
                                             "contact_name": "周老师", "contact_phone": "021-55550101",
                                             "min_advance_days": "1", "max_advance_days": "60",
                                             "cancel_deadline_hours": "24", "requires_approval": "y"})
    page = r.get_data(as_text=True)
    assert r.status_code in (200, 422) and "不可见字符" in page, r.status_code
    assert "\u202e" not in (db.session.get(Base, 1).description or "")


def test_text_stored_before_the_rule_never_breaks_a_document(world, api, client):
    """Stored behind the rule's back (as an older version let it in): every Word, PDF and XLSX holding the text
    answers 200 and holds none of the characters."""
    b = _lecture(api)
    db.session.execute(update(Base).where(Base.id == b.base_id).values(name="红星革命纪念馆\ufffe\uffff\u202e"))
    db.session.execute(update(Branch).where(Branch.id == b.branch_id).values(name="区财政局第一党支部\ufffe"))
    db.session.commit()
    year = b.starts_at.year
    urls = [(f"/api/v1/bookings/{b.id}/record?format=docx", "secretary"),
            (f"/api/v1/bookings/{b.id}/record?format=pdf", "secretary"),
            (f"/api/v1/branches/{b.branch_id}/records?year={year}&format=docx", "secretary"),
            (f"/api/v1/branches/{b.branch_id}/records?year={year}&format=pdf", "secretary"),
            (f"/api/v1/branches/{b.branch_id}/records?year={year}&format=xlsx", "secretary"),
            ("/api/v1/reports/summary?format=docx", "admin")]
    for url, who in urls:
        r = api.get(url, as_=who)
        assert r.status_code == 200, (url, r.status_code, r.get_data()[:300])
        assert "\ufffe".encode() not in r.get_data() and "\u202e".encode() not in r.get_data(), url
    login(client, "admin")
    for url in ("/reports/summary.docx", "/stats/export.xlsx?group_by=base", "/stats/export.csv?group_by=branch"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        assert "\ufffe".encode() not in r.get_data(), url
