"""`stack up`, `stack down` and `stack status`: the orchestration over the per-service modules.

All nodes are started before any is waited for, because Elasticsearch dominates the start-up time
and Kafka's start fits entirely inside it. The default is one node of each; `up(shape=Shape(3, 2))`
runs a cluster (stack/nodes.py has its layout), whose shape is recorded for `status` and `down`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import StackError
from foundation.settings import Settings

from . import elasticsearch as es
from . import kafka
from .java import JavaRuntime, find_java
from .layout import POM, StackPaths
from .maven import FetchReport, PomVersions, copy_dependencies, marker_matches, read_marker, read_pom, write_marker
from .nodes import (
    ES_ROLE,
    KAFKA_ROLE,
    SINGLE,
    EsNode,
    KafkaNode,
    Shape,
    bootstrap_servers,
    check_distinct_ports,
    es_nodes,
    kafka_nodes,
    read_shape,
    record_shape,
)
from .processes import (
    exit_code,
    group_members,
    is_alive,
    java_processes_mentioning,
    owned_pid,
    port_answers,
    port_in_use,
    port_owner,
    remove_pid,
    resident_kib,
    start_detached,
    stop,
    tail,
)
from .results import DownResult, ServiceReport, StoppedService, UpResult

StepCallback = Callable[[str], None]

READY_TIMEOUT_SECONDS = 120.0
CLUSTER_READY_TIMEOUT_SECONDS = 300.0  # five JVMs starting at once on two cores
STOP_GRACE_SECONDS = 30.0
_PROGRESS_EVERY_SECONDS = 5.0


def _quiet(_: str) -> None:
    pass


def _marker(paths: StackPaths) -> str:
    # With the trailing separator, a sibling like ".stack2" never passes for ours.
    return f"{paths.root}{os.sep}"


@contextmanager
def _exclusive(paths: StackPaths, step: StepCallback) -> Iterator[None]:
    """Serialise `up` and `down` on one stack dir, so two concurrent `up`s never both start Kafka."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.root / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            step("Waiting for another `stack up`/`stack down` on this stack to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class _Service:
    """What `up` needs to know about one node while starting and waiting for it."""

    name: str  # "kafka"/"elasticsearch" in the single-node stack; "kafka-2", "elasticsearch-1" in a cluster
    title: str
    node: KafkaNode | EsNode
    role: str
    pid_file: Path
    ports: tuple[tuple[int, str], ...]  # (port, what it is for)
    output: Path
    log: Path
    data_dir: Path
    url: str
    is_ready: Callable[[], bool]
    pid: int | None = None
    started_at: float = 0.0
    already_running: bool = False
    seconds_to_ready: float = 0.0


def _services(settings: Settings, paths: StackPaths, shape: Shape = SINGLE) -> tuple[_Service, ...]:
    """One entry per node, Kafka first; the single-node stack keeps its historical names and files."""
    brokers = kafka_nodes(settings, paths, shape.brokers)
    nodes = es_nodes(settings, paths, shape.es_nodes)
    cluster = not shape.single
    services: list[_Service] = []
    for k in brokers:
        services.append(
            _Service(
                name=k.name if cluster else "kafka",
                title=f"Kafka {k.node_id}" if cluster else "Kafka",
                node=k,
                role=KAFKA_ROLE,
                pid_file=k.pid_file,
                ports=((k.port, f"Kafka broker{f' {k.node_id}' if cluster else ''}"),
                       (k.controller_port, f"Kafka controller{f' {k.node_id}' if cluster else ''}")),
                output=k.output,
                log=k.server_log,
                data_dir=k.data_dir,
                url=k.address,
                is_ready=_kafka_ready(k.port, shape.brokers),
            )
        )
    for e in nodes:
        services.append(
            _Service(
                name=f"elasticsearch-{e.index}" if cluster else "elasticsearch",
                title=f"Elasticsearch {e.name}" if cluster else "Elasticsearch",
                node=e,
                role=ES_ROLE,
                pid_file=e.pid_file,
                ports=((e.http_port, f"Elasticsearch{f' {e.name}' if cluster else ''} HTTP"),
                       (e.transport_port, f"Elasticsearch{f' {e.name}' if cluster else ''} transport")),
                output=e.output,
                log=es.node_server_log(e),
                data_dir=e.data_dir,
                url=e.url,
                is_ready=_es_ready(e.url, shape.es_nodes),
            )
        )
    return tuple(services)


