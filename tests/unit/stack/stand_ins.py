"""Stand-ins for the stack's nodes: plain processes whose command line names the stack directory."""

from __future__ import annotations

import subprocess
import sys
import time

from stack.processes import command_line


def stand_in(marker: str) -> subprocess.Popen:
    """A sleeping process that looks like a node of the stack, returned once it has exec'd.

    Until the exec its command line is still pytest's, and `down` rightly leaves a process without
    the marker alone: a test that wrote its pid at once raced the exec (CI, stop 36).
    """
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", marker],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while marker not in command_line(child.pid):
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            raise AssertionError(f"stand-in {child.pid} never showed {marker!r} in its command line")
        time.sleep(0.01)
    return child
