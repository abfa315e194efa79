"""The account store on an SQLite file: sign-up, sign-in, lookup, and a restart on the same file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from accounts import AccountError, AccountExists, AccountStore, InvalidEmail, OrcidTaken, WeakPassword, engine, upgrade
from accounts.database import alembic_config
from accounts.models import ACCOUNT_ID, Base
from accounts.passwords import Passwords
from foundation.errors import ConfigError, ServiceUnavailable
from foundation.settings import Settings

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path / "stack"))


def _store(settings: Settings, passwords: Passwords = CHEAP) -> AccountStore:
    database = engine(settings)
    upgrade(database)
    return AccountStore(database, lambda: NOW, passwords)


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return _store(_settings(tmp_path))


def test_sign_up_stores_a_normalised_address_and_an_opaque_id(store: AccountStore) -> None:
    account = store.sign_up("  Ada@Example.ORG ", "correct horse battery")
    assert ACCOUNT_ID.match(account.id)
    assert account.email == "ada@example.org"
    assert account.created_at == NOW
    assert account.orcid is None
    assert account.password_hash is not None and "correct horse" not in account.password_hash
    assert "ada@example.org" not in repr(account)


def test_one_address_has_one_account_whatever_its_case(store: AccountStore) -> None:
    store.sign_up("ada@example.org", "correct horse battery")
    with pytest.raises(AccountExists):
        store.sign_up("ADA@example.org ", "another long password")


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.org", "a b@example.org", "ada@example", "a@b@c.org",
                                   "x" * 65 + "@example.org", "ada\x00@example.org", "ada@exam\tple.org", "ada@" + "d" * 250 + ".org"])
def test_an_address_that_cannot_be_one_is_refused(store: AccountStore, email: str) -> None:
    with pytest.raises(InvalidEmail):
        store.sign_up(email, "correct horse battery")


def test_a_short_password_is_refused_and_nothing_is_stored(store: AccountStore) -> None:
    with pytest.raises(WeakPassword):
        store.sign_up("ada@example.org", "too short")
    assert store.authenticate("ada@example.org", "too short") is None
    store.sign_up("ada@example.org", "correct horse battery")  # the address is still free


def test_authenticate_right_wrong_and_unknown(store: AccountStore) -> None:
    account = store.sign_up("ada@example.org", "correct horse battery")
    signed_in = store.authenticate(" ADA@example.org", "correct horse battery")
    assert signed_in is not None and signed_in.id == account.id
    assert store.authenticate("ada@example.org", "correct horse batteries") is None
    assert store.authenticate("bob@example.org", "correct horse battery") is None
    assert store.authenticate("not an address", "correct horse battery") is None


def test_get_finds_the_account_and_nothing_for_other_ids(store: AccountStore) -> None:
    account = store.sign_up("ada@example.org", "correct horse battery")
    found = store.get(account.id)
    assert found is not None and found.email == "ada@example.org" and found.created_at == NOW
    assert store.get("acct-0000000000000000") is None
    assert store.get("'; drop table accounts; --") is None


def test_accounts_survive_a_restart_on_the_same_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    account = _store(settings).sign_up("ada@example.org", "correct horse battery")
    again = _store(settings)  # a new engine, the migrations run again: nothing is lost
    signed_in = again.authenticate("ada@example.org", "correct horse battery")
    assert signed_in is not None and signed_in.id == account.id
    assert (tmp_path / "stack" / "accounts.sqlite3").stat().st_mode & 0o777 == 0o600


def test_sign_in_rehashes_a_password_hashed_with_older_parameters(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    old = _store(settings).sign_up("ada@example.org", "correct horse battery")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    store = _store(settings, stronger)
    assert store.authenticate("ada@example.org", "correct horse battery") is not None
    stored = store.get(old.id)
    assert stored is not None and stored.password_hash is not None and stored.password_hash != old.password_hash
    assert not stronger.needs_rehash(stored.password_hash)
    assert store.authenticate("ada@example.org", "correct horse battery") is not None


def test_the_migrations_build_exactly_the_models_tables(tmp_path: Path) -> None:
    database = engine(_settings(tmp_path))
    upgrade(database)
    with database.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_database_that_fails_is_service_unavailable_without_its_password(tmp_path: Path) -> None:
    database = engine(_settings(tmp_path))
    upgrade(database)
    store = AccountStore(database, lambda: NOW, CHEAP)
    with database.begin() as connection:  # a database in a state the store cannot use: every statement fails
        connection.exec_driver_sql("DROP TABLE accounts")
    with pytest.raises(ServiceUnavailable, match="accounts database"):
        store.sign_up("ada@example.org", "correct horse battery")
    with pytest.raises(ServiceUnavailable, match="accounts database"):
        store.authenticate("ada@example.org", "correct horse battery")


def test_the_database_url_is_a_secret_and_its_password_stays_out_of_messages() -> None:
    settings = Settings(_env_file=None, SCHOLARSTREAM_ACCOUNTS_DATABASE_URL="postgresql://app:hunter2-db@127.0.0.1:1/accounts")
    assert "hunter2-db" not in repr(settings) + str(settings.redacted())
    try:
        database = engine(settings)
    except ConfigError as error:  # no PostgreSQL driver installed: refused at once, still without the password
        assert "hunter2-db" not in str(error)
        return
    with pytest.raises(ServiceUnavailable) as refused:
        upgrade(database)
    assert "hunter2-db" not in str(refused.value) and "127.0.0.1:1" in str(refused.value)


ORCID = "0000-0002-1825-0097"


def test_a_first_orcid_sign_in_makes_an_account_without_address_or_password(store: AccountStore) -> None:
    account = store.sign_in_with_orcid(ORCID)
    assert account.orcid == ORCID and account.email is None and account.password_hash is None
    assert account.label == f"ORCID iD {ORCID}"
    assert store.sign_in_with_orcid(ORCID).id == account.id


def test_a_signed_in_account_is_linked_to_the_orcid_once(store: AccountStore) -> None:
    ada = store.sign_up("ada@example.org", "correct horse battery")
    linked = store.sign_in_with_orcid(ORCID, signed_in=ada.id)
    assert linked.id == ada.id and linked.orcid == ORCID
    assert store.sign_in_with_orcid(ORCID).id == ada.id  # signed out, the iD now signs in to Ada's account
    with pytest.raises(AccountError, match="signs in with ORCID iD"):
        store.sign_in_with_orcid("0000-0001-5109-3700", signed_in=ada.id)


def test_an_orcid_held_by_one_account_is_refused_to_another(store: AccountStore) -> None:
    store.sign_in_with_orcid(ORCID)
    eve = store.sign_up("eve@example.org", "correct horse battery")
    with pytest.raises(OrcidTaken):
        store.sign_in_with_orcid(ORCID, signed_in=eve.id)
    stored = store.get(eve.id)
    assert stored is not None and stored.orcid is None


def test_the_orcid_is_unique_in_the_database_itself(store: AccountStore, tmp_path: Path) -> None:
    store.sign_in_with_orcid(ORCID)
    database = engine(_settings(tmp_path))
    with pytest.raises(IntegrityError), database.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO accounts (id, email, password_hash, created_at, orcid, session_epoch) "
            f"VALUES ('acct-00000000000000ff', NULL, NULL, '2026-12-04 00:00:00', '{ORCID}', 0)"
        )


def test_revisions_0003_and_0004_keep_the_accounts_of_an_older_database(tmp_path: Path) -> None:
    database = engine(_settings(tmp_path))
    config = alembic_config()
    with database.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with database.begin() as connection:  # an account as revision 0002 stored it (the models are newer)
        connection.execute(text("INSERT INTO accounts (id, email, password_hash, created_at, orcid, session_epoch) "
                                "VALUES ('acct-00000000000000aa', 'ada@example.org', :hash, '2026-12-04 00:00:00', NULL, 0)"),
                           {"hash": CHEAP.hash("correct horse battery")})
    upgrade(database)
    store = AccountStore(database, lambda: NOW, CHEAP)
    ada = store.authenticate("ada@example.org", "correct horse battery")
    assert ada is not None and store.sign_in_with_orcid(ORCID, signed_in=ada.id).orcid == ORCID