def _kafka_ready(port: int, brokers: int) -> Callable[[], bool]:
    """Ready: the broker answers metadata requests and sees every broker of its cluster."""
    return lambda: kafka.broker_count(port) >= brokers


def _es_ready(url: str, count: int) -> Callable[[], bool]:
    """Ready: the node answers with a yellow or green cluster that has all `count` nodes."""

    def ready() -> bool:
        health = es.health(url)
        if not health or health.get("status") not in ("green", "yellow"):
            return False
        joined = health.get("number_of_nodes")
        return isinstance(joined, int) and joined >= count

    return ready


# up -----------------------------------------------------------------------------------------


def up(
    settings: Settings,
    on_step: StepCallback | None = None,
    ready_timeout: float | None = None,
    shape: Shape = SINGLE,
) -> UpResult:
    """Start whatever part of the stack is not running and wait until every node answers.

    Idempotent: nodes that are already up are left alone, and binaries are only fetched
    when the stack directory does not hold what the pom describes. A stack directory runs one
    shape at a time: asking for another while nodes of the recorded one run is refused.
    """
    step = on_step or _quiet
    began = time.monotonic()
    paths = StackPaths.of(settings.stack_dir)
    timeout = ready_timeout if ready_timeout is not None else (READY_TIMEOUT_SECONDS if shape.single else CLUSTER_READY_TIMEOUT_SECONDS)
    with _exclusive(paths, step):
        return _up(settings, paths, step, timeout, began, shape)


def _check_shape(settings: Settings, paths: StackPaths, shape: Shape) -> None:
    recorded = read_shape(paths)
    if recorded == shape:
        return
    marker = _marker(paths)
    running = [s.name for s in _services(settings, paths, recorded) if owned_pid(s.pid_file, marker) is not None]
    if running:
        flags = "" if shape.single else f" --brokers {shape.brokers} --es-nodes {shape.es_nodes}"
        raise StackError(
            f"This stack directory runs {recorded.describe()} ({', '.join(running)}), not {shape.describe()}. "
            f"Stop it with `scholarstream stack down`, then `scholarstream stack up{flags}`; or use another "
            "SCHOLARSTREAM_STACK_DIR with other ports."
        )


def _up(
    settings: Settings, paths: StackPaths, step: StepCallback, ready_timeout: float, began: float, shape: Shape
) -> UpResult:
    versions = read_pom(POM)
    services = _services(settings, paths, shape)
    check_distinct_ports(
        [s.node for s in services if isinstance(s.node, KafkaNode)], [s.node for s in services if isinstance(s.node, EsNode)]
    )
    _check_shape(settings, paths, shape)
    record_shape(paths, shape)
    marker = _marker(paths)

    to_start: list[_Service] = []
    for service in services:
        service.pid = owned_pid(service.pid_file, marker)
        if service.pid is None:
            remove_pid(service.pid_file)
            to_start.append(service)
        elif service.is_ready():
            service.already_running = True
            step(f"{service.title} is already running (pid {service.pid})")
        else:
            step(f"{service.title} is already starting (pid {service.pid})")
            service.started_at = time.monotonic()

    if all(s.already_running for s in services):
        return _up_result(settings, paths, versions, shape, services, None, (), None, began)

    for service in to_start:
        _check_ports_free(service)

    java: JavaRuntime | None = None
    fetched: tuple[str, ...] = ()
    report: FetchReport | None = None
    if to_start:
        java = find_java(settings, step)
        step(f"Using Java {java.version} ({java.home})")
        fetched, report = _fetch(paths, versions, java, {_kind(s) for s in to_start}, step)
        if not shape.single:
            _prepare_kafka_cluster(paths, shape, services, to_start, java, step)
        for service in to_start:
            _start(service, settings, paths, versions, java, step, shape)

    _wait(services, ready_timeout, step)
    return _up_result(settings, paths, versions, shape, services, java, fetched, report, began)


def _kind(service: _Service) -> str:
    return "kafka" if isinstance(service.node, KafkaNode) else "elasticsearch"


