"""Password hashing with argon2id (argon2-cffi's defaults, which follow RFC 9106's recommendation).

A hash carries its own parameters, so raising the cost later only needs `needs_rehash`: the store
rehashes a password at the next sign-in that proves it.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accounts.errors import WeakPassword

MIN_LENGTH = 12
# Long enough for any passphrase; bounded so a megabyte "password" is refused before it is hashed.
MAX_LENGTH = 1024


def check_strength(password: str) -> None:
    """Raise WeakPassword unless the password may be stored."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("a password cannot be only spaces")


class Passwords:
    """Hashing and checking; tests pass a cheaper `PasswordHasher`, production keeps the default."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        check_strength(password)
        return self._hasher.hash(password)

    def rehash(self, password: str) -> str:
        """A fresh hash of a password already proven (it met the rules of its day, maybe not today's)."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches; a malformed hash or an over-long password is a mismatch."""
        if len(password) > MAX_LENGTH:
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
