"""Animate a convolution: the kernel slides over the (padded) input and the output fills in.

Every number the animation shows comes from the actual computation: the padded input from
:func:`cnnkit.ops.pad2d`, the output from :func:`cnnkit.ops.conv2d`, the output size from
:func:`cnnkit.shapes.conv_output_size` (through ``conv2d``). :func:`cnnkit.ops.conv_steps.conv2d_steps` lists what
each frame shows (the window, the products, the output value) and :func:`animate_conv2d`
draws it; :func:`to_html` turns an animation into HTML for a notebook or the book, with alt
text on its images.

The same helper animates a transposed convolution written as a convolution of a
zero-inserted input (chapter 6): pass the upsampled input, the flipped kernel and the padding,
and a ``mask`` of the inserted zeros so that they are drawn differently.
"""

from __future__ import annotations

import html as _html
import re
from typing import Any

import numpy as np
from matplotlib.animation import FuncAnimation

from cnnkit.ops.conv_steps import ConvSteps, conv2d_steps
from cnnkit.plot.arrays import Fmt, format_value

__all__ = ["ConvAnimation", "animate_conv2d", "to_html"]


_WHITE = (1.0, 1.0, 1.0, 1.0)
_PAD = (0.85, 0.85, 0.85, 1.0)
_MASK = (0.99, 0.85, 0.68, 1.0)
_WINDOW = (0.62, 0.79, 0.88, 1.0)
_DONE = (0.93, 0.96, 0.98, 1.0)


class ConvAnimation(FuncAnimation):
    """The ``FuncAnimation`` returned by :func:`animate_conv2d`, with its parts exposed.

    Attributes:
        fig: the figure.
        steps: the :class:`ConvSteps` it shows (frame ``i`` shows ``steps.steps[i]``).
        input_texts: Text artists of the padded input, an object array of its shape; a cell
            under the kernel shows its product with the kernel weight, the others their value.
        weight_texts: small Text artists in the same cells, ``"×w"`` under the kernel, else empty.
        output_texts: Text artists of the output; cells not computed yet are empty.
        sum_text: the line under the panels that writes the current output as a sum of products.
        n_frames: the number of frames (one per output value).
    """

    def __init__(self, fig: Any, steps: ConvSteps, parts: dict, fmt: Fmt, interval: int, repeat: bool) -> None:
        self.fig = fig
        self.steps = steps
        self.fmt = fmt
        self.n_frames = len(steps.steps)
        self.input_texts = parts["input_texts"]
        self.weight_texts = parts["weight_texts"]
        self.output_texts = parts["output_texts"]
        self.sum_text = parts["sum_text"]
        self._input_image = parts["input_image"]
        self._output_image = parts["output_image"]
        self._base = parts["base"]
        self._footprint = parts["footprint"]
        self._cursor = parts["cursor"]
        super().__init__(fig, self.show_frame, frames=self.n_frames, interval=interval, repeat=repeat, blit=False)

    def show_frame(self, i: int) -> list:
        """Draw frame ``i``: the kernel at output position ``steps.steps[i].position``."""
        if not 0 <= i < self.n_frames:
            raise IndexError(f"frame must be in 0..{self.n_frames - 1}; got {i}")
        st = self.steps
        step = st.steps[i]
        colours = self._base.copy()
        colours[np.ix_(step.rows, step.cols)] = _WINDOW
        self._input_image.set_data(colours)
        ph, pw = st.padded.shape
        for r in range(ph):
            for c in range(pw):
                self.input_texts[r, c].set_text(format_value(st.padded[r, c], self.fmt))
                self.input_texts[r, c].set_fontweight("normal")
                self.weight_texts[r, c].set_text("")
        for a, r in enumerate(step.rows):
            for b, c in enumerate(step.cols):
                self.input_texts[r, c].set_text(format_value(step.products[a, b], self.fmt))
                self.input_texts[r, c].set_fontweight("bold")
                self.weight_texts[r, c].set_text("\u00d7" + format_value(st.kernel[a, b], self.fmt))
        top, left = step.rows[0], step.cols[0]
        self._footprint.set_xy((left - 0.5, top - 0.5))
        self._footprint.set_width(step.cols[-1] - left + 1)
        self._footprint.set_height(step.rows[-1] - top + 1)
        oh, ow = st.output.shape
        done = np.zeros((oh, ow, 4))
        done[:] = _WHITE
        for k, other in enumerate(st.steps):
            u, v = other.position
            if k < i:
                done[u, v] = _DONE
            if k <= i:
                self.output_texts[u, v].set_text(format_value(other.value, self.fmt))
            else:
                self.output_texts[u, v].set_text("")
        u, v = step.position
        done[u, v] = _WINDOW
        self._output_image.set_data(done)
        self._cursor.set_xy((v - 0.5, u - 0.5))
        terms = [format_value(p, self.fmt) for p in step.products.ravel()]
        expr = " + ".join(t if not t.startswith("-") else f"({t})" for t in terms)
        lhs = f"y[{u},{v}] = "
        if len(terms) <= 12:
            self.sum_text.set_text(lhs + expr + " = " + format_value(step.value, self.fmt))
        else:
            self.sum_text.set_text(lhs + f"sum of {len(terms)} products = " + format_value(step.value, self.fmt))
        return []


