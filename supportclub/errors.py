"""Domain errors and the HTTP error pages."""

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from supportclub.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the association's books was broken; the message is for the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """Input that cannot be accepted (wrong amount, unknown account, ...)."""


class ImmutableError(DomainError):
    """An attempt to change or delete something that is booked."""


class ClosedPeriodError(DomainError):
    """A booking dated inside a closed year."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


def register_error_pages(app: Flask) -> None:
    """Render German error pages for 400, 403, 404, 405, 413, 429, 500 and 503 (database gone)."""

    def page(code: int, title: str, text: str):
        if request.accept_mimetypes.best == "application/json":
            return {"error": title}, code
        return render_template("errors/error.html", code=code, title=title, text=text), code

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return page(
            400,
            _("Formular abgelaufen"),
            _(
                "Das Formular war abgelaufen oder unvollständig (Sicherheitstoken fehlt). "
                "Bitte laden Sie die Seite neu und senden Sie es noch einmal."
            ),
        )

    @app.errorhandler(400)
    def bad_request(e):
        return page(400, _("Ungültige Anfrage"), _("Die Anfrage konnte nicht verarbeitet werden."))

    @app.errorhandler(403)
    def forbidden(e):
        return page(
            403,
            _("Kein Zugriff"),
            _("Für diese Seite fehlt Ihnen die Berechtigung."),
        )

    @app.errorhandler(404)
    def not_found(e):
        return page(
            404,
            _("Seite nicht gefunden"),
            _("Diese Seite gibt es nicht. Vielleicht hilft die Navigation oben weiter."),
        )

    @app.errorhandler(405)
    def method_not_allowed(e):
        return page(405, _("Nicht erlaubt"), _("Diese Aktion ist hier nicht möglich."))

    @app.errorhandler(413)
    def too_large(error):
        limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return page(
            413,
            _("Datei zu groß"),
            _("Die Datei ist zu groß; erlaubt sind höchstens %(mb)s MB.", mb=limit_mb),
        )

    @app.errorhandler(429)
    def too_many(e):
        if getattr(e, "response", None) is not None:
            return e.response  # a view's own answer (the login page with its message)
        return page(
            429,
            _("Zu viele Versuche"),
            _("Zu viele Anfragen in kurzer Zeit. Bitte warten Sie eine Minute."),
        )

    @app.errorhandler(DataError)
    def data_refused(e):
        # the database refused a value no form should let through (a NUL character, a number
        # beyond its column): nothing was written, the request was bad
        _rollback()
        log.warning("database refused a value: %s", e.orig)
        return page(400, _("Ungültige Anfrage"), _("Die Anfrage konnte nicht verarbeitet werden."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_gone(e):
        # the connection broke (server restarted, backend killed, network) or the database is
        # busy: the transaction is lost and nothing of it was written; the pool checks its
        # connections before the next use (pool_pre_ping)
        _rollback()
        log.error("database unavailable: %s", e)
        title = _("Datenbank nicht erreichbar")
        text = _(
            "Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal."
        )
        try:
            return page(503, title, text)
        except Exception:  # noqa: BLE001  (the page itself may need the database)
            html = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
            return f"{html}<p>{escape(text)}</p>", 503, {"Content-Type": "text/html"}

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return page(
            500,
            _("Interner Fehler"),
            _(
                "Etwas ist schiefgegangen. Es wurde nichts gespeichert. Bitte versuchen Sie es erneut."  # noqa: E501
            ),
        )


def _rollback() -> None:
    """Roll the session back; a dead connection is discarded on the way."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection may be gone for good)
        db.session.close()
