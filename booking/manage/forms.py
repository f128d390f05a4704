"""Forms a manager uses to keep their base."""
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from booking.forms import Form
from booking.textutil import CONTACT_PHONE_RE, PHONE_MESSAGE
from models import BASE_TYPES, CATEGORIES, VENUE_KINDS
from models.base import WEEKDAYS

PHONE = Regexp(CONTACT_PHONE_RE, message=PHONE_MESSAGE)
REQUIRED_NUMBER = "请填写整数。"


class BaseForm(Form):
    name = StringField("基地名称", validators=[DataRequired("请填写基地名称。"), Length(max=120)])
    type = SelectField("基地类型", choices=list(BASE_TYPES.items()))
    address = StringField("地址", validators=[Length(max=200)])
    description = TextAreaField("简介", validators=[Length(max=5000)], render_kw={"rows": 6})
    visitor_notes = TextAreaField("预约须知", validators=[Length(max=5000)], render_kw={"rows": 6},
                                  description="到达方式、公交地铁、停车、集合地点、参观要求等，显示在基地页面和预约单上。")
    contact_name = StringField("联系人", validators=[Optional(), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[Optional(), PHONE], render_kw={"type": "tel", "autocomplete": "tel"})
    min_advance_days = IntegerField("最少提前天数", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(0, 365, "请填写 0–365 之间的天数。")])
    max_advance_days = IntegerField("最多提前天数", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(0, 365, "请填写 0–365 之间的天数。")])
    cancel_deadline_hours = IntegerField("取消截止（开始前小时数）", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(0, 720, "请填写 0–720 之间的小时数。")])
    requires_approval = BooleanField("线上预约需要审核")
    opens_on_holidays = BooleanField("法定节假日照常开放", default=True)
    max_live_per_branch = IntegerField(
        "每个支部同时可预约（次）", validators=[Optional(), NumberRange(1, 100, "请填写 1–100 之间的次数，不限则留空。")],
        description="一个支部在本基地最多同时持有几个未开始的线上预约；留空为不限。")
    max_per_branch_per_month = IntegerField(
        "每个支部每月可预约（次）", validators=[Optional(), NumberRange(1, 100, "请填写 1–100 之间的次数，不限则留空。")],
        description="一个支部每个自然月在本基地最多几次线上预约；留空为不限。基地线下登记不计入。")


class VenueForm(Form):
    name = StringField("场馆名称", validators=[DataRequired("请填写场馆名称。"), Length(max=120)])
    kind = SelectField("场馆类型", choices=list(VENUE_KINDS.items()))
    capacity = IntegerField("容纳人数", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(1, 10000, "请填写 1–10000 之间的人数。")])
    description = TextAreaField("说明", validators=[Length(max=2000)], render_kw={"rows": 4})
    active = BooleanField("开放使用", default=True)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SlotForm(Form):
    weekdays = MultiCheckboxField("星期", choices=list(enumerate(WEEKDAYS)), coerce=int,
                                  validators=[DataRequired("请至少选择一天。")])
    start = TimeField("开始时间", validators=[InputRequired("请填写开始时间。")])
    end = TimeField("结束时间", validators=[InputRequired("请填写结束时间。")])
    capacity = IntegerField("每场容量（人）", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(1, 10000, "请填写 1–10000 之间的人数。")])


class CapacityForm(Form):
    capacity = IntegerField("容量", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(1, 10000, "请填写 1–10000 之间的人数。")])


class ClosureForm(Form):
    venue_id = SelectField("闭馆范围", coerce=int)
    start_date = DateField("开始日期", validators=[InputRequired("请选择开始日期。")])
    end_date = DateField("结束日期", validators=[InputRequired("请选择结束日期。")])
    reason = StringField("原因", validators=[DataRequired("请填写闭馆原因。"), Length(max=200)])


class MenuItemForm(Form):
    title = StringField("项目名称", validators=[DataRequired("请填写项目名称。"), Length(max=120)])
    description = TextAreaField("项目介绍", validators=[Length(max=5000)], render_kw={"rows": 6})
    category = SelectField("课程类别", choices=list(CATEGORIES.items()))
    content_topic = StringField("内容主题", validators=[DataRequired("请填写内容主题。"), Length(max=40)],
                                description="如：政策普及、思想政治、文明道德、实用技能、科学知识")
    duration_minutes = IntegerField("时长（分钟）", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(10, 600, "请填写 10–600 分钟。")])
    min_group = IntegerField("最少人数", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(1, 10000, "请填写 1–10000 之间的人数。")])
    max_group = IntegerField("最多人数", validators=[InputRequired(REQUIRED_NUMBER), NumberRange(1, 10000, "请填写 1–10000 之间的人数。")])
    venue_id = SelectField("场馆", coerce=int)
    needs_lecturer = BooleanField("需要讲师")
    active = BooleanField("上架", default=True)
