"""Cluster S2AND-format signatures with S2AND's released production model; run by S2AND's own interpreter.

`<s2and venv>/bin/python evaluation/s2and_runner.py INPUTS.json PREDICTIONS.json [NAME_COUNTS.json]`

S2AND pins numpy<2 and much else that the project cannot take, so it lives in a virtualenv of its
own (`evaluation.s2and_reference.ensure_venv`) and this script is the only code that runs there. It
imports nothing of the project, only S2AND and the standard library, and speaks JSON both ways:

- in: `{"papers": {paper_id: S2AND paper}, "signatures": {signature_id: S2AND signature}}`, the
  shapes S2AND's production model takes (its `ANDData` with `mode="inference"`).
- optionally, name counts: `[[first, last, count], ...]`, first name and surname as printed
  (`evaluation.s2and_reference.arxiv_name_counts`). `name_count_tables` turns them into the four
  tables of S2AND's `name_counts.pickle` (first, last, first+last, last+first initial), keyed with
  S2AND's own normalisation exactly as `ANDData` looks them up, and they reach `ANDData` the way
  its loader hands over a dict (`load_name_counts={"first_dict": ..., ...}`).
- out: `{"clusters": {signature_id: cluster_id}, "run": {...}}`: what ran (S2AND version, model
  bundle, backend), what it lacked, and the name-count tables' sizes and hits when given.

The machine may only reach package registries, so everything S2AND would fetch at runtime is
switched off before S2AND is imported, and the run says so in `run.lacked`:

- the fastText language-id model (`lid.176.bin`), which S2AND downloads from its release bucket
  when absent: `S2AND_SKIP_FASTTEXT=1`, so language detection falls back to cld2 alone;
- the name-count tables (`name_counts.pickle`, first / last / full-name frequencies over the
  Semantic Scholar corpus), fetched the same way: `load_name_counts=False`, so the model's
  name-count features are missing (LightGBM sends missing values down its learned default branch),
  unless tables built from our own data are given;
- SPECTER2 paper embeddings, which come from the Semantic Scholar API and are not in the inputs:
  `specter_embeddings=None`, so the embedding-similarity feature is missing.

Blocks are taken as given (`author_info.block`): in inference mode S2AND clusters by the block it is
handed. Each block is clustered in one batch (`Clusterer.predict`), not in stream order.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

S2AND_NAME = "s2and"
NAME_COUNT_TABLES = ("first_dict", "last_dict", "first_last_dict", "last_first_initial_dict")


def _offline_environment(cache: Path) -> None:
    """Before S2AND is imported: nothing fetched, one thread (the machine is shared), caches in `cache`."""
    os.environ["S2AND_SKIP_FASTTEXT"] = "1"
    os.environ.setdefault("S2AND_BACKEND", "python")
    os.environ["S2AND_CACHE"] = str(cache)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(variable, "1")


def _present(path: Any) -> bool:
    """S2AND resolves a missing data file to its download address; only a local file counts as present."""
    resolved = str(path)
    return "://" not in resolved and os.path.exists(resolved)


def s2and_count_key(first: str, last: str) -> tuple[str, str]:
    """First name and surname as printed -> the first-name and surname keys S2AND looks counts up by.

    `ANDData._compute_signature_name_counts` with its default (the production model's) semantics:
    the first given name without apostrophes, a leading title dropped, a hyphenated one joined
    ("Jean-Pierre" -> "jeanpierre"); the surname normalised, a hyphenated or spaced one joined
    ("Ou-Yang" -> "ouyang"). S2AND's middle name never reaches these keys, so none is needed."""
    from s2and.data import _canonicalize_last_for_counts  # type: ignore[import-not-found]  # only in S2AND's venv
    from s2and.text import has_name_dash, normalize_text, split_first_middle_hyphen_aware  # type: ignore[import-not-found]  # only in S2AND's venv

    first_normalized, _ = split_first_middle_hyphen_aware(first, "")
    first_key = first_normalized.split(" ")[0] if first_normalized else ""
    if has_name_dash(first) and first_normalized.replace(" ", ""):
        first_key = first_normalized.replace(" ", "")
    return first_key, _canonicalize_last_for_counts(last, normalize_text(last))


def name_count_tables(rows: Iterable[Sequence[Any]],
                      key: Callable[[str, str], tuple[str, str]] = s2and_count_key) -> dict[str, dict[str, int]]:
    """`[first, last, count]` rows -> S2AND's four name-count tables, as its `name_counts.pickle` holds them.

    Keys as S2AND forms them (scripts/get_name_counts.py in its repository, and the lookups in
    `ANDData`): the first name; the surname; "first last"; "last f" (surname and first initial).
    Entries of 1 are left out, as in S2AND's file: a name it does not find counts 1."""
    tables: dict[str, Counter[str]] = {name: Counter() for name in NAME_COUNT_TABLES}
    for first_raw, last_raw, count in rows:
        first, last = key(str(first_raw), str(last_raw))
        tables["first_dict"][first] += int(count)
        tables["last_dict"][last] += int(count)
        tables["first_last_dict"][f"{first} {last}".strip()] += int(count)
        tables["last_first_initial_dict"][f"{last} {first[:1]}".strip()] += int(count)
    return {name: {key: count for key, count in table.items() if count > 1} for name, table in tables.items()}


def _name_count_hits(dataset: Any) -> dict[str, int]:
    """Signatures whose counts S2AND found in the tables (a count above the default 1), per count."""
    hits = dict.fromkeys(("first", "last", "first_last", "last_first_initial"), 0)
    for signature in dataset.signatures.values():
        counts = signature.author_info_name_counts
        for field in hits:
            value = getattr(counts, field)
            if value is not None and value == value and value > 1:  # NaN (a one-letter first name) is not a hit
                hits[field] += 1
    return hits


def _lacked(specter_given: bool, name_counts_given: bool) -> list[dict[str, str]]:
    from s2and.consts import FASTTEXT_PATH, NAME_COUNTS_PATH  # type: ignore[import-not-found]  # only in S2AND's venv

    lacked = []
    if not _present(FASTTEXT_PATH):
        lacked.append({
            "artifact": "lid.176.bin (fastText language identification)",
            "source": "downloaded by S2AND from its release bucket at first use",
            "effect": "not loaded (S2AND_SKIP_FASTTEXT=1); language detection uses cld2 alone",
        })
    if not _present(NAME_COUNTS_PATH):
        lacked.append({
            "artifact": "name_counts.pickle (first, last, first+last and last+initial frequencies over the S2 corpus)",
            "source": "downloaded by S2AND from its release bucket at first use",
            "effect": ("not loaded; tables of the same four kinds built from the arXiv data given instead (name_counts)"
                       if name_counts_given else
                       "not loaded (load_name_counts=False); the main model's name_counts features are missing (NaN)"),
        })
    if not specter_given:
        lacked.append({
            "artifact": "SPECTER2 paper embeddings",
            "source": "the Semantic Scholar API (embedding.specter_v2); not in the inputs",
            "effect": "specter_embeddings=None; embedding_similarity is missing (NaN) in both models",
        })
    return lacked


def cluster(inputs: dict[str, Any], workdir: Path, name_counts: list[list[Any]] | None = None) -> dict[str, Any]:
    """Signature id -> cluster id from the production model, with what ran and what it lacked;
    `name_counts` are `[first, last, count]` rows (`name_count_tables`), or None for none."""
    _offline_environment(workdir / "cache")
    from importlib.metadata import version

    from s2and.data import ANDData  # only in S2AND's venv (its import is ignored in s2and_count_key)
    from s2and.production_model import DEFAULT_PRODUCTION_MODEL_DIR, load_production_model  # type: ignore[import-not-found]  # only in S2AND's venv

    started = time.perf_counter()
    clusterer = load_production_model(DEFAULT_PRODUCTION_MODEL_DIR)  # checks the bundle's hashes and fixtures
    clusterer.use_cache = False
    clusterer.n_jobs = 1
    tables = name_count_tables(name_counts) if name_counts is not None else None
    loaded = time.perf_counter()
    specter = inputs.get("specter")
    dataset = ANDData(
        signatures=inputs["signatures"],
        papers=inputs["papers"],
        name="scholarstream",
        mode="inference",
        specter_embeddings=specter,
        load_name_counts=tables if tables is not None else False,
        n_jobs=1,
        preprocess=True,
        name_tuples="filtered",
    )
    prepared = time.perf_counter()
    blocks = dataset.get_blocks()
    predicted, _ = clusterer.predict(blocks, dataset)
    clustered = time.perf_counter()
    clusters = {signature: cluster_id for cluster_id, members in predicted.items() for signature in members}
    missing = set(inputs["signatures"]) - set(clusters)
    if missing:
        raise RuntimeError(f"S2AND returned no cluster for {len(missing)} signatures, e.g. {sorted(missing)[:3]}")
    counts_run: dict[str, Any] = {}
    if tables is not None:
        counts_run = {"name_counts": {
            "tables": {name: len(table) for name, table in tables.items()},
            "semantics": dataset.name_counts_last_first_initial_semantics,
            "signatures_found": _name_count_hits(dataset),
        }}
    return {
        "clusters": clusters,
        "run": {
            "s2and_version": version(S2AND_NAME),
            "model": f"production_model_v{clusterer.production_model_bundle_version} "
                     "(pairwise main.lgb + nameless.lgb averaged, FastCluster average linkage)",
            "model_dir": Path(str(DEFAULT_PRODUCTION_MODEL_DIR)).name,
            "cluster_eps": float(clusterer.cluster_model.eps),
            "backend": dataset.runtime_context.resolved_backend,
            "prediction": "Clusterer.predict over each block in one batch (not incremental)",
            "lacked": _lacked(bool(specter), tables is not None),
            **counts_run,
            "blocks": len(blocks),
            "largest_block": max((len(members) for members in blocks.values()), default=0),
            "signatures": len(clusters),
            "seconds": {
                "load_model": round(loaded - started, 2),
                "prepare_data": round(prepared - loaded, 2),
                "featurize_and_cluster": round(clustered - prepared, 2),
            },
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: s2and_runner.py INPUTS.json PREDICTIONS.json [NAME_COUNTS.json]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    inputs = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    output = Path(argv[1])
    name_counts = json.loads(Path(argv[2]).read_text(encoding="utf-8")) if len(argv) == 3 else None
    with tempfile.TemporaryDirectory(prefix="s2and-run-") as scratch:
        result = cluster(inputs, Path(scratch), name_counts)
    output.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
