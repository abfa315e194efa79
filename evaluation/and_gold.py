"""The three author-disambiguation gold sets in ../shared/data/and-gold, as one mention type.

Each set arrives in its own format; here they become `GoldMention`s in a fixed processing order
(publication, then author position), with the paper's other authors as blocking keys, and the
true person as `gold_id`. What is *not* carried matters as much: the orcid-doi set's `orcid`
field is where its gold clusters come from, so it never reaches the linker.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from evaluation.labelled_papers import SHARED_DATA
from foundation.errors import ScholarStreamError
from schemas.names import blocking_key

AND_GOLD = SHARED_DATA / "and-gold"
SETS = ("inspire-wang", "s2and-qian", "orcid-doi")


@dataclass(frozen=True)
class GoldMention:
    mention_id: str
    paper_id: str
    position: int
    keyname: str
    forenames: str
    affiliations: tuple[str, ...]
    year: int | None
    gold_id: str | None  # None: not part of the gold clusters (linked, but not scored)

    @property
    def block(self) -> str:
        return blocking_key(self.keyname, self.forenames)


@dataclass(frozen=True)
class GoldSet:
    name: str
    mentions: tuple[GoldMention, ...]               # in processing order
    author_keys: dict[str, tuple[str, ...]]          # paper id -> blocking keys by position

    @property
    def scored(self) -> tuple[GoldMention, ...]:
        return tuple(m for m in self.mentions if m.gold_id is not None)


def _read_json(path: Path):
    if not path.exists():
        raise ScholarStreamError(f"{path} not found: the evaluation reads the shared data set beside the checkout")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _split_inspire(name: str) -> tuple[str, str]:
    """'Wang, Shang-Yung' -> ('Wang', 'Shang-Yung'); a name without a comma is all surname."""
    keyname, _, forenames = name.partition(",")
    return keyname.strip(), forenames.strip()


def _author_keys(mentions: list[GoldMention]) -> dict[str, tuple[str, ...]]:
    """Blocking keys of the authors each paper has *in this set* (the sets hold no other authors)."""
    by_paper: dict[str, dict[int, str]] = defaultdict(dict)
    for mention in mentions:
        by_paper[mention.paper_id][mention.position] = mention.block
    keys: dict[str, tuple[str, ...]] = {}
    for paper, positions in by_paper.items():
        width = max(positions) + 1
        keys[paper] = tuple(positions.get(i, "") for i in range(width))
    return keys


def inspire_wang(root: Path = AND_GOLD) -> GoldSet:
    signatures = _read_json(root / "inspire-wang" / "wang_signatures.json.gz")
    clusters = _read_json(root / "inspire-wang" / "wang_clusters.json.gz")
    person = {str(sig): str(cluster) for cluster, sigs in clusters.items() for sig in sigs}
    mentions = []
    for row in sorted(signatures, key=lambda r: (r["publication_id"], r["signature_position"], r["signature_id"])):
        keyname, forenames = _split_inspire(row["author_name"])
        affiliation = (row.get("author_affiliation") or "").strip()
        mentions.append(GoldMention(
            mention_id=str(row["signature_id"]), paper_id=str(row["publication_id"]),
            position=int(row["signature_position"]), keyname=keyname, forenames=forenames,
            affiliations=(affiliation,) if affiliation else (), year=None,
            gold_id=person.get(str(row["signature_id"])),
        ))
    return GoldSet("inspire-wang", tuple(mentions), _author_keys(mentions))


def s2and_qian(root: Path = AND_GOLD) -> GoldSet:
    signatures = _read_json(root / "s2and-qian" / "signatures.json.gz")
    clusters = _read_json(root / "s2and-qian" / "clusters.json.gz")
    person = {str(sig): str(cluster) for cluster, row in clusters.items() for sig in row["signature_ids"]}
    mentions = []
    rows = sorted(signatures.values(), key=lambda r: (int(r["paper_id"]), r["author_info"]["position"], r["signature_id"]))
    for row in rows:
        info = row["author_info"]
        forenames = " ".join(part for part in (info.get("first"), info.get("middle")) if part)
        mentions.append(GoldMention(
            mention_id=str(row["signature_id"]), paper_id=str(row["paper_id"]), position=int(info["position"]),
            keyname=info.get("last") or "", forenames=forenames,
            affiliations=tuple(a for a in info.get("affiliations") or () if a and a.strip()), year=None,
            gold_id=person.get(str(row["signature_id"])),
        ))
    return GoldSet("s2and-qian", tuple(mentions), _author_keys(mentions))


def orcid_doi(root: Path = AND_GOLD) -> GoldSet:
    """All 10,000 mentions are linked (the realistic stream); only the 1,324 in gold clusters are scored.

    The `orcid` field is the gold label's source and is dropped here; `coauthors` is empty in
    this file, so coauthors are the other mentions of the same DOI.
    """
    with gzip.open(root / "orcid-doi" / "mentions.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    gold = _read_json(root / "orcid-doi" / "gold_clusters.json.gz")["clusters"]
    person = {mention: cluster for cluster, mentions in gold.items() for mention in mentions}
    position_in_doi: dict[str, int] = defaultdict(int)
    mentions = []
    for row in sorted(rows, key=lambda r: (r.get("year") or 0, r["doi"], r["_original_index"])):
        position = position_in_doi[row["doi"]]
        position_in_doi[row["doi"]] += 1
        affiliation = (row.get("affiliation") or "").replace("&amp;", "&").strip()
        mentions.append(GoldMention(
            mention_id=row["mention_id"], paper_id=row["doi"], position=position,
            keyname=row.get("lastname") or "", forenames=row.get("firstname") or "",
            affiliations=(affiliation,) if affiliation else (), year=row.get("year"),
            gold_id=person.get(row["mention_id"]),
        ))
    return GoldSet("orcid-doi", tuple(mentions), _author_keys(mentions))


LOADERS = {"inspire-wang": inspire_wang, "s2and-qian": s2and_qian, "orcid-doi": orcid_doi}


def load(name: str) -> GoldSet:
    return LOADERS[name]()
