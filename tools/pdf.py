"""Print the whole book as one PDF, with the Chromium the browser test uses: no TeX needed.

Usage: python tools/pdf.py [--book DIR] [--out FILE] [--no-build]
(`make pdf` runs it, into _build/pdf/book.pdf.)

1. `jupyter-book build --builder singlehtml` writes every page of _toc.yml, in order, into one HTML
   page (BOOK/_build/singlehtml/index.html), from the stored outputs, as the HTML book does;
2. that page is served on 127.0.0.1 and opened in headless Chrome or Chromium, driven by selenium
   with the browser and driver that tests/book/browser.py finds; the script waits until MathJax
   has typeset every formula and every image has loaded, and puts a table of contents (the
   chapters and their sections, as links) in front of the first chapter;
3. Chromium's own printing (the DevTools command Page.printToPDF) writes the PDF: A4, the page
   number in the footer, the headings as the PDF's outline (bookmarks), links kept.

When the HTML book has been built (BOOK/_build/html), the PDF is also copied to its root, where
the download menu of every page links it. The theme's print style sheet leaves out the navigation and the buttons, and the print style
added here the code cells that the HTML book folds away (hide-input, hide-cell); visible code is
printed, wrapped. The exercises' solutions, dropdowns in the HTML book, are printed open, after
their exercises. Figures, captions and maths are printed as the pages show them.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.book.browser import HOW_TO_GET_ONE, find_browser, find_driver

# Put in front of the book: a table of contents built from the page's own headings, and a little
# print styling (no page break inside a figure, each chapter on a new page).
PREPARE = r"""
const main = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
for (const img of document.images) { img.loading = 'eager'; }
// The single page nests every chapter under the introduction's table of contents, where its title
// is an h3. Each page of _toc.yml starts with <span id="document-NAME">; its headings are moved up
// so that a chapter's title is an h1 and its sections h2, h3: the PDF's outline follows them.
const chapters = [];
for (const marker of main.querySelectorAll('span[id^="document-"]')) {
  const section = marker.nextElementSibling;
  if (!section || section.tagName !== 'SECTION') { continue; }
  const title = section.querySelector('h1, h2, h3, h4, h5, h6');
  const shift = Number(title.tagName[1]) - 1;
  for (const h of section.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Math.max(1, Number(h.tagName[1]) - shift);
    const moved = document.createElement('h' + level);
    for (const a of h.attributes) { moved.setAttribute(a.name, a.value); }
    moved.innerHTML = h.innerHTML;
    h.replaceWith(moved);
  }
  section.classList.add('pdf-chapter');
  chapters.push(section);
}
const text = h => { const c = h.cloneNode(true); c.querySelectorAll('a.headerlink').forEach(a => a.remove()); return c.innerHTML; };
let html = '<h2>Contents</h2><ul class="pdf-toc">';
for (const section of chapters) {
  html += `<li><a href="#${section.id}">${text(section.querySelector('h1'))}</a>`;
  const subs = Array.from(section.querySelectorAll(':scope > section')).filter(s => s.id && s.querySelector(':scope > h2'));
  if (subs.length) {
    html += '<ul>' + subs.map(s => `<li><a href="#${s.id}">${text(s.querySelector(':scope > h2'))}</a></li>`).join('') + '</ul>';
  }
  html += '</li>';
}
const toc = document.createElement('nav');
toc.id = 'pdf-contents';
toc.innerHTML = html + '</ul>';
const bookTitle = main.querySelector('h1');
bookTitle.after(toc);
const style = document.createElement('style');
style.textContent = `
  @media print {
    #jb-print-toc { display: none !important; }
    #pdf-contents { break-after: page; }
    #pdf-contents ul { list-style: none; padding-left: 0; }
    #pdf-contents ul.pdf-toc > li { font-size: 0.95em; margin-top: 0.3em; }
    #pdf-contents ul.pdf-toc ul { font-size: 0.85em; padding-left: 1.5em; margin-bottom: 0.3em; }
    #pdf-contents a { text-decoration: none; color: inherit; }
    .bd-main .bd-content .bd-article section.pdf-chapter > h1:first-of-type { display: block !important; }
    section.pdf-chapter { break-before: page; }
    section.pdf-chapter > h1 { font-size: 2em; }
    details.hide, .cell.tag_hide-cell { display: none !important; }
    .cell_input pre, .cell_output pre, div.highlight pre { white-space: pre-wrap !important; word-break: break-word; }
    figure, .cell_output img, mjx-container[display="true"] { break-inside: avoid; }
    a.headerlink { display: none !important; }
  }`;
