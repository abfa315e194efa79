"""Regression: `pytest -m "not integration and not faults and not cluster and not browser"` must run the unit tests alone.

The markers used to be set with `pytestmark` in the integration and fault folders' conftest.py
files, where pytest ignores them, so deselecting by marker selected every test.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def _collected(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line.split("::")[0] for line in result.stdout.splitlines() if "::" in line]


def test_deselecting_the_service_markers_leaves_only_unit_tests() -> None:
    files = set(_collected("-m", "not integration and not faults and not cluster and not browser", "tests"))
    assert files, "nothing collected"
    assert all(path.startswith("tests/unit/") for path in files), sorted(p for p in files if not p.startswith("tests/unit/"))


def test_the_integration_marker_selects_exactly_the_integration_folder() -> None:
    files = set(_collected("-m", "integration", "tests"))
    assert files and all(path.startswith("tests/integration/") for path in files), sorted(files)[:5]


def test_the_browser_marker_selects_exactly_the_browser_folder() -> None:
    files = set(_collected("-m", "browser", "tests"))
    assert files and all(path.startswith("tests/browser/") for path in files), sorted(files)[:5]
