"""How the kinds of donation are named on pages, in forms and in exports."""

from flask_babel import lazy_gettext as _l

from supportclub.donations.models import DonationKind

KIND_LABELS = {
    DonationKind.MONEY: _l("Geldspende"),
    DonationKind.IN_KIND: _l("Sachspende"),
    DonationKind.WAIVER: _l("Aufwandsspende"),
}
