"""The secret that signs the web app's session cookies.

Production sets SCHOLARSTREAM_SESSION_SECRET (every instance behind one address needs the same one,
or a session made by one is refused by the next). A local run without it keeps a random secret in a
file only its owner can read, beside the signal keys (foundation/signal_keys.py) and made the same
way: O_EXCL so two processes starting together agree, O_NOFOLLOW so a planted link is not followed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from foundation.local_secrets import read_or_create
from foundation.settings import Settings


def secret_file(settings: Settings) -> Path:
    return settings.stack_dir / "secrets" / "session-secret.json"


def session_secret(settings: Settings) -> SecretStr:
    """The configured secret, else the local file's (made on first use)."""
    if settings.session_secret is not None:
        return settings.session_secret
    return _local_secret(secret_file(settings))


def _local_secret(path: Path) -> SecretStr:
    remedy = ("set SCHOLARSTREAM_SESSION_SECRET, or remove the file to make a new one "
              "(every session is then signed out)")
    return read_or_create(path, ("session",), remedy)["session"]
