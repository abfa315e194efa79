"""Accounts kept in the accounts database: sign-up, sign-in (a password, or a proven ORCID iD), lookup.

Sign-in spends the same argon2 work whether or not the address has an account, so its timing does
not tell which addresses are registered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from accounts.database import display_url
from accounts.errors import AccountError, AccountExists, InvalidEmail, OrcidTaken
from accounts.models import ACCOUNT_ID, Account, new_account_id, normalise_email
from accounts.passwords import MIN_LENGTH, Passwords
from foundation.errors import ServiceUnavailable

Clock = Callable[[], datetime]


class AccountStore:
    def __init__(self, engine: Engine, clock: Clock, passwords: Passwords | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._passwords = passwords or Passwords()
        self._dummy_hash: str | None = None

    def sign_up(self, email: str, password: str) -> Account:
        """A new account; AccountExists, InvalidEmail or WeakPassword otherwise."""
        address = normalise_email(email)
        password_hash = self._passwords.hash(password)  # WeakPassword before anything is written
        account = Account(id=new_account_id(), email=address, password_hash=password_hash, created_at=self._clock())
        try:
            with self._session() as session, session.begin():
                if session.scalar(select(Account.id).where(Account.email == address)) is not None:
                    raise AccountExists()
                session.add(account)
        except IntegrityError as error:  # two sign-ups at once: the unique constraint decides
            raise AccountExists() from error
        except SQLAlchemyError as error:  # a database down, or one that refused the statement
            raise self._unavailable(error) from error
        return account

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account whose address and password these are, else None (never says which was wrong)."""
        try:
            address = normalise_email(email)
        except InvalidEmail:
            address = None
        try:
            with self._session() as session, session.begin():
                account = None if address is None else session.scalar(select(Account).where(Account.email == address))
                if account is None or account.password_hash is None:  # none, or one that signs in with ORCID only
                    self._passwords.verify(self._dummy(), password)
                    return None
                if not self._passwords.verify(account.password_hash, password):
                    return None
                if self._passwords.needs_rehash(account.password_hash):
                    account.password_hash = self._passwords.rehash(password)
                return account
        except SQLAlchemyError as error:  # a database down, or one that refused the statement
            raise self._unavailable(error) from error

    def sign_in_with_orcid(self, orcid: str, signed_in: str | None = None) -> Account:
        """The account of an ORCID iD the provider has just proven.

        Signed in already (`signed_in`, an account id): that account is linked to the iD, unless
        another account holds it (OrcidTaken) or it holds another iD (AccountError). Signed out: the
        account linked to the iD, or a new one with no e-mail address or password.
        """
        try:
            with self._session() as session, session.begin():
                holder = session.scalar(select(Account).where(Account.orcid == orcid))
                if signed_in is None:
                    if holder is not None:
                        return holder
                    account = Account(id=new_account_id(), email=None, password_hash=None, orcid=orcid, created_at=self._clock())
                    session.add(account)
                    session.flush()  # two first sign-ins at once: the unique constraint decides, below
                    return account
                linking = session.get(Account, signed_in, with_for_update=True)
                if linking is None:
                    raise AccountError("no such account")
                if holder is not None and holder.id != linking.id:
                    raise OrcidTaken()
                if linking.orcid is not None and linking.orcid != orcid:
                    raise AccountError(f"this account signs in with ORCID iD {linking.orcid} already")
                linking.orcid = orcid
                return linking
        except IntegrityError as error:  # the same iD linked twice at once: the unique constraint decides
            if signed_in is None:  # the other first sign-in made the account: it is this person's
                return self.sign_in_with_orcid(orcid)
            raise OrcidTaken() from error
        except SQLAlchemyError as error:  # a database down, or one that refused the statement
            raise self._unavailable(error) from error

    def confirm_email(self, account_id: str, email: str) -> Account:
        """Mark the account's address confirmed, if `email` is still its address (AccountError otherwise)."""
        try:
            with self._session() as session, session.begin():
                account = session.get(Account, account_id, with_for_update=True) if ACCOUNT_ID.match(account_id) else None
                if account is None or account.email != email:
                    raise AccountError("this link confirms an address this account no longer has")
                if account.email_confirmed_at is None:
                    account.email_confirmed_at = self._clock()
                return account
        except SQLAlchemyError as error:  # a database down, or one that refused the statement
            raise self._unavailable(error) from error

    def get(self, account_id: str) -> Account | None:
        if not ACCOUNT_ID.match(account_id):
            return None
        try:
            with self._session() as session:
                return session.get(Account, account_id)
        except SQLAlchemyError as error:  # a database down, or one that refused the statement
            raise self._unavailable(error) from error

    def end_sessions(self, account_id: str) -> int:
        """End every session of the account (they carry the old epoch); the new epoch."""
        try:
            with self._session() as session, session.begin():
                account = session.get(Account, account_id, with_for_update=True)
                if account is None:
                    raise AccountError("no such account")
                account.session_epoch += 1
                return account.session_epoch
        except SQLAlchemyError as error:  # a database down, or one that refused the statement
            raise self._unavailable(error) from error

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._passwords.rehash("x" * MIN_LENGTH)
        return self._dummy_hash

    def _unavailable(self, error: SQLAlchemyError) -> ServiceUnavailable:
        return ServiceUnavailable("the accounts database", display_url(self._engine), type(error).__name__)
