# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench-matcher bench-round clean

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

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (style, import order, likely bugs) everywhere; mypy over the service.
lint: install
	$(VENV)/bin/ruff check unimatch server.py tests bench
	$(VENV)/bin/mypy

bench-matcher: install
	$(PY) bench/matcher.py $(ARGS)

bench-round: install
	$(PY) bench/round.py $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
