"""Cluster tests run on a cluster of their own: three Kafka brokers and two Elasticsearch nodes.

One session fixture starts `stack up --brokers 3 --es-nodes 2` in a temporary stack directory on
free ports (never the stack the integration tests use, nor the fault tests' ports) and removes it at
the end. Topics get the production defaults of such a cluster: replication factor 3, min.insync 2,
and indices one replica. Each test works in namespaces of its own (`Namespace`: topic, index and
group prefixes and a data directory) and runs the real `scholarstream` commands as child processes
with that environment. A cluster that cannot start fails the tests: never a skip.

The comparison the tests share (`compare`) is what "the same result" means here: the papers index
holds the same papers; every researcher has the same works, names and collaborators; the only id
allowed to differ is a researcher's, when another of its own first mentions reached linking first
(the id is made from the mention that created the researcher, and with several workers that order
changes); trust scores differ by at most the collaboration component's documented lag.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import helpers

import stack
from clients import es_io, kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from scholarstream.pipeline import total_lag
from stream_processors.linking.linker import researcher_id_for
from stream_processors.worker_report import read_reports
from tests.children import Child, free_cluster_bases
from tests.conftest import REPO

BROKERS = 3
ES_NODES = 2
SAMPLE = REPO / "samples" / "arxiv-kaggle-1006.jsonl.gz"
# docs/trust.md, "Where the scores come from in the stream": the trusted half of the collaboration
# component lags the collaborators' scores and is bounded by 10 points.
COLLABORATION_LAG_BOUND = 10
_TAKEN = range(19392, 19501)  # the fault tests' own stack


@dataclass
class Cluster:
    env: dict[str, str]
    shape: stack.Shape

    def settings(self) -> Settings:
        fields: dict[str, Any] = dict(self.env)  # setting values, validated by Settings
        return Settings(_env_file=None, **fields)

    def node(self, name: str) -> dict[str, Any]:
        nodes = stack.status(self.settings())["nodes"]
        assert isinstance(nodes, list)
        return next(n for n in nodes if n["name"] == name)

    def restart_missing(self) -> None:
        """`stack up` of the same shape: starts only the nodes that are down, on their old data."""
        stack.up(self.settings(), shape=self.shape)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="scholarstream-cluster-tests-"))
    root.chmod(0o755)  # as root, Elasticsearch runs as its own user, which must enter the directory
    kafka_base, es_base = free_cluster_bases(BROKERS, ES_NODES, _TAKEN)
    env = {
        "SCHOLARSTREAM_STACK_DIR": str(root / "stack"),
        "KAFKA_BOOTSTRAP_SERVERS": ",".join(f"127.0.0.1:{kafka_base + 2 * i}" for i in range(BROKERS)),
        "ELASTICSEARCH_URL": ",".join(f"http://127.0.0.1:{es_base + i}" for i in range(ES_NODES)),
    }
    shape = stack.Shape(brokers=BROKERS, es_nodes=ES_NODES)
    found = Cluster(env, shape)
    began = time.monotonic()
    try:
        stack.up(found.settings(), shape=shape)
    except ScholarStreamError as error:
        stack.down(found.settings())
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"the cluster tests' own cluster did not start: {error}", pytrace=False)
    print(f"\ncluster of {BROKERS} brokers and {ES_NODES} Elasticsearch nodes up in {time.monotonic() - began:.0f} s")
    try:
        yield found
    finally:
        stack.down(found.settings())
        shutil.rmtree(root, ignore_errors=True)


# Namespaces and processes -----------------------------------------------------------------------


class Process(Child):
    """`scholarstream <role>` of a namespace, logging to a file of its own (`name`)."""

    def __init__(self, role: str, name: str, namespace: Namespace) -> None:
        super().__init__(role, namespace.data_dir / "logs" / f"{name}.log", env=namespace.env)
        self.name = name

    def stop(self, timeout: float = 60) -> int:
        return super().stop(timeout)


@dataclass
class Namespace:
    """Topic, index and group prefixes and a data directory of one pipeline on the cluster."""

    cluster: Cluster
    data_dir: Path
    partitions: int = 4
    name: str = field(default_factory=lambda: f"c{uuid.uuid4().hex[:10]}")
    processes: list[Process] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.cluster.env,
            "SCHOLARSTREAM_TOPIC_PREFIX": f"{self.name}.",
            "SCHOLARSTREAM_INDEX_PREFIX": f"{self.name}-",
            "SCHOLARSTREAM_DATA_DIR": str(self.data_dir),
            "SCHOLARSTREAM_TOPIC_PARTITIONS": str(self.partitions),
        }

    def settings(self) -> Settings:
        fields: dict[str, Any] = self.env
        return Settings(_env_file=None, **fields)

    def cli(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "scholarstream", *args],
            capture_output=True, text=True, timeout=timeout, cwd=REPO, env={**os.environ, **self.env},
        )

    def start(self, role: str, name: str | None = None) -> Process:
        process = Process(role, name or role, self)
        self.processes.append(process)
        return process

    def ingest(self, records: int) -> dict[str, Any]:
        done = self.cli("ingest", "snapshot", str(SAMPLE), "--limit", str(records), "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def lag(self) -> dict[str, int]:
        return total_lag(self.settings())

    def wait_caught_up(self, timeout: float) -> float:
        """Until every group of the pipeline has read its topics to the end twice in a row, 2 s apart."""
        began, zero = time.monotonic(), 0
        while zero < 2:
            if time.monotonic() - began > timeout:
                logs = {p.name: p.log_text()[-1500:] for p in self.processes}
                # Where each live worker is in the partitions it reads: what tells a partition nobody
                # reads from a slow one (stream_processors/worker_report.py).
                reading = {r["pid"]: {"reading": r.get("reading"), "flow_active": r.get("flow_active")}
                           for r in read_reports(self.data_dir)}
                pytest.fail(f"not caught up after {timeout:.0f} s: lag {self.lag()}; workers {json.dumps(reading)[:6000]}; "
                            f"logs {json.dumps(logs)[:6000]}")
            zero = zero + 1 if not any(self.lag().values()) else 0
            time.sleep(2)
        return time.monotonic() - began

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()

    def clean_up(self) -> None:
        self.stop_all()
        settings = self.settings()
        admin = kafka_io.admin(settings)
        try:
            topics = [name for name in admin.list_topics() if name.startswith(f"{self.name}.")]
            if topics:
                admin.delete_topics(topics)
        finally:
            admin.close()
        es = es_io.client(settings)
        for index in list(es.indices.get(index=f"{self.name}-*", expand_wildcards="all")):
            es.indices.delete(index=index)


@pytest.fixture
def namespaces(cluster, tmp_path) -> Iterator[Callable[..., Namespace]]:
    made: list[Namespace] = []

    def make(label: str, partitions: int = 4) -> Namespace:
        namespace = Namespace(cluster, tmp_path / label, partitions)
        made.append(namespace)
        return namespace

    yield make
    for namespace in made:
        namespace.clean_up()


# What the pipeline produced, and what "the same" means -----------------------------------------


@dataclass(frozen=True)
class Indexed:
    papers: dict[str, dict]
    researchers: dict[str, dict]


def indexed(settings: Settings) -> Indexed:
    """Every paper and researcher document; each researcher's works (the researcher-works index,
    profile v3) are put back into its profile as `works`, so the comparisons read one document."""
    es = es_io.client(settings)
    papers_alias, researchers_alias = settings.index("papers"), settings.index("researchers")
    works_alias = settings.index("researcher-works")
    es.indices.refresh(index=f"{papers_alias},{researchers_alias},{works_alias}")

    def everything(alias: str) -> dict[str, dict]:
        return {hit["_id"]: hit["_source"] for hit in helpers.scan(es, index=alias, query={"query": {"match_all": {}}})}

    researchers = everything(researchers_alias)
    works: dict[str, list[dict]] = {}
    for doc in everything(works_alias).values():
        works.setdefault(doc["researcher_id"], []).append(doc["work"])
    for rid, doc in researchers.items():
        if "profile" in doc:
            doc["profile"]["works"] = sorted(works.get(rid, []), key=lambda w: w["arxiv_id"])
    return Indexed(everything(papers_alias), researchers)


def _shape(doc: dict) -> dict:
    profile = doc["profile"]
    return {
        "merged_into": doc.get("merged_into"),
        "display_name": profile["display_name"],
        "names": sorted((v["name"], v["works"]) for v in profile["name_variants"]),
        "works": sorted(w["arxiv_id"] for w in profile.get("works", ())),
        "collaborators": sorted((c["researcher_id"], c["shared_works"]) for c in profile.get("close_collaborators", ())),
    }


def _founder_ids(doc: dict) -> set[str]:
    """The ids this researcher could have been created under: one per mention on each of its works."""
    return {
        researcher_id_for(work["arxiv_id"], position)
        for work in doc["profile"].get("works", ())
        for position in range(work["author_count"])
    }


def _trust(doc: dict) -> tuple[int, dict[str, float]]:
    trust = doc["profile"].get("trust") or {}
    return trust.get("score") or 0, {c["name"]: c["points"] for c in trust.get("components", ())}


@dataclass
class Comparison:
    papers: int
    researchers: int
    refounded: dict[str, str]  # reference id -> the id the other run created the same researcher under
    unmatched: list[str]
    differing: list[str]
    scores_differing: int
    largest_score_difference: float
    other_components_differing: dict[str, dict]

    def describe(self) -> str:
        return (
            f"{self.papers} papers, {self.researchers} researchers; same id {self.researchers - len(self.refounded)}, "
            f"created from another of their own mentions {len(self.refounded)}, unmatched {len(self.unmatched)}, "
            f"different works/names/collaborators {len(self.differing)}; trust scores differing {self.scores_differing} "
            f"(largest {self.largest_score_difference:g} points, bound {COLLABORATION_LAG_BOUND}), "
            f"other trust components differing {len(self.other_components_differing)}"
        )


def compare(reference: Indexed, other: Indexed) -> Comparison:
    """`other` against `reference`: see the module docstring for what may differ."""
    shapes_1 = {rid: _shape(doc) for rid, doc in reference.researchers.items()}
    shapes_2 = {rid: _shape(doc) for rid, doc in other.researchers.items()}
    by_content_2: dict[tuple, list[str]] = {}
    for rid in shapes_2.keys() - shapes_1.keys():
        by_content_2.setdefault((shapes_2[rid]["display_name"], tuple(shapes_2[rid]["works"])), []).append(rid)
    refounded: dict[str, str] = {}
    unmatched: list[str] = []
    for rid in sorted(shapes_1.keys() - shapes_2.keys()):
        matches = by_content_2.get((shapes_1[rid]["display_name"], tuple(shapes_1[rid]["works"])), [])
        founders = _founder_ids(reference.researchers[rid])
        if len(matches) == 1 and matches[0] in founders and rid in founders:
            refounded[rid] = matches[0]
        else:
            unmatched.append(rid)
    unmatched += sorted(shapes_2.keys() - shapes_1.keys() - set(refounded.values()))

    def renamed(shape: dict) -> dict:
        return {**shape, "collaborators": sorted((refounded.get(c, c), n) for c, n in shape["collaborators"]),
                "merged_into": refounded.get(shape["merged_into"], shape["merged_into"])}

    differing = sorted(
        rid for rid in shapes_1 if rid not in unmatched and renamed(shapes_1[rid]) != shapes_2[refounded.get(rid, rid)]
    )
    pairs = [(reference.researchers[rid], other.researchers[refounded.get(rid, rid)]) for rid in shapes_1 if rid not in unmatched]
    score_differences = [abs(_trust(a)[0] - _trust(b)[0]) for a, b in pairs]
    components = {}
    for a, b in pairs:
        (_, points_a), (_, points_b) = _trust(a), _trust(b)
        moved = {name: (points_a.get(name), points_b.get(name)) for name in points_a.keys() | points_b.keys()
                 if name != "collaboration_network" and points_a.get(name) != points_b.get(name)}
        if moved:
            components[a["profile"]["researcher_id"]] = moved
    return Comparison(
        papers=len(other.papers),
        researchers=len(other.researchers),
        refounded=refounded,
        unmatched=unmatched,
        differing=differing,
        scores_differing=sum(1 for d in score_differences if d),
        largest_score_difference=max(score_differences, default=0),
        other_components_differing=components,
    )


def assert_same(reference: Indexed, other: Indexed) -> Comparison:
    found = compare(reference, other)
    assert other.papers.keys() == reference.papers.keys()
    assert {k: v["version"] for k, v in other.papers.items()} == {k: v["version"] for k, v in reference.papers.items()}
    assert found.unmatched == [], f"researchers without a counterpart: {found.unmatched[:5]}"
    assert found.differing == [], f"researchers that differ: {found.differing[:5]}"
    assert found.other_components_differing == {}
    assert found.largest_score_difference <= COLLABORATION_LAG_BOUND
    return found


# The one-worker reference run, shared by the tests that compare against it ---------------------

REFERENCE_RECORDS = 240


@pytest.fixture(scope="session")
def reference(cluster, tmp_path_factory) -> Iterator[Indexed]:
    """The papers and researchers one worker makes of the first REFERENCE_RECORDS sample records."""
    namespace = Namespace(cluster, tmp_path_factory.mktemp("reference"))
    try:
        produced = namespace.ingest(REFERENCE_RECORDS)["produced"]
        began = time.monotonic()
        run = namespace.cli("run", "--until-caught-up", "--timeout", "900", "--json", timeout=1000)
        assert run.returncode == 0, run.stderr + run.stdout
        result = json.loads(run.stdout)
        found = indexed(namespace.settings())
        print(f"\nreference (1 worker): {len(found.papers)} papers, {len(found.researchers)} researchers in "
              f"{time.monotonic() - began:.0f} s, worker CPU {result['cpu_seconds']}")
        assert len(found.papers) == produced > REFERENCE_RECORDS * 0.9
        yield found
    finally:
        namespace.clean_up()
