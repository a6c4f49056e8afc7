"""The book as one PDF (`make pdf`, tools/pdf.py), read back with pypdf.

Run after `python tools/pdf.py` (`make test` prints it in its test-book step). The PDF opens with a
table of contents; every chapter of _toc.yml is in it, in the text and in the PDF's outline
(bookmarks), with the caption of one of its figures; MathJax was done before printing.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

from tests.book.test_built_html import toc_pages

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "pdf" / "book.pdf"
CHAPTERS = [ROOT / f"{page}.ipynb" for page in toc_pages() if page.startswith("chapters/")]


def flat(text: str) -> str:
    """Text as compared here: ligatures split (NFKC), hyphens at line ends joined, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"-\s*\n\s*", "-", text)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pdf():
    import pypdf

    if not PDF.is_file():
        pytest.fail(f"no {PDF.relative_to(ROOT)}: run `make pdf` (or `make test`) first")
    reader = pypdf.PdfReader(PDF)
    pages = [flat(page.extract_text() or "") for page in reader.pages]
    return reader, pages


def title(chapter: Path) -> str:
    for cell in nbformat.read(chapter, as_version=4).cells:
        match = re.search(r"^# (.+)$", cell.source, re.M) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1).strip()
    raise AssertionError(f"{chapter.name} has no title")


def plain_captions(chapter: Path) -> list[str]:
    """The chapter's figure captions that print as they are stored (no maths, roles or code)."""
    captions = []
    for cell in nbformat.read(chapter, as_version=4).cells:
        caption = cell.metadata.get("mystnb", {}).get("figure", {}).get("caption", "")
        if caption and not re.search(r"[$`{}*_\\]", caption):
            captions.append(caption)
    return captions


def outline_titles(reader) -> list[str]:
    found = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append(flat(item.title))

    walk(reader.outline)
    return found


def test_the_pdf_starts_with_a_table_of_contents_that_lists_every_chapter(pdf):
    _, pages = pdf
    contents = " ".join(pages[:3])
    assert "Contents" in contents
    for chapter in CHAPTERS:
        assert flat(title(chapter)) in contents, f"{chapter.stem}: not in the table of contents"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_is_printed_with_its_title_and_a_figure_caption(chapter, pdf):
    reader, pages = pdf
    text = " ".join(pages)
    name = flat(title(chapter))
    assert sum(name in page for page in pages[3:]) >= 1, f"{chapter.stem}: title {name!r} not printed"
    assert any(
        name in t.replace(" ", "") or name.replace(" ", "") in t.replace(" ", "") for t in outline_titles(reader)
    ), f"{chapter.stem}: not in the PDF's outline"
    captions = plain_captions(chapter)
    assert captions, f"{chapter.stem}: no figure with a plain caption to look for"
    # the first eight words of a caption: enough to be unique, short enough not to cross a page
    found = [c for c in captions if " ".join(flat(c).split()[:8]) in text]
    assert found, f"{chapter.stem}: none of its {len(captions)} figure captions is in the PDF's text"


def test_the_maths_was_typeset_before_printing(pdf):
    """tools/pdf.py waits for MathJax and stops if a formula is left; here, no TeX source is printed
    (code, such as a docstring in a literalinclude, may hold other LaTeX commands)."""
    _, pages = pdf
    text = " ".join(pages)
    assert "$$" not in text and "\\begin{" not in text
