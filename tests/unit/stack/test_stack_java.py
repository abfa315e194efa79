"""Reading `java -version` output as real JDKs print it (on stderr), across vendors and eras."""

from __future__ import annotations

import pytest

from stack.java import MIN_MAJOR, parse_version

DEBIAN_17 = """\
openjdk version "17.0.15" 2025-04-15
OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)
OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)
"""

TEMURIN_25 = """\
openjdk version "25.0.3" 2026-04-21 LTS
OpenJDK Runtime Environment Temurin-25.0.3+9 (build 25.0.3+9-LTS)
OpenJDK 64-Bit Server VM Temurin-25.0.3+9 (build 25.0.3+9-LTS, mixed mode, sharing)
"""

ORACLE_8 = """\
java version "1.8.0_392"
Java(TM) SE Runtime Environment (build 1.8.0_392-b08)
Java HotSpot(TM) 64-Bit Server VM (build 25.392-b08, mixed mode)
"""

OPENJDK_21_GA = """\
openjdk version "21" 2023-09-19
OpenJDK Runtime Environment (build 21+35-2513)
OpenJDK 64-Bit Server VM (build 21+35-2513, mixed mode, sharing)
"""

EARLY_ACCESS = """\
openjdk version "26-ea" 2026-03-17
OpenJDK Runtime Environment (build 26-ea+20-2057)
OpenJDK 64-Bit Server VM (build 26-ea+20-2057, mixed mode, sharing)
"""

WITH_TOOL_OPTIONS = """\
Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=UTF-8
openjdk version "21.0.4" 2024-07-16 LTS
OpenJDK Runtime Environment Zulu21.36+17-CA (build 21.0.4+7-LTS)
OpenJDK 64-Bit Server VM Zulu21.36+17-CA (build 21.0.4+7-LTS, mixed mode, sharing)
"""


@pytest.mark.parametrize(
    ("output", "version", "major"),
    [
        (DEBIAN_17, "17.0.15", 17),
        (TEMURIN_25, "25.0.3", 25),
        (ORACLE_8, "1.8.0_392", 8),
        (OPENJDK_21_GA, "21", 21),
        (EARLY_ACCESS, "26-ea", 26),
        (WITH_TOOL_OPTIONS, "21.0.4", 21),
    ],
)
def test_parses_version_and_major(output: str, version: str, major: int) -> None:
    assert parse_version(output) == (version, major)


@pytest.mark.parametrize("output", ["", "bash: java: command not found", 'openjdk version "" 2024'])
def test_unrecognised_output_is_none(output: str) -> None:
    assert parse_version(output) is None


def test_java_17_is_too_old_and_25_is_enough() -> None:
    too_old = parse_version(DEBIAN_17)
    recent = parse_version(TEMURIN_25)
    assert too_old is not None and too_old[1] < MIN_MAJOR
    assert recent is not None and recent[1] >= MIN_MAJOR
