"""`scholarstream eval search`: known-item researcher search over the indexed real data.

Targets are researchers of the current `researchers` index with at least `min_works` works,
sampled deterministically (by a hash of their id). For each target, queries are written from its
own most printed written-out name the way people type names: in full, initialled, as
"surname, initial", reordered, without diacritics, and as the surname plus the name of its top
topic. A query succeeds at k when the target is among the first k hits. The baseline, run on the
same queries in the same run, is what a plain search box does: the words matched against the
display name with the standard analyzer (no folding, no name forms, no prior).

Caveat: the truth is the index itself (one profile per linked researcher), so this measures
search, not linking; and a real namesake with more works can rightly take rank 1 for an
initialled query, which counts as a miss here.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch

from foundation.settings import Settings
from indexers.mappings import RESEARCHERS
from indexers.researcher_search import ResearcherQuery, search_researchers
from schemas.names import fold

KINDS = ("full", "initialled", "surname_initial", "reordered", "no_diacritics", "surname_topic")
DEPTH = 10
_INITIAL = re.compile(r"^[A-Za-z]\.?$")


@dataclass(frozen=True)
class KnownItem:
    target: str
    kind: str
    query: str


def written_out_name(profile: dict[str, Any]) -> tuple[str, str] | None:
    """(given names, surname) as printed, from the most printed variant whose first given name is
    written out; None when every variant is initialled or has no known surname."""
    variants = sorted(profile["name_variants"], key=lambda v: (-v["works"], v["name"]))
    for variant in variants:
        surname = variant.get("surname") or ""
        name = variant["name"]
        if not surname or not name.endswith(surname):
            continue
        given = name[: len(name) - len(surname)].strip()
        words = given.replace("-", " ").split()
        if words and not _INITIAL.match(words[0]) and len(words[0]) > 1:
            return given, surname
    return None


def queries_for(profile: dict[str, Any]) -> list[KnownItem]:
    """The known-item queries for one researcher (fewer when a form does not apply)."""
    name = written_out_name(profile)
    if name is None:
        return []
    given, surname = name
    rid = profile["researcher_id"]
    words = given.replace("-", " ").split()
    initials = " ".join(f"{word[0]}." for word in words)
    full = f"{given} {surname}"
    items = [
        KnownItem(rid, "full", full),
        KnownItem(rid, "initialled", f"{initials} {surname}"),
        KnownItem(rid, "surname_initial", f"{surname}, {words[0][0]}"),
        KnownItem(rid, "reordered", f"{surname} {given}"),
    ]
    if fold(full) != full.lower():
        items.append(KnownItem(rid, "no_diacritics", fold(full)))
    if profile.get("top_topics"):
        items.append(KnownItem(rid, "surname_topic", f"{surname} {profile['top_topics'][0]['name']}"))
    return items


def sample_targets(
    es: Elasticsearch, settings: Settings, size: int, min_works: int, prolific: bool = False, seed: str = ""
) -> list[dict[str, Any]]:
    """Up to `size` researchers with at least `min_works` works, chosen by a hash of their id, or
    the most prolific ones (most works first) with `prolific`."""
    response = es.search(
        index=RESEARCHERS.alias(settings),
        query={"bool": {"filter": [{"range": {"works_count": {"gte": min_works}}}],
                        "must_not": [{"exists": {"field": "merged_into"}}]}},
        source_includes=["profile.researcher_id", "profile.name_variants", "profile.top_topics", "works_count"],
        size=10_000,
        sort=["_doc"],
    )
    hits = response["hits"]["hits"]
    if prolific:
        hits.sort(key=lambda hit: (-hit["_source"]["works_count"], hit["_id"]))
    else:
        hits.sort(key=lambda hit: hashlib.sha1((seed + hit["_id"]).encode()).hexdigest())
    return [hit["_source"]["profile"] for hit in hits[:size]]


def baseline_ranking(es: Elasticsearch, settings: Settings, query: str, depth: int = DEPTH) -> list[str]:
    response = es.search(
        index=RESEARCHERS.alias(settings),
        query={"bool": {"must": {"match": {"display_name": query}}, "must_not": {"exists": {"field": "merged_into"}}}},
        size=depth, source=False,
    )
    return [hit["_id"] for hit in response["hits"]["hits"]]


def summarise(ranks: Sequence[int | None], latencies_ms: Sequence[float] | None = None) -> dict[str, Any]:
    """success@1, success@10, MRR (a miss beyond the depth scores 0), and latency percentiles."""
    n = len(ranks)
    result: dict[str, Any] = {
        "queries": n,
        "success_at_1": round(sum(1 for r in ranks if r == 1) / n, 4) if n else None,
        "success_at_10": round(sum(1 for r in ranks if r is not None and r <= 10) / n, 4) if n else None,
        "mrr": round(sum(1 / r for r in ranks if r is not None) / n, 4) if n else None,
    }
    if latencies_ms:
        p50, p95, p99 = np.percentile(np.asarray(latencies_ms), [50, 95, 99])
        result["latency_ms"] = {"p50": round(float(p50), 2), "p95": round(float(p95), 2), "p99": round(float(p99), 2)}
    return result


AGREEING_FORMS = ("full", "reordered", "surname_initial")


def form_agreement(firsts: dict[str, dict[str, str | None]]) -> dict[str, Any]:
    """How often "surname, initial", the full name and the reordered name put the same researcher
    first, and how often that researcher is the target."""
    asked = {target: kinds for target, kinds in firsts.items() if all(kind in kinds for kind in AGREEING_FORMS)}
    same = [t for t, kinds in asked.items() if len({kinds[kind] for kind in AGREEING_FORMS}) == 1]
    right = [t for t in same if asked[t]["full"] == t]
    n = len(asked)
    return {
        "targets": n,
        "same_first": round(len(same) / n, 4) if n else None,
        "same_first_and_target": round(len(right) / n, 4) if n else None,
    }


def rank_of(target: str, ranking: Sequence[str]) -> int | None:
    return ranking.index(target) + 1 if target in ranking else None


def evaluate_search(
    es: Elasticsearch,
    settings: Settings,
    *,
    targets: int = 300,
    min_works: int = 5,
    modes: Sequence[str] = ("text",),
    embed: Callable[[str], Sequence[float]] | None = None,
    on_query: Callable[[int, int], None] | None = None,
    prolific: bool = False,
    seed: str = "",
) -> dict[str, Any]:
    es.indices.refresh(index=RESEARCHERS.alias(settings))
    profiles = sample_targets(es, settings, targets, min_works, prolific, seed)
    items = [item for profile in profiles for item in queries_for(profile)]
    total = len(items) * (len(modes) + 1)
    done = 0
    per_method: dict[str, dict[str, Any]] = {}
    for method in (*modes, "baseline_display_name_match"):
        ranks: dict[str, list[int | None]] = {kind: [] for kind in KINDS}
        latencies: list[float] = []
        firsts: dict[str, dict[str, str | None]] = {}
        for item in items:
            began = time.perf_counter()
            if method == "baseline_display_name_match":
                ranking = baseline_ranking(es, settings, item.query)
            else:
                hits = search_researchers(es, settings, ResearcherQuery(item.query, size=DEPTH, mode=method), embed=embed).hits  # type: ignore[arg-type]  # validated
                ranking = [hit.researcher_id for hit in hits]
            latencies.append((time.perf_counter() - began) * 1000)
            ranks[item.kind].append(rank_of(item.target, ranking))
            firsts.setdefault(item.target, {})[item.kind] = ranking[0] if ranking else None
            done += 1
            if on_query is not None:
                on_query(done, total)
        per_method[method] = {"ranks": ranks, "latencies": latencies, "agreement": form_agreement(firsts)}
    results: dict[str, Any] = {
        "index": RESEARCHERS.alias(settings),
        "sampling": "most works first" if prolific else f"hash of the researcher id (seed {seed!r})",
        "targets": len(profiles),
        "min_works": min_works,
        "queries": len(items),
        "examples": [item.__dict__ for item in items[:12]],
        "methods": {},
    }
    for method, data in per_method.items():
        all_ranks = [r for kind in KINDS for r in data["ranks"][kind]]
        results["methods"][method] = {
            "all": summarise(all_ranks, data["latencies"]),
            "forms_agree": data["agreement"],
            "by_kind": {kind: summarise(data["ranks"][kind]) for kind in KINDS if data["ranks"][kind]},
        }
    return results


def print_table(results: dict[str, Any], write: Callable[[str], None] = print) -> None:
    write(f"known-item researcher search: {results['targets']} researchers with >= {results['min_works']} works, "
          f"{results['queries']} queries, index {results['index']}")
    write(f"{'method':<30} {'kind':<16} {'n':>5} {'S@1':>6} {'S@10':>6} {'MRR':>6}")
    for method, data in results["methods"].items():
        for kind, figures in [("all", data["all"]), *data["by_kind"].items()]:
            write(f"{method:<30} {kind:<16} {figures['queries']:>5} {figures['success_at_1']:>6.3f} "
                  f"{figures['success_at_10']:>6.3f} {figures['mrr']:>6.3f}")
        agree = data.get("forms_agree")
        if agree and agree["targets"]:
            write(f"{method:<30} full / reordered / 'surname, initial' put the same researcher first: "
                  f"{agree['same_first']:.3f} (and it is the target: {agree['same_first_and_target']:.3f})")
        latency = data["all"].get("latency_ms")
        if latency:
            write(f"{method:<30} latency ms p50 {latency['p50']} p95 {latency['p95']} p99 {latency['p99']}")
