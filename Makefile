# policydesk: `make run` starts the desk, `make test` checks everything. Only Python and make needed.
VENV ?= .venv
# Browser tests need Debian's chromium: .ci/run runs them as a step of their own.
PYTEST_ARGS ?= -m "not browser"
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint types contract pytest install clean messages

$(BIN)/uv:
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --python $(BIN)/python
	@touch $@

install: $(VENV)/.installed

# Development mode on this machine: without it every process refuses the public development
# secret key (policydesk.E002); production sets POLICYDESK_SECRET_KEY instead.
run: export POLICYDESK_DEBUG = 1
run: install
	$(BIN)/policydesk migrate --noinput
	$(BIN)/policydesk demo
	$(BIN)/policydesk rundesk

test: lint types contract pytest

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

types: install
	$(BIN)/mypy src/policydesk

contract: install
	$(BIN)/lint-imports --no-cache

# Exit 5 (no tests collected) is a failure, not a pass.
pytest: install
	$(BIN)/pytest -q $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest collected no tests" >&2; exit $$rc; }

messages: install
	cd src/policydesk && ../../$(BIN)/policydesk makemessages -l ja --no-obsolete && ../../$(BIN)/policydesk compilemessages

clean:
	rm -rf $(VENV) var
