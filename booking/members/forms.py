"""Forms of the branch's roll of members."""
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from booking.forms import Form
from booking.textutil import CONTACT_PHONE_RE, PHONE_MESSAGE
from models import MEMBER_ROLES, MEMBER_STATUSES


class MemberForm(Form):
    name = StringField("姓名", validators=[DataRequired("请填写党员姓名。"), Length(max=60)])
    role = SelectField("身份", choices=list(MEMBER_ROLES.items()), default="member")
    status = SelectField("党员类别", choices=list(MEMBER_STATUSES.items()), default="full")
    phone = StringField("手机号（选填）", validators=[Optional(), Regexp(CONTACT_PHONE_RE, message=PHONE_MESSAGE)],
                        render_kw={"type": "tel", "autocomplete": "tel"})


class MemberEditForm(MemberForm):
    active = BooleanField("在册（取消勾选即停用，已有的出席记录和学时保留）")


class MemberImportForm(Form):
    file = FileField("CSV 或 Excel 文件", validators=[FileRequired("请选择文件。")])
