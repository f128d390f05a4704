"""Forms of the administrator's pages."""
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, EmailField, IntegerField, PasswordField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from booking.forms import Form
from booking.manage.forms import PHONE, MultiCheckboxField
from models import AREA_KINDS, BASE_TYPES, HOLIDAY_KINDS, LECTURER_CATEGORIES, ROLES, SECTORS

# The area pickers' choices are the tree's trails (滨江街道/滨江社区), set by the view from admin.services.area_choices.
# Which area may be chosen is the services' to say (it exists; an area administrator's own or below), beside the
# field; a picker left out of a request keeps the area as it is, or the default one.
AREA_LABEL = "所属属地"


def AreaField(label: str = AREA_LABEL) -> SelectField:  # noqa: N802 (a field factory, used like a field class)
    """An area picker."""
    return SelectField(label, coerce=int, validate_choice=False)


class UserForm(Form):
    username = StringField("用户名", validators=[DataRequired("请填写用户名。"), Length(max=64)])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名。"), Length(max=60)])
    # No default: the administrator chooses the role (the first choice used to be the highest one).
    role = SelectField("角色", choices=[("", "请选择角色")] + list(ROLES.items()),
                       validators=[DataRequired("请选择角色。")])
    password = PasswordField("初始密码", validators=[DataRequired("请设置初始密码。"), Length(min=8, max=128, message="密码为 8–128 位。")])
    email = EmailField("电子邮箱", validators=[Optional(), Email("请输入有效的邮箱地址。", check_deliverability=False), Length(max=120)])
    phone = StringField("手机号", validators=[Optional(), PHONE], render_kw={"type": "tel", "autocomplete": "tel"})
    branch_id = SelectField("所属党支部（支部书记）", coerce=int)
    base_ids = MultiCheckboxField("管理的基地（基地管理员）", coerce=int)
    lecturer_id = SelectField("讲师档案（讲师）", coerce=int)
    area_id = AreaField("所属属地（街道社区管理员）")


class UserEditForm(Form):
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名。"), Length(max=60)])
    email = EmailField("电子邮箱", validators=[Optional(), Email("请输入有效的邮箱地址。", check_deliverability=False), Length(max=120)])
    phone = StringField("手机号", validators=[Optional(), PHONE], render_kw={"type": "tel", "autocomplete": "tel"})
    branch_id = SelectField("所属党支部", coerce=int)
    base_ids = MultiCheckboxField("管理的基地", coerce=int)
    area_id = AreaField()


class PasswordForm(Form):
    password = PasswordField("新密码", validators=[DataRequired("请填写新密码。"), Length(min=8, max=128, message="密码为 8–128 位。")])


class OrganizationForm(Form):
    name = StringField("党组织名称", validators=[DataRequired("请填写党组织名称。"), Length(max=120)])
    sector = SelectField("所属领域", choices=list(SECTORS.items()))
    area_id = AreaField()


class BranchForm(Form):
    organization_id = SelectField("所属党组织", coerce=int)
    name = StringField("支部名称", validators=[DataRequired("请填写支部名称。"), Length(max=120)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[Optional(), PHONE], render_kw={"type": "tel", "autocomplete": "tel"})
    active = BooleanField("有效", default=True)


class ImportForm(Form):
    file = FileField("CSV 或 Excel 文件", validators=[FileRequired("请选择文件。")])


class NewBaseForm(Form):
    name = StringField("基地名称", validators=[DataRequired("请填写基地名称。"), Length(max=120)])
    type = SelectField("基地类型", choices=list(BASE_TYPES.items()))
    address = StringField("地址", validators=[Length(max=200)])
    description = TextAreaField("简介", validators=[Length(max=5000)], render_kw={"rows": 6})
    area_id = AreaField()


class BaseAreaForm(Form):
    """Where a base lies (the admin's alone to change)."""
    area_id = AreaField()


class AreaForm(Form):
    """A new area, or an area renamed, given another kind or moved under another parent."""
    name = StringField("名称", validators=[DataRequired("请填写属地名称。"), Length(max=60)],
                       description="如：滨江街道、望江社区")
    kind = SelectField("层级", choices=list(AREA_KINDS.items()))
    parent_id = SelectField("上级属地", coerce=int, validate_choice=False)


class LecturerForm(Form):
    name = StringField("姓名", validators=[DataRequired("请填写讲师姓名。"), Length(max=60)])
    category = SelectField("类别", choices=list(LECTURER_CATEGORIES.items()))
    topics = StringField("授课主题", validators=[DataRequired("请至少填写一个授课主题。"), Length(max=400)],
                         description="多个主题用逗号或顿号分隔，如：红色课程、政策普及、思想政治")
    bio = TextAreaField("简介", validators=[Length(max=2000)], render_kw={"rows": 4})
    phone = StringField("联系电话", validators=[Optional(), PHONE], render_kw={"type": "tel", "autocomplete": "tel"})
    monthly_limit = IntegerField("每月授课上限", validators=[Optional(), NumberRange(1, 100, "请填写 1–100，不限请留空。")])
    active = BooleanField("在库（可被邀请）", default=True)


class HolidayForm(Form):
    day = DateField("日期", validators=[InputRequired("请选择日期。")])
    name = StringField("名称", validators=[InputRequired("请填写名称。"), Length(max=40)], description="如：春节、国庆节")
    kind = SelectField("类型", choices=list(HOLIDAY_KINDS.items()))
