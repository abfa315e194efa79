#!/usr/bin/env bash
# The test command: the code checks (scripts/lint.sh: ruff, the import-layer contracts, mypy), then
# unit tests, the web pages in a real browser (tests/browser: Debian's Chromium, installed here when
# missing, driven by Playwright), integration tests against the real Kafka, Elasticsearch and PostgreSQL, the fault tests
# (tests/faults), which kill and restart services of their own stack, and the cluster tests
# (tests/cluster), which run several workers on a cluster of their own (3 brokers, 2 Elasticsearch
# nodes) and kill workers, brokers and nodes.
# When KAFKA_BOOTSTRAP_SERVERS / ELASTICSEARCH_URL are unset (the defaults) and nothing answers,
# the local stack is started for the run and stopped afterwards. Integration tests never skip:
# an unreachable service fails them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
scripts/lint.sh
cli=.venv/bin/scholarstream

started=0
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && [ -z "${ELASTICSEARCH_URL:-}" ]; then
  if ! .venv/bin/python -c 'from scholarstream.demo import services_reachable; from foundation.settings import Settings; import sys; sys.exit(0 if services_reachable(Settings()) else 1)' 2>/dev/null; then
    "$cli" stack up
    started=1
  fi
fi
stop_stack() { if [ "$started" = 1 ]; then "$cli" stack down || true; fi; }
trap stop_stack EXIT

# The accounts' integration tests run on SQLite and on a PostgreSQL server of their own (tests/postgres.py),
# from Debian's package, installed here when missing.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql
fi

# Playwright's own browser download is not reachable here: the browser tests launch the system's.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium
fi

.venv/bin/python -m pytest tests/unit "$@"
.venv/bin/python -m pytest tests/browser "$@"
.venv/bin/python -m pytest tests/integration "$@"
# Fault tests start (and stop) a stack of their own on other ports; they never touch the one above.
.venv/bin/python -m pytest tests/faults "$@"
.venv/bin/python -m pytest tests/cluster "$@"
