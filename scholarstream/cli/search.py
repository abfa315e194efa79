"""Reading: `search papers|researchers`, `index create`, `serve`, `profile`, `signal`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from encoders.query import query_encoder
from foundation.errors import ScholarStreamError
from foundation.settings import get_settings
from scholarstream.cli._app import JsonFlag, app, emit, index_app, out, search_app, utc_now
from scholarstream.progress import err_console


@search_app.command("papers")
def search_papers_cmd(
    query: Annotated[str, typer.Argument(help="Free text: words from titles, abstracts or author names.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Full-text paper search."""
    from dataclasses import asdict

    from clients import es_io
    from indexers.search import search_papers

    settings = get_settings()
    hits = search_papers(es_io.client(settings), settings, query, limit)
    if as_json:
        emit({"query": query, "hits": [asdict(hit) for hit in hits]}, True)
        return
    print_paper_hits(query, hits)


def print_paper_hits(query: str, hits: list) -> None:
    table = Table(title=f"papers matching {query!r}")
    for column in ("id", "title", "score"):
        table.add_column(column)
    for hit in hits:
        table.add_row(hit.arxiv_id, hit.title, f"{hit.score:.2f}")
    out.print(table)


@search_app.command("researchers")
def search_researchers_cmd(
    query: Annotated[str, typer.Argument(help="A name in any form ('Balazs, C', 'Csaba Balázs'), a topic, or free text.")],
    topic: Annotated[str | None, typer.Option(help="Only researchers with this topic: an arXiv category (cs.IR) or topic words.")] = None,
    verified: Annotated[str | None, typer.Option(help="At least this verification level: L1, L2 or L3.")] = None,
    claimed: Annotated[bool | None, typer.Option("--claimed/--unclaimed", help="Only claimed (or unclaimed) profiles.")] = None,
    has_affiliation: Annotated[bool | None, typer.Option("--has-affiliation/--no-affiliation")] = None,
    active_since: Annotated[int | None, typer.Option(help="Last active in this year or later.")] = None,
    mode: Annotated[str, typer.Option(help="text, semantic (kNN on the researcher's embedding) or hybrid (both, fused by RRF).")] = "text",
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
    page: Annotated[int, typer.Option(min=1)] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Researcher search by name, topic and text, with filters."""
    from dataclasses import asdict

    from clients import es_io
    from indexers.researcher_search import ResearcherFilters, ResearcherQuery, search_researchers
    from schemas.profiles import VerificationLevel

    settings = get_settings()
    try:
        level = VerificationLevel(verified.upper()) if verified else None
    except ValueError:
        raise ScholarStreamError(f"--verified must be one of L0, L1, L2, L3, not {verified!r}") from None
    filters = ResearcherFilters(topic=topic, verified=level, claimed=claimed, has_affiliation=has_affiliation,
                                active_since=active_since)
    request = ResearcherQuery(query, filters, page=page, size=limit, mode=mode)  # type: ignore[arg-type]  # validated
    results = search_researchers(es_io.client(settings), settings, request,
                                 embed=query_encoder(settings) if mode != "text" else None)
    if as_json:
        emit(asdict(results), True)
        return
    table = Table(title=f"researchers matching {query!r} ({results.total} found, page {page})")
    for column in ("id", "name", "works", "trust", "level", "topics", "score"):
        table.add_column(column)
    for hit in results.hits:
        table.add_row(hit.researcher_id, hit.display_name, str(hit.works_count),
                      f"{hit.trust_score} - {hit.trust_label or ''}", hit.verification_level,
                      ", ".join(t["code"] for t in hit.topics[:3]), f"{hit.score:.3f}")
    if results.did_you_mean:
        out.print(f"nobody matches {query!r} as written; did you mean {results.did_you_mean!r}?")
    out.print(table)


@index_app.command("create")
def index_create(as_json: JsonFlag = False) -> None:
    """Create the versioned indices behind their aliases (papers-vN, researchers-vN); idempotent."""
    from clients import es_io
    from indexers.index_admin import ensure_index
    from indexers.mappings import INDICES

    settings = get_settings()
    es = es_io.client(settings)
    created = {spec.alias(settings): ensure_index(es, settings, spec) for spec in INDICES}
    if as_json:
        emit({"aliases": created}, True)
    else:
        for alias, physical in created.items():
            out.print(f"{alias} -> {physical}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web app's pages (open / in a browser)."""
    import uvicorn

    from scholarstream.api import create_api

    settings = get_settings()
    uvicorn.run(create_api(settings, embedder=lambda: query_encoder(settings)), host=host, port=port, log_level="info")




@app.command("profile")
def profile_cmd(
    researcher_id: Annotated[str | None, typer.Argument(help="Researcher id, e.g. r-3f2a...")] = None,
    name: Annotated[str | None, typer.Option(help="Find profiles by name instead (researcher search).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A researcher profile: works, topics, collaborators, trust with its components.

    Read from the researchers index (following merge redirects); a profile the indexer has not
    written yet is read from the compacted `researcher.profiles` topic.
    """
    from clients import es_io
    from indexers.documents import public_profile
    from indexers.researcher_profiles import resolve
    from indexers.researcher_search import ResearcherQuery, search_researchers
    from scholarstream import profile_lookup

    settings = get_settings()
    if (researcher_id is None) == (name is None):
        raise ScholarStreamError("give a researcher id or --name, not both")
    es = es_io.client(settings)
    if name is not None:
        results = search_researchers(es, settings, ResearcherQuery(name, size=10))
        if as_json:
            emit({"query": name, "profiles": [hit.__dict__ for hit in results.hits]}, True)
            return
        for hit in results.hits:
            out.print(f"{hit.researcher_id}  {hit.display_name}  {hit.works_count} works  Trust {hit.trust_score}")
        return
    assert researcher_id is not None  # given exactly one of the two, checked above
    found, path = resolve(es, settings, researcher_id)
    if found is not None:
        shown = dict(found.profile)  # the public view the indexer stored (no account ids)
    else:
        from_topic = profile_lookup.by_id(settings, path[-1])
        if from_topic is None:
            raise ScholarStreamError(f"no researcher {researcher_id!r} in the index or in {settings.topic('researcher.profiles')}")
        shown = public_profile(from_topic)
    if len(path) > 1:
        err_console.print(f"{researcher_id} was merged: showing {' -> '.join(path)}")
    if as_json:
        emit(shown, True)
        return
    _print_profile(shown)


def _print_profile(p: dict[str, Any]) -> None:
    from schemas.profiles import Work, newest_first

    trust = p.get("trust")
    label = f"Trust {trust['score']} - {trust['label']}" if trust else "Trust -"
    affiliation = p["affiliations"][-1]["name"] if p["affiliations"] else "no affiliation"
    out.print(f"[bold]{p['display_name']}[/bold]  ({p['researcher_id']})  {affiliation}")
    out.print(f"{label}  |  verification {p['verification_level']}  |  "
              f"{'claimed' if p['claimed'] else 'unclaimed'}  |  {'open to collaborate' if p['open_to_collaborate'] else ''}")
    out.print(f"{p['works_count']} works  |  {p['followers_count']} followers  |  "
              f"active {p['first_active_year']}-{p['last_active_year']}")
    out.print("topics: " + ", ".join(t["name"] for t in p["top_topics"]))
    out.print("close collaborators: " + ", ".join(
        f"{c['display_name']} ({c['shared_works']})" for c in p["close_collaborators"][:10]))
    if trust:
        for c in trust["components"]:
            out.print(f"  {c['name']}: {c['points']} / {c['weight']}  ({'; '.join(c['evidence'])[:100]})")
    newest = newest_first([Work.model_validate(w) for w in (p.get("recent_works") or p.get("works") or [])])
    for w in newest[:20]:
        out.print(f"  {w.arxiv_id}  {w.year or ''}  {w.title}")
    if p["works_count"] > 20:
        out.print(f"  ... {p['works_count'] - 20} more (the API pages them: GET /researchers/{p['researcher_id']}/works)")


@app.command("signal")
def signal_cmd(
    kind: Annotated[
        str,
        typer.Argument(
            help="claim, unclaim, verify, follow, unfollow, affiliation_update, open_to_collaborate, merge_request, disown_work"
        ),
    ],
    researcher_id: Annotated[str, typer.Argument()],
    actor: Annotated[str, typer.Option(help="The operator's name, or (with --principal account) an account id.")] = "operator",
    principal: Annotated[
        str,
        typer.Option(help="operator (the default), or account: acting as a person needs the accounts' signing key, "
                     "which only a local stack or a test has; people act through the web app."),
    ] = "operator",
    orcid: Annotated[str | None, typer.Option(help="verify: an ORCID iD.")] = None,
    email_domain: Annotated[str | None, typer.Option(help="verify: a confirmed e-mail domain.")] = None,
    institution: Annotated[str | None, typer.Option(help="verify: the institution of --email-domain (institutional).")] = None,
    level: Annotated[str | None, typer.Option(help="verify: L1, L2 or L3.")] = None,
    affiliation: Annotated[list[str] | None, typer.Option(help="affiliation_update: one or more.")] = None,
    open_: Annotated[bool, typer.Option("--open/--closed", help="open_to_collaborate: the flag.")] = True,
    other_id: Annotated[str | None, typer.Option(help="merge_request: the other researcher id that is also the claimant.")] = None,
    arxiv_id: Annotated[list[str] | None, typer.Option(help="disown_work: one or more arXiv ids that are not the claimant's.")] = None,
    signal_id: Annotated[str | None, typer.Option(help="Idempotence key (default: a new one).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send one signed product signal to `researcher.signals` (the worker applies it)."""
    import uuid

    from clients import kafka_io
    from foundation.signal_keys import signal_keys
    from schemas.profiles import signal_of
    from schemas.signal_auth import sign_signal
    from schemas.topics import RESEARCHER_SIGNALS, TOPICS

    settings = get_settings()
    body: dict[str, Any] = {"kind": kind, "researcher_id": researcher_id, "actor": actor, "principal": principal,
                            "at": utc_now().isoformat(), "signal_id": signal_id or f"cli-{uuid.uuid4()}"}
    if kind == "verify":
        if orcid:
            body["evidence"] = {"method": "orcid", "orcid": orcid}
        elif email_domain and institution:
            body["evidence"] = {"method": "institutional_email", "domain": email_domain, "institution": institution}
        elif email_domain:
            body["evidence"] = {"method": "email", "domain": email_domain}
        body["level"] = level
    elif kind == "affiliation_update":
        body["affiliations"] = affiliation or []
    elif kind == "open_to_collaborate":
        body["open"] = open_
    elif kind == "merge_request":
        body["other_id"] = other_id
    elif kind == "disown_work":
        body["arxiv_ids"] = arxiv_id or []
    signal = sign_signal(signal_of(body), signal_keys(settings))  # a clear error naming the field, before anything is sent
    kafka_io.ensure_topics(settings, TOPICS)
    kafka_io.send_one(settings, settings.topic(RESEARCHER_SIGNALS.name), researcher_id.encode(), signal.model_dump_json().encode())
    emit({"sent": signal.model_dump(mode="json")}, as_json)
    if not as_json:
        out.print(f"sent {kind} for {researcher_id} ({signal.signal_id})")
