"""The booking system for open organisational-life bases (开放式组织生活基地)."""
import logging
import os

from flask import Flask, request
from sqlalchemy import event

from booking import config
from booking.extensions import csrf, db, login_manager, migrate

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.path.join(root, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.load(app.instance_path))
    app.json.ensure_ascii = False  # Chinese text as itself, not \u escapes
    if test_config:
        app.config.update(test_config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options.setdefault("connect_args", {})["timeout"] = 30

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from booking.views import IdConverter
    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        _tune_engine(db.engine)

    from booking import auth, catalog, admin, manage, reservations, visits, stats, lecturers, api, cli, views
    from booking.errors import register_page_handlers

    app.register_blueprint(auth.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(reservations.bp)
    app.register_blueprint(visits.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(lecturers.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, never with the session cookie
    views.init_app(app)
    register_page_handlers(app)
    cli.init_app(app)
    return app


def _tune_engine(engine) -> None:
    """SQLite: WAL, foreign keys, a busy timeout, and write transactions that take the lock up front."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A deferred transaction that reads and then writes fails at once with "database is locked"
        # when another process wrote in between; BEGIN IMMEDIATE waits for the lock instead.
        # Reads (GET pages and API calls) stay deferred so they never wait for writers.
        from flask import has_request_context
        if has_request_context() and request.method in READ_METHODS:
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
