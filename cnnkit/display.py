"""Notebook display helpers: numbers glued into the prose, boxed notes, rich display.

:func:`glue` ties a number in a chapter's prose to the cell that computes it: the cell calls
``glue("lenet_accuracy", accuracy)`` and the markdown says ``{glue:text}`lenet_accuracy:.4f```.
When the book is built, myst-nb puts the stored value in the text, so the prose cannot drift from
the outputs when a chapter is re-run (``tests/test_prose_numbers.py`` checks that every decimal
and percentage in the prose is glued or is a cited fact).
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["glue", "Admonition", "show"]


def glue(name: str, value: Any) -> Any:
    """Store ``value`` under ``name`` for the book's prose, and return it.

    Where myst-nb is installed (the book's environment: ``make book``, ``make test``) this is
    ``myst_nb.glue(name, value, display=False)``: the value is stored in the cell's outputs,
    hidden, and the text refers to it with ``{glue:text}`name``` (a format such as ``:.2f`` or
    ``:.1%`` may follow the name). Elsewhere (Colab has no myst-nb) nothing is stored, and the
    notebook's markdown shows the reference itself.

    Args:
        name: the key the markdown uses: letters, digits, ``_`` and ``-``.
        value: a number (or anything with a ``repr``).

    Returns:
        ``value``, so that ``accuracy = glue("accuracy", evaluate(...))`` reads naturally.

    Example:
        >>> glue("answer", 42)
        42
    """
    if not name or not all(ch.isalnum() or ch in "_-" for ch in name):
        raise ValueError(f"glue name must be letters, digits, '_' or '-'; got {name!r}")
    # A numpy scalar is stored as its repr, ``np.float64(0.98)``, which a format such as ``:.2f``
    # in the prose cannot read: store the Python number instead.
    stored = value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # pragma: no cover - myst-nb is in the book's environment
        return value
    myst_glue(name, stored, display=False)
    return value


class Admonition:
    """A boxed note for a notebook: rendered as a Sphinx/Jupyter Book admonition in HTML, as text elsewhere.

    Jupyter and the book show :meth:`_repr_html_`, ``<div class="admonition warning">`` with a
    title paragraph, which the book's theme draws as a coloured box. Text outputs (a terminal,
    nbval's comparison) show ``repr``, which is stable. Text between backticks is set as code.

    Args:
        title: the box's title.
        paragraphs: its text, one string per paragraph.
        kind: the admonition's class: ``"warning"``, ``"note"``, ``"tip"``, ``"important"``.

    Example:
        >>> box = Admonition("Careful", ["Run `make test` first."])
        >>> print(box._repr_html_())
        <div class="admonition warning"><p class="admonition-title">Careful</p><p>Run <code>make test</code> first.</p></div>
        >>> print(repr(box))
        WARNING: Careful
        Run `make test` first.
    """

    KINDS = ("warning", "note", "tip", "important", "caution", "attention", "danger", "error", "hint")

    def __init__(self, title: str, paragraphs: list[str] | tuple[str, ...], kind: str = "warning"):
        if kind not in self.KINDS:
            choices = ", ".join(repr(k) for k in self.KINDS)
            raise ValueError(f"Admonition: kind={kind!r} is not one of {choices}")
        if isinstance(paragraphs, str):
            raise TypeError("paragraphs must be a list of strings, one per paragraph; got a single string")
        self.title, self.paragraphs, self.kind = title, list(paragraphs), kind

    @staticmethod
    def _inline(text: str) -> str:
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))

    def _repr_html_(self) -> str:
        body = "".join(f"<p>{self._inline(p)}</p>" for p in self.paragraphs)
        return (
            f'<div class="admonition {self.kind}"><p class="admonition-title">{html.escape(self.title)}</p>{body}</div>'
        )

    def __repr__(self) -> str:
        return "\n".join([f"{self.kind.upper()}: {self.title}", *self.paragraphs])

    __str__ = __repr__


def show(obj: object) -> None:
    """Display ``obj`` in a notebook (its richest representation), or print it outside one."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        print(obj)
        return
    if get_ipython() is None:
        print(obj)
    else:
        display(obj)
