"""Labels the report pages and the PDF share: spheres, project stages, warning levels."""

from flask_babel import lazy_gettext as _l

from supportclub.ledger.models import TaxSphere
from supportclub.projects.models import ProjectStage, ProjectStatus
from supportclub.reports.taxes import Level

SPHERE_LABELS = {
    TaxSphere.IDEELL: _l("Ideeller Bereich"),
    TaxSphere.VERMOEGENSVERWALTUNG: _l("Vermögensverwaltung"),
    TaxSphere.ZWECKBETRIEB: _l("Zweckbetrieb"),
    TaxSphere.WIRTSCHAFTLICH: _l("Wirtschaftlicher Geschäftsbetrieb"),
}

STAGE_LABELS = {
    ProjectStage.APPLIED: _l("beantragt"),
    ProjectStage.APPROVED: _l("bewilligt"),
    ProjectStage.PARTLY_PAID: _l("teilweise ausgezahlt"),
    ProjectStage.PAID: _l("ausgezahlt"),
    ProjectStage.PROOF_RECEIVED: _l("Verwendungsnachweis liegt vor"),
    ProjectStage.REJECTED: _l("abgelehnt"),
    ProjectStage.CLOSED: _l("abgeschlossen"),
}
STATUS_LABELS = {status: STAGE_LABELS[ProjectStage(status.value)] for status in ProjectStatus}

LEVEL_LABELS = {
    Level.OK: _l("unter der Grenze"),
    Level.NEAR: _l("nähert sich der Grenze"),
    Level.OVER: _l("Grenze überschritten"),
    Level.UNKNOWN: _l("keine Grenze hinterlegt"),
}
LEVEL_CLASSES = {
    Level.OK: "success",
    Level.NEAR: "warning",
    Level.OVER: "danger",
    Level.UNKNOWN: "secondary",
}
