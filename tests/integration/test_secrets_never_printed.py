"""Secrets never reach stdout, stderr, `--json` documents or log files (issue 8).

The CLI runs as a child process, as an operator runs it, with every secret setting given a
distinctive value, against the real Kafka and Elasticsearch (whose local build ignores
credentials, so the commands succeed while carrying them). Checked: `setup`, `stack status`,
`status`, `ingest snapshot`, `dlq list` and `run --until-caught-up` at DEBUG log level (the
worker's and the indexer's log files included), then the failure paths: a refused
configuration, and Kafka SASL credentials offered to a broker that does not speak SASL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.conftest import FIXTURE_SNAPSHOT

# Each secret carries a distinctive core, looked for rather than the whole value: a console wraps
# long lines and pydantic shortens long inputs, and a part of a secret shown is a leak too.
ES_PASSWORD = "pw-4d1f0b2e7a"
ES_API_KEY = "key-9b7c33a1e5"
KAFKA_PASSWORD = "pw-51e8aa07c4"
KEY_PASSWORD = "pw-c02b6d3f91"
CANARIES = (ES_PASSWORD, ES_API_KEY, KAFKA_PASSWORD, KEY_PASSWORD)


def run_cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scholarstream", *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env,
    )


def leaks(text: str) -> list[str]:
    flat = "".join(ch for ch in text if not ch.isspace() and ch not in "│┃|")
    return [canary for canary in CANARIES if canary.split("-")[1][:8] in flat]


def files_leaking(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            hit = leaks(path.read_text(errors="replace"))
            if hit:
                found[str(path)] = hit
    return found


@pytest.fixture
def secret_env(settings) -> dict[str, str]:  # noqa: ARG001 - setup
    env = os.environ.copy()
    env.update({"ELASTICSEARCH_USERNAME": "scholarstream", "ELASTICSEARCH_PASSWORD": ES_PASSWORD, "SCHOLARSTREAM_LOG_LEVEL": "DEBUG"})
    return env


def test_commands_and_logs_never_show_the_elasticsearch_password(settings, secret_env):
    results = {}
    for args in (
        ("setup", "--json"),
        ("stack", "status", "--json"),
        ("ingest", "snapshot", str(FIXTURE_SNAPSHOT), "--limit", "12", "--json"),
        ("run", "--until-caught-up", "--timeout", "600", "--json"),
        ("status", "--json"),
        ("dlq", "list", "--json"),
    ):
        result = run_cli(secret_env, *args)
        assert result.returncode == 0, (args, result.stderr[-2000:])
        json.loads(result.stdout)  # one JSON document, as promised
        results[" ".join(args[:2])] = result

    found = {command: leaks(r.stdout + r.stderr) for command, r in results.items()}
    assert {command: hit for command, hit in found.items() if hit} == {}
    status = json.loads(results["status --json"].stdout)
    assert status["indices"][settings.index("papers")]["documents"] == 12, "the run really went through"
    log_dir = Path(settings.data_dir)
    assert list(log_dir.rglob("*.log")), "the run wrote its logs"
    assert files_leaking(log_dir) == {}


def test_the_elasticsearch_api_key_stays_hidden_too(secret_env):
    env = {k: v for k, v in secret_env.items() if k not in ("ELASTICSEARCH_USERNAME", "ELASTICSEARCH_PASSWORD")}
    env["ELASTICSEARCH_API_KEY"] = ES_API_KEY
    for args in (("setup", "--json"), ("status", "--json")):
        result = run_cli(env, *args)
        assert result.returncode == 0, result.stderr[-2000:]
        assert leaks(result.stdout + result.stderr) == []


def test_refusals_and_failed_connections_do_not_show_secrets(secret_env):
    # A refused configuration. pydantic's own message quotes the input, shortened in the middle; with
    # one secret as the last setting given, a leak of the input would show it.
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOLARSTREAM_", "KAFKA_", "ELASTICSEARCH_"))}
    for secret, value in (("KAFKA_SASL_PASSWORD", KAFKA_PASSWORD), ("ELASTICSEARCH_PASSWORD", ES_PASSWORD)):
        refused = dict(bare, KAFKA_SECURITY_PROTOCOL="SASL_SSL", **{secret: value})  # no mechanism, no user
        result = run_cli(refused, "status", "--json", timeout=120)
        assert result.returncode != 0 and "KAFKA_SASL_MECHANISM" in result.stderr, result.stderr[-2000:]
        assert leaks(result.stdout + result.stderr) == [], result.stderr[-3000:]

    # Well-formed SASL credentials offered to the local broker, which has no SASL listener.
    wrong_listener = dict(secret_env, KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
                          KAFKA_SASL_USERNAME="scholarstream", KAFKA_SASL_PASSWORD=KAFKA_PASSWORD)
    for args in (("status", "--json"), ("setup", "--json")):
        result = run_cli(wrong_listener, *args, timeout=300)
        assert result.returncode != 0, args
        assert leaks(result.stdout + result.stderr) == [], args
