"""A Sphinx extension for the book as one PDF (`make pdf`, tools/pdf.py), loaded by _config.yml.

1. The download menu of every page (the theme's "Download this page": .ipynb, .md, print) gets one
   more entry, "book.pdf", a link to the whole book as one PDF at the root of the site. The
   publish workflow puts the file there; in a local build it is there once `make pdf` has copied
   it into _build/html.
2. The single-page build (`jupyter-book build --builder singlehtml`, which tools/pdf.py prints)
   renders the nodes that only the HTML builder knows. Sphinx gives a builder the handlers
   registered for its format ("html") only when none are registered for its own name; once an
   extension registers one for "singlehtml", nodes such as sphinx-jupyterbook-latex's
   HiddenCellNode have none there, and the build stops with "unknown node type".
"""

from __future__ import annotations

from typing import Any

PDF_NAME = "book.pdf"


def add_pdf_button(app, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](PDF_NAME, 1),
                    "text": "book.pdf",
                    "tooltip": "Download the whole book as one PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def share_html_handlers(app) -> None:
    if app.builder.name == "html" or app.builder.format != "html":
        return
    handlers = app.registry.translation_handlers
    own = handlers.setdefault(app.builder.name, {})
    for node, visitors in handlers.get("html", {}).items():
        own.setdefault(node, visitors)


def setup(app) -> dict:
    # after sphinx-book-theme has built the download menu (its handler runs at priority 501)
    app.connect("html-page-context", add_pdf_button, priority=600)
    app.connect("builder-inited", share_html_handlers, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
