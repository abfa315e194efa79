"""docs/architecture.md's "Code layout" lists the layers of the import contract, in its order."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO


def _contract_layers() -> list[list[str]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return [[name.strip() for name in layer.split("|")] for layer in layers]


def test_code_layout_table_matches_the_layers_contract_from_the_top_down() -> None:
    text = (REPO / "docs" / "architecture.md").read_text().split("## Code layout", 1)[1]
    rows = re.findall(r"^\| (\d+) \| `([a-z_]+)/` \|", text, flags=re.MULTILINE)
    documented = [folder for _, folder in rows]
    expected = [package for layer in _contract_layers() for package in layer]
    assert sorted(documented) == sorted(expected)
    numbers = {folder: int(number) for number, folder in rows}
    for upper, lower in zip(_contract_layers(), _contract_layers()[1:], strict=False):
        assert min(numbers[p] for p in upper) > max(numbers[p] for p in lower), (upper, lower)
        assert len({numbers[p] for p in upper}) == 1, upper


def test_every_top_level_package_is_in_a_layer() -> None:
    packages = {path.parent.name for path in REPO.glob("*/__init__.py")} - {"tests"}
    assert packages == {p for layer in _contract_layers() for p in layer}
