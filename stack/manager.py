"""`stack up`, `stack down` and `stack status`: the orchestration over the per-service modules.

Both services are started before either is waited for, because Elasticsearch dominates the
start-up time and Kafka's start fits entirely inside it.
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
    start_detached,
    stop,
    tail,
)
from .results import DownResult, ServiceReport, StoppedService, UpResult

StepCallback = Callable[[str], None]

READY_TIMEOUT_SECONDS = 120.0
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
    """What `up` needs to know about one service while starting and waiting for it."""

    name: str
    title: str
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


def _services(settings: Settings, paths: StackPaths) -> tuple[_Service, _Service]:
    kafka_service = _Service(
        name="kafka",
        title="Kafka",
        pid_file=paths.kafka_pid,
        ports=(
            (settings.kafka_port, "Kafka broker"),
            (kafka.controller_port(settings), "Kafka controller"),
        ),
        output=paths.kafka_out,
        log=paths.kafka_server_log,
        data_dir=paths.kafka_data,
        url=f"{kafka.HOST}:{settings.kafka_port}",
        is_ready=lambda: kafka.is_ready(settings),
    )
    es_service = _Service(
        name="elasticsearch",
        title="Elasticsearch",
        pid_file=paths.es_pid,
        ports=(
            (settings.elasticsearch_port, "Elasticsearch HTTP"),
            (es.transport_port(settings), "Elasticsearch transport"),
        ),
        output=paths.es_out,
        log=es.server_log(paths),
        data_dir=paths.es_data,
        url=es.http_url(settings),
        is_ready=lambda: es.is_ready(settings),
    )
    return kafka_service, es_service


# up -----------------------------------------------------------------------------------------


def up(
    settings: Settings,
    on_step: StepCallback | None = None,
    ready_timeout: float = READY_TIMEOUT_SECONDS,
) -> UpResult:
    """Start whatever part of the stack is not running and wait until both services answer.

    Idempotent: services that are already up are left alone, and binaries are only fetched
    when the stack directory does not hold what the pom describes.
    """
    step = on_step or _quiet
    began = time.monotonic()
    paths = StackPaths.of(settings.stack_dir)
    with _exclusive(paths, step):
        return _up(settings, paths, step, ready_timeout, began)


def _up(settings: Settings, paths: StackPaths, step: StepCallback, ready_timeout: float, began: float) -> UpResult:
    versions = read_pom(POM)
    services = _services(settings, paths)
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
        return _up_result(settings, paths, versions, services, None, (), None, began)

    for service in to_start:
        _check_ports_free(service)

    java: JavaRuntime | None = None
    fetched: tuple[str, ...] = ()
    report: FetchReport | None = None
    if to_start:
        java = find_java(settings, step)
        step(f"Using Java {java.version} ({java.home})")
        fetched, report = _fetch(paths, versions, java, {s.name for s in to_start}, step)
        for service in to_start:
            _start(service, settings, paths, versions, java, step)

    _wait(services, ready_timeout, step)
    return _up_result(settings, paths, versions, services, java, fetched, report, began)


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
) -> None:
    if service.name == "kafka":
        kafka.write_config(settings, paths)
        kafka.format_storage(java, paths, step)
        launch = kafka.launch(settings, paths, java)
    else:
        es.write_config(settings, paths, versions.elasticsearch)
        account = es.service_account()
        if account is not None:
            es.prepare_account(account, paths, java)
        launch = es.launch(paths, java, account)
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
        message += f"\n{' and '.join(others)} kept running; `scholarstream stack down` stops it."
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
    services: tuple[_Service, _Service],
    java: JavaRuntime | None,
    fetched: tuple[str, ...],
    report: FetchReport | None,
    began: float,
) -> UpResult:
    kafka_service, es_service = services
    versions_by_name = {
        "kafka": kafka.version_from_libs(paths.kafka_libs) or versions.kafka,
        "elasticsearch": es.node_version(settings) or versions.elasticsearch,
    }

    def report_of(service: _Service) -> ServiceReport:
        assert service.pid is not None
        return ServiceReport(
            name=service.name,
            url=service.url,
            pid=service.pid,
            version=versions_by_name[service.name],
            log=service.log,
            output=service.output,
            data_dir=service.data_dir,
            already_running=service.already_running,
            seconds_to_ready=service.seconds_to_ready,
        )

    return UpResult(
        stack_dir=paths.root,
        kafka=report_of(kafka_service),
        elasticsearch=report_of(es_service),
        java=java,
        fetched=fetched,
        downloaded_artifacts=report.downloaded if report else 0,
        seconds_fetching=report.seconds if report else 0.0,
        seconds_total=time.monotonic() - began,
    )


# down ---------------------------------------------------------------------------------------


def down(
    settings: Settings,
    on_step: StepCallback | None = None,
    grace_seconds: float = STOP_GRACE_SECONDS,
) -> DownResult:
    """Stop both services (SIGTERM, then SIGKILL after the grace period). Idempotent."""
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
    for name, pid_file in (("kafka", paths.kafka_pid), ("elasticsearch", paths.es_pid)):
        pid = owned_pid(pid_file, marker)
        if pid is not None:
            targets[name] = pid
    # Java processes of this stack that lost their pid file (or outlived their group leader).
    known = {member for pid in targets.values() for member in (pid, *group_members(pid))}
    for pid in java_processes_mentioning(marker):
        if pid not in known:
            targets[f"orphan {pid}"] = pid

    if targets:
        step("Stopping " + ", ".join(f"{name} (pid {pid})" for name, pid in targets.items()))
    outcomes = stop(targets, grace_seconds) if targets else []
    remove_pid(paths.kafka_pid)
    remove_pid(paths.es_pid)

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
    """Stop one service ("kafka" or "elasticsearch") and leave the other running.

    For fault drills: its data stays, so `up` afterwards starts just this service again on the
    same state. Returns None when it was not running.
    """
    step = on_step or _quiet
    paths = StackPaths.of(settings.stack_dir)
    service = next((s for s in _services(settings, paths) if s.name == name), None)
    if service is None:
        raise StackError(f"unknown stack service {name!r}; expected 'kafka' or 'elasticsearch'")
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

    A service's state is "running" (ours and answering), "starting" (ours, not answering yet),
    "stopped", or "port-in-use" (something that is not ours holds its port).
    """
    paths = StackPaths.of(settings.stack_dir)
    marker = _marker(paths)
    kafka_service, es_service = _services(settings, paths)
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

    kafka_info = base(kafka_service)
    kafka_info["bootstrap_servers"] = kafka_service.url
    kafka_info["version"] = kafka.version_from_libs(paths.kafka_libs) or (versions.kafka if versions else None)

    es_info = base(es_service)
    es_info["health"] = es.cluster_health(settings) if es_info["pid"] is not None else None
    live_version = es.node_version(settings) if es_info["healthy"] else None
    es_info["version"] = (
        live_version
        or read_marker(paths.es_home).get("elasticsearch")
        or (versions.elasticsearch if versions else None)
    )
    es_info["runs_as"] = es.SERVICE_USER if os.geteuid() == 0 else None

    return {
        "stack_dir": str(paths.root),
        "running": bool(kafka_info["healthy"] and es_info["healthy"]),
        "kafka": kafka_info,
        "elasticsearch": es_info,
        "pom_versions": {"kafka": versions.kafka, "elasticsearch": versions.elasticsearch} if versions else None,
    }
