"""Awkward but valid papers are enriched, never crash the worker: no abstract, a huge abstract,
non-English text, TeX soup, a title of one character."""

from __future__ import annotations

import json

from clients import kafka_io
from schemas.papers import Author, EnrichedPaper, RawPaper
from schemas.topics import TOPICS
from tests.integration.conftest import cli, read_topic


def paper(arxiv_id: str, title: str, abstract: str) -> RawPaper:
    return RawPaper(
        arxiv_id=arxiv_id, version=1, title=title, abstract=abstract,
        authors=(Author(keyname="Müller", forenames="Jürgen"),), categories=("cs.CL",), source="snapshot",
    )


AWKWARD = [
    paper("2401.00001", "On nothing", ""),
    paper("2401.00002", "A very long abstract", "graph " * 2500 + "decomposition " * 250),
    paper("2401.00003", "基于图神经网络的推荐系统", "本文提出了一种新的推荐方法，并在多个数据集上进行了实验。"),
    paper(
        "2401.00004",
        "$\\mathcal{O}(n^{2})$ bounds",
        "$$\\sum_{i=1}^{n} \\frac{\\partial^2 f}{\\partial x_i^2} = 0$$ \\cite{x} \\\\ \\begin{equation}a\\end{equation}",
    ),
    paper("2401.00005", "X", "Ω"),
]


def test_awkward_papers_are_enriched(settings):
    kafka_io.ensure_topics(settings, TOPICS)
    producer = kafka_io.producer(settings)
    for item in AWKWARD:
        producer.send(settings.topic("arxiv.papers.raw"), key=item.arxiv_id.encode(), value=item.model_dump_json().encode())
    too_long = json.loads(AWKWARD[1].model_dump_json()) | {"arxiv_id": "2401.00006", "abstract": "x" * 30_000}
    producer.send(settings.topic("arxiv.papers.raw"), key=b"2401.00006", value=json.dumps(too_long).encode())
    producer.flush()
    producer.close()

    run = cli("run", "--until-caught-up", "--timeout", "600", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["indexed_documents"] == len(AWKWARD)

    records = read_topic(settings, settings.topic("papers.enriched"))
    enriched = {e.arxiv_id: e for e in (EnrichedPaper.model_validate_json(r.value) for r in records)}
    assert set(enriched) == {p.arxiv_id for p in AWKWARD}
    assert all(len(e.topics) == 3 and e.embedding.dim == 384 for e in enriched.values())
    letters = [json.loads(r.value) for r in read_topic(settings, settings.topic("papers.enrich.dlq"))]
    assert [(letter["key"], letter["field"]) for letter in letters] == [("2401.00006", "abstract")]
    assert enriched["2401.00001"].mentions[0].blocking_key == "muller_j"