def _grid(ax: Any, rows: int, cols: int, title: str) -> None:
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(which="minor", color="0.55", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_title(title, fontsize=10)


def _layout(
    fig: Any, shapes: list, top: float = 0.62, bottom: float = 0.38, title: float = 0.25, gap: float = 0.4
) -> list:
    """Axes for grids of the given (rows, cols), side by side, with cells of one size (inches)."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    avail_w = width - 0.2 - gap * (len(shapes) - 1)
    avail_h = height - top - bottom - title
    cell = min(avail_w / sum(c for _, c in shapes), avail_h / max(r for r, _ in shapes))
    if cell <= 0:
        raise ValueError(f"figsize {(width, height)} is too small for the animation; use a larger figsize")
    total = sum(c for _, c in shapes) * cell + gap * (len(shapes) - 1)
    x = (width - total) / 2
    centre = bottom + avail_h / 2
    axes = []
    for rows, cols in shapes:
        w, h = cols * cell, rows * cell
        axes.append(fig.add_axes([x / width, (centre - h / 2) / height, w / width, h / height]))
        x += w + gap
    return axes


def animate_conv2d(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    *,
    mode: str = "correlation",
    padding_mode: str = "zeros",
    mask: Any = None,
    mask_label: str = "inserted zero",
    title: str | None = None,
    fmt: Fmt = None,
    figsize: tuple[float, float] = (7.0, 3.2),
    dpi: float = 60,
    interval: int = 1000,
    repeat: bool = True,
    max_frames: int = 64,
) -> ConvAnimation:
    """Animate a 2-D convolution: the kernel slides over the padded input, the output fills in.

    Three panels: the padded input (padding cells grey, ``mask`` cells orange, the cells under
    the kernel blue, each showing its product with the kernel weight, bold, and the weight
    ``×w`` small underneath), the kernel (red positive, blue negative, white zero) and the
    output, whose cells appear one per frame. A line under the panels writes the current output
    value as the sum of the products. Frame ``i`` computes output value ``i`` in row-major
    order, so there are ``H_out * W_out`` frames.

    All numbers come from :func:`cnnkit.ops.conv_steps.conv2d_steps`, that is from :func:`cnnkit.ops.conv2d`.

    Args:
        x: input of shape (H, W), small (the values are written in the cells).
        kernel: kernel of shape (kH, kW).
        stride, padding, dilation: as :func:`cnnkit.ops.conv2d` (int, pair, or for padding
            ``'valid'``, ``'same'``, ``'full'``).
        mode: ``'correlation'`` (deep learning's convolution) or ``'convolution'`` (the kernel
            is flipped before it slides; the kernel panel shows it flipped).
        padding_mode: as :func:`cnnkit.ops.conv2d`.
        mask: optional boolean array of the shape of ``x`` or of the padded input; its True
            cells are drawn in orange (for example the zeros inserted between the samples of a
            transposed convolution).
        mask_label: the legend entry for the masked cells.
        title: the figure title; by default the operation and its arguments.
        fmt: how values are written (see :func:`cnnkit.plot.arrays.format_value`).
        figsize, dpi: figure size in inches and resolution (small by default, to keep the
            notebook small).
        interval: milliseconds between frames.
        repeat: loop the animation.
        max_frames: refuse to make more frames than this (a large input makes a heavy page).

    Returns:
        A :class:`ConvAnimation`, a ``matplotlib.animation.FuncAnimation``; show it in a
        notebook with :func:`to_html`.

    Raises:
        ValueError: for a non-2-D ``x`` or ``kernel``, a ``mask`` of the wrong shape, more
            output values than ``max_frames``, or any argument :func:`cnnkit.ops.conv2d`
            refuses.

    Example:
        >>> x = np.array([[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0],
        ...               [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]])
        >>> anim = animate_conv2d(x, [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
        >>> anim.n_frames
        9
        >>> _ = anim.show_frame(8)
        >>> [[t.get_text() for t in row] for row in anim.output_texts]
        [['6', '15', '9'], ['14', '-36', '-4'], ['-4', '10', '7']]
        >>> anim.sum_text.get_text()
        'y[2,2] = 0 + 3 + 0 + (-3) + 12 + (-4) + 0 + (-1) + 0 = 7'
        >>> page = to_html(anim, alt="the Laplacian slides over a 5x5 input")  # renders, closes the figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from cnnkit.plot.arrays import _cell_fontsize, show_kernel

    st = conv2d_steps(x, kernel, stride, padding, dilation, mode, padding_mode)
    if not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"max_frames must be a positive int; got {max_frames!r}")
    if len(st.steps) > max_frames:
        raise ValueError(
            f"the output has {st.output.shape[0]} x {st.output.shape[1]} = {len(st.steps)} values, more than "
            f"max_frames={max_frames}; animate a smaller input or raise max_frames"
        )
    ph, pw = st.padded.shape
    (top, _bottom), (left, _right) = st.pads
    h, w = np.shape(x)
    is_pad = np.ones((ph, pw), dtype=bool)
    is_pad[top : top + h, left : left + w] = False
    masked = np.zeros((ph, pw), dtype=bool)
    if mask is not None:
        m = np.asarray(mask)
        if m.dtype != bool:
            raise TypeError(f"mask must be a boolean array; got dtype {m.dtype}")
        if m.shape == (h, w):
            masked[top : top + h, left : left + w] = m
        elif m.shape == (ph, pw):
            masked = m.copy()
        else:
            raise ValueError(
                f"mask must have the shape of x {(h, w)} or of the padded input {(ph, pw)}; got shape {tuple(m.shape)}"
            )
    base = np.zeros((ph, pw, 4))
    base[:] = _WHITE
    base[is_pad] = _PAD
    base[masked] = _MASK

    oh, ow = st.output.shape
    kh, kw = st.kernel.shape
    fig = plt.figure(figsize=figsize, dpi=dpi)
    ax_in, ax_k, ax_out = _layout(fig, [(ph, pw), (kh, kw), (oh, ow)])

    input_image = ax_in.imshow(base, interpolation="nearest")
    _grid(ax_in, ph, pw, "input, padded" if is_pad.any() else "input")
    size = _cell_fontsize(ax_in, ph, pw, share=0.36, lo=5, hi=13)
    small = max(4.0, 0.62 * size)
    input_texts = np.empty((ph, pw), dtype=object)
    weight_texts = np.empty((ph, pw), dtype=object)
    for r in range(ph):
        for c in range(pw):
            colour = "0.45" if is_pad[r, c] or masked[r, c] else "black"
            input_texts[r, c] = ax_in.text(c, r - 0.08, "", ha="center", va="center", fontsize=size, color=colour)
            weight_texts[r, c] = ax_in.text(c, r + 0.3, "", ha="center", va="center", fontsize=small, color="0.2")
    footprint = Rectangle((-0.5, -0.5), kw, kh, fill=False, edgecolor="tab:blue", linewidth=2.5)
    ax_in.add_patch(footprint)

    kernel_title = "kernel, flipped" if mode == "convolution" else "kernel"
    show_kernel(st.kernel, ax=ax_k, title=kernel_title, fontsize=_cell_fontsize(ax_k, kh, kw, share=0.36, lo=5, hi=13))
    ax_k.title.set_fontsize(10)

    output_image = ax_out.imshow(np.ones((oh, ow, 4)), interpolation="nearest")
    _grid(ax_out, oh, ow, "output")
    out_size = _cell_fontsize(ax_out, oh, ow, share=0.36, lo=5, hi=13)
    output_texts = np.empty((oh, ow), dtype=object)
    for u in range(oh):
        for v in range(ow):
            output_texts[u, v] = ax_out.text(v, u, "", ha="center", va="center", fontsize=out_size)
    cursor = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="tab:blue", linewidth=2.5)
    ax_out.add_patch(cursor)

    if title is None:
        name = "Convolution" if mode == "convolution" else "Cross-correlation"
        title = f"{name}: kernel {kh}x{kw}, stride {stride}, padding {padding!r}, dilation {dilation}"
    fig.suptitle(title, fontsize=11)
    sum_text = fig.text(0.5, 0.19 / figsize[1], "", ha="center", va="center", fontsize=10)
    handles = [Patch(facecolor=_WINDOW, edgecolor="0.5", label="under the kernel")]
    if is_pad.any():
        handles.append(Patch(facecolor=_PAD, edgecolor="0.5", label="padding"))
    if masked.any():
        handles.append(Patch(facecolor=_MASK, edgecolor="0.5", label=mask_label))
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.3 / figsize[1]),
        ncol=len(handles),
        fontsize=8,
        frameon=False,
    )

    parts = dict(
        input_texts=input_texts,
        weight_texts=weight_texts,
        output_texts=output_texts,
        sum_text=sum_text,
        input_image=input_image,
        output_image=output_image,
        base=base,
        footprint=footprint,
        cursor=cursor,
    )
    anim = ConvAnimation(fig, st, parts, fmt, interval, repeat)
    anim.show_frame(0)
    return anim


