"""Logging in and out, one's own account and password, and the forgotten-password path."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from booking import clock
from booking.auth import services
from booking.auth.forms import ForgotForm, LoginForm, PasswordChangeForm, ResetForm
from booking.web.errors import local_path, on_refusal

bp = Blueprint("auth", __name__)

# What a user who must choose a new password may still open.
_WHILE_CHANGING = {"auth.account", "auth.logout", "static", "views.healthz"}


@bp.before_app_request
def require_new_password():
    """After an administrator's reset or with a one-time password, the pages wait until a new one is chosen."""
    if request.endpoint in _WHILE_CHANGING or request.blueprint == "api":
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash("请先设置新密码再继续使用。", "warning")
        return redirect(url_for("auth.account"))
    return None


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login."""
    return local_path(target, url_for("views.home"))


def start_session(user, remember: bool) -> None:
    """A new web session for the user: nothing from before is carried over. It ends SESSION_MAX_HOURS after
    login, or with "记住我" REMEMBER_DAYS after (the cookie then outlives the browser); logout, a password change
    or deactivation end it sooner."""
    session.clear()
    session["login_at"] = int(clock.now().timestamp())
    session["remember"] = bool(remember)
    session.permanent = bool(remember)
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success go where the user was headed (or set a new password first)."""
    if current_user.is_authenticated:
        return redirect(url_for("views.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        on_refusal("auth/login.html", fields=form, beside="password", form=form)
        user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        start_session(user, form.remember.data)
        if user.must_change_password:
            flash("这是管理员设置的初始密码，请先设置您自己的新密码。", "warning")
            return redirect(url_for("auth.account"))
        flash(f"欢迎，{user.display_name}。", "success")
        return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 422
        if form.csrf_token.errors:
            flash("页面已过期，请重新提交。", "warning")
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out and return to the login page; every session of the account ends (copied cookies too)."""
    services.end_sessions(current_user)
    logout_user()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """One's own account: who one is, and changing one's password (which ends one's other sessions)."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        on_refusal("auth/account.html", fields=form, status=422, form=form)
        services.change_own_password(current_user, form.current.data, form.new.data, form.confirm.data)
        start_session(current_user._get_current_object(), session.get("remember", False))
        flash("密码已修改，其他设备上的登录已失效。", "success")
        return redirect(url_for("views.home"))
    return render_template("auth/account.html", form=form), 422 if form.errors else 200


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Forgotten password: a one-time link by email when mail is set up, otherwise whom to contact."""
    form = ForgotForm()
    if not services.mail_configured():  # no form to fill in: the page says whom to ask instead
        return render_template("auth/forgot.html", form=form, sent=False)
    if form.validate_on_submit():
        services.request_password_reset(form.identifier.data, address=request.remote_addr or "")
        return render_template("auth/forgot.html", form=form, sent=True)
    return render_template("auth/forgot.html", form=form, sent=False), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """Choose a new password through a reset link (once, within its time)."""
    services.user_of_reset_token(token)  # a dead link: the error page says so
    form = ResetForm()
    if form.validate_on_submit():
        on_refusal("auth/reset.html", fields=form, status=422, form=form)
        services.reset_with_token(token, form.new.data, form.confirm.data)
        flash("新密码已设置，请用新密码登录。", "success")
        return redirect(url_for(".login"))
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.app_context_processor
def login_help():
    """The help line shown on the login and password pages."""
    return {"login_help": current_app.config["LOGIN_HELP_TEXT"], "mail_configured": services.mail_configured}
