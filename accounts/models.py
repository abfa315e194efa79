"""The accounts' tables (SQLAlchemy 2.0 declarative). A change here needs an Alembic revision
(accounts/migrations/versions/); the API upgrades the database to the newest at start-up."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from accounts.errors import InvalidEmail

ACCOUNT_ID = re.compile(r"^acct-[0-9a-f]{16}$")
MAX_EMAIL_LENGTH = 254
# Deliberately loose (one @, a dot in the domain, no spaces or control characters): proving an
# address is the job of a confirmation mail, not of a pattern.
# One dialect-neutral pattern (explicit classes, no \s: Python's and ECMAScript's differ on it), which
# the API also declares: no C0/C1 control characters, no space, one @, a dot in the domain.
_PART = r"[^@ \x00-\x1f\x7f-\x9f]"
_BLANK = r"[ \t\n\r\x0b\x0c]*"
EMAIL_PATTERN = rf"^{_BLANK}{_PART}{{1,64}}@{_PART}+\.{_PART}+{_BLANK}$"
_EMAIL = re.compile(EMAIL_PATTERN)


def new_account_id() -> str:
    return f"acct-{secrets.token_hex(8)}"


def normalise_email(value: str) -> str:
    """The stored form of an address: stripped and lower-cased, so one person has one account."""
    email = value.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise InvalidEmail("not a valid e-mail address")
    return email


class UtcDateTime(TypeDecorator[datetime]):
    """A UTC instant: SQLite keeps no time zone, so it is stored naive in UTC and read back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored as UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("email", name="uq_accounts_email"), UniqueConstraint("orcid", name="uq_accounts_orcid"))

    id: Mapped[str] = mapped_column(String(21), primary_key=True, default=new_account_id)
    # An account made by signing in with ORCID has neither (revision 0003): the iD is how it signs in.
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LENGTH), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The ORCID iD this account proved by signing in with it (scholarstream/orcid_sign_in.py); at most
    # one account per iD. Only such an account can verify a profile it claimed at L3 with that iD.
    orcid: Mapped[str | None] = mapped_column(String(19), nullable=True, default=None)
    # A session is valid while it carries this number: "sign out everywhere" raises it, so every
    # cookie issued before (another browser, a stolen copy) stops working at its next request.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when the account opened the confirmation link mailed to `email` (accounts/mailbox.py).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, default=None)

    @property
    def label(self) -> str:
        """How a page names the account to its owner: the address, or the iD it signs in with."""
        return self.email or f"ORCID iD {self.orcid}"

    def __repr__(self) -> str:  # no hash, no address: an account may be logged
        return f"Account({self.id})"