_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)", re.IGNORECASE)


def to_html(anim: FuncAnimation, alt: str, close: bool = True, **jshtml_kwargs: Any):
    """The animation as HTML with alt text, for a notebook cell or the book.

    Calls ``anim.to_jshtml()`` (a player of embedded PNG frames that works in Jupyter, Colab
    and static HTML), adds ``alt="..."`` to every ``<img>`` tag that has none, and closes the
    animation's figure so that the notebook does not show it a second time as a still image.

    Args:
        anim: a ``matplotlib.animation.FuncAnimation``.
        alt: a description of what the animation shows (required: every image in the book
            needs alt text).
        close: close the figure afterwards.
        **jshtml_kwargs: passed to ``to_jshtml`` (``fps``, ``default_mode``, ...).

    Returns:
        ``IPython.display.HTML``; its ``.data`` is the HTML string.

    Raises:
        TypeError: if ``anim`` is not an animation.
        ValueError: if ``alt`` is empty.

    Example:
        >>> anim = animate_conv2d(np.eye(3, dtype=int), np.ones((2, 2), dtype=int))
        >>> page = to_html(anim, alt="a 2x2 kernel slides over a 3x3 identity matrix")
        >>> 'alt="a 2x2 kernel slides over a 3x3 identity matrix"' in page.data
        True
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import Animation

    if not isinstance(anim, Animation):
        raise TypeError(
            f"anim must be a matplotlib animation (for example from animate_conv2d); got {type(anim).__name__}"
        )
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty description of the animation; got {alt!r}")
    page = anim.to_jshtml(**jshtml_kwargs)
    escaped = _html.escape(alt.strip(), quote=True)
    page = _IMG_WITHOUT_ALT.sub(f'<img alt="{escaped}"', page)
    if close:
        plt.close(getattr(anim, "_fig", None) or getattr(anim, "fig", None))
    return HTML(page)
