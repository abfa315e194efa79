"""Page speed and weight: the web app's profile and search pages as a browser asks for them (issue 19).

`scholarstream serve` runs as its own process on a free loopback port over the index of
`--namespace` (read-only). One closed-loop client (keep-alive) asks for HTML (`Accept: text/html`):
profile pages `/researchers/{id}` (the first page of works, with their abstracts) and search pages
`/?q=...` (a name in full, "surname, initial", or a top topic's words), for researchers sampled at
random (seeded) among those with 2+ works. The warm-up is not counted. Latency is client-side, from
request sent to body read, over loopback: the server's time plus a little HTTP.

Page weight: each page's HTML and the scripts and style sheets it names (same origin), fetched
once, raw and gzipped. The graph library (cytoscape.js) is loaded by the graph's own script only
when the graph section opens, so it is reported apart and not counted in the page's weight.

Targets (issue 19): p95 at most 50 ms at one client on the full 2016 index; a page without the
graph library under 150 KB.

Usage: python -m bench.pages [--namespace full] [--requests 400]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import random
import re
import sys
import time
from typing import Any
from urllib.parse import quote, urlencode

from bench.common import UNLIMITED_API, load_average, namespace_env, percentiles, print_table, serving, write_result
from clients import es_io
from evaluation.search import written_out_name
from foundation.settings import Settings
from indexers.mappings import RESEARCHERS
from scholarstream.proc_usage import usage_of

P95_TARGET_MS = 50.0
WEIGHT_TARGET_BYTES = 150_000
GRAPH_LIBRARY = "/static/vendor/cytoscape/cytoscape.min.js"
_ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="stylesheet"[^>]*\shref)="(/[^"]+)"')
HTML = {"Accept": "text/html"}


def sample(es, settings: Settings, size: int, seed: int) -> list[dict]:
    """Researchers with 2+ works, at random (seeded): id, written-out name and top topic."""
    response = es.search(
        index=RESEARCHERS.alias(settings), size=size,
        query={"function_score": {
            "query": {"bool": {"filter": [{"range": {"works_count": {"gte": 2}}}],
                               "must_not": [{"exists": {"field": "merged_into"}}]}},
            "random_score": {"seed": seed, "field": "_seq_no"},
        }},
        source_includes=["profile.researcher_id", "profile.name_variants", "profile.top_topics"],
    )
    people = []
    for hit in response["hits"]["hits"]:
        profile = hit["_source"]["profile"]
        topics = profile.get("top_topics") or []
        people.append({"id": profile["researcher_id"], "name": written_out_name(profile),
                       "topic": topics[0]["name"] if topics else None})
    return people


def requests_for(people: list[dict], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, path): profile and search pages in equal shares; the searches' forms in turn."""
    searches: list[str] = []
    for person in people:
        if person["name"] is not None:
            given, surname = person["name"]
            searches += [f"{given} {surname}", f"{surname}, {given[:1]}"]
        if person["topic"]:
            searches.append(person["topic"])
    chosen = []
    for i in range(count):
        if i % 2 == 0:
            chosen.append(("profile", f"/researchers/{quote(rng.choice(people)['id'])}"))
        else:
            chosen.append(("search", "/?" + urlencode({"q": rng.choice(searches)})))
    return chosen


