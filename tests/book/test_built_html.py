"""The built book, opened in a real headless browser (Chrome or Chromium, driven by selenium).

Run after `jupyter-book build` (`make test` does both). For every page in the table of contents:
it loads and has a title; MathJax ran (no raw `$$`, and maths became MathJax elements); every
image loaded and has alt text; no cell output shows a Python traceback; the launch, repository and
navigation buttons exist. One screenshot per page is saved under _build/screenshots/. The server
and the browser are the fixtures of conftest.py.
"""

from __future__ import annotations

import pytest
import yaml

# The server and browser fixtures live in conftest.py; their names stay importable from here
# (test_slides.py imports QuietHandler, browser and wait_for from this module).
from tests.book.conftest import ROOT, SHOTS, QuietHandler, browser, wait_for  # noqa: F401


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return pages


@pytest.mark.parametrize("page", toc_pages())
def test_page(page, server, browser):  # noqa: F811 (browser: the fixture, imported above)
    url = f"{server}/{page}.html"
    browser.get(url)
    wait_for(browser, "return document.readyState === 'complete'")

    title = browser.title.strip()
    assert title and "untitled" not in title.lower(), f"{page}: no title"

    has_math = browser.execute_script("return document.querySelectorAll('.math').length > 0")
    if has_math:
        typeset = wait_for(
            browser,
            "return Array.from(document.querySelectorAll('.math')).every(e => e.querySelector('mjx-container'))",
        )
        assert typeset, f"{page}: MathJax did not typeset the maths"
    text = browser.execute_script("return document.body.innerText")
    assert "$$" not in text, f"{page}: raw $$ in the page (MathJax did not run)"
    assert "\\begin{" not in text, f"{page}: raw LaTeX environment in the page"

    # Every image has loaded and has alt text. Animation frames are swapped in by script, so
    # give images a moment to decode.
    # (The script returns a boolean: wait_for polls until it is true, up to the timeout.)
    loaded = wait_for(
        browser,
        "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);",
        timeout=120,
    )
    bad = browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120))"
    )
    assert loaded and not bad, f"{page}: images that did not load: {bad}"
    no_alt = browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src.slice(0, 120))"
    )
    assert not no_alt, f"{page}: images without alt text: {no_alt}"

    outputs = browser.execute_script(
        "return Array.from(document.querySelectorAll('.cell_output')).map(e => e.innerText).join('\\n')"
    )
    assert "Traceback (most recent call last)" not in outputs, f"{page}: a cell output shows a traceback"

    buttons = browser.execute_script(
        "return {"
        " repo: document.querySelectorAll('a[href*=\"github.com\"]').length,"
        " nav: document.querySelectorAll('.bd-sidebar-primary a.reference, nav.bd-links a').length,"
        " colab: document.querySelectorAll('a[href*=\"colab.research.google.com\"]').length,"
        " binder: document.querySelectorAll('a[href*=\"mybinder.org\"]').length,"
        " prevnext: document.querySelectorAll('.prev-next-area a').length"
        "}"
    )
    assert buttons["repo"] > 0, f"{page}: no repository button"
    assert buttons["nav"] > 0, f"{page}: no navigation sidebar"
    assert buttons["prevnext"] > 0, f"{page}: no previous/next links"
    if page.startswith("chapters/"):
        assert buttons["colab"] > 0 and buttons["binder"] > 0, f"{page}: no Colab/Binder launch buttons"

    browser.save_screenshot(str(SHOTS / f"{page.replace('/', '_')}.png"))
