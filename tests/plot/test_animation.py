"""Tests of cnnkit/plot/animation.py: frames, the values written in cells, the output, alt text."""

import gc
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation

from cnnkit.ops import conv2d, conv_transpose2d, upsample_zeros
from cnnkit.plot.animation import animate_conv2d, to_html
from cnnkit.plot.arrays import format_value
from cnnkit.shapes import conv_output_size

X = np.array([[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0], [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]])
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


@pytest.fixture(autouse=True)
def _close_figures():
    with warnings.catch_warnings():
        # an animation built only to inspect its artists is never rendered
        warnings.filterwarnings("ignore", message="Animation was deleted without rendering")
        yield
        plt.close("all")
        gc.collect()  # collect the unrendered animations while the warning is filtered


def grid_text(texts):
    return [[t.get_text() for t in row] for row in texts]


def reference(x, k, **kw):
    return conv2d(np.asarray(x)[None, None], np.asarray(k)[None, None], **kw)[0, 0]


def test_frame_count_matches_the_output_size():
    anim = animate_conv2d(X, LAPLACIAN)
    assert isinstance(anim, FuncAnimation)
    assert anim.n_frames == 9
    assert len(list(anim.new_frame_seq())) == 9
    anim = animate_conv2d(np.zeros((7, 6)), np.ones((3, 3)), stride=2, padding=1)
    ho, wo = conv_output_size((7, 6), 3, 2, 1)
    assert anim.n_frames == ho * wo == len(list(anim.new_frame_seq()))


def test_cells_show_products_under_the_kernel_and_values_elsewhere():
    anim = animate_conv2d(X, LAPLACIAN)
    for i, st in enumerate(anim.steps.steps):
        anim.show_frame(i)
        shown = grid_text(anim.input_texts)
        weights = grid_text(anim.weight_texts)
        under = np.zeros(X.shape, dtype=bool)
        under[np.ix_(st.rows, st.cols)] = True
        for r in range(5):
            for c in range(5):
                if under[r, c]:
                    a, b = r - st.rows[0], c - st.cols[0]
                    assert shown[r][c] == format_value(X[r, c] * LAPLACIAN[a, b])
                    assert weights[r][c] == "\u00d7" + format_value(LAPLACIAN[a, b])
                else:
                    assert shown[r][c] == format_value(X[r, c])
                    assert weights[r][c] == ""


def test_output_fills_in_row_by_row():
    anim = animate_conv2d(X, LAPLACIAN)
    expected = reference(X, LAPLACIAN)
    anim.show_frame(3)
    shown = grid_text(anim.output_texts)
    assert shown == [["6", "15", "9"], ["14", "", ""], ["", "", ""]]
    assert anim.sum_text.get_text() == "y[1,0] = 0 + 3 + 0 + 10 + (-8) + 10 + 0 + (-1) + 0 = 14"
    anim.show_frame(anim.n_frames - 1)
    last = np.array([[int(t) for t in row] for row in grid_text(anim.output_texts)])
    np.testing.assert_array_equal(last, expected)


def test_last_frame_equals_conv2d_with_stride_padding_dilation():
    rng = np.random.default_rng(1)
    x = rng.integers(-9, 10, size=(6, 6))
    k = rng.integers(-2, 3, size=(3, 3))
    for kw in (dict(stride=2, padding=1), dict(dilation=2, padding=1), dict(padding="same")):
        anim = animate_conv2d(x, k, **kw)
        anim.show_frame(anim.n_frames - 1)
        last = np.array([[int(t) for t in row] for row in grid_text(anim.output_texts)])
        np.testing.assert_array_equal(last, reference(x, k, **kw))
        plt.close(anim.fig)


