"""The harvest checkpoint store: the compacted topic `ingest.checkpoints`, read and written.

Kafka rather than a local file, so a harvest killed on one machine resumes on any other. The
topic is compacted and small (one live record per harvest), so `load` simply reads it to the end
and keeps the newest record for the key.
"""

from __future__ import annotations

from kafka.errors import KafkaError

from clients import kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from schemas.checkpoints import HarvestCheckpoint
from schemas.topics import INGEST_CHECKPOINTS, TOPICS

_SAVE_TIMEOUT_S = 60


class CheckpointStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = settings.topic(INGEST_CHECKPOINTS.name)
        self._producer = None

    def load(self, checkpoint_id: str) -> HarvestCheckpoint | None:
        """The newest checkpoint stored under `checkpoint_id`, or None for a new harvest."""
        wanted = checkpoint_id.encode()
        latest: bytes | None = None
        try:
            for record in kafka_io.read_to_end(self._settings, self._topic):
                if record.key == wanted:
                    latest = record.value
        except KafkaError as error:
            raise ScholarStreamError(f"could not read checkpoints from {self._topic}: {error}") from error
        return HarvestCheckpoint.model_validate_json(latest) if latest else None

    def save(self, checkpoint: HarvestCheckpoint) -> None:
        """Write and wait for the acknowledgement: the caller moves on only once it is durable."""
        producer = self._producer
        if producer is None:
            producer = self._producer = kafka_io.producer(self._settings, linger_ms=0)
        try:
            producer.send(
                self._topic, key=checkpoint.checkpoint_id.encode(), value=checkpoint.model_dump_json().encode()
            ).get(timeout=_SAVE_TIMEOUT_S)
        except KafkaError as error:
            raise ScholarStreamError(f"could not write checkpoint {checkpoint.checkpoint_id}: {error}") from error

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None


def resume_point(settings: Settings, checkpoint_id: str, dry_run: bool) -> tuple[CheckpointStore | None, HarvestCheckpoint | None]:
    """The store and the checkpoint a paged harvest resumes from. A dry run touches no Kafka at
    all, so it neither resumes from nor writes a checkpoint."""
    if dry_run:
        return None, None
    kafka_io.ensure_topics(settings, TOPICS)
    store = CheckpointStore(settings)
    return store, store.load(checkpoint_id)
