"""How project stages are named and coloured on every page, in the PDF and in exports."""

from flask_babel import lazy_gettext as _l

from supportclub.projects.models import ProjectStage

STAGE_LABELS = {
    ProjectStage.APPLIED: _l("beantragt"),
    ProjectStage.APPROVED: _l("bewilligt"),
    ProjectStage.PARTLY_PAID: _l("teilweise ausgezahlt"),
    ProjectStage.PAID: _l("ausgezahlt"),
    ProjectStage.PROOF_RECEIVED: _l("Nachweis erhalten"),
    ProjectStage.REJECTED: _l("abgelehnt"),
    ProjectStage.CLOSED: _l("abgeschlossen"),
}
STAGE_BADGES = {
    ProjectStage.APPLIED: "bg-info text-dark",
    ProjectStage.APPROVED: "bg-primary",
    ProjectStage.PARTLY_PAID: "bg-warning text-dark",
    ProjectStage.PAID: "bg-success",
    ProjectStage.PROOF_RECEIVED: "bg-success",
    ProjectStage.REJECTED: "bg-secondary",
    ProjectStage.CLOSED: "bg-dark",
}
