"""The base of every form: WTForms' own messages (a number or a date that cannot be read, a choice not offered)
in Chinese, from the translations WTForms ships, as every message we write is; and the one input rule for text
(`textutil`) on every text field, beside the field like any other message."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from booking.textutil import text_problem


class PlainText:
    """No control, format or other invisible character (line breaks only in a text area)."""

    def __init__(self, multiline: bool):
        self.multiline = multiline

    def __call__(self, form, field):
        problem = text_problem(field.data, self.multiline)
        if problem:
            raise ValidationError(problem)


class Form(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        """As WTForms validates, but a value that could not even be read ("2.5" for a number of people) says so
        once: the reading's message alone, not that and every validator's about the empty value it left."""
        valid = super().validate(extra_validators)
        for field in self:
            if field.process_errors:
                field.errors = list(dict.fromkeys(field.process_errors))
        return valid

    class Meta:
        locales = ("zh",)

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField) and not isinstance(field, PasswordField):
                field.validators = [*field.validators, PlainText(isinstance(field, TextAreaField))]
            return field