def timed(port: int, requests: list[tuple[str, str]]) -> list[tuple[str, float, int]]:
    """One closed-loop client: (kind, seconds, status) per request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    outcomes = []
    for kind, path in requests:
        began = time.perf_counter()
        try:
            connection.request("GET", path, headers=HTML)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = 0
        outcomes.append((kind, time.perf_counter() - began, status))
    connection.close()
    return outcomes


def fetch(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=HTML)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")
        return body
    finally:
        connection.close()


def weight(port: int, path: str) -> dict:
    """The page's HTML and the assets it names, raw and gzipped."""
    html = fetch(port, path)
    assets = {asset: fetch(port, asset) for asset in dict.fromkeys(_ASSET.findall(html.decode()))}
    parts = {"html": html, **assets}
    raw = sum(len(body) for body in parts.values())
    zipped = sum(len(gzip.compress(body)) for body in parts.values())
    return {
        "path": path,
        "bytes": {name: len(body) for name, body in parts.items()},
        "total_bytes": raw,
        "total_gzip_bytes": zipped,
        # Loaded with the page (a script or style sheet it names), not on demand by the graph's script.
        "loads_graph_library": GRAPH_LIBRARY in assets,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--namespace", default="full", help="whose index the pages read (read-only)")
    parser.add_argument("--requests", type=int, default=400, help="measured requests (half profiles, half searches)")
    parser.add_argument("--warmup", type=int, default=40, help="requests before measuring (not counted)")
    parser.add_argument("--pool", type=int, default=300, help="researchers sampled")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    parser.add_argument("--name", default="pages")
    args = parser.parse_args()

    env = namespace_env(args.namespace)
    os.environ.update(env)
    settings = Settings()
    es = es_io.client(settings)
    people = sample(es, settings, args.pool, args.seed)
    if not people:
        raise SystemExit(f"no researchers with 2+ works in {RESEARCHERS.alias(settings)}")
    researchers = int(es.count(index=RESEARCHERS.alias(settings))["count"])
    rng = random.Random(args.seed)
    env.update(UNLIMITED_API)  # it measures the pages, not the server's protection
    load_before = load_average()
    with serving(env, "bench-pages-", args.startup_timeout) as api:
        warm = timed(api.port, requests_for(people, args.warmup, rng))
        if not any(status == 200 for _, _, status in warm):
            raise SystemExit(f"every warm-up request failed; see {api.log}")
        print(f"measuring {args.requests} page requests ...", file=sys.stderr)
        outcomes = timed(api.port, requests_for(people, args.requests, rng))
        weights = {"profile": weight(api.port, f"/researchers/{quote(people[0]['id'])}"),
                   "search": weight(api.port, "/?" + urlencode({"q": people[0]["topic"] or "graph"}))}
        graph_library = len(fetch(api.port, GRAPH_LIBRARY))
        server_usage = usage_of(api.process.pid)

    pages: dict[str, dict[str, Any]] = {}
    for kind in ("profile", "search"):
        ok = [seconds * 1000 for k, seconds, status in outcomes if k == kind and status == 200]
        errors = sum(1 for k, _, status in outcomes if k == kind and status != 200)
        latency = percentiles(ok)
        pages[kind] = {
            "requests": len(ok) + errors, "errors": errors, "latency_ms": latency,
            "p95_within_target": latency["p95"] is not None and latency["p95"] <= P95_TARGET_MS,
            "weight": weights[kind],
            "weight_within_target": weights[kind]["total_bytes"] < WEIGHT_TARGET_BYTES and not weights[kind]["loads_graph_library"],
        }
    result = {
        "namespace": args.namespace,
        "researchers_indexed": researchers,
        "clients": 1,
        "pages": pages,
        "graph_library_bytes": graph_library,
        "targets": {"p95_ms": P95_TARGET_MS, "page_bytes_without_graph_library": WEIGHT_TARGET_BYTES},
        "server_peak_rss_mib": server_usage.peak_rss_mib if server_usage else None,
        "load_average": {"before": load_before, "after": load_average()},
        "method": "one closed-loop client over keep-alive HTTP on loopback, Accept: text/html; "
                  "latency = request sent to body read, client side",
    }
    path = write_result(args.name, result)
    rows = [(kind, data["requests"], data["errors"], *(data["latency_ms"][q] for q in ("p50", "p95", "p99")),
             data["weight"]["total_bytes"], data["weight"]["total_gzip_bytes"]) for kind, data in pages.items()]
    print_table(f"pages on {args.namespace} ({researchers} researchers); load {load_before} -> {result['load_average']['after']}",
                ["page", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "bytes", "gzip bytes"], rows)
    print(f"written {path}")


if __name__ == "__main__":
    main()
