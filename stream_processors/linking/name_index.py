"""Which researchers of a block a name could be compatible with, without comparing it to each.

`names.compare_names` costs tens of microseconds for a pair it has not seen, and every new
mention of a large block ("wang j", thousands of people across arXiv) is a new pair with each of
its researchers: linking cost grew with the block (bench/results/growth-block-after.json). The
index narrows a mention to a superset of the researchers its name can be compatible with; the
linker then compares only those, and decides exactly as it would over the whole block.

Why the superset holds. Two forms whose first given names are written in full (`first_given`)
can be compatible only when (names._compare_full) the first names are equal, one is a prefix of
the other ("Dan"/"Daniel"; "Zhi Gang"/"Zhigang" through their equal joined given names), or they
are known variants. So a researcher is found by each full first name it prints ("exact:"), by
every prefix of it of two letters or more ("prefix:"), and by its variant keys
(`name_variants.variant_keys`); a mention looks up the prefixes of its own first name among the
"exact:" keys, itself among the "prefix:" keys, and its variant keys. A form without a full first
given name ("J.", "J. Michael", none at all) may be compatible with anything: it is always a
candidate, and a mention in such a form is compared with the whole block.

A researcher is a candidate when any of its forms is (it is compatible only when all are). The
index only grows: researchers merged away or forms no longer held stay in it, and lookups keep
only the block's current researchers, so one index is shared by a block's successive states.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stream_processors.linking.name_variants import variant_keys
from stream_processors.linking.names import PersonName, parse_name


def first_given(name: PersonName) -> str | None:
    """The first given name when written in full ('jun', 'zhigang' for 'Zhi-Gang'), else None."""
    if not name.given:
        return None
    first = name.given[0]
    return "".join(first) if any(len(syllable) > 1 for syllable in first) else None


def stored_keys(name: PersonName) -> tuple[str, ...] | None:
    """The keys a researcher printing this form is found by; None: no full first name."""
    first = first_given(name)
    if first is None:
        return None
    return (f"exact:{first}", *(f"prefix:{first[:n]}" for n in range(2, len(first) + 1)), *variant_keys(first))


def lookup_keys(name: PersonName) -> tuple[str, ...] | None:
    """The keys under which every full first name compatible with this one is stored."""
    first = first_given(name)
    if first is None:
        return None
    return (*(f"exact:{first[:n]}" for n in range(2, len(first) + 1)), f"prefix:{first}", *variant_keys(first))


@dataclass
class NameIndex:
    """Researcher ids by bucket key, plus the ids with a form that fits every name, and each id's
    place in the block's creation order."""

    order: dict[str, int] = field(default_factory=dict)
    everyone: set[str] = field(default_factory=set)
    buckets: dict[str, set[str]] = field(default_factory=dict)
    forms: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    next_place: int = 0

    def add(self, researcher_id: str, names: Iterable[tuple[str, str]], *, new: bool = False) -> NameIndex:
        """Register a researcher's name forms (`new`: it joins the block now, last in order)."""
        if new or researcher_id not in self.order:
            self.order[researcher_id] = self.next_place
            self.next_place += 1
        known = self.forms.setdefault(researcher_id, set())
        for form in names:
            if form in known:
                continue
            known.add(form)
            keys = stored_keys(parse_name(*form))
            if keys is None:
                self.everyone.add(researcher_id)
            else:
                for key in keys:
                    self.buckets.setdefault(key, set()).add(researcher_id)
        return self

    def candidates(self, name: PersonName) -> set[str] | None:
        """Ids that may be compatible with `name` (a superset); None: any of them may be."""
        keys = lookup_keys(name)
        if keys is None:
            return None
        found = set(self.everyone)
        for key in keys:
            found |= self.buckets.get(key, set())
        return found

    def in_order(self, ids: Iterable[str], researchers: Mapping[str, object]) -> list[str]:
        """The ids the block holds now, in its creation order."""
        return sorted((rid for rid in ids if rid in researchers), key=self.order.__getitem__)
