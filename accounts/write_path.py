"""The one authenticated write path: an account's action becomes a signed signal in `researcher.signals`.

The signal says who acts (`actor` = the account id) and who vouches for it (`principal` = "account"),
and is signed with the account principal's key, so the worker applies it as that account's and no
one else's (schemas/signal_auth.py). The web layer learns the outcome only after Kafka acknowledged
the record on every in-sync replica: a 202 means the signal is durable, not yet applied.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from kafka.errors import KafkaError

from accounts.signal_ids import SignalIds
from clients import kafka_io
from foundation.errors import InvalidRecord
from foundation.settings import Settings
from foundation.signal_keys import signal_keys
from schemas.profiles import ResearcherSignal, signal_of
from schemas.signal_auth import sign_signal
from schemas.topics import RESEARCHER_SIGNALS

# The kinds an account may send with fields of its choosing. `verify` is not among them: its only
# evidence an account can give is the ORCID iD it proved by signing in with ORCID, which
# `send_orcid_verification` takes from the account, never from the request.
ACTIONS = frozenset({
    "claim", "unclaim", "follow", "unfollow", "open_to_collaborate", "affiliation_update", "merge_request", "disown_work",
})


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SignalWriter:
    """Builds, signs and produces an account's signals; one producer, made at the first send."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = _utc_now, timeout: float = 10.0) -> None:
        self._settings = settings
        self._clock = clock
        self._timeout = timeout
        self._keys = signal_keys(settings)
        self._ids = SignalIds(self._keys.account)
        self._topic = settings.topic(RESEARCHER_SIGNALS.name)
        self._producer: Any = None
        self._lock = threading.Lock()

    def build(self, account_id: str, researcher_id: str, kind: str, fields: Mapping[str, Any] | None = None) -> ResearcherSignal:
        """The signed signal; InvalidRecord names the field when the action's input does not fit the schema."""
        if kind not in ACTIONS:
            raise InvalidRecord(f"an account cannot send {kind!r}", field="kind")
        return self._signed(account_id, researcher_id, kind, fields)

    def _signed(self, account_id: str, researcher_id: str, kind: str, fields: Mapping[str, Any] | None) -> ResearcherSignal:
        body = {
            **(fields or {}),
            "kind": kind,
            "researcher_id": researcher_id,
            "actor": account_id,
            "principal": "account",
            "signal_id": self._ids.mint(account_id),  # shows whose it is (accounts/signal_ids.py)
            "at": self._clock(),
            "signature": "",
        }
        return sign_signal(signal_of(body), self._keys)

    def send(self, account_id: str, researcher_id: str, kind: str, fields: Mapping[str, Any] | None = None) -> ResearcherSignal:
        """Build, sign and produce the signal, returning once Kafka acknowledged it.

        ServiceUnavailable when Kafka did not acknowledge in time. The record may still arrive later;
        the worker applies a signal id once, so a user who retries does no harm.
        """
        return self._produce(self.build(account_id, researcher_id, kind, fields))

    def send_orcid_verification(self, account_id: str, orcid: str, researcher_id: str) -> ResearcherSignal:
        """An L3 verification of the profile with the ORCID iD the account proved by signing in with it.

        The caller passes the iD stored on the account (accounts.store, set only by a completed ORCID
        sign-in); the worker applies it only when the account is the profile's claimant.
        """
        return self._produce(self.orcid_verification(account_id, orcid, researcher_id))

    def send_email_verification(self, account_id: str, evidence: Mapping[str, str], level: str,
                                researcher_id: str) -> ResearcherSignal:
        """A verification with the account's confirmed address (accounts/mailbox.email_evidence)."""
        return self._produce(self.verification(account_id, evidence, level, researcher_id))

    def verification(self, account_id: str, evidence: Mapping[str, str], level: str, researcher_id: str) -> ResearcherSignal:
        """A signed verification with its evidence and level (the ORCID and e-mail ones alike)."""
        return self._signed(account_id, researcher_id, "verify", {"evidence": dict(evidence), "level": level})

    def orcid_verification(self, account_id: str, orcid: str, researcher_id: str) -> ResearcherSignal:
        """The signed L3 verification `send_orcid_verification` produces."""
        return self.verification(account_id, {"method": "orcid", "orcid": orcid}, "L3", researcher_id)

    def _produce(self, signal: ResearcherSignal) -> ResearcherSignal:
        producer = self._open()
        try:
            future = producer.send(self._topic, key=signal.researcher_id.encode(), value=signal.model_dump_json().encode())
            future.get(timeout=self._timeout)
        except KafkaError as error:
            self._discard(producer)
            raise kafka_io.unavailable(self._settings, error) from error
        return signal

    def close(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=self._timeout)

    def _open(self) -> Any:
        with self._lock:
            if self._producer is None:
                wait_ms = int(self._timeout * 1000)
                # An interactive write: no lingering, and a dead broker is reported within the timeout
                # (kafka-python would block up to a minute for metadata).
                self._producer = kafka_io.producer(
                    self._settings, linger_ms=0, max_block_ms=wait_ms, request_timeout_ms=wait_ms,
                    delivery_timeout_ms=max(120_000, wait_ms + 1000),
                )
            return self._producer

    def _discard(self, producer: Any) -> None:
        """After a failed send the next one starts on a new producer rather than a stuck one."""
        with self._lock:
            if self._producer is producer:
                self._producer = None
        producer.close(timeout=0)
