"""Static files under fingerprinted names, precompressed, cached for a year.

At start-up every file under static/ is copied once into STATIC_BUILD_FOLDER (default instance/static) as
`name.<hash>.ext`, the hash being the first 12 hex digits of its SHA-256, with `.gz` and `.br` beside it for the
text types. Templates link a file through `asset("css/app.css")`, which gives the fingerprinted URL; a changed file
gets a new name, so a name can be kept for a year (`immutable`) and an upgrade is never served a stale script.

WhiteNoise serves the built folder in front of Flask: the compressed copy the client accepts (`Vary:
Accept-Encoding`), no session, no cookie, no `Vary: Cookie`. nginx serves the same folder with gzip_static and
brotli_static (deploy/nginx/booking.conf). Files already built are left as they are (their name says their
content), so several workers starting at once, or an old page still open during an upgrade, are served alike.
"""
import gzip
import hashlib
import os
import re

import brotli
from flask import request
from whitenoise import WhiteNoise

PREFIX = "static/"
STATIC_PATH = "/" + PREFIX
YEAR = 365 * 24 * 3600
COMPRESSIBLE = (".css", ".js", ".svg", ".json", ".map", ".txt", ".html", ".xml", ".md")
# name.<12 hex>.ext: what the build writes, and what is cached for a year.
FINGERPRINTED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+(\.(gz|br))?$")


class UnknownAsset(KeyError):
    """A template links a file that static/ does not have (a typo): caught by every page test, never at a user."""


def _fingerprinted(rel: str, digest: str) -> str:
    stem, ext = os.path.splitext(rel)
    return f"{stem}.{digest[:12]}{ext}"


def _write(path: str, data: bytes) -> None:
    """Written beside and renamed into place: a worker starting at the same moment never reads half a file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.{os.getpid()}.tmp"
    with open(temp, "wb") as f:
        f.write(data)
    os.replace(temp, path)


def build(source: str, target: str) -> dict[str, str]:
    """Copy every file of `source` into `target` under its fingerprinted name (with .gz and .br for text types)
    unless it is there already; return {"css/app.css": "css/app.0123456789ab.css", ...}."""
    manifest = {}
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, source).replace(os.sep, "/")
            with open(path, "rb") as f:
                data = f.read()
            built = _fingerprinted(rel, hashlib.sha256(data).hexdigest())
            manifest[rel] = built
            out = os.path.join(target, built)
            if os.path.exists(out):
                continue
            if name.endswith(COMPRESSIBLE):
                # Compressed first, the plain file last: a file that is there has its compressed copies beside it.
                _write(out + ".gz", gzip.compress(data, compresslevel=9, mtime=0))
                _write(out + ".br", brotli.compress(data, quality=11))
            _write(out, data)
    return manifest


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year (not its ten) for fingerprinted names; any other file in the folder (none is built)
    would be kept a minute. Every other request goes straight on to Flask: WhiteNoise would decode its path and
    look it up among the files first, on every page and API call."""
    FOREVER = YEAR

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(STATIC_PATH):
            return self.application(environ, start_response)
        return super().__call__(environ, start_response)


def init_app(app) -> None:
    """Build the static files, serve them before Flask, and give templates `asset(path)`."""
    source = os.path.join(app.root_path, os.pardir, "static")
    target = app.config.get("STATIC_BUILD_FOLDER") or os.path.join(app.instance_path, "static")
    manifest = build(os.path.normpath(source), target)
    app.extensions["assets"] = manifest
    app.wsgi_app = StaticFiles(app.wsgi_app, root=target, prefix=PREFIX, autorefresh=False,
                               immutable_file_test=lambda path, url: bool(FINGERPRINTED.search(url)))

    def asset(path: str) -> str:
        """The URL of static/<path> under its fingerprinted name."""
        try:
            built = manifest[path]
        except KeyError:
            raise UnknownAsset(path) from None
        return f"{request.script_root}/{PREFIX}{built}"

    app.jinja_env.globals["asset"] = asset
