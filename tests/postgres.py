"""A PostgreSQL server of the tests' own: Debian's binaries, a throw-away cluster on a loopback port.

The accounts store runs on SQLite by default and on PostgreSQL in production; the integration
tests run against both. `scripts/test.sh` installs Debian's `postgresql` package when its binaries
are missing. PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres`
account (which the package creates). Password authentication (SCRAM) over TCP, as in production:
the URL carries the password.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.children import free_cluster_bases, port_in_use, wait_for

USER = "scholarstream"


def binaries() -> Path:
    """The directory holding initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    pytest.fail("PostgreSQL is not installed: `apt-get install -y --no-install-recommends postgresql` "
                "(scripts/test.sh does it when the binaries are missing)")


@dataclass(frozen=True)
class Server:
    port: int
    password: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database on this server; its URL."""
        import psycopg

        name = f"t{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def running_server() -> Iterator[Server]:
    bin_dir = binaries()
    root = Path(tempfile.mkdtemp(prefix="scholarstream-postgres-"))
    data, log = root / "data", root / "server.log"
    password = secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    os.chmod(pwfile, 0o600)
    port = next(p for p in range(free_cluster_bases(1, 1)[0], 65000) if not port_in_use(p))
    init = subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth-host=scram-sha-256",
                      "--auth-local=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"]),
        capture_output=True, text=True, timeout=120,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
                                           "-w", "-t", "60", "start"]), capture_output=True, text=True, timeout=90)
    assert started.returncode == 0, started.stdout + started.stderr + (log.read_text() if log.exists() else "")
    try:
        wait_for(lambda: port_in_use(port), 30, "PostgreSQL's port")
        yield Server(port, password)
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)
