"""Absolute links the system writes (mails, calendar feeds, QR codes, screen and series links): always built from
PUBLIC_URL, the site's address as its users reach it, never from the request's Host header (which anyone can set:
a reset link pointed at another site hands its token over)."""
from urllib.parse import urlsplit

from flask import current_app


def external(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint under PUBLIC_URL; works with or without a request (jobs, the CLI)."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path.rstrip("/") or "/",
                                       url_scheme=public.scheme)
    return adapter.build(endpoint, values, force_external=True)