def _prepare_kafka_cluster(
    paths: StackPaths, shape: Shape, services: tuple[_Service, ...], to_start: list[_Service], java: JavaRuntime, step: StepCallback
) -> None:
    """Write every broker's configuration, then format the blank ones together with one cluster id."""
    brokers = [s.node for s in services if isinstance(s.node, KafkaNode)]
    starting = [s.node for s in to_start if isinstance(s.node, KafkaNode)]
    if not starting:
        return
    for node in starting:
        kafka.write_node_config(node, brokers)
    kafka.format_cluster(java, paths.kafka_libs, paths.kafka_cluster_identity(shape.brokers), brokers, step)


def _check_ports_free(service: _Service) -> None:
    for port, purpose in service.ports:
        if port_in_use(port):
            owner = port_owner(port)
            raise StackError(
                f"Port {port} ({purpose}) is already taken by another process"
                f"{f' ({owner})' if owner else ''}, not by this stack's {service.title}. "
                "Stop that process, or move the stack with KAFKA_BOOTSTRAP_SERVERS / ELASTICSEARCH_URL."
            )


def _fetch(
    paths: StackPaths, versions: PomVersions, java: JavaRuntime, starting: set[str], step: StepCallback
) -> tuple[tuple[str, ...], FetchReport | None]:
    """Bring binaries up to the pom's versions, with one Maven run for whatever is missing."""
    need_libs = "kafka" in starting and not (
        marker_matches(paths.kafka_libs, {"pom_sha256": versions.digest}) and kafka.version_from_libs(paths.kafka_libs)
    )
    need_es = "elasticsearch" in starting and not (
        es.is_unpacked(paths) and marker_matches(paths.es_home, {"elasticsearch": versions.elasticsearch})
    )
    if not (need_libs or need_es):
        return (), None

    wanted = " and ".join(
        what for what, needed in ((f"Kafka {versions.kafka}", need_libs), (f"Elasticsearch {versions.elasticsearch}", need_es)) if needed
    )
    step(f"Fetching {wanted} with Maven")
    staging = paths.downloads / "maven"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    report = copy_dependencies(
        POM,
        staging,
        java,
        include_types=None if need_libs else "zip",
        exclude_types=None if need_es else "zip",
        on_step=step,
    )
    fetched: list[str] = []
    if need_libs:
        partial = paths.kafka / "libs.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for jar in staging.glob("*.jar"):
            shutil.move(str(jar), partial / jar.name)
        if kafka.version_from_libs(partial) is None:
            raise StackError(f"Maven produced no Kafka jar in {staging}; check stack/pom.xml")
        write_marker(partial, versions)
        shutil.rmtree(paths.kafka_libs, ignore_errors=True)
        partial.rename(paths.kafka_libs)
        fetched.append("kafka")
    if need_es:
        zips = sorted(staging.glob("elasticsearch-*.zip"))
        if not zips:
            raise StackError(f"Maven produced no Elasticsearch zip in {staging}; check stack/pom.xml")
        step(f"Unpacking Elasticsearch {versions.elasticsearch}")
        es.unpack(zips[0], paths, versions)
        fetched.append("elasticsearch")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        paths.downloads.rmdir()
    except OSError:
        pass
    return tuple(fetched), report


def _start(
    service: _Service,
    settings: Settings,
    paths: StackPaths,
    versions: PomVersions,
    java: JavaRuntime,
    step: StepCallback,
    shape: Shape = SINGLE,
) -> None:
    node = service.node
    if isinstance(node, KafkaNode) and shape.single:
        kafka.write_config(settings, paths)
        kafka.format_storage(java, paths, step)
        launch = kafka.launch(settings, paths, java)
    elif isinstance(node, KafkaNode):  # configured and formatted by _prepare_kafka_cluster
        launch = kafka.launch_node(node, paths.kafka_libs, java, settings.stack_cluster_kafka_heap)
    else:
        if shape.single:
            es.write_config(settings, paths, versions.elasticsearch)
        else:
            all_nodes = es_nodes(settings, paths, shape.es_nodes)
            es.write_node_config(node, all_nodes, paths.es_home, settings.stack_cluster_es_heap, versions.elasticsearch,
                                 paths.root)
        account = es.service_account()
        if account is not None:
            es.prepare_account(account, paths, java, None if shape.single else node)
        launch = es.launch(paths, java, account) if shape.single else es.launch_node(node, paths, java, account)
    step(f"Starting {service.title}")
    service.started_at = time.monotonic()
    service.pid = start_detached(launch, service.pid_file)


