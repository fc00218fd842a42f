"""The public donation form: a suggested or a free amount, an optional earmark, the donor."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import Length

from supportclub.forms import MoneyField, int_or_none
from supportclub.money import MoneyError, parse_amount
from supportclub.payments.checkout import MAX_DONATION_CENTS, DonationInput

DONOR_FIELDS = ("first_name", "last_name", "street", "postal_code", "city", "email")


def _strip(value):
    """Trim surrounding whitespace of a text field."""
    return value.strip() if isinstance(value, str) else value


def suggested_amounts(text: str | None) -> list[int]:
    """The suggested amounts of the settings ("25,50,100,250", whole euros) as cents."""
    amounts = []
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit() and 0 < int(part) * 100 <= MAX_DONATION_CENTS:
            cents = int(part) * 100
            if cents not in amounts:
                amounts.append(cents)
    return amounts


class DonationForm(FlaskForm):
    """What a donor enters; the service (check_donation) decides what is required."""

    preset = RadioField(_l("Betrag"), choices=[], validate_choice=False)
    amount = MoneyField(
        _l("Anderer Betrag in Euro"),
        required=False,
        description=_l("Ein eingetragener Betrag gilt statt der Auswahl oben."),
    )
    fund_id = SelectField(
        _l("Wofür soll Ihre Spende verwendet werden?"),
        coerce=int_or_none,
        validate_choice=False,  # the service refuses closed or unknown projects with a message
    )
    organisation = BooleanField(
        _l("Ich spende als Firma/Organisation"),
        description=_l(
            "Dann tragen Sie bei „Nachname“ den Namen der Firma oder Organisation ein; "
            "der Vorname entfällt."
        ),
    )
    first_name = StringField(
        _l("Vorname"),
        filters=[_strip],
        validators=[Length(max=100)],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Nachname bzw. Name der Firma/Organisation"),
        filters=[_strip],
        validators=[Length(max=200)],
        render_kw={"autocomplete": "family-name"},
    )
    street = StringField(
        _l("Straße und Hausnummer"),
        filters=[_strip],
        validators=[Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    postal_code = StringField(
        _l("Postleitzahl"),
        filters=[_strip],
        validators=[Length(max=10)],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
    )
    city = StringField(
        _l("Ort"),
        filters=[_strip],
        validators=[Length(max=100)],
        render_kw={"autocomplete": "address-level2"},
    )
    email = StringField(
        _l("E-Mail"),
        filters=[_strip],
        validators=[Length(max=254)],
        description=_l("Für die Zahlungsbestätigung von Stripe und Rückfragen zu Ihrer Spende."),
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    wants_receipt = BooleanField(_l("Ich möchte eine Zuwendungsbestätigung"))
    anonymous = BooleanField(
        _l("anonym spenden"),
        description=_l(
            "Dann brauchen wir weder Namen noch Anschrift; eine Zuwendungsbestätigung ist "
            "anonym nicht möglich."
        ),
    )
    submit = SubmitField(_l("Weiter zur Zahlung"))

    def setup(self, amounts: list[int], earmarks: list) -> None:
        """Offer the suggested amounts (cents) and the earmarks (earmark_choices())."""
        self.preset.choices = [(str(cents), str(cents // 100)) for cents in amounts]
        self.fund_id.choices = earmarks

    def prefill(self, args) -> None:
        """Fill amount and project from the embeddable link: ?betrag=50&projekt=<fund id>."""
        text = (args.get("betrag") or "").strip()
        if text:
            try:
                cents = parse_amount(text)
            except MoneyError:
                cents = None
            if cents is not None and str(cents) in {value for value, _ in self.preset.choices}:
                self.preset.data = str(cents)
            elif cents is not None:
                self.amount.data = cents
        project = (args.get("projekt") or "").strip()
        if project.isdigit() and any(str(c.value) == project for c in self.fund_id.choices):
            self.fund_id.data = int(project)

    def amount_cents(self) -> int | None:
        """The amount entered: the free amount when given, else the chosen suggestion."""
        if self.amount.data is not None:
            return self.amount.data
        if (self.preset.data or "").isdigit():
            return int(self.preset.data)
        return None

    def donation_input(self, *, as_person: bool) -> DonationInput:
        """The form as the service takes it (a logged-in person's own data count, not these)."""
        values = {name: getattr(self, name).data or "" for name in DONOR_FIELDS}
        organisation = bool(self.organisation.data) and not as_person
        if organisation:
            values["first_name"] = ""
        if as_person:
            values = {}
        return DonationInput(
            amount_cents=self.amount_cents() or 0,
            fund_id=self.fund_id.data,
            anonymous=bool(self.anonymous.data) and not as_person,
            wants_receipt=bool(self.wants_receipt.data),
            organisation=organisation,
            **values,
        )

    def validate(self, extra_validators=None) -> bool:
        """The field checks, and that an amount was chosen or entered at all."""
        ok = super().validate(extra_validators)
        if ok and self.amount_cents() is None:
            self.amount.errors = [_l("Bitte einen Betrag wählen oder eingeben.")]
            return False
        return ok
