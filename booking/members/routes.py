"""Pages of the branch's organisational life: the roll of members, rosters and attendance on the booking, study
hours, the ledger, and the record as a file. Thin adapters over booking.members.services and documents."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking.documents import exports
from booking.web.errors import on_refusal
from booking.members import documents, forms, services
from booking.reservations import partners
from booking.reservations.services import get_visible
from booking.web.views import paginate
from models import ABSENCE_REASONS, MEMBER_ROLES

bp = Blueprint("members", __name__)


def _year():
    """The year asked for; a page shows this year for anything that is not one."""
    return services.year_or_this(request.args.get("year"))


@bp.route("/branches/<id:branch_id>/members", methods=["GET", "POST"])
@login_required
def members(branch_id):
    """The roll: search and filter, add a member, import a file."""
    branch = services.branch_for_members(current_user, branch_id)
    q = (request.args.get("q") or "").strip()[:60]
    role = request.args.get("role") if request.args.get("role") in MEMBER_ROLES else None
    show_inactive = request.args.get("inactive") == "1"
    form = forms.MemberForm()
    page = dict(branch=branch, form=form, import_form=forms.MemberImportForm(formdata=None), q=q, role=role,
                show_inactive=show_inactive)
    if form.validate_on_submit():
        on_refusal("members/index.html", fields=form, status=422, **page,
                   more=lambda: {"page": paginate(services.members_query(branch.id, None if show_inactive else True,
                                                                        role, q), per_page=50)})
        member = services.add_member(current_user, branch, name=form.name.data, role=form.role.data,
                                     status=form.status.data, phone=form.phone.data)
        flash(f"已添加党员 {member.name}。", "success")
        return redirect(url_for(".members", branch_id=branch.id))
    listing = paginate(services.members_query(branch.id, None if show_inactive else True, role, q), per_page=50)
    return render_template("members/index.html", page=listing, **page), 422 if form.errors else 200


@bp.route("/members/<id:member_id>", methods=["GET", "POST"])
@login_required
def member(member_id):
    """Change a member, or take them off the roll (their record stays); their activities of the year."""
    member = services.member_for_edit(current_user, member_id)
    form = forms.MemberEditForm(obj=member)
    page = dict(member=member, form=form, activities=services.member_year(member, _year()))
    if form.validate_on_submit():
        on_refusal("members/member.html", fields=form, status=422, **page)
        services.change_member(current_user, member, name=form.name.data, role=form.role.data,
                               status=form.status.data, phone=form.phone.data or None, active=form.active.data)
        flash("党员信息已保存。", "success")
        return redirect(url_for(".members", branch_id=member.branch_id))
    return render_template("members/member.html", **page), 422 if form.errors else 200


@bp.post("/branches/<id:branch_id>/members/import")
@login_required
def members_import(branch_id):
    """Members from a CSV or XLSX file: all rows checked first, nothing imported on any error."""
    branch = services.branch_for_members(current_user, branch_id)
    form = forms.MemberImportForm()
    back = url_for(".members", branch_id=branch.id)
    if not form.validate_on_submit():
        flash("请选择要导入的 CSV 或 Excel 文件。", "danger")
        return redirect(back)
    on_refusal(redirect_to=back)
    upload = form.file.data
    result = services.import_members(current_user, branch, upload.filename or "", upload.read())
    if result.errors:
        return render_template("members/import_result.html", result=result, branch=branch), 422
    flash(f"导入完成：新增党员 {result.created} 人，已在名册中跳过 {result.skipped} 人。", "success")
    return redirect(back)


@bp.get("/branches/<id:branch_id>/members/template.csv")
@login_required
def members_template(branch_id):
    """An example file for the import."""
    services.branch_for_members(current_user, branch_id)
    return exports.download("csv", "党员名册导入模板", "", "", list(services.IMPORT_COLUMNS), services.IMPORT_SAMPLE)


@bp.get("/branches/<id:branch_id>/study-hours")
@login_required
def study_hours(branch_id):
    """The year's study hours of every member, those short of the requirement first."""
    branch = services.branch_for_members(current_user, branch_id)
    year = _year()
    return render_template("members/study_hours.html", branch=branch, year=year,
                           lines=services.study_hours(branch, year))