def _wait(services: tuple[_Service, ...], timeout: float, step: StepCallback) -> None:
    """Poll every service not yet ready until it is, or fails, or runs out of time."""
    pending = [s for s in services if not s.already_running]
    if not pending:
        return
    step("Waiting for " + " and ".join(s.title for s in pending))
    last_progress = time.monotonic()
    while pending:
        for service in list(pending):
            assert service.pid is not None
            if service.is_ready():
                service.seconds_to_ready = time.monotonic() - service.started_at
                step(f"{service.title} is ready ({service.seconds_to_ready:.1f} s)")
                pending.remove(service)
            elif not is_alive(service.pid):
                code = exit_code(service.pid)
                detail = f"exited during start-up{f' with code {code}' if code is not None else ''}"
                _fail(service, detail, services)
            elif time.monotonic() - service.started_at > timeout:
                _fail(service, f"did not become ready within {timeout:.0f} s", services)
        if pending:
            now = time.monotonic()
            if now - last_progress >= _PROGRESS_EVERY_SECONDS:
                last_progress = now
                step(
                    "Still waiting for "
                    + ", ".join(f"{s.title} ({now - s.started_at:.0f} s)" for s in pending)
                )
            time.sleep(0.5)


def _fail(service: _Service, detail: str, services: tuple[_Service, ...]) -> None:
    """Stop the half-started service (so the next `up` starts clean) and explain with its log."""
    if service.pid is not None:
        stop({service.name: service.pid}, grace_seconds=10)
    remove_pid(service.pid_file)
    excerpt, source = _startup_excerpt(service)
    others = [s.title for s in services if s is not service and s.pid is not None and is_alive(s.pid)]
    message = f"{service.title} {detail}."
    if excerpt:
        message += f"\nLast lines of {source}:\n{excerpt}"
    message += f"\nLogs: {service.output}, {service.log}"
    if others:
        message += f"\n{' and '.join(others)} kept running; `scholarstream stack down` stops {'it' if len(others) == 1 else 'them'}."
    raise StackError(message)


def _startup_excerpt(service: _Service, lines: int = 30) -> tuple[str, Path]:
    """The console output of this start attempt (after its "--- started" line), else the log's end."""
    captured = tail(service.output, 400).splitlines()
    starts = [i for i, line in enumerate(captured) if line.startswith("--- started ")]
    this_run = [line for line in captured[starts[-1] + 1 :] if line.strip()] if starts else captured
    if this_run:
        return "\n".join(this_run[-lines:]), service.output
    return tail(service.log, lines), service.log


def _up_result(
    settings: Settings,
    paths: StackPaths,
    versions: PomVersions,
    shape: Shape,
    services: tuple[_Service, ...],
    java: JavaRuntime | None,
    fetched: tuple[str, ...],
    report: FetchReport | None,
    began: float,
) -> UpResult:
    brokers = [s for s in services if isinstance(s.node, KafkaNode)]
    nodes = [s for s in services if isinstance(s.node, EsNode)]
    versions_by_kind = {
        "kafka": kafka.version_from_libs(paths.kafka_libs) or versions.kafka,
        # The settings' URL is node 1's in a cluster too.
        "elasticsearch": es.node_version(settings) or versions.elasticsearch,
    }

    def report_of(service: _Service) -> ServiceReport:
        assert service.pid is not None
        return ServiceReport(
            name=service.name,
            url=service.url,
            pid=service.pid,
            version=versions_by_kind[_kind(service)],
            log=service.log,
            output=service.output,
            data_dir=service.data_dir,
            already_running=service.already_running,
            seconds_to_ready=service.seconds_to_ready,
            title=service.title,
            role=service.role,
        )

    return UpResult(
        stack_dir=paths.root,
        kafka=report_of(brokers[0]),
        elasticsearch=report_of(nodes[0]),
        java=java,
        fetched=fetched,
        downloaded_artifacts=report.downloaded if report else 0,
        seconds_fetching=report.seconds if report else 0.0,
        seconds_total=time.monotonic() - began,
        nodes=tuple(report_of(s) for s in services),
        brokers=shape.brokers,
        es_nodes=shape.es_nodes,
        bootstrap_servers=bootstrap_servers([s.node for s in brokers if isinstance(s.node, KafkaNode)]),
        elasticsearch_urls=tuple(s.url for s in nodes),
    )


