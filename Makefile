# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
FERRETDB := .ferretdb/bin/ferretdb
# The machine's Go: on PATH, else where the official tarball puts it.
GO       := $(or $(shell command -v go 2>/dev/null),$(wildcard /usr/local/go/bin/go))

.PHONY: install run test lint ferretdb bench-matcher bench-round bench-spike bench-http clean

install: $(STAMP)

# Reinstall whenever the dependency list changes.
$(STAMP): setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	@# The build backend, kept for the offline packaging test.
	$(PY) -m pip download --quiet --no-deps -d $(VENV)/wheelhouse setuptools==84.2.1
	touch $(STAMP)

run: install
	$(PY) server.py $(ARGS)

# The engines the store's tests and bench-round run on: nx-27017, and
# FerretDB built here with Go; MONGO_URL set: that server alone.
ifneq ($(MONGO_URL),)
ENGINES  := MONGO_URL
else ifeq ($(GO),)
ENGINES  := nx-27017
NOTE     := no Go to build FerretDB, so this runs on nx-27017 only
else
ENGINES  := nx-27017,ferretdb
NEEDS    := $(FERRETDB)
endif

test: install $(NEEDS)
	@$(if $(NOTE),echo "make test: $(NOTE)")
	UNIMATCH_ENGINES=$(ENGINES) $(PY) -m pytest $(PYTEST_ARGS)

# FerretDB v1 for the second engine, built once into .ferretdb/ (ignored by git).
ferretdb: $(FERRETDB)

$(FERRETDB): scripts/build-ferretdb
	@GO=$(GO) scripts/build-ferretdb

# ruff (style, import order, likely bugs) everywhere; mypy over the service.
lint: install
	$(VENV)/bin/ruff check unimatch server.py tests bench
	$(VENV)/bin/mypy

bench-matcher: install
	$(PY) bench/matcher.py $(ARGS)

bench-round: install $(NEEDS)
	@$(if $(NOTE),echo "make bench-round: $(NOTE)")
	$(PY) bench/round.py --engines $(ENGINES) $(ARGS)

# N sockets on one server process: ticks, a round's alerts, loop stall, RSS
# (ARGS="--sizes 1000,5000,10000 --seconds 20").
bench-spike: install
	$(PY) bench/spike.py $(ARGS)

# The API under load on loopback (bench/api.py), with Debian's wrk as the
# load generator: installed here when missing (root, apt).
bench-http: install
	@command -v wrk >/dev/null 2>&1 || { echo "make bench-http: installing wrk from Debian"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/api.py $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ferretdb
