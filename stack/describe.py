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
    title = service.title or ("Kafka" if service.name == "kafka" else "Elasticsearch")
    when = "already running" if service.already_running else f"ready in {service.seconds_to_ready:.1f} s"
    return f"[bold]{title}[/bold] {service.version or ''} at {service.url} (pid {service.pid}, {when})"


def _describe_up(result: UpResult) -> Iterator[str]:
    if result.already_running:
        yield "The stack is already running."
    if result.cluster:
        yield f"A local cluster of {result.brokers} Kafka brokers (each broker+controller) and {result.es_nodes} Elasticsearch nodes:"
        for node in result.nodes:
            yield "  " + _service_line(node) + f" [dim]{node.role}[/dim]"
    else:
        yield _service_line(result.kafka)
        yield _service_line(result.elasticsearch)
    if result.fetched:
        source = f"downloaded {result.downloaded_artifacts} files" if result.downloaded else "all from ~/.m2"
        yield f"Fetched {', '.join(result.fetched)} with Maven in {result.seconds_fetching:.1f} s ({source})."
    if result.cluster:
        yield f"Bootstrap servers: {result.bootstrap_servers}"
        yield f"Elasticsearch URLs: {', '.join(result.elasticsearch_urls)}"
        yield (
            f"Use: KAFKA_BOOTSTRAP_SERVERS={result.bootstrap_servers} ELASTICSEARCH_URL={result.elasticsearch_urls[0]} "
            "(any node serves the whole Elasticsearch cluster)"
        )
        yield f"Logs: {result.kafka.log.parent.parent.parent}/node-*/logs and {result.elasticsearch.log.parent.parent.parent}/node-*/logs"
    else:
        yield f"Logs: {result.kafka.log.parent} and {result.elasticsearch.log.parent}"
    yield f"Data: {result.stack_dir} (stop with `scholarstream stack down`)"


def _describe_down(result: DownResult) -> Iterator[str]:
    if not result.was_running:
        yield "Nothing was running."
        return
    for stopped in result.stopped:
        how = "killed after the grace period" if stopped.forced else f"stopped in {stopped.seconds:.1f} s"
        yield f"{stopped.name} (pid {stopped.pid}) {how}"


def describe_status(data: dict[str, object]) -> Iterator[str]:
    """`stack status` for a terminal: one line per node, then the addresses clients need."""
    shape = data.get("shape")
    yield f"Stack {data.get('stack_dir')}" + (f" ({shape['brokers']} brokers, {shape['es_nodes']} Elasticsearch nodes)"
                                             if isinstance(shape, dict) and shape != {"brokers": 1, "es_nodes": 1} else "")
    nodes = data.get("nodes")
    yield f"  {'NODE':<15} {'ROLE':<20} {'PORT':<5} {'PID':<7} {'RSS':>6} {'STATE':<9} ANSWERS"
    for node in nodes if isinstance(nodes, list) else []:
        answers = "[green]yes[/green]" if node.get("answers") else "[red]no[/red]"
        master = " (elected master)" if node.get("elected_master") else ""
        pid = node.get("pid") or "-"
        rss = f"{node['rss_mib']}M" if node.get("rss_mib") else "-"
        where = f"{node.get('port'):<5} {pid!s:<7} {rss:>6}"
        yield f"  {node.get('name'):<15} {node.get('role'):<20} {where} {node.get('state'):<9} {answers}{master}"
    kafka_info, es_info = data.get("kafka"), data.get("elasticsearch")
    if isinstance(kafka_info, dict):
        yield f"Kafka {kafka_info.get('version') or ''}: bootstrap servers {kafka_info.get('bootstrap_servers')}"
    if isinstance(es_info, dict):
        urls = es_info.get("urls") or [es_info.get("url")]
        health = es_info.get("health") or "unknown"
        yield f"Elasticsearch {es_info.get('version') or ''}: {', '.join(map(str, urls))} (health {health})"
    if data.get("rss_mib"):
        yield f"Resident memory of all nodes: {data['rss_mib']} MiB"
