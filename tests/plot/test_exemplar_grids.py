"""cnnkit.plot.exemplar_grids: the exemplars drawn, with their receptive fields."""

import numpy as np
import pytest

from cnnkit.data import mnist_split
from cnnkit.models.small_vgg import small_vgg
from cnnkit.plot.exemplar_grids import plot_exemplars
from cnnkit.viz.exemplars import (
    Exemplars,
    LayerGeometry,
    top_activating,
)


@pytest.fixture(scope="module")
def model():
    return small_vgg()


@pytest.fixture(scope="module")
def digits():
    return mnist_split().x_test[:300]


def test_plot_exemplars_draws_images_rectangles_and_values(model, digits):
    ex = top_activating(model, digits, "block2_conv2", [0, 5], k=9)
    fig = plot_exemplars(ex, digits)
    assert len(fig.axes) == 18
    for ax, idx, box, value in zip(fig.axes, ex.indices.reshape(-1), ex.boxes.reshape(-1, 4), ex.values.reshape(-1)):
        np.testing.assert_array_equal(ax.images[0].get_array(), digits[idx, 0])
        (rect,) = ax.patches
        t, l, b, r = box
        assert rect.get_xy() == (l - 0.5, t - 0.5)
        assert (rect.get_width(), rect.get_height()) == (r - l, b - t)
        assert ax.get_title() == f"{value:.2f}"
    assert fig.axes[0].get_ylabel() == "block2_conv2:0" and fig.axes[9].get_ylabel() == "block2_conv2:5"

    crops = plot_exemplars(ex, digits, patches=True)
    for ax, box in zip(crops.axes, ex.boxes.reshape(-1, 4)):
        t, l, b, r = box
        assert ax.images[0].get_array().shape == (b - t, r - l)
        assert not ax.patches


def test_plot_exemplars_shows_colour_images():
    g = LayerGeometry((3, 3), (1, 1), (-1, -1))
    ex = Exemplars("l", [0], np.array([[1]]), np.array([[1.0]]), np.array([[[2, 2]]]), np.array([[[1, 1, 4, 4]]]), g)
    images = np.random.default_rng(0).random((2, 3, 5, 5))
    fig = plot_exemplars(ex, images, suptitle="colour")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), np.moveaxis(images[1], 0, -1))
    assert fig._suptitle.get_text() == "colour"


def test_plot_exemplars_draws_the_chosen_rows(model, digits):
    ex = top_activating(model, digits, "block3_conv2", range(5), k=3)
    fig = plot_exemplars(ex, digits, rows=[3, 1])
    assert len(fig.axes) == 6
    assert [fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()] == ["block3_conv2:3", "block3_conv2:1"]
    np.testing.assert_array_equal(fig.axes[3].images[0].get_array(), digits[ex.indices[1, 0], 0])
    with pytest.raises(ValueError, match="rows must be indices into the 5 channels; got \\[5\\]"):
        plot_exemplars(ex, digits, rows=[5])
