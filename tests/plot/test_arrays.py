"""Tests of cnnkit/plot/arrays.py: what the helpers drew (values in cells, limits, panels)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnnkit.plot.arrays import format_value, show_array, show_images, show_kernel, text_color


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_format_value_defaults():
    assert format_value(np.int64(-36)) == "-36"
    assert format_value(np.float32(2.0)) == "2"
    assert format_value(0.0625) == "0.0625"
    assert format_value(np.float64(1 / 16)) == "0.0625"
    assert format_value(2 / 3) == "0.667"
    assert format_value(True) == "1"
    assert format_value(3.14159, "{:.2f}") == "3.14"


def test_format_value_bad_fmt():
    with pytest.raises(TypeError, match="fmt must be None"):
        format_value(1, 3)


def test_text_color_contrast():
    assert text_color((0.0, 0.0, 0.0, 1.0)) == "white"
    assert text_color((1.0, 1.0, 0.9, 1.0)) == "black"


def test_show_array_writes_every_value_row_major():
    a = np.array([[0, 10, 9], [4, -3, 2]])
    im = show_array(a)
    assert texts(im.axes) == ["0", "10", "9", "4", "-3", "2"]
    assert [t.get_position() for t in im.axes.texts][:2] == [(0, 0), (1, 0)]
    np.testing.assert_array_equal(im.get_array(), a)


def test_show_array_signed_is_centred_on_zero():
    im = show_array([[1, -3], [2, 0]])
    assert im.get_cmap().name == "RdBu_r"
    assert im.get_clim() == (-3.0, 3.0)


def test_show_array_unsigned_uses_grey_and_data_range():
    im = show_array([[0, 90], [45, 90]])
    assert im.get_cmap().name == "gray"
    assert im.get_clim() == (0.0, 90.0)
    # text colour follows the cell: white on black 0, black on white 90
    assert [t.get_color() for t in im.axes.texts][:2] == ["white", "black"]


def test_show_array_format_and_no_annotation():
    im = show_array(np.full((2, 2), 1 / 3), fmt="{:.2f}")
    assert texts(im.axes) == ["0.33"] * 4
    _, ax = plt.subplots()
    show_array(np.ones((3, 3)), ax=ax, annotate=False)
    assert len(ax.texts) == 0


def test_show_array_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    im = show_array(np.eye(2), ax=ax, title="I")
    assert im.axes is ax and ax.get_title() == "I"
    assert len(fig.axes) == 1


def test_show_array_highlight_list_and_mask():
    im = show_array(np.zeros((3, 4)), highlight=[(0, 0), (2, 3)])
    xy = sorted(p.get_xy() for p in im.axes.patches)
    assert xy == [(-0.5, -0.5), (2.5, 1.5)]
    mask = np.zeros((3, 4), dtype=bool)
    mask[1] = True
    im = show_array(np.zeros((3, 4)), highlight=mask)
    assert len(im.axes.patches) == 4


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros(3), ValueError, r"2-D array .* got shape \(3,\)"),
        (np.zeros((2, 2, 2)), ValueError, r"got shape \(2, 2, 2\)"),
        (np.array([["a"]]), TypeError, "numeric"),
        (np.zeros((0, 3)), ValueError, "must not be empty"),
    ],
)
def test_show_array_rejects_bad_arrays(bad, error, match):
    with pytest.raises(error, match=match):
        show_array(bad)


def test_show_array_rejects_bad_highlight():
    with pytest.raises(ValueError, match=r"outside the array of shape \(2, 2\)"):
        show_array(np.zeros((2, 2)), highlight=[(2, 0)])
    with pytest.raises(ValueError, match=r"highlight mask must have the array's shape \(2, 2\)"):
        show_array(np.zeros((2, 2)), highlight=np.zeros((3, 3), dtype=bool))


def test_show_kernel_symmetric_limits_and_values():
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    im = show_kernel(k, colorbar=True)
    assert im.get_clim() == (-2.0, 2.0)
    assert im.get_cmap().name == "RdBu_r"
    assert texts(im.axes) == [str(v) for v in k.ravel()]
    assert len(im.axes.figure.axes) == 2  # the kernel and its colour bar
    # zero is drawn white
    assert np.allclose(im.cmap(im.norm(0.0))[:3], im.cmap(0.5)[:3])


def test_show_kernel_all_positive_still_centred():
    im = show_kernel(np.full((3, 3), 1 / 9), fmt="{:.3f}")
    assert im.get_clim() == pytest.approx((-1 / 9, 1 / 9))
    assert texts(im.axes)[0] == "0.111"


def test_show_kernel_rejects_bad_vmax():
    with pytest.raises(ValueError, match="vmax must be positive"):
        show_kernel(np.ones((2, 2)), vmax=-1)


def test_show_images_panels_titles_and_hidden_spares():
    imgs = [np.zeros((8, 8)), np.ones((8, 8, 3)), np.full((8, 8), 0.5)]
    fig = show_images(imgs, titles=["a", "b", "c"], ncols=2)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]
    assert not fig.axes[3].get_visible()
    assert fig.axes[1].images[0].get_array().shape == (8, 8, 3)
    assert fig.axes[0].images[0].get_cmap().name == "gray"


def test_show_images_stack_symmetric_limits():
    stack = np.stack([np.array([[-2.0, 1.0], [0.0, 0.5]]), np.array([[0.1, 0.2], [0.3, -0.4]])])
    fig = show_images(stack, cmap="RdBu_r", symmetric=True)
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(-2.0, 2.0), (-0.4, 0.4)]


def test_show_images_shared_limits():
    fig = show_images([np.zeros((3, 3)), np.ones((3, 3))], vmin=0, vmax=1)
    assert all(ax.images[0].get_clim() == (0.0, 1.0) for ax in fig.axes)


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        ([], {}, "at least one image"),
        ([np.zeros(5)], {}, r"images\[0\] must have shape \(H, W\) or \(H, W, 3\); got shape \(5,\)"),
        ([np.zeros((2, 2))], {"titles": ["a", "b"]}, r"one entry per image \(1\); got 2"),
        ([np.zeros((2, 2))], {"ncols": 0}, "ncols must be a positive int"),
    ],
)
def test_show_images_rejects_bad_input(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        show_images(images, **kwargs)