# down ---------------------------------------------------------------------------------------


def down(
    settings: Settings,
    on_step: StepCallback | None = None,
    grace_seconds: float = STOP_GRACE_SECONDS,
) -> DownResult:
    """Stop every node of the stack, whatever its shape (SIGTERM, then SIGKILL after the grace period). Idempotent."""
    step = on_step or _quiet
    began = time.monotonic()
    paths = StackPaths.of(settings.stack_dir)
    if not paths.root.is_dir():
        return DownResult(stack_dir=paths.root)
    with _exclusive(paths, step):
        return _down(paths, step, grace_seconds, began)


def _down(paths: StackPaths, step: StepCallback, grace_seconds: float, began: float) -> DownResult:
    marker = _marker(paths)
    targets: dict[str, int] = {}
    pid_files = paths.pid_files()  # kafka.pid and elasticsearch.pid, or kafka-i.pid and elasticsearch-i.pid
    for pid_file in pid_files:
        pid = owned_pid(pid_file, marker)
        if pid is not None:
            targets[pid_file.stem] = pid
    # Java processes of this stack that lost their pid file (or outlived their group leader).
    known = {member for pid in targets.values() for member in (pid, *group_members(pid))}
    for pid in java_processes_mentioning(marker):
        if pid not in known:
            targets[f"orphan {pid}"] = pid

    if targets:
        step("Stopping " + ", ".join(f"{name} (pid {pid})" for name, pid in targets.items()))
    outcomes = stop(targets, grace_seconds) if targets else []
    for pid_file in pid_files:
        remove_pid(pid_file)

    leftover = sorted({pid for outcome in outcomes for pid in outcome.leftover})
    leftover += [pid for pid in java_processes_mentioning(marker) if pid not in leftover]
    if leftover:
        raise StackError(f"These stack processes survived SIGKILL: {', '.join(map(str, leftover))}")
    for outcome in outcomes:
        if outcome.forced:
            step(f"{outcome.name} did not stop within {grace_seconds:.0f} s and was killed")
    return DownResult(
        stack_dir=paths.root,
        stopped=tuple(StoppedService(o.name, o.pid, o.forced, o.seconds) for o in outcomes),
        seconds_total=time.monotonic() - began,
    )


def stop_service(
    settings: Settings,
    name: str,
    on_step: StepCallback | None = None,
    grace_seconds: float = STOP_GRACE_SECONDS,
) -> StoppedService | None:
    """Stop one service ("kafka" or "elasticsearch"; in a cluster one node, "kafka-2") and leave the rest running.

    For fault drills: its data stays, so `up` afterwards starts just this service again on the
    same state. Returns None when it was not running.
    """
    step = on_step or _quiet
    paths = StackPaths.of(settings.stack_dir)
    services = _services(settings, paths, read_shape(paths))
    service = next((s for s in services if s.name == name), None)
    if service is None:
        expected = " or ".join(repr(s.name) for s in services)
        raise StackError(f"unknown stack service {name!r}; expected {expected}")
    with _exclusive(paths, step):
        pid = owned_pid(service.pid_file, _marker(paths))
        if pid is None:
            remove_pid(service.pid_file)
            return None
        step(f"Stopping {service.title} (pid {pid})")
        (outcome,) = stop({name: pid}, grace_seconds)
        remove_pid(service.pid_file)
    if outcome.leftover:
        raise StackError(f"{service.title} processes survived SIGKILL: {', '.join(map(str, outcome.leftover))}")
    return StoppedService(outcome.name, outcome.pid, outcome.forced, outcome.seconds)


# status -------------------------------------------------------------------------------------


