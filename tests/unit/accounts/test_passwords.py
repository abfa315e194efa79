"""Passwords: argon2id hashes, the length rules, and rehashing when the cost goes up."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from accounts.errors import WeakPassword
from accounts.passwords import MAX_LENGTH, MIN_LENGTH, Passwords

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_a_hash_verifies_its_password_and_no_other() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")


@pytest.mark.parametrize("password", ["", "short", "x" * (MIN_LENGTH - 1), " " * 20, "y" * (MAX_LENGTH + 1)])
def test_weak_or_absurd_passwords_are_refused_with_a_reason(password: str) -> None:
    with pytest.raises(WeakPassword, match="characters|spaces"):
        Passwords(CHEAP).hash(password)


def test_twelve_characters_are_enough() -> None:
    Passwords(CHEAP).hash("x" * MIN_LENGTH)


def test_a_malformed_hash_or_an_overlong_password_is_a_mismatch_not_an_error() -> None:
    passwords = Passwords(CHEAP)
    assert not passwords.verify("not-a-hash", "correct horse battery")
    assert not passwords.verify(passwords.hash("correct horse battery"), "z" * (MAX_LENGTH + 1))
    assert passwords.needs_rehash("not-a-hash")


def test_a_hash_made_cheaper_than_the_current_parameters_needs_a_rehash() -> None:
    old = Passwords(CHEAP).hash("correct horse battery")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert stronger.verify(old, "correct horse battery")
    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(stronger.hash("correct horse battery"))
