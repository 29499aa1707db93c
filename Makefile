# nbpregel developer and CI entry points.
#
#   make test    venv + test extra + apt programs, then format check, lint, mypy, pytest
#   make lab     venv + lab extra + graphviz, then JupyterLab on the tour notebook
#   make bench   venv + bench extra + graphviz, then bench/run.py, bench/savers.py, bench/vertex.py
#   make bench-instructions   venv + bench extra + valgrind, then bench/instructions.py
#
# Only a Python >= 3.11 `python3` is assumed. Each set-up step is skipped when already done, so a
# second `make test` goes straight to the checks.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Browser tests drive Debian's chromium; tests/conftest.py reads the same variable.
NBPREGEL_CHROMIUM ?= /usr/bin/chromium
export NBPREGEL_CHROMIUM
# CI has no stdin: never let pip or apt wait for an answer.
export PIP_NO_INPUT := 1
export DEBIAN_FRONTEND := noninteractive

# Directories that ruff checks; `wildcard` drops one that does not exist yet.
LINT_PATHS := $(wildcard nbpregel tests bench)
# jupyter server refuses to start as root unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: test lint typecheck pytest lab bench bench-instructions format clean

# ---- checks ---------------------------------------------------------------------------------------

# Cheapest checks first, so a formatting slip fails in seconds rather than after the test suite.
test: lint typecheck pytest

lint: apt-test $(VENV)/.installed-test
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)

typecheck: apt-test $(VENV)/.installed-test
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: make already fails on it, but say why, since an
# empty run usually means a broken testpaths or a collection filter, not a green suite.
pytest: apt-test $(VENV)/.installed-test
	$(BIN)/pytest || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests (exit 5); that is a failure" >&2; fi; \
	  exit $$rc; }

# ---- interactive ----------------------------------------------------------------------------------

# Bound to loopback with no browser: the URL with its token is printed for you to open.
lab: apt-graphviz $(VENV)/.installed-lab
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(ALLOW_ROOT) notebooks/01_tour.ipynb

bench: apt-graphviz $(VENV)/.installed-bench
	$(BIN)/python bench/run.py
	$(BIN)/python bench/savers.py
	$(BIN)/python bench/vertex.py

# What recording adds to a run, counted in instructions (steady on a shared machine).
bench-instructions: $(VENV)/.installed-bench
	@$(call ensure_apt,valgrind)
	$(BIN)/python bench/instructions.py

# Rewrites files (unlike `lint`), for use before committing.
format: $(VENV)/.installed-test
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info

# ---- set-up ---------------------------------------------------------------------------------------

# A venv keeps the project's dependencies away from the system Python. Debian ships `venv` without
# ensurepip unless python3-venv is installed, so on failure install it (as root) and retry once.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  $(call ensure_apt,python3-venv); $(PYTHON) -m venv $(VENV); }

# One stamp per extra: pip runs again only when pyproject.toml changes (or the venv is new, since
# the stamps live inside it). `-e` so edits to nbpregel/ need no reinstall.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --progress-bar off -e '.[$*]'
	touch $@

# Programs the tests call: graphviz's `dot` (exe tests), chromium (browser tests), valgrind
# (the instruction-count benchmark's smoke test) and a PostgreSQL server (the Postgres saver's
# tests start a throwaway one).
.PHONY: apt-test apt-graphviz
apt-test:
	@$(call ensure_apt,graphviz chromium valgrind postgresql)

apt-graphviz:
	@$(call ensure_apt,graphviz)

# $(call ensure_apt,PACKAGES): installs those Debian PACKAGES whose program is missing: graphviz
# when `dot` is not on PATH, chromium when $(NBPREGEL_CHROMIUM) is absent; any other package is
# always wanted. Nothing missing: apt is not touched at all (no `apt-get update`, no network).
# Not root: print the exact command and carry on (tests needing the program skip loudly locally;
# under CI they fail, see tests/conftest.py).
define ensure_apt
missing=""; \
for pkg in $(1); do \
  case "$$pkg" in \
    graphviz) command -v dot >/dev/null 2>&1 || missing="$$missing $$pkg" ;; \
    chromium) [ -x "$(NBPREGEL_CHROMIUM)" ] || missing="$$missing $$pkg" ;; \
    valgrind) command -v valgrind >/dev/null 2>&1 || missing="$$missing $$pkg" ;; \
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing $$pkg" ;; \
    *) missing="$$missing $$pkg" ;; \
  esac; \
done; \
if [ -n "$$missing" ]; then \
  cmd="apt-get update && apt-get install -y --no-install-recommends$$missing"; \
  if [ "$$(id -u)" -eq 0 ]; then \
    echo "make: installing$$missing"; sh -c "$$cmd"; \
  else \
    echo "make: missing Debian packages:$$missing; as root, run:" >&2; \
    echo "    sudo sh -c '$$cmd'" >&2; \
  fi; \
fi
endef
