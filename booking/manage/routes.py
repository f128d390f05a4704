"""Pages where a manager keeps their own base."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from booking import permissions
from booking.web.errors import on_refusal
from booking.manage import forms, services

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def only_managers():
    """Every page here is for managers (and admins)."""
    if not permissions.works_for_bases(current_user):
        abort(403)


@bp.get("/")
def index():
    """The manager's bases."""
    return render_template("manage/index.html", bases=permissions.managed_bases(current_user))


@bp.route("/bases/<id:base_id>", methods=["GET", "POST"])
def base(base_id):
    """Edit a base's profile and rules; lists its venues, closures and menu."""
    base = services.base_for_edit(current_user, base_id)
    form = forms.BaseForm(obj=base)
    page = dict(base=base, form=form, closure_form=_closure_form(base))
    if form.validate_on_submit():
        on_refusal("manage/base.html", fields=form, status=200, **page)
        services.update_base(current_user, base, **{f: form[f].data for f in (
            "name", "type", "address", "description", "visitor_notes", "contact_name", "contact_phone", "min_advance_days",
            "max_advance_days", "cancel_deadline_hours", "requires_approval", "opens_on_holidays",
            "max_live_per_branch", "max_per_branch_per_month")})
        flash("基地信息已保存。", "success")
        return redirect(url_for(".base", base_id=base.id))
    return render_template("manage/base.html", **page)


def _closure_form(base, formdata=None):
    form = forms.ClosureForm(formdata=formdata)
    form.venue_id.choices = [(0, "整个基地")] + [(v.id, v.name) for v in base.venues]
    return form


@bp.route("/bases/<id:base_id>/venues/new", methods=["GET", "POST"])
def venue_new(base_id):
    """Add a venue."""
    base = services.base_for_edit(current_user, base_id)
    return _venue_form(base, None)


@bp.route("/venues/<id:venue_id>", methods=["GET", "POST"])
def venue(venue_id):
    """Edit a venue and its weekly slots."""
    venue = services.venue_for_edit(current_user, venue_id)
    return _venue_form(venue.base, venue)


def _venue_form(base, venue):
    form = forms.VenueForm(obj=venue)
    slot_form = forms.SlotForm(formdata=None)
    if venue is not None and not slot_form.capacity.data:
        slot_form.capacity.data = venue.capacity
    page = dict(base=base, venue=venue, form=form, slot_form=slot_form)
    if form.validate_on_submit():
        on_refusal("manage/venue.html", fields=form, status=200, **page)
        venue = services.save_venue(current_user, base, venue, name=form.name.data, kind=form.kind.data,
                                    capacity=form.capacity.data, description=form.description.data or "",
                                    active=form.active.data)
        flash("场馆已保存。", "success")
        return redirect(url_for(".venue", venue_id=venue.id))
    return render_template("manage/venue.html", **page)


@bp.post("/venues/<id:venue_id>/slots")
def slot_add(venue_id):
    """Add a weekly slot on the chosen weekdays."""
    venue = services.venue_for_edit(current_user, venue_id)
    slot_form = forms.SlotForm()
    page = dict(base=venue.base, venue=venue, form=forms.VenueForm(obj=venue, formdata=None), slot_form=slot_form)
    if slot_form.validate_on_submit():
        on_refusal("manage/venue.html", fields=slot_form, **page)
        services.add_slot(current_user, venue, weekdays=slot_form.weekdays.data, start=slot_form.start.data,
                          end=slot_form.end.data, capacity=slot_form.capacity.data)
        flash("开放时段已添加。", "success")
        return redirect(url_for(".venue", venue_id=venue.id) + "#slots")
    return render_template("manage/venue.html", **page), 422


