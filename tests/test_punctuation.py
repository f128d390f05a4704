"""Chinese text uses full-width punctuation throughout: pages, scripts, messages and documents.

Reported as mixed half- and full-width punctuation. The scan below found one message that mixed them (the API's
"分支部人数应为 {支部编号: 人数}。"), now reworded, and keeps the rest so. It reads every string the code shows a
person (Python string literals that are not docstrings, templates outside comments, scripts outside comments): no
ASCII , ; : ! ? . ( ) next to a Chinese character. English text that glosses a Chinese word ("Block time (外出,
休假)", an API summary) is English and keeps its own punctuation.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CJK = r"[\u4e00-\u9fff]"
MIXED = re.compile(rf"{CJK}\.(?![a-z0-9])|[\u4e00-\u9fff\u3002\uff0c][,;:!?]|[,;!?]{CJK}|{CJK}\(|\){CJK}|\({CJK}|{CJK}\)"
                   rf"|{CJK} +[:,;]")
ENGLISH = re.compile(r"^[A-Za-z]")


def _python_strings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def _shown_text():
    for path in sorted([*ROOT.glob("booking/**/*.py"), *ROOT.glob("models/*.py")]):
        for line, text in _python_strings(path):
            if not ENGLISH.match(text):
                yield path, line, text
    for path in sorted(ROOT.glob("templates/**/*.html")):
        text = re.sub(r"\{#.*?#\}", lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"), flags=re.S)
        for line, content in enumerate(text.split("\n"), 1):
            yield path, line, content
    for path in sorted(ROOT.glob("static/js/*.js")):
        for line, content in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            yield path, line, content.split("//")[0]


def test_chinese_text_has_full_width_punctuation():
    mixed = [f"{path.relative_to(ROOT)}:{line}: {m.group(0)!r} in {text.strip()[:80]!r}"
             for path, line, text in _shown_text() for m in MIXED.finditer(text)]
    assert not mixed, "\n".join(mixed)


def test_the_check_finds_mixed_punctuation():
    for text in ("请选择:", "(可选)", "已保存.", "人数, 时间", "姓名 :"):
        assert MIXED.search(text), text
    for text in ("请选择：", "（可选）", "09:00–11:00", "共 3 页", "台账.docx"):
        assert not MIXED.search(text), text


def test_dates_are_written_without_leading_zeros_as_official_texts_write_them(world, client):
    """Reproduced: "2026年01月01日" in documents, notifications and pages; the official style is "2026年1月1日"."""
    import re
    from datetime import date, datetime, timezone
    from booking import clock
    from tests.conftest import login
    from tests.factories import booking, slot_start
    assert clock.day_text(date(2026, 1, 1)) == "2026年1月1日"
    assert clock.when(datetime(2026, 3, 4, 1, 5, tzinfo=timezone.utc)) == "3月4日 09:05"
    assert clock.day_text(date(2026, 12, 31)) == "2026年12月31日"
    b = booking(start=slot_start(3))
    login(client, "secretary")
    page = client.get(f"/bookings/{b.id}").get_data(as_text=True)
    start = clock.local(b.starts_at)
    assert f"{start.year}年{start.month}月{start.day}日" in page
    assert not re.search(r"[^0-9]0[1-9]月|月0[1-9]日", page)
    from models import Notification, db
    texts = " ".join(n.body + n.title for n in db.session.scalars(db.select(Notification)))
    assert texts and not re.search(r"[^0-9]0[1-9]月|月0[1-9]日", texts)
