"""`scholarstream void-signals` and `scholarstream voids`: an operator voids a range of signals.

A void is published, signed with the operators' key, to `researcher.signals.voids`; the workers
dead-letter every signal it covers from their next read of that topic on (schemas/signal_voids.py,
stream_processors/signal_voids.py), and `scholarstream rebuild --from-stage link` re-derives the
profiles without the signals applied before.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from clients import kafka_io
from foundation.errors import InvalidRecord
from foundation.settings import Settings
from foundation.signal_keys import signal_keys
from schemas.papers import describe_validation_error
from schemas.signal_auth import sign_void
from schemas.signal_voids import SignalVoid
from schemas.topics import SIGNAL_VOIDS
from stream_processors.signal_voids import read_voids


def void_of(fields: Mapping[str, Any], now: datetime) -> SignalVoid:
    """A void from an operator's fields (a new id, `at` = now), or InvalidRecord naming what is wrong."""
    try:
        return SignalVoid.model_validate({"void_id": f"void-{uuid.uuid4()}", "at": now, **fields})
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error


def publish_void(settings: Settings, void: SignalVoid) -> SignalVoid:
    """Sign the void and write it to `researcher.signals.voids` with acks=all; the signed void."""
    signed = sign_void(void, signal_keys(settings))
    kafka_io.ensure_topics(settings, [SIGNAL_VOIDS])
    kafka_io.send_one(settings, settings.topic(SIGNAL_VOIDS.name), signed.void_id.encode(), signed.model_dump_json().encode())
    return signed


def voids_in_force(settings: Settings) -> list[SignalVoid]:
    """The voids the workers apply, in publication order (unsigned or forged records left out)."""
    return list(read_voids(settings, signal_keys(settings)).voids)
