"""The booking system for open organisational-life bases (开放式组织生活基地)."""
import logging
import os

from flask import Flask

from booking import config
from booking.extensions import csrf, db, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory. The wings are imported in here, as Flask's tutorial does: importing any module of the
    package (a model's test, the CLI's `clock`) runs this package's body first, and it must not load the whole app."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        # INSTANCE_PATH: a server's own folder (its generated secret key, the SQLite default, photo files), so that
        # two servers of one checkout can run as if on two hosts.
        instance_path=os.environ.get("INSTANCE_PATH") or os.path.join(root, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        # static/ is served under fingerprinted names by booking.assets (WhiteNoise), not by Flask's static route.
        static_folder=None,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.load(app.instance_path))
    app.json.ensure_ascii = False  # Chinese text as itself, not \u escapes
    if test_config:
        app.config.update(test_config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from booking.database import sqlite
        sqlite.engine_options(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg"):
        from booking.database import postgres
        postgres.engine_options(app.config["SQLALCHEMY_ENGINE_OPTIONS"])

    from booking import assets
    assets.init_app(app)
    from booking.web.views import SecurityHeaders
    app.wsgi_app = SecurityHeaders(app.wsgi_app, hsts=app.config["HTTPS"])
    if app.config["PROXY_COUNT"]:
        # The client's address and scheme as the reverse proxy saw them (off unless PROXY_COUNT is set).
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["PROXY_COUNT"]
        # X-Forwarded-Host is not trusted: nginx passes the Host it accepted (server_name), and links never use it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from booking.web.views import IdConverter
    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    from booking.database import snapshot
    snapshot.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    from booking.web.views import refuse_unreadable_referrer
    app.before_request(refuse_unreadable_referrer)  # ahead of CSRF's own check, which cannot parse such a header
    csrf.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from booking.database import sqlite
            sqlite.tune(app, db.engine)
        else:
            from booking.database import ping as dbping
            dbping.install(db.engine)

    from booking import api, cli
    from booking.web import views
    from booking.admin import routes as admin
    from booking.auth import routes as auth
    from booking.catalog import routes as catalog
    from booking.lecturers import routes as lecturers
    from booking.manage import routes as manage
    from booking.stats import routes as stats
    from booking.visits import routes as visits
    from booking.reservations import routes as reservations
    from booking.web.errors import register as register_errors

    app.register_blueprint(auth.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(reservations.bp)
    app.register_blueprint(visits.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(lecturers.bp)
    from booking.members import routes as members
    app.register_blueprint(members.bp)
    from booking.members import signin_routes
    app.register_blueprint(signin_routes.bp)
    # A member's sign-in form carries the link's token, the one credential: a page elsewhere cannot know it.
    csrf.exempt(signin_routes.page)
    from booking.series import routes as series
    app.register_blueprint(series.bp)
    from booking.reports import routes as reports
    app.register_blueprint(reports.bp)
    from booking.requests import routes as lecture_requests
    app.register_blueprint(lecture_requests.bp)
    from booking.areas import routes as area_pages
    app.register_blueprint(area_pages.bp)
    from booking.lectures import routes as lecture_pages
    app.register_blueprint(lecture_pages.bp)
    app.register_blueprint(api.bp)
    # The API authenticates with bearer tokens, never with the session cookie: no CSRF token, no cookie read.
    csrf.exempt(api.bp)
    app.session_interface = api.PageSessionInterface()
    views.init_app(app)
    register_errors(app)
    cli.init_app(app)
    return app
