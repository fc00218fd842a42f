"""members and dues: memberships, types and fee rates, dues claims, reminders, login tokens

Revision ID: 0003_members_dues
Revises: 0002_balance_indexes
Create Date: 2026-11-25 03:11:56.051604

"""
import sqlalchemy as sa
from alembic import op

from supportclub.admin.models import (
    DEFAULT_DUNNING_SUBJECT,
    DEFAULT_DUNNING_TEXT,
    DEFAULT_REMINDER_SUBJECT,
    DEFAULT_REMINDER_TEXT,
)


# revision identifiers, used by Alembic.
revision = '0003_members_dues'
down_revision = '0002_balance_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('membership_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_type')),
    sa.UniqueConstraint('code', name=op.f('uq_membership_type_code'))
    )
    op.create_table('number_sequence',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_number_sequence'))
    )
    op.create_table('dues_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('claims_created', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_dues_run_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dues_run'))
    )
    with op.batch_alter_table('dues_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dues_run_year'), ['year'], unique=False)

    op.create_table('fee_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_type_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_fee_rate_amount_nonnegative')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name=op.f('ck_fee_rate_range_valid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_fee_rate_created_by_id_user')),
    sa.ForeignKeyConstraint(['membership_type_id'], ['membership_type.id'], name=op.f('fk_fee_rate_membership_type_id_membership_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_rate')),
    sa.UniqueConstraint('membership_type_id', 'valid_from', name='uq_fee_rate_type_from')
    )
    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('membership_type_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('leave_reason', sa.String(length=200), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('mandate_reference', sa.String(length=35), nullable=True),
    sa.Column('mandate_date', sa.Date(), nullable=True),
    sa.Column('mandate_iban', sa.String(length=34), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(mandate_reference IS NULL AND mandate_date IS NULL AND mandate_iban IS NULL) OR (mandate_reference IS NOT NULL AND mandate_date IS NOT NULL AND mandate_iban IS NOT NULL)', name=op.f('ck_membership_mandate_complete')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_membership_end_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_membership_created_by_id_user')),
    sa.ForeignKeyConstraint(['membership_type_id'], ['membership_type.id'], name=op.f('fk_membership_membership_type_id_membership_type')),
    sa.ForeignKeyConstraint(['payer_id'], ['person.id'], name=op.f('fk_membership_payer_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_membership_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('mandate_reference', name=op.f('uq_membership_mandate_reference'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index('ix_membership_dates', ['start_date', 'end_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_membership_type_id'), ['membership_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_person_id'), ['person_id'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('email', 'letter', name='reminder_channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('open_cents', sa.Integer(), nullable=False),
    sa.Column('claim_ids', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('level IN (1, 2)', name=op.f('ck_reminder_level_valid')),
    sa.CheckConstraint('open_cents > 0', name=op.f('ck_reminder_open_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_reminder_created_by_id_user')),
    sa.ForeignKeyConstraint(['member_id'], ['person.id'], name=op.f('fk_reminder_member_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_reminder_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder'))
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_person_id'), ['person_id'], unique=False)

    op.create_table('user_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_token_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_token_token_hash'))
    )
    with op.batch_alter_table('user_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_token_user_id'), ['user_id'], unique=False)

    op.create_table('dues_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('fee_rate_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_dues_claim_amount_positive')),
    sa.CheckConstraint('months BETWEEN 1 AND 12', name=op.f('ck_dues_claim_months_valid')),
    sa.ForeignKeyConstraint(['fee_rate_id'], ['fee_rate.id'], name=op.f('fk_dues_claim_fee_rate_id_fee_rate')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_dues_claim_membership_id_membership')),
    sa.ForeignKeyConstraint(['run_id'], ['dues_run.id'], name=op.f('fk_dues_claim_run_id_dues_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dues_claim')),
    sa.UniqueConstraint('membership_id', 'year', name='uq_dues_claim_membership_year')
    )
    with op.batch_alter_table('dues_claim', schema=None) as batch_op:
        batch_op.create_index('ix_dues_claim_year_membership', ['year', 'membership_id'], unique=False)

    op.create_table('claim_waiver',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_claim_waiver_amount_positive')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_claim_waiver_reason_present')),
    sa.ForeignKeyConstraint(['claim_id'], ['dues_claim.id'], name=op.f('fk_claim_waiver_claim_id_dues_claim')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_claim_waiver_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_waiver')),
    sa.UniqueConstraint('claim_id', name=op.f('uq_claim_waiver_claim_id'))
    )
    _alter_existing_tables()
    op.execute("INSERT INTO number_sequence (name, last_value) VALUES ('member', 1000)")