@bp.get("/branches/<id:branch_id>/study-hours.xlsx")
@login_required
def study_hours_export(branch_id):
    """The same as an Excel file with Chinese headers."""
    branch = services.branch_for_members(current_user, branch_id)
    year = _year()
    body = [[s.member.name, s.member.role_label, s.member.status_label, s.sessions, s.hours, s.required,
             "已达标" if s.met else f"差 {s.required - s.hours:g}"] for s in services.study_hours(branch, year)]
    return exports.download("xlsx", f"党员学时-{branch.name}-{year}年", f"{branch.name} {year} 年党员学时", "学时",
                            ["姓名", "身份", "党员类别", "参加次数", "学时", "年度要求", "完成情况"], body)


@bp.get("/branches/<id:branch_id>/records")
@login_required
def records(branch_id):
    """The ledger (台账) of a year: every completed activity with its record, and the files."""
    branch = services.branch_for_members(current_user, branch_id)
    year = _year()
    bookings = services.completed_in(branch, year)
    lines, ended = documents.branch_year(bookings, year)
    _, by_quarter = documents.summary_rows(lines, ended)
    return render_template("members/records.html", branch=branch, year=year, bookings=bookings,
                           own_count=partners.own_count, joined_with=documents.joined_with, by_quarter=by_quarter,
                           scope=documents.SUMMARY_SCOPE)


@bp.get("/branches/<id:branch_id>/records.<any(docx, pdf, xlsx):fmt>")
@login_required
def records_file(branch_id, fmt):
    """The ledger as one file."""
    branch = services.branch_for_members(current_user, branch_id)
    data, name = documents.ledger(branch, _year(), fmt)
    return documents.file_response(data, fmt, name)


@bp.get("/bookings/<id:booking_id>/record.<any(docx, pdf):fmt>")
@login_required
def record_file(booking_id, fmt):
    """One activity's record as Word or PDF (a PDF opens in WeChat, where printing does not)."""
    booking = get_visible(current_user, booking_id)
    data, name = documents.record_file(booking, fmt, services.own_part(current_user, booking))
    return documents.file_response(data, fmt, name)


@bp.post("/bookings/<id:booking_id>/roster")
@login_required
def roster(booking_id):
    """The secretary picks who will come."""
    booking = get_visible(current_user, booking_id)
    on_refusal(redirect_to=url_for("reservations.detail", booking_id=booking.id) + "#roster-h")
    ids = [int(v) for v in request.form.getlist("member_ids") if v.isdigit() and len(v) < 10]
    entries = services.set_roster(current_user, booking, ids)
    flash(f"参加人员已确定：{len(entries)} 人。", "success")
    return redirect(url_for("reservations.detail", booking_id=booking.id) + "#roster-h")


@bp.post("/bookings/<id:booking_id>/roster/attendance")
@login_required
def attendance(booking_id):
    """Who came: one choice per member, or everyone at once."""
    booking = get_visible(current_user, booking_id)
    on_refusal(redirect_to=url_for("reservations.detail", booking_id=booking.id) + "#members-h")
    everyone = request.form.get("all_present") == "1"
    present, absent = [], []
    for entry in services.marked_by(current_user, booking):
        choice = "present" if everyone else request.form.get(f"att-{entry.member_id}")
        if choice == "present":
            present.append(entry.member_id)
        else:
            absent.append({"member_id": entry.member_id, "reason": services.absence_text(
                request.form.get(f"reason-{entry.member_id}"), request.form.get(f"reason_text-{entry.member_id}", "")[:150])})
    entries = services.mark_members(current_user, booking, present, absent)
    came = sum(1 for e in entries if e.attendance == "present")
    flash(f"已登记：出席 {came} 人，缺席 {len(entries) - came} 人。", "success")
    return redirect(url_for("reservations.detail", booking_id=booking.id) + "#members-h")


@bp.app_context_processor
def member_words():
    """The words the member pages and the booking page use."""
    return {"MEMBER_ROLES": MEMBER_ROLES, "ABSENCE_REASONS": ABSENCE_REASONS}
