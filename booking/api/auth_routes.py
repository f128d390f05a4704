"""Tokens and the caller's own account."""
from flask import g, request

from booking import clock
from booking.api import serialize
from booking.api.core import bp, current_user, endpoint
from booking.api.schema import Body, F
from booking.auth import services

TOKEN_BODY = Body(
    username=F("string", "用户名", required=True, max_length=64),
    password=F("string", "密码", required=True, max_length=128, plain_text=False),
)


@bp.post("/auth/token")
@endpoint("Exchange a username and password for a bearer token", body=TOKEN_BODY, auth=False, tag="auth",
          responses={200: "Token", 401: None, 403: None, 429: None},
          description="403 password_change_required while the account still has a password set by an administrator "
                      "(a new one is chosen on the web page first).")
def create_token(body):
    """Log in: a new bearer token for valid credentials."""
    user = services.authenticate(body["username"], body["password"], request.remote_addr or "")
    raw, token = services.issue_token(user)
    return {"token": raw, "expires_at": clock.iso(token.expires_at), "user": serialize.user_brief(user)}


@bp.delete("/auth/token")
@endpoint("Revoke the token used for this request", tag="auth", responses={204: None})
def delete_token():
    """Log out: the token used stops working."""
    services.revoke_token(g.api_principal.token_id)
    return "", 204


@bp.get("/me")
@endpoint("The authenticated user", tag="auth", responses={200: "Me"})
def me():
    """The caller, with their branch, bases or lecturer profile."""
    return serialize.me(current_user())
