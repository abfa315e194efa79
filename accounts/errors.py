"""The accounts' own errors, under the project's one base error."""

from __future__ import annotations

from foundation.errors import ScholarStreamError


class AccountError(ScholarStreamError):
    """Base of the accounts' errors: a refusal the web layer answers with a 4xx."""


class AccountExists(AccountError):
    """Sign-up with an e-mail address that already has an account."""

    def __init__(self) -> None:
        super().__init__("an account with this e-mail address exists already")


class WeakPassword(AccountError):
    """A password the accounts refuse to store."""


class InvalidEmail(AccountError):
    """Not something that can be an e-mail address."""


class OrcidTaken(AccountError):
    """An ORCID iD proven by one account, offered to link to another."""

    def __init__(self) -> None:
        super().__init__("this ORCID iD signs in to another account already")
