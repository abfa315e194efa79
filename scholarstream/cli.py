"""The `scholarstream` command: a thin layer of typer commands over the library functions.

Every command that another tool might read takes `--json` and then prints exactly one JSON
document on stdout; progress and human messages go to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from scholarstream.errors import ScholarStreamError
from scholarstream.progress import err_console, progress_bar
from scholarstream.settings import REPO_ROOT, Settings, get_settings

# Tracebacks never show local variables: a client's configuration holds passwords and keys.
app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
    help="ScholarStream: arXiv papers to searchable researcher profiles.",
)
stack_app = typer.Typer(no_args_is_help=True, help="Run a local Kafka and Elasticsearch (no Docker needed).")
ingest_app = typer.Typer(no_args_is_help=True, help="Produce arXiv records into Kafka.")
search_app = typer.Typer(no_args_is_help=True, help="Search the indices.")
schemas_app = typer.Typer(no_args_is_help=True, help="The event contract.")
app.add_typer(stack_app, name="stack")
app.add_typer(ingest_app, name="ingest")
app.add_typer(search_app, name="search")
app.add_typer(schemas_app, name="schemas")

out = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DEMO_SAMPLE = REPO_ROOT / "samples" / "arxiv-kaggle-1006.jsonl.gz"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _emit(data: Any, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("kafka", "elastic_transport", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# stack ----------------------------------------------------------------------------------------


@stack_app.command("up")
def stack_up(as_json: JsonFlag = False) -> None:
    """Start Kafka (KRaft) and Elasticsearch from Maven Central artefacts; idempotent."""
    import stack

    result = stack.up(get_settings(), on_step=lambda message: err_console.print(f"[dim]{message}[/dim]"))
    data = stack.as_dict(result)
    if as_json:
        _emit(data, True)
        return
    for line in stack.describe(result):
        out.print(line)


@stack_app.command("down")
def stack_down(as_json: JsonFlag = False) -> None:
    """Stop both services and leave no process behind."""
    import stack

    result = stack.down(get_settings(), on_step=lambda message: err_console.print(f"[dim]{message}[/dim]"))
    if as_json:
        _emit(stack.as_dict(result), True)
    else:
        for line in stack.describe(result):
            out.print(line)


@stack_app.command("status")
def stack_status(as_json: JsonFlag = False) -> None:
    """What runs, where, and which versions."""
    import stack

    data = stack.status(get_settings())
    if as_json:
        _emit(data, True)
        return
    out.print_json(json.dumps(data, default=str))


# setup ----------------------------------------------------------------------------------------


@app.command("setup")
def setup(as_json: JsonFlag = False) -> None:
    """Create the registry's Kafka topics and the Elasticsearch indices (idempotent)."""
    from scholarstream.provision import provision

    data = provision(get_settings())
    if as_json:
        _emit(data, True)
    else:
        out.print(f"topics ready: {', '.join(data['topics'])} (created {len(data['topics_created'])})")
        out.print(f"indices ready: {', '.join(data['indices'])}")


# ingest ---------------------------------------------------------------------------------------


