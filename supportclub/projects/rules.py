"""Which treasurer actions a project's state allows: the buttons shown and the forms opened.

These mirror the checks of the services (which stay the authority on every POST); here they
only decide what a page offers, so nobody is sent to a form that can only be refused.
"""

from supportclub.projects.models import Grant, Project, ProjectStatus
from supportclub.projects.queries import COMMITTED, ProjectSums

ACTIONS = ("edit", "approve", "reject", "allocate", "payout", "proof", "close", "release")


def available_actions(project: Project, sums: ProjectSums) -> set[str]:
    """The actions the project's status and money allow now."""
    status = project.status
    if status == ProjectStatus.CLOSED:
        return set()
    actions = {"edit"}
    if status in (ProjectStatus.APPLIED, ProjectStatus.APPROVED):
        actions.add("approve")
    if status == ProjectStatus.APPLIED:
        actions.add("reject")
    if status in COMMITTED:
        if sums.uncovered_cents > 0:
            actions.add("allocate")
        if sums.approved_cents > sums.paid_cents:
            actions.add("payout")
    if status == ProjectStatus.APPROVED and sums.paid_cents > 0:
        actions.add("proof")
    if status in (ProjectStatus.PROOF_RECEIVED, ProjectStatus.REJECTED) and sums.fund_cents >= 0:
        actions.add("close")
    if sums.fund_cents > 0:
        actions.add("release")
    return actions


def can_revoke(project: Project, grant: Grant, sums: ProjectSums) -> bool:
    """A resolution may be revoked while what was paid stays covered by the rest."""
    return (
        grant.revoked_on is None
        and project.status != ProjectStatus.CLOSED
        and sums.approved_cents - grant.amount_cents >= sums.paid_cents
    )
