"""How many researchers print a common full name: the figure issue 15 starts from.

A linker that folds every "Wei Wang" of a harvest into one researcher shows it here as one
researcher with dozens of works; a linker that keeps namesakes apart shows several. The count is
of researchers (merged ones left out) whose names include the exact full name, read from the
`researchers` index, with their works. It measures what the index holds, not whether it is right:
the pseudo-namesakes of `evaluation/namesakes.py` are where the truth is known.

    python -m evaluation.common_names --output evaluation/results/common-names-2016-weights.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from clients import es_io
from foundation.settings import Settings
from indexers.mappings import RESEARCHERS
from schemas.names import fold

# The names the issue counted on the 2016 harvest, then the commonest names of the 2025-2026
# announcements (evaluation/namesakes.py takes its targets from the same list).
NAMES = (
    "Wei Wang", "Jun Wang", "Lei Zhang", "Jing Li", "Yang Liu", "Yu Zhang", "Wei Zhang",
    "Hao Chen", "Hao Wang", "Lei Li", "Xin Wang", "Yi Zhang",
)
TOP = 12


def researchers_named(es: Elasticsearch, index: str, name: str) -> list[dict[str, Any]]:
    """Researchers (not merged away) with `name` among their names, most works first."""
    body = {
        "query": {"bool": {
            "filter": [{"term": {"name_keys": f"x:{fold(name)}"}}],
            "must_not": [{"exists": {"field": "merged_into"}}],
        }},
        "sort": [{"works_count": "desc"}, {"researcher_id": "asc"}],
        "_source": ["researcher_id", "display_name", "works_count"],
        "size": 10_000,
    }
    hits = es.search(index=index, body=body)["hits"]["hits"]
    return [hit["_source"] for hit in hits]


def count_names(es: Elasticsearch, index: str, names: Sequence[str] = NAMES) -> dict[str, Any]:
    rows = {}
    for name in names:
        found = researchers_named(es, index, name)
        works = [row["works_count"] for row in found]
        rows[name] = {"researchers": len(found), "works": sum(works), "largest": works[:TOP]}
    return {"index": index, "names": rows}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="Where to write the JSON results.")
    parser.add_argument("--name", action="append", help="A full name to count (repeatable; default: the list above).")
    args = parser.parse_args(argv)
    settings = Settings()
    result = count_names(es_io.client(settings), settings.index(RESEARCHERS.name), args.name or NAMES)
    for name, row in result["names"].items():
        print(f"{name:12} {row['researchers']:4} researchers  {row['works']:5} works  largest {row['largest']}")
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written to {args.output}")


if __name__ == "__main__":
    main()