@ingest_app.command("snapshot")
def ingest_snapshot(
    path: Annotated[Path, typer.Argument(help="arXiv snapshot file: .json or .jsonl, optionally .gz")],
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and validate only; produce nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Backfill from the arXiv bulk metadata snapshot into `arxiv.papers.raw`."""
    summary = _ingest_snapshot(get_settings(), path, limit, dry_run)
    _summarise_ingest(summary, as_json)


def _ingest_snapshot(settings: Settings, path: Path, limit: int | None, dry_run: bool) -> dict[str, Any]:
    from producers.ingest import ingest
    from producers.publish import Publisher
    from producers.snapshot import read_snapshot, record_key, snapshot_record_to_paper
    from schemas.topics import TOPICS
    from scholarstream import kafka_io

    total = sum(1 for _ in read_snapshot(path))
    if limit is not None:
        total = min(total, limit)
    publisher = None
    if not dry_run:
        kafka_io.ensure_topics(settings, TOPICS)
        publisher = Publisher(settings, utc_now)
    with progress_bar(f"ingest {path.name}", total) as advance:
        summary = ingest(
            read_snapshot(path),
            source="snapshot",
            parse=snapshot_record_to_paper,
            key_of=record_key,
            publisher=publisher,
            limit=limit,
            progress=advance,
        )
    return summary.as_dict()


@ingest_app.command("oai")
def ingest_oai(
    endpoint: Annotated[str, typer.Option(help="OAI-PMH base URL (default: arXiv's).")] = "https://export.arxiv.org/oai2",
    set_: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th.")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="First datestamp, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last datestamp, YYYY-MM-DD.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and validate only; produce nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Harvest arXiv's OAI-PMH `ListRecords` (metadataPrefix=arXiv) into `arxiv.papers.raw`, resuming from `ingest.checkpoints`."""
    from datetime import date

    from producers.oai_ingest import run_oai_ingest
    from producers.oai_pmh import HarvestRequest

    for name, value in (("--from", from_date), ("--until", until)):
        try:
            value is None or date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{name} must be YYYY-MM-DD, got {value!r}") from None
    request = HarvestRequest(endpoint=endpoint, set=set_, from_date=from_date, until=until)
    with progress_bar(f"ingest oai {set_ or 'all'}", limit) as advance:
        data = run_oai_ingest(
            get_settings(), request, limit=limit, dry_run=dry_run, clock=utc_now, progress=advance,
            on_total=lambda n: advance.set_total(min(n, limit) if limit else n),
        )
    _summarise_ingest(data, as_json)
    if not as_json:
        state = "complete" if data["completed"] else "resumable"
        out.print(f"harvest {data['checkpoint_id']}: {data.get('pages', 0)} pages, {state}")


@ingest_app.command("arxiv")
def ingest_arxiv(
    categories: Annotated[str, typer.Option(help="Comma-separated arXiv categories, e.g. cs.LG,cs.IR.")],
    from_time: Annotated[str | None, typer.Option("--from", help="Window start (submission), YYYY-MM-DD[THH:MM]; default: two days ago.")] = None,
    until: Annotated[str | None, typer.Option(help="Window end; default: now (and, with --follow, each poll's now).")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep polling for new submissions.")] = False,
    interval: Annotated[float, typer.Option(min=60, help="Seconds between polls with --follow.")] = 900.0,
    endpoint: Annotated[str, typer.Option(help="Query API URL (default: arXiv's).")] = "https://export.arxiv.org/api/query",
    page_size: Annotated[int, typer.Option(min=1, max=2000, help="Entries per request.")] = 100,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and validate only; produce nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Poll arXiv's query API (one request every 3 s) into `arxiv.papers.raw`, resuming from `ingest.checkpoints`."""
    from producers.arxiv_api import PollRequest, parse_window_start
    from producers.arxiv_ingest import run_arxiv_ingest

    try:
        start = parse_window_start(from_time, utc_now())
        end = parse_window_start(until, utc_now()) if until else None
    except ValueError as error:
        raise typer.BadParameter(f"--from/--until: {error}") from None
    cats = tuple(c.strip() for c in categories.split(",") if c.strip())
    request = PollRequest(categories=cats, from_time=start, until=end, endpoint=endpoint, page_size=page_size)
    with progress_bar(f"ingest arxiv {','.join(cats)}", limit) as advance:
        data = run_arxiv_ingest(
            get_settings(), request, limit=limit, dry_run=dry_run, clock=utc_now, progress=advance,
            follow_interval_s=interval if follow else None,
        )
    _summarise_ingest(data, as_json)


def _summarise_ingest(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _emit(data, True)
        return
    verb = "validated" if data["dry_run"] else "produced"
    out.print(
        f"{verb} {data['produced']}, duplicates skipped {data['duplicates_skipped']}, "
        f"rejected to the dead-letter topic {data['rejected']}, read {data['read']} "
        f"in {data['elapsed_seconds']:.1f}s ({data['records_per_second']:,.0f} records/s)"
    )


# processes ------------------------------------------------------------------------------------


@app.command("worker")
def worker() -> None:
    """Run the faust stream processors (enrichment) until stopped."""
    from stream_processors.worker import run_worker

    settings = get_settings()
    run_worker(settings)


@app.command("indexer")
def indexer() -> None:
    """Consume enriched papers and bulk-index them into Elasticsearch until stopped."""
    import signal

    from indexers.papers_indexer import run_indexer
    from scholarstream import es_io

    settings = get_settings()
    _configure_logging(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    es = es_io.client(settings)
    es_io.check_reachable(settings, es)
    log = logging.getLogger("scholarstream.indexer")
    stats = run_indexer(settings, es, stop, utc_now, on_batch=lambda s: log.info("indexed: %s", s))
    log.info("indexer stopped: %s", stats)


@app.command("run")
def run(
    until_caught_up: Annotated[bool, typer.Option("--until-caught-up", help="Exit 0 once every group has zero lag and the index is refreshed.")] = False,
    timeout: Annotated[float | None, typer.Option(help="Give up (exit 1) after this many seconds.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the worker and the indexer together in the foreground."""
    data = _run_pipeline(until_caught_up, timeout)
    if as_json:
        _emit(data, True)
    elif until_caught_up:
        out.print(f"caught up in {data['elapsed_seconds']:.1f}s; papers indexed: {data['indexed_documents']}")


def _run_pipeline(until_caught_up: bool, timeout: float | None) -> dict[str, Any]:
    from dataclasses import asdict

    from rich.live import Live

    from scholarstream.pipeline import run_pipeline

    settings = get_settings()
    with Live(console=err_console, transient=True) as live:
        result = run_pipeline(
            settings,
            until_caught_up=until_caught_up,
            timeout=timeout,
            on_poll=lambda lag: live.update(
                "waiting for the pipeline: " + ", ".join(f"{role} lag {n}" for role, n in lag.items())
            ),
        )
    return asdict(result)


# search ---------------------------------------------------------------------------------------


@search_app.command("papers")
def search_papers_cmd(
    query: Annotated[str, typer.Argument(help="Free text: words from titles, abstracts or author names.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Full-text paper search."""
    from dataclasses import asdict

    from indexers.search import search_papers
    from scholarstream import es_io

    settings = get_settings()
    hits = search_papers(es_io.client(settings), settings, query, limit)
    if as_json:
        _emit({"query": query, "hits": [asdict(hit) for hit in hits]}, True)
        return
    _print_paper_hits(query, hits)


def _print_paper_hits(query: str, hits: list) -> None:
    table = Table(title=f"papers matching {query!r}")
    for column in ("id", "title", "score"):
        table.add_column(column)
    for hit in hits:
        table.add_row(hit.arxiv_id, hit.title, f"{hit.score:.2f}")
    out.print(table)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Serve the read-only HTTP search API (OpenAPI at /docs)."""
    import uvicorn

    from scholarstream.api import create_api

    uvicorn.run(create_api(get_settings()), host=host, port=port, log_level="info")


# topics and evaluation ------------------------------------------------------------------------

topics_app = typer.Typer(no_args_is_help=True, help="The field-topic model (arXiv taxonomy).")
eval_app = typer.Typer(no_args_is_help=True, help="Measure quality on real labelled data.")
app.add_typer(topics_app, name="topics")
app.add_typer(eval_app, name="eval")


def _stage_progress():
    """A progress callback factory for library functions that run several long steps."""
    from contextlib import ExitStack

    stack = ExitStack()

    def start(description: str, total: int | None):
        return stack.enter_context(progress_bar(description, total, unit="papers"))

    return stack, start


@topics_app.command("build")
def topics_build(
    per_label: Annotated[int, typer.Option(min=3, help="Training papers per category at most.")] = 30,
    output: Annotated[Path | None, typer.Option(help="Where to write the artefact.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild the field-topic model from the train split of ../shared/data/arxiv-oai-cs-2016."""
    from evaluation.topics import build_topic_model, load_corpus
    from stream_processors.encoder import load_encoder
    from stream_processors.topic_model.fields import model_path_for

    settings = get_settings()
    encoder = load_encoder(settings)
    err_console.print("reading the labelled papers")
    corpus = load_corpus(per_label=per_label)
    stack, start = _stage_progress()
    with stack:
        _, info = build_topic_model(
            settings, encoder, start, corpus=corpus, output=output or model_path_for(encoder.name, settings.data_dir)
        )
    _emit(info, as_json)
    if not as_json:
        out.print(f"built {info['version']}: {info['categories']} categories from {info['training_papers']} papers "
                  f"(temperature {info['temperature']}, prior weight {info['prior_weight']}) -> {info['artefact']}")


encoder_app = typer.Typer(no_args_is_help=True, help="Encoders: the default transformer and the fast static mode.")
app.add_typer(encoder_app, name="encoder")


@encoder_app.command("distill")
def encoder_distill(as_json: JsonFlag = False) -> None:
    """Distil the fast-mode static model (static-minilm-v1) from the packaged MiniLM."""
    import time

    from evaluation.labelled_papers import oai_cs_2016, split_of
    from stream_processors.encoder import packaged_model_path, static_model_path
    from stream_processors.static_encoder import STATIC_DEFAULT_NAME, distill

    settings = get_settings()
    started = time.monotonic()
    err_console.print("collecting token frequencies from training abstracts")
    sample = [p.text for p, _ in zip((p for p in oai_cs_2016() if split_of(p.arxiv_id) == "train"), range(20_000))]
    err_console.print("running the transformer over its vocabulary")
    path = distill(packaged_model_path(), static_model_path(settings, STATIC_DEFAULT_NAME), sample)
    info = {"model": STATIC_DEFAULT_NAME, "path": str(path), "seconds": round(time.monotonic() - started, 1),
            "use_with": f"SCHOLARSTREAM_ENCODER_MODEL={STATIC_DEFAULT_NAME}"}
    _emit(info, as_json)
    if not as_json:
        out.print(f"distilled {STATIC_DEFAULT_NAME} in {info['seconds']}s -> {path}; {info['use_with']}")


@eval_app.command("linking")
def eval_linking(as_json: JsonFlag = False) -> None:
    """B-cubed and pairwise P/R/F1 of author linking on the gold sets, against two baselines."""
    from evaluation.linking import evaluate_linking, print_table

    err_console.print("linking the gold sets (inspire-wang, s2and-qian, orcid-doi)")
    results = evaluate_linking()
    if as_json:
        _emit(results, True)
    else:
        print_table(results)


@eval_app.command("topics")
def eval_topics(
    test_size: Annotated[int, typer.Option(min=50, help="Held-out papers per evaluation set.")] = 1000,
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = REPO_ROOT / "evaluation" / "results" / "topics.json",
    as_json: JsonFlag = False,
) -> None:
    """Top-1/top-3 accuracy of field topics on held-out real papers, against baselines."""
    from evaluation.topics import evaluate_topics, load_corpus
    from stream_processors.encoder import load_encoder
    from stream_processors.topic_model.fields import load_field_model, model_path_for

    settings = get_settings()
    encoder = load_encoder(settings)
    model = load_field_model(model_path_for(encoder.name, settings.data_dir), encoder=encoder.name)
    err_console.print("reading the labelled papers")
    corpus = load_corpus(test_size=test_size)
    stack, start = _stage_progress()
    with stack:
        results = evaluate_topics(settings, encoder, model, start, corpus=corpus, test_size=test_size)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    if as_json:
        _emit(results, True)
        return
    table = Table(title=f"field topics ({model.version}) vs baselines")
    for column in ("set", "method", "top-1", "top-3", "archive top-1", "archive top-3"):
        table.add_column(column)
    for set_name, methods in results["sets"].items():
        for method in ("embedding_centroids", "tfidf_centroids", "majority_class"):
            m = methods[method]
            table.add_row(set_name, method, f"{m['top1_accuracy']:.3f}", f"{m['top3_recall']:.3f}",
                          f"{m['archive_top1_accuracy']:.3f}", f"{m['archive_top3_recall']:.3f}")
    out.print(table)
    out.print(f"written to {output}")


# researchers ------------------------------------------------------------------------------------


@app.command("profile")
def profile_cmd(
    researcher_id: Annotated[str | None, typer.Argument(help="Researcher id, e.g. r-3f2a...")] = None,
    name: Annotated[str | None, typer.Option(help="Find profiles by name instead (scans the topic).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A researcher profile: works, topics, collaborators, trust with its components."""
    from scholarstream import profile_lookup

    settings = get_settings()
    if (researcher_id is None) == (name is None):
        raise ScholarStreamError("give a researcher id or --name, not both")
    if name is not None:
        found = profile_lookup.by_name(settings, name)
        if as_json:
            _emit({"query": name, "profiles": [p.model_dump(mode="json") for p in found]}, True)
            return
        for p in found:
            out.print(f"{p.researcher_id}  {p.display_name}  {p.works_count} works  "
                      f"Trust {p.trust.score if p.trust else '-'}")
        return
    found_profile = profile_lookup.by_id(settings, researcher_id)
    if found_profile is None:
        raise ScholarStreamError(f"no profile {researcher_id!r} in {settings.topic('researcher.profiles')}")
    if as_json:
        _emit(found_profile.model_dump(mode="json"), True)
        return
    _print_profile(found_profile)


def _print_profile(p) -> None:
    trust = f"Trust {p.trust.score} - {p.trust.label}" if p.trust else "Trust -"
    affiliation = p.affiliations[-1].name if p.affiliations else "no affiliation"
    out.print(f"[bold]{p.display_name}[/bold]  ({p.researcher_id})  {affiliation}")
    out.print(f"{trust}  |  verification {p.verification_level.value}  |  "
              f"{'claimed' if p.claimed else 'unclaimed'}  |  {'open to collaborate' if p.open_to_collaborate else ''}")
    out.print(f"{p.works_count} works  |  {p.followers_count} followers  |  active {p.first_active_year}-{p.last_active_year}")
    out.print("topics: " + ", ".join(t.name for t in p.top_topics))
    out.print("close collaborators: " + ", ".join(f"{c.display_name} ({c.shared_works})" for c in p.close_collaborators[:10]))
    if p.trust:
        for c in p.trust.components:
            out.print(f"  {c.name}: {c.points} / {c.weight}  ({'; '.join(c.evidence)[:100]})")
    for w in p.works[:20]:
        out.print(f"  {w.arxiv_id}  {w.year or ''}  {w.title}")


@app.command("signal")
def signal_cmd(
    kind: Annotated[str, typer.Argument(help="claim, unclaim, verify, follow, unfollow, affiliation_update, open_to_collaborate")],
    researcher_id: Annotated[str, typer.Argument()],
    actor: Annotated[str, typer.Option(help="The product account sending the signal.")] = "cli:operator",
    orcid: Annotated[str | None, typer.Option(help="verify: an ORCID iD.")] = None,
    email_domain: Annotated[str | None, typer.Option(help="verify: a confirmed e-mail domain.")] = None,
    institution: Annotated[str | None, typer.Option(help="verify: the institution of --email-domain (institutional).")] = None,
    level: Annotated[str | None, typer.Option(help="verify: L1, L2 or L3.")] = None,
    affiliation: Annotated[list[str] | None, typer.Option(help="affiliation_update: one or more.")] = None,
    open_: Annotated[bool, typer.Option("--open/--closed", help="open_to_collaborate: the flag.")] = True,
    signal_id: Annotated[str | None, typer.Option(help="Idempotence key (default: a new one).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send one product signal to `researcher.signals` (the worker applies it)."""
    import uuid

    from schemas.profiles import parse_signal
    from schemas.topics import RESEARCHER_SIGNALS, TOPICS
    from scholarstream import kafka_io

    settings = get_settings()
    body: dict[str, Any] = {"kind": kind, "researcher_id": researcher_id, "actor": actor,
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
    signal = parse_signal(json.dumps(body))  # a clear error naming the field, before anything is sent
    kafka_io.ensure_topics(settings, TOPICS)
    producer = kafka_io.producer(settings)
    try:
        producer.send(settings.topic(RESEARCHER_SIGNALS.name), key=researcher_id.encode(), value=signal.model_dump_json().encode())
        producer.flush()
    finally:
        producer.close()
    _emit({"sent": signal.model_dump(mode="json")}, as_json)
    if not as_json:
        out.print(f"sent {kind} for {researcher_id} ({signal.signal_id})")


# operations -------------------------------------------------------------------------------------

dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: inspect and re-submit.")
app.add_typer(dlq_app, name="dlq")


@app.command("status")
def status_cmd(as_json: JsonFlag = False) -> None:
    """Lag per consumer group and partition, dead-letter sizes, index counts, freshness, live workers."""
    from scholarstream.status import pipeline_status

    data = pipeline_status(get_settings(), utc_now)
    if as_json:
        _emit(data, True)
        return
    table = Table(title="consumer groups")
    for column in ("role", "group", "topic", "state", "members", "lag"):
        table.add_column(column)
    for group in data["consumer_groups"]:
        table.add_row(group["role"], group["group"], group["topic"], group["state"], str(len(group["members"])), str(group["lag"]))
    out.print(table)
    out.print("dead letters: " + ", ".join(f"{t} {n}" for t, n in data["dead_letters"].items()))
    for alias, info in data["indices"].items():
        out.print(f"index {alias}: " + (f"{info['documents']} documents in {', '.join(info['indices'])}" if info["exists"] else "missing"))
    if data.get("freshness"):
        out.print(f"newest indexed record ingested {data['freshness']['age_seconds']}s ago")


@app.command("replay")
def replay_cmd(
    group: Annotated[str, typer.Option(help="Consumer group, e.g. scholarstream-indexer (the prefix is added).")],
    topic: Annotated[str, typer.Option(help="Topic the group reads, e.g. papers.enriched (the prefix is added).")],
    to_earliest: Annotated[bool, typer.Option("--to-earliest")] = False,
    to_latest: Annotated[bool, typer.Option("--to-latest")] = False,
    to_offset: Annotated[int | None, typer.Option("--to-offset", min=0)] = None,
    to_datetime: Annotated[datetime | None, typer.Option("--to-datetime", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"])] = None,
    partitions: Annotated[str | None, typer.Option(help="Comma-separated partitions (default: all).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the moves; change nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Reset a consumer group's offsets so its stage re-reads its input (refused while it has members)."""
    from scholarstream.replay import Target, as_rows, replay

    settings = get_settings()
    if to_datetime is not None and to_datetime.tzinfo is None:
        to_datetime = to_datetime.replace(tzinfo=timezone.utc)
    target = Target(earliest=to_earliest, latest=to_latest, offset=to_offset, at=to_datetime)
    chosen = [int(p) for p in partitions.split(",")] if partitions else None
    moves = replay(settings, settings.group(group), settings.topic(topic), target, chosen, dry_run)
    rows = as_rows(moves)
    if as_json:
        _emit({"group": settings.group(group), "topic": settings.topic(topic), "dry_run": dry_run, "partitions": rows}, True)
        return
    table = Table(title=f"{'planned ' if dry_run else ''}replay of {settings.topic(topic)} for {settings.group(group)}")
    for column in ("partition", "before", "after", "end", "to re-read"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["partition"]), str(row["before"]), str(row["after"]), str(row["end"]), str(row["to_reread"]))
    out.print(table)


@dlq_app.command("list")
def dlq_list(
    topic: Annotated[str | None, typer.Option(help="One dead-letter topic (default: all).")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Dead letters with their stage, key and reason, newest last."""
    from scholarstream.dlq import read_letters, topics_for

    settings = get_settings()
    rows = [stored.row() for name in topics_for(settings, topic) for stored in read_letters(settings, name)][-limit:]
    if as_json:
        _emit({"letters": rows}, True)
        return
    table = Table(title="dead letters")
    for column in ("topic", "offset", "stage", "key", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["topic"], str(row["offset"]), str(row["stage"]), str(row["key"]), str(row["reason"]))
    out.print(table)


@dlq_app.command("show")
def dlq_show(
    topic: Annotated[str, typer.Option(help="The dead-letter topic.")],
    offset: Annotated[int, typer.Option(min=0)],
    partition: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """One dead letter, whole: reason, field, source and the original payload."""
    from scholarstream.dlq import read_letters, topics_for

    settings = get_settings()
    (name,) = topics_for(settings, topic)
    for stored in read_letters(settings, name, {partition: offset}):
        if stored.partition == partition and stored.offset == offset:
            sys.stdout.write(stored.raw + "\n")
            return
    raise ScholarStreamError(f"no record at {name} partition {partition} offset {offset}")


@dlq_app.command("retry")
def dlq_retry(
    topic: Annotated[str | None, typer.Option(help="One dead-letter topic (default: all).")] = None,
    from_start: Annotated[bool, typer.Option("--from-start", help="Also retry letters retried before.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only check which letters would now pass.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-submit dead letters that now pass their stage's checks; the rest are dead-lettered again."""
    from dataclasses import asdict

    from scholarstream.dlq import retry, topics_for

    settings = get_settings()
    reports = [asdict(retry(settings, name, utc_now, from_start, dry_run)) for name in topics_for(settings, topic)]
    if as_json:
        _emit({"dry_run": dry_run, "topics": reports}, True)
        return
    for report in reports:
        out.print(f"{report['topic']}: examined {report['examined']}, re-submitted {report['resubmitted']}, "
                  f"still failing {report['still_failing']}")


# schemas --------------------------------------------------------------------------------------


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path | None, typer.Argument(help="Where to write (default schemas/json).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write the event models as JSON Schema files."""
    from schemas.json_schema import SCHEMA_DIR, export

    written = export(directory or SCHEMA_DIR)
    _emit({"written": [str(p) for p in written]}, as_json)
    if not as_json:
        for path in written:
            out.print(str(path))


# demo -----------------------------------------------------------------------------------------


@app.command("demo")
def demo(
    sample: Annotated[Path, typer.Option(help="Snapshot file to ingest.")] = DEMO_SAMPLE,
    query: Annotated[str, typer.Option(help="The example search.")] = "graph decomposition",
    as_json: JsonFlag = False,
) -> None:
    """Start the local stack if needed, ingest a real sample, process it until caught up, search it."""
    from dataclasses import asdict

    from indexers.search import search_papers
    from scholarstream import es_io
    from scholarstream.demo import ensure_services
    from scholarstream.provision import provision

    settings = get_settings()
    ensure_services(settings, on_step=lambda message: err_console.print(message))
    provision(settings)
    err_console.print(f"[bold]1/3[/bold] ingesting {sample.name}")
    ingested = _ingest_snapshot(settings, sample, limit=None, dry_run=False)
    if not as_json:
        _summarise_ingest(ingested, False)
    err_console.print("[bold]2/3[/bold] enriching and indexing until caught up")
    pipeline = _run_pipeline(until_caught_up=True, timeout=1800)
    err_console.print(f"caught up in {pipeline['elapsed_seconds']:.1f}s; papers indexed: {pipeline['indexed_documents']}")
    err_console.print(f"[bold]3/3[/bold] scholarstream search papers {query!r}")
    hits = search_papers(es_io.client(settings), settings, query, 10)
    if as_json:
        _emit({"ingest": ingested, "pipeline": pipeline, "query": query, "hits": [asdict(h) for h in hits]}, True)
    else:
        _print_paper_hits(query, hits)


def main() -> None:
    try:
        app()
    except ScholarStreamError as error:
        err_console.print(f"[bold red]error:[/bold red] {error}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
