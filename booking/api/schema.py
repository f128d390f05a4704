"""Declarations of API inputs: one definition validates requests and describes them in OpenAPI."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from booking import clock
from booking.errors import ValidationFailed
from booking.textutil import text_problem

MISSING = object()
INT_LIMIT = 2147483647  # the largest integer a column holds (PostgreSQL's integer)


@dataclass
class F:
    """One input field: its type, limits and Chinese label (for messages)."""

    type: str  # string, integer, boolean, date, datetime, object (fields), array (items), map (string keys, items)
    label: str
    required: bool = False
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    enum: tuple | None = None
    nullable: bool = False
    description: str = ""
    schema: Schema | None = None  # the fields of an "object"
    items: dict | None = None  # an "array"'s items or a "map"'s values, as JSON schema (the service checks them)
    multiline: bool = False  # a text of several lines (a note, a reason): line breaks belong
    plain_text: bool = True  # the input rule for text (no invisible characters); off for a password only
    # Required unless another field of the body holds this value (menu_item_id, unless place is "own").
    required_unless: tuple[str, object] | None = None


    def json_schema(self) -> dict:
        """This field as a JSON Schema fragment."""
        if self.type == "date":
            schema = {"type": "string", "format": "date"}
        elif self.type == "datetime":
            schema = {"type": "string", "format": "date-time"}
        elif self.type == "object":
            schema = self.schema.json_schema()
        elif self.type == "array":
            schema = {"type": "array", "items": self.items or {}, "maxItems": self.max or 1000}
        elif self.type == "map":
            schema = {"type": "object", "additionalProperties": self.items or {}, "maxProperties": self.max or 1000}
        else:
            schema = {"type": self.type}
        if self.min is not None:
            schema["minimum"] = self.min
        if self.max is not None and self.type not in ("array", "map"):
            schema["maximum"] = self.max
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.nullable:
            schema["nullable"] = True
        schema["description"] = self.description or self.label
        return schema

    def clean(self, value, from_query: bool = False):
        """The value converted and checked; raises ValueError with a Chinese reason."""
        if value is None:
            if self.nullable or not self.required:
                return None
            raise ValueError(f"请填写{self.label}。")
        if self.type == "string":
            if not isinstance(value, str):
                raise ValueError(f"{self.label}应为文本。")
            value = value.strip()
            if "\x00" in value:
                raise ValueError(f"{self.label}含有非法字符。")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"{self.label}含有非法字符。") from None
            if self.plain_text and text_problem(value, self.multiline):
                raise ValueError(self.label + text_problem(value, self.multiline))
            if self.required and not value:
                raise ValueError(f"请填写{self.label}。")
            if self.max_length is not None and len(value) > self.max_length:
                raise ValueError(f"{self.label}不能超过 {self.max_length} 个字。")
            if self.enum and value not in self.enum:
                raise ValueError(f"{self.label}取值无效。")
            return value
        if self.type == "integer":
            if from_query and isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 12:
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{self.label}应为整数。")
            if self.min is not None and value < self.min:
                raise ValueError(f"{self.label}不能小于 {self.min}。")
            if self.max is not None and value > self.max:
                raise ValueError(f"{self.label}不能大于 {self.max}。")
            if not -INT_LIMIT <= value <= INT_LIMIT:  # no column holds it (and SQLite would overflow)
                raise ValueError(f"{self.label}超出范围。")
            return value
        if self.type == "array":
            if not isinstance(value, list):
                raise ValueError(f"{self.label}应为列表。")
            if len(value) > (self.max or 1000):
                raise ValueError(f"{self.label}最多 {self.max or 1000} 项。")
            return value
        if self.type == "map":
            if not isinstance(value, dict):
                raise ValueError(f"{self.label}应为 JSON 对象。")
            if len(value) > (self.max or 1000):
                raise ValueError(f"{self.label}最多 {self.max or 1000} 项。")
            return value
        if self.type == "boolean":
            if from_query and isinstance(value, str):
                if value.lower() in ("true", "1"):
                    return True
                if value.lower() in ("false", "0"):
                    return False
            if not isinstance(value, bool):
                raise ValueError(f"{self.label}应为 true 或 false。")
            return value
        if self.type == "date":
            try:
                return clock.parse_date(value)
            except (TypeError, ValueError):
                raise ValueError(f"{self.label}应为 YYYY-MM-DD 格式的日期。") from None
        if self.type == "datetime":
            try:
                return clock.parse_datetime(value)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{self.label}应为 ISO 8601 格式的时间，如 2026-12-03T09:00:00+08:00。") from None
        raise AssertionError(self.type)


@dataclass
class Schema:
    """A set of fields: a JSON body or a query string."""

    fields: dict[str, F] = field(default_factory=dict)

    def json_schema(self) -> dict:
        """The JSON schema of a body of these fields."""
        schema = {"type": "object", "properties": {name: f.json_schema() for name, f in self.fields.items()}}
        required = [name for name, f in self.fields.items() if f.required]
        if required:  # OpenAPI 3.0 does not allow an empty list here
            schema["required"] = required
        return schema

    def raw_fields(self) -> tuple[str, ...]:
        """The fields the text rule leaves alone (a password)."""
        return tuple(name for name, f in self.fields.items() if not f.plain_text)

    def parameters(self) -> list[dict]:
        """The OpenAPI parameters of a query of these fields."""
        return [
            {"name": name, "in": "query", "required": f.required, "schema": f.json_schema(),
             "description": f.description or f.label}
            for name, f in self.fields.items()
        ]

    def load(self, data: dict, from_query: bool = False) -> dict:
        """The cleaned values, or ValidationFailed naming every bad field."""
        out, errors = {}, {}
        for name, f in self.fields.items():
            raw = data.get(name, None)
            if from_query and raw == "":
                raw = None
            if f.type == "object" and raw is not None:
                if not isinstance(raw, dict):
                    errors[name] = f"{f.label}应为 JSON 对象。"
                    continue
                try:
                    given = f.schema.load(raw)
                except ValidationFailed as err:
                    errors.update({f"{name}.{k}": v for k, v in err.fields.items()})
                    continue
                out[name] = {k: v for k, v in given.items() if k in raw}  # only what was sent
                continue
            if raw is None and f.required_unless and data.get(f.required_unless[0]) != f.required_unless[1]:
                errors[name] = f"请填写{f.label}。"
                continue
            try:
                out[name] = f.clean(raw, from_query=from_query)
            except ValueError as err:
                errors[name] = str(err)
        if errors:
            raise ValidationFailed(errors)
        return out


def Body(**fields: F) -> Schema:
    """A JSON body of these fields."""
    return Schema(fields)


def Query(**fields: F) -> Schema:
    """A query string of these fields."""
    return Schema(fields)


PAGING = {
    "page": F("integer", "页码", min=1, max=100000, description="页码，从 1 开始"),
    "per_page": F("integer", "每页条数", min=1, max=100, description="每页条数，默认 20，最多 100"),
}

__all__ = ["F", "Body", "Query", "Schema", "PAGING", "date", "datetime"]
