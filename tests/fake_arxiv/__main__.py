"""Run the fake server in the foreground: `python -m tests.fake_arxiv --pages DIR [--port N] [--delay S]`.

Prints its endpoint URL on the first line of stdout, then serves until killed. Faults can be
scheduled with `--fault N:KIND` (request number N, e.g. `--fault 5:503`).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from tests.fake_arxiv.server import FakeArxivServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=Path, required=True, help="folder of page-NNN.xml.gz files")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every response")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--fault", action="append", default=[], help="N:KIND, e.g. 3:truncate")
    args = parser.parse_args()
    faults = {int(n): kind for n, _, kind in (item.partition(":") for item in args.fault)}
    server = FakeArxivServer.from_dir(args.pages, delay_s=args.delay, retry_after_s=args.retry_after, faults=faults)
    print(server.start(args.port), flush=True)
    print(f"serving {len(server.pages)} pages", file=sys.stderr, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
