"""The district administrator's pages: accounts, organisations and branches, bases, the lecturer pool."""
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking import clock
from booking.documents import exports
from booking.catalog import holidays
from booking.notify import services as notify
from booking.series import services as series
from booking import permissions
from booking.admin import forms, services
from booking.areas import services as areas
from booking.auth import services as accounts
from booking.web.errors import on_refusal
from booking.web.views import paginate
from models import ROLES, Area, Base, Lecturer, db
from models.area import KIND_ORDER
from models.audit import AUDIT_ACTIONS, AUDIT_TARGETS

bp = Blueprint("admin", __name__, url_prefix="/admin")


# What an area administrator does here, inside its own area: organisations, branches and their import, and its
# branches' secretaries' accounts. Every other page under /admin is the district administrator's alone.
AREA_ADMIN_PAGES = frozenset({
    "admin.organizations", "admin.organization", "admin.branch", "admin.branch_import", "admin.credentials",
    "admin.branch_template", "admin.users", "admin.user_new", "admin.user", "admin.user_password",
    "admin.user_active"})


@bp.before_request
@login_required
def only_admins():
    """Every page here is the district administrator's; an area administrator has the few above, for its area."""
    if current_user.role == "admin":
        return None
    if request.endpoint in AREA_ADMIN_PAGES and permissions.keeps_branches(current_user):
        return None
    abort(403)


@bp.get("/")
def index():
    """The administrator's overview."""
    return render_template("admin/index.html", overview=services.overview(current_user))


@bp.post("/mail/<any(retry, discard):action>")
def undelivered_mail(action):
    """Try the undelivered emails again, or give them up (their notifications stay in the app)."""
    if action == "retry":
        flash(f"已安排重发 {notify.retry_undelivered(current_user)} 封邮件，将在一分钟内发送。", "success")
    else:
        flash(f"已放弃 {notify.discard_undelivered(current_user)} 封邮件（站内通知仍在）。", "success")
    return redirect(url_for(".index"))


