"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from supportclub.auth.services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = StringField(_l("E-Mail"), validators=[DataRequired(_l("Bitte E-Mail angeben."))])
    password = PasswordField(
        _l("Passwort"), validators=[DataRequired(_l("Bitte Passwort angeben."))]
    )
    remember = BooleanField(_l("Angemeldet bleiben"))
    submit = SubmitField(_l("Anmelden"))


class PasswordChangeForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(
        _l("Aktuelles Passwort"), validators=[DataRequired(_l("Bitte aktuelles Passwort angeben."))]
    )
    new = PasswordField(
        _l("Neues Passwort"),
        validators=[
            DataRequired(_l("Bitte neues Passwort angeben.")),
            Length(min=10, message=_l("Mindestens 10 Zeichen.")),
        ],
    )
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[EqualTo("new", message=_l("Die Passwörter stimmen nicht überein."))],
    )
    submit = SubmitField(_l("Passwort ändern"))


class LinkPasswordForm(FlaskForm):
    """Set a password through an invitation or reset link."""

    password = PasswordField(
        _l("Neues Passwort"),
        validators=[
            DataRequired(_l("Bitte ein Passwort angeben.")),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("Mindestens 10 Zeichen.")),
        ],
    )
    confirm = PasswordField(
        _l("Passwort wiederholen"),
        validators=[EqualTo("password", message=_l("Die Passwörter stimmen nicht überein."))],
    )
    submit = SubmitField(_l("Passwort speichern"))


class ForgotPasswordForm(FlaskForm):
    """Ask for a password-reset link."""

    email = StringField(
        _l("E-Mail"),
        validators=[
            DataRequired(_l("Bitte E-Mail angeben.")),
            Email(_l("Bitte eine gültige E-Mail-Adresse angeben.")),
            Length(max=254, message=_l("Die Adresse ist zu lang.")),
        ],
    )
    submit = SubmitField(_l("Link anfordern"))


# The second factor (TOTP) ------------------------------------------------------------------


class TotpLoginForm(FlaskForm):
    """The second step of a login: a code of the app or a recovery code."""

    code = StringField(
        _l("Bestätigungscode"),
        description=_l(
            "Der 6-stellige Code aus Ihrer Authenticator-App oder einer Ihrer "
            "Wiederherstellungscodes (xxxx-xxxx)."
        ),
        validators=[
            DataRequired(_l("Bitte den Code angeben.")),
            Length(max=20, message=_l("Der Code ist zu lang.")),
        ],
    )
    submit = SubmitField(_l("Bestätigen"))


class TotpEnableForm(FlaskForm):
    """Confirm a new second factor: a current code of the app and the password."""

    code = StringField(
        _l("Code aus der App"),
        validators=[
            DataRequired(_l("Bitte den 6-stelligen Code aus der App angeben.")),
            Length(max=20, message=_l("Der Code ist zu lang.")),
        ],
    )
    password = PasswordField(
        _l("Aktuelles Passwort"), validators=[DataRequired(_l("Bitte Ihr Passwort angeben."))]
    )
    submit = SubmitField(_l("Zweiten Faktor einschalten"))


class TotpDisableForm(FlaskForm):
    """Switch one's second factor off: password and a code (or a recovery code)."""

    password = PasswordField(
        _l("Aktuelles Passwort"), validators=[DataRequired(_l("Bitte Ihr Passwort angeben."))]
    )
    code = StringField(
        _l("Code aus der App oder Wiederherstellungscode"),
        validators=[
            DataRequired(_l("Bitte einen Code angeben.")),
            Length(max=20, message=_l("Der Code ist zu lang.")),
        ],
    )
    submit = SubmitField(_l("Zweiten Faktor ausschalten"))


class RecoveryCodesForm(FlaskForm):
    """New recovery codes (the old ones stop working): the password confirms it."""

    password = PasswordField(
        _l("Aktuelles Passwort"), validators=[DataRequired(_l("Bitte Ihr Passwort angeben."))]
    )
    submit = SubmitField(_l("Neue Wiederherstellungscodes erzeugen"))