def test_padding_cells_and_mask_for_a_transposed_convolution():
    # A transposed convolution with stride 2 = zeros inserted between the samples, padding
    # k - 1 - p, and a convolution with the flipped kernel (mode='convolution').
    x = np.array([[1, 2], [3, 4]])
    k = np.array([[1, 0, -1], [2, 1, 0], [0, 1, 1]])
    up = upsample_zeros(x[None, None], 2)[0, 0]
    inserted = np.ones(up.shape, dtype=bool)
    inserted[::2, ::2] = False
    anim = animate_conv2d(up, k, padding=2, mode="convolution", mask=inserted, title="transposed convolution")
    assert anim.fig._suptitle.get_text() == "transposed convolution"
    anim.show_frame(anim.n_frames - 1)
    last = np.array([[int(t) for t in row] for row in grid_text(anim.output_texts)])
    np.testing.assert_array_equal(last, conv_transpose2d(x[None, None], k[None, None], stride=2)[0, 0])
    colours = anim._base
    assert np.allclose(colours[0, 0], (0.85, 0.85, 0.85, 1.0))  # padding
    assert np.allclose(colours[3, 3], (0.99, 0.85, 0.68, 1.0))  # an inserted zero (row 1, col 1 of up)
    assert np.allclose(colours[2, 2], (1.0, 1.0, 1.0, 1.0))  # an input sample
    labels = [t.get_text() for t in anim.fig.legends[0].get_texts()]
    assert labels == ["under the kernel", "padding", "inserted zero"]


def test_kernel_panel_shows_the_flipped_kernel_for_true_convolution():
    anim = animate_conv2d(X, [[1, 2], [3, 4]], mode="convolution")
    ax_kernel = anim.fig.axes[1]
    assert [t.get_text() for t in ax_kernel.texts] == ["4", "3", "2", "1"]
    assert ax_kernel.get_title() == "kernel, flipped"


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.zeros(5), LAPLACIAN), {}, ValueError, r"x must have 2 dimensions \(H, W\); got shape \(5,\)"),
        ((X, np.ones((1, 3, 3))), {}, ValueError, r"kernel must have 2 dimensions"),
        ((X, np.ones((7, 7))), {}, ValueError, "larger than the padded input"),
        ((X, LAPLACIAN), {"stride": 0}, ValueError, "stride must be positive"),
        ((X, LAPLACIAN), {"padding": "smae"}, ValueError, "did you mean 'same'"),
        ((X, LAPLACIAN), {"mask": np.zeros((4, 4), dtype=bool)}, ValueError, r"mask must have the shape of x \(5, 5\)"),
        ((X, LAPLACIAN), {"mask": np.zeros((5, 5))}, TypeError, "mask must be a boolean array"),
        ((np.zeros((20, 20)), LAPLACIAN), {}, ValueError, "324 values, more than max_frames=64"),
    ],
)
def test_bad_input_raises(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        animate_conv2d(*args, **kwargs)


def test_show_frame_out_of_range():
    anim = animate_conv2d(X, LAPLACIAN)
    with pytest.raises(IndexError, match=r"frame must be in 0..8; got 9"):
        anim.show_frame(9)


def test_to_html_injects_alt_and_closes_the_figure():
    anim = animate_conv2d(np.eye(3, dtype=int), np.ones((2, 2), dtype=int))
    number = anim.fig.number
    page = to_html(anim, alt='a 2x2 kernel "slides" over <I>')
    html = page.data
    imgs = [tag for tag in html.split("<img")[1:]]
    assert imgs and all(tag.lstrip().startswith('alt="a 2x2 kernel &quot;slides&quot; over &lt;I&gt;"') for tag in imgs)
    assert html.count("data:image/png;base64") == 4  # one embedded frame per output value
    assert not plt.fignum_exists(number)


def test_to_html_keeps_existing_alt():
    from cnnkit.plot.animation import _IMG_WITHOUT_ALT

    assert (
        _IMG_WITHOUT_ALT.sub('<img alt="new"', '<img alt="old" src=x><img src=y>')
        == '<img alt="old" src=x><img alt="new" src=y>'
    )


def test_to_html_rejects_bad_arguments():
    anim = animate_conv2d(np.eye(3, dtype=int), np.ones((2, 2), dtype=int))
    with pytest.raises(ValueError, match="alt must be a non-empty description"):
        to_html(anim, alt="  ")
    with pytest.raises(TypeError, match="anim must be a matplotlib animation"):
        to_html(plt.figure(), alt="x")
