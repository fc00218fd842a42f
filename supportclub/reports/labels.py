"""Labels the report pages and the PDF share: spheres, project stages, warning levels."""

from flask_babel import lazy_gettext as _l

from supportclub.ledger.labels import SPHERE_LABELS  # noqa: F401  (re-exported)
from supportclub.projects.labels import STAGE_LABELS
from supportclub.projects.models import ProjectStage, ProjectStatus
from supportclub.reports.taxes import Level

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
