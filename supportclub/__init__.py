"""supportclub: donation and membership management for German support associations."""

from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from config import CONFIGS, INSTANCE_DIR, ProductionConfig

MAX_DB_INT = 2**31 - 1  # INTEGER columns on PostgreSQL

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the app. `config` is a config class, a name ("testing") or a dict of overrides."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    _configure(app, config)
    INSTANCE_DIR.mkdir(exist_ok=True)

    _init_extensions(app)
    _install_id_converter(app)
    _register_blueprints(app)

    from supportclub.errors import register_error_pages
    from supportclub.permissions import install_access_control

    install_access_control(app)
    from supportclub.security import install_security_headers

    install_security_headers(app)
    from supportclub import audit

    audit.install_guard()
    register_error_pages(app)
    _register_template_helpers(app)
    _register_commands(app)
    return app


def _configure(app: Flask, config) -> None:
    """Load the config class named by FLASK_ENV-like SUPPORTCLUB_ENV, then overrides."""
    import os

    overrides = {}
    if isinstance(config, dict):
        overrides = config
        config = None
    if config is None:
        config = os.environ.get("SUPPORTCLUB_ENV", "development")
    if isinstance(config, str):
        if config not in CONFIGS:
            raise RuntimeError(
                f"SUPPORTCLUB_ENV={config!r} ist unbekannt; erlaubt: {', '.join(CONFIGS)}"
            )
        config = CONFIGS[config]
    if config is ProductionConfig:
        ProductionConfig.check()
    app.config.from_object(config)
    app.config.update(overrides)


def _init_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    from supportclub.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    from supportclub.auth.models import User

    @login_manager.user_loader
    def load_user(user_id: str):
        # "<id>:<session epoch>"; a plain "<id>" (sessions from before the epoch) is epoch 0
        ident, _sep, epoch = user_id.partition(":")
        if not ident.isdigit() or not (epoch or "0").isdigit() or len(user_id) > 40:
            return None
        user = db.session.get(User, int(ident))
        if user is None or not user.is_active or (user.session_epoch or 0) != int(epoch or 0):
            return None
        return user


def _select_locale() -> str:
    """The language: the user's choice in the session, else German."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys and let SQLAlchemy manage transactions (savepoints work)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # readers and the one writer do not block each other (the receipts batch runs in a
        # thread of the app while pages are read); ignored for in-memory databases
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """SQLite: emit our own BEGIN (pysqlite's implicit one breaks SAVEPOINT)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")


class _DatabaseIdConverter(IntegerConverter):
    """<int:...> in URLs: ids the database can hold; a larger number is simply not found (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def _install_id_converter(app: Flask) -> None:
    """Make every <int:id> route answer 404, not 500, for numbers beyond the integer columns."""
    app.url_map.converters["int"] = _DatabaseIdConverter


def _register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from supportclub import numbering  # noqa: F401  (model only, no views)
    from supportclub.admin import bp as admin_bp
    from supportclub.auditing import bp as auditing_bp
    from supportclub.auth import bp as auth_bp
    from supportclub.banking import bp as banking_bp
    from supportclub.campaigns import bp as campaigns_bp
    from supportclub.closing import bp as closing_bp
    from supportclub.donations import bp as donations_bp
    from supportclub.dues import bp as dues_bp
    from supportclub.ledger import bp as ledger_bp
    from supportclub.main import bp as main_bp
    from supportclub.members import bp as members_bp
    from supportclub.payments import bp as payments_bp
    from supportclub.portal import bp as portal_bp
    from supportclub.privacy import bp as privacy_bp
    from supportclub.projects import bp as projects_bp
    from supportclub.receipts import bp as receipts_bp
    from supportclub.reports import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(dues_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(donations_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(receipts_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(banking_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(closing_bp)
    app.register_blueprint(auditing_bp)
    app.register_blueprint(privacy_bp)


def _register_template_helpers(app: Flask) -> None:
    """Jinja filters (money, dates) and globals (navigation, permissions)."""
    from supportclub import permissions
    from supportclub.money import money_filter

    app.jinja_env.filters["money"] = money_filter

    def date_de(value) -> str:
        return value.strftime("%d.%m.%Y") if value else ""

    def datetime_de(value) -> str:
        from supportclub.clock import LOCAL_TZ

        return value.astimezone(LOCAL_TZ).strftime("%d.%m.%Y %H:%M") if value else ""

    app.jinja_env.filters["date_de"] = date_de
    app.jinja_env.filters["datetime_de"] = datetime_de
    app.jinja_env.globals["perm"] = permissions

    from supportclub.admin.forms import ROLE_LABELS

    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)

    @app.context_processor
    def inject_locale():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "request_path": request.path}


def _register_commands(app: Flask) -> None:
    """CLI commands (flask --app supportclub ...)."""
    from supportclub.auth.commands import users_cli
    from supportclub.demo import demo_command

    app.cli.add_command(users_cli)
    from supportclub.dues.commands import dues_cli

    app.cli.add_command(dues_cli)
    app.cli.add_command(demo_command)
    from supportclub.receipts.commands import receipts_cli

    app.cli.add_command(receipts_cli)
    from supportclub.payments.commands import payments_cli

    app.cli.add_command(payments_cli)
    from supportclub.auditing.commands import audit_cli
    from supportclub.backup.commands import backup_command, restore_command
    from supportclub.closing.commands import closing_cli
    from supportclub.privacy.commands import privacy_cli

    app.cli.add_command(closing_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def check_database() -> bool:
    """True when the database answers a trivial query."""
    from supportclub.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False
