"""Translating the messages services raise, with or without a Flask app.

Services and ``money.py`` raise errors whose German message the user reads. ``_`` translates it
into the request's language when an app is there (Flask-Babel), and otherwise only fills in the
placeholders, so the same code works in plain unit tests, hypothesis tests and scripts.

A message kept in a module constant is marked with ``N_`` where it is defined (so the extractor
sees it; update.sh passes ``-k N_``) and translated with ``_`` where it is raised, never at import.
"""

import flask
import flask_babel

__all__ = ["N_", "_"]


def _(message: str, **values) -> str:
    """Translate `message` (a German msgid) and fill in its %(name)s placeholders."""
    if flask.has_app_context():
        return flask_babel.gettext(message, **values)
    return message % values if values else message


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it (translate later with `_`)."""
    return message
