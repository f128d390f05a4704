"""Forms of logging in and of one's own password."""
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from booking.forms import Form


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("记住我（在本设备上保持登录）")


class PasswordChangeForm(Form):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。"), Length(max=128)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=128)],
                        description="至少 8 位。", render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码。"), Length(max=128)],
                            render_kw={"autocomplete": "new-password"})


class ForgotForm(Form):
    identifier = StringField("用户名或邮箱", validators=[DataRequired("请输入用户名或邮箱。"), Length(max=120)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none"})


class ResetForm(Form):
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=128)],
                        description="至少 8 位。", render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码。"), Length(max=128)],
                            render_kw={"autocomplete": "new-password"})
