"""Getting Kafka's classpath and the Elasticsearch distribution out of Maven.

The pom next to this file is the single place that names versions. Maven is only run when
what sits in the stack directory was not produced from the current pom (a marker file records
the pom's digest), and then offline first, so an `up` with a warm ~/.m2 never touches the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import StackError

from .java import JavaRuntime

MAVEN_HINT = "Maven (mvn) not found: apt-get install maven"
MARKER = ".scholarstream-fetched.json"

_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_DOWNLOADED = re.compile(r"Downloaded from \S+: (\S+)")


@dataclass(frozen=True)
class PomVersions:
    """The versions the pom pins, which are what `status` reports before anything runs."""

    kafka: str
    elasticsearch: str
    digest: str  # sha256 of the pom: any edit invalidates what was fetched from it


def parse_pom(text: str) -> PomVersions:
    """Versions of the kafka_2.13 and Elasticsearch dependencies, with ${properties} resolved."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise StackError(f"stack/pom.xml is not valid XML: {exc}") from exc
    properties = {}
    props = root.find("m:properties", _NS)
    if props is not None:
        for element in props:
            name = element.tag.split("}", 1)[-1]
            properties[name] = (element.text or "").strip()

    def resolve(value: str) -> str:
        return _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)

    versions: dict[str, str] = {}
    for dep in root.findall("m:dependencies/m:dependency", _NS):
        artifact = (dep.findtext("m:artifactId", "", _NS) or "").strip()
        group = (dep.findtext("m:groupId", "", _NS) or "").strip()
        version = resolve((dep.findtext("m:version", "", _NS) or "").strip())
        if group == "org.apache.kafka" and artifact.startswith("kafka_"):
            versions["kafka"] = version
        elif group.startswith("org.elasticsearch.distribution") and artifact == "elasticsearch":
            versions["elasticsearch"] = version
    missing = {"kafka", "elasticsearch"} - versions.keys()
    if missing:
        raise StackError(f"stack/pom.xml declares no {' or '.join(sorted(missing))} dependency")
    return PomVersions(
        kafka=versions["kafka"],
        elasticsearch=versions["elasticsearch"],
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def read_pom(pom: Path) -> PomVersions:
    try:
        return parse_pom(pom.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StackError(f"cannot read {pom}: {exc}") from exc


# Markers ------------------------------------------------------------------------------------


def marker_matches(directory: Path, expected: dict[str, str]) -> bool:
    """Whether `directory` was filled from a pom with these values, so Maven can be skipped.

    Kafka's classpath is keyed by the pom digest (any dependency may change it); the unpacked
    Elasticsearch only by its version, so editing Kafka's side never re-unpacks Elasticsearch.
    """
    try:
        recorded = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and all(recorded.get(k) == v for k, v in expected.items())


def write_marker(directory: Path, versions: PomVersions) -> None:
    payload = {
        "pom_sha256": versions.digest,
        "kafka": versions.kafka,
        "elasticsearch": versions.elasticsearch,
        "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (directory / MARKER).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def read_marker(directory: Path) -> dict[str, str]:
    try:
        recorded = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


# Running Maven ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchReport:
    downloaded: int  # artifacts Maven pulled from a remote repository (0 = all from ~/.m2)
    offline: bool  # whether the offline attempt was enough
    seconds: float


def copy_dependencies(
    pom: Path,
    output_dir: Path,
    java: JavaRuntime,
    *,
    include_types: str | None = None,
    exclude_types: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> FetchReport:
    """Copy the pom's runtime dependencies into `output_dir`, offline if ~/.m2 already has them."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(MAVEN_HINT)
    args = [
        mvn,
        "-B",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}",
        "-DincludeScope=runtime",
    ]
    if include_types:
        args.append(f"-DincludeTypes={include_types}")
    if exclude_types:
        args.append(f"-DexcludeTypes={exclude_types}")

    env = dict(os.environ)
    # Maven itself runs on any Java; only lend it ours when it would otherwise find none.
    if not env.get("JAVA_HOME") and shutil.which("java") is None:
        env["JAVA_HOME"] = str(java.home)

    started = time.monotonic()
    offline_ok, _, _ = _run_maven([*args[:1], "-o", *args[1:]], env, on_step=None)
    if offline_ok:
        return FetchReport(downloaded=0, offline=True, seconds=time.monotonic() - started)

    if on_step:
        on_step("Maven: not everything is in ~/.m2 yet, downloading")
    ok, downloaded, tail = _run_maven(args, env, on_step=on_step)
    if not ok:
        raise StackError("Maven could not fetch the stack's artifacts:\n" + "\n".join(tail))
    return FetchReport(downloaded=downloaded, offline=False, seconds=time.monotonic() - started)


def _run_maven(
    args: list[str], env: dict[str, str], on_step: Callable[[str], None] | None
) -> tuple[bool, int, list[str]]:
    """Run Maven, relaying downloads as progress; returns (succeeded, downloads, last lines)."""
    tail: deque[str] = deque(maxlen=30)
    downloaded = 0
    try:
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
    except OSError as exc:
        raise StackError(f"{MAVEN_HINT} ({exc})") from exc
    assert process.stdout is not None
    for raw in process.stdout:
        line = _strip_ansi(raw.rstrip())
        tail.append(line)
        match = _DOWNLOADED.search(line)
        if match:
            downloaded += 1
            if on_step:
                on_step(f"Maven: downloaded {match.group(1).rsplit('/', 1)[-1]}")
    return process.wait() == 0, downloaded, list(tail)


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
