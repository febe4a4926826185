# Two commands do all the set-up on a fresh machine:
#   make demo   -> installs into .venv (first time only), runs the demo suite, writes the leaderboard
#   make test   -> installs into .venv (first time only), lints (ruff), runs the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install perf clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: this version's CPU wheel is on the machine's disk; a bare `torch` pulls a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/lemer-bench demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2

perf: $(STAMP)
	$(BIN)/python -m pytest benchmarks/perf --benchmark-only

clean:
	rm -rf $(VENV) runs leaderboard-out
