"""The accounts database: its engine from the settings, and its schema brought up to date.

SQLite under the stack directory by default (one API process); PostgreSQL in production through
SCHOLARSTREAM_ACCOUNTS_DATABASE_URL. The URL is a secret: only `display_url` ever reaches a message.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from foundation.errors import ConfigError, ServiceUnavailable
from foundation.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(settings: Settings) -> str:
    if settings.accounts_database_url is not None:
        return settings.accounts_database_url.get_secret_value()
    return f"sqlite:///{settings.stack_dir / 'accounts.sqlite3'}"


def display_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def engine(settings: Settings) -> Engine:
    """An engine for the configured database; a new SQLite file is made readable by its owner only."""
    try:
        url = make_url(database_url(settings))
    except ArgumentError:
        raise ConfigError("SCHOLARSTREAM_ACCOUNTS_DATABASE_URL is not a database URL") from None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        _private_file(Path(url.database))
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as error:
        raise ConfigError(f"cannot use the accounts database {url.render_as_string(hide_password=True)}: {error}") from None


def _private_file(path: Path) -> None:
    """The file holds password hashes: create it 0600 before SQLite would create it 0644."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        pass


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Run every migration the database has not had yet (Alembic's `upgrade head`)."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as error:
        raise ServiceUnavailable("the accounts database", display_url(engine), type(error).__name__) from error
