"""Access rules of the reminder pages: the treasurer sends and prints; the texts are settings
the admin may edit too; the board and members see none of it."""

TREASURER = ("treasurer",)

ROUTES = {
    "dues.reminders": ("GET", "/beitraege/mahnungen", TREASURER),
    "dues.reminder_letters": ("GET", "/beitraege/mahnungen/briefe?ids={reminder_id}", TREASURER),
    "dues.reminder_texts": ("GET", "/beitraege/mahnungen/texte", ("admin", "treasurer")),
}


def context(users) -> dict:
    """A printed reminder letter for a member without e-mail and an overdue 2025 claim."""
    from supportclub.dues.reminders import plan_reminders, send_reminders
    from supportclub.extensions import db
    from tests.factories import make_claim, make_member

    member = make_member(email=None)
    make_claim(member, 2025)
    plan = plan_reminders(person_ids=[member.id])
    (letter,) = send_reminders(plan.planned, actor=None).letters
    db.session.commit()
    return {"reminder_id": letter.id}
