"""Alembic's environment and revisions for the accounts database (run by `accounts.database.upgrade`)."""
