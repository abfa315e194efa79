"""Search latency: researcher searches through the HTTP API, from a separate load process
(benchmark 4 of docs/performance.md).

`scholarstream serve` runs as its own process on a free loopback port, reading the researchers
index of `--namespace` (read-only: nothing is written). This process is the load generator:
closed-loop clients (each sends its next request when the previous one answered), at 1 and at 8
concurrent clients, with keep-alive connections. Queries are drawn from the index itself: a
sample of researchers gives their names in full ("Csaba Balazs"), initialled ("C. Balazs"),
"surname, initial" ("Balazs, C"), their top topic's words (text mode), a work title in
`mode=semantic`, and the topic words in `mode=hybrid`. The warm-up (which also loads the query
encoder in the server) is not counted. Per kind and overall: p50/p95/p99 client-side, requests/s,
and Elasticsearch's own `took` as the API reports it.

The semantic kinds need the encoder that built the index's embeddings: it is read from the
papers index (`encoder` field) unless `--encoder` is given.

Usage: python -m bench.search_latency [--namespace full] [--requests 400] [--clients 1,8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlencode

from bench.common import UNLIMITED_API, load_average, namespace_env, percentiles, print_table, serving, write_result
from clients import es_io
from evaluation.search import written_out_name
from foundation.settings import Settings
from indexers.mappings import PAPERS, RESEARCHERS
from scholarstream.proc_usage import usage_of

KINDS = ("name_full", "initials", "surname_initial", "topic", "semantic", "hybrid")


def query_pool(es, settings: Settings, size: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, mode, text) for researchers sampled at random (seeded) among those with 2+ works."""
    response = es.search(
        index=RESEARCHERS.alias(settings), size=size,
        query={"function_score": {
            "query": {"bool": {"filter": [{"range": {"works_count": {"gte": 2}}}],
                               "must_not": [{"exists": {"field": "merged_into"}}]}},
            "random_score": {"seed": seed, "field": "_seq_no"},
        }},
        source_includes=["profile.researcher_id", "profile.name_variants", "profile.top_topics", "work_titles"],
    )
    pool: list[tuple[str, str, str]] = []
    for hit in response["hits"]["hits"]:
        profile, titles = hit["_source"]["profile"], hit["_source"].get("work_titles") or []
        name = written_out_name(profile)
        if name is not None:
            given, surname = name
            words = given.replace("-", " ").split()
            pool += [("name_full", "text", f"{given} {surname}"),
                     ("initials", "text", " ".join(f"{w[0]}." for w in words) + f" {surname}"),
                     ("surname_initial", "text", f"{surname}, {words[0][0]}")]
        topics = profile.get("top_topics") or []
        if topics:
            pool += [("topic", "text", topics[0]["name"]), ("hybrid", "hybrid", topics[0]["name"])]
        if titles:
            pool.append(("semantic", "semantic", titles[0][:300]))
    return pool


def index_encoder(es, settings: Settings) -> str | None:
    response = es.search(index=PAPERS.alias(settings), size=1, source_includes=["encoder"])
    hits = response["hits"]["hits"]
    return hits[0]["_source"].get("encoder") if hits else None


def run_load(port: int, requests: list[tuple[str, str, str]], clients: int) -> dict:
    """Send `requests` with `clients` closed-loop clients; per request: kind, seconds, status, took_ms."""
    lock = threading.Lock()
    queue = iter(requests)
    outcomes: list[tuple[str, float, int, float | None]] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            kind, mode, text = item
            path = "/researchers/search?" + urlencode({"q": text, "mode": mode, "size": 10})
            began = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                body, status = b"", 0
            seconds = time.perf_counter() - began
            took = json.loads(body).get("took_ms") if status == 200 else None
            with lock:
                outcomes.append((kind, seconds, status, took))
        connection.close()

    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {"outcomes": outcomes, "wall_seconds": wall}


