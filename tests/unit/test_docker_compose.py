"""docker-compose.yml: validated by `docker compose config` where a compose client exists, and
always checked for its services and for images that match the versions `stack up` runs."""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"


def _pom_version(name: str) -> str:
    match = re.search(rf"<{name}>([^<]+)</{name}>", (REPO / "stack" / "pom.xml").read_text())
    assert match, name
    return match.group(1)


def _compose_client_present() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def test_compose_config_is_valid_when_a_client_exists():
    if not _compose_client_present():
        # No compose client on this machine: the parse-based checks below are the validation.
        assert yaml.safe_load(COMPOSE.read_text())
        return
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_services_and_images():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"kafka", "elasticsearch", "worker", "indexer", "search-api"} <= set(services)
    assert services["kafka"]["image"] == f"apache/kafka:{_pom_version('kafka.version')}"
    assert services["elasticsearch"]["image"].endswith(f"elasticsearch:{_pom_version('elasticsearch.version')}")
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "false"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_pipeline_services_are_built_from_the_repo_and_run_our_command():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("worker", "indexer", "search-api"):
        assert services[name]["build"] == "."
        assert services[name]["command"][0] == "scholarstream"
    assert (REPO / "Dockerfile").exists()
