"""Operators' commands: `status`, `replay`, `dlq`, `reindex`, `rebuild`, `relink`, `void-signals`, `merges`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from foundation.errors import ScholarStreamError
from foundation.settings import get_settings
from scholarstream.cli._app import JsonFlag, app, dlq_app, emit, merges_app, out, utc_now
from scholarstream.progress import lag_progress, progress_bar


@app.command("status")
def status_cmd(as_json: JsonFlag = False) -> None:
    """Lag per consumer group and partition, dead-letter sizes, index counts, freshness, live workers."""
    from scholarstream.rebuild import with_serving_generation
    from scholarstream.status import pipeline_status

    data: dict[str, Any] = pipeline_status(with_serving_generation(get_settings()), utc_now)
    if as_json:
        emit(data, True)
        return
    table = Table(title="consumer groups")
    for column in ("role", "group", "topic", "state", "members", "lag"):
        table.add_column(column)
    for group in data["consumer_groups"]:
        table.add_row(group["role"], group["group"], group["topic"], group["state"], str(len(group["members"])), str(group["lag"]))
    out.print(table)
    out.print("dead letters: " + ", ".join(f"{t} {n}" for t, n in data["dead_letters"].items()))
    kafka, es = data["kafka_cluster"], data["elasticsearch_cluster"]
    out.print(
        f"kafka: {len(kafka['brokers'])} broker(s), {kafka['partitions']} partitions, "
        f"{len(kafka['under_replicated'])} under-replicated, {len(kafka['leaderless'])} without a leader"
    )
    out.print(f"elasticsearch: {es['status']}, {es['nodes']} node(s), {es['unassigned_shards']} unassigned shard(s)")
    for report in data["worker_reports"]:
        tables = ", ".join(f"{name} {size}" for name, size in (report["tables"] or {}).items())
        state = "recovered" if report["recovered"] else "recovering"
        out.print(f"worker {report['host']}/{report['pid']}: {state}, {report['assigned_partitions']} partitions, tables: {tables}")
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
        to_datetime = to_datetime.replace(tzinfo=UTC)
    target = Target(earliest=to_earliest, latest=to_latest, offset=to_offset, at=to_datetime)
    chosen = [int(p) for p in partitions.split(",")] if partitions else None
    moves = replay(settings, settings.group(group), settings.topic(topic), target, chosen, dry_run)
    rows = as_rows(moves)
    if as_json:
        emit({"group": settings.group(group), "topic": settings.topic(topic), "dry_run": dry_run, "partitions": rows}, True)
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
        emit({"letters": rows}, True)
        return
    table = Table(title="dead letters")
    for column in ("topic", "offset", "stage", "key", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["topic"]), str(row["offset"]), str(row["stage"]), str(row["key"]), str(row["reason"]))
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
        emit({"dry_run": dry_run, "topics": reports}, True)
        return
    for report in reports:
        out.print(f"{report['topic']}: examined {report['examined']}, re-submitted {report['resubmitted']}, "
                  f"still failing {report['still_failing']}")


@app.command("reindex")
def reindex_cmd(
    which: Annotated[str, typer.Argument(help="papers, researchers, researcher-works, signal-outcomes or all")] = "all",
    cleanup: Annotated[bool, typer.Option("--cleanup", help="Afterwards delete the physical indices the alias no longer uses.")] = False,
    processes: Annotated[int | None, typer.Option(
        "--processes", min=1, help="Loader processes sharing the partitions (default: one a usable CPU; one for a small topic).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild indices from the compacted topics (no re-embedding, no re-linking) and swap the aliases atomically."""
    import os
    from dataclasses import asdict

    from clients import es_io
    from indexers.indexer import ROUTES
    from indexers.reindex import reindex

    settings = get_settings()
    names = [route.index.name for route in ROUTES] if which == "all" else [which]
    es = es_io.client(settings)
    results = []
    for name in names:
        with progress_bar(f"reindex {name}", None) as advance:
            result = reindex(es, settings, name, utc_now, on_total=advance.set_total, on_progress=advance, cleanup=cleanup,
                             processes=processes or len(os.sched_getaffinity(0)))
        results.append(asdict(result))
        if not as_json:
            out.print(f"{result.alias}: {', '.join(result.old_indices) or '(none)'} -> {result.new_index}; "
                      f"{result.documents} documents, {result.records_read} records read ({result.superseded} superseded by a later one) "
                      f"({result.caught_up_records} caught up after the swap), {result.seconds}s, "
                      f"{result.documents_per_second:,.0f} documents/s"
                      + (f"; removed {', '.join(result.cleaned_up)}" if result.cleaned_up else ""))
    if as_json:
        emit({"reindexed": results}, True)


