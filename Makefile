# rolcov — `make run` does the main job on the shipped corpus, `make test` runs the tests.
# Both create .venv, install rolcov with its test extras and fetch the pkuseg model on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup debian-packages run test wheel-check bench notebook clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) debian-packages
	$(BIN)/rolcov fetch-model

# LibreOffice reads old Word/WPS/RTF files (docs/formats.md); installed when missing if we may, else named
DEBIAN_PACKAGES := libreoffice-writer-nogui
debian-packages:
	@if command -v soffice >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null; \
	else echo "note: .doc/.wps/.rtf files need LibreOffice: sudo apt-get install $(DEBIAN_PACKAGES)"; fi

MODEL := models/default

# train models/default from corpus/ when missing → classify corpus/raw → profiles and gaps → out/coverage.html
run: setup
	@test -f $(MODEL)/model.json -a -f $(MODEL)/model.skops || $(BIN)/rolcov train corpus/annotations.csv -o $(MODEL)
	$(BIN)/rolcov classify corpus/raw --model $(MODEL) -o out/paragraphs.csv
	$(BIN)/rolcov coverage out/paragraphs.csv -o out --html out/coverage.html
	@echo "coverage report: $(CURDIR)/out/coverage.html (profile, gaps, tasks, required and panel tables beside it)"

# JupyterLab on notebooks/ (the `notebook` extra, installed on first use); run `make run` first for its data
NOTEBOOK_STAMP := $(VENV)/.notebook
$(NOTEBOOK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[notebook]'
	touch $@

notebook: setup $(NOTEBOOK_STAMP)
	$(BIN)/jupyter lab notebooks/

# ruff's lint and format check first (configured in pyproject.toml), then the suite
test: setup
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench
	$(BIN)/python -m pytest -q

# build the wheel, install it into a fresh venv, run train/classify/coverage outside the checkout (.ci/run)
wheel-check: setup
	.ci/wheel_check.sh $(PYTHON)

# every benchmark that writes bench/results/ (throughput, corpus_site and scans take long: run them by hand)
BENCHES := segment_speed compare_models external webpages lineless tasks metadata parts model_format hostile places learning_curve

bench: setup
	for name in $(BENCHES); do $(BIN)/python bench/$$name.py || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
