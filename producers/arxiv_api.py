"""The live poller: arXiv's query API through the `arxiv` package, politely, with checkpoints.

The search is `cat:A OR cat:B ...` within a `submittedDate` window, sorted by submission date
ascending, so new submissions only ever append to the end of the result list: an offset into
the window is a stable position, and the checkpoint is (window start, offset). Each page is one
`Client.results(search, offset)` call with `max_results = offset + page_size`, so the `arxiv`
client fetches exactly one page; its own `delay_seconds` (3 s, arXiv's terms of use) spaces
every request, including retries, because one client object (one session, one connection)
serves the whole run. Transient failures get capped exponential backoff on top of that.

Versions: the API's entry id carries the exact version (`.../abs/2101.00001v3`), so `version`
is exact here, unlike OAI-PMH.

Payloads are the entry's fields as JSON text: that is what a dead letter carries.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import arxiv
import requests
from pydantic import ValidationError

from foundation.errors import InvalidRecord, ScholarStreamError
from producers.normalise import (
    arxiv_categories,
    clean_tex,
    clean_tex_keeping_raw,
    clean_text,
    make_author,
    split_arxiv_id,
    split_person_name,
)
from schemas.checkpoints import HarvestCheckpoint, checkpoint_id
from schemas.papers import RawPaper, describe_validation_error

log = logging.getLogger(__name__)

ARXIV_QUERY_ENDPOINT = "https://export.arxiv.org/api/query"
API_SPACING_S = 3.0  # arXiv API terms of use: no more than one request every three seconds


class PollError(ScholarStreamError):
    """The query API kept failing beyond the retry budget."""


# Mapping ----------------------------------------------------------------------------------------


def result_to_payload(result: arxiv.Result) -> str:
    """The entry as JSON text, every field the mapping reads (and nothing derived)."""
    return json.dumps(
        {
            "entry_id": result.entry_id,
            "published": result.published.isoformat() if result.published else None,
            "updated": result.updated.isoformat() if result.updated else None,
            "title": result.title,
            "summary": result.summary,
            "authors": [{"name": a.name, "affiliations": list(a.affiliation)} for a in result.authors],
            "primary_category": result.primary_category,
            "categories": list(result.categories),
            "comment": result.comment,
            "journal_ref": result.journal_ref,
            "doi": result.doi,
        },
        ensure_ascii=False,
    )


def api_payload_to_paper(payload: str) -> RawPaper:
    """Map one query-API entry (as `result_to_payload` wrote it) to a `RawPaper`."""
    try:
        entry = json.loads(payload)
    except json.JSONDecodeError as error:
        raise InvalidRecord(f"not JSON: {error.msg}") from error
    arxiv_id, version = split_arxiv_id(str(entry.get("entry_id") or ""))
    title, title_raw = clean_tex_keeping_raw(entry.get("title") or "")
    abstract, abstract_raw = clean_tex_keeping_raw(entry.get("summary") or "")
    categories = [entry.get("primary_category") or ""] + list(entry.get("categories") or [])
    try:
        authors = tuple(
            make_author(*split_person_name(clean_tex(author.get("name") or "", in_name=True)), tuple(author.get("affiliations") or ()))
            for author in entry.get("authors") or []
            if clean_text(author.get("name") or "")
        )
        return RawPaper(
            arxiv_id=arxiv_id,
            version=version or 1,
            title=title,
            title_raw=title_raw,
            abstract=abstract,
            abstract_raw=abstract_raw,
            authors=authors,
            categories=arxiv_categories(categories),
            submitted=_when(entry.get("published")),
            updated=_when(entry.get("updated")),
            doi=clean_text(entry.get("doi") or "") or None,
            journal_ref=clean_text(entry.get("journal_ref") or "") or None,
            comments=clean_text(entry.get("comment") or "") or None,
            license=None,
            source="arxiv-api",
        )
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error


def payload_key(payload: str) -> str | None:
    try:
        return split_arxiv_id(str(json.loads(payload).get("entry_id") or ""))[0] or None
    except (json.JSONDecodeError, AttributeError):
        return None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Polling ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollRequest:
    categories: tuple[str, ...]
    from_time: datetime  # submittedDate window start (UTC)
    until: datetime | None = None  # None: up to "now" at each poll
    endpoint: str = ARXIV_QUERY_ENDPOINT
    page_size: int = 100

    @property
    def checkpoint_id(self) -> str:
        return checkpoint_id("arxiv-api", self.endpoint, **self.params)

    @property
    def params(self) -> dict[str, str | None]:
        return {
            "categories": ",".join(self.categories),
            "from": self.from_time.isoformat(),
            "until": self.until.isoformat() if self.until else None,
        }


def search_query(categories: tuple[str, ...], start: datetime, end: datetime) -> str:
    """`(cat:cs.LG OR cat:cs.IR) AND submittedDate:[202601010000 TO 202601020000]` (minutes, UTC)."""
    cats = " OR ".join(f"cat:{c}" for c in categories)
    return f"({cats}) AND submittedDate:[{start:%Y%m%d%H%M} TO {end:%Y%m%d%H%M}]"


def new_client(endpoint: str, page_size: int, spacing_s: float = API_SPACING_S) -> arxiv.Client:
    """One client for the whole run: its spacing applies across pages, polls and retries."""
    client = arxiv.Client(page_size=page_size, delay_seconds=spacing_s, num_retries=0)
    client.query_url_format = endpoint.rstrip("?") + "?{}"
    return client


def poll(
    request: PollRequest,
    client: arxiv.Client,
    state: HarvestCheckpoint,
    *,
    on_page_done: Callable[[HarvestCheckpoint], None],
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    follow_interval_s: float | None = None,
    max_polls: int | None = None,
    attempts: int = 6,
    jitter: Callable[[], float] = random.random,
) -> Generator[str, None, None]:
    """Yield entry payloads page by page; with `follow_interval_s`, poll again for new ones.

    After each page `on_page_done` receives the checkpoint (window start, offset of the next
    page, newest submission seen). A finished window without `until` moves the window start to
    the newest submission seen, so the next poll reads only what is new (the boundary minute
    again: harmless duplicates).
    """
    polls = 0
    while True:
        window_start = datetime.fromisoformat(state.params["effective_from"] or request.from_time.isoformat())
        window_end = request.until or now()
        search = arxiv.Search(
            query=search_query(request.categories, window_start, window_end),
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        offset = state.cursor
        while True:
            page = _fetch_page(client, search, offset, request.page_size, sleep, attempts, jitter)
            newest = state.last_datestamp
            for result in page:
                stamp = result.published.astimezone(UTC).isoformat()
                newest = stamp if newest is None or stamp > newest else newest
                yield result_to_payload(result)
            offset += len(page)
            done = len(page) < request.page_size
            update: dict[str, Any] = {"cursor": offset, "last_datestamp": newest, "pages": state.pages + 1,
                      "records": state.records + len(page), "updated_at": now(),
                      "harvest_started": state.harvest_started or now().isoformat()}
            if done:
                next_from = newest if (newest and request.until is None) else state.params["effective_from"]
                update.update(cursor=0, completed=request.until is not None,
                              params={**state.params, "effective_from": next_from})
            state = state.model_copy(update=update)
            on_page_done(state)
            if done:
                break
        polls += 1
        if follow_interval_s is None or state.completed or (max_polls is not None and polls >= max_polls):
            return
        sleep(follow_interval_s)


def start_poll_state(request: PollRequest, previous: HarvestCheckpoint | None, now: datetime) -> HarvestCheckpoint | None:
    if previous is not None and not previous.completed:
        return previous
    if previous is not None:
        return None  # a closed window (with --until) that was read to the end
    return HarvestCheckpoint(
        checkpoint_id=request.checkpoint_id,
        source="arxiv-api",
        endpoint=request.endpoint,
        params={**request.params, "effective_from": request.from_time.isoformat()},
        updated_at=now,
    )


_TRANSIENT = (arxiv.HTTPError, arxiv.UnexpectedEmptyPageError, requests.ConnectionError, requests.Timeout)


def _fetch_page(client, search, offset, page_size, sleep, attempts, jitter) -> list[arxiv.Result]:
    search.max_results = offset + page_size
    for attempt in range(1, attempts + 1):
        try:
            return list(client.results(search, offset=offset))
        except _TRANSIENT as error:
            if attempt == attempts:
                raise PollError(f"query API failed {attempts} times at offset {offset}: {error}") from error
            wait = min(120.0, 3.0 * 2 ** (attempt - 1)) * (1 + 0.25 * jitter())
            log.warning("query API: %s; retrying in %.1fs", error, wait)
            sleep(wait)
    raise AssertionError("unreachable")


def parse_window_start(text: str | None, now: datetime, default_days: int = 2) -> datetime:
    """`--from` as a date or date-time (UTC); default: the last two days."""
    if not text:
        return now - timedelta(days=default_days)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
