"""docker-compose.yml (one node of each) and docker-compose.cluster.yml (three brokers, two
Elasticsearch nodes): validated by `docker compose config` where a compose client exists, and
always parsed and checked here: images match the versions `stack up` runs, every pipeline
service runs a real `scholarstream` command with real settings, dependencies exist, and the
cluster file has the topology the cluster tests prove."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from pydantic import AliasChoices

from foundation.settings import Settings
from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
CLUSTER = REPO / "docker-compose.cluster.yml"
FILES = [COMPOSE, CLUSTER]
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def _pom_version(name: str) -> str:
    match = re.search(rf"<{name}>([^<]+)</{name}>", (REPO / "stack" / "pom.xml").read_text())
    assert match, name
    return match.group(1)


def _compose_client_present() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def _load(path: Path) -> dict[str, Any]:
    compose = yaml.safe_load(path.read_text())
    assert isinstance(compose, dict) and compose.get("services"), path.name
    return compose


def _pipeline(services: dict[str, Any]) -> dict[str, Any]:
    """The services built from this repository (the rest are Kafka and Elasticsearch images)."""
    return {name: spec for name, spec in services.items() if spec.get("build") == "."}


def _invocations(command: list[str]) -> list[list[str]]:
    """The `scholarstream` command lines a service runs: its command itself, or each line of a
    `sh -c` script that starts with `scholarstream` (compose's `${VAR:-default}` read as the
    default, `$$` as the shell's `$`)."""
    if command[0] == "scholarstream":
        return [command]
    assert command[:2] == ["sh", "-c"], command
    script = _INTERPOLATION.sub(lambda m: m.group(2) or "", command[2]).replace("$$", "$")
    lines = [shlex.split(line.rstrip("&").strip()) for line in script.splitlines()]
    return [line for line in lines if line and line[0] == "scholarstream"]


def _check_cli(argv: list[str]) -> None:
    """The subcommands exist and every option is one of the final command's options."""
    from scholarstream.cli import app

    command: Any = typer.main.get_command(app)  # typer's own (vendored) click types
    words = argv[1:]
    while hasattr(command, "commands") and words and not words[0].startswith("-"):
        sub = command.commands.get(words[0])
        assert sub is not None, f"no command {words[0]!r} in {' '.join(argv)}"
        command, words = sub, words[1:]
    assert not hasattr(command, "commands"), f"{' '.join(argv)} names a group, not a command"
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"{word} is not an option of {' '.join(argv)}"


def _setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        names.update(str(choice) for choice in choices)
    return names


def _brokers(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s["environment"] for n, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")}


def _es_nodes(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s["environment"] for n, s in services.items() if "/elasticsearch:" in str(s.get("image", ""))}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_compose_config_is_valid_when_a_client_exists(path: Path):
    if not _compose_client_present():
        # No compose client on this machine: the parse-based checks below are the validation.
        _load(path)
        return
    result = subprocess.run(["docker", "compose", "-f", str(path), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_images_are_the_versions_stack_up_runs(path: Path):
    services = _load(path)["services"]
    brokers, es_nodes = _brokers(services), _es_nodes(services)
    assert brokers and es_nodes
    for name in brokers:
        assert services[name]["image"] == f"apache/kafka:{_pom_version('kafka.version')}"
    for name, env in es_nodes.items():
        assert services[name]["image"].endswith(f"elasticsearch:{_pom_version('elasticsearch.version')}")
        assert env["xpack.security.enabled"] == "false"
    for env in brokers.values():
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"  # on the volume, not in /tmp of the image


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pipeline_services_run_real_commands_with_real_settings(path: Path):
    services = _load(path)["services"]
    pipeline = _pipeline(services)
    assert {"setup", "worker", "indexer", "ingester", "search-api"} <= set(pipeline)
    settings = _setting_names()
    for name, spec in pipeline.items():
        invocations = _invocations(spec["command"])
        assert invocations, f"{name} runs no scholarstream command"
        for argv in invocations:
            _check_cli(argv)
        unknown = set(spec.get("environment", {})) - settings
        assert not unknown, f"{name}: {sorted(unknown)} are not settings (foundation/settings.py)"
    assert (REPO / "Dockerfile").exists()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_dependencies_exist_and_volumes_are_declared(path: Path):
    compose = _load(path)
    services = compose["services"]
    for name, spec in services.items():
        for target in spec.get("depends_on", {}):
            assert target in services, f"{name} depends on {target}, which is not a service"
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in (compose.get("volumes") or {}), f"{name}: volume {source} is not declared"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_ingester_harvests_on_a_schedule_after_setup_and_restarts(path: Path):
    ingester = _load(path)["services"]["ingester"]
    (argv,) = _invocations(ingester["command"])
    assert argv[:3] == ["scholarstream", "ingest", "oai"]
    assert "--until" not in argv  # without --until a finished harvest continues incrementally
    assert "--from" in argv  # a fixed start: it names the checkpoint, so a restart resumes it
    script = ingester["command"][2]
    assert "while" in script and "${INGEST_INTERVAL_SECONDS:-21600}" in script
    assert "exit $$?" in script  # a failed harvest ends the container, and the restart policy resumes it
    assert ingester["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert ingester["restart"] in {"on-failure", "always", "unless-stopped"}
    assert "volumes" not in ingester  # its state is in Kafka (ingest.checkpoints)


def test_the_cluster_has_three_brokers_with_one_id_and_a_quorum_of_all():
    services = _load(CLUSTER)["services"]
    brokers = _brokers(services)
    assert len(brokers) == 3
    assert len({env["CLUSTER_ID"] for env in brokers.values()}) == 1
    ids = {int(env["KAFKA_NODE_ID"]) for env in brokers.values()}
    assert ids == {1, 2, 3}
    expected = {f"{env['KAFKA_NODE_ID']}@{name}:9093" for name, env in brokers.items()}
    for env in brokers.values():
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == expected
        assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == 3
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"]) == 3
        assert int(env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) == 2
        assert int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == 3
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2
    volumes = [services[name]["volumes"][0].split(":")[0] for name in brokers]
    assert len(set(volumes)) == 3  # each node its own log directory


def test_the_cluster_has_two_elasticsearch_nodes_in_one_cluster():
    services = _load(CLUSTER)["services"]
    nodes = _es_nodes(services)
    assert len(nodes) == 2
    assert len({env["cluster.name"] for env in nodes.values()}) == 1
    assert {env["node.name"] for env in nodes.values()} == set(nodes)
    for env in nodes.values():
        assert "discovery.type" not in env
        assert set(env["discovery.seed_hosts"].split(",")) == set(nodes)
        assert set(env["cluster.initial_master_nodes"].split(",")) == set(nodes)
        assert re.fullmatch(r"-Xms(\d+)m -Xmx\1m", env["ES_JAVA_OPTS"])  # a modest, fixed heap


def test_the_cluster_pipeline_replicates_and_runs_several_workers_in_one_group():
    services = _load(CLUSTER)["services"]
    pipeline = _pipeline(services)
    brokers = set(_brokers(services))
    for name, spec in pipeline.items():
        env = spec["environment"]
        assert env["SCHOLARSTREAM_REPLICATION_FACTOR"] == "3", name
        assert env["SCHOLARSTREAM_MIN_INSYNC_REPLICAS"] == "2", name
        assert {server.split(":")[0] for server in env["KAFKA_BOOTSTRAP_SERVERS"].split(",")} == brokers, name
        assert "SCHOLARSTREAM_TOPIC_PREFIX" not in env  # the prefix would give a group of its own
    workers = [spec for spec in pipeline.values() if spec["command"] == ["scholarstream", "worker"]]
    count = sum(int(spec.get("deploy", {}).get("replicas", 1)) for spec in workers)
    assert count >= 2
    assert len({yaml.safe_dump(spec["environment"]) for spec in workers}) == 1  # same settings, same group
    for name in ("indexer", "ingester", "search-api"):
        assert name in pipeline