def status(settings: Settings) -> dict[str, object]:
    """What runs, where, and which versions; plain data for `stack status --json`.

    A node's state is "running" (ours and answering), "starting" (ours, not answering yet),
    "stopped", or "port-in-use" (something that is not ours holds its port). `nodes` lists every
    node of the recorded shape; `kafka` and `elasticsearch` sum each service up (for the
    single-node stack, its one node).
    """
    paths = StackPaths.of(settings.stack_dir)
    marker = _marker(paths)
    shape = read_shape(paths)
    services = _services(settings, paths, shape)
    try:
        versions: PomVersions | None = read_pom(POM)
    except StackError:
        versions = None

    def base(service: _Service) -> dict[str, object]:
        pid = owned_pid(service.pid_file, marker)
        healthy = pid is not None and service.is_ready()
        if pid is not None:
            state = "running" if healthy else "starting"
        elif any(port_answers(port) for port, _ in service.ports):
            state = "port-in-use"
        else:
            state = "stopped"
        return {
            "state": state,
            "pid": pid,
            "healthy": healthy,
            "url": service.url,
            "ports": {purpose: port for port, purpose in service.ports},
            "data_dir": str(service.data_dir),
            "log": str(service.log),
            "output": str(service.output),
            "pid_file": str(service.pid_file),
        }

    infos = [(service, base(service)) for service in services]
    brokers = [(s, info) for s, info in infos if isinstance(s.node, KafkaNode)]
    nodes = [(s, info) for s, info in infos if isinstance(s.node, EsNode)]
    kafka_version = kafka.version_from_libs(paths.kafka_libs) or (versions.kafka if versions else None)
    any_es_healthy = any(info["healthy"] for _, info in nodes)
    live_version = es.node_version(settings) if any_es_healthy else None
    es_version = live_version or read_marker(paths.es_home).get("elasticsearch") or (versions.elasticsearch if versions else None)

    if shape.single:
        kafka_info = brokers[0][1]
        es_info = dict(nodes[0][1])
    else:
        kafka_info = _summary(brokers)
        es_info = _summary(nodes)
        es_info["urls"] = [s.url for s, _ in nodes]
    kafka_info = {**kafka_info, "bootstrap_servers": bootstrap_servers([s.node for s, _ in brokers if isinstance(s.node, KafkaNode)])}
    kafka_info["version"] = kafka_version
    answering = next((s.url for s, info in nodes if info["pid"] is not None and info["healthy"]), None)
    if shape.single:
        es_info["health"] = es.cluster_health(settings) if es_info["pid"] is not None else None
    else:
        health = es.health(answering) if answering else None
        es_info["health"] = health.get("status") if health else None
        es_info["number_of_nodes"] = health.get("number_of_nodes") if health else None
    es_info["version"] = es_version
    es_info["runs_as"] = es.SERVICE_USER if os.geteuid() == 0 else None

    elected = _elected_master(answering) if answering and not shape.single else None
    node_list = []
    for service, info in infos:
        entry: dict[str, object] = {
            "name": service.name,
            "service": _kind(service),
            "role": service.role,
            "port": service.ports[0][0],
            "answers": info["healthy"],
            "rss_mib": round(resident_kib(info["pid"]) / 1024) if isinstance(info["pid"], int) else None,
            **info,
        }
        if isinstance(service.node, EsNode) and elected is not None:
            entry["elected_master"] = elected == service.node.name
        node_list.append(entry)

    return {
        "stack_dir": str(paths.root),
        "running": all(info["healthy"] for _, info in infos),
        "shape": shape.to_dict(),
        "kafka": kafka_info,
        "elasticsearch": es_info,
        "nodes": node_list,
        "rss_mib": sum(entry["rss_mib"] for entry in node_list if isinstance(entry["rss_mib"], int)),
        "pom_versions": {"kafka": versions.kafka, "elasticsearch": versions.elasticsearch} if versions else None,
    }


def _summary(members: list[tuple[_Service, dict[str, object]]]) -> dict[str, object]:
    """One service's state over its nodes: running only when every node is."""
    states = {info["state"] for _, info in members}
    if states == {"running"}:
        state = "running"
    elif states == {"stopped"}:
        state = "stopped"
    elif "port-in-use" in states and not ({"running", "starting"} & states):
        state = "port-in-use"
    else:
        state = "degraded" if "running" in states else "starting" if "starting" in states else "stopped"
    return {
        "state": state,
        "healthy": state == "running",
        "nodes": len(members),
        "answering": sum(1 for _, info in members if info["healthy"]),
        "pids": [info["pid"] for _, info in members],
    }


def _elected_master(url: str) -> str | None:
    for row in es.cat_nodes(url) or []:
        if row.get("master") == "*" and isinstance(row.get("name"), str):
            return str(row["name"])
    return None
