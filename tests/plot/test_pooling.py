"""Tests of cnnkit/plot/pooling.py: what the pooling figures draw."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from cnnkit.ops import max_pool2d
from cnnkit.plot.pooling import draw_pool_windows, draw_pooled, plot_pooling, window_colors

X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _rects(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_windows_cover_the_input_and_winners_are_outlined():
    y = max_pool2d(X[None, None], 2)[0, 0]
    ax = draw_pool_windows(X, 2, winners=y)
    assert [t.get_text() for t in ax.texts] == [str(v) for v in X.ravel()]
    rects = _rects(ax)
    windows, winners = rects[:4], rects[4:]
    assert [(r.get_xy(), r.get_width(), r.get_height()) for r in windows] == [
        ((-0.5, -0.5), 2, 2),
        ((1.5, -0.5), 2, 2),
        ((-0.5, 1.5), 2, 2),
        ((1.5, 1.5), 2, 2),
    ]
    # the winning cells are 6 at (1, 1), 8 at (1, 3), 3 at (2, 0) and 4 at (3, 3)
    centres = sorted((round(r.get_y() + 0.45), round(r.get_x() + 0.45)) for r in winners)
    assert centres == [(1, 1), (1, 3), (2, 0), (3, 3)]
    # each window has its own colour
    colours = {tuple(np.round(r.get_edgecolor(), 3)) for r in windows}
    assert len(colours) == 4


def test_ties_outline_every_winner():
    ax = draw_pool_windows(np.ones((2, 2)), 2, winners=[[1.0]])
    assert len(_rects(ax)) == 1 + 4


def test_overlapping_windows_are_outlines():
    x = np.arange(25).reshape(5, 5)
    ax = draw_pool_windows(x, 3, stride=2)
    rects = _rects(ax)
    assert len(rects) == 4  # pool_output_size(5, 3, 2) = 2 per axis
    assert all(not r.get_fill() for r in rects)


def test_draw_pooled_colours_match_the_windows():
    ax = draw_pooled([[4.25, 3.75], [3.5, 1.75]])
    assert [t.get_text() for t in ax.texts] == ["4.25", "3.75", "3.5", "1.75"]
    edge = np.array([r.get_edgecolor() for r in _rects(ax)])
    np.testing.assert_allclose(edge, window_colors((2, 2)).reshape(4, 4))


def test_plot_pooling_has_two_panels_with_default_titles():
    fig = plot_pooling(X, max_pool2d(X[None, None], 2)[0, 0], 2)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title() == "input, 2x2 windows, stride 2"
    assert fig.axes[1].get_title() == "max pooled"
    assert [t.get_text() for t in fig.axes[1].texts] == ["6", "8", "3", "4"]
    avg = plot_pooling(X, [[1.0]], 4, mode="avg", fmt="{:.1f}")
    assert avg.axes[1].get_title() == "average pooled"
    assert len(_rects(avg.axes[0])) == 1  # no winners drawn for average pooling


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"x must be a 2-D matrix .* got shape \(1, 1, 4, 4\)"):
        draw_pool_windows(X[None, None], 2)
    with pytest.raises(ValueError, match=r"winners must have the pooled shape \(2, 2\); got shape \(1, 1\)"):
        draw_pool_windows(X, 2, winners=[[1]])
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        draw_pool_windows(X, 0)
