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


def _fold_by_decomposing(text: str) -> str:
    """The fold as it was before ASCII text skipped the decomposition: every text decomposed."""
    import unicodedata

    from schemas.names import _NOT_LETTER, _SPECIAL

    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_LETTER.sub(" ", ascii_only.lower()).split())


def test_ascii_text_folds_as_if_decomposed():
    """The ASCII shortcut changes no fold: every ASCII character alone and in names, and the
    non-ASCII ones still decomposed."""
    texts = [chr(code) for code in range(128)] + [
        "O'Brien, J.-P.", "van der Waals\tJ D", "SMITH\u00a0John", "Anne-Marie  DE LA  Cruz", "x_y-z.1",
        "Łukasz", "Ǆemal", "ﬁsher", "Ａｌｉｃｅ", "Miró-Roig",
    ]
    for text in texts:
        assert fold(text) == _fold_by_decomposing(text), repr(text)
