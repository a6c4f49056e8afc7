"""What the browser tests of the built book share: a local web server for the HTML and one headless
Chrome or Chromium (driven by selenium) for the whole session.

The book is looked for in `_build/html` (`make book` builds it there); set CNNKIT_BOOK_HTML to test
a book built elsewhere, for example a copy with a shorter table of contents. Screenshots go to
`_build/screenshots/` either way.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import time
from pathlib import Path

import pytest

from tests.book.browser import HOW_TO_GET_ONE, find_browser, find_driver

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("CNNKIT_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SHOTS = ROOT / "_build" / "screenshots"
WINDOW = (1280, 1600)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def server():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built book in {HTML}: run `make book` (or `make test`) first")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = find_browser(), find_driver()
    if chromium is None:
        pytest.fail("no Chrome or Chromium found.\n" + HOW_TO_GET_ONE, pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for script errors
    try:
        # Without a chromedriver, Selenium Manager looks for one (and fetches it if it can).
        service = Service(executable_path=driver_path) if driver_path else Service()
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as error:  # selenium raises several types; all mean "no usable driver"
        pytest.fail(
            f"could not start {chromium} with chromedriver {driver_path or '(Selenium Manager)'}: "
            f"{str(error).splitlines()[0]}\n{HOW_TO_GET_ONE}",
            pytrace=False,
        )
    driver.set_page_load_timeout(300)
    driver.set_script_timeout(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 120.0):
    """Run `script` until it returns something true, up to `timeout` seconds; return its last value."""
    end = time.monotonic() + timeout
    value = driver.execute_script(script)
    while not value and time.monotonic() < end:
        time.sleep(0.25)
        value = driver.execute_script(script)
    return value


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many explorer settings test_explorers.py compared with cnnkit."""
    counts = getattr(config, "explorer_counts", None)
    if counts:
        total = sum(counts.values())
        parts = ", ".join(f"{kind} {n}" for kind, n in counts.items())
        terminalreporter.write_line(f"explorer settings compared with cnnkit: {total} ({parts})")
