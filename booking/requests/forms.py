"""Lecture request forms."""
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking.forms import Form
from models import ACTIVITY_TYPES, CATEGORIES


class RequestForm(Form):
    field_aliases = {"from": "first", "to": "last"}  # the service names the window as the API does
    topic = StringField("点单主题", validators=[InputRequired("请填写点单主题。"), Length(max=200)],
                        description="想听的党课内容，可从下拉建议中选，也可自己填写",
                        render_kw={"list": "topic-suggestions", "autocomplete": "off"})
    category = SelectField("课程类别", choices=[("", "不限")] + list(CATEGORIES.items()), default="",
                           validators=[Optional()])
    first = DateField("最早日期", validators=[InputRequired("请选择最早可安排的日期。")])
    last = DateField("最晚日期", validators=[InputRequired("请选择最晚可安排的日期。")],
                     description="在这段时间内由区里安排具体时间，最长 90 天")
    address = StringField("授课地点", validators=[InputRequired("请填写授课地点。"), Length(max=200)])
    headcount = IntegerField("参加人数", validators=[InputRequired("请填写参加人数。"), NumberRange(1, 100000, "请填写有效的人数。")],
                             render_kw={"inputmode": "numeric", "min": 1})
    contact_name = StringField("联系人", validators=[InputRequired("请填写联系人。"), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[InputRequired("请填写联系电话。"), Length(max=30)],
                                render_kw={"type": "tel", "autocomplete": "tel"})
    activity_type = SelectField("活动类型", choices=list(ACTIVITY_TYPES.items()), default="party_lecture",
                                description="记入本支部的组织生活台账")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3},
                         description="如希望的时段（晚上、周末）、场地条件等")


class DispatchForm(Form):
    lecturer_id = SelectField("讲师", coerce=int, validate_choice=False)
    start = DateTimeLocalField("授课时间", format="%Y-%m-%dT%H:%M", validators=[InputRequired("请选择授课时间。")])
    duration_minutes = IntegerField("授课时长（分钟）", default=90,
                                    validators=[InputRequired("请填写授课时长。"), NumberRange(30, 480, "授课时长应为 30–480 分钟。")],
                                    render_kw={"inputmode": "numeric", "min": 30, "max": 480})
