"""Write the one Colab install cell into every chapter, pinned to cnnkit's version.

Usage:
    python tools/pin.py          # rewrite the first code cell of every chapter
    python tools/pin.py --check  # exit 1 and list the chapters whose first cell disagrees
    python tools/pin.py --tag    # print the git tag the cells pin (v + version; the release workflow)

The version comes from ``cnnkit/__init__.py`` (``__version__``; the git tag is ``v`` + version)
and the repository from ``repository.url`` in ``_config.yml``: each is set in one place, and this
command applies them. A test (tests/test_notebooks.py) fails when a chapter disagrees.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
HEADER_TAGS = ["hide-cell"]

HEADER_TEMPLATE = """\
# Set-up. Under Google Colab this installs the book's helper package, cnnkit, pinned to
# the book's release; on your own machine `make book` or `make test` has installed it.
# Then every random seed is fixed, so the numbers below are the ones printed in the book.
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "cnnkit @ git+{url}@v{version}"

import cnnkit

rng = cnnkit.seed_everything(0)  # also a numpy Generator for the chapter"""


def version() -> str:
    text = (ROOT / "cnnkit" / "__init__.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not match:
        raise RuntimeError("cnnkit/__init__.py has no __version__ line")
    return match.group(1)


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def expected_header() -> str:
    """The source of the first code cell every chapter must have."""
    return HEADER_TEMPLATE.format(url=repository_url(), version=version())


def chapters() -> list[Path]:
    """Every notebook of the book with a Colab launch button: the chapters and the guide."""
    return sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "guide").glob("*.ipynb"))


def first_code_cell(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell
    return None


def check(path: Path) -> str | None:
    """Return a message if the chapter's first code cell is not the pinned header, else None."""
    nb = nbformat.read(path, as_version=4)
    cell = first_code_cell(nb)
    if cell is None:
        return f"{path.name}: has no code cell"
    if cell.source.strip() != expected_header():
        return f"{path.name}: first code cell is not the pinned set-up cell (run `make pin`)"
    if not set(HEADER_TAGS) <= set(cell.metadata.get("tags", [])):
        return f"{path.name}: the set-up cell lacks the tags {HEADER_TAGS}"
    return None


def pin(path: Path) -> bool:
    """Rewrite the chapter's set-up cell; return True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    cell = first_code_cell(nb)
    if cell is None:
        raise ValueError(f"{path}: has no code cell to hold the set-up")
    new = expected_header()
    tags = list(dict.fromkeys(list(cell.metadata.get("tags", [])) + HEADER_TAGS))
    if cell.source == new and cell.metadata.get("tags") == tags:
        return False
    cell.source = new
    cell.metadata["tags"] = tags
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report disagreements")
    parser.add_argument("--tag", action="store_true", help="print the git tag the Colab cells pin")
    args = parser.parse_args(argv)
    if args.tag:
        print(f"v{version()}")
        return 0
    if args.check:
        problems = [m for m in (check(p) for p in chapters()) if m]
        for message in problems:
            print(message)
        return 1 if problems else 0
    for path in chapters():
        if pin(path):
            print(f"pinned {path.name} to cnnkit v{version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
