# Two commands: `make run` serves the app with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test test-pg install system-deps clean bench rush lighthouse

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo
	@echo "打开 http://127.0.0.1:$(PORT)"
	PUBLIC_URL=$${PUBLIC_URL:-http://127.0.0.1:$(PORT)} $(BIN)/flask --app app serve --host 127.0.0.1 --port $(PORT)

# Browser tests need Debian's Chromium and CJK fonts; installed here when missing (as root).
system-deps:
	@bash scripts/system-deps

test: install system-deps
	$(BIN)/python -m pytest

# The same suite against a throwaway PostgreSQL server on loopback.
test-pg: install system-deps
	bash scripts/with-postgres $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance/booking.db*

# Benchmark: demo + 10k and + 1M bookings, gunicorn (2 workers) driven by wrk; prints the table.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
ifeq ($(BENCH_DB),postgresql)
	$(MAKE) system-deps
	bash scripts/with-postgres $(BIN)/python bench/run.py --db postgresql $(BENCH_ARGS)
else
	$(BIN)/python bench/run.py $(BENCH_ARGS)
endif

# The rush when a popular date opens: 1,000 secretaries at one instant for the last places of a few slots, against
# gunicorn with 4 workers, on SQLite and then on PostgreSQL; prints throughput, latencies and the outcome check.
rush: install system-deps
	$(BIN)/python bench/rush.py $(RUSH_ARGS)
	bash scripts/with-postgres $(BIN)/python bench/rush.py --db postgresql $(RUSH_ARGS)

# Lighthouse (npm, pinned in bench/lighthouse) with Debian's Chromium over every role's landing page and the pages
# used most, mobile profile, the demo served by gunicorn; prints the scores, paint times and bytes.
lighthouse: install system-deps
	$(BIN)/python bench/lighthouse.py $(LIGHTHOUSE_ARGS)
