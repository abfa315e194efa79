"""name_index: a mention is compared only with the researchers its name may fit, and that never
drops one it does fit (checked on every pair of the sample's names and the forms people write
them in), so linking over the index decides what linking over the whole block did."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.names import blocking_key
from stream_processors.linking.linker import BlockState, Mention, PaperContext, ResearcherSummary, apply_decision, link_mention
from stream_processors.linking.name_index import NameIndex
from stream_processors.linking.names import INCOMPATIBLE, compare_names, parse_name

SAMPLE = Path(__file__).resolve().parents[4] / "samples" / "arxiv-kaggle-1006.jsonl.gz"

# Forms the sample lacks and compatibility is made of: joined and hyphenated syllables, prefixes,
# nicknames, transliterations, initials before a full middle name, no given name at all.
WRITTEN_FORMS = [
    ("Wang", "Zhigang"), ("Wang", "Zhi-Gang"), ("Wang", "Zhi Gang"), ("Wang", "Z."), ("Wang", "Z. G."), ("Wang", "Zhi"),
    ("Wang", "Zheng"), ("Wang", ""), ("Wang", "Z.-G."), ("Smith", "Dan"), ("Smith", "Daniel"), ("Smith", "Danny"),
    ("Smith", "Daniel J."), ("Smith", "D. James"), ("Brown", "Bill"), ("Brown", "William"), ("Brown", "W."),
    ("Ivanov", "Sergei"), ("Ivanov", "Sergey"), ("Ivanov", "Sergej A."), ("Yu", "Yuxin"), ("Yu", "Yu Xin"),
    ("Yu", "Yu-Xin"), ("Yu", "Y. X."), ("Yu", "Yu"), ("Mueller", "Juergen"), ("Mueller", "Jurgen"), ("Mueller", "J."),
]


def sample_forms() -> list[tuple[str, str]]:
    forms = {(a.keyname, a.forenames) for line in read_snapshot(SAMPLE) for a in snapshot_record_to_paper(line).authors}
    return sorted(forms | set(WRITTEN_FORMS))


def initialled(forenames: str) -> str:
    return " ".join(part[0] + "." for part in forenames.replace("-", " ").split() if part)


def test_no_compatible_pair_of_names_is_left_out():
    forms = sample_forms()
    forms += [("Wang", f) for _, f in forms]  # every given name of the sample in a few large blocks
    forms += [(k, initialled(f)) for k, f in forms if f]  # every name also in initials
    blocks: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for keyname, forenames in set(forms):
        blocks[blocking_key(keyname, forenames)].append((keyname, forenames))
    compatible_pairs = narrowed = 0
    for members in blocks.values():
        index = NameIndex()
        for number, form in enumerate(members):
            index.add(str(number), [form])
        ids = {str(n) for n in range(len(members))}
        for form in members:
            found = index.candidates(parse_name(*form))
            narrowed += found is not None and len(found) < len(members)
            for other, other_form in enumerate(members):
                if compare_names(parse_name(*form), parse_name(*other_form)).label != INCOMPATIBLE:
                    compatible_pairs += 1
                    assert found is None or str(other) in found, (form, other_form)
            assert found is None or found <= ids
    assert compatible_pairs > 5_000 and narrowed > 1_000, "the test saw too few pairs to mean anything"


def _summary(rid: str, *forms: tuple[str, str]) -> ResearcherSummary:
    return ResearcherSummary(researcher_id=rid, names={form: 1 for form in forms})


def test_candidates_keep_the_blocks_order_and_only_its_current_researchers():
    block = BlockState("wang_z", {r.researcher_id: r for r in (
        _summary("r-c", ("Wang", "Zhigang")), _summary("r-a", ("Wang", "Zheng")), _summary("r-b", ("Wang", "Z.")),
        _summary("r-d", ("Wang", "Zhi-Gang")))})
    found = block.name_candidates([parse_name("Wang", "Zhigang")])
    assert [r.researcher_id for r in found] == ["r-c", "r-b", "r-d"], "Zheng cannot be Zhigang; block order kept"
    smaller = BlockState("wang_z", {k: v for k, v in block.researchers.items() if k != "r-c"}, block.names)
    assert [r.researcher_id for r in smaller.name_candidates([parse_name("Wang", "Zhigang")])] == ["r-b", "r-d"]
    assert len(block.name_candidates([parse_name("Wang", "Z.")])) == 4, "an initial may be anyone"


def test_linking_a_block_over_the_index_decides_as_over_every_researcher():
    """The same mentions linked by the index and by comparing each with the whole block (an index
    that finds everyone) give the same researchers, scores and candidates."""

    class Everyone(NameIndex):
        def candidates(self, name):  # noqa: ARG002 - the whole block, as before the index
            return None

    forms = [f for f in sample_forms() if f[1]] + WRITTEN_FORMS
    by_block: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for form in forms:
        by_block[blocking_key(*form)].append(form)
    busiest = sorted(by_block.values(), key=len)[-12:]
    for members in busiest:
        narrow, wide = BlockState(blocking_key(*members[0])), BlockState(blocking_key(*members[0]), {}, Everyone())
        for number, (form, repeat) in enumerate(itertools.product(members, range(2))):
            mention = Mention(0, form[0], form[1], (), blocking_key(*form))
            paper = PaperContext(f"2601.{number:05d}", 2016 + repeat, ("cs.LG",), (blocking_key(*form), "smith_a"), None)
            a, b = link_mention(narrow, mention, paper), link_mention(wide, mention, paper)
            assert a == b, (form, a, b)
            narrow, wide = apply_decision(narrow, a, mention, paper), apply_decision(wide, b, mention, paper)
        assert narrow == wide
