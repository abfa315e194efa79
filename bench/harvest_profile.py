"""Where a harvest's time goes: py-spy's samples of every thread, or else cProfile's of the main thread.

A harvest's main thread does everything in sequence (fetch a page, parse it, map each record,
hand it to the producer, flush and checkpoint at the page's end), so it bounds the throughput and
is reported by wall clock, waits included. kafka-python's sender thread compresses, checksums
and sends batches beside it and is reported by CPU only: its idle time costs nothing. py-spy is
not a project dependency (`pip install py-spy` into .venv); without it cProfile sees only the
main thread, but the stages are the same.
"""

from __future__ import annotations

import pstats
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# Main-thread stages, first match wins: a marker is a substring of one of a sample's frames.
_START_UP = "start-up: imports, topics, checkpoint load"
MAIN_STAGES: list[tuple[str, tuple[str, ...]]] = [
    (_START_UP, ("_find_and_load", "resume_point", "Publisher.__init__")),
    ("page end: flush, checkpoint", ("Publisher.flush", "Publisher.close", "CheckpointStore.save")),
    ("parse a page (lxml)", ("parse_page",)),
    ("fetch a page (HTTP, gunzip)", ("PageFetcher.",)),
    ("map a record to RawPaper (TeX and whitespace clean-up, validation)", ("_map_record",)),
    ("serialise to JSON", ("model_dump_json",)),
    ("producer send", ("KafkaProducer.send",)),
    ("progress bar", ("progress_bar", "Progress.")),
]
_LOCK_WAIT = "producer send: waiting for a partition whose batch the sender thread is compressing"
SENDER_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("gzip, level 9 (kafka-python's fixed level)", ("gzip_encode",)),
    ("CRC-32C in pure Python (the crc32c C package is not installed)", ("calc_crc32c",)),
]
_IDLE_LEAVES = ("select (selectors.py", "Condition.wait", "Event.wait")
_TOP = 12


def pyspy() -> str | None:
    """The py-spy next to this interpreter (pip into .venv) or on PATH."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def pyspy_command(pyspy_path: str, output: Path, command: list[str]) -> list[str]:
    return [pyspy_path, "record", "--format", "raw", "--output", str(output), "--rate", "100", "--idle", "--threads", "--", *command]


def cprofile_command(output: Path, command: list[str]) -> list[str]:
    """`python -m scholarstream ...` run under cProfile."""
    python, flag, *rest = command
    assert flag == "-m", command
    return [python, "-m", "cProfile", "-o", str(output), "-m", *rest]


def _share(counter: Counter, total: int) -> dict[str, float]:
    return {name: round(count / total, 3) for name, count in counter.most_common() if total}


def summarise_pyspy(path: Path) -> dict[str, Any]:
    """Stage shares of the main thread's wall clock and of the sender thread's CPU, and the
    functions that use the most CPU over all threads; start-up is counted apart from the harvest."""
    main: Counter[str] = Counter()
    sender: Counter[str] = Counter()
    active: Counter[str] = Counter()
    sender_total = sender_idle = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";")[1:], int(count)  # the first frame names the thread
        if not frames:
            continue
        if any("_run_module_as_main" in frame for frame in frames):
            stage = _main_stage(frames)
            main[stage] += samples
            if stage in (_START_UP, _LOCK_WAIT):
                continue  # start-up is not the harvest; a lock wait is not CPU
        elif any("Sender.run" in frame for frame in frames):
            sender_total += samples
            if _idle(frames[-1]):
                sender_idle += samples
            else:
                sender[_stage(frames, SENDER_STAGES, "network and bookkeeping")] += samples
        if not _idle(frames[-1]):
            active[frames[-1]] += samples
    start_up = main.pop(_START_UP, 0)
    busy = sum(active.values())
    return {
        "method": "py-spy, 100 samples/s, every thread",
        "main_thread_start_up_seconds": round(start_up / 100, 1),
        "main_thread_wall_clock_share_after_start_up": _share(main, sum(main.values())),
        "sender_thread": {
            "busy_share_of_wall_clock": round((sender_total - sender_idle) / sender_total, 3) if sender_total else None,
            "cpu_share": _share(sender, sender_total - sender_idle),
        },
        "top_functions_cpu_share_all_threads_after_start_up": {name: round(n / busy, 3) for name, n in active.most_common(_TOP)},
    }


def _idle(leaf: str) -> bool:
    return any(marker in leaf for marker in _IDLE_LEAVES)


def _main_stage(frames: list[str]) -> str:
    if frames[-1].startswith("RecordAccumulator.append "):
        return _LOCK_WAIT  # its own line is the `with self._tp_lock(tp)`: nothing else there takes time
    return _stage(frames, MAIN_STAGES, "other")


def _stage(frames: list[str], stages: list[tuple[str, tuple[str, ...]]], default: str) -> str:
    for name, markers in stages:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    return default


# cProfile: the same stages from cumulative times of the functions that open them.
_CPROFILE_STAGES = {
    "map a record to RawPaper (TeX and whitespace clean-up, validation)": ("oai_ingest.py", "_map_record"),
    "parse a page (lxml)": ("oai_records.py", "parse_page"),
    "fetch a page (HTTP, gunzip), parsing included": ("oai_pmh.py", "_try_once"),
    "serialise to JSON": ("pydantic/main.py", "model_dump_json"),
    "producer send": ("kafka/producer/kafka.py", "send"),
    "page end: flush, checkpoint": ("oai_ingest.py", "page_done"),
}


def summarise_cprofile(path: Path) -> dict[str, Any]:
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]  # undocumented
    # (file, line, function) -> (calls, primitive, tottime, cumtime, callers)
    loop = max((v[3] for (file, _, name), v in stats.items() if file.endswith("producers/ingest.py") and name == "ingest"), default=0.0)
    stages = {}
    for stage, (suffix, function) in _CPROFILE_STAGES.items():
        cumulative = sum(v[3] for (file, _, name), v in stats.items() if file.endswith(suffix) and name == function)
        stages[stage] = round(cumulative / loop, 3) if loop else None
    total = sum(v[2] for v in stats.values())
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:_TOP]
    return {
        "method": "cProfile, main thread only (py-spy not installed)",
        "main_thread_share_of_ingest_loop": stages,
        "top_functions_own_time_share_main_thread": {
            f"{name} ({Path(file).name}:{line})": round(v[2] / total, 3) for (file, line, name), v in top
        },
    }
