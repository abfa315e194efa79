"""Signing and checking product signals (the keys: foundation/signal_keys.py).

The signature is an HMAC-SHA256, under the key of the signal's principal, of the signal's own JSON
with an empty signature: every field (actor, kind, target, time, id) is covered, so none can be
changed or forged without the key. The JSON is the model's, so signer and checker agree as long as
they share the schema; a signal re-read from the topic dumps to the same bytes it was signed as.
Voids (schemas/signal_voids.py) are signed the same way under the operators' key, in a domain of
their own so that neither can pass for the other.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TypeVar, cast

from pydantic import SecretStr

from foundation.errors import InvalidRecord
from foundation.signal_keys import SignalKeys
from schemas.profiles import ResearcherSignal
from schemas.signal_voids import SignalVoid

_DOMAIN = b"scholarstream researcher.signals v2\n"
_VOID_DOMAIN = b"scholarstream researcher.signals.voids v1\n"
S = TypeVar("S", bound=ResearcherSignal)


def _digest(record: ResearcherSignal | SignalVoid, key: SecretStr, domain: bytes = _DOMAIN) -> str:
    body = record.model_copy(update={"signature": ""}).model_dump_json().encode()
    return hmac.new(key.get_secret_value().encode(), domain + body, hashlib.sha256).hexdigest()


def sign_signal(signal: S, keys: SignalKeys) -> S:
    """The signal with its signature under its principal's key."""
    return cast(S, signal.model_copy(update={"signature": _digest(signal, keys.of(signal.principal))}))


def check_signature(signal: ResearcherSignal, keys: SignalKeys) -> None:
    """Raise InvalidRecord (the dead-letter reason) unless the signal is signed by its principal."""
    if not signal.signature:
        raise InvalidRecord(
            "unsigned signal: signals come only through the web app's authenticated write path or the operators' CLI",
            field="signature",
        )
    if not hmac.compare_digest(signal.signature, _digest(signal, keys.of(signal.principal))):
        raise InvalidRecord(f"the signature does not verify for principal {signal.principal!r}", field="signature")


def sign_void(void: SignalVoid, keys: SignalKeys) -> SignalVoid:
    """The void with its signature under the operators' key."""
    return void.model_copy(update={"signature": _digest(void, keys.operator, _VOID_DOMAIN)})


def check_void(void: SignalVoid, keys: SignalKeys) -> None:
    """Raise InvalidRecord unless the void is signed with the operators' key."""
    if not void.signature or not hmac.compare_digest(void.signature, _digest(void, keys.operator, _VOID_DOMAIN)):
        raise InvalidRecord(f"void {void.void_id!r} is not signed with the operators' key", field="signature")
