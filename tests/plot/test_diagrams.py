"""Tests of cnnkit.plot.diagrams: what each diagram drew (cells, marks, titles) and its errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from cnnkit.plot.diagrams import draw_padding, draw_stride, same_scale
from cnnkit.shapes import (
    conv_output_size,
)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def texts(ax, value):
    return sum(t.get_text() == value for t in ax.texts)


# ------------------------------------------------------------------------------------------
# draw_padding
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "i, k, padding, pads, out",
    [
        (5, 3, "valid", ((0, 0), (0, 0)), (3, 3)),
        (5, 3, "same", ((1, 1), (1, 1)), (5, 5)),
        (5, 3, "full", ((2, 2), (2, 2)), (7, 7)),
        (5, 4, "same", ((1, 2), (1, 2)), (5, 5)),
        ((4, 6), (3, 1), (1, 0), ((1, 1), (0, 0)), (4, 6)),
    ],
)
def test_draw_padding_cells_and_sizes(ax, i, k, padding, pads, out):
    d = draw_padding(i, k, padding, ax=ax)
    ii = (i, i) if isinstance(i, int) else i
    (t, b), (l, r) = pads
    assert d.pads == pads
    expected = conv_output_size(i, k, p=padding)
    assert d.output_size == out == (expected if isinstance(expected, tuple) else (expected, expected))
    assert d.n_input == ii[0] * ii[1]
    assert d.n_padded == (ii[0] + t + b) * (ii[1] + l + r) - ii[0] * ii[1]
    # every padded cell is marked '?' and nothing else is
    assert texts(ax, "?") == d.n_padded
    assert len(ax.texts) == d.n_padded + 1  # and the arrow (an annotation) to the output grid
    assert f"output {out[0]}\u00d7{out[1]}" in ax.get_title()
    assert repr(padding) in ax.get_title()


def test_draw_padding_window_in_padding(ax):
    assert draw_padding(5, 3, 1, ax=ax).window_padded == 5  # corner: 3 + 2 cells outside
    assert draw_padding(5, 3, 1, ax=ax, window=(2, 2)).window_padded == 0
    assert draw_padding(5, 3, "full", ax=ax).window_padded == 8
    assert draw_padding(5, 4, "same", ax=ax, window=(4, 4)).window_padded == 12  # 4x4 window, 2x2 inside
    assert draw_padding(5, 3, 1, ax=ax, window=None).window_padded == 0


def test_draw_padding_values_and_fill(ax):
    x = np.arange(9).reshape(3, 3) - 4
    d = draw_padding(3, 3, "same", ax=ax, values=x, fill="0", show_output=False)
    written = [t.get_text() for t in ax.texts]
    assert written.count("0") == d.n_padded + 1  # the padding and the input's own zero
    assert sorted(int(t) for t in written if t != "0") == sorted(v for v in x.ravel().tolist() if v != 0)


def test_draw_padding_draws_output_grid(ax):
    n_with = len(draw_padding(5, 3, "valid", ax=ax).ax.patches)
    fig, ax2 = plt.subplots()
    n_without = len(draw_padding(5, 3, "valid", ax=ax2, show_output=False).ax.patches)
    plt.close(fig)
    # 9 output cells and the outline of the matching output cell
    assert n_with - n_without == 9 + 1


def test_draw_padding_uses_current_axes_and_custom_title():
    fig = plt.figure()
    d = draw_padding(3, 1, ax=None, title="hello")
    assert d.ax is plt.gca()
    assert d.ax.get_title() == "hello"
    plt.close(fig)


def test_draw_padding_errors(ax):
    with pytest.raises(ValueError, match=r"kernel 7 is larger than the padded input 5; use padding >= 1"):
        draw_padding(5, 7, "valid", ax=ax)
    with pytest.raises(ValueError, match="values must have the input's shape"):
        draw_padding(5, 3, ax=ax, values=np.zeros((4, 4)))
    with pytest.raises(ValueError, match="window must be an output position"):
        draw_padding(5, 3, "valid", ax=ax, window=(3, 0))
    with pytest.raises(ValueError, match="did you mean 'same'"):
        draw_padding(5, 3, "smae", ax=ax)


# ------------------------------------------------------------------------------------------
# draw_stride
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "i, k, s, out, lost",
    [(16, 3, 2, 7, 31), (16, 3, 3, 5, 31), (16, 3, 4, 4, 112), (7, 3, 1, 5, 0), (7, 3, 2, 3, 0), (7, 3, 3, 2, 13)],
)
def test_draw_stride_sizes_origins_and_lost_pixels(ax, i, k, s, out, lost):
    d = draw_stride(i, k, s, ax=ax)
    assert d.output_size == (out, out) == (conv_output_size(i, k, s),) * 2
    assert len(d.origins) == out * out
    assert d.origins[0] == (0, 0) and d.origins[1] == (0, s if out > 1 else 0)
    assert d.n_uncovered == lost
    # one dot per origin, one cross per lost pixel, numbers in the title
    assert len(ax.collections[0].get_offsets()) == out * out
    assert texts(ax, "\u00d7") == lost
    assert f"output {out}\u00d7{out}" in ax.get_title()
    assert f"{lost} input pixels never read" in ax.get_title()
    assert torch.nn.functional.conv2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s).shape[-1] == out


def test_draw_stride_with_padding(ax):
    d = draw_stride(5, 3, 2, padding=1, ax=ax)
    assert d.output_size == (3, 3)
    assert d.origins[:3] == [(-1, -1), (-1, 1), (-1, 3)]
    assert d.n_uncovered == 0
    assert texts(ax, "0") == 7 * 7 - 5 * 5  # the padded cells
    assert "padding=1" in ax.get_title()


def test_draw_stride_windows_outlined(ax):
    n = len(draw_stride(7, 3, 2, ax=ax).ax.patches)
    fig, ax2 = plt.subplots()
    m = len(draw_stride(7, 3, 2, ax=ax2, show_windows=False).ax.patches)
    plt.close(fig)
    assert n - m == 2


def test_draw_stride_window_colours_differ_from_lost_pixels(ax):
    from matplotlib.colors import to_hex

    from cnnkit.plot.diagrams import FIRST_WINDOW_COLOUR, LOST_COLOUR, SECOND_WINDOW_COLOUR

    d = draw_stride(7, 3, 3, ax=ax)  # stride 3 loses the last row and column
    assert d.n_uncovered > 0
    outlines = [p for p in d.ax.patches if p.get_facecolor()[3] == 0]  # unfilled rectangles
    assert [to_hex(p.get_edgecolor()) for p in outlines] == [FIRST_WINDOW_COLOUR, SECOND_WINDOW_COLOUR]
    fills = {to_hex(p.get_facecolor()) for p in d.ax.patches if p.get_facecolor()[3] > 0}
    assert to_hex(LOST_COLOUR) in fills
    assert FIRST_WINDOW_COLOUR not in fills and FIRST_WINDOW_COLOUR != LOST_COLOUR


def test_draw_stride_errors(ax):
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        draw_stride(5, 3, 2, padding="same", ax=ax)
    with pytest.raises(ValueError, match="stride must be positive"):
        draw_stride(5, 3, 0, ax=ax)
    with pytest.raises(TypeError, match="kernel size k must be an int or a pair"):
        draw_stride(5, 2.5, 1, ax=ax)


# ------------------------------------------------------------------------------------------
# same_scale
# ------------------------------------------------------------------------------------------


def test_same_scale_sets_common_limits():
    fig, axes = plt.subplots(1, 3)
    for ax, p in zip(axes, ["valid", "same", "full"]):
        draw_padding(5, 3, p, ax=ax)
    xlim, ylim = same_scale(axes)
    for ax in axes:
        assert ax.get_xlim() == xlim
        assert ax.get_ylim() == ylim
    assert ylim[0] > ylim[1]  # row 0 stays on top
    # the widest panel ('full': 9 padded columns, a gap and 7 output columns) fits
    assert xlim[1] >= 9 + 1.5 + 7
    plt.close(fig)


def test_same_scale_needs_axes():
    with pytest.raises(ValueError, match="at least one"):
        same_scale([])