def summarise(load: dict) -> dict:
    outcomes = load["outcomes"]
    ok = [o for o in outcomes if o[2] == 200]
    by_kind: dict[str, dict] = {}
    grouped = defaultdict(list)
    for outcome in ok:
        grouped[outcome[0]].append(outcome)
    for kind in KINDS:
        items = grouped.get(kind, [])
        by_kind[kind] = {
            "latency_ms": percentiles([o[1] * 1000 for o in items]),
            "es_took_ms": percentiles([o[3] for o in items if o[3] is not None]),
        }
    text_only = [o for o in ok if o[0] not in ("semantic", "hybrid")]
    return {
        "requests": len(outcomes),
        "errors": len(outcomes) - len(ok),
        "requests_per_second": round(len(outcomes) / load["wall_seconds"], 1),
        "latency_ms": percentiles([o[1] * 1000 for o in ok]),
        "text_modes_latency_ms": percentiles([o[1] * 1000 for o in text_only]),
        "es_took_ms": percentiles([o[3] for o in ok if o[3] is not None]),
        "by_kind": by_kind,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--namespace", default="full", help="whose researchers index to search (read-only)")
    parser.add_argument("--requests", type=int, default=600, help="measured requests per concurrency level")
    parser.add_argument("--warmup", type=int, default=60, help="requests before measuring (not counted)")
    parser.add_argument("--clients", default="1,8", help="concurrency levels, comma separated")
    parser.add_argument("--pool", type=int, default=300, help="researchers sampled for queries")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--encoder", default=None, help="query encoder; default: the one recorded in the papers index")
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    parser.add_argument("--name", default="search_latency")
    args = parser.parse_args()

    env = namespace_env(args.namespace)
    os.environ.update(env)
    settings = Settings()
    es = es_io.client(settings)
    encoder = args.encoder or index_encoder(es, settings) or settings.encoder_model
    env["SCHOLARSTREAM_ENCODER_MODEL"] = encoder
    pool = query_pool(es, settings, args.pool, args.seed)
    if not pool:
        raise SystemExit(f"no researchers with 2+ works in {RESEARCHERS.alias(settings)}")
    rng = random.Random(args.seed)
    by_kind = defaultdict(list)
    for item in pool:
        by_kind[item[0]].append(item)
    kinds = [kind for kind in KINDS if by_kind[kind]]

    def draw(count: int) -> list[tuple[str, str, str]]:
        """Kinds in equal shares, round robin; queries at random within a kind."""
        return [rng.choice(by_kind[kinds[i % len(kinds)]]) for i in range(count)]

    researchers = int(es.count(index=RESEARCHERS.alias(settings))["count"])
    env.update(UNLIMITED_API)  # it measures the searches, not the server's protection
    load_before = load_average()
    levels: dict[str, dict] = {}
    with serving(env, "bench-search-", args.startup_timeout) as api:
        warm = run_load(api.port, [i for k in kinds for i in by_kind[k][:1]] + draw(args.warmup), 1)
        if not any(o[2] == 200 for o in warm["outcomes"]):
            raise SystemExit(f"every warm-up request failed; see {api.log}")
        for clients in (int(c) for c in args.clients.split(",")):
            levels[str(clients)] = summarise(run_load(api.port, draw(args.requests), clients))
            print(f"{clients} clients: {levels[str(clients)]['requests_per_second']} requests/s", file=sys.stderr)
        server_usage = usage_of(api.process.pid)

    result = {
        "namespace": args.namespace,
        "researchers_indexed": researchers,
        "query_encoder": encoder,
        "query_pool": {kind: len(by_kind[kind]) for kind in kinds},
        "warmup_requests": len(warm["outcomes"]),
        "clients": levels,
        "server_peak_rss_mib": server_usage.peak_rss_mib if server_usage else None,
        "load_average": {"before": load_before, "after": load_average()},
        "method": "closed-loop clients over keep-alive HTTP on loopback; latency = request sent to body read, client side",
    }
    path = write_result(args.name, result)
    rows = []
    for level, figures in levels.items():
        rows.append((level, "all", figures["requests"], figures["errors"], figures["requests_per_second"],
                     *(figures["latency_ms"][q] for q in ("p50", "p95", "p99")), figures["es_took_ms"]["p95"]))
        rows.append((level, "text modes", figures["text_modes_latency_ms"]["n"], "", "",
                     *(figures["text_modes_latency_ms"][q] for q in ("p50", "p95", "p99")), ""))
        for kind, data in figures["by_kind"].items():
            rows.append((level, kind, data["latency_ms"]["n"], "", "",
                         *(data["latency_ms"][q] for q in ("p50", "p95", "p99")), data["es_took_ms"]["p95"]))
    print_table(f"researcher search via HTTP on {args.namespace} ({researchers} researchers, encoder {encoder}); "
                f"load {load_before} -> {result['load_average']['after']}",
                ["clients", "kind", "n", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "ES took p95 ms"], rows)
    print(f"written {path}")


if __name__ == "__main__":
    main()
