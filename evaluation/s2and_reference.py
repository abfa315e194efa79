"""S2AND's released production model on the pseudo-namesakes, as a reference beside our linker.

`python -m evaluation.s2and_reference [--json] [--no-vectors] [--no-pairwise]` (needs `../shared/data`; the first run
also installs S2AND into a virtualenv of its own, a few minutes).

S2AND (Semantic Scholar's author disambiguation, MIT licence) is what a mature system does with the
same question, so its figures on our pseudo-namesakes (`evaluation/namesakes.py`) say whether a low
score is ours or the set's. It pins numpy<2 and much else that the project cannot take, so it runs in
its own virtualenv (`ensure_venv`), driven through `evaluation/s2and_runner.py`, a script that
imports only S2AND and speaks JSON. This module makes the inputs, runs it, and scores its clusters
with the namesakes' own `score`, beside the linker's, on the same mentions and splits.

S2AND gets exactly what an arXiv record gives (`s2and_inputs`): no references, emails or ORCIDs, and
none of the artefacts it would fetch from the network (the runner's docstring lists them; the
results file records them under `s2and.lacked`). It clusters each block in one batch, seeing every
mention at once; our linker links in stream order and never revisits a decision except by merging.

It runs twice. `s2and` has no name-count tables at all (S2AND's own, `name_counts.pickle`, are
fetched from its release bucket, out of reach here). `s2and_arxiv_name_counts` has tables of the
same four kinds built from the arXiv data the project holds (`arxiv_name_counts`): the 2016 cs OAI
harvest as published, plus the 2025-2026 daily author lists, which is what a deployment would have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from evaluation import namesakes
from evaluation.namesakes import NamesakeSet, TargetName
from foundation.errors import ScholarStreamError
from schemas.papers import RawPaper

S2AND_VERSION = "0.51.2"
DEFAULT_VENV = Path.home() / ".cache" / "scholarstream" / f"s2and-{S2AND_VERSION}"
RUNNER = Path(__file__).with_name("s2and_runner.py")
RESULTS = Path(__file__).parent / "results" / "linking_s2and.json"
COMPLETE = ".complete"
STDERR_TAIL = 40
S2AND_METHODS = ("s2and", "s2and_arxiv_name_counts")
METHODS = (*namesakes.METHODS, *S2AND_METHODS)
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
NAME_COUNTS_SOURCE = (
    "author lines of the 2016 cs OAI harvest as published (namesakes.read_oai_raw, before any renaming) and of the "
    "2025-2026 daily author lists (namesakes.daily_author_lists); one count per author line (a mention), keyed by "
    "the first given name and the surname as S2AND's signature would carry them"
)


# --- the inputs ---------------------------------------------------------------------------------


def _split_forenames(forenames: str) -> tuple[str | None, str | None]:
    """arXiv's forenames as S2AND's first and middle: 'John A.' -> ('John', 'A.'), 'Wei' -> ('Wei', None)."""
    parts = forenames.split()
    if not parts:
        return None, None
    return parts[0], " ".join(parts[1:]) or None


def _paper_record(paper: RawPaper, paper_id: int) -> dict[str, Any]:
    """The paper in S2AND's papers.json shape; arXiv has no venue, its journal-ref is the closest to a journal name."""
    return {
        "paper_id": paper_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "year": paper.year,
        "venue": None,
        "journal_name": paper.journal_ref or None,
        "authors": [{"position": position, "author_name": author.full_name} for position, author in enumerate(paper.authors)],
        "references": None,
    }


def _signature_record(key: str, paper: RawPaper, paper_id: int, position: int, block: str) -> dict[str, Any]:
    author = paper.authors[position]
    first, middle = _split_forenames(author.forenames)
    return {
        "signature_id": key,
        "paper_id": paper_id,
        "author_info": {
            "position": position,
            "block": block,
            "first": first,
            "middle": middle,
            "last": author.keyname,
            "suffix": author.suffix or None,
            "email": None,
            "affiliations": list(author.affiliations),
        },
    }


