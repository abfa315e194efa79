"""How many people print a given full name: the prior that says how much a name match is worth.

"Uwe Aickelin" on two papers is almost surely one person; "Wei Wang" on two papers is almost
surely not, unless something else (coauthors, work, affiliation) says so. The estimate is the
number of people expected to carry the full name if surnames and first given names were paired
at random among the distinct full names of a corpus:

    expected(surname, given) = (surnames[surname] + 1) x (given_names[given] + 1) / (distinct + 1)

counted over distinct full names (a prolific author counts once), with add-one smoothing so an
unseen name is rare rather than impossible. It is a floor for names whose parts go together (a
Chinese given name with a Chinese surname), which only makes it cautious in the right direction
for the names that matter most; only the order of magnitude is used (`rarity`).

The table is a versioned artefact built from a corpus (`build`), stored as gzipped JSON, and passed
to the linker; without one the linker behaves as before (no popularity evidence).
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from stream_processors.linking.names import PersonName, parse_name

FORMAT = "scholarstream-name-popularity-v1"
# Built by `python -m evaluation.name_popularity` from the 2016 cs harvest (docs/linking.md).
PACKAGED = Path(__file__).parent / "data" / "name-popularity-v1.json.gz"


def name_parts(name: PersonName) -> tuple[str, str] | None:
    """(surname, first given name) of a full name, or None for an initialled or surname-only form."""
    if not name.given or not name.surname or len("".join(name.given[0])) < 2:
        return None
    return name.surname, "".join(name.given[0])


@dataclass(frozen=True)
class NamePopularity:
    version: str
    distinct_names: int
    surnames: Mapping[str, int]
    given_names: Mapping[str, int]
    source: str = ""

    def expected_people(self, name: PersonName) -> float | None:
        """People expected to print this full name in the corpus (None for initialled forms)."""
        parts = name_parts(name)
        if parts is None:
            return None
        surname, given = parts
        return (self.surnames.get(surname, 0) + 1) * (self.given_names.get(given, 0) + 1) / (self.distinct_names + 1)

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "version": self.version, "source": self.source, "distinct_names": self.distinct_names,
                "surnames": dict(sorted(self.surnames.items())), "given_names": dict(sorted(self.given_names.items()))}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle, separators=(",", ":"))


def build(names: Iterable[tuple[str, str]], version: str, source: str) -> NamePopularity:
    """From (keyname, forenames) author strings: each distinct full name counted once."""
    distinct: set[tuple[str, str]] = set()
    for keyname, forenames in names:
        parts = name_parts(parse_name(keyname, forenames))
        if parts is not None:
            distinct.add((parts[0], _given_key(keyname, forenames)))
    surnames = Counter(surname for surname, _ in distinct)
    given = Counter(_first_given(full) for _, full in distinct)
    return NamePopularity(version, len(distinct), dict(surnames), dict(given), source)


def _given_key(keyname: str, forenames: str) -> str:
    """The whole given-name part, folded: 'Wei' and 'Wei Hong' are different full names."""
    return " ".join("".join(part) for part in parse_name(keyname, forenames).given)


def _first_given(full_given: str) -> str:
    return full_given.split(" ")[0]


def load(path: Path) -> NamePopularity:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a name-popularity table ({data.get('format')!r})")
    return NamePopularity(data["version"], int(data["distinct_names"]), data["surnames"], data["given_names"], data.get("source", ""))


@lru_cache(maxsize=1)
def packaged() -> NamePopularity:
    """The table shipped with the code (read once per process)."""
    return load(PACKAGED)


def rarity(expected: float | None) -> float | None:
    """log10 of the expected people: -4 for a name nobody else prints, about 0 for 'Wei Wang'."""
    return None if expected is None else round(math.log10(expected), 3)
