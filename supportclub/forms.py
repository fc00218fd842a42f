"""Form helpers shared by every feature."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from supportclub.errors import DomainError
from supportclub.money import MoneyError, format_input, parse_amount


class EmptyForm(FlaskForm):
    """A CSRF-protected form with only a button (logout, confirmations)."""

    submit = SubmitField()


def apply_domain_error(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's error at the field it names, else at the top of the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors") and not hasattr(field, "entries"):
        field.errors = [*list(field.errors or []), exc.message]
    else:
        form.form_errors.append(exc.message)


class MoneyField(StringField):
    """A text field whose data is integer cents, parsed only by money.parse_amount."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        allow_negative=False,
        allow_zero=False,
        required=True,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.allow_negative = allow_negative
        self.allow_zero = allow_zero
        self.required = required

    def process_formdata(self, valuelist):
        """Parse the submitted text to cents; keep the raw text for redisplay."""
        self.raw_text = valuelist[0] if valuelist else ""
        if not self.raw_text.strip() and not self.required:
            self.data = None
            return
        try:
            self.data = parse_amount(
                self.raw_text, allow_negative=self.allow_negative, allow_zero=self.allow_zero
            )
        except MoneyError as exc:
            self.data = None
            raise ValueError(str(exc)) from exc

    def _value(self) -> str:
        """Show what the user typed, or the stored cents in German format."""
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return format_input(self.data) if isinstance(self.data, int) else ""


def int_or_none(value):
    """Coerce a select value to int, or None for the empty choice."""
    if value in (None, "", "None"):
        return None
    return int(value)