def s2and_inputs(names_set: NamesakeSet, raw_papers: Sequence[RawPaper]) -> dict[str, Any]:
    """The affected papers (renamed) and one signature per renamed mention, as S2AND's production model reads them.

    Papers are numbered 1, 2, ... in the set's stream order (S2AND wants integer paper ids) and
    carry title, abstract, year, the author list in order (the coauthors S2AND derives) and the
    journal-ref as journal name. A signature's id is our mention key ("arxivid#position") and its
    block is our blocking key (folded surname + first initial: `schemas.names.blocking_key`), the
    block the linker links in; it is S2AND's own convention (first initial + surname) up to folding,
    and on this set every renamed mention of one target name shares it. Only renamed mentions become
    signatures; the other authors are coauthor context, as they are for the linker.
    """
    by_id = {paper.arxiv_id: paper for paper in raw_papers}
    targets: dict[str, TargetName] = {group.target.key: group.target for group in names_set.groups}
    renamed: dict[str, list[int]] = {}
    for key in names_set.truth:
        paper_id, _, line = key.rpartition("#")
        renamed.setdefault(paper_id, []).append(int(line))
    papers: dict[str, dict[str, Any]] = {}
    signatures: dict[str, dict[str, Any]] = {}
    for number, silver in enumerate(names_set.papers, start=1):
        if silver.paper_id not in renamed:
            continue
        paper = by_id[silver.paper_id]
        blocks = {mention.position: mention.blocking_key for mention in silver.mentions}
        for position in sorted(renamed[silver.paper_id]):
            key = f"{silver.paper_id}#{position}"
            paper = namesakes.rename_paper(paper, position, targets[names_set.group_of[key]])
            signatures[key] = _signature_record(key, paper, number, position, blocks[position])
        papers[str(number)] = _paper_record(paper, number)
    return {"papers": papers, "signatures": signatures}


# --- name counts from the arXiv data ----------------------------------------------------------


def _oai_name_parts(papers: Iterable[RawPaper]) -> Iterator[tuple[str, str]]:
    """(first, last) of every author line, split as the signatures are (`_signature_record`)."""
    for paper in papers:
        for author in paper.authors:
            if author.keyname:
                yield _split_forenames(author.forenames)[0] or "", author.keyname


def _plain_name_parts(text: str) -> tuple[str, str] | None:
    """'Yang Liu' -> ('Yang', 'Liu'), 'Ana M. Silva Jr.' -> ('Ana', 'Silva'): the daily files print one string per
    author, given names first; the first word is the first name, the last (a suffix aside) the surname."""
    words = text.split()
    if len(words) > 1 and words[-1].strip(".,").lower() in NAME_SUFFIXES:
        words = words[:-1]
    if not words:
        return None
    return (words[0] if len(words) > 1 else ""), words[-1]


def _daily_name_parts(author_lists: Iterable[Sequence[str]]) -> Iterator[tuple[str, str]]:
    for authors in author_lists:
        for text in authors:
            parts = _plain_name_parts(text)
            if parts is not None:
                yield parts


def count_name_parts(papers: Iterable[RawPaper], author_lists: Iterable[Sequence[str]]) -> dict[tuple[str, str], int]:
    """(first name, surname) as printed -> author lines carrying it, over OAI papers and daily author lists.

    The raw material of S2AND's name-count tables, in the shape of the query S2AND built its own from
    (scripts/get_name_counts.py in its repository: `count(*)` grouped by first and last name). S2AND
    counts rows of Semantic Scholar's author table, one per author profile; we have no author
    identities, so each author line (a mention) counts one. That overstates prolific authors where
    S2's profiles would not, but keeps what the features are for, how many people a name may be:
    counting distinct printed names instead would give nearly every full name a count of 1. The
    first name is the first given name (what S2AND's keys keep), the surname arXiv's keyname (OAI)
    or the last word (daily lists). S2AND's own normalisation (ASCII folding, lower case, hyphens)
    is applied by the runner, with S2AND's code (`s2and_runner.name_count_tables`).

    Leakage: pass the harvest as published (`namesakes.read_oai_raw()`), never the renamed
    pseudo-namesakes, whose target names would then be counted with the very mentions being scored;
    the tables are what a deployment would have from the arXiv data alone.
    """
    counts: Counter[tuple[str, str]] = Counter(_oai_name_parts(papers))
    counts.update(_daily_name_parts(author_lists))
    return dict(counts)


