"""Where the worker's CPU goes: a sampling profile of the worker during a backfill (issue 17, item 3).

N harvest records are produced into a fresh namespace (`bench.produce`), then `scholarstream run
--until-caught-up` runs the worker and the indexer; py-spy samples the worker process from the
moment it starts until it exits (`--nonblocking`: the worker is never paused, so the profile does
not slow what it measures). The samples are folded into three tables, written to
`bench/results/NAME.json` and printed:

- **by part**: each sample is charged to the first of `PARTS` that its stack passes through, from
  the innermost frame outwards (the encoder, JSON and pydantic, Kafka clients, faust's own machinery,
  each agent of the pipeline, asyncio's idle wait), so the shares add up to 100 %;
- **by agent**: the agent of the pipeline (`stream_processors/agents/*.py`) each sample ran under;
- **by function**: the 25 functions that are on the CPU the most (own samples), with where they are.

py-spy is a profiler, not a dependency of the project: install it into any environment
(`pip install py-spy`) and give its path with `--py-spy` (default: `py-spy` on the PATH).

Usage: python -m bench.worker_profile [--papers 20000] [--rate 100] [--py-spy PATH] [--name worker_profile]
Fast mode is what the issue's 17 ms a paper was measured with: SCHOLARSTREAM_ENCODER_MODEL=static-minilm-v1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.backfill import child_result, run_child, start_child
from bench.common import RESULTS, delete_namespace, load_average, namespace_env, new_namespace, print_table, write_result
from bench.observe import role_pids
from foundation.settings import Settings

# (part, what a frame's text contains), tried from the innermost frame outwards: the first match
# takes the sample. Order matters: an agent's JSON encoding is "JSON and pydantic", not the agent.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("encoder (torch, the static model)", ("torch/", "sentence_transformers/", "tokenizers", "encoders/")),
    ("JSON and pydantic (validation, encoding, decoding)", ("pydantic/", "pydantic_core", "json/", "orjson", "state_codec.py")),
    ("Kafka clients (aiokafka, kafka-python)", ("aiokafka/", "kafka/")),
    ("faust and mode (streams, tables, changelogs)", ("faust/", "mode/")),
    ("topic model and keyphrases", ("topic_model/", "keyphrases")),
    ("linking (names, evidence, scores, merges)", ("linking/", "linking_stage.py")),
    ("profiles and trust (building, collaborators)", ("profiles/", "trust", "profile_building", "assemble")),
    ("enrichment (other)", ("enrich",)),
    ("agents and boundary (other)", ("agents/",)),
    ("asyncio event loop (socket writes and reads, polling, scheduling)", ("asyncio/", "selectors.py", "uvloop")),
)
# numpy is called by the encoder, the topic model, keyphrases and linking alike: its frames are
# skipped, so the sample goes to whoever called it.
SKIPPED = ("numpy/",)
OTHER = "other (interpreter start-up, logging, ...)"


def frames(stack: str) -> list[str]:
    """py-spy's raw line 'f1 (file:line);f2 (...);... N' without the count, outermost first."""
    return stack.split(";")


def parse_raw(lines: Iterable[str]) -> Counter[str]:
    """Stack -> samples from py-spy's `--format raw` output (one 'stack count' per line)."""
    stacks: Counter[str] = Counter()
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def part_of(stack: str) -> str:
    """The first of `PARTS` met walking from the innermost frame outwards."""
    for frame in reversed(frames(stack)):
        if any(needle in frame for needle in SKIPPED):
            continue
        for part, needles in PARTS:
            if any(needle in frame for needle in needles):
                return part
    return OTHER


def shares(stacks: Counter[str], label: Callable[[str], str]) -> dict[str, float]:
    """Percent of all samples under each label of `label(stack)`, largest first."""
    total = sum(stacks.values())
    labelled: Counter[str] = Counter()
    for stack, samples in stacks.items():
        labelled[label(stack)] += samples
    return {name: round(100 * samples / total, 1) for name, samples in labelled.most_common()} if total else {}


def by_part(stacks: Counter[str]) -> dict[str, float]:
    return shares(stacks, part_of)


def agent_of(stack: str) -> str:
    """The pipeline agent a sample ran under (its `stream_processors/agents/X.py` frame), or where else."""
    for frame in frames(stack):
        if "stream_processors/agents/" in frame:
            module = frame.rsplit("stream_processors/agents/", 1)[1].split(".py", 1)[0]
            return module if module not in ("boundary", "state") else "boundary and state (outside an agent's own code)"
        if "stream_processors/enrich.py" in frame:  # the enrich agent's batches run in an executor thread
            return "enrich"
    return "outside the agents (faust, aiokafka, the event loop)"


def by_agent(stacks: Counter[str]) -> dict[str, float]:
    return shares(stacks, agent_of)


def by_function(stacks: Counter[str], top: int = 25) -> list[dict[str, Any]]:
    """The functions with the most own samples (innermost frame), as a share of all samples."""
    total = sum(stacks.values())
    own: Counter[str] = Counter()
    for stack, samples in stacks.items():
        own[frames(stack)[-1]] += samples
    return [{"function": name, "share_percent": round(100 * samples / total, 2)} for name, samples in own.most_common(top)]


