"""The public-holiday calendar: China's 法定节假日 and 调休上班 days.

The years the State Council has announced come from the `chinese-calendar` package (loaded into the `holidays`
table by the migration, refreshed by `sync_library`); an administrator adds later years by hand or from a small
file before the package catches up. A year nobody has announced is *unknown*, and the pages say so instead of
guessing; only the days the law itself fixes by the solar calendar (元旦, 劳动节, 国庆节: `STATUTORY`) stand in
for it (source `statute`), so a standing booking never lands on New Year's Day. Every rule that asks "is this a
public holiday?" reads the table here.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select

from booking import audit, clock
from booking.errors import NotFound, ValidationFailed
from booking.documents.imports import rows_from_file
from booking.textutil import has_control_chars
from models import HOLIDAY_KINDS, Holiday, db

# The package names its holidays in English; the calendar speaks Chinese.
CHINESE_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
KIND_BY_LABEL = {label: code for code, label in HOLIDAY_KINDS.items()} | {"放假": "holiday", "上班": "workday",
                                                                          "补班": "workday"}


# 《全国年节及纪念日放假办法》 fixes these public holidays by the solar calendar; the lunar festivals (春节, 清明,
# 端午, 中秋) and the make-up working days come only with the State Council's schedule for the year.
STATUTORY = ((1, 1, "元旦"), (5, 1, "劳动节"), (5, 2, "劳动节"), (10, 1, "国庆节"), (10, 2, "国庆节"), (10, 3, "国庆节"))
STATUTE_YEARS = 10  # how many years past the package's last one the fixed days stand in for


def statutory_rows(years) -> list[dict]:
    """The days the law fixes in the given years, as rows of the holidays table (source `statute`)."""
    return [{"day": date(year, month, day), "name": name, "kind": "holiday", "source": "statute"}
            for year in years for month, day, name in STATUTORY]


def library_rows() -> list[dict]:
    """Every day the chinese-calendar package knows, as rows of the holidays table (its workdays are the make-up
    working days it lists), then the fixed days of the next STATUTE_YEARS years it does not know."""
    try:
        import chinese_calendar
    except ImportError:  # the calendar still works from what administrators enter
        return []
    rows = [{"day": d, "name": CHINESE_NAMES.get(name, name), "kind": "holiday", "source": "library"}
            for d, name in chinese_calendar.holidays.items()]
    rows += [{"day": d, "name": CHINESE_NAMES.get(name, name) + "调休", "kind": "workday", "source": "library"}
             for d, name in chinese_calendar.workdays.items()]
    last = max(row["day"].year for row in rows)
    return rows + statutory_rows(range(last + 1, last + 1 + STATUTE_YEARS))


def sync_library() -> int:
    """Bring in what a newer chinese-calendar knows: its days the table lacks, and its own entries in place of the
    fixed days that stood in for a year it now knows (an administrator's entry for a day is kept). Returns how many
    were added."""
    have = dict(db.session.execute(select(Holiday.day, Holiday.source)).all())
    rows = library_rows()
    known = {row["day"].year for row in rows if row["source"] == "library"}
    stood_in = [day for day, source in have.items() if source == "statute" and day.year in known]
    if stood_in:
        db.session.execute(delete(Holiday).where(Holiday.day.in_(stood_in)))
        for day in stood_in:
            del have[day]
    added = [row for row in rows if row["day"] not in have]
    if added:
        db.session.execute(Holiday.__table__.insert(), added)
    db.session.commit()
    return len(added)


def between(first: date, last: date) -> dict[date, Holiday]:
    """The calendar's days from first to last, by date."""
    return {h.day: h for h in db.session.scalars(select(Holiday).where(Holiday.day >= first, Holiday.day <= last))}


def public_holidays(first: date, last: date) -> dict[date, str]:
    """The public holidays from first to last, with their names."""
    return {d: h.name for d, h in between(first, last).items() if h.kind == "holiday"}


def known_years(first: date, last: date) -> set[int]:
    """Of the years from first to last, those whose schedule someone has entered (one query): the fixed days that
    stand in for a year do not make it known."""
    days = db.session.scalars(select(Holiday.day).where(Holiday.day >= date(first.year, 1, 1),
                                                        Holiday.day <= date(last.year, 12, 31),
                                                        Holiday.source != "statute"))
    return {d.year for d in days}


def unknown_years(first: date, last: date) -> list[int]:
    """The years from first to last whose holidays nobody has entered yet (the pages say so)."""
    return sorted(set(range(first.year, last.year + 1)) - known_years(first, last))


def is_known(year: int) -> bool:
    """Whether someone has entered the year's schedule (the fixed days standing in for it do not count)."""
    return bool(known_years(date(year, 1, 1), date(year, 12, 31)))


def year_of(year: int) -> list[Holiday]:
    """A year's entries, in date order."""
    return list(db.session.scalars(select(Holiday).where(Holiday.day >= date(year, 1, 1),
                                                         Holiday.day <= date(year, 12, 31)).order_by(Holiday.day)))


def _check(day, name, kind) -> dict:
    errors = {}
    if not isinstance(day, date):
        errors["date"] = "请填写日期（YYYY-MM-DD）。"
    name = (name or "").strip() if isinstance(name, str) else name
    if not isinstance(name, str) or not name:
        errors["name"] = "请填写名称，如“春节”。"
    elif len(name) > 40 or has_control_chars(name):
        errors["name"] = "名称最多 40 个字，不能含控制字符。"
    if kind not in HOLIDAY_KINDS:
        errors["kind"] = "类型应为 holiday（法定节假日）或 workday（调休上班）。"
    return errors


def put(actor, day: date, name: str, kind: str) -> Holiday:
    """An administrator's entry for a day; it replaces whatever was there (the library's or an earlier one)."""
    errors = _check(day, name, kind)
    if errors:
        raise ValidationFailed(errors)
    entry = db.session.get(Holiday, day)
    if entry is None:
        entry = Holiday(day=day)
        db.session.add(entry)
    entry.name, entry.kind, entry.source = name.strip(), kind, "admin"
    audit.record(actor, "holiday_saved", "holiday", None, f"{clock.day_text(day)} {entry.name}（{HOLIDAY_KINDS[kind]}）")
    db.session.commit()
    return entry


def remove(actor, day: date) -> None:
    """Take a day off the calendar (a wrongly entered one)."""
    entry = db.session.get(Holiday, day)
    if entry is None:
        raise NotFound("该日期没有节假日记录。")
    audit.record(actor, "holiday_removed", "holiday", None, f"{clock.day_text(day)} {entry.name}")
    db.session.execute(delete(Holiday).where(Holiday.day == day))
    db.session.commit()


@dataclass
class HolidayImport:
    saved: int = 0
    errors: list[str] = field(default_factory=list)
    holidays: list[date] = field(default_factory=list)  # the public holidays among the days saved


IMPORT_COLUMNS = ("日期", "名称", "类型")


def import_file(actor, filename: str, data: bytes) -> HolidayImport:
    """A year's list from CSV or XLSX (日期, 名称, 类型: 法定节假日/放假 or 调休上班/上班); every row checked first,
    nothing saved on any error; a row replaces the entry for its date, so importing twice changes nothing."""
    rows = [r for r in rows_from_file(filename, data) if any(c for c in r)]
    if not rows or not {"日期", "名称"} <= set(rows[0]):
        raise ValidationFailed({"file": f"第一行应为列名：{'，'.join(IMPORT_COLUMNS)}。"})
    index = {c: rows[0].index(c) for c in IMPORT_COLUMNS if c in rows[0]}
    result, planned = HolidayImport(), []
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda col: row[index[col]].strip() if col in index and index[col] < len(row) else ""  # noqa: E731
        try:
            day = clock.parse_date(cell("日期")[:10])
        except ValueError:
            result.errors.append(f"第 {number} 行：日期“{cell('日期')}”应为 YYYY-MM-DD。")
            continue
        kind_text = cell("类型") or "法定节假日"
        kind = KIND_BY_LABEL.get(kind_text, kind_text)
        errors = _check(day, cell("名称"), kind)
        if errors:
            result.errors.append(f"第 {number} 行：" + "；".join(errors.values()))
            continue
        planned.append((day, cell("名称"), kind))
    if result.errors:
        return result
    for day, name, kind in planned:
        entry = db.session.get(Holiday, day) or Holiday(day=day)
        entry.name, entry.kind, entry.source = name, kind, "admin"
        db.session.add(entry)
        result.saved += 1
        if kind == "holiday":
            result.holidays.append(day)
    audit.record(actor, "holidays_imported", "holiday", None, f"{filename}：{result.saved} 天")
    db.session.commit()
    return result
