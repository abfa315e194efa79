"""The pipeline against a Kafka that requires SASL: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.

A broker of its own (KRaft, one node, from the fault stack's Kafka libraries) listens only with
SASL_PLAINTEXT on 127.0.0.1:19492 (controller 19493): PLAIN users come from its JAAS
configuration, SCRAM users are written into its storage when it is formatted. Elasticsearch is
the fault stack's.

Checked: a wrong password is refused; for each mechanism `setup`, `ingest snapshot` and `status`
(kafka-python) succeed with that mechanism's user; with SCRAM-SHA-512 `run --until-caught-up`
(the faust worker's aiokafka clients and the indexer) indexes every record; and no password
appears in any command's stdout or stderr or in the worker's and indexer's logs (written at
DEBUG level). With ACLs on `researcher.signals` (`setup` with SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS),
the broker refuses a signal from any other principal, however it is signed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import stack.kafka
from foundation.settings import Settings
from stack.java import find_java
from stack.layout import StackPaths
from stack.processes import port_answers
from tests.children import wait_for
from tests.faults.conftest import SAMPLE, indexed_documents
from tests.integration.conftest import cli, read_topic

SASL_PORT, CONTROLLER_PORT = 19492, 19493
USERS = {  # mechanism -> (user, password); the passwords are leak canaries
    "PLAIN": ("alice", "pw-a8c41e09b2"),
    "SCRAM-SHA-256": ("bob", "pw-b6e2f7d013"),
    "SCRAM-SHA-512": ("carol", "pw-c9d05a3e47"),
}
BROKER_PASSWORD = "pw-d3f1b7c520"
RECORDS = 10


def server_properties(data_dir: Path) -> str:
    plain_users = " ".join(f'user_{user}="{password}"' for user, password in [("broker", BROKER_PASSWORD), USERS["PLAIN"]])
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{CONTROLLER_PORT}",
        f"listeners=SASL_PLAINTEXT://127.0.0.1:{SASL_PORT},CONTROLLER://127.0.0.1:{CONTROLLER_PORT}",
        f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{SASL_PORT}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        "sasl.mechanism.inter.broker.protocol=PLAIN",
        "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
        f'required username="broker" password="{BROKER_PASSWORD}" {plain_users};',
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
        f"log.dirs={data_dir}",
        # ACLs (issue 18): carol, the operators' admin and the worker, is a super user; a topic with
        # no ACL stays open to every authenticated user, one with ACLs only to the principals named.
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users=User:broker;User:carol",
        "allow.everyone.if.no.acl.found=true",
        *stack.kafka.SINGLE_NODE,
    ]) + "\n"


@pytest.fixture(scope="module")
def sasl_kafka(fault_stack, tmp_path_factory) -> Iterator[None]:
    root = tmp_path_factory.mktemp("sasl-kafka")
    libs = StackPaths.of(Path(fault_stack["SCHOLARSTREAM_STACK_DIR"])).kafka_libs
    java = find_java(Settings(_env_file=None, **fault_stack))
    config, log4j = root / "server.properties", root / "log4j2.properties"
    config.write_text(server_properties(root / "data"))
    log4j.write_text(stack.kafka.render_log4j(root / "logs"))
    base = [str(java.executable), "-Xmx384m", f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*"]
    scram = [arg for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
             for arg in ("--add-scram", f"{mechanism}=[name={USERS[mechanism][0]},password={USERS[mechanism][1]}]")]
    formatted = subprocess.run(
        [*base, "kafka.tools.StorageTool", "format", "-t", stack.kafka.new_cluster_id(), "-c", str(config), *scram],
        capture_output=True, text=True, timeout=120,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    with open(root / "kafka.out", "wb") as output:
        broker = subprocess.Popen([*base, "kafka.Kafka", str(config)], stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        wait_for(lambda: port_answers(SASL_PORT) or broker.poll() is not None, 120, "the SASL broker's port")
        assert broker.poll() is None, (root / "kafka.out").read_text()[-3000:]
        yield
    finally:
        os.killpg(broker.pid, signal.SIGTERM)
        try:
            broker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(broker.pid, signal.SIGKILL)
            broker.wait()


def use_mechanism(monkeypatch, mechanism: str, password: str | None = None) -> None:
    user, real_password = USERS[mechanism]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{SASL_PORT}")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", mechanism)
    monkeypatch.setenv("KAFKA_SASL_USERNAME", user)
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", password or real_password)
    monkeypatch.setenv("SCHOLARSTREAM_LOG_LEVEL", "DEBUG")


def leaks(text: str) -> list[str]:
    flat = "".join(ch for ch in text if not ch.isspace())
    return [p for p in [BROKER_PASSWORD, *(p for _, p in USERS.values())] if p.split("-")[1][:8] in flat]


@pytest.mark.usefixtures("sasl_kafka")
def test_sasl_plain_and_scram_users_run_the_pipeline_and_no_password_is_printed(
    namespace, monkeypatch, record_property,
):
    settings = namespace("sasl")
    outputs: list[str] = []

    use_mechanism(monkeypatch, "SCRAM-SHA-256", password="pw-e17f0c9a55")  # wrong: refused
    began = time.monotonic()
    refused = cli("setup", "--json", timeout=180)
    refused_after = time.monotonic() - began
    assert refused.returncode != 0, refused.stdout
    assert "not reachable" in refused.stderr and "KAFKA_SASL_" in refused.stderr, refused.stderr[-2000:]
    outputs.append(refused.stdout + refused.stderr)

    produced = {}
    for mechanism in USERS:
        use_mechanism(monkeypatch, mechanism)
        for args in (("setup", "--json"), ("ingest", "snapshot", str(SAMPLE), "--limit", str(RECORDS), "--json"),
                     ("status", "--json")):
            result = cli(*args, timeout=300)
            assert result.returncode == 0, (mechanism, args, result.stderr[-3000:])
            outputs.append(result.stdout + result.stderr)
            if args[0] == "ingest":
                produced[mechanism] = json.loads(result.stdout)["produced"]

    use_mechanism(monkeypatch, "SCRAM-SHA-512")
    run = cli("run", "--until-caught-up", "--timeout", "400", "--json", timeout=500)
    assert run.returncode == 0, run.stderr[-3000:]
    outputs.append(run.stdout + run.stderr)
    result = json.loads(run.stdout)
    assert result["caught_up"] is True and result["lag"] == {"worker": 0, "indexer": 0}
    documents = indexed_documents(settings)
    assert len(documents) == RECORDS  # the same ten papers, ingested once per mechanism

    logs = [path for path in Path(settings.data_dir).rglob("*") if path.is_file()]
    assert any(path.suffix == ".log" for path in logs)
    leaked = {str(path): leaks(path.read_text(errors="replace")) for path in logs}
    assert [text for text in outputs if leaks(text)] == [] and {p: hit for p, hit in leaked.items() if hit} == {}

    figures = {
        "mechanisms": list(USERS),
        "records_produced_per_mechanism": produced,
        "wrong_password_refused_after_s": round(refused_after, 1),
        "documents_indexed_via_scram_sha_512": len(documents),
        "outputs_and_log_files_searched": len(outputs) + len(logs),
    }
    record_property("figures", figures)
    print("secured kafka figures:", json.dumps(figures))


@pytest.mark.usefixtures("sasl_kafka")
def test_only_the_principals_allowed_to_write_signals_can_produce_them(namespace, monkeypatch, record_property):
    """Issue 18: on the secured cluster only the write path's and the operators' principals may
    produce to researcher.signals. bob stands for the web app's write path, carol for the
    operators (a super user, who sets the ACLs up) and the worker; alice is any other account on
    the cluster, with the signal keys or without: the broker refuses her record before any worker
    could look at its signature."""
    settings = namespace("sasl-acl")
    signals = settings.topic("researcher.signals")
    use_mechanism(monkeypatch, "SCRAM-SHA-512")
    monkeypatch.setenv("SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS", "User:bob")
    set_up = cli("setup", "--json", timeout=300)
    assert set_up.returncode == 0, set_up.stderr[-3000:]
    assert json.loads(set_up.stdout)["signal_acls"] == [f"User:bob WRITE {signals}", f"User:bob DESCRIBE {signals}"]
    monkeypatch.delenv("SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS")

    sent = {}
    for mechanism, actor in (("PLAIN", "acct-alice"), ("SCRAM-SHA-256", "acct-bob"), ("SCRAM-SHA-512", "ops-carol")):
        use_mechanism(monkeypatch, mechanism)
        principal = "operator" if actor.startswith("ops") else "account"
        sent[mechanism] = cli("signal", "follow", "r-000000000001", "--actor", actor, "--principal", principal, "--json",
                              timeout=180)
    refused = sent["PLAIN"]
    assert refused.returncode != 0
    assert "Kafka refused principal User:alice" in refused.stderr and "AuthorizationFailed" in refused.stderr, refused.stderr[-2000:]
    assert "Traceback" not in refused.stderr
    assert sent["SCRAM-SHA-256"].returncode == 0, sent["SCRAM-SHA-256"].stderr[-2000:]
    assert sent["SCRAM-SHA-512"].returncode == 0, sent["SCRAM-SHA-512"].stderr[-2000:]

    use_mechanism(monkeypatch, "SCRAM-SHA-512")
    actors = sorted(json.loads(record.value)["actor"] for record in read_topic(Settings(_env_file=None), signals))
    assert actors == ["acct-bob", "ops-carol"], "only the allowed principals' signals are in the topic"
    figures = {"signal_writers": ["User:bob", "User:carol (super user)"], "refused": "User:alice",
               "records_in_topic": len(actors)}
    record_property("figures", figures)
    print("signal ACL figures:", json.dumps(figures))
