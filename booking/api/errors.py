"""The contract's JSON error format for every non-2xx answer under /api/v1."""
from flask import jsonify
from werkzeug.exceptions import HTTPException

HTTP_CODES = {
    400: ("bad_request", "请求格式有误。"),
    401: ("unauthenticated", "请先登录或提供有效的令牌。"),
    403: ("forbidden", "您没有权限执行此操作。"),
    404: ("not_found", "未找到该资源。"),
    405: ("method_not_allowed", "该路径不支持此请求方法。"),
    413: ("payload_too_large", "请求体过大。"),
    414: ("uri_too_long", "请求地址过长。"),
    415: ("bad_request", "请使用 application/json 提交。"),
    429: ("rate_limited", "请求过于频繁，请稍后再试。"),
}


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    """A JSON error response in the contract's shape."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    response = jsonify({"error": error})
    response.status_code = status
    return response


def http_json_error(err: HTTPException):
    """A werkzeug HTTP error (unknown path, wrong method, too large …) as a contract error."""
    status = err.code or 500
    code, message = HTTP_CODES.get(status, ("error", err.description or "请求失败。"))
    response = json_error(status, code, message)
    if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response