@app.command("rebuild")
def rebuild_cmd(
    from_stage: Annotated[
        str, typer.Option("--from-stage", help="enrich (re-encode and re-link everything) or link (keep the enrichment).")
    ] = "link",
    timeout: Annotated[float | None, typer.Option(help="Give up (readers stay where they are) after this many seconds.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-derive everything after arxiv.papers.raw into a new generation, then switch readers over when it caught up."""
    from dataclasses import asdict

    from scholarstream.rebuild import rebuild

    if from_stage not in ("enrich", "link"):
        raise ScholarStreamError(f"--from-stage must be enrich or link, not {from_stage!r}")
    settings = get_settings()
    with lag_progress("new generation catching up") as on_poll:
        result = rebuild(settings, from_stage, utc_now, timeout=timeout, on_poll=on_poll)  # type: ignore[arg-type]  # validated
    if as_json:
        emit(asdict(result), True)
        return
    out.print(f"generation {result.previous} -> {result.generation} caught up in {result.elapsed_seconds}s; "
              f"readers now use {', '.join(f'{a} -> {i}' for a, i in result.switched.items())}")
    out.print("restart long-running workers and indexers: they will use the new generation "
              f"({' '.join(f'{k}={v}' for k, v in result.restart_with.items())} is recorded in Kafka)")


@app.command("relink")
def relink_cmd(
    name: Annotated[
        list[str] | None, typer.Option(help="Look at the researchers this printed name may be, e.g. 'Wei Wang' (repeatable).")
    ] = None,
    block: Annotated[list[str] | None, typer.Option(help="Look at every researcher of this block, e.g. wang_w (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would split; send nothing.")] = False,
    by: Annotated[str, typer.Option(help="The operator asking (kept in the split events' audit).")] = "operator",
    as_json: JsonFlag = False,
) -> None:
    """Look again at blocks' researchers and split those whose works are more than one person."""
    from scholarstream.rebuild import with_serving_generation
    from scholarstream.relink import relink

    if not name and not block:
        raise ScholarStreamError("give --name or --block (each may be repeated)")
    settings = with_serving_generation(get_settings())
    with progress_bar("reading papers.enriched", None) as advance:
        report = relink(settings, names=name or [], blocks=block or [], by=by, now=utc_now(), dry_run=dry_run,
                        advance=advance, total=advance.set_total)
    if as_json:
        emit(report.as_dict(), True)
        return
    for looked in report.blocks:
        title = f"block {looked.block}" + (f", {looked.name!r}" if looked.name else "")
        table = Table(title=f"{title}: {len(looked.looked_at)} of its {looked.researchers} researchers looked at")
        for column in ("researcher", "name", "works", "parts (works each)", "mean between", "note"):
            table.add_column(column)
        for item in looked.looked_at:
            between = "" if item.mean_between is None else f"{item.mean_between:.3f}"
            table.add_row(item.researcher_id, item.name, str(item.works), " + ".join(str(len(part)) for part in item.parts),
                          between, item.skipped or ("splits" if item.splits else "one person"))
        out.print(table)
    summary = report.as_dict()
    verb = "would split; nothing sent (--dry-run)" if dry_run else (
        f"split: {len(report.sent)} relink request(s) sent to researcher.mentions; the worker applies them in order "
        "with the blocks' mentions (refused ones: `scholarstream dlq list`)")
    out.print(f"{summary['would_split']} of {summary['looked_at']} researcher(s) {verb}; "
              f"{report.papers_read:,} papers read in {report.seconds} s")


@app.command("void-signals")
def void_signals_cmd(
    reason: Annotated[str, typer.Option(help="Why (shown in the dead letter of every signal it covers).")],
    since: Annotated[str, typer.Option(help="Start of the window, ISO 8601 (UTC when no offset is given); inclusive.")],
    until: Annotated[str | None, typer.Option(help="End of the window, ISO 8601; exclusive. Default: now.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor's signals (an account id or an operator's name).")] = None,
    principal: Annotated[str | None, typer.Option(help="Only signals through this principal: account or operator.")] = None,
    researcher: Annotated[str | None, typer.Option(help="Only signals about this researcher id.")] = None,
    by: Annotated[str, typer.Option(help="The operator publishing the void.")] = "operator",
    as_json: JsonFlag = False,
) -> None:
    """Void a range of product signals: workers dead-letter what it covers; `rebuild --from-stage link` undoes what applied."""
    from scholarstream.voids import publish_void, void_of

    now = utc_now()
    fields = {"since": _utc(since, "--since"), "until": _utc(until, "--until") if until else now, "actor": actor,
              "principal": principal, "researcher_id": researcher, "reason": reason, "voided_by": by}
    void = publish_void(get_settings(), void_of(fields, now))
    emit({"published": void.model_dump(mode="json", exclude={"signature"})}, as_json)
    if not as_json:
        out.print(f"published {void.void_id}: signals from {void.since.isoformat()} to {void.until.isoformat()}"
                  + "".join(f", {name} {value}" for name, value in
                            (("actor", actor), ("principal", principal), ("researcher", researcher)) if value)
                  + " are void; run `scholarstream rebuild --from-stage link` to undo those already applied")


@app.command("voids")
def voids_cmd(as_json: JsonFlag = False) -> None:
    """The voids in force (researcher.signals.voids), oldest first."""
    from scholarstream.voids import voids_in_force

    voids = voids_in_force(get_settings())
    if as_json:
        emit({"voids": [void.model_dump(mode="json", exclude={"signature"}) for void in voids]}, True)
        return
    table = Table(title=f"{len(voids)} void(s)")
    for column in ("void", "since", "until", "actor", "principal", "researcher", "by", "reason"):
        table.add_column(column)
    for void in voids:
        table.add_row(void.void_id, void.since.isoformat(), void.until.isoformat(), void.actor or "*", void.principal or "*",
                      void.researcher_id or "*", void.voided_by, void.reason)
    out.print(table)


def _utc(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ScholarStreamError(f"{option} must be an ISO 8601 time such as 2026-12-01T09:30:00Z, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@merges_app.command("review")
def merges_review_cmd(
    all_: Annotated[bool, typer.Option("--all", help="Also the decided ones, with their decision.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Merge requests waiting for an operator (an account asked to join a profile it did not claim), oldest first."""
    from scholarstream.merge_reviews import as_dict, reviews
    from scholarstream.rebuild import with_serving_generation

    rows = [as_dict(review, decision) for review, decision in reviews(with_serving_generation(get_settings()))
            if all_ or decision is None]
    if as_json:
        emit({"reviews": rows}, True)
        return
    table = Table(title=f"{len(rows)} merge request(s)" + ("" if all_ else " waiting for review"))
    for column in ("review", "account", "asks to join", "with", "at", "decision"):
        table.add_column(column)
    for row in rows:
        other = [rid for rid in row["ids"] if rid != row["requested_by"]]
        decided = row["decision"]
        table.add_row(row["review_id"], str(row["account"]), str(row["requested_by"]), ", ".join(other), row["at"],
                      f"{decided['decision']} by {decided['decided_by']}" if decided else "pending")
    out.print(table)
    if rows and not as_json:
        out.print("look at both profiles (`scholarstream profile ID`), then `scholarstream merges approve REVIEW` "
                  "or `scholarstream merges reject REVIEW --note ...`")


def _decide(review_id: str, decision: str, by: str, note: str, as_json: bool) -> None:
    from scholarstream.merge_reviews import decide
    from scholarstream.rebuild import with_serving_generation

    record = decide(with_serving_generation(get_settings()), review_id, decision, by, note, utc_now())  # type: ignore[arg-type]
    emit({"decision": record.model_dump(mode="json")}, as_json)
    if not as_json:
        sent = " (the merge is sent as the operators' merge_request; the worker applies it)" if decision == "approved" else ""
        out.print(f"review {review_id} {decision} by {by}{sent}")


@merges_app.command("approve")
def merges_approve_cmd(
    review_id: Annotated[str, typer.Argument(help="The review, as `merges review` lists it.")],
    by: Annotated[str, typer.Option(help="The operator deciding.")] = "operator",
    note: Annotated[str, typer.Option(help="Why (kept with the decision).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Grant a merge request: the two profiles are one person."""
    _decide(review_id, "approved", by, note, as_json)


@merges_app.command("reject")
def merges_reject_cmd(
    review_id: Annotated[str, typer.Argument(help="The review, as `merges review` lists it.")],
    note: Annotated[str, typer.Option(help="Why (kept with the decision).")],
    by: Annotated[str, typer.Option(help="The operator deciding.")] = "operator",
    as_json: JsonFlag = False,
) -> None:
    """Refuse a merge request; nothing changes on the profiles."""
    _decide(review_id, "rejected", by, note, as_json)
