# Two commands for a fresh machine with only Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo runs against the embedded sandbox (.egain/sandbox.db, the one the README's tour uses) with
# a throwaway secret; real secrets come from your vault.
DEMO := EGAIN_VAR_BOT_TOKEN_PAYLOAD='{"clientId": "demo", "clientSecret": "demo-only"}' $(BIN)/egain-provision

.PHONY: install demo test lint typecheck schemas docs bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "egain-provision needs Python 3.11+ (make PYTHON=python3.12 ...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@echo '$$ egain-provision sandbox reset   # start from an empty sandbox'
	@$(DEMO) sandbox reset
	@echo '$$ egain-provision validate examples/byoc'
	@$(DEMO) validate examples/byoc
	@echo '$$ egain-provision plan --target sandbox examples/byoc'
	@$(DEMO) plan --target sandbox examples/byoc
	@echo '$$ egain-provision apply --target sandbox --auto-approve examples/byoc'
	@$(DEMO) apply --target sandbox --auto-approve examples/byoc
	@echo '$$ egain-provision plan --target sandbox --detailed-exitcode examples/byoc   # converged: no changes'
	@$(DEMO) plan --target sandbox --detailed-exitcode examples/byoc
	@echo '$$ egain-provision sandbox serve & python examples/byoc/bot/bot.py &   # the hub calls the reference bot'
	@EGAIN_VAR_BOT_TOKEN_PAYLOAD='{"clientId": "demo", "clientSecret": "demo-only"}' \
		sh examples/byoc/bot/demo.sh $(BIN)/egain-provision $(BIN)/python

lint: $(STAMP)
	$(BIN)/ruff check egain_provision tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q -n auto

# The schemas' kind-dependent parts come from kinds.py; the rest from schemas/fragments/.
schemas: $(STAMP)
	$(BIN)/python -m egain_provision.schemagen --write

# The example plans in docs/ (a 3-object and a 300-object change), planned against a fresh embedded sandbox.
docs: $(STAMP)
	$(BIN)/python -m tools.render_docs --write

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .egain .pytest_cache .mypy_cache .ruff_cache
