"""Login and logout pages."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from booking import clock
from booking.auth import services
from booking.auth.forms import LoginForm
from booking.errors import local_path, on_refusal

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login."""
    return local_path(target, url_for("views.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success go where the user was headed."""
    if current_user.is_authenticated:
        return redirect(url_for("views.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        on_refusal("auth/login.html", fields=form, beside="password", form=form)
        user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        # A new session: nothing from before the login is carried over, and it ends SESSION_MAX_HOURS from now.
        session.clear()
        session["login_at"] = int(clock.now().timestamp())
        login_user(user)
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
