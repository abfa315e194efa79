"""The worker's tables on disk (`stream_processors/table_store.py`): what a lookup, a write and a
size cost as a table grows (issue 17: cost that does not grow with the corpus).

One scratch `DiskMapping` is filled to each of `--sizes` keys in turn (values of 200-1,500 bytes,
the size of block summaries and paper lines; the profiles' 4-6 KB are the same B-tree with longer
overflow chains), and at each size this measures, CPU time on this process:

- a lookup of a random key it holds (`key in table` then `table[key]`, as faust asks, one read);
- an update of a random key it holds, and an insert of a new key, each with the commit every
  `COMMIT_EVERY` writes as the store does;
- the table's size: `len(table)` (the count the store keeps) beside `SELECT count(*)` on the same
  file, which is what `len` ran before: the worker's report asks every table for its size every
  five seconds;
- the same writes on a table of the same layout without the count's triggers (what the store
  was before), so the triggers' cost on a write is measured in the same run.

Usage: python -m bench.table_store [--sizes 100000,600000,2000000] [--ops 20000] [--name table-store]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import print_table, write_result
from stream_processors.table_store import COMMIT_EVERY, UPSERT, DiskMapping, open_scratch


class Untriggered:
    """The store's table as it was before the kept count: the same file layout and pragmas, the
    same upsert and commits, no triggers. Only its writes are timed."""

    def __init__(self, path: Path, cache_mib: int = 16) -> None:
        self._db = open_scratch(path, cache_mib)
        self._db.execute("BEGIN")
        self._pending = 0

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._db.execute(UPSERT, (key, value))
        self._pending += 1
        if self._pending >= COMMIT_EVERY:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._pending = 0

    def close(self) -> None:
        self._db.execute("COMMIT")
        self._db.close()


def key_of(number: int) -> bytes:
    """A key shaped like a researcher id (random order, so inserts land all over the index)."""
    return b"r:%016x" % ((number * 0x9E3779B97F4A7C15) & (2**64 - 1))


def value_of(rnd: random.Random, blob: bytes) -> bytes:
    size = rnd.randint(200, 1_500)
    start = rnd.randrange(len(blob) - size)
    return blob[start:start + size]


def cpu_us_each(count: int, action: Callable[[int], Any]) -> float:
    started = time.process_time()
    for number in range(count):
        action(number)
    return round((time.process_time() - started) / count * 1e6, 2)


def median_ms(repeats: int, action: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        action()
        times.append(time.process_time() - started)
    return round(statistics.median(times) * 1000, 3)


def fill(table: Any, start: int, end: int, rnd: random.Random, blob: bytes, progress: Callable[[str], None]) -> None:
    began = time.monotonic()
    for number in range(start, end):
        table[key_of(number)] = value_of(rnd, blob)
        done = number + 1 - start
        if done % 200_000 == 0:
            elapsed = time.monotonic() - began
            progress(f"  filled {number + 1:,} keys ({done / elapsed:,.0f}/s, ETA {(end - number - 1) / (done / elapsed):.0f} s)")


def measure(sizes: list[int], ops: int, directory: Path, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    rnd = random.Random(17)
    blob = random.Random(3).randbytes(4_096)
    table = DiskMapping(directory / "counted.sqlite")
    plain = Untriggered(directory / "plain.sqlite")
    rows = []
    held = 0
    for size in sizes:
        progress(f"filling both tables to {size:,} keys")
        fill(table, held, size, random.Random(size), blob, progress)
        fill(plain, held, size, random.Random(size), blob, progress)
        held = size

        def lookup(_n: int, held: int = held) -> None:
            key = key_of(rnd.randrange(held))
            if key in table:
                table[key]

        row: dict[str, Any] = {"keys": size}
        row["lookup_us"] = cpu_us_each(ops, lookup)
        timed: dict[str, list[float]] = {}
        # Each table timed twice, in the order A B B A, half the operations each time, so what
        # the machine did meanwhile weighs on both alike.
        half = ops // 2
        for turn, (name, target) in enumerate((("counted", table), ("plain", plain), ("plain", plain), ("counted", table))):
            base = held + half * (turn in (2, 3))  # each table inserts the same new keys

            def update(_n: int, target: Any = target, held: int = held) -> None:
                target[key_of(rnd.randrange(held))] = value_of(rnd, blob)

            def insert(n: int, target: Any = target, base: int = base) -> None:
                target[key_of(base + n)] = value_of(rnd, blob)

            timed.setdefault(f"update_us_{name}", []).append(cpu_us_each(half, update))
            timed.setdefault(f"insert_us_{name}", []).append(cpu_us_each(half, insert))
        row.update({key: round(statistics.mean(values), 2) for key, values in timed.items()})
        held += 2 * half
        row["keys_after_inserts"] = held
        row["len_ms"] = median_ms(7, lambda: len(table))
        row["count_star_ms"] = median_ms(7, lambda: table._db.execute("SELECT count(*) FROM kv").fetchone())
        if len(table) != held:
            raise SystemExit(f"the kept count says {len(table):,} keys, the table holds {held:,}")
        row["file_mib"] = round((directory / "counted.sqlite").stat().st_size / 2**20)
        rows.append(row)
        progress(f"{size:,} keys: lookup {row['lookup_us']} us, len {row['len_ms']} ms against count(*) {row['count_star_ms']} ms")
    table.close()
    plain.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,600000,2000000", help="keys held at each measurement, ascending")
    parser.add_argument("--ops", type=int, default=20_000, help="lookups, updates and inserts timed at each size")
    parser.add_argument("--name", default="table-store")
    parser.add_argument("--dir", type=Path, default=None, help="where the scratch files go (default: a temporary directory)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    directory = Path(tempfile.mkdtemp(prefix="table-store-", dir=args.dir))
    try:
        rows = measure(sizes, args.ops, directory, progress)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    path = write_result(args.name, {"ops": args.ops, "commit_every": COMMIT_EVERY, "sizes": rows})
    print_table("DiskMapping: CPU per operation as the table grows", [
        "keys", "lookup us", "update us (count kept / plain)", "insert us (count kept / plain)", "len ms", "count(*) ms", "file MiB",
    ], [(r["keys"], r["lookup_us"], f"{r['update_us_counted']} / {r['update_us_plain']}",
         f"{r['insert_us_counted']} / {r['insert_us_plain']}", r["len_ms"], r["count_star_ms"], r["file_mib"]) for r in rows])
    print(f"written {path}")


if __name__ == "__main__":
    main()
