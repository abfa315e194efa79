"""Turning `up`/`down` results into JSON-ready data or short human lines for the CLI.

Kept beside the result types so the CLI never has to know their fields.
"""

from __future__ import annotations

from collections.abc import Iterator

from .results import DownResult, ServiceReport, UpResult


def as_dict(result: UpResult | DownResult) -> dict[str, object]:
    """Plain JSON-serialisable data (paths as strings) for `--json`."""
    return result.to_dict()


def describe(result: UpResult | DownResult) -> Iterator[str]:
    """A few lines for a terminal (rich markup allowed)."""
    if isinstance(result, DownResult):
        yield from _describe_down(result)
    else:
        yield from _describe_up(result)


def _service_line(service: ServiceReport) -> str:
    title = "Kafka" if service.name == "kafka" else "Elasticsearch"
    when = "already running" if service.already_running else f"ready in {service.seconds_to_ready:.1f} s"
    return f"[bold]{title}[/bold] {service.version or ''} at {service.url} (pid {service.pid}, {when})"


def _describe_up(result: UpResult) -> Iterator[str]:
    if result.already_running:
        yield "The stack is already running."
    yield _service_line(result.kafka)
    yield _service_line(result.elasticsearch)
    if result.fetched:
        source = f"downloaded {result.downloaded_artifacts} files" if result.downloaded else "all from ~/.m2"
        yield f"Fetched {', '.join(result.fetched)} with Maven in {result.seconds_fetching:.1f} s ({source})."
    yield f"Logs: {result.kafka.log.parent} and {result.elasticsearch.log.parent}"
    yield f"Data: {result.stack_dir} (stop with `scholarstream stack down`)"


def _describe_down(result: DownResult) -> Iterator[str]:
    if not result.was_running:
        yield "Nothing was running."
        return
    for stopped in result.stopped:
        how = "killed after the grace period" if stopped.forced else f"stopped in {stopped.seconds:.1f} s"
        yield f"{stopped.name} (pid {stopped.pid}) {how}"
