# The two commands of the quickstart are `make demo` and `make test`; the rest are conveniences.
.PHONY: venv demo test unit integration lock stack-up stack-down clean

venv:
	@scripts/venv.sh

demo: venv
	.venv/bin/scholarstream demo

test:
	scripts/test.sh

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

clean:
	rm -rf .stack .venv
