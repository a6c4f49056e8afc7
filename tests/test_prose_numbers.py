"""Numbers in the prose are tied to the cells that compute them.

A decimal number or a percentage in a chapter's markdown that restates a computed result must be
inserted with myst-nb's glue (``{glue:text}`name:.3f```, written by ``glue("name", value)`` in a
code cell), so that re-running a chapter cannot leave the prose behind its outputs. The only
numbers typed into the prose are facts from outside the book: figures from papers and fixed
constants, listed below with where they come from. Integers without a percent sign (sizes, counts
of layers, years) are not checked.

Code (inline and fenced), citations, link targets and HTML tags are not prose and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

#: A decimal (2.5, 0.9815, 1,234.5) or a percentage (25%, 99.2 %).
NUMBER = re.compile(r"(?<![\w.\-/#])(\d[\d,]*\.\d+\s?%?|\d[\d,]*\s?%)(?![\w.]*\d)")

#: The numbers the prose may state without glue: facts from papers and fixed constants, by chapter.
#: Each is (number as written, where it comes from).
CITED: dict[str, list[tuple[str, str]]] = {
    "01_convolution.ipynb": [],
    "02_image_filtering.ipynb": [],
    "03_padding.ipynb": [],
    "04_stride.ipynb": [],
    "05_pooling.ipynb": [],
    "06_transposed_convolution.ipynb": [],
    "08_architectures.ipynb": [
        ("1.7159", "lecun1998gradient, Appendix A: the squashing function A tanh(Sa) with A = 1.7159"),
        ("1.2", "russakovsky2015imagenet: about 1.2 million ILSVRC training images"),
        ("0.5", "krizhevsky2012imagenet, Section 4.2: dropout with probability 0.5"),
        ("1.5", "szegedy2014going, Section 1: a budget of 1.5 billion multiply-adds at inference"),
        ("11.7%", "russakovsky2015imagenet: ILSVRC 2013 winner, Clarifai, without outside data"),
        ("14.8%", "zeiler2014visualizing, Table 2: top-5 error on the ILSVRC-2012 test set"),
        ("3.57%", "he2016deep, Table 5: ILSVRC 2015 test top-5 error of the ensemble"),
        ("15.3%", "krizhevsky2012imagenet, Table 2: ILSVRC-2012 test top-5 error"),
    ],
    "09_vgg16_activations.ipynb": [],
    "10_filter_visualisation.ipynb": [],
    "11_class_activation_maps.ipynb": [],
}


def prose(markdown: str) -> str:
    """The markdown without code, citations, link targets and HTML tags."""
    markdown = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    markdown = re.sub(r"\{glue(?::\w+)?\}`[^`]*`", " ", markdown)
    markdown = re.sub(r"`[^`]*`", " ", markdown)
    markdown = re.sub(r"\]\([^)]*\)", "]", markdown)
    return re.sub(r"<[^>]+>", " ", markdown)


def unglued_numbers(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += [m.strip() for m in NUMBER.findall(prose(cell.source))]
    return found


def glued_names(path: Path) -> set[str]:
    """Names that the notebook's code cells glue (from their stored outputs)."""
    nb = nbformat.read(path, as_version=4)
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name:
                    names.add(name)
    return names


def test_the_number_pattern():
    found = NUMBER.findall(prose("accuracy 0.9815, 25% of 1,200.5 units; `lr=0.005` {glue:text}`acc:.2f` v2.0"))
    assert [f.strip() for f in found] == ["0.9815", "25%", "1,200.5"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_number_in_the_prose_is_glued_or_cited(path):
    allowed = [number for number, _ in CITED.get(path.name, [])]
    unexplained = [n for n in unglued_numbers(path) if n not in allowed]
    assert not unexplained, (
        f"{path.name}: numbers typed into the prose: {unexplained}. Glue computed ones "
        "(myst_nb.glue in a code cell, {glue:text}`name` in the text); list cited facts in CITED with their source."
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_glue_reference_has_a_glued_value(path):
    nb = nbformat.read(path, as_version=4)
    used = {
        m for c in nb.cells if c.cell_type == "markdown" for m in re.findall(r"\{glue(?::\w+)?\}`([\w-]+)", c.source)
    }
    missing = used - glued_names(path)
    assert not missing, f"{path.name}: the prose refers to glued values no cell stores: {sorted(missing)}"


def test_cited_numbers_still_appear_where_listed():
    """The list stays short and true: every listed fact is still in its chapter's prose."""
    for name, facts in CITED.items():
        numbers = unglued_numbers(ROOT / "chapters" / name)
        for number, source in facts:
            assert number in numbers, f"{name}: CITED lists {number} ({source}), which the prose no longer states"
