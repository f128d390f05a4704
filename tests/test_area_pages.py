"""The admin's pages for areas (属地) and the area administrator on the admin's organisation, branch, import and
secretary-account pages, inside its own area only."""
import io

import pytest
from sqlalchemy import func, select

from booking.admin import services as admin
from booking.errors import NotAllowed
from models import Area, AuditEntry, Base, Branch, Organization, User, db
from tests.conftest import login


def _area(name) -> Area:
    return db.session.scalar(select(Area).where(Area.name == name))


def _org(name) -> Organization:
    return db.session.scalar(select(Organization).where(Organization.name == name))


def _branch(name) -> Branch:
    return db.session.scalar(select(Branch).where(Branch.name == name))


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _root() -> Area:
    return db.session.scalar(select(Area).where(Area.parent_id.is_(None)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8-sig"))


def _import(client, body: str):
    return client.post("/admin/branches/import", data={"file": (_csv(body), "branches.csv")},
                       content_type="multipart/form-data")


def _error_beside(html: str, field: str) -> str:
    """The message the page shows under one field (the macros' `<field>-error`)."""
    marker = f'id="{field}-error" class="invalid-feedback">'
    assert marker in html, f"no error beside {field}"
    return html.split(marker, 1)[1].split("</div>", 1)[0]


# -- the admin's areas page ------------------------------------------------------------------------

def test_the_areas_page_shows_the_tree_indented_with_what_lies_in_each(world, client):
    login(client, "admin")
    html = client.get("/admin/areas").get_data(as_text=True)
    binjiang, community, red = _area("滨江街道"), _area("滨江社区"), _area("红星社区")
    # Parents before their children, each indented by its depth, with its kind and what lies directly in it.
    assert html.index(">X区<") < html.index(">滨江街道<") < html.index(">滨江社区<") < html.index(">望江社区<")
    assert html.index(">望江社区<") < html.index(">红星街道<") < html.index(">红星社区<")
    row = html.split(f'id="area-{community.id}"', 1)[1].split("</li>", 1)[0]
    assert "ms-5" in row and "社区/村" in row and "党组织 0 个 · 基地 1 个" in row
    row = html.split(f'id="area-{binjiang.id}"', 1)[1].split("</li>", 1)[0]
    assert "ms-3" in row and "ms-5" not in row and "街道/乡镇" in row and "党组织 1 个 · 基地 0 个" in row
    assert "基地 1 个" in html.split(f'id="area-{red.id}"', 1)[1].split("</li>", 1)[0]
    # The parent picker names each area by its trail; adding below an area proposes the kind below its own.
    assert "滨江街道/望江社区</option>" in html and '<option selected value="street">' in html
    html = client.get(f"/admin/areas?parent={binjiang.id}").get_data(as_text=True)
    assert '<option selected value="community">' in html and f'<option selected value="{binjiang.id}">' in html


def test_the_admin_adds_moves_renames_and_deletes_an_area(world, client):
    login(client, "admin")
    root = _root()
    r = client.post("/admin/areas", data={"name": "新城街道", "kind": "street", "parent_id": str(root.id)})
    assert r.status_code == 302
    street = _area("新城街道")
    assert street.parent_id == root.id and street.kind == "street"
    r = client.post("/admin/areas", data={"name": "新城社区", "kind": "community", "parent_id": str(street.id)})
    assert r.status_code == 302
    community = _area("新城社区")
    assert community.path == f"{street.path}{community.id}/"
    # Moved under another street, with its path.
    red = _area("红星街道")
    r = client.post(f"/admin/areas/{community.id}", data={"name": "新城社区", "kind": "community",
                                                          "parent_id": str(red.id)})
    assert r.status_code == 302
    db.session.expire_all()
    community = db.session.get(Area, community.id)
    assert community.parent_id == red.id and community.path == f"{red.path}{community.id}/"
    # Renamed (and its kind kept), where it stays.
    r = client.post(f"/admin/areas/{street.id}", data={"name": "新城镇", "kind": "street", "parent_id": str(root.id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Area, street.id).name == "新城镇"
    assert "新城镇" in client.get("/admin/areas").get_data(as_text=True)
    # Deleted, empty now, after the confirmation page.
    html = client.get(f"/admin/areas/{street.id}/delete").get_data(as_text=True)
    assert "确认删除" in html and "删除后不可恢复" in html
    r = client.post(f"/admin/areas/{street.id}/delete", follow_redirects=True)
    assert "已删除属地“新城镇”" in r.get_data(as_text=True)
    assert db.session.get(Area, street.id) is None
    actions = [a for a, in db.session.execute(select(AuditEntry.action).where(AuditEntry.target_type == "area"))]
    assert actions.count("area_saved") == 4 and actions.count("area_removed") == 1


def test_refusals_show_beside_their_fields(world, client):
    login(client, "admin")
    binjiang, community = _area("滨江街道"), _area("滨江社区")
    # A street under a community: the kind does not fit.
    r = client.post("/admin/areas", data={"name": "错层街道", "kind": "street", "parent_id": str(community.id)})
    assert r.status_code == 422
    assert "不能设在社区/村“滨江社区”之下" in _error_beside(r.get_data(as_text=True), "kind")
    assert _area("错层街道") is None
    # The same name twice under one parent.
    r = client.post("/admin/areas", data={"name": "滨江社区", "kind": "community", "parent_id": str(binjiang.id)})
    assert r.status_code == 422 and "已有同名属地" in _error_beside(r.get_data(as_text=True), "name")
    # Moved under its own descendant.
    r = client.post(f"/admin/areas/{binjiang.id}", data={"name": "滨江街道", "kind": "street",
                                                         "parent_id": str(community.id)})
    assert r.status_code == 422
    assert "不能移到它自己或它的下级属地之下" in _error_beside(r.get_data(as_text=True), "parent_id")
    db.session.expire_all()
    assert db.session.get(Area, binjiang.id).parent_id == _root().id


def test_an_area_in_which_anything_lies_is_never_deleted(world, client):
    login(client, "admin")
    binjiang = _area("滨江街道")
    html = client.get(f"/admin/areas/{binjiang.id}/delete").get_data(as_text=True)
    assert "确认删除" not in html and "下级属地 2 个、党组织 1 个、账号或大屏链接 1 个" in html
    r = client.post(f"/admin/areas/{binjiang.id}/delete", follow_redirects=True)
    assert "该属地下还有下级属地、党组织、基地或账号，不能删除。" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Area, binjiang.id) is not None
    # Nor the root, which has no delete link at all.
    assert "删除“X区”" not in client.get(f"/admin/areas/{_root().id}").get_data(as_text=True)
    client.post(f"/admin/areas/{_root().id}/delete")
    assert _root() is not None


# -- organisations and bases placed in areas --------------------------------------------------------

def test_an_organisation_is_placed_in_an_area_and_the_list_filters_by_area(world, client):
    login(client, "admin")
    wangjiang = _area("望江社区")
    html = client.get("/admin/organizations/new").get_data(as_text=True)
    assert f'<option selected value="{_root().id}">X区</option>' in html  # the root by default
    r = client.post("/admin/organizations/new", data={"name": "望江社区党委", "sector": "community",
                                                      "area_id": str(wangjiang.id)})
    assert r.status_code == 302
    org = _org("望江社区党委")
    assert org.area_id == wangjiang.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organization_saved",
                                                      AuditEntry.target_id == org.id))
    assert "滨江街道/望江社区" in entry.detail
    html = client.get(f"/admin/organizations?area={_area('滨江街道').id}").get_data(as_text=True)
    assert "望江社区党委" in html and "滨江街道党工委" in html and "区直机关工委" not in html
    assert "属地：滨江街道/望江社区" in html
    html = client.get(f"/admin/organizations?area={_area('红星街道').id}").get_data(as_text=True)
    assert "望江社区党委" not in html
    # Moved to another area on its page.
    r = client.post(f"/admin/organizations/{org.id}", data={"name": "望江社区党委", "sector": "community",
                                                             "area_id": str(_area("红星社区").id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert _org("望江社区党委").area_id == _area("红星社区").id


def test_the_admin_places_a_base_and_a_manager_cannot(world, client):
    login(client, "admin")
    kechuang = _area("科创园街道")
    r = client.post("/admin/bases", data={"name": "科创园党群驿站", "type": "welfare", "address": "科创园",
                                          "description": "", "area_id": str(kechuang.id)})
    assert r.status_code == 302
    base = db.session.scalar(select(Base).where(Base.name == "科创园党群驿站"))
    assert base.area_id == kechuang.id
    html = client.get(f"/admin/bases?area={kechuang.id}").get_data(as_text=True)
    assert "科创园党群驿站" in html and "智造科技创新基地" in html and "红星革命纪念馆" not in html
    red = db.session.scalar(select(Base).where(Base.name == "红星革命纪念馆"))
    assert "属地：红星街道/红星社区" in client.get("/admin/bases").get_data(as_text=True)
    r = client.post(f"/admin/bases/{red.id}/area", data={"area_id": str(kechuang.id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Base, red.id).area_id == kechuang.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "base_updated",
                                                      AuditEntry.target_id == red.id)) is not None
    # A base's manager changes no area: neither the page nor the service lets it.
    client.post("/logout")
    login(client, "manager")
    assert client.get(f"/admin/bases/{red.id}/area").status_code == 403
    assert client.post(f"/admin/bases/{red.id}/area", data={"area_id": str(_root().id)}).status_code == 403
    assert 'name="area_id"' not in client.get(f"/manage/bases/{red.id}").get_data(as_text=True)
    with pytest.raises(NotAllowed):
        admin.place_base(_user("manager"), db.session.get(Base, red.id), _root().id)
    db.session.expire_all()
    assert db.session.get(Base, red.id).area_id == kechuang.id


# -- the import's 所属属地 column ---------------------------------------------------------------------

def test_the_import_places_new_organisations_by_the_area_column(world, client):
    login(client, "admin")
    body = ("党组织,所属领域,支部名称,所属属地\n"
            "望江社区党委,街道社区,望江第一党支部,滨江街道/望江社区\n"
            "望江社区党委,街道社区,望江第二党支部,\n"
            "滨江街道党工委,街道社区,滨江第三党支部,滨江街道\n"
            "区科协党组,机关,区科协机关党支部,\n"
            "红星社区党委,街道社区,红星第一党支部,红星社区\n")
    r = _import(client, body)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _org("望江社区党委").area_id == _area("望江社区").id
    assert len(_org("望江社区党委").branches) == 2
    assert _branch("滨江第三党支部").organization.area_id == _area("滨江街道").id
    assert _org("区科协党组").area_id == _root().id
    assert _org("红星社区党委").area_id == _area("红星社区").id  # a name unique in the tree will do


def test_the_template_has_the_area_column(world, client):
    login(client, "admin")
    header, sample = client.get("/admin/branches/template.csv").data.decode("utf-8-sig").splitlines()[:2]
    columns = header.split(",")
    assert "所属属地" in columns and sample.split(",")[columns.index("所属属地")] == "X区"


def test_an_unknown_area_or_another_area_for_an_existing_organisation_refuses_the_file(world, client):
    login(client, "admin")
    branches, orgs = _count(Branch), _count(Organization)
    body = ("党组织,所属领域,支部名称,所属属地\n"
            "望江社区党委,街道社区,望江第一党支部,滨江街道/望江社区\n"
            "东湖社区党委,街道社区,东湖第一党支部,滨江街道/东湖社区\n"
            "区直机关工委,机关,区审计局党支部,红星街道\n"
            "甲党委,机关,甲支部,滨江街道/望江社区\n"
            "甲党委,机关,乙支部,红星街道\n")
    r = _import(client, body)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "第 3 行：所属属地“滨江街道/东湖社区”不存在" in html
    assert "第 4 行：党组织“区直机关工委”属于“X区”，与所填所属属地“红星街道”不符" in html
    assert "第 6 行：党组织“甲党委”的所属属地与第 5 行所填不同" in html
    assert "第 2 行" not in html
    assert _count(Branch) == branches and _count(Organization) == orgs


# -- the area administrator on the admin's pages ---------------------------------------------------

def test_an_area_admin_imports_only_into_its_own_area(world, client):
    login(client, "street")
    branches = _count(Branch)
    for body, line_error in (
            ("党组织,所属领域,支部名称,所属属地\n红星社区党委,街道社区,红星第一党支部,红星街道/红星社区\n",
             "第 2 行：所属属地“红星街道/红星社区”不在您管理的属地范围内"),
            ("党组织,所属领域,支部名称\n区直机关工委,机关,区审计局党支部\n",
             "第 2 行：党组织“区直机关工委”不在您管理的属地范围内")):
        r = _import(client, body)
        assert r.status_code == 422 and line_error in r.get_data(as_text=True)
    assert _count(Branch) == branches
    body = ("党组织,所属领域,支部名称,所属属地,书记姓名,书记用户名\n"
            "滨江街道党工委,街道社区,滨江第三党支部,,钱书记,qian-sec\n"
            "望江社区党委,街道社区,望江第一党支部,滨江街道/望江社区,,\n"
            "滨江商圈联合党委,两新组织,商圈第一党支部,,,\n")
    r = _import(client, body)
    assert r.status_code == 200 and "下载账号表" in r.get_data(as_text=True)
    assert _org("望江社区党委").area_id == _area("望江社区").id
    assert _org("滨江商圈联合党委").area_id == _area("滨江街道").id  # its own area when the column is empty
    assert _user("qian-sec").branch_id == _branch("滨江第三党支部").id


def test_an_area_admin_sees_only_its_subtree(world, client):
    login(client, "street")
    html = client.get("/admin/organizations").get_data(as_text=True)
    assert "滨江街道党工委" in html and "滨江社区党支部" in html and "望江社区党支部" in html
    assert "区直机关工委" not in html and "区财政局第一党支部" not in html and "星火科技" not in html
    # The area filter offers its own area and those below only.
    assert "滨江街道/望江社区</option>" in html and "红星街道</option>" not in html
    assert client.get(f"/admin/organizations/{_org('滨江街道党工委').id}").status_code == 200
    assert client.get(f"/admin/branches/{_branch('望江社区党支部').id}").status_code == 200
    assert client.get(f"/admin/organizations/{_org('区直机关工委').id}").status_code == 404
    assert client.get(f"/admin/branches/{_branch('区财政局第一党支部').id}").status_code == 404
    assert client.post(f"/admin/branches/{_branch('区财政局第一党支部').id}",
                       data={"organization_id": str(_org("滨江街道党工委").id), "name": "夺来的支部"}).status_code == 404
    html = client.get("/admin/users").get_data(as_text=True)
    assert ">secretary2</span>" in html
    assert ">secretary</span>" not in html and ">manager</span>" not in html and ">admin</span>" not in html
    assert client.get(f"/admin/users/{_user('secretary2').id}").status_code == 200
    for other in ("secretary", "admin", "manager", "street", "lecturer"):
        assert client.get(f"/admin/users/{_user(other).id}").status_code == 404, other
    assert client.post(f"/admin/users/{_user('secretary').id}/password",
                       data={"password": "taken-over-9"}).status_code == 404
    assert client.post(f"/admin/users/{_user('secretary').id}/active").status_code == 404
    db.session.expire_all()
    assert _user("secretary").active and _user("secretary").check_password("demo-pass-2026")


@pytest.mark.parametrize("path", ["/admin/", "/admin/bases", "/admin/bases/1/area", "/admin/lecturers",
                                  "/admin/lecturers/new", "/admin/holidays", "/admin/audit", "/admin/areas",
                                  "/admin/areas/1", "/admin/areas/2/delete"])
def test_an_area_admin_has_nothing_else_of_admin(world, client, path):
    login(client, "street")
    assert client.get(path).status_code == 403


def test_an_area_admin_changes_nothing_else_of_admin(world, client):
    login(client, "street")
    binjiang = _area("滨江街道")
    for path, data in (("/admin/areas", {"name": "偷建社区", "kind": "community", "parent_id": str(binjiang.id)}),
                       (f"/admin/areas/{binjiang.id}/delete", {}),
                       ("/admin/bases", {"name": "偷建基地", "type": "red", "address": "", "description": ""}),
                       ("/admin/bases/1/active", {}), ("/admin/mail/retry", {})):
        assert client.post(path, data=data).status_code == 403, path
    assert _area("偷建社区") is None and db.session.get(Base, 1).active


def test_an_area_admin_places_organisations_in_its_area_only(world, client):
    login(client, "street")
    html = client.get("/admin/organizations/new").get_data(as_text=True)
    assert f'<option selected value="{_area("滨江街道").id}">滨江街道</option>' in html and "红星街道<" not in html
    r = client.post("/admin/organizations/new", data={"name": "红星社区党委", "sector": "community",
                                                      "area_id": str(_area("红星社区").id)})
    assert r.status_code == 200
    assert _error_beside(r.get_data(as_text=True), "area_id") == "只能选择本属地或其下级属地。"
    assert _org("红星社区党委") is None
    r = client.post("/admin/organizations/new", data={"name": "望江社区党委", "sector": "community",
                                                      "area_id": str(_area("望江社区").id)})
    assert r.status_code == 302 and _org("望江社区党委").area_id == _area("望江社区").id
    # A branch only under its own organisations.
    r = client.post("/admin/branches/new", data={"organization_id": str(_org("区直机关工委").id), "name": "偷建支部"})
    assert r.status_code == 200 and _branch("偷建支部") is None
    r = client.post("/admin/branches/new", data={"organization_id": str(_org("望江社区党委").id), "name": "望江一支部"})
    assert r.status_code == 302 and _branch("望江一支部").organization.name == "望江社区党委"


def test_an_area_admin_keeps_its_secretaries_accounts(world, client):
    login(client, "street")
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert "望江社区党支部" in html and "区财政局第一党支部" not in html
    assert 'name="base_ids"' not in html and 'name="lecturer_id"' not in html and 'name="area_id"' not in html
    account = {"username": "wang-sec", "display_name": "汪书记", "role": "secretary", "password": "password-123"}
    r = client.post("/admin/users/new", data={**account, "branch_id": str(_branch("区财政局第一党支部").id)})
    assert r.status_code == 200 and _user("wang-sec") is None
    assert _error_beside(r.get_data(as_text=True), "branch_id")
    r = client.post("/admin/users/new", data={**account, "role": "admin",
                                              "branch_id": str(_branch("望江社区党支部").id)})
    assert r.status_code == 200 and _user("wang-sec") is None
    r = client.post("/admin/users/new", data={**account, "branch_id": str(_branch("望江社区党支部").id)})
    assert r.status_code == 302
    made = _user("wang-sec")
    assert made.role == "secretary" and made.branch_id == _branch("望江社区党支部").id and made.must_change_password
    # Reset its password, deactivate and reactivate it.
    assert client.post(f"/admin/users/{made.id}/password", data={"password": "new-pass-2027"}).status_code == 302
    assert client.post(f"/admin/users/{made.id}/active").status_code == 302
    db.session.expire_all()
    made = _user("wang-sec")
    assert made.check_password("new-pass-2027") and not made.active
    assert client.post(f"/admin/users/{made.id}/active").status_code == 302
    db.session.expire_all()
    assert _user("wang-sec").active
    # Moved to another of its branches, never to one outside.
    r = client.post(f"/admin/users/{made.id}", data={"display_name": "汪书记", "email": "", "phone": "",
                                                     "branch_id": str(_branch("区财政局第一党支部").id)})
    assert r.status_code == 200
    db.session.expire_all()
    assert _user("wang-sec").branch_id == _branch("望江社区党支部").id


def test_the_admin_creates_an_area_admin_with_its_area(world, client):
    login(client, "admin")
    html = client.get("/admin/users/new").get_data(as_text=True)
    assert '<option value="area_admin">街道社区管理员</option>' in html and "红星街道/红星社区</option>" in html
    account = {"username": "hongxing", "display_name": "孙主任", "role": "area_admin", "password": "password-123",
               "branch_id": "0", "lecturer_id": "0"}
    r = client.post("/admin/users/new", data={**account, "area_id": "0"})
    assert r.status_code == 200 and _user("hongxing") is None
    assert _error_beside(r.get_data(as_text=True), "area_id") == "街道社区管理员必须关联一个属地。"
    r = client.post("/admin/users/new", data={**account, "area_id": str(_area("红星街道").id)})
    assert r.status_code == 302
    made = _user("hongxing")
    assert made.role == "area_admin" and made.area_id == _area("红星街道").id
    # Its area changed on its page; the list names it.
    r = client.post(f"/admin/users/{made.id}", data={"display_name": "孙主任", "email": "", "phone": "",
                                                     "area_id": str(_area("红星社区").id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert _user("hongxing").area_id == _area("红星社区").id
    assert "红星街道/红星社区" in client.get("/admin/users?role=area_admin").get_data(as_text=True)
