# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
FERRETDB := .ferretdb/bin/ferretdb
# The machine's Go: on PATH, else where the official tarball puts it.
GO       := $(or $(shell command -v go 2>/dev/null),$(wildcard /usr/local/go/bin/go))

.PHONY: install run test lint ferretdb bench-matcher bench-round clean

install: $(STAMP)

# Reinstall whenever the dependency list changes.
$(STAMP): setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

run: install
	$(PY) server.py $(ARGS)

# The store's tests run once per engine: nx-27017 and FerretDB (built here
# with Go). Without Go, nx-27017 alone, and it says so. MONGO_URL set: that
# server alone.
test: install
ifneq ($(MONGO_URL),)
	$(PY) -m pytest $(PYTEST_ARGS)
else ifeq ($(GO),)
	@echo "make test: no Go to build FerretDB, so the store's tests run on nx-27017 only"
	UNIMATCH_ENGINES=nx-27017 $(PY) -m pytest $(PYTEST_ARGS)
else
	@$(MAKE) --no-print-directory ferretdb
	UNIMATCH_ENGINES=nx-27017,ferretdb $(PY) -m pytest $(PYTEST_ARGS)
endif

# FerretDB v1 for the second test lane, built once into .ferretdb/ (ignored by git).
ferretdb: $(FERRETDB)

$(FERRETDB): scripts/build-ferretdb
	@GO=$(GO) scripts/build-ferretdb

# ruff (style, import order, likely bugs) everywhere; mypy over the service.
lint: install
	$(VENV)/bin/ruff check unimatch server.py tests bench
	$(VENV)/bin/mypy

bench-matcher: install
	$(PY) bench/matcher.py $(ARGS)

bench-round: install
	$(PY) bench/round.py $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ferretdb