def arxiv_name_counts(papers: Sequence[RawPaper], author_lists: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The counts for the runner (rows `[first, last, count]`, the most frequent first) and what they were built from.

    `papers` must be the harvest as published, not the renamed set (see `count_name_parts`)."""
    counts = count_name_parts(papers, author_lists)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "rows": [[first, last, count] for (first, last), count in ranked],
        "built_from": {
            "source": NAME_COUNTS_SOURCE,
            "oai_papers": len(papers),
            "daily_papers": len(author_lists),
            "author_lines": sum(counts.values()),
            "distinct_first_last_as_printed": len(counts),
        },
    }


# --- the separate virtualenv and the run --------------------------------------------------------


def _say(message: str) -> None:
    print(f"[s2and] {message}", file=sys.stderr, flush=True)


def _run_step(command: list[str], what: str) -> None:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise ScholarStreamError(f"could not {what}: {error}") from error
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-STDERR_TAIL:])
        raise ScholarStreamError(f"could not {what} (exit {completed.returncode}):\n{tail}")


def ensure_venv(path: Path = DEFAULT_VENV) -> Path:
    """A virtualenv holding S2AND, made once: S2AND's pins (numpy<2 among them) cannot share ours.

    A marker file is written last, so an interrupted install is redone rather than trusted."""
    if (path / COMPLETE).exists():
        return path
    base = getattr(sys, "_base_executable", sys.executable)  # the interpreter our own venv was made from
    if not (path / "bin" / "python").exists():
        _say(f"creating a virtualenv for S2AND in {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        _run_step([base, "-m", "venv", str(path)], f"create a virtualenv in {path}")
    _say(f"installing s2and=={S2AND_VERSION} into {path} (first time on this machine, a few minutes)")
    _run_step([str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", f"s2and=={S2AND_VERSION}"],
              f"install s2and=={S2AND_VERSION} into {path}")
    (path / COMPLETE).write_text(f"s2and=={S2AND_VERSION}\n", encoding="utf-8")
    _say("S2AND installed")
    return path


def _stream_runner(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the runner, echoing its log to our stderr as it comes (a long run shows progress), and
    keep the tail for the error message."""
    tail: deque[str] = deque(maxlen=STDERR_TAIL)
    try:
        process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    except OSError as error:
        raise ScholarStreamError(f"could not start the S2AND runner: {error}") from error
    assert process.stderr is not None
    for line in process.stderr:
        if not line.strip():
            continue
        tail.append(line.rstrip())
        if "%|" not in line:  # tqdm bars would flood the terminal
            print(f"[s2and] {line.rstrip()}", file=sys.stderr, flush=True)
    return process.wait(), "\n".join(tail)


def run_s2and_reported(inputs: dict[str, Any], venv: Path,
                       name_counts: dict[str, Any] | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """Mention key -> S2AND cluster id, and the runner's account of the run (version, model, what it lacked).

    `name_counts` (`arxiv_name_counts`) go to the runner as a file of their own, which turns them into
    S2AND's four tables; without them S2AND runs with none."""
    python = venv / "bin" / "python"
    if not python.exists():
        raise ScholarStreamError(f"no S2AND virtualenv at {venv}: make it with ensure_venv")
    with tempfile.TemporaryDirectory(prefix="scholarstream-s2and-") as scratch:
        given, predicted = Path(scratch) / "inputs.json", Path(scratch) / "predictions.json"
        given.write_text(json.dumps(inputs), encoding="utf-8")
        command = [str(python), str(RUNNER), str(given), str(predicted)]
        if name_counts is not None:
            counts_file = Path(scratch) / "name_counts.json"
            counts_file.write_text(json.dumps(name_counts["rows"]), encoding="utf-8")
            command.append(str(counts_file))
        env = {**os.environ, "PYTHONNOUSERSITE": "1"}
        env.pop("PYTHONPATH", None)  # the runner must see S2AND's packages, never ours
        code, tail = _stream_runner(command, env)
        if code != 0:
            raise ScholarStreamError(f"the S2AND runner failed (exit {code}); its last lines:\n{tail}")
        try:
            result = json.loads(predicted.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ScholarStreamError(f"the S2AND runner wrote no readable predictions: {error}; its last lines:\n{tail}") from error
    clusters = {str(key): str(cluster) for key, cluster in result["clusters"].items()}
    missing = set(inputs["signatures"]) - set(clusters)
    if missing:
        raise ScholarStreamError(f"S2AND returned no cluster for {len(missing)} mentions, e.g. {sorted(missing)[:3]}")
    return clusters, result["run"]


def run_s2and(inputs: dict[str, Any], venv: Path) -> dict[str, str]:
    """Mention key -> S2AND cluster id."""
    return run_s2and_reported(inputs, venv)[0]


# --- the evaluation -----------------------------------------------------------------------------


def _with_vectors(names_set: NamesakeSet, raw: Sequence[RawPaper]) -> NamesakeSet:
    """The set with each paper's MiniLM vector, as `scholarstream eval linking --vectors` (its default) links it."""
    from encoders.loading import load_encoder
    from foundation.settings import get_settings

    settings = get_settings()
    return namesakes.with_embeddings(names_set, raw, settings, load_encoder(settings))


def _pairwise_linker(names_set: NamesakeSet) -> dict[str, str]:
    """The `pairwise` linker's clusters (`SCHOLARSTREAM_LINKER=pairwise`): its model, the weights where it abstains."""
    from foundation.settings import get_settings
    from stream_processors.linking.policy import policy_named

    policy = policy_named("pairwise", get_settings().encoder_model)  # the encoder `_with_vectors` used
    return namesakes.predictions(names_set, policy.weights, policy.threshold, policy.popularity)["linker"]


def _summary(report: dict[str, Any], methods: Sequence[str]) -> dict[str, dict[str, dict[str, float]]]:
    return {split: {method: report[split][method]["b_cubed"] for method in methods} for split in namesakes.SPLITS}


def evaluate_s2and(venv: Path = DEFAULT_VENV, papers: Sequence[RawPaper] | None = None, vectors: bool = True,
                   pairwise: bool = True, write: Path | None = RESULTS) -> dict[str, Any]:
    """Build the namesakes (seeded, as `scholarstream eval linking` does), cluster them with S2AND
    twice, without name counts and with the arXiv ones (`arxiv_name_counts`, over `papers` as
    published and the daily author lists), link them with our linker (weights, and the pairwise model
    unless `pairwise` is off; both with the papers' MiniLM vectors unless `vectors` is off), and score
    all on the same mentions and splits."""
    started = time.perf_counter()
    raw = namesakes.read_oai_raw() if papers is None else papers
    daily = list(namesakes.daily_author_lists())
    names_set = namesakes.build_namesakes(raw, namesakes.common_names(daily), namesakes.SEED)
    name_counts = arxiv_name_counts(raw, daily)  # the harvest as published: the renamed set never counts
    built = time.perf_counter()
    inputs = s2and_inputs(names_set, raw)
    ready = ensure_venv(venv)
    clusters, run = run_s2and_reported(inputs, ready)
    s2and_done = time.perf_counter()
    counted_clusters, counted_run = run_s2and_reported(inputs, ready, name_counts)
    counted_done = time.perf_counter()
    linked_set = _with_vectors(names_set, raw) if vectors else names_set
    encoded = time.perf_counter()
    predicted = namesakes.predictions(linked_set)
    predicted["s2and"] = clusters
    predicted["s2and_arxiv_name_counts"] = counted_clusters
    methods: tuple[str, ...] = METHODS
    if pairwise:
        predicted["linker_pairwise"] = _pairwise_linker(linked_set)
        methods = (*methods, "linker_pairwise")
    linked = time.perf_counter()
    report = namesakes.score(names_set, predicted, namesakes.SPLITS, methods=methods)
    given = {"papers": len(inputs["papers"]), "signatures": len(inputs["signatures"]),
             "fields": "title, abstract, year, authors in order (coauthors), affiliations, "
                       "journal-ref as journal_name; no venue, references, emails or ORCIDs",
             "blocks": "our blocking key (folded surname + first initial)"}
    results: dict[str, Any] = {
        "set": namesakes.SET_NAME,
        "seed": namesakes.SEED,
        "protocol": (
            "Pseudo-namesakes (evaluation/namesakes.py): renamed mentions scored, split by target name into dev and "
            "held_out. 's2and' is S2AND's production model clustering each block in one batch, given only what the "
            "arXiv record carries, without SPECTER2 vectors or name counts; 's2and_arxiv_name_counts' is the same "
            "run with name-count tables built from the arXiv data (the OAI harvest as published, before renaming, "
            "and the daily author lists; see name_counts); 'linker' is our linker with the default weights, "
            "'linker_pairwise' the packaged pairwise model (SCHOLARSTREAM_LINKER=pairwise), both linking in stream "
            "order with the merge step, with the papers' vectors where linker_vectors says so."
        ),
        "s2and": {**run, "inputs": given},
        "s2and_arxiv_name_counts": {**counted_run, "inputs": given},
        "name_counts": {**name_counts["built_from"], "tables": counted_run.get("name_counts", {}).get("tables")},
        "pairwise_linker": pairwise,
        "linker_vectors": "MiniLM (the configured encoder), as eval linking --vectors" if vectors else None,
        "papers": len(names_set.papers),
        "mentions_scored": len(names_set.truth),
        "people": len(set(names_set.truth.values())),
        "clusters_predicted": {method: len(set(predicted[method].values())) for method in methods},
        "seconds": {"build_set_and_counts": round(built - started, 2), "s2and_total": round(s2and_done - built, 2),
                    "s2and_arxiv_name_counts_total": round(counted_done - s2and_done, 2),
                    "encode_vectors": round(encoded - counted_done, 2), "link_ours": round(linked - encoded, 2),
                    "all": round(time.perf_counter() - started, 2)},
        "b_cubed": _summary(report, methods),
        **report,
    }
    if write is not None:
        write.parent.mkdir(parents=True, exist_ok=True)
        write.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def _print_table(results: dict[str, Any]) -> None:
    print(f"S2AND {results['s2and']['s2and_version']}, {results['s2and']['model']}")
    print("lacked: " + "; ".join(item["artifact"] for item in results["s2and"]["lacked"]))
    print(f"arXiv name counts: {results['name_counts']['tables']}")
    print(f"{'split':<10} {'method':<24} {'B3 P':>7} {'B3 R':>7} {'B3 F1':>7}")
    for split in ("held_out", "dev", "all"):
        for method, row in results["b_cubed"][split].items():
            print(f"{split:<10} {method:<24} {row['precision']:>7.3f} {row['recall']:>7.3f} {row['f1']:>7.3f}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        results = evaluate_s2and(vectors="--no-vectors" not in args, pairwise="--no-pairwise" not in args)
    except ScholarStreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if "--json" in args:
        print(json.dumps(results, indent=2))
    else:
        _print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
