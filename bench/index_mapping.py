"""Where Elasticsearch's time a researcher document goes: the same documents into mapping variants.

`scholarstream reindex researchers` is bound by Elasticsearch's own cost a document (0.86 ms on the
`full` index, docs/performance.md 5). This loads one sample of real documents, taken from a
namespace's researchers index, into scratch indices that differ in one part of the mapping (the
vector's index format, the name prefixes, the stored profile), with the bulk bodies encoded once
beforehand so the Python side costs almost nothing, and reads Elasticsearch's own CPU for each
(`_nodes/stats` process CPU, which includes flushes and merges). Variants alternate within each
round, so a noisy neighbour hits all of them alike.

Usage: python -m bench.index_mapping --source-namespace benchfull [--documents 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import alternated_runs, elasticsearch_cpu_ms, namespace_settings, print_table, write_result
from clients import es_io
from foundation.settings import Settings
from indexers.mappings import RESEARCHERS

CHUNK = 500  # documents a bulk request
IN_FLIGHT = 2  # as the reindex: two bulk requests at once

Mapping = dict[str, Any]


def _vector(options: dict[str, Any] | None, indexed: bool = True) -> Callable[[Mapping], Mapping]:
    def change(mapping: Mapping) -> Mapping:
        field = mapping["properties"]["embedding"]
        field["index"] = indexed
        if not indexed:
            field.pop("similarity")
        if options is not None:
            field["index_options"] = options
        return mapping
    return change


def _no_prefixes(mapping: Mapping) -> Mapping:
    mapping["properties"]["names"].pop("index_prefixes")
    return mapping


def _profile_excluded(mapping: Mapping) -> Mapping:
    mapping["_source"] = {"excludes": ["profile"]}
    return mapping


VARIANTS: dict[str, Callable[[Mapping], Mapping]] = {
    "as shipped (bbq_hnsw, Elasticsearch's default)": lambda m: m,
    "as shipped, external versions (as the reindex writes)": lambda m: m,
    "int8_hnsw": _vector({"type": "int8_hnsw"}),
    "hnsw (float32)": _vector({"type": "hnsw"}),
    "bbq_flat (no graph)": _vector({"type": "bbq_flat"}),
    "vector not indexed": _vector(None, indexed=False),
    "names without prefixes": _no_prefixes,
    "profile not in _source": _profile_excluded,
}


def sample(es, alias: str, documents: int) -> list[tuple[str, bytes]]:
    """(id, JSON source) of the first `documents` documents of `alias` in id order."""
    found: list[tuple[str, bytes]] = []
    after: list[Any] | None = None
    while len(found) < documents:
        page = es.search(index=alias, size=min(1_000, documents - len(found)), sort=[{"researcher_id": "asc"}],
                         source_exclude_vectors=False,  # Elasticsearch 9 leaves vectors out of _source by default
                         search_after=after, query={"match_all": {}})
        hits = page["hits"]["hits"]
        if not hits:
            break
        found.extend((hit["_id"], json.dumps(hit["_source"], separators=(",", ":")).encode()) for hit in hits)
        after = hits[-1]["sort"]
    return found


def bodies(documents: list[tuple[str, bytes]], index: str, versioned: bool) -> list[bytes]:
    chunks = []
    for start in range(0, len(documents), CHUNK):
        lines = []
        for doc_id, source in documents[start:start + CHUNK]:
            action: dict[str, Any] = {"_index": index, "_id": doc_id}
            if versioned:  # as the indexer and the reindex write
                action.update(version=1, version_type="external")
            lines.append(json.dumps({"index": action}).encode())
            lines.append(source)
        chunks.append(b"\n".join(lines) + b"\n")
    return chunks


def load(es, settings: Settings, name: str, change: Callable[[Mapping], Mapping], documents: list[tuple[str, bytes]],
         stamp: str) -> dict[str, Any]:
    index = f"{settings.index('bench-mapping')}-{stamp}"
    mapping = change(copy.deepcopy(RESEARCHERS.mappings))
    es.indices.create(index=index, mappings=mapping,
                      settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"})
    chunks = bodies(documents, index, versioned="external versions" in name)
    try:
        cpu_before, began = elasticsearch_cpu_ms(es), time.monotonic()
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            for reply in pool.map(lambda body: es.options(request_timeout=300).bulk(operations=body), chunks):
                if reply["errors"]:
                    raise RuntimeError(f"{name}: a bulk request had errors")
        es.indices.refresh(index=index)
        es.indices.flush(index=index)
        seconds, cpu = time.monotonic() - began, elasticsearch_cpu_ms(es) - cpu_before
        stats = es.indices.stats(index=index, metric=["indexing", "store"])["indices"][index]["primaries"]
        return {
            "variant": name,
            "documents": len(documents),
            "seconds": round(seconds, 2),
            "documents_per_second": round(len(documents) / seconds, 1),
            "elasticsearch_cpu_ms_per_document": round(cpu / len(documents), 3),
            "indexing_ms_per_document": round(stats["indexing"]["index_time_in_millis"] / len(documents), 3),
            "store_bytes_per_document": round(stats["store"]["size_in_bytes"] / len(documents)),
        }
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-namespace", required=True, help="whose researchers index to sample (read only)")
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="only these (repeatable)")
    parser.add_argument("--name", default="index-mapping")
    args = parser.parse_args(argv)

    source = namespace_settings(args.source_namespace)
    es = es_io.client(source)
    documents = sample(es, source.index(RESEARCHERS.name), args.documents)
    measured = alternated_runs(
        args.rounds, args.variant or list(VARIANTS),
        lambda round_number, number, name: load(es, source, name, VARIANTS[name], documents,
                                                f"{os.getpid()}-{round_number}-{number}"),
        lambda run: f"{run['documents_per_second']} documents/s, "
                    f"{run['elasticsearch_cpu_ms_per_document']} ms of Elasticsearch CPU a document")
    runs = measured["runs"]
    print_table("Elasticsearch's cost a researcher document, by mapping variant",
                ["variant", "round", "documents/s", "ES CPU ms/doc", "indexing ms/doc", "bytes/doc"],
                [[r["variant"], r["round"], r["documents_per_second"], r["elasticsearch_cpu_ms_per_document"],
                  r["indexing_ms_per_document"], r["store_bytes_per_document"]] for r in runs])
    path = write_result(args.name, {
        "benchmark": args.name,
        "source_namespace": args.source_namespace,
        "documents": len(documents),
        **measured,
    })
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
