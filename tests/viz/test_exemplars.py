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
    LayerGeometry,
    conv_layer_specs,
    direction_maps,
    exemplar_patches,
    exemplars_from_maps,
    layer_geometry,
    layer_maps,
    photograph_crops,
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
        assert np.all((top >= 0) & (top < bottom) & (bottom <= 28))
        assert np.all((left >= 0) & (left < right) & (right <= 28))
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
    for row in range(len(ex.channels)):
        for col, patch in enumerate(patches[row]):
            t, l, b, r = ex.boxes[row, col]
            np.testing.assert_array_equal(patch, digits[ex.indices[row, col]][:, t:b, l:r])
    torch_patches = exemplar_patches(ex, torch.from_numpy(digits))
    np.testing.assert_array_equal(torch_patches[0][0], patches[0][0])


def test_top_activating_checks_its_arguments(model, digits):
    with pytest.raises(ValueError, match="k must be an int between 1 and the number of images \\(300\\); got 301"):
        top_activating(model, digits, "block1_conv1", [0], k=301)
    with pytest.raises(
        ValueError,
        match=r"channels \[16\] are out of range for layer 'block1_conv1', which has 16 channels \(valid: 0 … 15\)",
    ):
        top_activating(model, digits, "block1_conv1", [0, 16])
    with pytest.raises(ValueError, match="channels must list at least one channel"):
        top_activating(model, digits, "block1_conv1", [])
    with pytest.raises(KeyError, match="no layer 'block4_conv1'"):
        top_activating(model, digits, "block4_conv1", [0])


# ---------------------------------------------------------------------------------------------
# TensorFlow 'same' padding (EfficientNet): the offset depends on the input size
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linear_lite():
    """EfficientNet-Lite0 (random weights) without its ReLU6s: every pixel of a unit's receptive
    field then has a non-zero gradient, so the field can be measured exactly."""
    from cnnkit.models.efficientnet import ConvBNReLU6, efficientnet_lite0

    net = efficientnet_lite0(None, seed=0)
    for module in net.modules():
        if isinstance(module, ConvBNReLU6):
            module.relu6 = nn.Identity()
    return net.double().eval()


