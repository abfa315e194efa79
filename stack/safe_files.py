"""Writing into directories another account owns, without following its symbolic links.

Elasticsearch refuses to run as root, so as root the stack runs it as a service account and gives
that account its config, data, log and temp directories. The account can then put a symbolic link
where the next `stack up` (as root) writes its config: `elasticsearch.yml` pointing at a file of
root's would have root overwrite it. Every write there goes through here: each directory below the
stack's own root is opened without following links (O_NOFOLLOW, by directory descriptor, so a link
swapped in between two checks is not followed either), and a link anywhere on the way is refused.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from foundation.errors import StackError


def _refused(path: Path) -> StackError:
    return StackError(
        f"refusing to write {path}: a symbolic link is on its way (the directories below the stack's root belong to "
        "the Elasticsearch service account, which may not redirect root's writes); remove the link and run `stack up` again"
    )


def _open_dir(root: Path, directory: Path, create: bool) -> int:
    """A descriptor of `directory` (below `root`), reached without following any link."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in directory.relative_to(root).parts:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _refused(directory / part) from error
                raise
            os.close(fd)
            fd = inner
        return fd
    except BaseException:
        os.close(fd)
        raise


def make_dirs(root: Path, directory: Path) -> None:
    """`mkdir -p directory` below `root`, refusing a link on the way."""
    os.close(_open_dir(root, directory, create=True))


def write_text(root: Path, path: Path, text: str) -> None:
    """Write `path` (below `root`) whole, refusing a link on the way or at the file itself."""
    fd = _open_dir(root, path.parent, create=True)
    try:
        try:
            out = os.open(path.name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644, dir_fd=fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise _refused(path) from error
            raise
        with os.fdopen(out, "w", encoding="utf-8") as handle:
            handle.write(text)
    finally:
        os.close(fd)


def refuse_links_within(root: Path, top: Path) -> None:
    """Refuse when `top` or anything below it is a link (before copying files into it)."""
    os.close(_open_dir(root, top, create=True))
    for directory, subdirs, files in os.walk(top):
        for name in subdirs + files:
            if os.path.islink(os.path.join(directory, name)):
                raise _refused(Path(directory) / name)
