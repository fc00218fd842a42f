"""Trust: the auditor role, the hash-chained audit trail, the second factor (TOTP), the year
closing's checklist and carried balances, and the privacy lock of a person.

Revision ID: 0009_trust
Revises: 0008_session_epoch
Create Date: 2026-11-25 15:31:12.124279

"""

import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_trust"
down_revision = "0008_session_epoch"
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "treasurer", "board", "member")
NEW_ROLES = ("admin", "treasurer", "board", "auditor", "member")
GENESIS = "0" * 64


def _role_check(roles) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def _digest(prev_hash, created_at, actor_id, actor_label, action, target_type, target_id, data):
    """The same digest as supportclub.audit.entry_digest (kept here: migrations stand alone)."""
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(UTC).replace(tzinfo=None)
    payload = json.dumps(
        [
            prev_hash,
            created_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            actor_id,
            actor_label,
            action,
            target_type,
            target_id,
            data,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _chain_existing_entries() -> None:
    """Give the entries written before this revision their place in the chain, in id order."""
    audit = sa.table(
        "audit_entry",
        sa.column("id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("actor_id", sa.Integer),
        sa.column("actor_label", sa.String),
        sa.column("action", sa.String),
        sa.column("target_type", sa.String),
        sa.column("target_id", sa.Integer),
        sa.column("data_json", sa.Text),
        sa.column("prev_hash", sa.String),
        sa.column("entry_hash", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            audit.c.id,
            audit.c.created_at,
            audit.c.actor_id,
            audit.c.actor_label,
            audit.c.action,
            audit.c.target_type,
            audit.c.target_id,
            audit.c.data_json,
        ).order_by(audit.c.id)
    ).all()
    head = GENESIS
    updates = []
    for row in rows:
        entry_hash = _digest(
            head,
            row.created_at,
            row.actor_id,
            row.actor_label,
            row.action,
            row.target_type,
            row.target_id,
            row.data_json,
        )
        updates.append({"row_id": row.id, "prev": head, "hash": entry_hash})
        head = entry_hash
    if updates:
        bind.execute(
            audit.update()
            .where(audit.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("prev"), entry_hash=sa.bindparam("hash")),
            updates,
        )


def _audit_triggers(enable: bool) -> None:
    """Lift the audit trail's refuse-UPDATE/DELETE triggers (0001) while the chain is filled in
    (and while SQLite's batch mode copies the table, which drops them), and restore them."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        verb = "ENABLE" if enable else "DISABLE"
        op.execute(f"ALTER TABLE audit_entry {verb} TRIGGER audit_entry_immutable")
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            if enable:
                op.execute(
                    f"CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb} ON audit_entry "
                    f"BEGIN SELECT RAISE(ABORT, 'supportclub: {verb} auf audit_entry ist nicht "
                    "erlaubt (Gebuchtes ist unveränderlich; bitte stornieren)'); END"
                )
            else:
                op.execute(f"DROP TRIGGER IF EXISTS audit_entry_no_{verb.lower()}")


def upgrade():
    op.create_table(
        "user_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_recovery_code_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_user_recovery_code_code_hash")),
    )
    with op.batch_alter_table("user_recovery_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_recovery_code_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "closed_year_balance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("fund_id", sa.Integer(), nullable=True),
        sa.Column("opening_cents", sa.Integer(), nullable=False),
        sa.Column("closing_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(account_id IS NULL) <> (fund_id IS NULL)",
            name=op.f("ck_closed_year_balance_account_or_fund"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_closed_year_balance_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["fund.id"], name=op.f("fk_closed_year_balance_fund_id_fund")
        ),
        sa.ForeignKeyConstraint(
            ["year"], ["closed_year.year"], name=op.f("fk_closed_year_balance_year_closed_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_year_balance")),
        sa.UniqueConstraint("year", "account_id", name="uq_closed_year_balance_account"),
        sa.UniqueConstraint("year", "fund_id", name="uq_closed_year_balance_fund"),
    )
    with op.batch_alter_table("closed_year_balance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closed_year_balance_year"), ["year"], unique=False)

    _audit_triggers(enable=False)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_entry_hash"), ["entry_hash"])
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_prev_hash"), ["prev_hash"])
    _audit_triggers(enable=True)

    with op.batch_alter_table("closed_year", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checklist_json", sa.Text(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("closed_year", schema=None) as batch_op:
        batch_op.alter_column("checklist_json", existing_type=sa.Text(), server_default=None)
        batch_op.alter_column("note", existing_type=sa.Text(), server_default=None)

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("lock_reason", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("retain_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_person_locked_at"), ["locked_at"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f("ck_user_user_role"), type_="check")
        batch_op.create_check_constraint("user_role", _role_check(NEW_ROLES))


def downgrade():
    op.execute("UPDATE \"user\" SET role = 'board' WHERE role = 'auditor'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_user_role"), type_="check")
        batch_op.create_check_constraint("user_role", _role_check(OLD_ROLES))
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_locked_at"))
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("retain_until")
        batch_op.drop_column("lock_reason")
        batch_op.drop_column("locked_at")

    with op.batch_alter_table("closed_year", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("checklist_json")

    _audit_triggers(enable=False)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_prev_hash"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_entry_hash"), type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
    _audit_triggers(enable=True)

    with op.batch_alter_table("closed_year_balance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_year_balance_year"))
    op.drop_table("closed_year_balance")

    with op.batch_alter_table("user_recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_recovery_code_user_id"))
    op.drop_table("user_recovery_code")
