# Mostrador: `make run` starts everything, `make test` runs every suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BACKEND := $(VENV)/backend
BOT := $(VENV)/bot
PY := $(BACKEND)/bin/python
BOT_PY := $(BOT)/bin/python
RASA := $(BOT)/bin/rasa
MODEL := bot/models/mostrador.tar.gz
BOT_TRAINING := bot/config.yml bot/domain.yml $(shell find bot/data -name '*.yml' 2>/dev/null) $(wildcard bot/mostrador_nlu/*.py)
export PYTHONPATH := $(CURDIR):$(CURDIR)/bot
# Rasa must not phone home (telemetry, error reports): the machine may have no internet at all.
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: eval-nlu help run setup test lint test-backend test-kb test-bot test-e2e test-compose bench bench-ticketing bench-kb bench-bot bench-console bench-whatsapp bench-lookup bench-widget bench-nlu eval-kb eval-tickets kb lock clean

help:
	@echo "make run    start the bot, the action server and the ticketing backend (installs what is missing)"
	@echo "make test   run every test suite"
	@echo "make bench  run the benchmarks (results in docs/benchmarks.md)"

run: setup
	@# The default database (var/ticketing.db) deleted to start afresh: create it again before starting.
	@if [ ! -f var/ticketing.db ] && ! grep -q '^TICKETING_DATABASE_URL=' .env; then \
	  rm -f var/.migrated; $(MAKE) --no-print-directory var/.migrated; fi
	@$(PY) scripts/run.py

setup: $(BACKEND)/.installed $(BOT)/.installed node_modules/.installed .env $(MODEL) var/.migrated

$(BACKEND)/.installed: requirements/backend.lock
	@py=$$(scripts/find-python.sh backend) || exit 1; \
	echo "creating the backend environment ($$py)…"; \
	rm -rf $(BACKEND) && $$py -m venv $(BACKEND) && \
	$(BACKEND)/bin/pip install --progress-bar on -r requirements/backend.lock && touch $@

$(BOT)/.installed: requirements/bot.lock
	@py=$$(scripts/find-python.sh bot) || exit 1; \
	echo "creating the bot environment ($$py, rasa 3.6.21: about a minute, 2.7 GB)…"; \
	rm -rf $(BOT) && $$py -m venv $(BOT) && \
	$(BOT)/bin/pip install --progress-bar on -r requirements/bot.lock && touch $@

# Front-end packages (pinned in package-lock.json), served by the backend and used by the browser tests.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is needed for the web pages' packages: install Node.js"; exit 1; }
	@echo "installing the front-end packages (npm ci)…"
	@npm ci --no-audit --no-fund --loglevel=error && touch $@

.env: .env.example
	@test -f .env || $(PY) scripts/make_env.py

var/.migrated: $(BACKEND)/.installed .env $(wildcard ticketing/migrations/versions/*.py) ticketing/data/demo_business.yml
	@mkdir -p var
	@set -a && source .env && set +a && $(PY) -m ticketing.cli migrate && $(PY) -m ticketing.cli load-demo
	@touch $@

# Trained only when the training data, the domain, the config or the custom NLU components change.
$(MODEL): $(BOT)/.installed $(BOT_TRAINING)
	@mkdir -p var; echo "training the bot (about a minute; log in var/train.log)…"; start=$$(date +%s); \
	set -o pipefail; (cd bot && ../$(RASA) train --fixed-model-name mostrador --out models) 2>&1 | tee var/train.log | \
	  { grep --line-buffered -o "Starting to train component '[A-Za-z]*'" | sed -u "s/Starting to train component/  training/" || true; } \
	  || { grep -v -i "warning" var/train.log | tail -n 30; echo "training failed: see var/train.log"; exit 1; }; \
	touch $(MODEL); echo "trained in $$(( $$(date +%s) - start )) s"

lint: $(BACKEND)/.installed
	$(BACKEND)/bin/ruff check .
	$(BACKEND)/bin/ruff format --check .

test: lint test-backend test-kb test-bot test-e2e test-compose
	@echo "all suites passed"

test-backend: $(BACKEND)/.installed node_modules/.installed
	$(PY) -m pytest -q tests/ticketing

test-kb: $(BACKEND)/.installed
	$(PY) -m pytest -q tests/kb

test-bot: $(BOT)/.installed $(MODEL)
	$(BOT_PY) scripts/validate_bot.py
	PYTHONPATH=$(CURDIR):$(CURDIR)/bot $(BOT_PY) -m pytest -q -p no:cacheprovider tests/actions tests/whatsapp tests/nlubench
	cd bot && ../$(RASA) test core --stories tests/ --model models/mostrador.tar.gz --out ../var/rasa-test-results --fail-on-prediction-errors --quiet

test-e2e: $(BACKEND)/.installed $(BOT)/.installed node_modules/.installed $(MODEL)
	$(PY) -m pytest -q tests/e2e

test-compose:
	$(PY) -m pytest -q tests/compose

eval-kb: $(BACKEND)/.installed
	$(PY) -m kb.evaluate eval/kb_dev.yml

eval-tickets: $(BACKEND)/.installed
	$(PY) -m ticketing.classification.evaluate

bench: bench-ticketing bench-kb bench-bot bench-console bench-whatsapp bench-lookup bench-widget bench-nlu

bench-ticketing: $(BACKEND)/.installed
	cd benchmarks && ../$(PY) ticketing_bench.py --workers 2

bench-lookup: $(BACKEND)/.installed
	cd benchmarks && ../$(PY) lookup_bench.py

bench-kb: $(BACKEND)/.installed $(BOT)/.installed $(MODEL)
	cd benchmarks && ../$(PY) kb_bench.py && ../$(PY) kb_bench.py --reload-rest 3

bench-console: $(BACKEND)/.installed node_modules/.installed
	cd benchmarks && ../$(PY) console_bench.py --screenshots

bench-bot: setup
	cd benchmarks && ../$(PY) bot_bench.py

bench-whatsapp: setup
	cd benchmarks && ../$(PY) whatsapp_bench.py

# The bot's NLU pipeline (bot/config.yml) trained from scratch on CLINC150, BANKING77 and HWU64 (../shared/datasets):
# about ten minutes on two cores, one training at a time. `make bench-nlu ARGS=banking77` runs one data set.
bench-nlu: $(BOT)/.installed
	TF_CPP_MIN_LOG_LEVEL=2 nice -n 10 $(BOT_PY) benchmarks/nlu_bench.py $(ARGS)

# The chat widget in headless Chromium next to the REST channel (needs chromium: apt-get install chromium).
bench-widget: setup
	cd benchmarks && ../$(PY) widget_bench.py

kb: $(BACKEND)/.installed
	@bin/kb $(ARGS)

# Re-pin after editing requirements/*.in (needs both environments).
lock:
	$(BACKEND)/bin/pip freeze --exclude-editable > requirements/backend.lock
	$(BOT)/bin/pip freeze --exclude-editable > requirements/bot.lock

clean:
	rm -rf var bot/models .pytest_cache

eval-nlu: $(BOT)/.installed
	$(BOT_PY) eval/nlu_cv.py
