"""A lint that keeps the rule of style.md §10: after a Core `update(Model)` in a function, none of that model's columns
is assigned on an ORM object in the rest of the function (the flush would write the value read before the statement
over a concurrent request's change). Use the statement's RETURNING values and `places.written` instead."""
import ast
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parent.parent


def _columns() -> dict[str, set[str]]:
    out = {}
    for name in dir(models):
        cls = getattr(models, name)
        table = getattr(cls, "__table__", None)
        if isinstance(cls, type) and table is not None:
            out[name] = {c.key for c in table.columns}
    return out


def _assigned(node: ast.AST):
    """(line, attribute) of every attribute assigned by this statement node: `x.a = `, `x.a += `, tuples of them,
    and `setattr(x, "a", ...)`."""
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    for target in targets:
        for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
            if isinstance(t, ast.Attribute):
                yield node.lineno, t.attr
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" and len(node.args) >= 2:
        name = node.args[1]
        yield node.lineno, name.value if isinstance(name, ast.Constant) else "*"


def _updates(func: ast.AST, columns: dict[str, set[str]]):
    """(line, model, columns set) of every `update(Model)...values(col=...)` in the function."""
    for node in ast.walk(func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values"):
            continue
        for inner in ast.walk(node.func.value):
            if (isinstance(inner, ast.Call) and getattr(inner.func, "id", None) == "update" and inner.args
                    and isinstance(inner.args[0], ast.Name) and inner.args[0].id in columns):
                names = {k.arg for k in node.keywords if k.arg} or set(columns[inner.args[0].id])
                if any(k.arg is None for k in node.keywords):  # **values: any column may be set
                    names = set(columns[inner.args[0].id])
                yield inner.lineno, inner.args[0].id, names


def violations(source: str, filename: str, columns: dict[str, set[str]]) -> list[str]:
    """Every assignment of a column after a Core update that set that column of its model, in the same function."""
    found = []
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        updates = list(_updates(func, columns))
        if not updates:
            continue
        for node in ast.walk(func):
            for line, attr in _assigned(node):
                for update_line, model, names in updates:
                    if line > update_line and (attr in names or attr == "*"):
                        found.append(f"{filename}:{line} assigns {attr} after update({model}) at line {update_line}")
    return found


def test_the_lint_finds_the_defect_it_is_for():
    source = ("def invite(booking, n):\n"
              "    db.session.execute(update(Booking).values(partner_headcount=Booking.partner_headcount + n))\n"
              "    booking.partner_headcount += n\n")
    assert violations(source, "x.py", _columns()) == ["x.py:3 assigns partner_headcount after update(Booking) at line 2"]


def test_no_orm_attribute_is_assigned_after_a_core_update_of_its_model():
    columns = _columns()
    found = []
    for path in sorted((ROOT / "booking").rglob("*.py")):
        found += violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), columns)
    assert found == [], "\n".join(found)