# -- users ---------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    """Accounts, searchable and filtered by role (an area administrator: its branches' secretaries)."""
    q = (request.args.get("q") or "").strip()[:64]
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = paginate(services.users_query(current_user, q, role), per_page=20)
    return render_template("admin/users.html", page=page, q=q, role=role, area_labels=services.area_labels())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create an account (an area administrator: a secretary of one of its branches)."""
    form = forms.UserForm()
    choices = services.account_choices(current_user)
    form.role.choices = [("", "请选择角色")] + choices.roles
    form.branch_id.choices = choices.branches
    if current_user.role == "admin":
        form.base_ids.choices = choices.bases
        form.lecturer_id.choices = [(0, "自动新建讲师档案")] + choices.free_lecturers
        form.area_id.choices = [(0, "—")] + choices.areas
    else:  # a secretary of its own branches, nothing else to choose
        del form.base_ids, form.lecturer_id, form.area_id
        if request.method == "GET":
            form.role.data = "secretary"
    if form.validate_on_submit():
        on_refusal("admin/user_new.html", fields=form, status=200, form=form)
        user = accounts.create_user(
            current_user, username=form.username.data, password=form.password.data, role=form.role.data,
            display_name=form.display_name.data, email=form.email.data, phone=form.phone.data,
            branch_id=form.branch_id.data or None, base_ids=(form.base_ids.data or []) if form.base_ids is not None else [],
            lecturer_id=(form.lecturer_id.data or None) if form.lecturer_id is not None else None,
            area_id=(form.area_id.data or None) if form.area_id is not None else None, must_change_password=True)
        flash(f"账号 {user.username} 已创建，首次登录时需设置新密码。", "success")
        return redirect(url_for(".user", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
def user(user_id):
    """Edit an account: name, contact, branch, bases or area; reset its password; deactivate it."""
    user = services.account_for(current_user, user_id)
    form = forms.UserEditForm(obj=user, base_ids=user.base_ids)
    choices = services.account_choices(current_user)
    # Only what the account's role links it to is on the page (and so in the form).
    if user.role == "secretary":
        form.branch_id.choices = choices.branches
        if request.method == "GET":
            form.branch_id.data = user.branch_id or 0
    else:
        del form.branch_id
    if user.role == "manager":
        form.base_ids.choices = choices.bases
    else:
        del form.base_ids
    if user.role == "area_admin":
        form.area_id.choices = choices.areas
    else:
        del form.area_id
    page = dict(user=user, form=form, password_form=forms.PasswordForm(formdata=None),
                area_label=services.area_labels().get(user.area_id) if user.area_id else None)
    if form.validate_on_submit():
        on_refusal("admin/user.html", fields=form, status=200, **page)
        accounts.update_user(current_user, user, display_name=form.display_name.data, email=form.email.data,
                             phone=form.phone.data, branch_id=(form.branch_id.data or None) if form.branch_id is not None else None,
                             base_ids=(form.base_ids.data or []) if form.base_ids is not None else [],
                             area_id=form.area_id.data if form.area_id is not None else None)
        flash("账号信息已保存。", "success")
        return redirect(url_for(".user", user_id=user.id))
    return render_template("admin/user.html", **page)


@bp.post("/users/<id:user_id>/password")
def user_password(user_id):
    """Reset a user's password (their API tokens are revoked)."""
    user = services.account_for(current_user, user_id)
    form = forms.PasswordForm()
    back = url_for(".user", user_id=user.id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for m in errors:
                flash(m, "danger")
        return redirect(back)
    on_refusal(redirect_to=back)
    accounts.reset_password(current_user, user, form.password.data)
    flash("密码已重置：该用户下次登录时需设置新密码，其 API 令牌已全部失效。", "success")
    return redirect(back)


@bp.post("/users/<id:user_id>/active")
def user_active(user_id):
    """Deactivate or reactivate an account."""
    user = services.account_for(current_user, user_id)
    on_refusal(redirect_to=url_for(".user", user_id=user.id))
    accounts.set_active(current_user, user, not user.active)
    flash("账号已启用。" if user.active else "账号已停用，该用户无法再登录。", "success")
    return redirect(url_for(".user", user_id=user.id))


# -- organisations and branches ------------------------------------------------------------------

@bp.get("/organizations")
def organizations():
    """Organisations with their branches, searchable and narrowed to an area (an area administrator: its own)."""
    q = (request.args.get("q") or "").strip()[:100]
    area_id = request.args.get("area", type=int)
    page = paginate(services.organizations_query(current_user, q, area_id), per_page=20)
    return render_template("admin/organizations.html", page=page, q=q, area_id=area_id,
                           secretaries=services.branch_secretaries(page.items),
                           area_choices=areas.choices(current_user), area_labels=services.area_labels(),
                           import_form=forms.ImportForm(formdata=None))


@bp.route("/organizations/new", methods=["GET", "POST"])
@bp.route("/organizations/<id:org_id>", methods=["GET", "POST"])
def organization(org_id=None):
    """Create or edit an organisation, and place it in an area."""
    org = services.organization_for(current_user, org_id) if org_id else None
    form = forms.OrganizationForm(obj=org)
    form.area_id.choices = areas.choices(current_user)
    if request.method == "GET" and org is None:
        form.area_id.data = services.default_area_id(current_user)
    if form.validate_on_submit():
        on_refusal("admin/organization.html", fields=form, status=200, org=org, form=form)
        org = services.save_organization(current_user, org, name=form.name.data, sector=form.sector.data,
                                         area_id=form.area_id.data)
        flash("党组织已保存。", "success")
        return redirect(url_for(".organizations", q=org.name))
    return render_template("admin/organization.html", org=org, form=form)


@bp.route("/branches/new", methods=["GET", "POST"])
@bp.route("/branches/<id:branch_id>", methods=["GET", "POST"])
def branch(branch_id=None):
    """Create or edit a branch."""
    branch = services.branch_for(current_user, branch_id) if branch_id else None
    form = forms.BranchForm(obj=branch)
    form.organization_id.choices = services.organization_choices(current_user)
    if request.method == "GET" and branch is None and request.args.get("org", "").isdigit():
        form.organization_id.data = int(request.args["org"])
    if form.validate_on_submit():
        on_refusal("admin/branch.html", fields=form, status=200, branch=branch, form=form)
        branch = services.save_branch(current_user, branch, organization_id=form.organization_id.data,
                                      name=form.name.data, contact_name=form.contact_name.data,
                                      contact_phone=form.contact_phone.data, active=form.active.data)
        flash("党支部已保存。", "success")
        return redirect(url_for(".organizations", q=branch.name))
    return render_template("admin/branch.html", branch=branch, form=form)


@bp.post("/branches/import")
def branch_import():
    """Import branches from a CSV or XLSX file."""
    form = forms.ImportForm()
    if not form.validate_on_submit():
        flash("请选择要导入的 CSV 或 Excel 文件。", "danger")
        return redirect(url_for(".organizations"))
    upload = form.file.data
    on_refusal(redirect_to=url_for(".organizations"))
    result = services.import_branches(current_user, upload.filename or "", upload.read())
    if result.errors:
        return render_template("admin/import_result.html", result=result), 422
    message = f"导入完成：新增支部 {result.created} 个，已存在跳过 {result.skipped} 个，新建党组织 {result.organizations_created} 个"
    if result.accounts_created or result.accounts_skipped:
        message += f"；新建书记账号 {result.accounts_created} 个，已有账号跳过 {result.accounts_skipped} 个"
    flash(message + "。", "success")
    if result.sheet_id:  # the one-time passwords: downloaded from the page that follows, once
        return render_template("admin/import_result.html", result=result)
    return redirect(url_for(".organizations"))


@bp.post("/credentials/<id:sheet_id>")
def credentials(sheet_id):
    """The import's one-time passwords as XLSX, handed over once (a POST, so no link preview can take it)."""
    on_refusal(redirect_to=url_for(".organizations"))
    data = services.take_credential_sheet(current_user, sheet_id)
    return exports.attachment(data, exports.XLSX_MIME, f"党支部书记账号与初始密码-{sheet_id}.xlsx")


@bp.get("/branches/template.csv")
def branch_template():
    """An example file for the import."""
    return exports.download("csv", "党支部导入模板", "", "", list(services.IMPORT_COLUMNS), services.import_template_rows())


# -- bases ---------------------------------------------------------------------------------------

def _bases_page(form=None):
    """What the bases page shows: the bases (of an area, when one is asked) with where each lies, and the form of a
    new base."""
    area_id = request.args.get("area", type=int)
    choices = areas.choices(current_user)
    if form is None:
        form = forms.NewBaseForm(formdata=None)
        form.area_id.data = services.default_area_id(current_user)
    form.area_id.choices = choices
    return dict(bases=services.all_bases(area_id), form=form, area_id=area_id, area_choices=choices,
                area_labels=services.area_labels())


@bp.get("/bases")
def bases():
    """All bases, including those taken off the catalogue, narrowed to an area when one is asked."""
    return render_template("admin/bases.html", **_bases_page())


@bp.post("/bases")
def base_new():
    """Open a new base in an area; the page for its rules, venues and menu follows."""
    form = forms.NewBaseForm()
    page = _bases_page(form)
    if form.validate_on_submit():
        on_refusal("admin/bases.html", fields=form, **page)
        base = services.create_base(current_user, name=form.name.data, type=form.type.data,
                                    address=form.address.data or "", description=form.description.data or "",
                                    area_id=form.area_id.data)
        flash("基地已创建，请继续设置场馆、开放时段和菜单。", "success")
        return redirect(url_for("manage.base", base_id=base.id))
    return render_template("admin/bases.html", **page), 422


@bp.route("/bases/<id:base_id>/area", methods=["GET", "POST"])
def base_area(base_id):
    """Where a base lies: the admin moves it to another area (its managers never do)."""
    base = services.get(Base, base_id, "基地")
    form = forms.BaseAreaForm(obj=base)
    form.area_id.choices = areas.choices(current_user)
    if form.validate_on_submit():
        on_refusal("admin/base_area.html", fields=form, status=422, base=base, form=form)
        services.place_base(current_user, base, form.area_id.data)
        flash(f"已将“{base.name}”调整到“{services.area_labels().get(base.area_id)}”。", "success")
        return redirect(url_for(".bases"))
    return render_template("admin/base_area.html", base=base, form=form), 422 if form.errors else 200


@bp.post("/bases/<id:base_id>/active")
def base_active(base_id):
    """Take a base off the catalogue or put it back."""
    base = services.get(Base, base_id, "基地")
    services.set_base_active(current_user, base, not base.active)
    flash("基地已上线。" if base.active else "基地已下线，已有预约和记录保留。", "success")
    return redirect(url_for(".bases"))


# -- areas ---------------------------------------------------------------------------------------

@bp.route("/areas", methods=["GET", "POST"], endpoint="areas")
def area_list():
    """The tree of areas, indented, with what lies directly in each; the form of a new area."""
    form = forms.AreaForm()
    form.parent_id.choices = areas.choices(current_user)
    if request.method == "GET":  # under the area asked (the root by default), one kind below it
        parent = db.session.get(Area, request.args.get("parent", type=int) or 0) or areas.root()
        form.parent_id.data = parent.id
        form.kind.data = KIND_ORDER[min(KIND_ORDER.index(parent.kind) + 1, len(KIND_ORDER) - 1)]
    page = dict(form=form, rows=services.area_tree())
    if form.validate_on_submit():
        on_refusal("admin/areas.html", fields=form, status=422, **page)
        area = areas.create(current_user, name=form.name.data, kind=form.kind.data, parent_id=form.parent_id.data)
        flash(f"已添加{area.kind_label}“{area.name}”。", "success")
        return redirect(url_for(".areas", _anchor=f"area-{area.id}"))
    return render_template("admin/areas.html", **page), 422 if form.errors else 200


@bp.route("/areas/<id:area_id>", methods=["GET", "POST"])
def area(area_id):
    """Rename an area, change its kind, or move it (with everything below it) under another area."""
    area = areas.get(area_id)
    form = forms.AreaForm(obj=area)
    if area.parent_id is None:  # the root stays where it is
        del form.parent_id
    else:
        form.parent_id.choices = areas.choices(current_user)
    page = dict(area=area, form=form, trail=areas.trail(area), holdings=areas.holdings(area))
    if form.validate_on_submit():
        on_refusal("admin/area.html", fields=form, status=422, **page)
        move = form.parent_id is not None and form.parent_id.data != area.parent_id
        area = areas.change(current_user, area, name=form.name.data, kind=form.kind.data,
                            parent_id=form.parent_id.data if move else None, move=move)
        flash(f"已保存{area.kind_label}“{area.name}”。", "success")
        return redirect(url_for(".areas", _anchor=f"area-{area.id}"))
    return render_template("admin/area.html", **page), 422 if form.errors else 200


@bp.route("/areas/<id:area_id>/delete", methods=["GET", "POST"])
def area_delete(area_id):
    """Remove an empty area, after a confirmation; one in which anything lies is kept (the service says why)."""
    area = areas.get(area_id)
    if request.method == "POST":
        on_refusal(redirect_to=url_for(".area_delete", area_id=area.id))
        name = area.name
        areas.delete(current_user, area)
        flash(f"已删除属地“{name}”。", "success")
        return redirect(url_for(".areas"))
    return render_template("admin/area_delete.html", area=area, trail=areas.trail(area),
                           holdings=areas.holdings(area))


# -- lecturers -----------------------------------------------------------------------------------

@bp.get("/lecturers")
def lecturers():
    """The lecturer pool."""
    q = (request.args.get("q") or "").strip()[:60]
    page = paginate(services.lecturers_query(q), per_page=20)
    return render_template("admin/lecturers.html", page=page, q=q)


@bp.route("/lecturers/new", methods=["GET", "POST"])
@bp.route("/lecturers/<id:lecturer_id>", methods=["GET", "POST"])
def lecturer(lecturer_id=None):
    """Create or edit a lecturer's profile."""
    lecturer = services.get(Lecturer, lecturer_id, "讲师") if lecturer_id else None
    form = forms.LecturerForm(obj=lecturer)
    if not isinstance(form.topics.data, str):  # the profile's list of topics (a form that left them out too)
        form.topics.data = "、".join(form.topics.data or [])
    if form.validate_on_submit():
        on_refusal("admin/lecturer.html", fields=form, status=200, lecturer=lecturer, form=form)
        lecturer = services.save_lecturer(
            current_user, lecturer, name=form.name.data, category=form.category.data,
            topics=re.split(r"[,，、;；\s]+", form.topics.data or ""), bio=form.bio.data or "",
            phone=form.phone.data, active=form.active.data, monthly_limit=form.monthly_limit.data)
        flash("讲师档案已保存。", "success")
        return redirect(url_for(".lecturers"))
    return render_template("admin/lecturer.html", lecturer=lecturer, form=form)


# -- the holiday calendar -----------------------------------------------------------------------

@bp.route("/holidays", methods=["GET", "POST"])
def holiday_calendar():
    """A year's public holidays and make-up workdays; add or correct a day, import a year, remove a wrong one."""
    year = min(max(request.args.get("year", type=int) or clock.local_today().year, 2000), 2100)
    form = forms.HolidayForm()
    calendar = services.holiday_year(year)
    page = dict(year=year, form=form, items=calendar.items, known=calendar.known, import_form=forms.ImportForm(formdata=None))
    if form.validate_on_submit():
        on_refusal("admin/holidays.html", fields=form, status=422, **page)
        if form.kind.data == "holiday" and not request.form.get("confirmed"):
            reach = series.impact([form.day.data])
            if reach.total:  # the admin sees what the day does to the plans before it is saved
                return render_template("admin/holidays.html", **page, impact=reach), 200
        _, done = series.save_holiday(current_user, form.day.data, form.name.data, form.kind.data)
        flash(f"已保存：{clock.day_text(form.day.data)} {form.name.data.strip()}。"
              + (f"固定预约：跳过 {done.planned} 个待预约日期，系统取消 {done.booked} 个预约，已通知相关支部。"
                 if done.total else ""), "success")
        return redirect(url_for(".holiday_calendar", year=form.day.data.year))
    return render_template("admin/holidays.html", **page), 422 if form.errors else 200


@bp.post("/holidays/<day>/delete")
def holiday_delete(day):
    """Remove a wrongly entered day."""
    try:
        parsed = clock.parse_date(day)
    except ValueError:
        abort(404)
    on_refusal(redirect_to=url_for(".holiday_calendar", year=parsed.year))
    holidays.remove(current_user, parsed)
    flash("已删除。", "success")
    return redirect(url_for(".holiday_calendar", year=parsed.year))


@bp.post("/holidays/import")
def holiday_import():
    """A year's list from CSV or XLSX (日期, 名称, 类型)."""
    form = forms.ImportForm()
    back = url_for(".holiday_calendar")
    if not form.validate_on_submit():
        flash("请选择要导入的 CSV 或 Excel 文件。", "danger")
        return redirect(back)
    on_refusal(redirect_to=back)
    upload = form.file.data
    result, done = series.import_holidays(current_user, upload.filename or "", upload.read())
    if result.errors:
        for e in result.errors[:20]:
            flash(e, "danger")
        flash("文件有错误，未导入任何日期。", "danger")
        return redirect(back)
    flash(f"已导入 {result.saved} 天。" + (f"固定预约：跳过 {done.planned} 个待预约日期，系统取消 {done.booked} 个预约，"
                                        "已通知相关支部。" if done.total else ""), "success")
    # The year imported, not today's: the page shows what was just entered.
    years = sorted({d.year for d in result.holidays}) if result.holidays else []
    return redirect(url_for(".holiday_calendar", year=years[0]) if years else back)


@bp.post("/holidays/sync")
def holiday_sync():
    """Bring in the years a newer chinese-calendar knows."""
    flash(f"已从内置日历补充 {holidays.sync_library()} 天。", "success")
    return redirect(url_for(".holiday_calendar"))


@bp.get("/audit")
def audit_log():
    """The audit trail of administrative changes, filtered by kind of change, what it concerned, who made it,
    words in it and dates."""
    args = request.args
    action = args.get("action") if args.get("action") in AUDIT_ACTIONS else ""
    target = args.get("target") if args.get("target") in AUDIT_TARGETS else ""
    q = (args.get("q") or "").strip()[:100]
    who = (args.get("who") or "").strip()[:60]
    try:
        start = clock.parse_date(args["from"]) if args.get("from") else None
        end = clock.parse_date(args["to"]) if args.get("to") else None
    except ValueError:
        start = end = None
        flash("日期格式应为 YYYY-MM-DD，已忽略日期条件。", "warning")
    page = paginate(services.audit_query(action=action, target=target, q=q, who=who, start=start, end=end), per_page=50)
    filters = {"action": action, "target": target, "q": q, "who": who, "from": args.get("from", "")[:10],
               "to": args.get("to", "")[:10]}
    return render_template("admin/audit.html", page=page, filters=filters, actions=AUDIT_ACTIONS, targets=AUDIT_TARGETS)
