"""covering indexes for the balances: sums per account and per fund read only the index

Revision ID: 0002_balance_indexes
Revises: 0001_initial
"""
from alembic import op

revision = "0002_balance_indexes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    """Replace the single-column indexes by covering ones."""
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_account_id")
        batch_op.create_index("ix_booking_account_amount", ["account_id", "amount_cents"])
    with op.batch_alter_table("booking_line", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_line_fund")
        batch_op.create_index("ix_booking_line_fund_amount", ["fund_id", "amount_cents"])


def downgrade():
    """Back to the single-column indexes."""
    with op.batch_alter_table("booking_line", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_line_fund_amount")
        batch_op.create_index("ix_booking_line_fund", ["fund_id"])
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_account_amount")
        batch_op.create_index("ix_booking_account_id", ["account_id"])
