# policydesk: `make run` starts the desk, `make test` checks everything. Only Python and make needed.
VENV ?= .venv
# Browser tests need Debian's chromium: .ci/run runs them as a step of their own.
PYTEST_ARGS ?= -m "not browser"
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint types contract pytest install install-dev clean messages

$(BIN)/uv:
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# `make run` installs what running needs; the test tools (the dev group) come with `make test`.
# --inexact: installing the runtime after the test tools leaves them in place.
$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --no-dev --inexact --python $(BIN)/python
	@touch $@

$(VENV)/.installed-dev: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --python $(BIN)/python
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Development mode on this machine: without it every process refuses the public development
# secret key (policydesk.E002); production sets POLICYDESK_SECRET_KEY instead.
# PORT and SMTP_PORT: where the web server and the SMTP listener listen (`make run PORT=8001`).
PORT ?= 8000
SMTP_PORT ?= 2525
run: export POLICYDESK_DEBUG = 1
run: export POLICYDESK_ADDR = 127.0.0.1:$(PORT)
run: export POLICYDESK_SMTP_PORT = $(SMTP_PORT)
run: install
	$(BIN)/policydesk migrate --noinput
	$(BIN)/policydesk demo
	$(BIN)/policydesk rundesk

test: lint types contract pytest

lint: install-dev
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

types: install-dev
	$(BIN)/mypy src/policydesk

contract: install-dev
	$(BIN)/lint-imports --no-cache

# Exit 5 (no tests collected) is a failure, not a pass.
pytest: install-dev
	$(BIN)/pytest -q $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest collected no tests" >&2; exit $$rc; }

messages: install-dev
	cd src/policydesk && ../../$(BIN)/policydesk makemessages -l ja --no-obsolete && ../../$(BIN)/policydesk compilemessages

clean:
	rm -rf $(VENV) var
