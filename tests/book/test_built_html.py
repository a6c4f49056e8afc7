"""The built book, opened in a real headless browser (Chrome or Chromium, driven by selenium).

Run after `jupyter-book build` (`make test` does both). For every page in the table of contents:
it loads and has a title; MathJax ran (no raw `$$`, and maths became MathJax elements); every
image loaded and has alt text; no cell output shows a Python traceback; the launch, repository and
navigation buttons exist. One screenshot per page is saved under _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.book.browser import HOW_TO_GET_ONE, find_browser, find_driver

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return pages


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built book in {HTML}: run `make book` (or `make test`) first")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = find_browser(), find_driver()
    if chromium is None:
        pytest.fail("no Chrome or Chromium found.\n" + HOW_TO_GET_ONE, pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1600", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    try:
        # Without a chromedriver, Selenium Manager looks for one (and fetches it if it can).
        service = Service(executable_path=driver_path) if driver_path else Service()
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as error:  # selenium raises several types; all mean "no usable driver"
        pytest.fail(f"could not start {chromium} with chromedriver {driver_path or '(Selenium Manager)'}: "
                    f"{str(error).splitlines()[0]}\n{HOW_TO_GET_ONE}", pytrace=False)
    driver.set_page_load_timeout(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 120.0):
    end = time.monotonic() + timeout
    value = driver.execute_script(script)
    while not value and time.monotonic() < end:
        time.sleep(0.25)
        value = driver.execute_script(script)
    return value


@pytest.mark.parametrize("page", toc_pages())
def test_page(page, server, browser):
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
