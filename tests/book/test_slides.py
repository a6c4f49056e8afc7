"""The chapters' slide decks (`make slides`, tools/slides.py), opened in the headless browser.

Run after `python tools/slides.py` (`make test` builds them in its test-book step). For every
chapter of _toc.yml: its deck exists and loads nothing from the network; in the browser reveal.js
starts and counts more than three slides, MathJax typesets the maths, every image has alt text,
and nothing shows a traceback or MyST that was not turned into Markdown. The sections that the
instructors' page names to run live each get a slide with their code. The browser is the fixture
of conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
from pathlib import Path

import pytest

from tests.book.conftest import QuietHandler, wait_for

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "_build" / "slides"
sys.path.insert(0, str(ROOT / "tools"))

import slides  # tools/slides.py

CHAPTERS = [path for _, path in slides.toc_chapters(ROOT)]
LIVE = slides.live_sections(ROOT)


@pytest.fixture(scope="module")
def deck_server():
    if not SLIDES.is_dir() or not any(SLIDES.glob("*.slides.html")):
        pytest.fail(f"no slide decks in {SLIDES}: run `make slides` (or `make test`) first")
    handler = functools.partial(QuietHandler, directory=str(SLIDES))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_there_is_a_deck_for_every_chapter_and_nothing_else():
    decks = sorted(p.name for p in SLIDES.glob("*.slides.html"))
    assert decks == sorted(f"{p.stem}.slides.html" for p in CHAPTERS)


def test_the_instructors_page_names_live_sections_that_the_chapters_have():
    """slides.py refuses to build when a named section is missing; here, that some are named."""
    assert set(LIVE) >= {p.stem for p in CHAPTERS}, "every chapter has a row with live sections"
    assert all(LIVE.values()), "every row names at least one section to run live"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_deck_loads_nothing_from_the_network(chapter):
    text = (SLIDES / f"{chapter.stem}.slides.html").read_text(encoding="utf-8")
    remote = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^\"']+", text)
    assert not remote, f"{chapter.stem}: loads {remote[:3]}"
    for local in re.findall(r"<script\b[^>]*\bsrc=[\"']([^\"']+)", text):
        assert (SLIDES / local).is_file(), f"{chapter.stem}: {local} is not beside the deck"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_deck(chapter, deck_server, browser):
    browser.get(f"{deck_server}/{chapter.stem}.slides.html")
    assert wait_for(browser, "return !!(window.Reveal && Reveal.isReady())"), f"{chapter.stem}: reveal.js did not start"
    total = browser.execute_script("return Reveal.getTotalSlides()")
    assert total > 3, f"{chapter.stem}: only {total} slides"

    has_math = browser.execute_script("return document.body.textContent.includes('$')")
    if has_math:
        typeset = wait_for(
            browser,
            "return !!(window.MathJax && MathJax.startup && MathJax.startup.document"
            " && document.querySelector('mjx-container'))",
        )
        assert typeset, f"{chapter.stem}: MathJax did not typeset the maths"
    text = browser.execute_script("return document.body.textContent")
    assert "Traceback (most recent call last)" not in text, f"{chapter.stem}: a traceback in the deck"
    leftovers = re.findall(r"\{(?:glue|cite|ref|doc|numref|eq)[:\w]*\}`|```\{|:::\{", text)
    assert not leftovers, f"{chapter.stem}: MyST left in the deck: {leftovers[:3]}"

    no_alt = browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src.slice(0, 80))"
    )
    assert not no_alt, f"{chapter.stem}: images without alt text: {no_alt}"
    images = browser.execute_script("return document.images.length")
    assert images > 0, f"{chapter.stem}: a deck without a single figure"

    titles = browser.execute_script(
        "return Reveal.getSlides().map(s => (s.querySelector('h1, h2, h3') || {textContent: ''}).textContent)"
    )
    for section in LIVE.get(chapter.stem, []):
        wanted = f"Run it live: {slides.strip_markup(section)}"
        assert any(wanted in t for t in titles), f"{chapter.stem}: no slide '{wanted}'"
