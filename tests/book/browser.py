"""Find the Chrome or Chromium and the chromedriver that the browser test drives.

Run as a script (`make test` does, before anything slow) it prints what it found, or says what is
missing and how to get it, and exits 1; `--require-driver` also exits 1 when there is no
chromedriver (`make browser-deps` uses it to decide whether to install Debian's packages). The test (test_built_html.py) uses the same search.

Looked for, in order: the environment variables CHROME_BINARY and CHROMEDRIVER; on the PATH,
chromium, chromium-browser, google-chrome, google-chrome-stable, chrome and chromedriver; the
usual install places of Google Chrome and Chromium on macOS and Windows; for the driver, also the
folder in CHROMEWEBDRIVER (set on GitHub's runners). When a browser is found
but no chromedriver, Selenium Manager (part of selenium) can fetch the matching driver, which needs
the internet; the test then tries it.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
)

HOW_TO_GET_ONE = """\
The browser test needs Google Chrome or Chromium, and a chromedriver of the same major version.
  Debian, Ubuntu:  make browser-deps   (sudo apt-get install chromium chromium-driver)
  macOS:           install Google Chrome from google.com/chrome, or `brew install --cask chromium`,
                   and `brew install --cask chromedriver` (or let Selenium Manager fetch the driver,
                   which needs the internet)
  Windows:         install Google Chrome; Selenium Manager fetches the driver (needs the internet)
  Anywhere:        set CHROME_BINARY and CHROMEDRIVER to the two programs' paths."""


def find_browser() -> str | None:
    """The path of a Chrome or Chromium binary, or None."""
    explicit = os.environ.get("CHROME_BINARY")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in BROWSER_PATHS if Path(p).is_file()), None)


def find_driver() -> str | None:
    """The path of a chromedriver, or None (Selenium Manager may then fetch one)."""
    explicit = os.environ.get("CHROMEDRIVER")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    # GitHub's runner images keep theirs in the folder CHROMEWEBDRIVER names.
    folder = os.environ.get("CHROMEWEBDRIVER")
    return shutil.which("chromedriver") or (shutil.which("chromedriver", path=folder) if folder else None)


def main(argv: list[str]) -> int:
    """Print what the browser test will use; exit 1 if no browser (or, with --require-driver, no driver)."""
    browser, driver = find_browser(), find_driver()
    if browser is None:
        print(f"No Chrome or Chromium found on this {platform.system()} machine.\n{HOW_TO_GET_ONE}", file=sys.stderr)
        return 1
    print(f"browser test: {browser}")
    if driver is None and "--require-driver" in argv:
        print("No chromedriver found.\n" + HOW_TO_GET_ONE, file=sys.stderr)
        return 1
    if driver is None:
        print(
            "browser test: no chromedriver found; Selenium Manager will try to fetch one (needs the internet).\n"
            + HOW_TO_GET_ONE
        )
    else:
        print(f"browser test: {driver}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
