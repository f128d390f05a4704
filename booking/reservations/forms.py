"""Booking forms."""
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking import clock
from booking.forms import Form
from models import ACTIVITY_TYPES


class BookingForm(Form):
    headcount = IntegerField("参加人数", validators=[InputRequired("请填写参加人数。"), NumberRange(1, 100000, "请填写有效的人数。")])
    contact_name = StringField("联系人", validators=[InputRequired("请填写联系人。"), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[InputRequired("请填写联系电话。"), Length(max=30)],
                                render_kw={"type": "tel", "autocomplete": "tel"})
    activity_type = SelectField("活动类型", choices=list(ACTIVITY_TYPES.items()), default="theme_day",
                                description="记入本支部的组织生活台账")
    topic = StringField("活动主题", validators=[Optional(), Length(max=200)], description="如：重温入党誓词 坚定理想信念")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)], description="需要基地协助准备的事项等")
    branch_id = SelectField("预约党支部", coerce=int, validate_choice=False)
    # A joint booking from the start: a small branch reaches the item's minimum with another branch's people.
    partners = SelectField("共建支部", coerce=int, validate_choice=False, default=0)
    partner_headcount = IntegerField("共建支部人数", validators=[Optional(), NumberRange(1, 100000, "请填写有效的人数。")],
                                     render_kw={"inputmode": "numeric", "min": 1})

    def wanted_partners(self) -> list[dict]:
        """The partner chosen on the page, as the service takes it ([] for none)."""
        if not self.partners.data:
            return []
        return [{"branch_id": self.partners.data, "headcount": self.partner_headcount.data}]


class ChangeForm(Form):
    headcount = IntegerField("参加人数", validators=[InputRequired("请填写参加人数。"), NumberRange(1, 100000, "请填写有效的人数。")])
    contact_name = StringField("联系人", validators=[InputRequired("请填写联系人。"), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[InputRequired("请填写联系电话。"), Length(max=30)],
                                render_kw={"type": "tel", "autocomplete": "tel"})
    topic = StringField("活动主题", validators=[Optional(), Length(max=200)])
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)])


class ReasonForm(Form):
    reason = TextAreaField("原因", validators=[Optional(), Length(max=500, message="原因不能超过 500 个字。")])


class OwnActivityForm(Form):
    """An activity at the branch's own place: planned ahead or recorded afterwards."""
    activity_type = SelectField("活动类型", choices=list(ACTIVITY_TYPES.items()), default="committee_meeting",
                                description="记入本支部的组织生活台账（三会一课）")
    day = DateField("日期", validators=[InputRequired("请选择活动日期。")],
                    description="可事后补记 31 天内的活动")
    start = TimeField("开始", validators=[InputRequired("请填写开始时间。")])
    end = TimeField("结束", validators=[InputRequired("请填写结束时间。")])
    address = StringField("活动地点", validators=[InputRequired("请填写活动地点。"), Length(max=200)],
                          description="已填入本支部常用的活动场所，可修改")
    topic = StringField("活动主题", validators=[InputRequired("请填写活动主题。"), Length(max=200)],
                        description="如：研究第四季度党员发展工作")
    headcount = IntegerField("应到人数", validators=[InputRequired("请填写应到人数。"), NumberRange(1, 100000, "请填写有效的人数。")],
                             render_kw={"inputmode": "numeric", "min": 1})
    contact_name = StringField("联系人", validators=[InputRequired("请填写联系人。"), Length(max=60)])
    contact_phone = StringField("联系电话", validators=[InputRequired("请填写联系电话。"), Length(max=30)],
                                render_kw={"type": "tel", "autocomplete": "tel"})
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})

    def times(self) -> tuple:
        """The start and end as the service takes them (aware, in the deployment's zone)."""
        return (clock.at_local(self.day.data, self.start.data), clock.at_local(self.day.data, self.end.data))

    def values(self) -> dict:
        start, end = self.times()
        return {"activity_type": self.activity_type.data, "start": start, "end": end, "address": self.address.data,
                "topic": self.topic.data, "headcount": self.headcount.data, "contact_name": self.contact_name.data,
                "contact_phone": self.contact_phone.data, "note": self.note.data}
