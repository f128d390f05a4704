"""Rules for text that people type and others read: names shown in lists, mails and spreadsheets."""
import re
import unicodedata

# What no text a person types may hold (one rule for every text field, pages and API alike): control characters
# (Cc; line breaks only in a text of several lines), format characters (Cf: zero-width spaces and joiners, the
# byte-order mark, bidi overrides that show a name reversed), surrogates (Cs), the line and paragraph separators,
# and non-characters (U+FDD0–U+FDEF, U+xFFFE, U+xFFFF: XML refuses U+FFFE and U+FFFF, so Word files break).
_ALLOWED_BREAKS = frozenset("\n\r")
CONTROL_MESSAGE = "不能包含换行、制表符、零宽字符等控制字符或不可见字符。"
MULTILINE_CONTROL_MESSAGE = "不能包含制表符、零宽字符等控制字符或不可见字符（可以换行）。"
# A forbidden character is always one of these (outside the ranges that hold none): most text is cleared by one
# regular expression, and only the characters it finds are looked up.
_SUSPECT = re.compile(r"[^\u0020-\u007e\u00a0-\u00ac\u00ae-\u05ff\u3000-\ud7ff\uf900-\ufdcf\ufdf0-\ufefe\uff00-\ufff8]")


def _forbidden(ch: str, multiline: bool) -> bool:
    if multiline and ch in _ALLOWED_BREAKS:
        return False
    code = ord(ch)
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return True
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def has_control_chars(value: str | None, multiline: bool = False) -> bool:
    """A control, format or other invisible character, a surrogate or a non-character (a line break too, unless
    the text has several lines): never part of a name or a line of text (it breaks mail headers and lists, a
    bidi override shows a name reversed, and Word refuses what XML forbids)."""
    if not isinstance(value, str) or not value or not _SUSPECT.search(value):
        return False
    return any(_forbidden(ch, multiline) for ch in value if _SUSPECT.match(ch))


def text_problem(value, multiline: bool = False) -> str | None:
    """The message for a text field holding such characters, or None."""
    if has_control_chars(value, multiline):
        return MULTILINE_CONTROL_MESSAGE if multiline else CONTROL_MESSAGE
    return None


def printable(value: str | None) -> str:
    """The text with every such character other than line breaks removed (what a document may hold: a backstop
    for text stored before they were refused, so that no stored text can break a Word, PDF or XLSX file)."""
    value = value or ""
    if not _SUSPECT.search(value):
        return value
    return "".join(ch for ch in value if not _forbidden(ch, True))

# A Chinese phone number, as people write them: a mobile (13800138000, +86 138 0013 8000), a landline with its area
# code (021-55550101, 0571 8888 6666, with an extension -801), or a 400/800 service line. "12345" is none of them.
PHONE_RE = re.compile(r"^(?:(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"
                      r"|\(?0\d{2,3}\)?[- ]?\d{3,4}[- ]?\d{4}(?:[-转]\d{1,6})?"
                      r"|[48]00[- ]?\d{3}[- ]?\d{4})$")
PHONE_MESSAGE = "请填写有效的手机号或座机号，如 13800000000 或 021-55550101。"
CONTACT_PHONE_RE = PHONE_RE  # every phone field takes the same rule


def field_text(fields: dict, name: str, value, label: str, limit: int, required: bool = False,
               multiline: bool = False) -> str:
    """A text field of a service's request, stripped; what is wrong with it goes into `fields` under `name` (not
    text, missing when required, too long, or breaking the text rule)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = f"{label}应为文字。"
        return ""
    value = value.strip()
    if required and not value:
        fields[name] = f"请填写{label}。"
    elif len(value) > limit:
        fields[name] = f"{label}不能超过 {limit} 个字。"
    elif text_problem(value, multiline):
        fields[name] = label + text_problem(value, multiline)
    return value
