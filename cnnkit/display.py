"""Notebook display helpers.

:func:`glue` ties a number in a chapter's prose to the cell that computes it: the cell calls
``glue("lenet_accuracy", accuracy)`` and the markdown says ``{glue:text}`lenet_accuracy:.4f```.
When the book is built, myst-nb puts the stored value in the text, so the prose cannot drift from
the outputs when a chapter is re-run (``tests/test_prose_numbers.py`` checks that every decimal
and percentage in the prose is glued or is a cited fact).
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


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
