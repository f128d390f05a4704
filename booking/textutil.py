"""Rules for text that people type and others read: names shown in lists, mails and spreadsheets."""
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MESSAGE = "不能包含换行、制表符等控制字符。"


def has_control_chars(value: str | None) -> bool:
    """A line break, tab or other control character: never part of a name (it breaks mail headers and lists)."""
    return bool(value and _CONTROL.search(value))

# A phone number to reach an office or a person: digits with the usual separators (a booking's contact phone is
# checked more strictly, as a mobile or landline number, in reservations).
CONTACT_PHONE_RE = re.compile(r"^[0-9+\-() ]{5,30}$")
