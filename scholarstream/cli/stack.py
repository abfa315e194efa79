"""`scholarstream stack` and `setup`: the local services, and the topics and indices on them."""

from __future__ import annotations

import json

from foundation.settings import get_settings
from scholarstream.cli._app import JsonFlag, app, emit, out, stack_app
from scholarstream.progress import err_console


@stack_app.command("up")
def stack_up(as_json: JsonFlag = False) -> None:
    """Start Kafka (KRaft) and Elasticsearch from Maven Central artefacts; idempotent."""
    import stack

    result = stack.up(get_settings(), on_step=lambda message: err_console.print(f"[dim]{message}[/dim]"))
    data = stack.as_dict(result)
    if as_json:
        emit(data, True)
        return
    for line in stack.describe(result):
        out.print(line)


@stack_app.command("down")
def stack_down(as_json: JsonFlag = False) -> None:
    """Stop both services and leave no process behind."""
    import stack

    result = stack.down(get_settings(), on_step=lambda message: err_console.print(f"[dim]{message}[/dim]"))
    if as_json:
        emit(stack.as_dict(result), True)
    else:
        for line in stack.describe(result):
            out.print(line)


@stack_app.command("status")
def stack_status(as_json: JsonFlag = False) -> None:
    """What runs, where, and which versions."""
    import stack

    data = stack.status(get_settings())
    if as_json:
        emit(data, True)
        return
    out.print_json(json.dumps(data, default=str))




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
