"""Random secrets a local run keeps in a file only its owner can read (when no setting names them).

The signal keys (foundation/signal_keys.py) and the session secret (foundation/session_secret.py)
are made here the same way: O_EXCL, so two processes starting together agree on one file;
O_NOFOLLOW, so a planted link is not followed; 0600 in a 0700 directory.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from foundation.errors import ConfigError


def read_or_create(path: Path, names: tuple[str, ...], remedy: str) -> dict[str, SecretStr]:
    """The secrets `names` from `path`, made (random, 32 bytes each) when it does not exist yet.
    A file that cannot be read is a ConfigError ending with `remedy`."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = json.dumps({name: secrets.token_hex(32) for name in names})
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(handle, "w") as out:
                out.write(fresh)
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(handle) as source:
            text = source.read()
        stored = json.loads(text) if text else {}
        return {name: SecretStr(stored[name]) for name in names}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"cannot read the secrets in {path} ({type(error).__name__}); {remedy}") from error
