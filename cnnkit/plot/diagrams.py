"""Grid diagrams of padding and stride: which cells a convolution reads, and which it never reads.

Each input pixel is a square cell. :func:`draw_padding` draws the input surrounded by its
padding (cells that do not exist in the image and are made up, marked ``'?'`` or ``0``) with one
kernel window outlined; :func:`draw_stride` marks the origins (top-left corners) of the windows a
strided convolution keeps, shades the pixels they cover and crosses out the pixels no window
ever reads. :func:`cnnkit.shapes.window_coverage` counts, for every input pixel, how many windows read it.

Every size comes from :mod:`cnnkit.shapes`: output sizes from
:func:`~cnnkit.shapes.conv_output_size` and the padded cells from
:func:`~cnnkit.shapes.padding_amounts`, the parser the operations use (``'valid'``, ``'same'``,
``'full'``, an int or a pair), so the diagrams cannot disagree with :func:`cnnkit.ops.conv2d`. The helpers take ``ax=None``, draw on it and return what they drew;
they never call ``plt.show()`` and never change rcParams.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from cnnkit._types import IntOrPair, Padding
from cnnkit.shapes import conv_output_size, padding_amounts, to_pair, window_coverage

__all__ = [
    "draw_padding",
    "PaddingDiagram",
    "draw_stride",
    "StrideDiagram",
    "same_scale",
]


# Colours of the cells (light, so that the text written on them stays readable).
INPUT_COLOUR = "#cfe3f3"  # an input pixel (read by some window)
PAD_COLOUR = "#e6e6e6"  # a padded, made-up pixel
LOST_COLOUR = "#f6c9c4"  # an input pixel that no window reads
OUTPUT_COLOUR = "#d9ead3"  # an output pixel
WINDOW_COLOUR = "#c0392b"  # outline of a kernel window
FIRST_WINDOW_COLOUR = "#e67e00"  # first window of a stride diagram (orange: lost pixels are red)
SECOND_WINDOW_COLOUR = "#1f5fa8"  # outline of the next window along the row
ORIGIN_COLOUR = "#1b1b1b"  # dot on the origin of a window


def _size_arg(value: Any) -> Any:
    """A list becomes a tuple (what conv_output_size expects); ints and strings stay as given."""
    return tuple(value) if isinstance(value, list) else value


def _fmt2(pair: tuple[int, int]) -> str:
    return f"{pair[0]}\u00d7{pair[1]}"


def _padding_label(padding: Padding) -> str:
    return f"padding={padding!r}"


def _geometry(
    i: IntOrPair, k: IntOrPair, stride: IntOrPair, padding: Padding, dilation: IntOrPair
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int], Any, tuple[int, int]]:
    """Checked sizes: input, kernel, stride, dilation, pads ((top, bottom), (left, right)), output."""
    ii = to_pair(i, "input size i", minimum=1)
    kk = to_pair(k, "kernel size k", minimum=1)
    ss = to_pair(stride, "stride", minimum=1)
    dd = to_pair(dilation, "dilation", minimum=1)
    pads = padding_amounts(padding, kk, s=ss, d=dd)
    # conv_output_size also raises the lecture's error when the kernel does not fit; call it
    # with the arguments as given, so that its messages echo them
    out = to_pair(
        conv_output_size(_size_arg(i), _size_arg(k), _size_arg(stride), _size_arg(padding), _size_arg(dilation)),
        "output",
    )
    return ii, kk, ss, dd, pads, out


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def _cell(
    ax: Any, row: int, col: int, color: str, text: str = "", hatch: str | None = None, fontsize: float = 9
) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((col, row), 1, 1, facecolor=color, edgecolor="#7f7f7f", linewidth=0.6, hatch=hatch))
    if text:
        ax.text(col + 0.5, row + 0.5, text, ha="center", va="center", fontsize=fontsize)


def _outline(ax: Any, row: int, col: int, height: int, width: int, color: str, style: str = "-") -> Any:
    from matplotlib.patches import Rectangle

    patch = Rectangle(
        (col, row), width, height, facecolor="none", edgecolor=color, linewidth=2.5, linestyle=style, zorder=3
    )
    ax.add_patch(patch)
    return patch


def _finish(ax: Any, left: float, right: float, top: float, bottom: float) -> None:
    ax.set_xlim(left - 0.2, right + 0.2)
    ax.set_ylim(bottom + 0.2, top - 0.2)  # row 0 at the top, as in an image
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _format_value(value: Any) -> str:
    value = float(value)
    return f"{value:g}" if abs(value) < 1e4 else f"{value:.1e}"


class PaddingDiagram(NamedTuple):
    """What :func:`draw_padding` drew.

    Attributes:
        ax: the axes.
        input_size: (H, W) of the input.
        pads: ``((top, bottom), (left, right))`` padded cells on each side.
        output_size: (H_out, W_out) from :func:`cnnkit.shapes.conv_output_size`.
        n_input: number of input cells drawn (H * W).
        n_padded: number of padded cells drawn (each marked with ``fill``).
        window_padded: how many cells of the outlined kernel window lie in the padding
            (0 when no window is drawn).
    """

    ax: Any
    input_size: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    output_size: tuple[int, int]
    n_input: int
    n_padded: int
    window_padded: int


def draw_padding(
    i: IntOrPair,
    kernel_size: IntOrPair,
    padding: Padding = 0,
    ax: Any = None,
    *,
    values: Any = None,
    fill: str = "?",
    window: tuple[int, int] | None = (0, 0),
    show_output: bool = True,
    title: str | None = None,
) -> PaddingDiagram:
    """Draw an input grid with its padding, one kernel window and the output grid.

    Input cells are light blue (with their values if ``values`` is given), padded cells
    grey and marked with ``fill`` (``'?'``: pixels that do not exist; ``'0'``: zero padding),
    the kernel window at output position ``window`` is outlined in red, and the output grid
    (green, its matching cell outlined too) is drawn to the right. The title gives the sizes.

    Args:
        i: input size, int or (H, W).
        kernel_size: int or (kH, kW).
        padding: int, pair, ``'valid'``, ``'same'`` (an even kernel gets the extra row and
            column on the bottom/right, as PyTorch) or ``'full'``.
        ax: matplotlib axes; the current axes if None.
        values: optional array of shape (H, W) written in the input cells.
        fill: text written in every padded cell.
        window: output position ``(u, v)`` whose kernel window is outlined, or None.
        show_output: also draw the output grid to the right.
        title: the axes title; by default the sizes, e.g. ``i=5, k=3, padding='same' → 5×5``.

    Returns:
        A :class:`PaddingDiagram` with the axes and what was drawn.

    Raises:
        ValueError: for a kernel larger than the padded input, an unknown padding string, a
            ``values`` array of the wrong shape, or a ``window`` outside the output.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> d = draw_padding(5, 3, 1, ax=ax)
        >>> d.output_size, d.n_padded, d.window_padded
        ((5, 5), 24, 5)
        >>> draw_padding(5, 4, 'same', ax=ax).pads
        ((1, 2), (1, 2))
        >>> plt.close(fig)
    """
    ii, kk, _, _, pads, out = _geometry(i, kernel_size, 1, padding, 1)
    (top, bottom), (left, right) = pads
    if values is not None:
        values = np.asarray(values)
        if values.shape != ii:
            raise ValueError(f"values must have the input's shape {ii}; got shape {tuple(values.shape)}")
    if window is not None:
        wu, wv = to_pair(window, "window")
        if not (0 <= wu < out[0] and 0 <= wv < out[1]):
            raise ValueError(
                f"window must be an output position (u, v) with 0 <= u < {out[0]} and 0 <= v < {out[1]}; got {window!r}"
            )
    ax = _axes(ax)
    ph, pw = ii[0] + top + bottom, ii[1] + left + right
    fontsize = 9 if max(ph, pw) <= 9 else 7
    n_input = n_padded = 0
    for r in range(ph):
        for c in range(pw):
            y, x = r - top, c - left  # input coordinates
            if 0 <= y < ii[0] and 0 <= x < ii[1]:
                text = "" if values is None else _format_value(values[y, x])
                _cell(ax, r, c, INPUT_COLOUR, text, fontsize=fontsize)
                n_input += 1
            else:
                _cell(ax, r, c, PAD_COLOUR, fill, fontsize=fontsize)
                n_padded += 1
    window_padded = 0
    right_edge = pw
    if window is not None:
        _outline(ax, wu, wv, kk[0], kk[1], WINDOW_COLOUR)
        rows = np.arange(wu, wu + kk[0]) - top
        cols = np.arange(wv, wv + kk[1]) - left
        inside = np.outer((rows >= 0) & (rows < ii[0]), (cols >= 0) & (cols < ii[1]))
        window_padded = int(inside.size - inside.sum())
    if show_output:
        gap = 1.5
        x0 = pw + gap
        # centre the output vertically on the padded input
        y0 = (ph - out[0]) / 2
        from matplotlib.patches import Rectangle

        for r in range(out[0]):
            for c in range(out[1]):
                ax.add_patch(
                    Rectangle((x0 + c, y0 + r), 1, 1, facecolor=OUTPUT_COLOUR, edgecolor="#7f7f7f", linewidth=0.6)
                )
        if window is not None:
            ax.add_patch(
                Rectangle((x0 + wv, y0 + wu), 1, 1, facecolor="none", edgecolor=WINDOW_COLOUR, linewidth=2.5, zorder=3)
            )
        ax.annotate(
            "", xy=(x0 - 0.2, ph / 2), xytext=(pw + 0.2, ph / 2), arrowprops={"arrowstyle": "->", "color": "#444444"}
        )
        right_edge = x0 + out[1]
        bottom_edge = max(ph, y0 + out[0])
        top_edge = min(0, y0)
    else:
        bottom_edge, top_edge = ph, 0
    if title is None:
        title = f"i={_fmt_size(i)}, k={_fmt_size(kernel_size)}, {_padding_label(padding)} \u2192 output {_fmt2(out)}"
    ax.set_title(title, fontsize=10)
    _finish(ax, 0, right_edge, top_edge, bottom_edge)
    return PaddingDiagram(ax, ii, pads, out, n_input, n_padded, window_padded)


def _fmt_size(value: IntOrPair) -> str:
    return _fmt2((value[0], value[1])) if isinstance(value, (tuple, list)) else str(value)


class StrideDiagram(NamedTuple):
    """What :func:`draw_stride` drew.

    Attributes:
        ax: the axes.
        output_size: (H_out, W_out) from :func:`cnnkit.shapes.conv_output_size`.
        origins: input coordinates ``(row, col)`` of the top-left corner of every window, one
            per output pixel, row by row (negative inside the top/left padding).
        coverage: :func:`cnnkit.shapes.window_coverage`, shape (H, W): how many windows read each pixel.
        n_uncovered: number of input pixels that no window reads (crossed out).
    """

    ax: Any
    output_size: tuple[int, int]
    origins: list[tuple[int, int]]
    coverage: np.ndarray
    n_uncovered: int


def draw_stride(
    i: IntOrPair,
    kernel_size: IntOrPair,
    stride: IntOrPair,
    padding: Padding = 0,
    ax: Any = None,
    *,
    show_windows: bool = True,
    title: str | None = None,
) -> StrideDiagram:
    """Draw which input pixels a strided convolution uses as window origins, covers and loses.

    The (padded) input grid is drawn with the padding grey, every input pixel read by at least
    one window light blue, and every pixel that no window reads red and crossed out (lost at
    the border). A black dot marks the origin (top-left corner) of each window, one per output
    pixel. With ``show_windows``, the first window is outlined in orange and the next one along
    the row in dashed blue, ``stride`` columns further.

    Args:
        i: input size, int or (H, W).
        kernel_size: int or (kH, kW).
        stride: step between windows, int or (sH, sW).
        padding: int, pair, ``'valid'`` or ``'full'`` (``'same'`` is refused with a stride,
            as in PyTorch).
        ax: matplotlib axes; the current axes if None.
        show_windows: outline the first two windows.
        title: the axes title; by default the sizes and the number of lost pixels.

    Returns:
        A :class:`StrideDiagram` with the axes, the output size, the window origins, the
        coverage counts and the number of pixels never read.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> d = draw_stride(7, 3, 3, ax=ax)
        >>> d.output_size, d.origins, d.n_uncovered
        ((2, 2), [(0, 0), (0, 3), (3, 0), (3, 3)], 13)
        >>> plt.close(fig)
    """
    ii, kk, ss, _dd, pads, out = _geometry(i, kernel_size, stride, padding, 1)
    (top, bottom), (left, right) = pads
    coverage = window_coverage(ii, kk, ss, padding)
    ax = _axes(ax)
    ph, pw = ii[0] + top + bottom, ii[1] + left + right
    for r in range(ph):
        for c in range(pw):
            y, x = r - top, c - left
            if not (0 <= y < ii[0] and 0 <= x < ii[1]):
                _cell(ax, r, c, PAD_COLOUR, "0")
            elif coverage[y, x] > 0:
                _cell(ax, r, c, INPUT_COLOUR)
            else:
                _cell(ax, r, c, LOST_COLOUR, "\u00d7")
    origins = [(u * ss[0] - top, v * ss[1] - left) for u in range(out[0]) for v in range(out[1])]
    ys = [y + top + 0.5 for y, _ in origins]
    xs = [x + left + 0.5 for _, x in origins]
    ax.scatter(xs, ys, s=18 if max(ph, pw) > 10 else 30, color=ORIGIN_COLOUR, zorder=4)
    if show_windows:
        _outline(ax, 0, 0, kk[0], kk[1], FIRST_WINDOW_COLOUR)
        if out[1] > 1:
            _outline(ax, 0, ss[1], kk[0], kk[1], SECOND_WINDOW_COLOUR, "--")
    n_uncovered = int((coverage == 0).sum())
    if title is None:
        title = (
            f"i={_fmt_size(i)}, k={_fmt_size(kernel_size)}, s={_fmt_size(stride)}"
            + ("" if padding in (0, "valid") else f", {_padding_label(padding)}")
            + f" \u2192 output {_fmt2(out)}\n{n_uncovered} input pixels never read"
        )
    ax.set_title(title, fontsize=10)
    _finish(ax, 0, pw, 0, ph)
    return StrideDiagram(ax, out, origins, coverage, n_uncovered)


def same_scale(axes: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """Give several diagram panels the same limits, so that a cell has the same size in each.

    Side by side, a 5x5 grid and a 9x9 grid would otherwise be scaled to the same width;
    with common limits the bigger grid looks bigger. Call it after drawing every panel.

    Args:
        axes: an iterable of axes (for example the array returned by ``plt.subplots``).

    Returns:
        The common ``(xlim, ylim)`` set on every axes (``ylim`` decreasing: row 0 on top).

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, axes = plt.subplots(1, 2)
        >>> _ = draw_padding(3, 3, 'valid', ax=axes[0], show_output=False)
        >>> _ = draw_padding(3, 3, 'full', ax=axes[1], show_output=False)
        >>> same_scale(axes)
        ((-0.2, 7.2), (7.2, -0.2))
        >>> plt.close(fig)
    """
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if not axes:
        raise ValueError("axes must hold at least one matplotlib Axes; got none")
    left = min(min(ax.get_xlim()) for ax in axes)
    right = max(max(ax.get_xlim()) for ax in axes)
    top = min(min(ax.get_ylim()) for ax in axes)
    bottom = max(max(ax.get_ylim()) for ax in axes)
    for ax in axes:
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
    return (float(left), float(right)), (float(bottom), float(top))
