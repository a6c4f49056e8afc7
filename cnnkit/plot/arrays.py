"""Draw small arrays with their values, grids of images, and kernels.

The lecture explains convolution on matrices small enough to read: a 5x5 input, a 3x3 kernel,
a 3x3 output. :func:`show_array` draws such a matrix as coloured cells with each value written
in its cell, :func:`show_kernel` does the same with a diverging colour map centred on zero (so
that positive weights are red, negative ones blue and zero white), and :func:`show_images`
lays out several photographs or feature maps side by side in one figure.

Every helper takes ``ax=None`` (or makes its own figure), draws, and returns what it drew; none
calls ``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["show_array", "show_kernel", "show_images", "format_value", "text_color"]

Fmt = str | Callable[[Any], str] | None


def format_value(value: Any, fmt: Fmt = None) -> str:
    """Write one array value as it appears in a cell.

    Args:
        value: a number.
        fmt: ``None`` (integers and integral floats without a decimal point, other floats
            with up to three significant digits), a format string such as ``"{:.2f}"``, or a
            callable returning a string.

    Returns:
        The text. A minus sign is written as the ASCII hyphen, so that tests can parse it.

    Example:
        >>> [format_value(v) for v in (3, -4.0, 0.125, 1 / 3, np.int64(7))]
        ['3', '-4', '0.125', '0.333', '7']
        >>> format_value(0.5, "{:.2f}"), format_value(2, lambda v: f"<{v}>")
        ('0.50', '<2>')
    """
    if callable(fmt):
        return str(fmt(value))
    if fmt is not None:
        if not isinstance(fmt, str):
            raise TypeError(f"fmt must be None, a format string such as '{{:.2f}}' or a callable; got {fmt!r}")
        return fmt.format(value)
    v = value.item() if isinstance(value, np.generic) else value
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    v = float(v)
    if math.isfinite(v) and v == round(v) and abs(v) < 1e15:
        return str(round(v))
    return f"{v:.3g}"


def text_color(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``.

    Uses the relative luminance 0.2126 R + 0.7152 G + 0.0722 B.

    Example:
        >>> text_color((1.0, 1.0, 1.0, 1.0)), text_color((0.0, 0.0, 0.3, 1.0))
        ('black', 'white')
    """
    r, g, b = rgba[:3]
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "white"


def _as_matrix(a: Any, name: str = "a") -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows, columns); got shape {tuple(arr.shape)}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {tuple(arr.shape)}")
    return arr


def _highlight_mask(highlight: Any, shape: tuple[int, int]) -> np.ndarray:
    """A boolean mask from a mask of ``shape`` or a list of (row, column) cells."""
    if highlight is None:
        return np.zeros(shape, dtype=bool)
    arr = np.asarray(highlight)
    if arr.dtype == bool:
        if arr.shape != shape:
            raise ValueError(f"highlight mask must have the array's shape {shape}; got shape {tuple(arr.shape)}")
        return arr
    cells = arr.reshape(-1, 2) if arr.size else np.zeros((0, 2), dtype=int)
    if arr.size and (arr.ndim not in (1, 2) or arr.shape[-1] != 2 or arr.dtype.kind not in "iu"):
        raise ValueError(
            f"highlight must be a boolean mask of shape {shape} or a list of (row, column) pairs; got {highlight!r}"
        )
    mask = np.zeros(shape, dtype=bool)
    for r, c in cells:
        if not (0 <= r < shape[0] and 0 <= c < shape[1]):
            raise ValueError(f"highlight cell ({r}, {c}) is outside the array of shape {shape}")
        mask[r, c] = True
    return mask


