"""The keys that sign product signals, one per principal.

A signal in `researcher.signals` says who sent it (`actor`) and through which principal: `account`
(the web app's authenticated write path, for a signed-in person) or `operator` (the operators'
CLI). Each principal has its own HMAC key; the worker holds both and refuses a signal whose
signature does not verify (schemas/signal_auth.py), so writing to the topic is not enough to act
as someone. Production sets both keys (SCHOLARSTREAM_SIGNAL_KEY_ACCOUNT,
SCHOLARSTREAM_SIGNAL_KEY_OPERATOR); a local stack without them shares random keys through a file
only its owner can read, created at first use under the stack directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from foundation.local_secrets import read_or_create
from foundation.settings import Settings

Principal = Literal["account", "operator"]
PRINCIPALS: tuple[Principal, ...] = ("account", "operator")


@dataclass(frozen=True)
class SignalKeys:
    account: SecretStr
    operator: SecretStr

    def of(self, principal: Principal) -> SecretStr:
        return self.account if principal == "account" else self.operator


def key_file(settings: Settings) -> Path:
    return settings.stack_dir / "secrets" / "signal-keys.json"


def signal_keys(settings: Settings) -> SignalKeys:
    """The settings' keys; a key not set comes from the local key file (made on first use)."""
    account, operator = settings.signal_key_account, settings.signal_key_operator
    if account is None or operator is None:
        stored = _local_keys(key_file(settings))
        account = account or stored.account
        operator = operator or stored.operator
    return SignalKeys(account, operator)


def _local_keys(path: Path) -> SignalKeys:
    remedy = "set SCHOLARSTREAM_SIGNAL_KEY_ACCOUNT and SCHOLARSTREAM_SIGNAL_KEY_OPERATOR, or remove the file to make new ones"
    stored = read_or_create(path, PRINCIPALS, remedy)
    return SignalKeys(stored["account"], stored["operator"])
