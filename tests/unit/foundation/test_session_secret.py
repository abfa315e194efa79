"""The session secret: the setting when set, else one random secret kept in a private local file."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.errors import ConfigError
from foundation.session_secret import secret_file, session_secret
from foundation.settings import Settings


def test_the_setting_wins(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), SCHOLARSTREAM_SESSION_SECRET="s3cret-session")
    assert session_secret(settings).get_secret_value() == "s3cret-session"
    assert not secret_file(settings).exists()
    assert "s3cret-session" not in repr(settings) + str(settings.redacted())


def test_unset_a_random_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path))
    first = session_secret(settings).get_secret_value()
    assert len(first) == 64
    assert session_secret(settings).get_secret_value() == first
    assert secret_file(settings).stat().st_mode & 0o777 == 0o600
    other = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path / "other"))
    assert session_secret(other).get_secret_value() != first


def test_a_symlinked_or_broken_file_is_refused_with_the_way_out(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path))
    path = secret_file(settings)
    path.parent.mkdir(parents=True)
    (tmp_path / "elsewhere.json").write_text('{"session": "planted"}')
    path.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(ConfigError, match="SCHOLARSTREAM_SESSION_SECRET"):
        session_secret(settings)
    path.unlink()
    path.write_text("[]")
    with pytest.raises(ConfigError, match="remove the file"):
        session_secret(settings)