@bp.post("/slots/<id:slot_id>/toggle")
def slot_toggle(slot_id):
    """Stop or resume offering a weekly slot (slots are never deleted: bookings refer to them)."""
    slot = services.slot_for_edit(current_user, slot_id)
    live = services.set_slot_active(current_user, slot, not slot.active)
    if slot.active:
        flash("时段已恢复开放。", "success")
    else:
        flash("时段已停止开放。" + (f"已有 {live} 个未来预约仍然有效，如需取消请逐一处理。" if live else ""), "warning")
    return redirect(url_for(".venue", venue_id=slot.venue_id) + "#slots")


@bp.post("/slots/<id:slot_id>/capacity")
def slot_capacity(slot_id):
    """Change a weekly slot's capacity."""
    slot = services.slot_for_edit(current_user, slot_id)
    form = forms.CapacityForm()
    back = url_for(".venue", venue_id=slot.venue_id) + "#slots"
    if not form.validate_on_submit():
        flash("请填写 1–10000 之间的容量。", "danger")
        return redirect(back)
    on_refusal(redirect_to=back)
    services.update_slot_capacity(current_user, slot, form.capacity.data)
    flash("容量已更新。", "success")
    return redirect(back)


@bp.post("/bases/<id:base_id>/closures")
def closure_add(base_id):
    """Close the base or a venue for some days."""
    base = services.base_for_edit(current_user, base_id)
    closure_form = _closure_form(base, formdata=request.form)
    page = dict(base=base, form=forms.BaseForm(obj=base, formdata=None), closure_form=closure_form)
    if closure_form.validate_on_submit():
        venue_id = closure_form.venue_id.data or None
        start, end = closure_form.start_date.data, closure_form.end_date.data
        # The bookings it would fall on are listed on the form, with the choice of what becomes of them.
        page["affected"] = services.closure_conflicts(base, venue_id, start, end)
        on_refusal("manage/base.html", fields=closure_form, **page)
        _, cancelled, kept = services.add_closure(
            current_user, base, venue_id=venue_id, start_date=start, end_date=end,
            reason=closure_form.reason.data, affected=request.form.get("affected", ""))
        message = "闭馆安排已添加。"
        if cancelled:
            message += f"已取消 {len(cancelled)} 个预约，并通知了预约支部和讲师。"
        if kept:
            message += f"保留了 {len(kept)} 个预约，请逐一联系改期或取消。"
        flash(message, "warning" if kept else "success")
        return redirect(url_for(".base", base_id=base.id) + "#closures")
    return render_template("manage/base.html", **page), 422


@bp.post("/closures/<id:closure_id>/delete")
def closure_delete(closure_id):
    """Remove a closure (after the page asked for confirmation)."""
    closure = services.closure_for_edit(current_user, closure_id)
    base_id = closure.base_id
    services.remove_closure(current_user, closure)
    flash("闭馆安排已撤销。", "success")
    return redirect(url_for(".base", base_id=base_id) + "#closures")


@bp.route("/bases/<id:base_id>/menu/new", methods=["GET", "POST"])
def item_new(base_id):
    """Add a menu item."""
    base = services.base_for_edit(current_user, base_id)
    return _item_form(base, None)


@bp.route("/menu-items/<id:item_id>", methods=["GET", "POST"])
def item(item_id):
    """Edit a menu item."""
    item = services.item_for_edit(current_user, item_id)
    return _item_form(item.base, item)


def _item_form(base, item):
    form = forms.MenuItemForm(obj=item)
    form.venue_id.choices = [(v.id, f"{v.name}（{v.capacity} 人）") for v in base.venues if v.active]
    page = dict(base=base, item=item, form=form)
    if form.validate_on_submit():
        on_refusal("manage/item.html", fields=form, status=200, **page)
        item = services.save_menu_item(
            current_user, base, item, **{f: form[f].data for f in (
                "title", "category", "content_topic", "duration_minutes", "min_group", "max_group",
                "venue_id", "needs_lecturer", "active")}, description=form.description.data or "")
        flash("菜单项目已保存。", "success")
        return redirect(url_for(".base", base_id=base.id) + "#menu")
    return render_template("manage/item.html", **page)
