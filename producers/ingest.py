"""The loop every producer runs: parse, validate, publish or dead-letter, and count."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import TypeVar

from foundation.errors import InvalidRecord
from producers.publish import Publisher
from schemas.papers import RawPaper, encode_raw

Progress = Callable[[int], None]
P = TypeVar("P")


@dataclass
class IngestSummary:
    source: str
    read: int = 0
    produced: int = 0
    duplicates_skipped: int = 0
    rejected: int = 0
    elapsed_seconds: float = 0.0
    dry_run: bool = False

    @property
    def rate(self) -> float:
        return self.read / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "records_per_second": round(self.rate, 1)}


def ingest(
    payloads: Iterable[P],
    *,
    source: str,
    parse: Callable[[P], RawPaper],
    key_of: Callable[[P], str | None],
    publisher: Publisher | None,
    limit: int | None = None,
    progress: Progress | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    payload_text: Callable[[P], str] = str,
) -> IngestSummary:
    """Run payloads through `parse`; publish the valid ones, dead-letter the rest.

    `publisher=None` is a dry run: parse and validate only. A payload repeated within the run
    with the same id and version is skipped (downstream would ignore it anyway). Payloads are
    usually the source's text; a source that has already parsed its records (OAI-PMH pages)
    passes them as objects with `payload_text` giving the original text for dead letters.
    """
    summary = IngestSummary(source=source, dry_run=publisher is None)
    seen: set[tuple[str, int]] = set()
    started = monotonic()
    for payload in payloads:
        if limit is not None and summary.read >= limit:
            break
        summary.read += 1
        try:
            paper = parse(payload)
            value = encode_raw(paper)
        except InvalidRecord as error:
            summary.rejected += 1
            if publisher is not None:
                publisher.dead_letter(
                    reason=error.reason, source=source, payload=payload_text(payload), key=key_of(payload),
                    field=error.field,
                )
        else:
            identity = (paper.arxiv_id, paper.version)
            if identity in seen:
                summary.duplicates_skipped += 1
            else:
                seen.add(identity)
                summary.produced += 1
                if publisher is not None:
                    publisher.publish(paper, value)
        if progress is not None:
            progress(1)
    if publisher is not None:
        publisher.close()
    summary.elapsed_seconds = monotonic() - started
    return summary
