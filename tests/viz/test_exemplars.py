"""Tests of cnnkit/viz/exemplars.py: top-k inputs, receptive-field geometry, patches and the plot."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from cnnkit.data import mnist_split
from cnnkit.models.named import NamedLayersMixin
from cnnkit.models.small_vgg import small_vgg
from cnnkit.shapes import receptive_field
from cnnkit.viz.exemplars import (
    Exemplars,
    LayerGeometry,
    conv_layer_specs,
    exemplar_patches,
    layer_geometry,
    plot_exemplars,
    receptive_box,
    top_activating,
)

# The small VGG by hand: 3x3 convolutions (stride 1) and 2x2 max-pools (stride 2)
CONV, POOL = (3, 1), (2, 2)
SMALL_VGG_STACKS = {
    "block1_conv1": [CONV],
    "block1_conv2": [CONV] * 2,
    "block1_pool": [CONV] * 2 + [POOL],
    "block2_conv1": [CONV] * 2 + [POOL, CONV],
    "block2_conv2": [CONV] * 2 + [POOL] + [CONV] * 2,
    "block2_pool": [CONV] * 2 + [POOL] + [CONV] * 2 + [POOL],
    "block3_conv1": [CONV] * 2 + [POOL] + [CONV] * 2 + [POOL, CONV],
    "block3_conv2": [CONV] * 2 + [POOL] + [CONV] * 2 + [POOL] + [CONV] * 2,
}


@pytest.fixture(scope="module")
def model():
    return small_vgg()


@pytest.fixture(scope="module")
def digits():
    return mnist_split().x_test[:300]


@pytest.mark.parametrize("layer, stack", SMALL_VGG_STACKS.items())
def test_receptive_field_matches_shapes_receptive_field(model, layer, stack):
    geometry = layer_geometry(model, layer)
    rf = receptive_field(stack)
    assert geometry.size == (rf.size, rf.size)
    assert geometry.jump == (rf.jump, rf.jump)
    assert len(conv_layer_specs(model, layer)) == len(stack)


def test_small_vgg_geometry():
    model = small_vgg(None)
    assert layer_geometry(model, "block2_conv2") == LayerGeometry((14, 14), (2, 2), (-6, -6))
    assert layer_geometry(model, "block3_conv2") == LayerGeometry((32, 32), (4, 4), (-14, -14))


class _Linear(NamedLayersMixin, nn.Module):
    """A network with no non-linearity and average pooling: every input pixel in a unit's
    receptive field has a non-zero gradient, so the field can be measured."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(
            OrderedDict(
                a=nn.Conv2d(1, 2, 3, padding=1),
                b=nn.Conv2d(2, 2, 5, padding="same"),
                pool=nn.AvgPool2d(2),
                c=nn.Conv2d(2, 2, 3, padding=0),
                d=nn.Conv2d(2, 2, 3, padding=2, dilation=2),
                e=nn.Conv2d(2, 2, 3, stride=2, padding=1),
            )
        )

    def named_layers(self):
        return OrderedDict(self.body.named_children())

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize("layer", ["a", "b", "pool", "c", "d", "e"])
def test_receptive_box_is_where_the_gradient_is(layer):
    net = _Linear().double()
    geometry = layer_geometry(net, layer)
    x = torch.randn(1, 1, 40, 40, dtype=torch.float64, requires_grad=True)
    out = {}
    handle = net.layer(layer).register_forward_hook(lambda m, i, o: out.setdefault("y", o))
    net(x)
    handle.remove()
    y = out["y"]
    for i, j in [(0, 0), (y.shape[2] // 2, y.shape[3] - 1), (y.shape[2] - 1, 1)]:
        x.grad = None
        y[0, 0, i, j].backward(retain_graph=True)
        rows, cols = np.nonzero(x.grad[0, 0].abs().numpy() > 0)
        seen = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
        assert receptive_box((i, j), geometry, (40, 40)) == tuple(int(v) for v in seen)


def test_top_k_equals_a_brute_force_argsort(model, digits):
    channels = [0, 3, 7, 31]
    ex = top_activating(model, digits, "block2_conv2", channels, k=9, batch_size=64)
    act = model.activations(digits, "block2_conv2")["block2_conv2"]  # (N, 32, 14, 14)
    for row, c in enumerate(channels):
        maxima = act[:, c].reshape(len(act), -1).max(axis=1)
        expected = np.argsort(-maxima, kind="stable")[:9]
        np.testing.assert_array_equal(ex.indices[row], expected)
        np.testing.assert_allclose(ex.values[row], maxima[expected], rtol=1e-6)
        assert np.all(np.diff(ex.values[row]) <= 0)
        for n, (i, j) in zip(ex.indices[row], ex.positions[row]):
            assert act[n, c, i, j] == act[n, c].max()


def test_boxes_lie_in_the_image_and_have_the_field_size(model, digits):
    for layer in ("block1_conv2", "block2_conv1", "block3_conv2"):
        ex = top_activating(model, digits, layer, range(6), k=9)
        top, left, bottom, right = np.moveaxis(ex.boxes, -1, 0)
        assert np.all((0 <= top) & (top < bottom) & (bottom <= 28))
        assert np.all((0 <= left) & (left < right) & (right <= 28))
        size = ex.geometry.size
        assert np.all(bottom - top <= size[0]) and np.all(right - left <= size[1])
        for pos, box in zip(ex.positions.reshape(-1, 2), ex.boxes.reshape(-1, 4)):
            unclipped = receptive_box(pos, ex.geometry)
            assert (unclipped[2] - unclipped[0], unclipped[3] - unclipped[1]) == size
            assert tuple(box) == receptive_box(pos, ex.geometry, (28, 28))


def test_patches_are_the_boxes(model, digits):
    ex = top_activating(model, digits, "block2_conv1", [1, 2], k=4)
    patches = exemplar_patches(ex, digits)
    assert len(patches) == 2 and all(len(row) == 4 for row in patches)
    for row, c in enumerate(ex.channels):
        for col, patch in enumerate(patches[row]):
            t, l, b, r = ex.boxes[row, col]
            np.testing.assert_array_equal(patch, digits[ex.indices[row, col]][:, t:b, l:r])
    torch_patches = exemplar_patches(ex, torch.from_numpy(digits))
    np.testing.assert_array_equal(torch_patches[0][0], patches[0][0])


def test_top_activating_checks_its_arguments(model, digits):
    with pytest.raises(ValueError, match="k must be an int between 1 and the number of images \\(300\\); got 301"):
        top_activating(model, digits, "block1_conv1", [0], k=301)
    with pytest.raises(ValueError, match=r"channels \[16\] are out of range for layer 'block1_conv1', which has 16 channels \(valid: 0 … 15\)"):
        top_activating(model, digits, "block1_conv1", [0, 16])
    with pytest.raises(ValueError, match="channels must list at least one channel"):
        top_activating(model, digits, "block1_conv1", [])
    with pytest.raises(KeyError, match="no layer 'block4_conv1'"):
        top_activating(model, digits, "block4_conv1", [0])


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
