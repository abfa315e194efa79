"""Starting, recognising and stopping the stack's detached Java processes.

The services must outlive the `scholarstream` command that started them, so each gets its own
session (and thus process group); a pid file is the only link back. Because pids get reused,
a pid only counts as ours while its command line still mentions our stack directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from foundation.errors import StackError

# Children started by this interpreter, kept so that they are reaped (not left as zombies
# that still look alive) and so a crash during start-up is noticed at once.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one service."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    output: Path  # receives stdout and stderr
    user: str | None = None  # run as this user (only meaningful when we are root)
    group: str | None = None


@dataclass
class StopOutcome:
    name: str
    pid: int
    forced: bool = False  # SIGTERM was not enough within the grace period
    seconds: float = 0.0
    leftover: list[int] = field(default_factory=list)  # pids still alive afterwards (should be empty)


# Pid files ----------------------------------------------------------------------------------


def read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{pid}\n", encoding="ascii")


def remove_pid(pid_file: Path) -> None:
    pid_file.unlink(missing_ok=True)


# Inspecting processes -----------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0], pgrp is [2])."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def is_alive(pid: int) -> bool:
    """Whether `pid` is a running process; zombies count as dead (and are reaped if ours)."""
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, but belongs to someone else
    fields = _stat_fields(pid)
    if fields is None:
        return False
    return fields[0] not in ("Z", "X")


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def owned_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process is alive and is ours (its command line has `marker`)."""
    pid = read_pid(pid_file)
    if pid is None or not is_alive(pid):
        return None
    return pid if marker in command_line(pid) else None


def group_members(pgid: int) -> list[int]:
    """Live processes of process group `pgid`: the service and anything it forked."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def java_processes_mentioning(marker: str) -> list[int]:
    """Live Java processes whose command line contains `marker` (our stack directory).

    This finds services whose pid file was lost, so `down` can still leave nothing behind.
    Only Java executables count, so a shell or editor that merely names the path is never hit.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0].decode(errors="replace")) == "java":
            if marker in b" ".join(argv).decode(errors="replace") and is_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def resident_kib(pid: int) -> int:
    """Resident memory (VmRSS, KiB) of `pid` and the rest of its process group, e.g. Elasticsearch's
    launcher and the server JVM it forks."""
    total = 0
    for member in {pid, *group_members(pid)}:
        try:
            lines = Path(f"/proc/{member}/status").read_text(encoding="ascii", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def exit_code(pid: int) -> int | None:
    """The exit status of a child we started, if it has exited; None if running or not ours."""
    child = _children.get(pid)
    return None if child is None else child.poll()


# Starting and stopping ----------------------------------------------------------------------


def start_detached(launch: Launch, pid_file: Path) -> int:
    """Start a service in its own session, record its pid, and return it."""
    launch.output.parent.mkdir(parents=True, exist_ok=True)
    # As another user (we are root): that user's group and no supplementary groups of ours.
    extra_groups: list[str] | None = [] if launch.user is not None else None
    with open(launch.output, "ab") as output:
        output.write(f"\n--- started {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(launch.argv)}\n".encode())
        output.flush()
        try:
            process = subprocess.Popen(
                launch.argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=launch.cwd,
                env=launch.env,
                start_new_session=True,
                close_fds=True,
                user=launch.user,
                group=launch.group,
                extra_groups=extra_groups,
            )
        except OSError as exc:
            raise StackError(f"could not start {launch.argv[0]}: {exc}") from exc
    _children[process.pid] = process
    write_pid(pid_file, process.pid)
    return process.pid


def _signal_group(pid: int, sig: signal.Signals) -> None:
    for send in (os.killpg, os.kill):
        try:
            send(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _remaining(pid: int) -> list[int]:
    members = set(group_members(pid))
    if is_alive(pid):
        members.add(pid)
    return sorted(members)


def stop(services: dict[str, int], grace_seconds: float = 30.0) -> list[StopOutcome]:
    """SIGTERM each service's process group, then SIGKILL whatever outlives the grace period.

    All services are signalled before any is waited for, so their shutdowns overlap.
    """
    started = time.monotonic()
    outcomes = {name: StopOutcome(name, pid) for name, pid in services.items()}
    for pid in services.values():
        _signal_group(pid, signal.SIGTERM)
    pending = dict(services)
    deadline = started + grace_seconds
    while pending:
        for name, pid in list(pending.items()):
            if not _remaining(pid):
                outcomes[name].seconds = time.monotonic() - started
                del pending[name]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    for name, pid in pending.items():
        outcomes[name].forced = True
        _signal_group(pid, signal.SIGKILL)
        for member in _remaining(pid):
            try:
                os.kill(member, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    kill_deadline = time.monotonic() + 10
    for name, pid in pending.items():
        while _remaining(pid) and time.monotonic() < kill_deadline:
            time.sleep(0.1)
        outcomes[name].leftover = _remaining(pid)
        outcomes[name].seconds = time.monotonic() - started
    for pid in services.values():
        if pid in _children and _children[pid].poll() is not None:
            del _children[pid]
    return list(outcomes.values())


# Ports --------------------------------------------------------------------------------------


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether binding `host:port` would fail, i.e. some process already listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def port_answers(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> str | None:
    """A description ("pid 123: java ...") of the process listening on `port`, when visible to us."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in targets:
                    pid = int(entry.name)
                    return f"pid {pid}: {command_line(pid)[:160]}"
            except OSError:
                continue
    return None


# Logs ---------------------------------------------------------------------------------------


def tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file ("" if it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            data = handle.read()
    except OSError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:])
