from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
# Each test folder is a kind of test, and its marker comes from the folder: a `pytestmark` in a
# conftest.py marks nothing (pytest reads it only from test modules), so it is applied here.
MARKER_OF_FOLDER = {"integration": "integration", "faults": "faults", "cluster": "cluster", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).resolve().relative_to(TESTS).parts[0]
        marker = MARKER_OF_FOLDER.get(folder)
        if marker is not None:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
