"""The form a base's manager announces a lecture with."""
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from booking.forms import Form


class LectureForm(Form):
    menu_item_id = SelectField("菜单项目（讲习内容）", coerce=int, validate_choice=False)
    start = SelectField("场次", validators=[InputRequired("请选择场次。")], validate_choice=False,
                        description="该项目在基地可预约范围内的开放场次；已发布讲习活动的场次不列出")
    lecturer_id = SelectField("讲师", coerce=int, validate_choice=False, description="发布后向讲师发出授课邀请，整场只邀请一次")
    topic = StringField("讲习主题（选填）", validators=[Optional(), Length(max=200)], description="不填则用菜单项目名称")
