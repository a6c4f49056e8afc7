"""Figures for pooling: the windows on the input and the value each one becomes.

:func:`draw_pool_windows` draws a small input matrix with each pooling window in its own
colour and, optionally, the cells that won a max pooling outlined; :func:`draw_pooled` draws the
pooled output with each cell in the colour of its window; :func:`plot_pooling` puts the two
side by side. The pooled values are passed in (computed by :mod:`cnnkit.ops`): these helpers
draw, they do not pool. Window positions come from :func:`cnnkit.shapes.pool_output_size`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit._checks import check_choice
from cnnkit.plot.arrays import Fmt, format_value
from cnnkit.shapes import pool_output_size, to_pair

__all__ = ["window_colors", "draw_pool_windows", "draw_pooled", "plot_pooling"]

_PALETTE = "tab10"
POOL_MODES = ("max", "avg")


def _matrix(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix (rows, columns); got shape {tuple(arr.shape)} — use x[0, 0]")
    return arr


def window_colors(out_shape: tuple[int, int]) -> np.ndarray:
    """One RGBA colour per output cell (window), row-major, from the ``tab10`` palette.

    Args:
        out_shape: the pooled size (H_out, W_out).

    Returns:
        Array of shape (H_out, W_out, 4). Neighbouring windows get different colours.

    Example:
        >>> window_colors((2, 2)).shape
        (2, 2, 4)
    """
    import matplotlib

    cmap = matplotlib.colormaps[_PALETTE]
    ho, wo = out_shape
    index = np.arange(ho * wo).reshape(ho, wo) % 10
    return np.asarray(cmap(index))


def _window_starts(
    shape: tuple[int, int], k: tuple[int, int], s: tuple[int, int]
) -> tuple[list[int], list[int], tuple[int, int]]:
    out = pool_output_size((shape[0], shape[1]), k, s)
    return [u * s[0] for u in range(out[0])], [v * s[1] for v in range(out[1])], out


def _grid(ax: Any, rows: int, cols: int) -> None:
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for r in range(rows + 1):
        ax.plot([-0.5, cols - 0.5], [r - 0.5, r - 0.5], color="0.6", linewidth=0.5)
    for c in range(cols + 1):
        ax.plot([c - 0.5, c - 0.5], [-0.5, rows - 0.5], color="0.6", linewidth=0.5)


def draw_pool_windows(
    x: Any,
    kernel_size: Any,
    stride: Any = None,
    ax: Any = None,
    winners: Any = None,
    fmt: Fmt = None,
    fontsize: float = 11,
) -> Any:
    """Draw an input matrix with its pooling windows coloured and its values written.

    Non-overlapping windows (stride = kernel size) fill their cells with the window's colour;
    overlapping windows are drawn as coloured outlines, slightly inset so that each stays
    visible. Cells that no window covers stay white.

    Args:
        x: matrix of shape (H, W).
        kernel_size: window size, int or (kH, kW).
        stride: int or pair; defaults to ``kernel_size``.
        ax: the Axes to draw on; a new figure if None.
        winners: the pooled matrix (H_out, W_out) of a max pooling; in every window the cells
            equal to the window's pooled value get a thick black outline.
        fmt: how to write a value (see :func:`cnnkit.plot.arrays.format_value`).
        fontsize: size of the values.

    Returns:
        The Axes. The values are ``ax.texts`` in row-major order; each window is one
        ``Rectangle`` in ``ax.patches`` (row-major), followed by one per winning cell.

    Example:
        >>> x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
        >>> ax = draw_pool_windows(x, 2, winners=[[6, 8], [3, 4]])
        >>> [t.get_text() for t in ax.texts][:4], len(ax.patches)
        (['1', '1', '2', '4'], 8)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    arr = _matrix(x, "x")
    k = to_pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else to_pair(stride, "stride", minimum=1)
    rows_at, cols_at, out = _window_starts(arr.shape, k, s)
    colours = window_colors(out)
    win = None
    if winners is not None:
        win = _matrix(winners, "winners")
        if win.shape != tuple(out):
            raise ValueError(f"winners must have the pooled shape {tuple(out)}; got shape {win.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * arr.shape[1] + 0.4, 0.5 * arr.shape[0] + 0.4))
    _grid(ax, *arr.shape)
    overlap = s[0] < k[0] or s[1] < k[1]
    for u, top in enumerate(rows_at):
        for v, left in enumerate(cols_at):
            colour = colours[u, v]
            if overlap:
                inset = 0.06 + 0.1 * ((u + v) % 3)
                rect = Rectangle(
                    (left - 0.5 + inset, top - 0.5 + inset),
                    k[1] - 2 * inset,
                    k[0] - 2 * inset,
                    fill=False,
                    edgecolor=colour,
                    linewidth=2,
                )
            else:
                rect = Rectangle(
                    (left - 0.5, top - 0.5), k[1], k[0], facecolor=(*colour[:3], 0.35), edgecolor=colour, linewidth=2
                )
            ax.add_patch(rect)
    for r in range(arr.shape[0]):
        for c in range(arr.shape[1]):
            ax.text(c, r, format_value(arr[r, c], fmt), ha="center", va="center", fontsize=fontsize)
    if win is not None:
        for u, top in enumerate(rows_at):
            for v, left in enumerate(cols_at):
                block = arr[top : top + k[0], left : left + k[1]]
                for r, c in zip(*np.nonzero(block == win[u, v])):
                    ax.add_patch(
                        Rectangle(
                            (left + c - 0.45, top + r - 0.45), 0.9, 0.9, fill=False, edgecolor="black", linewidth=2.5
                        )
                    )
    return ax


def draw_pooled(y: Any, ax: Any = None, fmt: Fmt = None, fontsize: float = 11) -> Any:
    """Draw a pooled matrix, each cell in the colour of the window it summarises.

    Args:
        y: matrix of shape (H_out, W_out).
        ax: the Axes to draw on; a new figure if None.
        fmt: how to write a value.
        fontsize: size of the values.

    Returns:
        The Axes; values in ``ax.texts`` (row-major), one ``Rectangle`` per cell in ``ax.patches``.

    Example:
        >>> ax = draw_pooled([[4.25, 3.75], [3.5, 1.75]])
        >>> [t.get_text() for t in ax.texts]
        ['4.25', '3.75', '3.5', '1.75']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    arr = _matrix(y, "y")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * arr.shape[1] + 0.4, 0.5 * arr.shape[0] + 0.4))
    _grid(ax, *arr.shape)
    colours = window_colors(arr.shape)
    for u in range(arr.shape[0]):
        for v in range(arr.shape[1]):
            ax.add_patch(
                Rectangle(
                    (v - 0.5, u - 0.5), 1, 1, facecolor=(*colours[u, v][:3], 0.35), edgecolor=colours[u, v], linewidth=2
                )
            )
            ax.text(v, u, format_value(arr[u, v], fmt), ha="center", va="center", fontsize=fontsize)
    return ax


def plot_pooling(
    x: Any,
    y: Any,
    kernel_size: Any,
    stride: Any = None,
    mode: str = "max",
    fmt: Fmt = None,
    titles: tuple[str, str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Input with coloured windows beside the pooled output: one figure, two panels.

    Args:
        x: input matrix (H, W).
        y: the pooled matrix (H_out, W_out), computed beforehand (e.g. with
            :func:`cnnkit.ops.max_pool2d`).
        kernel_size: window size, int or pair.
        stride: int or pair; defaults to ``kernel_size``.
        mode: ``'max'`` outlines the winning cells; ``'avg'`` does not.
        fmt: how to write the values.
        titles: the two panel titles; by default they name the window and the stride.
        figsize: figure size in inches.

    Returns:
        The ``Figure``; ``fig.axes`` are the input and output panels.

    Example:
        >>> x = np.array([[0, 10, 9, 3], [4, 3, 2, 1], [10, 2, 10, 3], [3, -1, -3, -3]])
        >>> fig = plot_pooling(x, [[4.25, 3.75], [3.5, 1.75]], 2, mode='avg')
        >>> len(fig.axes), fig.axes[1].texts[0].get_text()
        (2, '4.25')
    """
    import matplotlib.pyplot as plt

    check_choice(mode, POOL_MODES, "mode", caller="plot_pooling")
    arr, out = _matrix(x, "x"), _matrix(y, "y")
    k = to_pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else to_pair(stride, "stride", minimum=1)
    if titles is None:
        name = "max" if mode == "max" else "average"
        titles = (f"input, {k[0]}x{k[1]} windows, stride {s[0]}", f"{name} pooled")
    if figsize is None:
        figsize = (0.5 * (arr.shape[1] + out.shape[1]) + 2.0, 0.5 * max(arr.shape[0], out.shape[0]) + 0.8)
    fig, (a0, a1) = plt.subplots(
        1, 2, figsize=figsize, gridspec_kw={"width_ratios": [arr.shape[1], max(out.shape[1], 1)]}
    )
    draw_pool_windows(arr, k, s, ax=a0, winners=out if mode == "max" else None, fmt=fmt)
    draw_pooled(out, ax=a1, fmt=fmt)
    a0.set_title(titles[0], fontsize=10)
    a1.set_title(titles[1], fontsize=10)
    return fig