document.head.appendChild(style);
return chapters.length;
"""

MATHJAX_DONE = r"""
const done = arguments[arguments.length - 1];
const typeset = () => Array.from(document.querySelectorAll('.math')).every(e => e.querySelector('mjx-container'));
if (!document.querySelector('.math')) { done(true); return; }
const start = Date.now();
(function wait() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done(typeset()), () => done(false));
  } else if (Date.now() - start > 120000) { done(false); } else { setTimeout(wait, 250); }
})();
"""

IMAGES_LOADED = "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"

FOOTER = (
    '<div style="font-size: 8px; width: 100%; text-align: center; color: #555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def build_singlehtml(book: Path) -> Path:
    """Run Jupyter Book's singlehtml builder; return the folder it wrote."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(jupyter_book) if jupyter_book.exists() else "jupyter-book",
        "build",
        "--builder",
        "singlehtml",
        "--keep-going",
        str(book),
    ]
    print("running", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    return book / "_build" / "singlehtml"


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = find_browser(), find_driver()
    if chromium is None:
        sys.exit("tools/pdf.py: no Chrome or Chromium found.\n" + HOW_TO_GET_ONE)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,1600",
    ):
        options.add_argument(flag)
    service = Service(executable_path=driver_path) if driver_path else Service()
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(600)
    driver.set_script_timeout(300)
    return driver


def wait_for(driver, script: str, timeout: float = 180.0):
    end = time.monotonic() + timeout
    value = driver.execute_script(script)
    while not value and time.monotonic() < end:
        time.sleep(0.5)
        value = driver.execute_script(script)
    return value


def print_pdf(book: Path, site: Path, out: Path) -> dict:
    """Open the root page of site in headless Chromium and print it to `out`; return what was printed."""
    if not (site / "index.html").is_file():  # written by every build
        sys.exit(f"tools/pdf.py: no single-page build in {site}")
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    driver = start_browser()
    try:
        # Jupyter Book writes index.html as a redirect to the root page, which holds the book.
        root = yaml.safe_load((book / "_toc.yml").read_text())["root"]
        driver.get(f"http://127.0.0.1:{httpd.server_address[1]}/{root}.html")
        wait_for(driver, "return document.readyState === 'complete'")
        if not driver.execute_async_script(MATHJAX_DONE):
            sys.exit("tools/pdf.py: MathJax did not typeset every formula")
        chapters = driver.execute_script(PREPARE)
        if not wait_for(driver, IMAGES_LOADED):
            sys.exit("tools/pdf.py: some images did not load")
        result = driver.execute_cdp_cmd(
            "Page.printToPDF",
            {
                "paperWidth": 8.27,
                "paperHeight": 11.69,  # A4, in inches
                "marginTop": 0.6,
                "marginBottom": 0.7,
                "marginLeft": 0.6,
                "marginRight": 0.6,
                "printBackground": True,
                "preferCSSPageSize": False,
                "displayHeaderFooter": True,
                "headerTemplate": "<span></span>",
                "footerTemplate": FOOTER,
                "generateTaggedPDF": True,
                "generateDocumentOutline": True,
            },
        )
    finally:
        driver.quit()
        httpd.shutdown()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(result["data"]))
    return {"chapters": chapters, "bytes": out.stat().st_size, "pages": page_count(out)}


def page_count(pdf: Path) -> int | None:
    """The PDF's number of pages, read with pypdf (the test extra) where it is installed."""
    try:
        import pypdf
    except ImportError:
        return None
    return len(pypdf.PdfReader(pdf).pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=ROOT, help="the book's folder (default: this repository)")
    parser.add_argument("--out", type=Path, default=None, help="the PDF (default: BOOK/_build/pdf/book.pdf)")
    parser.add_argument("--no-build", action="store_true", help="print BOOK/_build/singlehtml as it is")
    args = parser.parse_args(argv)
    book = args.book.resolve()
    out = (args.out or book / "_build" / "pdf" / "book.pdf").resolve()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    start = time.perf_counter()
    site = book / "_build" / "singlehtml" if args.no_build else build_singlehtml(book)
    built = time.perf_counter()
    printed = print_pdf(book, site, out)
    html = book / "_build" / "html"
    if args.out is None and (html / "index.html").is_file():
        # where every page's download menu links it (tools/book_extensions/pdf_download.py)
        shutil.copy2(out, html / "book.pdf")
        print(f"copied it into {html / 'book.pdf'}")
    print(
        f"{out}: {printed['pages'] or '?'} pages, {printed['bytes'] / 1e6:.1f} MB, {printed['chapters']} pages of _toc.yml after the introduction "
        f"(build {built - start:.0f} s, print {time.perf_counter() - built:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
