"""Accounts made by signing in with ORCID: no e-mail address or password of their own, and one
account per ORCID iD.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as table:  # SQLite alters a table by copying it
        table.alter_column("email", existing_type=sa.String(length=254), nullable=True)
        table.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
        table.create_unique_constraint("uq_accounts_orcid", ["orcid"])


def downgrade() -> None:
    # Accounts made with ORCID have neither column; they cannot outlive a downgrade.
    op.execute(sa.text("DELETE FROM accounts WHERE email IS NULL OR password_hash IS NULL"))
    with op.batch_alter_table("accounts") as table:
        table.drop_constraint("uq_accounts_orcid", type_="unique")
        table.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
        table.alter_column("email", existing_type=sa.String(length=254), nullable=False)
