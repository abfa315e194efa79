"""What the browser tests share: the demo researcher they look for, found through the JSON API."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

# A researcher of tests/fixtures/snapshot-40.jsonl ("M. Lepers, O. Dulieu, and V. Kokoouline").
SURNAME = "Lepers"
NAME_FORM = "Lepers, M"


def researcher_id(server: str, query: str = NAME_FORM) -> str:
    url = f"{server}/researchers/search?" + urllib.parse.urlencode({"q": query})
    with urllib.request.urlopen(url, timeout=10) as answer:
        hits = json.load(answer)["hits"]
    assert hits, f"the API found nobody for {query!r}"
    return str(hits[0]["researcher_id"])
