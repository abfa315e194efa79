#!/usr/bin/env bash
# The code checks that run before the tests (`make test`, `make lint`): ruff (lint and import
# order), mypy (types, resolved against the project's .venv) and import-linter (the layers
# contract of pyproject.toml: an import that runs back up a layer fails here, with its chain).
# The tools live in a virtualenv of their own, cached per machine like the project's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-$(.venv/bin/python -c "import sys; print(sys._base_executable)")}  # the interpreter of .venv (scripts/venv.sh)
cache=${SCHOLARSTREAM_CACHE:-$HOME/.cache/scholarstream}
key=$( (cat requirements-dev.lock; "$python" -VV) | sha256sum | cut -c1-16)
tools="$cache/devtools-$key"
if [ ! -f "$tools/.complete" ]; then
  echo "installing the code checks into $tools (first time on this machine)" >&2
  rm -rf "$tools"
  mkdir -p "$cache"
  "$python" -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --upgrade "pip>=24"
  "$tools/bin/python" -m pip install --quiet -r requirements-dev.lock
  touch "$tools/.complete"
fi

# Every check runs, so one report shows all that is wrong; the script fails if any failed.
failed=()
echo "ruff: lint and import order" >&2
"$tools/bin/ruff" check . || failed+=(ruff)
echo "import-linter: layers" >&2
"$tools/bin/lint-imports" --no-cache || failed+=(import-linter)
echo "mypy: types" >&2
# mypy runs inside the project's interpreter, with its own packages after the project's, so its
# pydantic plugin and the type information of the locked dependencies are the ones the code uses.
site=$("$tools/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
.venv/bin/python - "$site" <<'PY' || failed+=(mypy)
import sys

sys.path.append(sys.argv.pop(1))
sys.argv = ["mypy"]
from mypy.__main__ import console_entry

console_entry()
PY
if [ ${#failed[@]} -gt 0 ]; then
  echo "code checks failed: ${failed[*]}" >&2
  exit 1
fi
