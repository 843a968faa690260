# pglearn - the two commands of the README:
#   make demo   install what is missing, start the embedded Postgres, then on a fresh database pglearn_demo:
#               migrate, generate a synthetic market, replay it walk-forward, print the report (out/report.html)
#   make test   the same set-up on a fresh test database, then sqlfluff, pgTAP (pg_prove) and pytest; the pg_cron
#               schedules migrate creates there are paused (active = false), so no background job (fold-in and telemetry
#               run every minute) races a test; the tests run the jobs themselves
# make db starts the embedded Postgres with the main database migrated and prints its DSN.
# With DATABASE_URL set nothing is started: everything targets that server.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PGLEARN := $(VENV)/bin/pglearn
DEB_PACKAGES := postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-plpython3-15 \
	python3-numpy python3-scipy libtap-parser-sourcehandler-pgtap-perl postgresql-15-plproxy \
	chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help deps debs venv db db-stop replica demo test lint bench bench-quality bench-scaleout clean

# demo size (make demo DEMO_TRADES=1000000 DEMO_WEEKS=52 works too, slowly: docs/operations.md, "Scaling")
DEMO_TRADES ?= 4000
DEMO_WEEKS ?= 12
DEMO_PATTERNS ?= 16
DEMO_SEED ?= 7
DEMO_STEP ?= 1w

help:
	@echo "make demo     the main job: synthetic market -> walk-forward replay -> report (out/report.html)"
	@echo "make db       start the embedded Postgres (or use DATABASE_URL), migrate, print the DSN"
	@echo "make db-stop  stop the embedded Postgres"
	@echo "make replica  start a streaming hot standby of it (127.0.0.1:54331), print its DSN"
	@echo "make test     lint + pgTAP + pytest on a freshly migrated test database"
	@echo "make bench    aggregation and resolve_overrides benchmarks (TRADES=100000)"
	@echo "make bench-quality  what the stack learns out of sample: recall, FDR, OOS excess on planted markets (3 seeds)"

deps: debs venv

# Debian packages: installed only when one is missing (apt needs root or sudo).
debs:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing" >&2; \
	  $(SUDO) apt-get update -qq >&2 && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >&2; fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt python_client/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt >&2
	@$(PY) -m pip install -q --disable-pip-version-check -e python_client >&2
	@touch $@

db: deps
	@set -e; dsn=$$(db/cluster.sh start dev); \
	$(PGLEARN) --dsn "$$dsn" migrate >&2; \
	echo "$$dsn"

demo: deps
	@set -e; dsn=$$(db/cluster.sh start dev); demo="$${dsn%/*}/pglearn_demo"; \
	psql -X -q "$$dsn" -c "DROP DATABASE IF EXISTS pglearn_demo WITH (FORCE)" -c "CREATE DATABASE pglearn_demo"; \
	echo "== migrate $$demo" >&2; \
	$(PGLEARN) --dsn "$$demo" migrate >/dev/null; \
	echo "== generate: $(DEMO_TRADES) trades, $(DEMO_WEEKS) weeks, $(DEMO_PATTERNS) patterns, seed $(DEMO_SEED)" >&2; \
	$(PGLEARN) --dsn "$$demo" generate --trades $(DEMO_TRADES) --weeks $(DEMO_WEEKS) --patterns $(DEMO_PATTERNS) \
	  --seed $(DEMO_SEED) >/dev/null; \
	echo "== replay walk-forward, step $(DEMO_STEP)" >&2; \
	$(PGLEARN) --dsn "$$demo" replay --step $(DEMO_STEP) >/dev/null; \
	echo "== report" >&2; \
	$(PGLEARN) --dsn "$$demo" report --out out; \
	echo "explore: psql $$demo  (learning.v_health, learning.v_alerts, learning.v_override_effectiveness, pglearn explain ...)" >&2; \
	echo "dashboard: $(PGLEARN) --dsn '$$demo' dashboard   (then open http://127.0.0.1:8050/)"; \
	echo "report: $(CURDIR)/out/report.html (offline snapshot of the dashboard)"

db-stop:
	@db/cluster.sh stop dev

# issue 16: a streaming hot standby of the dev cluster on 127.0.0.1:54331 (db/replica.sh; docs/operations.md,
# "Scaling out"); prints its DSN. db/replica.sh stop|destroy|promote dev to stop it, remove it, or fail over.
replica: db
	@db/replica.sh start dev

test: deps
	@set -e; dsn=$$(PGLEARN_FRESH=1 db/cluster.sh start test); \
	echo "== migrate $$dsn" >&2; \
	$(PGLEARN) --dsn "$$dsn" migrate >/dev/null; \
	psql -X -q "$$dsn" -c "CREATE EXTENSION IF NOT EXISTS pgtap" ; \
	psql -X -q "$$dsn" -c "DO \$$p\$$ BEGIN IF to_regclass('cron.job') IS NOT NULL THEN \
	  UPDATE cron.job SET active = false WHERE database = current_database(); END IF; END \$$p\$$" ; \
	$(MAKE) --no-print-directory lint; \
	echo "== pgTAP" >&2; \
	rc=0; pg_prove --dbname "$$dsn" --ext .sql -r tests/pgtap || rc=1; \
	echo "== pytest" >&2; \
	PGLEARN_TEST_DSN="$$dsn" $(VENV)/bin/pytest -q tests/python || rc=1; \
	exit $$rc

# Benchmarks (not tests): side-by-side ratios. TRADES=1000000 for the full-size run.
TRADES ?= 100000
bench: db
	@$(PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt >&2
	@set -e; dsn=$$(db/cluster.sh dsn dev); \
	$(PY) bench/bench_aggregate.py --dsn "$$dsn" --trades $(TRADES); \
	$(PY) bench/bench_resolve.py --dsn "$${dsn%/*}/pglearn_bench"

# Scale-out benchmark (issue 16): log/close/resolve and one cycle, one node vs a PL/Proxy router with 2 shards.
bench-scaleout: db
	@set -e; dsn=$$(db/cluster.sh dsn dev); $(PY) bench/bench_scaleout.py --dsn "$$dsn"

# Quality benchmark (issue 10): planted-effect markets, weekly walk-forward, 3 seeds (~15 min a seed here).
bench-quality: db
	@set -e; dsn=$$(db/cluster.sh dsn dev); mkdir -p out; \
	$(PY) bench/bench_quality.py --dsn "$$dsn" --json out/bench_quality.json

lint: venv
	@echo "== sqlfluff lint db/" >&2
	@$(VENV)/bin/sqlfluff lint db --processes 2 --disable-progress-bar

clean:
	rm -rf $(VENV) out
