"""Fixtures: a fresh app and database per test, on SQLite by default or PostgreSQL (TEST_DATABASE_URL)."""
import os
import shutil

os.environ.setdefault("SECRET_KEY", "test-secret-key")
# The site's address as the tests reach it (the test client's Host); every absolute link is built from it.
os.environ.setdefault("PUBLIC_URL", "http://localhost")
for _name in ("TRUSTED_HOSTS", "APP_ENV", "HTTPS"):
    os.environ.pop(_name, None)
os.environ.pop("DATABASE_URL", None)
for _name in ("MAIL_HOST", "SCHEDULER_ENABLED"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.config import database_uri  # noqa: E402
from models import db  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "demo-pass-2026"


def _pg_uri() -> str:
    os.environ["DATABASE_URL"] = PG_URL
    try:
        return database_uri("")
    finally:
        os.environ.pop("DATABASE_URL")


@pytest.fixture(scope="session")
def schema(tmp_path_factory):
    """The migrated schema, built once per session: an SQLite template file, or the PostgreSQL database."""
    if PG_URL:
        uri = _pg_uri()
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
        with app.app_context():
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
            upgrade()
            db.engine.dispose()
        return {"kind": "postgresql", "uri": uri}
    path = tmp_path_factory.mktemp("schema") / "template.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return {"kind": "sqlite", "path": path}


def _fresh_uri(schema, tmp_path) -> str:
    if schema["kind"] == "sqlite":
        target = tmp_path / "test.db"
        shutil.copy(schema["path"], target)
        return f"sqlite:///{target}"
    return schema["uri"]


@pytest.fixture
def app(schema, tmp_path):
    """An app bound to an empty, migrated database of its own."""
    uri = _fresh_uri(schema, tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        if schema["kind"] == "postgresql":
            tables = [t.name for t in db.metadata.sorted_tables]
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            db.session.commit()
            # What the migrations load comes back, as in a freshly migrated database: the holiday calendar and
            # the areas' root.
            from booking.areas.services import ensure_root
            from booking.catalog.holidays import sync_library
            sync_library()
            ensure_root()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(app):
    """The tests' own small district loaded (tests/world.py): four bases, seven branches, the seven accounts."""
    from tests import world as district
    district.load()
    return app


@pytest.fixture
def demo(app):
    """The demo itself, as `make run` loads it (its district, members and a year of past visits), for the few
    end-to-end tests that look at what a new user sees; no test counts on its figures."""
    from booking.demo import seed
    seed.load_demo()
    seed.load_demo_members()
    seed.load_demo_past()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A small client of the JSON API with bearer tokens per account of the test district."""

    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.get_json()
            self.tokens[username] = r.get_json()["token"]
        return self.tokens[username]

    def _call(self, method, path, as_=None, **kw):
        headers = kw.pop("headers", {})
        if as_:
            headers["Authorization"] = f"Bearer {self.token(as_)}"
        return self.client.open(path, method=method, headers=headers, **kw)

    def get(self, path, as_=None, **kw):
        return self._call("GET", path, as_, **kw)

    def post(self, path, as_=None, **kw):
        return self._call("POST", path, as_, **kw)

    def patch(self, path, as_=None, **kw):
        return self._call("PATCH", path, as_, **kw)

    def put(self, path, as_=None, **kw):
        return self._call("PUT", path, as_, **kw)

    def delete(self, path, as_=None, **kw):
        return self._call("DELETE", path, as_, **kw)


@pytest.fixture
def api(client):
    return Api(client)


def login(client, username, password=PASSWORD):
    """Log in through the page (CSRF is off in these tests; the CSRF test turns it on).

    Requests share the test's app context, so the user Flask-Login remembered for the last request is forgotten.
    """
    from flask import g
    g.pop("_login_user", None)
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture(autouse=True)
def form_errors_shown_once(request):
    """Every page the suite draws with a form in error shows each message where the person sees it, once: a
    message given to a field the page does not draw (hidden), or flashed above as well as beside its field
    (twice), fails the test that drew it."""
    from flask import request_finished, template_rendered
    from flask_wtf import FlaskForm
    from markupsafe import escape
    drawn, problems = [], []

    def rendered(sender, template, context, **extra):
        drawn.extend(v for v in context.values() if isinstance(v, FlaskForm))

    def finished(sender, response, **extra):
        forms, drawn[:] = list(drawn), []
        if not forms or response.mimetype != "text/html" or response.direct_passthrough:
            return
        html = response.get_data(as_text=True)
        expected = {}
        for form in forms:
            for name, messages in form.errors.items():
                if name == "csrf_token":
                    continue
                for message in (messages if isinstance(messages, list) else [messages]):
                    expected[str(message)] = expected.get(str(message), 0) + 1
        for message, times in expected.items():
            seen = html.count(str(escape(message)))
            if seen != times:
                problems.append(f"{message!r}: shown {seen} times, {times} expected")

    template_rendered.connect(rendered)
    request_finished.connect(finished)
    yield
    template_rendered.disconnect(rendered)
    request_finished.disconnect(finished)
    assert not problems, "form errors hidden or shown twice:\n" + "\n".join(problems)
