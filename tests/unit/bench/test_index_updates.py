"""bench.index_updates: bulk bodies as the indexer writes them, and variants that change one thing."""

from __future__ import annotations

import copy
import json

from bench.index_updates import BATCH, PARTS, SHUFFLED, VARIANTS, bodies, bytes_by_tenth, encode_revisions, shuffled, tenths_of
from indexers.mappings import RESEARCHERS
from stream_processors.profiles import new_profile


def _revision(number: int, revision: int) -> bytes:
    return new_profile(f"r-{number:040x}", f"Ada Lovelace {number}").model_copy(update={"revision": revision}).wire()


def test_bodies_hold_every_revision_in_order_with_its_external_version():
    values = [_revision(n % 7, n) for n in range(BATCH * 2 + 3)]
    chunks = bodies(encode_revisions(values))
    assert len(chunks) == 3
    lines = [json.loads(line) for chunk in chunks for line in chunk.decode().splitlines()]
    actions, documents = lines[0::2], lines[1::2]
    assert [a["index"]["version"] for a in actions] == list(range(len(values)))
    assert all(a["index"]["version_type"] == "external" and "_index" not in a["index"] for a in actions)
    assert [d["researcher_id"] for d in documents] == [f"r-{n % 7:040x}" for n in range(len(values))]
    assert [a["index"]["_id"] for a in actions] == [d["researcher_id"] for d in documents]


def test_each_variant_changes_only_what_it_names():
    base_settings = {"number_of_shards": 1, "refresh_interval": "30s"}
    for name, change in VARIANTS.items():
        settings, mapping = change(dict(base_settings), copy.deepcopy(RESEARCHERS.mappings))
        changed_settings = {k for k in settings.keys() | base_settings.keys() if settings.get(k) != base_settings.get(k)}
        changed_fields = {f for f in RESEARCHERS.mappings["properties"]
                          if mapping["properties"][f] != RESEARCHERS.mappings["properties"][f]}
        if name == "as shipped" or name in SHUFFLED:
            assert not changed_settings and not changed_fields
        elif name == "vector not indexed":
            assert not changed_settings and changed_fields == {"embedding"}
            assert mapping["properties"]["embedding"]["index"] is False
        else:
            assert len(changed_settings) == 1 and not changed_fields, name
    assert RESEARCHERS.mappings["properties"]["embedding"]["index"] is True  # the shipped mapping untouched


def test_variants_alternate_within_each_round_and_each_run_is_tagged(capsys):
    from bench.common import alternated_runs

    measured = alternated_runs(2, ["a", "b"], lambda round_number, number, name: {"asked": round_number, "number": number, "name": name},
                               lambda run: f"measured {run['name']}")
    assert [(r["round"], r["number"], r["name"]) for r in measured["runs"]] == [(1, 0, "a"), (1, 1, "b"), (2, 0, "a"), (2, 1, "b")]
    assert all(r["asked"] == r["round"] for r in measured["runs"])
    assert len(measured["load_average_before"]) == len(measured["load_average_after"]) == 3
    assert capsys.readouterr().err.splitlines() == ["round 1: a: measured a", "round 1: b: measured b",
                                                    "round 2: a: measured a", "round 2: b: measured b"]
    assert alternated_runs(0, ["a"], lambda *_: {}, str)["runs"] == []


def test_the_shuffled_control_writes_the_same_revisions_in_a_fixed_order_with_plain_versions():
    values = [_revision(n % 7, n) for n in range(BATCH * 2)]
    mixed = shuffled(values)
    assert mixed != values and sorted(mixed) == sorted(values) and shuffled(values) == mixed
    chunks = bodies(encode_revisions(mixed), external=False)
    actions = [json.loads(line)["index"] for chunk in chunks for line in chunk.decode().splitlines()[0::2]]
    assert all(set(action) == {"_id"} for action in actions)  # every write replaces, whatever its revision


def test_bytes_by_tenth_are_a_revisions_bulk_bytes_in_each_tenth():
    chunks = [b"x" * (100 * (n + 1)) for n in range(PARTS * 2)]  # two chunks a tenth, growing
    records = len(chunks) * BATCH - 10  # the last chunk is short
    sizes = bytes_by_tenth(chunks, records)
    assert len(sizes) == PARTS
    assert sizes[0] == (100 + 200) / (2 * BATCH)
    assert sizes[-1] == (1900 + 2000) / (2 * BATCH - 10)
    assert sizes == sorted(sizes)


def test_every_revision_falls_in_one_tenth_even_in_a_replay_of_fewer_chunks_than_tenths():
    for chunks, records in ((3, 2 * BATCH + 7), (10, 10 * BATCH), (57, 57 * BATCH - 1)):
        tenths = tenths_of(chunks, records)
        assert len(tenths) == PARTS and tenths[-1][0] == chunks
        assert sum(revisions for _, revisions in tenths) == records
        assert all(revisions >= 0 for _, revisions in tenths)