def refold(raw: Path, name: str) -> None:
    """Fold a kept raw profile again (after `PARTS` changed), keeping the run's own figures."""
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text())
    stacks = parse_raw(raw.read_text(errors="replace").splitlines())
    kept = {key: value for key, value in previous.items() if key != "benchmark"}  # the run's time and machine stay
    kept.update(by_part_percent=by_part(stacks), by_agent_percent=by_agent(stacks), by_function=by_function(stacks),
                samples=sum(stacks.values()),
                folded_again_from=str(raw))
    write_result(name, kept)
    print_table("worker CPU by part", ["part", "% of samples"], list(kept["by_part_percent"].items()))
    print_table("worker CPU by agent", ["agent", "% of samples"], list(kept["by_agent_percent"].items()))


def find_py_spy(path: str) -> str:
    """The py-spy executable at `path` or on the PATH; a clear exit when there is none."""
    spy = shutil.which(path)
    if spy is None:
        raise SystemExit(f"py-spy not found ({path}): `pip install py-spy` into any environment and pass --py-spy")
    return spy


def py_spy_record(spy: str, pid: int, rate: int, raw: Path) -> list[str]:
    """py-spy sampling `pid` without pausing it (`--nonblocking`), raw stacks written to `raw` when it stops."""
    return [spy, "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking", "--format", "raw", "--output", str(raw)]


def wait_for_worker(runner: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = role_pids(runner.pid).get("worker")
        if pid is not None:
            return pid
        if runner.poll() is not None:
            raise SystemExit(f"`scholarstream run` exited with {runner.returncode} before its worker started")
        time.sleep(0.1)
    raise SystemExit("the worker did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples a second")
    parser.add_argument("--py-spy", default="py-spy", help="path of the py-spy executable")
    parser.add_argument("--timeout", type=float, default=4 * 3600)
    parser.add_argument("--name", default="worker_profile")
    parser.add_argument("--refold", type=Path, default=None, metavar="RAW",
                        help="no run: fold this raw profile again into the existing results file NAME.json")
    args = parser.parse_args()
    if args.refold is not None:
        refold(args.refold, args.name)
        return
    spy = find_py_spy(args.py_spy)

    namespace = new_namespace("profile")
    env = namespace_env(namespace)
    os.environ.update(env)
    settings = Settings()
    workdir = Path(tempfile.mkdtemp(prefix=f"{namespace}-"))
    raw = workdir / "worker.raw.txt"
    load_before = load_average()
    print(f"namespace {namespace}; logs and the raw profile in {workdir}", file=sys.stderr)
    try:
        produced = run_child(["bench.produce", "--papers", str(args.papers)], env, workdir / "produce.log")
        run_args = ["scholarstream", "run", "--until-caught-up", "--json", "--timeout", str(args.timeout)]
        started = time.monotonic()
        runner = start_child(run_args, env, workdir / "run.log")
        worker = wait_for_worker(runner)
        with open(workdir / "py-spy.log", "ab") as spy_log:
            sampler = subprocess.Popen(py_spy_record(spy, worker, args.rate, raw), stdout=spy_log, stderr=spy_log)
            run = child_result(runner, run_args, workdir / "run.log")
            sampler.wait(120)  # py-spy stops and writes its file when the worker exits
        seconds = time.monotonic() - started
    finally:
        delete_namespace(settings, namespace, keep_logs_in=workdir)
    stacks = parse_raw(raw.read_text(errors="replace").splitlines())
    worker_cpu = run.get("cpu_seconds", {}).get("worker")
    result = {
        "papers": produced["produced"],
        "encoder": settings.encoder_model,
        "linker": settings.linker,
        "samples": sum(stacks.values()),
        "sample_rate": args.rate,
        "run_seconds": round(seconds, 1),
        "worker_cpu_seconds": worker_cpu,
        "worker_cpu_ms_per_paper": round(worker_cpu / produced["produced"] * 1000, 2) if worker_cpu else None,
        "by_part_percent": by_part(stacks),
        "by_agent_percent": by_agent(stacks),
        "by_function": by_function(stacks),
        "raw_profile": str(raw),
        "load_average": {"before": load_before, "after": load_average()},
        "method": "py-spy record --nonblocking on the worker process from its start to its exit (start-up and "
                  "recovery included); a sample's part is the first of PARTS met from the innermost frame outwards",
    }
    path = write_result(args.name, result)
    print_table(f"worker CPU by part ({result['samples']} samples, {result['worker_cpu_ms_per_paper']} ms CPU a paper)",
                ["part", "% of samples"], list(result["by_part_percent"].items()))
    print_table("worker CPU by agent", ["agent", "% of samples"], list(result["by_agent_percent"].items()))
    print_table("top functions (own samples)", ["function", "%"],
                [(f["function"][:110], f["share_percent"]) for f in result["by_function"]])
    print(f"written {path}")


if __name__ == "__main__":
    main()
