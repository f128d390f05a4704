"""Booking forms."""
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

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
