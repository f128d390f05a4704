"""The base of every form: WTForms' own messages (a number or a date that cannot be read, a choice not offered)
in Chinese, from the translations WTForms ships, as every message we write is."""
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        locales = ("zh",)
