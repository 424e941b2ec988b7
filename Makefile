# coursekit: `make lab` opens the student notebooks; `make test` runs every test.
# Both create the environment (.venv) first when it is missing or out of date.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= auto

.PHONY: lab test release grade bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "coursekit needs Python 3.11 or newer; found %d.%d (set PYTHON=/path/to/python3.11)" % v[:2])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

lab: $(STAMP) release
	$(BIN)/coursekit lab

# Unit, notebook and grading tests run in parallel; the browser tests run afterwards on their
# own, so that their redraw timings measure the explorers and not the other tests.
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -m "not browser" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

release: $(STAMP)
	$(BIN)/coursekit release

grade: $(STAMP)
	$(BIN)/coursekit grade

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check coursekit tests benchmarks tools

clean:
	rm -rf build dist release autograded feedback gradebook.db grades.csv .pytest_cache
