"""Alembic's environment: `accounts.database.upgrade` hands it an open connection.

A new revision by hand: `accounts.database.alembic_config()` with `sqlalchemy.url` set, then
`alembic.command.revision(config, message, autogenerate=True)`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from accounts.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as fresh:
        _run(fresh)


if context.is_offline_mode():
    raise SystemExit("the accounts migrations run online only (accounts.database.upgrade)")
run_migrations_online()
