"""`scholarstream stack` and `setup`: the local services, and the topics and indices on them."""

from __future__ import annotations

from typing import Annotated

import typer

from foundation.settings import get_settings
from scholarstream.cli._app import JsonFlag, app, emit, out, stack_app
from scholarstream.progress import err_console


@stack_app.command("up")
def stack_up(
    as_json: JsonFlag = False,
    brokers: Annotated[int, typer.Option("--brokers", min=1, max=9, help="Kafka brokers (each also a KRaft controller).")] = 1,
    es_nodes: Annotated[int, typer.Option("--es-nodes", min=1, max=9, help="Elasticsearch nodes.")] = 1,
) -> None:
    """Start Kafka (KRaft) and Elasticsearch from Maven Central artefacts; idempotent.

    One node of each by default; `--brokers 3 --es-nodes 2` runs a local cluster instead, whose
    addresses (every broker, every node) are printed at the end.
    """
    import stack

    result = stack.up(
        get_settings(),
        on_step=lambda message: err_console.print(f"[dim]{message}[/dim]"),
        shape=stack.Shape(brokers=brokers, es_nodes=es_nodes),
    )
    data = stack.as_dict(result)
    if as_json:
        emit(data, True)
        return
    for line in stack.describe(result):
        out.print(line)


@stack_app.command("down")
def stack_down(as_json: JsonFlag = False) -> None:
    """Stop every node of the stack (a cluster too) and leave no process behind."""
    import stack

    result = stack.down(get_settings(), on_step=lambda message: err_console.print(f"[dim]{message}[/dim]"))
    if as_json:
        emit(stack.as_dict(result), True)
    else:
        for line in stack.describe(result):
            out.print(line)


@stack_app.command("status")
def stack_status(as_json: JsonFlag = False) -> None:
    """Every node with its role, port, pid and whether it answers; the addresses and versions."""
    import stack

    data = stack.status(get_settings())
    if as_json:
        emit(data, True)
        return
    for line in stack.describe_status(data):
        out.print(line)


@app.command("setup")
def setup(as_json: JsonFlag = False) -> None:
    """Create the registry's Kafka topics and the Elasticsearch indices (idempotent), and check that
    existing topics are replicated as configured: exit 3 (after setting up the rest) when one is not."""
    from scholarstream.provision import EXIT_UNDER_REPLICATED, provision

    data = provision(get_settings())
    kafka = data["kafka"]
    if as_json:
        emit(data, True)
    else:
        out.print(f"topics ready: {', '.join(data['topics'])} (created {len(data['topics_created'])})")
        source = "SCHOLARSTREAM_REPLICATION_FACTOR" if kafka["replication_factor_from"] != "default" else "default 3, capped by the brokers"
        out.print(
            f"replication: factor {kafka['replication_factor']} ({source}), min.insync.replicas {kafka['min_insync_replicas']}, "
            f"{kafka['brokers']} broker(s) alive; {len(kafka['topics'])} topics checked"
        )
        for topic in kafka["topics"]:
            for note in topic["notes"]:
                out.print(f"  note: {topic['topic']}: {note}")
        out.print(f"indices ready: {', '.join(data['indices'])} (new indices get {data['index_replicas']} replica(s))")
    if not data["ok"]:
        err_console.print(f"[bold red]below the configured replication ({len(data['problems'])}):[/bold red]")
        for problem in data["problems"]:
            err_console.print(f"  {problem}")
        err_console.print(f"what to do: {data['action']}")
        raise SystemExit(EXIT_UNDER_REPLICATED)
