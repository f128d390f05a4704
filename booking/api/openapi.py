"""OpenAPI 3 description built from the registered routes and their `endpoint` declarations."""
import re

from flask import current_app

from booking.api.core import bp

S, I, B, N = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "number"}


def nullable(schema: dict) -> dict:
    """A JSON schema that also admits null."""
    return {**schema, "nullable": True}


def obj(required: bool = True, **props) -> dict:
    """An object schema whose named properties are all present."""
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(props)
    return schema


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def listing(item: str) -> dict:
    """The contract's list shape of a component."""
    return obj(items={"type": "array", "items": ref(item)}, total=I, page=I, per_page=I)


DT = {"type": "string", "format": "date-time"}

COMPONENTS = {
    "Error": obj(error=obj(required=False, code=S, message=S, fields={"type": "object"})),
    "UserBrief": obj(id=I, username=S, display_name=S, role={"type": "string", "enum": ["admin", "area_admin", "manager", "secretary", "lecturer"]}),
    "Token": obj(token=S, expires_at=DT, user=ref("UserBrief")),
    "Me": obj(id=I, username=S, display_name=S, role=S, email=nullable(S), branch_id=nullable(I),
              base_ids={"type": "array", "items": I}, lecturer_id=nullable(I), calendar_url=nullable(S),
              area_id=nullable(I)),
    "BaseSummary": obj(id=I, name=S, type=S, address=S, description=S, venue_count=I, menu_item_count=I,
                       area_id=I),
    "BaseList": listing("BaseSummary"),
    "Venue": obj(id=I, name=S, kind=S, capacity=I),
    "MenuItem": obj(id=I, title=S, description=S, category=S, content_topic=S, duration_minutes=I,
                    min_group=I, max_group=I, needs_lecturer=B, venue_id=I),
    "Rules": obj(min_advance_days=I, max_advance_days=I, cancel_deadline_hours=I, requires_approval=B,
                 opens_on_holidays=B, max_live_per_branch=nullable(I), max_per_branch_per_month=nullable(I)),
    "BaseDetail": obj(id=I, name=S, type=S, address=S, description=S, venue_count=I, menu_item_count=I, area_id=I,
                      contact_name=nullable(S), contact_phone=nullable(S), visitor_notes=S, rules=ref("Rules"),
                      venues={"type": "array", "items": ref("Venue")},
                      menu={"type": "array", "items": ref("MenuItem")}),
    # `waitlist_from` (beyond the contract's fields): the smallest headcount that may join the slot's waitlist
    # (null: none may), the rule the pages offer the waitlist by.
    "Slot": obj(start=DT, end=DT, capacity=I, remaining=I, bookable=B, waitlist_from=nullable(I)),
    "Availability": obj(date={"type": "string", "format": "date"}, menu_item_id=I, venue_id=I,
                        slots={"type": "array", "items": ref("Slot")}),
    "Organization": obj(id=I, name=S, sector=S, area_id=I),
    "Branch": obj(id=I, name=S, organization=ref("Organization")),
    "BranchList": listing("Branch"),
}

ERROR_TEXT = {
    400: "Malformed JSON or wrong content type", 401: "No, bad or expired token", 403: "Not allowed",
    404: "Not found or not visible to the caller", 405: "Method not allowed", 409: "Conflict of capacity or state",
    413: "Body too large", 414: "URL too long", 422: "Validation error", 429: "Rate limited",
    503: "Database unavailable for a moment: retry (Retry-After)",
}


FILE_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/pdf",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def register_components(extra: dict) -> None:
    """Other API modules add their schemas here."""
    COMPONENTS.update(extra)


def _path(rule) -> tuple[str, list[dict]]:
    params = []

    def repl(m):
        converter, name = m.group(1), m.group(2)
        schema = {"type": "integer", "minimum": 0, "maximum": 2147483647} if converter in ("id", "int") else S
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    path = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", repl, rule.rule)
    return path, params


def _responses(doc: dict, has_params: bool) -> dict:
    out = {}
    for status, schema in doc["responses"].items():
        if status >= 400:
            continue
        entry = {"description": "OK" if status < 300 else "Created"}
        if status == 204:
            entry["description"] = "No content"
        elif schema:  # a component, "file" (a document to download), or a tuple of them (chosen by a parameter)
            entry["content"] = {}
            for one in (schema if isinstance(schema, tuple) else (schema,)):
                if one == "file":
                    binary = {"schema": {"type": "string", "format": "binary"}}
                    entry["content"].update({mime: binary for mime in FILE_TYPES})
                else:
                    entry["content"]["application/json"] = {"schema": ref(one)}
        out[str(status)] = entry
    errors = {s for s in doc["responses"] if s >= 400}
    errors |= {400, 405, 414, 503}  # any request: malformed, wrong method, absurd URL, a database outage
    if doc["auth"]:
        errors |= {401}
    if doc["body"] is not None:
        errors |= {400, 413, 422}
    if doc["query"] is not None:
        errors |= {422}
    if has_params:
        errors |= {404}
    for status in sorted(errors):
        out[str(status)] = {"description": ERROR_TEXT.get(status, "Error"),
                            "content": {"application/json": {"schema": ref("Error")}}}
    return out


def build_spec() -> dict:
    """The OpenAPI document of every route of the API blueprint."""
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = current_app.view_functions[rule.endpoint]
        doc = getattr(view, "api_doc", None)
        if doc is None:
            continue
        path, params = _path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": rule.endpoint.removeprefix("api.") + ("" if method in ("GET", "POST") else "_" + method.lower()),
                "summary": doc["summary"],
                "tags": [doc["tag"]] if doc["tag"] else [],
                "parameters": params + (doc["query"].parameters() if doc["query"] else []),
                "responses": _responses(doc, bool(params)),
            }
            if doc["description"]:
                op["description"] = doc["description"]
            if doc["body"] is not None:
                op["requestBody"] = {"required": not doc.get("optional_body"),
                                     "content": {"application/json": {"schema": doc["body"].json_schema()}}}
            op["security"] = [{"bearer": []}] if doc["auth"] else []
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "开放式组织生活基地预约系统 API", "version": "1.0.0",
                 "description": "JSON API v1 for mobile and mini-program clients and district systems."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": COMPONENTS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI description, readable without a token."""
    return build_spec()


