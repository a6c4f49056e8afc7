# Two commands for everything: `make book` and `make test` (see README.md).
# Both create the virtual environment .venv on first use and install requirements.txt and cnnkit.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOOK_HTML := _build/html
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb)) $(wildcard guide/*.ipynb)
# The chapters that show more with ImageNet weights; the publish workflow re-runs them online.
ONLINE_CHAPTERS := chapters/07_vgg16_activations.ipynb chapters/08_filter_visualisation.ipynb \
	chapters/09_class_activation_maps.ipynb
# Every chapter runs on the CPU with a fixed number of threads, so the printed numbers match.
export CUDA_VISIBLE_DEVICES ?=
export PYTHONHASHSEED := 0

.PHONY: help setup book test test-unit test-notebooks test-book browser-deps execute execute-online pin benchmark clean

help:
	@echo "make book       build the HTML book into $(BOOK_HTML)"
	@echo "make test       run every check: unit tests, doctests, nbval, book build, browser test"
	@echo "make execute    re-run every chapter in place (fresh kernel, top to bottom)"
	@echo "make pin        write cnnkit's version into every chapter's Colab install cell"
	@echo "make benchmark  time cnnkit's operations against torch.nn.functional"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	@touch $(STAMP)

setup: $(STAMP)

book: setup
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo
	@echo "The book is built. Open $(CURDIR)/$(BOOK_HTML)/index.html in a browser."

# The whole suite, in order of speed: a failure in the fast parts stops the slow ones.
test: setup browser-deps test-unit test-notebooks test-book
	@echo "make test: all checks passed."

test-unit: setup
	$(BIN)/python -m pytest tests cnnkit --ignore=tests/book -q

# CNNKIT_NO_PRETRAINED=1: the stored outputs are the offline ones, even where ImageNet weights are cached.
test-notebooks: setup
	CNNKIT_NO_PRETRAINED=1 $(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		-p no:randomly -q --durations=0 $(NOTEBOOKS)

test-book: setup
	rm -rf _build/html _build/screenshots
	$(BIN)/jupyter-book build -W -n --keep-going .
	$(BIN)/python -m pytest tests/book -q

# Debian's chromium and chromedriver for the browser test; installed when missing.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "Installing chromium and chromium-driver (Debian packages) for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; \
	fi

execute: setup
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		$(BIN)/python tools/execute.py "$$nb" || exit 1; \
	done

# For the publish workflow only: re-run the ImageNet chapters where the weights are available.
# The results are published, never committed (the committed notebooks stay the offline version).
execute-online: setup
	@for nb in $(ONLINE_CHAPTERS); do \
		echo "executing $$nb with ImageNet weights"; \
		$(BIN)/python tools/execute.py --online "$$nb" || exit 1; \
	done

pin: setup
	$(BIN)/python tools/pin.py

benchmark: setup
	$(BIN)/python benchmarks/ops.py

clean:
	rm -rf _build .pytest_cache .hypothesis
