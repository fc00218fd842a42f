"""How the tax spheres are named on every page, in the PDF and in exports."""

from flask_babel import lazy_gettext as _l

from supportclub.ledger.models import TaxSphere

SPHERE_LABELS = {
    TaxSphere.IDEELL: _l("Ideeller Bereich"),
    TaxSphere.VERMOEGENSVERWALTUNG: _l("Vermögensverwaltung"),
    TaxSphere.ZWECKBETRIEB: _l("Zweckbetrieb"),
    TaxSphere.WIRTSCHAFTLICH: _l("Wirtschaftlicher Geschäftsbetrieb"),
}