def downgrade():
    _restore_existing_tables()

    op.drop_table('claim_waiver')
    with op.batch_alter_table('dues_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_dues_claim_year_membership')

    op.drop_table('dues_claim')
    with op.batch_alter_table('user_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_token_user_id'))

    op.drop_table('user_token')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_person_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_member_id'))

    op.drop_table('reminder')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_person_id'))
        batch_op.drop_index(batch_op.f('ix_membership_payer_id'))
        batch_op.drop_index(batch_op.f('ix_membership_membership_type_id'))
        batch_op.drop_index('ix_membership_dates')

    op.drop_table('membership')
    op.drop_table('fee_rate')
    with op.batch_alter_table('dues_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dues_run_year'))

    op.drop_table('dues_run')
    op.drop_table('number_sequence')
    op.drop_table('membership_type')


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _alter_existing_tables():
    """New columns on settings, person, user and booking_line, kept valid for existing rows."""
    with op.batch_alter_table("association_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dues_pro_rata", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("dues_payment_days", sa.Integer(), nullable=False, server_default="30"))
        batch_op.add_column(sa.Column("reminder_subject", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reminder_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("dunning_subject", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("dunning_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reminder_interval_days", sa.Integer(), nullable=False, server_default="14"))
        batch_op.create_check_constraint("payment_days_valid", "dues_payment_days BETWEEN 0 AND 365")
        batch_op.create_check_constraint("interval_valid", "reminder_interval_days BETWEEN 1 AND 365")
    op.get_bind().execute(
        sa.text(
            "UPDATE association_settings SET reminder_subject = :rs, reminder_text = :rt, "
            "dunning_subject = :ds, dunning_text = :dt"
        ),
        {"rs": DEFAULT_REMINDER_SUBJECT, "rt": DEFAULT_REMINDER_TEXT,
         "ds": DEFAULT_DUNNING_SUBJECT, "dt": DEFAULT_DUNNING_TEXT},
    )
    # the server defaults only filled existing rows; the app supplies values from now on
    with op.batch_alter_table("association_settings", schema=None) as batch_op:
        for column in ("dues_pro_rata", "dues_payment_days", "reminder_subject", "reminder_text",
                       "dunning_subject", "dunning_text", "reminder_interval_days"):
            batch_op.alter_column(column, server_default=None)

    # ADD COLUMN only: no table rebuild, so the immutability triggers stay in place
    if _sqlite():
        op.execute(
            "ALTER TABLE booking_line ADD COLUMN dues_claim_id INTEGER "
            "CONSTRAINT fk_booking_line_dues_claim_id_dues_claim REFERENCES dues_claim (id)"
        )
    else:
        op.add_column("booking_line", sa.Column("dues_claim_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_booking_line_dues_claim_id_dues_claim"), "booking_line", "dues_claim",
            ["dues_claim_id"], ["id"],
        )
    op.create_index(op.f("ix_booking_line_dues_claim_id"), "booking_line", ["dues_claim_id"], unique=False)

    op.add_column("person", sa.Column("phone", sa.String(length=50), nullable=False, server_default=""))
    op.add_column("person", sa.Column("member_number", sa.Integer(), nullable=True))
    op.add_column("person", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_person_city", "person", ["city"], unique=False)
    op.create_index(op.f("ix_person_member_number"), "person", ["member_number"], unique=True)
    if not _sqlite():  # SQLite keeps the default: dropping it would rebuild the table
        op.alter_column("person", "phone", server_default=None)
    op.create_index(op.f("ix_user_person_id"), "user", ["person_id"], unique=True)


def _restore_existing_tables():
    """Undo _alter_existing_tables."""
    op.drop_index(op.f("ix_user_person_id"), table_name="user")
    op.drop_index(op.f("ix_person_member_number"), table_name="person")
    op.drop_index("ix_person_city", table_name="person")
    op.drop_column("person", "updated_at")
    op.drop_column("person", "member_number")
    op.drop_column("person", "phone")
    op.drop_index(op.f("ix_booking_line_dues_claim_id"), table_name="booking_line")
    if _sqlite():
        # SQLite cannot drop a column that carries a foreign key: rebuild the table, which
        # drops its triggers, then put the triggers back.
        with op.batch_alter_table("booking_line", schema=None) as batch_op:
            batch_op.drop_column("dues_claim_id")
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER booking_line_no_{verb.lower()} BEFORE {verb} ON booking_line "
                f"BEGIN SELECT RAISE(ABORT, 'supportclub: {verb} auf booking_line ist nicht "
                "erlaubt (Gebuchtes ist unveränderlich; bitte stornieren)'); END"
            )
    else:
        op.drop_constraint(op.f("fk_booking_line_dues_claim_id_dues_claim"), "booking_line", type_="foreignkey")
        op.drop_column("booking_line", "dues_claim_id")
    with op.batch_alter_table("association_settings", schema=None) as batch_op:
        batch_op.drop_constraint("interval_valid", type_="check")
        batch_op.drop_constraint("payment_days_valid", type_="check")
        for column in ("reminder_interval_days", "dunning_text", "dunning_subject", "reminder_text",
                       "reminder_subject", "dues_payment_days", "dues_pro_rata"):
            batch_op.drop_column(column)
