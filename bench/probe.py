"""The floor of an authenticated API call: the app with one more endpoint that checks the bearer token and answers.

Every endpoint of the API pays for this (the token's row with its user, one indexed query, and the session around
it) before its own work; the benchmark measures it beside the bare endpoint so that a target can be read against
what is left for the endpoint's own work. Served only by the benchmark, never by the app.
"""
from booking import create_app
from booking.api.core import bp, endpoint


@bp.get("/bench/token-only")
@endpoint("Benchmark probe: the token checked, nothing else", tag="bench")
def token_only():
    return {"status": "ok"}


app = create_app()