@pytest.mark.parametrize("size", [64, 57])
@pytest.mark.parametrize("layer", ["stem", "block1a", "block2a_dwconv", "block2b", "block3a", "block4a"])
def test_tf_same_receptive_box_is_where_the_gradient_is(linear_lite, layer, size):
    geometry = layer_geometry(linear_lite, layer, input_size=size)
    x = torch.randn(1, 3, size, size, dtype=torch.float64, requires_grad=True)
    out = {}
    handle = linear_lite.layer(layer).register_forward_hook(lambda m, i, o: out.setdefault("y", o))
    try:
        linear_lite.features(x)
    finally:
        handle.remove()
    y = out["y"]
    for i, j in [(0, 0), (y.shape[2] // 2, y.shape[3] - 1), (y.shape[2] - 1, 1)]:
        x.grad = None
        y[0, 0, i, j].backward(retain_graph=True)
        rows, cols = np.nonzero(x.grad[0].abs().sum(0).numpy() > 0)
        seen = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
        assert receptive_box((i, j), geometry, (size, size)) == tuple(int(v) for v in seen)


def test_tf_same_padding_puts_the_odd_row_after_the_image(linear_lite):
    # 3x3, stride 2: no padding before on an even input, one row on an odd one
    even, odd = layer_geometry(linear_lite, "stem", 64), layer_geometry(linear_lite, "stem", 57)
    assert even == LayerGeometry((3, 3), (2, 2), (0, 0))
    assert odd == LayerGeometry((3, 3), (2, 2), (-1, -1))
    # columns, 57 wide: the stem, block1a and block2a each pad one before (-1 - 2 - 2), block2b pads 1 x jump 4
    assert layer_geometry(linear_lite, "block2b", (64, 57)).offset == (-6, -9)
    with pytest.raises(
        ValueError, match="pad as TensorFlow's 'same', whose padding depends on the input size; pass input_size"
    ):
        layer_geometry(linear_lite, "block2b")


# ---------------------------------------------------------------------------------------------
# Maps computed once, directions, crops of photographs
# ---------------------------------------------------------------------------------------------


def test_layer_maps_are_the_activations_in_batches(model, digits):
    maps = layer_maps(model, digits[:50], ["block2_conv1", "block3_conv2", "gap"], batch_size=16)
    whole = model.activations(digits[:50], ["block2_conv1", "block3_conv2", "gap"])
    for name in whole:
        assert maps[name].dtype == np.float32
        np.testing.assert_allclose(maps[name], whole[name], rtol=1e-5, atol=1e-6)
    doubled = layer_maps(model, torch.from_numpy(digits[:10]) / 2, "block1_conv1", preprocess=lambda x: 2 * x)
    expected = model.activations(digits[:10], "block1_conv1")["block1_conv1"]
    np.testing.assert_allclose(doubled["block1_conv1"], expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batch_size must be a positive int; got 0"):
        layer_maps(model, digits[:2], "gap", batch_size=0)


def test_exemplars_from_maps_equals_top_activating(model, digits):
    ex = top_activating(model, digits, "block2_conv2", [0, 3, 31], k=7, batch_size=64)
    maps = layer_maps(model, digits, "block2_conv2")["block2_conv2"]
    again = exemplars_from_maps(maps, "block2_conv2", [0, 3, 31], layer_geometry(model, "block2_conv2"), (28, 28), k=7)
    np.testing.assert_array_equal(again.indices, ex.indices)
    np.testing.assert_array_equal(again.positions, ex.positions)
    np.testing.assert_array_equal(again.boxes, ex.boxes)
    np.testing.assert_allclose(again.values, ex.values, rtol=1e-6)
    with pytest.raises(ValueError, match=r"channels \[32\] are out of range for layer 'block2_conv2', which has 32"):
        exemplars_from_maps(maps, "block2_conv2", [32], ex.geometry, (28, 28))
    with pytest.raises(ValueError, match="maps must have shape \\(N, C, H, W\\)"):
        exemplars_from_maps(maps[0], "block2_conv2", [0], ex.geometry, (28, 28))


def test_top_activating_applies_preprocess_to_each_batch(model, digits):
    plain = top_activating(model, digits, "block2_conv1", [1, 2], k=5)
    halved = top_activating(model, digits / 2, "block2_conv1", [1, 2], k=5, batch_size=70, preprocess=lambda x: 2 * x)
    np.testing.assert_array_equal(halved.indices, plain.indices)
    np.testing.assert_array_equal(halved.boxes, plain.boxes)


def test_direction_maps_project_on_each_direction():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(4, 5, 3, 2))
    np.testing.assert_allclose(direction_maps(maps, np.eye(5)), maps)
    v = rng.normal(size=(2, 5))
    expected = np.stack([(v[d][None, :, None, None] * maps).sum(1) for d in range(2)], axis=1)
    np.testing.assert_allclose(direction_maps(maps, v), expected)
    with pytest.raises(ValueError, match="directions \\(D, C\\) with the same C"):
        direction_maps(maps, np.ones((2, 4)))


def test_photograph_crops_tile_each_scale():
    rng = np.random.default_rng(0)
    colour = rng.random((48, 72, 3))
    grey = np.tile(np.linspace(0, 1, 32), (32, 1))
    crops = photograph_crops([colour, grey], size=8, scales=(1.0, 0.5, 0.25), step=0.5)
    counts = {
        (int(n), float(s)): int(((crops.source == n) & (crops.scale == s)).sum())
        for n in (0, 1)
        for s in (1.0, 0.5, 0.25)
    }
    # colour 48x72: at scale 1 resized to 8x12 (1 x 2 crops four pixels apart), 0.5 -> 16x24 (3 x 5), 0.25 -> 32x48 (7 x 11)
    assert counts == {(0, 1.0): 2, (0, 0.5): 15, (0, 0.25): 77, (1, 1.0): 1, (1, 0.5): 9, (1, 0.25): 49}
    assert crops.images.shape == (len(crops.source), 3, 8, 8) and crops.images.dtype == np.float32
    assert crops.images.min() >= 0 and crops.images.max() <= 1
    grey_crops = crops.images[crops.source == 1]
    np.testing.assert_array_equal(grey_crops[:, 0], grey_crops[:, 1])
    # each box lies in its photograph and has the side scale * shorter side
    for n, s, (t, l, b, r) in zip(crops.source, crops.scale, crops.boxes):
        h, w = (colour if n == 0 else grey).shape[:2]
        assert 0 <= t < b <= h and 0 <= l < r <= w
        assert b - t == r - l == round(s * min(h, w))
    # at scale 1/4 the grey ramp is resized 1:1 and a crop is the photograph's pixels themselves
    first = np.flatnonzero((crops.source == 1) & (crops.scale == 0.25))[0]
    t, l, b, r = crops.boxes[first]
    np.testing.assert_allclose(grey_crops[-49][0], grey[t:b, l:r], atol=1e-6)
    with pytest.raises(ValueError, match="scales must be fractions in \\(0, 1\\]"):
        photograph_crops([grey], scales=(2.0,))
    with pytest.raises(ValueError, match="each photograph must be \\(H, W\\) grey or \\(H, W, 3\\) RGB"):
        photograph_crops([np.zeros((4, 4, 2))])
