"""The typer app, its command groups, and what every command shares: `--json`, output, the clock."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from foundation.settings import Settings

# Tracebacks never show local variables: a client's configuration holds passwords and keys.
app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
    help="ScholarStream: arXiv papers to searchable researcher profiles.",
)
stack_app = typer.Typer(no_args_is_help=True, help="Run a local Kafka and Elasticsearch (no Docker needed).")
ingest_app = typer.Typer(no_args_is_help=True, help="Produce arXiv records into Kafka.")
search_app = typer.Typer(no_args_is_help=True, help="Search the indices.")
index_app = typer.Typer(no_args_is_help=True, help="Elasticsearch indices: versioned, behind aliases.")
schemas_app = typer.Typer(no_args_is_help=True, help="The event contract.")
topics_app = typer.Typer(no_args_is_help=True, help="The field-topic model (arXiv taxonomy).")
eval_app = typer.Typer(no_args_is_help=True, help="Measure quality on real labelled data.")
encoder_app = typer.Typer(no_args_is_help=True, help="Encoders: the default transformer and the fast static mode.")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: inspect and re-submit.")
merges_app = typer.Typer(no_args_is_help=True, help="Merge requests only an operator may grant: review, approve, reject.")
for group, name in ((stack_app, "stack"), (ingest_app, "ingest"), (search_app, "search"), (index_app, "index"),
                    (schemas_app, "schemas"), (topics_app, "topics"), (eval_app, "eval"), (encoder_app, "encoder"),
                    (dlq_app, "dlq"), (merges_app, "merges")):
    app.add_typer(group, name=name)

out = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def utc_now() -> datetime:
    return datetime.now(UTC)


def emit(data: Any, as_json: bool) -> None:
    """With --json: exactly one JSON document on stdout (everything else goes to stderr)."""
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("kafka", "elastic_transport", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
