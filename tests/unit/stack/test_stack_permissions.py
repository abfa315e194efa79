"""The stack directory: other accounts may pass through it to the search engine's directories,
but may not list it, nor enter Kafka's, the secrets' or the pipeline state's (issue 18)."""

from __future__ import annotations

import stat

from stack import safe_files


def _mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_stack_directory_lets_others_pass_but_not_read(tmp_path):
    root = tmp_path / ".stack"
    for name in ("kafka", "secrets", "state", "elasticsearch/home"):
        (root / name).mkdir(parents=True, mode=0o755)
    root.chmod(0o755)
    safe_files.restrict(root)
    assert _mode(root) == 0o711
    assert [_mode(root / name) for name in ("kafka", "secrets", "state")] == [0o700] * 3
    assert _mode(root / "elasticsearch") == 0o711
    assert _mode(root / "elasticsearch" / "home") == 0o755, "below it, the engine's own directories are left alone"


def test_a_link_in_place_of_a_private_directory_is_not_followed(tmp_path):
    root = tmp_path / ".stack"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    (root / "kafka").symlink_to(elsewhere)
    safe_files.restrict(root)
    assert _mode(elsewhere) == 0o755


def test_a_new_stack_directory_gets_its_private_directories_before_anything_is_written(tmp_path):
    root = tmp_path / ".stack"
    root.mkdir()
    safe_files.restrict(root)
    assert {p.name: _mode(p) for p in root.iterdir()} == {"kafka": 0o700, "secrets": 0o700, "elasticsearch": 0o711}
