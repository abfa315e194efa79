#!/usr/bin/env bash
# Make .venv: a virtualenv with the exact versions of requirements.lock plus this checkout (editable).
# The environment itself lives in a cache keyed by the lock's hash, so a fresh clone on a machine
# that already built it (a CI rerun) reuses it in seconds; a new machine builds it once (~6 GB, torch).
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
venv="$cache/venv-$key"

if [ ! -f "$venv/.complete" ]; then
  echo "creating the virtualenv $venv (first time on this machine: several minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade "pip>=24"
  "$venv/bin/python" -m pip install --progress-bar off -r requirements.lock
  touch "$venv/.complete"
fi

# This checkout, editable: cheap, and it re-points the shared environment at this clone.
"$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
ln -sfn "$venv" .venv
"$venv/bin/python" -m pip check >/dev/null || { "$venv/bin/python" -m pip check; exit 1; }
