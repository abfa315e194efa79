"""Elasticsearch with security off, run from the integ-test zip: one node, or a small cluster.

That zip carries no JDK (ES_JAVA_HOME must name ours) and Elasticsearch will not run as root,
so as root we run it as a dedicated system user that owns only the stack's Elasticsearch files.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import StackError
from foundation.settings import Settings

from . import safe_files
from .java import JavaRuntime
from .layout import StackPaths
from .maven import MARKER, PomVersions, write_marker
from .nodes import EsNode
from .processes import Launch

HOST = "127.0.0.1"
CLUSTER_NAME = "scholarstream"
SERVICE_USER = "scholarstream-es"
_CONFIG_MARKER = ".scholarstream-config-version"


def transport_port(settings: Settings) -> int:
    return settings.elasticsearch_port + 100


def http_url(settings: Settings) -> str:
    return f"http://{HOST}:{settings.elasticsearch_port}"


# Configuration ------------------------------------------------------------------------------


def render_yml(http_port: int, transport: int, data_dir: Path, logs_dir: Path) -> str:
    """elasticsearch.yml for a loopback-only development node.

    single-node discovery skips the production bootstrap checks (vm.max_map_count etc.), and the
    disk watermarks are off so a fullish laptop disk does not silently make indices read-only.
    """
    settings: list[tuple[str, object]] = [
        ("cluster.name", CLUSTER_NAME),
        ("node.name", "local"),
        ("network.host", HOST),
        ("http.port", http_port),
        ("transport.port", transport),
        ("discovery.type", "single-node"),
        ("xpack.security.enabled", False),
        ("xpack.ml.enabled", False),
        ("path.data", str(data_dir)),
        ("path.logs", str(logs_dir)),
        ("cluster.routing.allocation.disk.threshold_enabled", False),
    ]
    # JSON scalars are valid YAML, and quoting that way keeps odd characters in paths safe.
    body = "\n".join(f"{key}: {json.dumps(value)}" for key, value in settings)
    return "# Written by `scholarstream stack up`; regenerated on every start.\n" + body + "\n"


def render_heap_options(heap: str) -> str:
    return f"# Written by `scholarstream stack up` (SCHOLARSTREAM_ES_HEAP).\n-Xms{heap}\n-Xmx{heap}\n"


def write_config(settings: Settings, paths: StackPaths, version: str) -> None:
    """Copy the distribution's default config once per version, then write our own files over it.

    The config directory is kept (not regenerated wholesale) because Elasticsearch stores its
    keystore there.
    """
    _write_config_files(
        paths.root, (paths.es_config, paths.es_data, paths.es_logs, paths.es_tmp), paths.es_home, version,
        render_yml(settings.elasticsearch_port, transport_port(settings), paths.es_data, paths.es_logs),
        render_heap_options(settings.stack_es_heap),
    )


def _write_config_files(root: Path, dirs: tuple[Path, ...], es_home: Path, version: str, yml: str, heap: str) -> None:
    """The config directory (`dirs[0]`) and its siblings; every write refuses symbolic links there
    (stack/safe_files.py): the service account owns these directories."""
    for directory in dirs:
        safe_files.make_dirs(root, directory)
    config = dirs[0]
    marker = config / _CONFIG_MARKER
    recorded = marker.read_text(encoding="utf-8").strip() if marker.is_file() and not marker.is_symlink() else ""
    if recorded != version:
        safe_files.refuse_links_within(root, config)
        shutil.copytree(es_home / "config", config, dirs_exist_ok=True)
        safe_files.write_text(root, marker, version + "\n")
    safe_files.write_text(root, config / "elasticsearch.yml", yml)
    safe_files.write_text(root, config / "jvm.options.d" / "heap.options", heap)


# Distribution -------------------------------------------------------------------------------


def unpack(zip_path: Path, paths: StackPaths, versions: PomVersions) -> None:
    """Unzip the distribution into home/, keeping the executable bits Python's zipfile drops.

    It is unpacked beside home/ and renamed into place so an interrupted unzip is never mistaken
    for a complete one.
    """
    staging = paths.es / "home.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for info in archive.infolist():
                parts = Path(info.filename).parts
                if len(parts) <= 1 or ".." in parts:
                    continue  # the top-level "elasticsearch-X/" folder itself
                target = staging.joinpath(*parts[1:])
                mode = (info.external_attr >> 16) & 0o7777
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1024 * 1024)
                if mode:
                    os.chmod(target, mode)
    except (OSError, zipfile.BadZipFile) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StackError(f"could not unpack {zip_path}: {exc}") from exc
    write_marker(staging, versions)
    shutil.rmtree(paths.es_home, ignore_errors=True)
    staging.rename(paths.es_home)


def is_unpacked(paths: StackPaths) -> bool:
    return (paths.es_home / "bin" / "elasticsearch").is_file() and (paths.es_home / MARKER).is_file()


# Running as a non-root user -----------------------------------------------------------------


@dataclass(frozen=True)
class RunAs:
    user: str
    group: str
    uid: int
    gid: int


def service_account() -> RunAs | None:
    """The account to run Elasticsearch as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        try:
            completed = subprocess.run(
                [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except OSError as exc:
            raise StackError(
                f"Elasticsearch refuses to run as root and the user {SERVICE_USER} could not be created: {exc}"
            ) from exc
        if completed.returncode != 0:
            raise StackError(
                f"Elasticsearch refuses to run as root and `useradd {SERVICE_USER}` failed: "
                f"{completed.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(SERVICE_USER)
    return RunAs(SERVICE_USER, grp.getgrgid(entry.pw_gid).gr_name, entry.pw_uid, entry.pw_gid)


def unreachable_dirs(path: Path, uid: int, gids: set[int]) -> list[Path]:
    """Directories on the way to `path` that `uid` may not enter (lacking the x bit for it)."""
    blocked = []
    for directory in [path, *path.parents]:
        try:
            info = directory.stat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        if info.st_uid == uid:
            bit = stat.S_IXUSR
        elif info.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            blocked.append(directory)
    return sorted(blocked)


def prepare_account(account: RunAs, paths: StackPaths, java: JavaRuntime, node: EsNode | None = None) -> None:
    """Give the service account its files, and check it can reach them and the JDK at all."""
    gids = {account.gid, *os.getgrouplist(account.user, account.gid)}
    blocked = sorted(
        set(unreachable_dirs(paths.es, account.uid, gids)) | set(unreachable_dirs(java.home, account.uid, gids))
    )
    if blocked:
        listed = " ".join(str(d) for d in blocked)
        raise StackError(
            f"Elasticsearch refuses to run as root, so it runs as user {account.user}, which cannot "
            f"enter {listed}. Either `chmod o+x {listed}`, or set SCHOLARSTREAM_STACK_DIR (and, if "
            f"Java lives there, JAVA_HOME) to a directory outside it."
        )
    tops = (paths.es_config, paths.es_data, paths.es_logs, paths.es_tmp)
    if node is not None:
        tops = (node.config_dir, node.data_dir, node.logs_dir, node.tmp_dir)
    for top in (paths.es_home, *tops):
        _chown_tree(top, account.uid, account.gid)


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    def fix(path: str) -> None:
        info = os.lstat(path)
        if info.st_uid != uid or info.st_gid != gid:
            os.chown(path, uid, gid, follow_symlinks=False)

    if not top.exists():
        return
    fix(str(top))
    for directory, subdirs, files in os.walk(top):
        for name in subdirs + files:
            fix(os.path.join(directory, name))


# Process ------------------------------------------------------------------------------------


def launch(paths: StackPaths, java: JavaRuntime, account: RunAs | None) -> Launch:
    """The command line that starts the node in the foreground of its own session.

    `-q` keeps Elasticsearch from copying its whole log to stdout (elasticsearch.out has no
    rotation); fatal start-up errors still go there. The working directory is the logs
    directory because jvm.options writes gc.log and crash files relative to it.
    """
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env.update(
        ES_JAVA_HOME=str(java.home),
        ES_PATH_CONF=str(paths.es_config),
        ES_TMPDIR=str(paths.es_tmp),
    )
    return Launch(
        argv=[str(paths.es_home / "bin" / "elasticsearch"), "-q"],
        env=env,
        cwd=paths.es_logs,
        output=paths.es_out,
        user=account.user if account else None,
        group=account.group if account else None,
    )


def server_log(paths: StackPaths) -> Path:
    return paths.es_logs / f"{CLUSTER_NAME}.log"


def _get_json(url: str, timeout: float) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def cluster_health(settings: Settings, timeout: float = 2.0) -> str | None:
    """"green"/"yellow"/"red", or None when nothing answers (`GET /` is not served by this build)."""
    payload = health(http_url(settings), timeout)
    status = payload.get("status") if payload else None
    return status if isinstance(status, str) else None


def health(url: str, timeout: float = 2.0) -> dict[str, object] | None:
    """The `_cluster/health` answer of the node at `url`, or None when it does not answer."""
    return _get_json(f"{url}/_cluster/health", timeout)


def is_ready(settings: Settings) -> bool:
    return cluster_health(settings) in ("green", "yellow")


def node_version(settings: Settings, timeout: float = 2.0) -> str | None:
    payload = _get_json(f"{http_url(settings)}/_nodes/_local", timeout)
    nodes = payload.get("nodes") if payload else None
    if not isinstance(nodes, dict):
        return None
    for node in nodes.values():
        if isinstance(node, dict) and isinstance(node.get("version"), str):
            return node["version"]
    return None


# A cluster of nodes -------------------------------------------------------------------------------


def render_node_yml(node: EsNode, nodes: Sequence[EsNode], bootstrap: bool) -> str:
    """elasticsearch.yml for one master-eligible data node of a loopback-only cluster of `nodes`.

    Every node seeds discovery with every transport address. `cluster.initial_master_nodes` (all of
    them) is only written while the node has never joined a cluster (`bootstrap`): it is used once,
    to elect the first master, and Elasticsearch warns when it is left in place afterwards. Bound
    to loopback, the nodes run in development mode, so the production bootstrap checks do not
    apply even without `discovery.type: single-node`.
    """
    settings: list[tuple[str, object]] = [
        ("cluster.name", CLUSTER_NAME),
        ("node.name", node.name),
        ("network.host", HOST),
        ("http.port", node.http_port),
        ("transport.port", node.transport_port),
        ("discovery.seed_hosts", [n.transport_address for n in nodes]),
    ]
    if bootstrap:
        settings.append(("cluster.initial_master_nodes", [n.name for n in nodes]))
    settings += [
        ("xpack.security.enabled", False),
        ("xpack.ml.enabled", False),
        ("path.data", str(node.data_dir)),
        ("path.logs", str(node.logs_dir)),
        ("cluster.routing.allocation.disk.threshold_enabled", False),
    ]
    body = "\n".join(f"{key}: {json.dumps(value)}" for key, value in settings)
    return "# Written by `scholarstream stack up`; regenerated on every start.\n" + body + "\n"


def has_joined_a_cluster(node: EsNode) -> bool:
    """Whether the node's data directory holds cluster state (it has formed or joined a cluster)."""
    return (node.data_dir / "_state").is_dir()


def write_node_config(
    node: EsNode, nodes: Sequence[EsNode], es_home: Path, heap: str, version: str, stack_root: Path
) -> None:
    """Like `write_config`, for one node of a cluster: its own config directory, data and logs."""
    _write_config_files(
        stack_root, (node.config_dir, node.data_dir, node.logs_dir, node.tmp_dir), es_home, version,
        render_node_yml(node, nodes, bootstrap=not has_joined_a_cluster(node)), render_heap_options(heap),
    )


def launch_node(node: EsNode, paths: StackPaths, java: JavaRuntime, account: RunAs | None) -> Launch:
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env.update(ES_JAVA_HOME=str(java.home), ES_PATH_CONF=str(node.config_dir), ES_TMPDIR=str(node.tmp_dir))
    return Launch(
        argv=[str(paths.es_home / "bin" / "elasticsearch"), "-q"],
        env=env,
        cwd=node.logs_dir,
        output=node.output,
        user=account.user if account else None,
        group=account.group if account else None,
    )


def node_server_log(node: EsNode) -> Path:
    return node.logs_dir / f"{CLUSTER_NAME}.log"


def cat_nodes(url: str, timeout: float = 2.0) -> list[dict[str, object]] | None:
    """`_cat/nodes` as JSON (name, node.role, master "*" for the elected one), or None."""
    try:
        with urllib.request.urlopen(f"{url}/_cat/nodes?format=json&h=name,node.role,master", timeout=timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return [row for row in payload if isinstance(row, dict)] if isinstance(payload, list) else None
