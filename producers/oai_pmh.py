"""The OAI-PMH harvester: `ListRecords` pages, resumption tokens, politeness, retries, resume.

arXiv's OAI-PMH endpoint answers a harvest in pages of 1,000 records chained by resumption
tokens, asks clients to wait with `503 Retry-After` when they come too fast, and now and then
serves a cut-off page or drops the connection. `PageFetcher` turns that into "the next whole
page, or an error after enough tries"; `harvest` walks the token chain and reports each page
after its records were handed on, so the caller can make them durable and checkpoint.

Resume protocol (the caller's `on_page_done`): flush the publisher (Kafka acknowledged every
record of the page), then save the checkpoint carrying the token of the *next* page. A harvest
killed at any moment therefore restarts from the first page that was not fully acknowledged,
re-sending at most one page; duplicates are harmless because the key is the arXiv id.

Versions: see `producers/oai_records.py` (OAI carries dates, so `version` is a lower bound).
Time and sleeping are injected, so tests run the retry logic without waiting.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from foundation.errors import ScholarStreamError
from producers.oai_records import MalformedPage, OaiPage, OaiRecord, parse_page
from schemas.checkpoints import HarvestCheckpoint, checkpoint_id

log = logging.getLogger(__name__)

ARXIV_OAI_ENDPOINT = "https://export.arxiv.org/oai2"  # arXiv's documented OAI-PMH base URL
METADATA_PREFIX = "arXiv"
USER_AGENT = "ScholarStream-harvester/0.1 (OAI-PMH; polite: honours Retry-After)"


class HarvestError(ScholarStreamError):
    """The harvest cannot go on: retries exhausted, a looping token, or a refused request."""


@dataclass(frozen=True)
class HarvestRequest:
    """What to harvest. Its `checkpoint_id` is stable, so re-running the same command resumes."""

    endpoint: str = ARXIV_OAI_ENDPOINT
    set: str | None = None
    from_date: str | None = None
    until: str | None = None

    @property
    def checkpoint_id(self) -> str:
        return checkpoint_id("oai", self.endpoint, **self.params)

    @property
    def params(self) -> dict[str, str | None]:
        return {"set": self.set, "from": self.from_date, "until": self.until}

    def first_page_params(self, from_date: str | None = None) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": METADATA_PREFIX}
        for name, value in (("set", self.set), ("from", from_date or self.from_date), ("until", self.until)):
            if value:
                params[name] = value
        return params


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one page. Retry-After waits do not use up attempts (arXiv's
    503 is flow control, not failure) but are capped so a misbehaving server cannot stall us forever."""

    attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 120.0
    max_retry_after_s: float = 900.0
    max_flow_control_waits: int = 50
    timeout_s: tuple[float, float] = (15.0, 180.0)  # connect, read

    def backoff(self, failures: int, jitter: Callable[[], float] = random.random) -> float:
        """Capped exponential backoff with up to 25% jitter: 2, 4, 8 ... seconds."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (failures - 1))
        return delay * (1 + 0.25 * jitter())


@dataclass
class FetchStats:
    requests: int = 0
    retry_after_waits: int = 0
    retries: int = 0
    waited_s: float = 0.0
    errors: list[str] = field(default_factory=list)


_RETRYABLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class PageFetcher:
    """Fetches one OAI-PMH page, retrying what is transient and honouring Retry-After."""

    def __init__(
        self,
        session: requests.Session,
        *,
        sleep: Callable[[float], None],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        policy: RetryPolicy = RetryPolicy(),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._session = session
        self._sleep = sleep
        self._now = now
        self._policy = policy
        self._jitter = jitter
        self.stats = FetchStats()

    def fetch(self, endpoint: str, params: dict[str, str]) -> OaiPage:
        failures = 0
        flow_waits = 0
        while True:
            problem = self._try_once(endpoint, params)
            if isinstance(problem, OaiPage):
                return problem
            kind, detail, wait = problem
            self.stats.errors = [*self.stats.errors[-19:], detail]  # the last 20 problems, for the report
            if kind == "retry-after":
                flow_waits += 1
                if flow_waits > self._policy.max_flow_control_waits:
                    raise HarvestError(f"server kept answering 503 after {flow_waits - 1} waits: {detail}")
                self.stats.retry_after_waits += 1
            else:
                failures += 1
                if failures >= self._policy.attempts:
                    raise HarvestError(f"gave up on a page after {failures} attempts; last problem: {detail}")
                self.stats.retries += 1
                wait = self._policy.backoff(failures, self._jitter)
            log.warning("%s; retrying in %.1fs", detail, wait)
            self.stats.waited_s += wait
            self._sleep(wait)

    def _try_once(self, endpoint: str, params: dict[str, str]) -> OaiPage | tuple[str, str, float]:
        self.stats.requests += 1
        try:
            response = self._session.get(
                endpoint, params=params, timeout=self._policy.timeout_s, headers={"User-Agent": USER_AGENT}
            )
            body = response.content  # reading the body can fail too (cut-off transfer)
        except _RETRYABLE as error:
            return ("failure", f"connection problem: {type(error).__name__}: {error}", 0.0)
        status = response.status_code
        if status == 503 and response.headers.get("Retry-After"):
            return ("retry-after", "503 Retry-After", self._retry_after(response.headers["Retry-After"]))
        if status in (429, 500, 502, 503, 504):
            return ("failure", f"HTTP {status}", 0.0)
        if status != 200:
            raise HarvestError(f"{endpoint} answered HTTP {status}: {body[:200]!r}")
        try:
            return parse_page(body)
        except MalformedPage as error:
            return ("failure", f"broken page ({len(body)} bytes): {error}", 0.0)

    def _retry_after(self, value: str) -> float:
        """Retry-After as seconds or as an HTTP date; unreadable values fall back to the backoff base."""
        value = value.strip()
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                seconds = (parsedate_to_datetime(value) - self._now()).total_seconds()
            except (TypeError, ValueError):
                seconds = self._policy.backoff_base_s
        return min(max(seconds, 0.0), self._policy.max_retry_after_s)


def start_state(request: HarvestRequest, previous: HarvestCheckpoint | None, now: datetime) -> HarvestCheckpoint | None:
    """Where this run starts, given the stored checkpoint; None when there is nothing to do.

    - no checkpoint: a new harvest from the first page;
    - an unfinished checkpoint: resume from its resumption token;
    - a finished one with `until`: the window is closed, nothing to do;
    - a finished one without `until`: an incremental harvest from the previous harvest's start
      date (OAI `from` is inclusive, so the boundary day is read twice: harmless duplicates).
    """
    if previous is not None and not previous.completed:
        return previous
    if previous is not None and request.until:
        return None
    incremental_from = previous.harvest_started[:10] if previous and previous.harvest_started else None
    return HarvestCheckpoint(
        checkpoint_id=request.checkpoint_id,
        source="oai",
        endpoint=request.endpoint,
        params={**request.params, "effective_from": incremental_from or request.from_date},
        updated_at=now,
    )


@dataclass
class HarvestStats:
    pages: int = 0
    records: int = 0
    deleted_skipped: int = 0
    resumed_from_cursor: int | None = None
    complete_list_size: int | None = None


def harvest(
    request: HarvestRequest,
    fetcher: PageFetcher,
    state: HarvestCheckpoint,
    *,
    on_page_done: Callable[[HarvestCheckpoint], None],
    now: Callable[[], datetime],
    on_total: Callable[[int], None] | None = None,
    stats: HarvestStats | None = None,
) -> Generator[OaiRecord, None, None]:
    """Yield each live record, page by page, from `state` on.

    `on_page_done(next_state)` runs after the consumer has taken every record of a page (this
    generator resumes only then), so the caller can flush and checkpoint there. Deleted records
    (header status="deleted") carry no metadata and are counted, not yielded.
    """
    stats = stats if stats is not None else HarvestStats()
    token = state.resumption_token
    if token:
        stats.resumed_from_cursor = state.cursor
    used_tokens: set[str] = set()
    first = True
    while True:
        if token:
            used_tokens.add(token)
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = request.first_page_params(state.params.get("effective_from"))
        page = fetcher.fetch(request.endpoint, params)
        if page.token and page.token in used_tokens:
            raise HarvestError(f"the server repeated resumption token {page.token!r}: the harvest would loop")
        if first:
            first = False
            stats.complete_list_size = page.complete_list_size
            if on_total is not None and page.complete_list_size is not None:
                on_total(max(0, page.complete_list_size - (page.cursor or 0)))
        newest = state.last_datestamp
        for record in page.records:
            if record.datestamp and (newest is None or record.datestamp > newest):
                newest = record.datestamp
            if record.deleted:
                stats.deleted_skipped += 1
                continue
            stats.records += 1
            yield record
        stats.pages += 1
        state = state.model_copy(
            update={
                "resumption_token": page.token,
                "cursor": (page.cursor or 0) + len(page.records),
                "last_datestamp": newest,
                "harvest_started": state.harvest_started or page.response_date,
                "pages": state.pages + 1,
                "records": state.records + len(page.records),
                "completed": not page.token,
                "updated_at": now(),
            }
        )
        on_page_done(state)
        if not page.token:
            return
        token = page.token
