# The two commands of the quickstart are `make demo` and `make test`; the rest are conveniences.
.PHONY: venv demo test lint unit integration lock stack-up stack-down clean bench bench-smoke

venv:
	@scripts/venv.sh

demo: venv
	.venv/bin/scholarstream demo

test:
	scripts/test.sh

# ruff, the import-layer contracts (import-linter) and mypy; `make test` runs them first.
lint: venv
	scripts/lint.sh

unit: venv
	.venv/bin/python -m pytest tests/unit

integration: venv
	.venv/bin/python -m pytest tests/integration

stack-up: venv
	.venv/bin/scholarstream stack up

stack-down: venv
	.venv/bin/scholarstream stack down

# Re-resolve exact versions after editing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/scholarstream-lock && python3.11 -m venv /tmp/scholarstream-lock
	/tmp/scholarstream-lock/bin/pip install --quiet --upgrade pip setuptools
	/tmp/scholarstream-lock/bin/pip install --quiet ".[test]"
	/tmp/scholarstream-lock/bin/pip check
	{ head -3 requirements.lock; /tmp/scholarstream-lock/bin/pip freeze --all --exclude-editable | grep -v -i -E '^(scholarstream|pip|wheel)=='; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

# Benchmarks (docs/performance.md): each writes bench/results/NAME.json and prints a table. Sizes and
# namespaces are variables, e.g. `make bench BENCH_PAPERS=20000 BENCH_SEARCH_NAMESPACE=full`.
# Run them on a quiet machine with the stack up; search and reindex only read their source namespace.
BENCH_PAPERS ?= 2000
BENCH_CEILING_PAPERS ?= 512
BENCH_FAST_PAPERS ?= 20000
BENCH_RATE ?= 5
BENCH_SECONDS ?= 120
BENCH_WITHIN ?= 0.25
BENCH_SEARCH_NAMESPACE ?= full
BENCH_SEARCH_REQUESTS ?= 600
BENCH_PAGES_REQUESTS ?= 400
BENCH_REINDEX_SOURCE ?= full
BENCH_PY = .venv/bin/python -m
BENCH_SMOKE_DIR ?= bench/results/smoke

bench: venv
	$(BENCH_PY) bench.backfill --papers $(BENCH_PAPERS) --ceiling-papers $(BENCH_CEILING_PAPERS)
	@if [ -f .stack/state/models/static-minilm-v1.npz ]; then \
	  echo "fast mode (static-minilm-v1) backfill of $(BENCH_FAST_PAPERS) papers"; \
	  SCHOLARSTREAM_ENCODER_MODEL=static-minilm-v1 $(BENCH_PY) bench.backfill --papers $(BENCH_FAST_PAPERS) \
	    --ceiling-papers $(BENCH_FAST_PAPERS) --name backfill-static; \
	else echo "fast mode skipped: run 'scholarstream encoder distill' and, with SCHOLARSTREAM_ENCODER_MODEL=static-minilm-v1, 'scholarstream topics build'"; fi
	$(BENCH_PY) bench.freshness --rate $(BENCH_RATE) --seconds $(BENCH_SECONDS) --within $(BENCH_WITHIN)
	$(BENCH_PY) bench.search_latency --namespace $(BENCH_SEARCH_NAMESPACE) --requests $(BENCH_SEARCH_REQUESTS)
	$(BENCH_PY) bench.pages --namespace $(BENCH_SEARCH_NAMESPACE) --requests $(BENCH_PAGES_REQUESTS)
	$(BENCH_PY) bench.reindex --source-namespace $(BENCH_REINDEX_SOURCE)
	$(BENCH_PY) bench.linking --runs 2
	$(BENCH_PY) bench.projection

# The same six at small sizes against the demo namespace, results in $(BENCH_SMOKE_DIR): checks the harness, measures nothing.
bench-smoke: venv
	BENCH_RESULTS_DIR=$(BENCH_SMOKE_DIR) $(MAKE) --no-print-directory bench BENCH_PAPERS=80 BENCH_CEILING_PAPERS=64 \
	  BENCH_FAST_PAPERS=500 BENCH_RATE=2 BENCH_SECONDS=20 BENCH_SEARCH_NAMESPACE=demo1 BENCH_SEARCH_REQUESTS=60 BENCH_PAGES_REQUESTS=60 \
	  BENCH_REINDEX_SOURCE=demo1

clean:
	rm -rf .stack .venv
