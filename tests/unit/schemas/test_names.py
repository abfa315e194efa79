"""Name folding and blocking keys."""

import pytest

from schemas.names import blocking_key, fold, is_collaboration


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Balázs", "balazs"), ("Miró-Roig", "miro roig"), ("Łukasz Kaiser", "lukasz kaiser"),
     ("Søren O'Brien", "soren o brien"), ("Straße", "strasse"), ("  de  Bruyn   Kops ", "de bruyn kops")],
)
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("keyname", "forenames", "key"),
    [("Balázs", "Csaba", "balazs_c"), ("Balazs", "C.", "balazs_c"), ("de Bruyn Kops", "S. M.", "debruynkops_s"),
     ("Miró-Roig", "R. M.", "miroroig_r"), ("Liu", "Yang", "liu_y"), ("ATLAS Collaboration", "", "atlascollaboration_")],
)
def test_blocking_key(keyname, forenames, key):
    assert blocking_key(keyname, forenames) == key


def test_collaborations_are_recognised_only_without_forenames():
    assert is_collaboration("ATLAS Collaboration")
    assert not is_collaboration("Team", "Alice")
