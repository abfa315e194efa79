"""The `scholarstream` command: a thin layer of typer commands over the library functions.

Every command that another tool might read takes `--json` and then prints exactly one JSON
document on stdout; progress and human messages go to stderr. One module per group of commands;
importing them registers their commands on `app`.
"""

from __future__ import annotations

# isort: on
from foundation.errors import ScholarStreamError
from scholarstream.cli import demo, evaluation, ingest, operations, processes, search, stack  # noqa: F401 - registers

# isort: off -- the order of these imports is the order of the commands in --help
from scholarstream.cli._app import app
from scholarstream.progress import err_console

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except ScholarStreamError as error:
        err_console.print(f"[bold red]error:[/bold red] {error}")
        raise SystemExit(1) from None
