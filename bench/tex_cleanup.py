"""TeX clean-up on hostile fields (issue 18: quadratic clean-up before length validation).

`producers.normalise.clean_tex` runs on every title, abstract and name a producer reads, before the
record's field lengths are checked. This times it on fields built to be slow, at two sizes each,
beside the reference it replaced, measured in the same run: the math split as one regex
(`REFERENCE_MATH`) and the brace loop run to its fixpoint. Linear code costs about 4x at 4x the
size; the reference costs about 16x.

Usage: python -m bench.tex_cleanup [--name tex-cleanup]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from functools import partial

from bench.common import print_table, write_result
from producers.normalise import _BRACED, _STYLE, _split_math, _unbrace, clean_tex

REFERENCE_MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)
FIELDS: dict[str, Callable[[int], str]] = {
    "unclosed \\(": lambda n: "\\(" * (n // 2),
    "unclosed \\[": lambda n: "\\[" * (n // 2),
    "nested braces": lambda n: "{" * (n // 2) + "x" + "}" * (n // 2),
    "a title of words": lambda n: ("Graph neural networks for $\\alpha$-stable {B}ayesian inference. " * n)[:n],
}
SIZES = (4_000, 16_000)


def reference_braces(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = _STYLE.sub(r"\1", text)
        text = _BRACED.sub(_unbrace, text)
    return text


def seconds(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--name", default="tex-cleanup")
    args = parser.parse_args()
    rows, results = [], []
    for name, make in FIELDS.items():
        for size in SIZES:
            text = make(size)
            reference: Callable[[str], object] = reference_braces if name == "nested braces" else REFERENCE_MATH.split
            now = {"clean_tex": seconds(partial(clean_tex, text)),
                   "split_math": seconds(partial(_split_math, text)),
                   "reference": seconds(partial(reference, text))}
            results.append({"field": name, "chars": size, **{k: round(v, 5) for k, v in now.items()}})
            rows.append([name, size, *(f"{now[k] * 1000:.1f}" for k in ("clean_tex", "split_math", "reference"))])
    print_table("TeX clean-up on hostile fields (ms)", ["field", "chars", "clean_tex", "math split", "reference"], rows)
    path = write_result(args.name, {"sizes": list(SIZES), "results": results,
                                    "reference": "the math regex split, or the brace loop to its fixpoint, as before"})
    print(f"written {path}")


if __name__ == "__main__":
    main()