def show_array(
    a: Any,
    ax: Any = None,
    annotate: bool = True,
    cmap: str | None = None,
    fmt: Fmt = None,
    highlight: Any = None,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    fontsize: float | None = None,
    highlight_color: str = "tab:orange",
    title: str | None = None,
    grid: bool = True,
):
    """Draw a small matrix as coloured cells with each value written in its cell.

    Args:
        a: array of shape (rows, columns), numeric.
        ax: the Axes to draw on; a new figure if None.
        annotate: write the values in the cells.
        cmap: colour map. ``None`` picks ``'RdBu_r'`` with limits symmetric about zero when
            the array has negative values (zero is white), else ``'gray'`` (0 black).
        fmt: how to write a value: ``None`` (see :func:`format_value`), a format string such
            as ``"{:.2f}"``, or a callable.
        highlight: cells to outline, a boolean mask of shape (rows, columns) or a list of
            (row, column) pairs.
        vmin, vmax: colour limits; default the data range (symmetric for signed data).
        fontsize: size of the values; by default chosen from the size of a cell.
        highlight_color: colour of the outlines.
        title: the Axes title.
        grid: draw thin lines between cells.

    Returns:
        The ``AxesImage``. The values are ``ax.texts`` in row-major order (one per cell when
        ``annotate``), the outlines are ``ax.patches``.

    Raises:
        ValueError: if ``a`` is not 2-D or ``highlight`` does not fit it.

    Example:
        >>> im = show_array([[0, 10], [4, -3]], highlight=[(0, 1)])
        >>> [t.get_text() for t in im.axes.texts], len(im.axes.patches), im.get_cmap().name
        (['0', '10', '4', '-3'], 1, 'RdBu_r')
        >>> im.get_clim()
        (-10.0, 10.0)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    arr = _as_matrix(a)
    rows, cols = arr.shape
    mask = _highlight_mask(highlight, (rows, cols))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(2.0, 0.45 * cols), max(2.0, 0.45 * rows)))
    data = arr.astype(float)
    finite = data[np.isfinite(data)]
    signed = finite.size > 0 and finite.min() < 0
    if cmap is None:
        cmap = "RdBu_r" if signed else "gray"
    if signed and vmin is None and vmax is None:
        m = float(np.abs(finite).max()) or 1.0
        vmin, vmax = -m, m
    im = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if grid:
        ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
        ax.grid(which="minor", color="0.6", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    if annotate:
        if fontsize is None:
            fontsize = _cell_fontsize(ax, rows, cols)
        for r in range(rows):
            for c in range(cols):
                colour = text_color(im.cmap(im.norm(data[r, c])))
                ax.text(c, r, format_value(arr[r, c], fmt), ha="center", va="center", color=colour, fontsize=fontsize)
    for r, c in zip(*np.nonzero(mask)):
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=highlight_color, linewidth=2.5))
    if title is not None:
        ax.set_title(title)
    return im


def _cell_fontsize(ax: Any, rows: int, cols: int, share: float = 0.32, lo: float = 4.0, hi: float = 12.0) -> float:
    """A font size (points) that fits in one cell of an ``rows`` x ``cols`` grid drawn on ``ax``."""
    fig = ax.figure
    pos = ax.get_position()
    width_pt = pos.width * fig.get_figwidth() * 72
    height_pt = pos.height * fig.get_figheight() * 72
    cell = min(width_pt / cols, height_pt / rows)  # imshow keeps the cells square
    return float(min(hi, max(lo, share * cell)))


def show_kernel(
    kernel: Any,
    ax: Any = None,
    annotate: bool = True,
    fmt: Fmt = None,
    cmap: str = "RdBu_r",
    vmax: float | None = None,
    colorbar: bool = False,
    title: str | None = None,
    fontsize: float | None = None,
):
    """Draw a kernel with a diverging colour map centred on zero.

    Positive weights are red, negative weights blue and zero white (with the default
    ``'RdBu_r'``); the colour limits are ``[-vmax, vmax]``, so the same colour means the same
    magnitude on both sides.

    Args:
        kernel: array of shape (kH, kW).
        ax: the Axes to draw on; a new figure if None.
        annotate: write the weights in the cells.
        fmt: how to write a weight (see :func:`format_value`).
        cmap: a diverging colour map.
        vmax: half the colour range; default the largest absolute weight.
        colorbar: add a colour bar next to the kernel.
        title: the Axes title.
        fontsize: size of the values.

    Returns:
        The ``AxesImage``.

    Example:
        >>> im = show_kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
        >>> im.get_clim(), im.axes.texts[4].get_text()
        ((-4.0, 4.0), '-4')
    """
    arr = _as_matrix(kernel, "kernel")
    if vmax is None:
        vmax = float(np.abs(arr).max()) or 1.0
    if not vmax > 0:
        raise ValueError(f"vmax must be positive; got {vmax!r}")
    im = show_array(
        arr, ax=ax, annotate=annotate, cmap=cmap, fmt=fmt, vmin=-vmax, vmax=vmax, title=title, fontsize=fontsize
    )
    if colorbar:
        im.axes.figure.colorbar(im, ax=im.axes, fraction=0.046, pad=0.04)
    return im


def show_images(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    cmap: str = "gray",
    *,
    vmin: float | None = None,
    vmax: float | None = None,
    symmetric: bool = False,
    panel_size: float = 2.2,
    dpi: float | None = None,
    suptitle: str | None = None,
    colorbar: bool = False,
):
    """Show several images side by side in one figure, without axes ticks.

    Grey images (H, W) use ``cmap``; colour images (H, W, 3) are shown as RGB (floats in
    [0, 1] or integers in 0..255).

    Args:
        images: a sequence of arrays (H, W) or (H, W, 3), or an array (N, H, W).
        titles: one title per image, or None.
        ncols: panels per row; default all in one row (at most 6 per row).
        cmap: colour map for grey images.
        vmin, vmax: colour limits for every grey image; default each image's own range.
        symmetric: use limits symmetric about zero for each grey image (for signed maps with
            a diverging ``cmap`` such as ``'RdBu_r'``); ignored when ``vmin``/``vmax`` are given.
        panel_size: width of one panel in inches.
        dpi: figure resolution; default matplotlib's.
        suptitle: a title above all panels.
        colorbar: add a colour bar to every grey panel.

    Returns:
        The ``Figure``; its first ``len(images)`` axes hold the images, spare panels are hidden.

    Raises:
        ValueError: for an empty list, an image that is neither (H, W) nor (H, W, 3), or a
            number of titles that does not match the number of images.

    Example:
        >>> fig = show_images([np.zeros((4, 4)), np.ones((4, 6, 3))], titles=["grey", "colour"])
        >>> [ax.get_title() for ax in fig.axes], fig.axes[1].images[0].get_array().shape
        (['grey', 'colour'], (4, 6, 3))
    """
    import matplotlib.pyplot as plt

    if isinstance(images, np.ndarray) and images.ndim in (3, 4) and not (images.ndim == 3 and images.shape[-1] == 3):
        images = list(images)
    if isinstance(images, np.ndarray):  # a single (H, W) or (H, W, 3) image
        images = [images]
    images = [np.asarray(im) for im in images]
    if not images:
        raise ValueError("images must contain at least one image; got an empty sequence")
    for n, im in enumerate(images):
        if not (im.ndim == 2 or (im.ndim == 3 and im.shape[-1] in (3, 4))):
            raise ValueError(f"images[{n}] must have shape (H, W) or (H, W, 3); got shape {tuple(im.shape)}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}); got {len(titles)}")
    if ncols is None:
        ncols = min(len(images), 6)
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int; got {ncols!r}")
    nrows = math.ceil(len(images) / ncols)
    aspect = float(np.mean([im.shape[0] / im.shape[1] for im in images]))
    extra = 0.35 if titles is not None else 0.1
    figsize = (panel_size * ncols, (panel_size * aspect + extra) * nrows + (0.3 if suptitle else 0))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, dpi=dpi, squeeze=False)
    for n, ax in enumerate(axes.flat):
        if n >= len(images):
            ax.set_visible(False)
            continue
        im = images[n]
        if im.ndim == 2:
            lo, hi = vmin, vmax
            if symmetric and lo is None and hi is None:
                m = float(np.nanmax(np.abs(im))) or 1.0
                lo, hi = -m, m
            art = ax.imshow(im, cmap=cmap, vmin=lo, vmax=hi)
            if colorbar:
                fig.colorbar(art, ax=ax, fraction=0.046, pad=0.04)
        else:
            ax.imshow(np.clip(im, 0, 1) if im.dtype.kind == "f" else im)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[n], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
