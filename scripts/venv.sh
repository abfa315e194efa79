#!/usr/bin/env bash
# Make .venv for this checkout. The heavy dependencies (exact versions of requirements.lock, ~6 GB
# with torch) live once per machine in a cache keyed by the lock's hash; .venv is a small venv of
# this clone that sees them through a .pth file and holds only this checkout, installed editable.
# So a fresh clone on a machine that built the cache (a CI rerun) is ready in seconds, two clones
# never disturb each other, and a new machine builds the cache once.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "error: ScholarStream needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

cache=${SCHOLARSTREAM_CACHE:-$HOME/.cache/scholarstream}
key=$( (cat requirements.lock; "$python" -VV) | sha256sum | cut -c1-16)
deps="$cache/deps-$key"

if [ ! -f "$deps/.complete" ]; then
  echo "installing the locked dependencies into $deps (first time on this machine: several minutes)" >&2
  rm -rf "$deps"
  mkdir -p "$cache"
  "$python" -m venv "$deps"
  "$deps/bin/python" -m pip install --quiet --upgrade "pip>=24"
  "$deps/bin/python" -m pip install --progress-bar off -r requirements.lock
  touch "$deps/.complete"
fi

if [ -L .venv ] || [ ! -f .venv/.deps-key ] || [ "$(cat .venv/.deps-key)" != "$key" ]; then
  rm -rf .venv
  "$python" -m venv --without-pip .venv
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  shared=$("$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$shared" > "$site/_scholarstream_deps.pth"
  echo "$key" > .venv/.deps-key
fi
# This checkout, editable (pip and setuptools come from the shared dependencies).
mkdir -p .stack
if ! .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e . > .stack/editable-install.log 2>&1; then
  cat .stack/editable-install.log >&2
  exit 1
fi
.venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check; exit 1; }
