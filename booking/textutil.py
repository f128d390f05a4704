"""Rules for text that people type and others read: names shown in lists, mails and spreadsheets."""
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# In a text of several lines (a note, a summary, a reason) line breaks belong; nothing else of the kind does.
_CONTROL_BUT_BREAKS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "不能包含换行、制表符等控制字符。"
MULTILINE_CONTROL_MESSAGE = "不能包含制表符等控制字符（可以换行）。"


def has_control_chars(value: str | None, multiline: bool = False) -> bool:
    """A control character (a line break too, unless the text has several lines): never part of a name or a
    line of text (it breaks mail headers and lists, and Word refuses it)."""
    if not isinstance(value, str) or not value:
        return False
    return bool((_CONTROL_BUT_BREAKS if multiline else _CONTROL).search(value))


def text_problem(value, multiline: bool = False) -> str | None:
    """The message for a text field holding control characters, or None."""
    if has_control_chars(value, multiline):
        return MULTILINE_CONTROL_MESSAGE if multiline else CONTROL_MESSAGE
    return None


def printable(value: str | None) -> str:
    """The text with control characters other than line breaks removed (what a document may hold: a backstop for
    text stored before they were refused)."""
    return _CONTROL_BUT_BREAKS.sub("", value or "")

# A Chinese phone number, as people write them: a mobile (13800138000, +86 138 0013 8000), a landline with its area
# code (021-55550101, 0571 8888 6666, with an extension -801), or a 400/800 service line. "12345" is none of them.
PHONE_RE = re.compile(r"^(?:(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"
                      r"|\(?0\d{2,3}\)?[- ]?\d{3,4}[- ]?\d{4}(?:[-转]\d{1,6})?"
                      r"|[48]00[- ]?\d{3}[- ]?\d{4})$")
PHONE_MESSAGE = "请填写有效的手机号或座机号，如 13800000000 或 021-55550101。"
CONTACT_PHONE_RE = PHONE_RE  # every phone field takes the same rule
