"""`scholarstream demo` (the quickstart's main job) and `schemas export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from foundation.settings import REPO_ROOT, get_settings
from scholarstream.cli._app import JsonFlag, app, emit, out, schemas_app
from scholarstream.cli.ingest import ingest_snapshot_file, summarise_ingest
from scholarstream.cli.processes import run_until
from scholarstream.cli.search import print_paper_hits
from scholarstream.progress import err_console

DEMO_SAMPLE = REPO_ROOT / "samples" / "arxiv-kaggle-1006.jsonl.gz"


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path | None, typer.Argument(help="Where to write (default schemas/json).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write the event models as JSON Schema files."""
    from schemas.json_schema import SCHEMA_DIR, export

    written = export(directory or SCHEMA_DIR)
    emit({"written": [str(p) for p in written]}, as_json)
    if not as_json:
        for path in written:
            out.print(str(path))




@app.command("demo")
def demo(
    sample: Annotated[Path, typer.Option(help="Snapshot file to ingest.")] = DEMO_SAMPLE,
    query: Annotated[str, typer.Option(help="The example search.")] = "graph decomposition",
    as_json: JsonFlag = False,
) -> None:
    """Start the local stack if needed, ingest a real sample, process it until caught up, search it."""
    from dataclasses import asdict

    from clients import es_io
    from indexers.researcher_search import ResearcherQuery, search_researchers
    from indexers.search import search_papers
    from scholarstream.demo import ensure_services, prolific_researcher_query
    from scholarstream.provision import provision

    settings = get_settings()
    ensure_services(settings, on_step=lambda message: err_console.print(message))
    provision(settings)
    err_console.print(f"[bold]1/3[/bold] ingesting {sample.name}")
    ingested = ingest_snapshot_file(settings, sample, limit=None, dry_run=False)
    if not as_json:
        summarise_ingest(ingested, False)
    err_console.print("[bold]2/3[/bold] enriching and indexing until caught up")
    pipeline = run_until(until_caught_up=True, timeout=1800)
    err_console.print(f"caught up in {pipeline['elapsed_seconds']:.1f}s; papers indexed: {pipeline['indexed_documents']}")
    err_console.print(f"[bold]3/3[/bold] scholarstream search papers {query!r}")
    es = es_io.client(settings)
    hits = search_papers(es, settings, query, 10)
    who = prolific_researcher_query(es, settings)
    people = search_researchers(es, settings, ResearcherQuery(who, size=5)) if who else None
    if as_json:
        emit({"ingest": ingested, "pipeline": pipeline, "query": query, "hits": [asdict(h) for h in hits],
               "researcher_query": who, "researchers": [asdict(h) for h in people.hits] if people else []}, True)
        return
    print_paper_hits(query, hits)
    if people is not None:
        err_console.print(f"scholarstream search researchers {who!r}")
        for hit in people.hits:
            out.print(f"  {hit.researcher_id}  {hit.display_name}  {hit.works_count} works  "
                      f"Trust {hit.trust_score} - {hit.trust_label}  {hit.verification_level}  "
                      f"topics: {', '.join(t['name'] for t in hit.topics[:3])}")
        if people.hits:
            out.print(f"see one profile: scholarstream profile {people.hits[0].researcher_id}")
