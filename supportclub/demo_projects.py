"""Recording the demo's projects and their steps through the projects services.

`create_projects` records every planned application (in the order of their dates, so the
project numbers follow them); `record_steps` records a year's approvals, allocations, payouts,
proofs of use, closings and rejections as planned by `demo_grants`. Payouts are demo bookings
("demo-YYYY-NNNN"); allocations and the rest booked back at closing are the services' own.
"""

from supportclub.demo_grants import (
    ALLOCATE,
    APPROVE,
    CLOSE,
    PAYOUT,
    PROOF,
    REJECT,
    GrantPlan,
    Step,
)
from supportclub.ledger.models import Channel, Fund
from supportclub.projects.models import Project
from supportclub.projects.services import (
    allocate_funds,
    approve_project,
    close_project,
    create_project,
    record_payout,
    record_proof,
    reject_project,
)


def create_projects(plan: GrantPlan) -> dict[str, Project]:
    """Record every planned application; return the projects by plan key."""
    projects = {}
    for planned in sorted(plan.projects.values(), key=lambda p: (p.applied_on, p.key)):
        projects[planned.key] = create_project(
            applicant_id=planned.applicant.id,
            title=planned.title,
            requested_cents=planned.requested_cents,
            applied_on=planned.applied_on,
            purpose=planned.purpose,
            contact_name=planned.contact_name,
            contact_email=planned.applicant.email or "",
            actor=None,
        )
    return projects


def project_funds(projects: dict[str, Project]) -> dict[str, Fund]:
    """Each project's earmarked fund by plan key."""
    return {key: project.fund for key, project in projects.items()}


def record_steps(
    year: int, steps: list[Step], projects: dict[str, Project], bank_id: int, first_ref: int
) -> int:
    """Record the steps in their order; payouts are numbered from `first_ref` on.

    Returns how many bookings were made (allocations, payouts and rests booked back).
    """
    bookings, ref = 0, first_ref
    for step in steps:
        project = projects[step.key]
        if step.action == PAYOUT:
            record_payout(
                project,
                amount_cents=step.cents,
                booking_date=step.when,
                account_id=bank_id,
                text=step.text,
                channel=Channel.DEMO,
                external_ref=f"demo-{year}-{ref:04d}",
                actor=None,
            )
            ref += 1
        else:
            _record_decision(project, step)
        bookings += step.action in (ALLOCATE, PAYOUT) or (step.action == CLOSE and step.cents > 0)
    return bookings


def _record_decision(project: Project, step: Step) -> None:
    """Record a step that is not a payout."""
    when = step.when
    if step.action == APPROVE:
        approve_project(
            project, resolution_date=when, amount_cents=step.cents, note=step.text, actor=None
        )
    elif step.action == ALLOCATE:
        allocate_funds(
            project, amount_cents=step.cents, booking_date=when, text=step.text, actor=None
        )
    elif step.action == PROOF:
        record_proof(project, received_on=when, note=step.text, actor=None)
    elif step.action == CLOSE:
        close_project(project, closed_on=when, note=step.text, release_rest=True, actor=None)
    elif step.action == REJECT:
        reject_project(project, decided_on=when, note=step.text, actor=None)
    else:
        raise ValueError(f"unknown project step: {step.action}")
