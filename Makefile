# Two commands for everything: `make book` and `make test` (see README.md).
# Both create the virtual environment .venv on first use and install the lock (requirements.txt)
# and cnnkit into it. On Windows, README.md lists the same steps as plain commands.

PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN    := $(VENV)/Scripts
else
BIN    := $(VENV)/bin
endif
STAMP  := $(VENV)/.installed
BOOK_HTML := _build/html
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb)) $(wildcard guide/*.ipynb)
# The chapters that show more with VGG16's ImageNet weights; the publish workflow re-runs them online.
ONLINE_CHAPTERS := chapters/09_vgg16_activations.ipynb chapters/10_filter_visualisation.ipynb \
	chapters/11_class_activation_maps.ipynb
# Every chapter runs on the CPU, so the printed numbers match.
export CUDA_VISIBLE_DEVICES ?=
export PYTHONHASHSEED := 0
# OpenMP threads (torch's) sleep while they wait instead of spinning: beside another busy process
# a chapter then slows down in proportion to the CPU it gets (benchmarks/load.py measures it).
export OMP_WAIT_POLICY ?= PASSIVE
# numpy's OpenBLAS runs one thread: its worker threads spin on the small matrix products of the
# training chapter's numpy network, and beside another busy process one epoch then took 13-55 s
# instead of 1.3 s (one thread: 3.6 s under the same load); quiet, that chapter took 16.1 s with the
# default threads and 15.6 s with one. `make benchmark` keeps OpenBLAS's default, as a reader's numpy has.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: help setup book test lint test-unit test-notebooks test-book check-browser browser-deps \
	lock check-lock timings colab-check execute book-online pin benchmark clean slides pdf

help:
	@echo "make book         build the HTML book into $(BOOK_HTML)"
	@echo "make slides       a reveal.js slide deck per chapter, into _build/slides (offline)"
	@echo "make pdf          the whole book as one PDF, _build/pdf/book.pdf (printed by Chromium)"
	@echo "make test         run every check: lint, unit tests, doctests, nbval, book build, browser test"
	@echo "make lint         ruff (style, imports, bugs, formatting) on cnnkit, tests, tools and benchmarks; mypy on cnnkit; zizmor on the workflows"
	@echo "make execute      re-run every chapter in place (fresh kernel, top to bottom)"
	@echo "make book-online  build a copy of the book whose chapters 9-11 use VGG16's ImageNet weights (if cached)"
	@echo "make timings      execute every chapter and report its time against the budget"
	@echo "make lock         recompile requirements.txt from pyproject.toml (needs the registry)"
	@echo "make check-lock   prove the lock resolves on every platform and Python (needs the registry)"
	@echo "make colab-check  install cnnkit as Colab does, in a fresh venv with the newest packages, and run a chapter"
	@echo "make pin          write cnnkit's version into every chapter's Colab install cell"
	@echo "make benchmark    time cnnkit's operations against torch.nn.functional"
	@echo "make browser-deps install Debian's chromium and chromedriver (machine set-up, for the browser test)"

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

# A reveal.js deck per chapter of _toc.yml, from the stored outputs, into $(BOOK_DIR)/_build/slides/,
# with reveal.js and MathJax copied beside the decks (nothing is fetched when they are shown).
# tools/slides.py says how a chapter becomes slides. BOOK_DIR: the publish workflow's online copy.
BOOK_DIR ?= .
slides: setup
	$(BIN)/python tools/slides.py --book $(BOOK_DIR)

# The whole book as one PDF, $(BOOK_DIR)/_build/pdf/book.pdf: Jupyter Book's single-page HTML build,
# printed by the headless Chrome or Chromium of the browser test (no TeX). See tools/pdf.py.
pdf: setup
	$(BIN)/python tools/pdf.py --book $(BOOK_DIR)

# The whole suite, in order of speed: a failure in the fast parts stops the slow ones.
# The browser is looked for first, so that a missing one is said at once, with how to get one.
test: setup lint check-browser test-unit test-notebooks test-book
	@echo "make test: all checks passed."

# Lint, formatting and types, configured in pyproject.toml ([tool.ruff], [tool.mypy]): `ruff format`
# rewrites the files, `make lint` only checks them. Then zizmor, offline, on
# the GitHub workflows: any medium or high finding fails (CONTRIBUTING.md, "Security").
lint: setup
	$(BIN)/ruff check cnnkit tests tools benchmarks
	$(BIN)/ruff format --check cnnkit tests tools benchmarks
	$(BIN)/mypy
	$(BIN)/zizmor --offline --min-severity medium .github/workflows/

test-unit: setup
	$(BIN)/python -m pytest tests cnnkit --ignore=tests/book -q

# CNNKIT_NO_PRETRAINED=1: the stored outputs are the offline ones, even where ImageNet weights are cached.
# Each chapter's time is printed at the end (and kept in _build/notebook_times.json); no time fails a test.
test-notebooks: setup
	CNNKIT_NO_PRETRAINED=1 $(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		-p no:randomly -q $(NOTEBOOKS)

# The HTML book, the slide decks and the PDF, then the browser test of all three (tests/book).
test-book: setup
	rm -rf _build/html _build/screenshots _build/slides _build/pdf
	$(BIN)/jupyter-book build -W -n --keep-going .
	$(MAKE) --no-print-directory slides pdf BOOK_DIR=.
	$(BIN)/python -m pytest tests/book -q

# Says which Chrome or Chromium and driver the browser test will use, or how to get them.
check-browser: setup
	@$(BIN)/python tests/book/browser.py

# Machine set-up, not part of `make test` (CI calls it first): nothing when a Chrome or Chromium
# and a chromedriver are there (a Mac with Chrome, GitHub's runners); Debian's packages otherwise.
browser-deps:
	@if ! $(PYTHON) tests/book/browser.py --require-driver; then \
		if ! command -v apt-get >/dev/null 2>&1; then \
			echo "browser-deps can only install Debian's packages, and this machine has no apt-get."; \
			exit 1; \
		fi; \
		echo "Installing chromium and chromium-driver (Debian packages) for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; \
	fi

# The lock: pyproject.toml's dependencies and its `book` and `test` extras (plus constraints.txt),
# compiled by uv into one universal requirements.txt with environment markers for every platform.
# Versions already in requirements.txt are kept where they still fit; add --upgrade to move them.
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra book --extra test -c constraints.txt \
		--universal --python-version 3.11 --output-file requirements.txt $(LOCK_ARGS)

check-lock: setup
	$(BIN)/python tools/check_lock.py

timings: setup
	$(BIN)/python tools/timings.py $(NOTEBOOKS)

colab-check: setup
	$(BIN)/python tools/colab_check.py

execute: setup
	@for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		$(BIN)/python tools/execute.py "$$nb" || exit 1; \
	done

# The book as the publish workflow builds it: a copy of the book's files in $(ONLINE_DIR), where the
# chapters that can show VGG16's ImageNet weights are re-executed with them (when they are cached),
# then built into $(ONLINE_DIR)/_build/html. The committed notebooks are never touched: they stay the
# offline version that nbval checks.
ONLINE_DIR := _build/online
book-online: setup
	rm -rf $(ONLINE_DIR)
	$(BIN)/python tools/copy_book.py $(ONLINE_DIR)
	@for nb in $(ONLINE_CHAPTERS); do \
		echo "executing $(ONLINE_DIR)/$$nb with ImageNet weights"; \
		$(BIN)/python tools/execute.py --online "$(ONLINE_DIR)/$$nb" || exit 1; \
	done
	$(BIN)/jupyter-book build -W -n --keep-going $(ONLINE_DIR)
	@echo "The online book is built. Open $(CURDIR)/$(ONLINE_DIR)/_build/html/index.html in a browser."

pin: setup
	$(BIN)/python tools/pin.py

benchmark: setup
	env -u OPENBLAS_NUM_THREADS $(BIN)/python benchmarks/ops.py

clean:
	rm -rf _build .pytest_cache .hypothesis
