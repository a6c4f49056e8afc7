"""Tests of cnnkit.viz.cam: CAM, Grad-CAM, saliency, occlusion and the map utilities."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit.models.efficientnet import TFSameConv2d
from cnnkit.models.named import NamedLayersMixin
from cnnkit.ops import avg_pool2d
from cnnkit.ops.resizing import resize
from cnnkit.shapes import conv_output_size, receptive_field
from cnnkit.viz.cam import (
    ClassMaps,
    cam_for_model,
    cell_centres,
    class_activation_map,
    grad_cam,
    grad_cam_map,
    normalize_map,
    occlusion_map,
    pool_map,
    saliency_map,
    smooth_grad,
    upsample_map,
)
from cnnkit.viz.exemplars import LayerGeometry, layer_geometry
from cnnkit.viz.sanity import (
    map_correlation,
)


class GapNet(nn.Module):
    """A tiny network with a GAP head whose layer is given as a module, not a name."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.predictions = nn.Linear(4, 3)

    def forward(self, x):
        return self.predictions(self.relu(self.conv(x)).mean(dim=(2, 3)))


def linear_model(weight: torch.Tensor) -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(weight.shape[1], weight.shape[0], bias=False))
    with torch.no_grad():
        net[1].weight.copy_(weight)
    return net


# ------------------------------------------------------------------------------------------
# class_activation_map


def test_cam_by_hand_two_channels():
    f = np.array([[[1.0, 2.0], [0.0, 3.0]], [[4.0, 0.0], [1.0, 1.0]]])
    w = np.array([[0.5, -1.0], [2.0, 1.0], [0.0, 0.0]])
    # class 0: 0.5 * f0 - f1; class 1: 2 f0 + f1; class 2: zeros
    assert class_activation_map(f, w, 0).tolist() == [[-3.5, 1.0], [-1.0, 0.5]]
    assert class_activation_map(f, w, 1).tolist() == [[6.0, 4.0], [1.0, 7.0]]
    assert class_activation_map(f, w, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_cam_mean_plus_bias_is_the_logit():
    rng = np.random.default_rng(0)
    f = rng.uniform(size=(5, 6, 7, 7))
    linear = nn.Linear(6, 4)
    logits = linear(torch.from_numpy(f).float().mean(dim=(2, 3))).detach().numpy()
    w, b = linear.weight.detach().numpy(), linear.bias.detach().numpy()
    for c in range(4):
        cams = class_activation_map(f, w, np.full(5, c))
        np.testing.assert_allclose(cams.mean(axis=(1, 2)) + b[c], logits[:, c], rtol=1e-5, atol=1e-5)


def test_cam_batch_matches_single_maps():
    rng = np.random.default_rng(1)
    f, w = rng.normal(size=(4, 3, 5, 6)), rng.normal(size=(2, 3))
    classes = [0, 1, 1, 0]
    batch = class_activation_map(f, w, classes)
    assert batch.shape == (4, 5, 6) and batch.dtype == np.float64
    for n, c in enumerate(classes):
        np.testing.assert_allclose(batch[n], class_activation_map(f[n], w, c))
    np.testing.assert_allclose(class_activation_map(f, w, 1), class_activation_map(f, w, [1] * 4))


@pytest.mark.parametrize(
    "features, weights, class_idx, error, match",
    [
        (np.zeros((2, 2)), np.zeros((3, 2)), 0, ValueError, "features must have shape"),
        (np.zeros((2, 2, 2)), np.zeros(2), 0, ValueError, "weights must have shape"),
        (np.zeros((2, 2, 2)), np.zeros((3, 5)), 0, ValueError, "K=2"),
        (np.zeros((2, 2, 2)), np.zeros((3, 2)), 3, ValueError, r"0\.\.2"),
        (np.zeros((2, 2, 2)), np.zeros((3, 2)), -1, ValueError, r"0\.\.2"),
        (np.zeros((2, 2, 2)), np.zeros((3, 2)), 1.5, TypeError, "class_idx must be an int"),
        (np.zeros((2, 2, 2)), np.zeros((3, 2)), [0, 1], ValueError, "one int for a single image"),
        (np.zeros((4, 2, 2, 2)), np.zeros((3, 2)), [0, 1], ValueError, r"one class per image \(4\)"),
        (np.array([["a"]]), np.zeros((3, 2)), 0, TypeError, "features must be a numeric"),
    ],
)
def test_cam_bad_inputs(features, weights, class_idx, error, match):
    with pytest.raises(error, match=match):
        class_activation_map(features, weights, class_idx)


# ------------------------------------------------------------------------------------------
# cam_for_model


def test_cam_for_model_shapes_and_logits(model, digits):
    out = cam_for_model(model, digits)
    assert isinstance(out, ClassMaps)
    assert out.maps.shape == (3, 7, 7) and out.logits.shape == (3, 10)
    np.testing.assert_array_equal(out.class_idx, out.logits.argmax(axis=1))
    with torch.no_grad():
        np.testing.assert_allclose(out.logits, model(digits).numpy(), atol=1e-6)
    bias = model.predictions.bias.detach().numpy()
    picked = out.logits[np.arange(3), out.class_idx]
    np.testing.assert_allclose(out.maps.mean(axis=(1, 2)) + bias[out.class_idx], picked, atol=1e-5)


def test_cam_for_model_single_image_and_numpy(model, digits):
    single = cam_for_model(model, digits[0].numpy(), class_idx=4)
    assert single.maps.shape == (7, 7) and single.class_idx == 4 and single.logits.shape == (10,)
    batch = cam_for_model(model, digits, class_idx=4)
    np.testing.assert_allclose(single.maps, batch.maps[0], atol=1e-6)


def test_cam_for_model_is_fully_convolutional(model):
    out = cam_for_model(model, torch.zeros(2, 1, 84, 84), class_idx=[1, 2])
    assert out.maps.shape == (2, 21, 21)
    assert out.class_idx.tolist() == [1, 2]


def test_cam_for_model_restores_mode_and_hooks(model, digits):
    model.train()
    try:
        cam_for_model(model, digits)
        assert model.training
        assert all(not m._forward_hooks for m in model.modules())
    finally:
        model.eval()


def test_cam_for_model_needs_a_gap_head(model, digits):
    with pytest.raises(ValueError, match=r"no global-average-pooling head.*grad_cam"):
        cam_for_model(model, digits, layer="block2_conv2")  # 32 channels, predictions expects 64
    with pytest.raises(ValueError, match=r"model\.predictions"):
        cam_for_model(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), digits, layer=nn.Identity())
    with pytest.raises(KeyError, match="did you mean 'block3_conv2'"):
        cam_for_model(model, digits, layer="block3_conv3")
    with pytest.raises(ValueError, match=r"0\.\.9"):
        cam_for_model(model, digits, class_idx=10)
    with pytest.raises(ValueError, match=r"x must have shape"):
        cam_for_model(model, torch.zeros(28, 28))


# ------------------------------------------------------------------------------------------
# grad_cam


def test_grad_cam_is_cam_over_z_on_a_gap_model(model, digits):
    cam = cam_for_model(model, digits, class_idx=[0, 5, 9])
    raw = grad_cam(model, digits, model.last_conv_name, class_idx=[0, 5, 9], relu=False)
    np.testing.assert_allclose(raw.maps * 49, cam.maps, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(map_correlation(raw.maps, cam.maps), 1.0, atol=1e-9)
    clipped = grad_cam(model, digits, model.last_conv_name, class_idx=[0, 5, 9])
    np.testing.assert_allclose(clipped.maps * 49, np.maximum(cam.maps, 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(clipped.class_idx, [0, 5, 9])


def test_grad_cam_with_a_module_on_a_tiny_network():
    torch.manual_seed(0)
    net = GapNet()
    x = torch.rand(2, 1, 5, 6)
    out = grad_cam(net, x, net.relu, class_idx=2, relu=False)
    with torch.no_grad():
        feats = net.relu(net.conv(x)).numpy()
    expected = class_activation_map(feats, net.predictions.weight.detach().numpy(), [2, 2]) / 30
    np.testing.assert_allclose(out.maps, expected, rtol=1e-5, atol=1e-6)


def test_grad_cam_earlier_layer_and_frozen_weights(model, digits):
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        out = grad_cam(model, digits, "block2_conv2")
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
    assert out.maps.shape == (3, 14, 14)
    assert (out.maps >= 0).all()
    assert all(not m._forward_hooks for m in model.modules())


def test_grad_cam_bad_layers(model, digits):
    with pytest.raises(ValueError, match=r"maps \(N, K, h, w\)"):
        grad_cam(model, digits, "predictions")
    with pytest.raises(TypeError, match="layer must be a layer name"):
        grad_cam(model, digits, 3)
    with pytest.raises(TypeError, match="pass the module"):
        grad_cam(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), digits, "fc")
    with pytest.raises(ValueError, match="not used in the model's forward pass"):
        grad_cam(model, digits, nn.ReLU())


# ------------------------------------------------------------------------------------------
# saliency_map


def test_saliency_of_a_linear_model_is_its_weights():
    w = torch.tensor([[1.0, -2.0, 0.5, 0.0, 3.0, -4.0, 0.0, 1.0]])
    out = saliency_map(linear_model(w), torch.zeros(1, 2, 2, 2), class_idx=0)
    # channel 0 weights |1, 2, .5, 0|, channel 1 |3, 4, 0, 1|: the maximum per pixel
    assert out.maps.tolist() == [[[3.0, 4.0], [0.5, 1.0]]]


def test_saliency_matches_autograd(model, digits):
    out = saliency_map(model, digits, class_idx=[1, 2, 3])
    assert out.maps.shape == (3, 28, 28)
    x = digits.clone().requires_grad_(True)
    model(x)[torch.arange(3), torch.tensor([1, 2, 3])].sum().backward()
    np.testing.assert_allclose(out.maps, x.grad.abs().amax(dim=1).numpy(), rtol=1e-5, atol=1e-7)
    model.zero_grad()


# ------------------------------------------------------------------------------------------
# occlusion_map


def _occlusion_loop(model, x, c, patch, stride, padding, fill):
    """The readable version: one forward pass per patch position."""
    h, w = x.shape[-2:]
    oh, ow = conv_output_size((h, w), patch, stride, padding)
    with torch.no_grad():
        base = model(x[None])[0, c].item()
        out = np.zeros((oh, ow))
        for i in range(oh):
            for j in range(ow):
                covered = x.clone()
                r0, c0 = i * stride - padding, j * stride - padding
                covered[:, max(r0, 0) : r0 + patch, max(c0, 0) : c0 + patch] = fill
                out[i, j] = base - model(covered[None])[0, c].item()
    return out


def test_occlusion_of_an_irrelevant_region_changes_nothing():
    weight = torch.zeros(1, 36)
    weight[0, [0, 1, 6, 7]] = 1.0  # the model reads only the top-left 2x2 pixels
    out = occlusion_map(linear_model(weight), torch.ones(1, 1, 6, 6), patch=2, stride=2, fill=0.5)
    expected = np.zeros((1, 3, 3))
    expected[0, 0, 0] = 2.0  # four pixels drop from 1 to 0.5
    np.testing.assert_allclose(out.maps, expected)


def test_occlusion_matches_the_loop_and_chunking():
    torch.manual_seed(0)
    net = GapNet()
    x = torch.rand(2, 1, 9, 10)
    # patches of 4 with stride 3 start 2 pixels before the border and hang over both ends
    fast = occlusion_map(net, x, class_idx=[1, 2], patch=4, stride=3, padding=2, fill=0.25, batch_size=5)
    assert fast.maps.shape == (2, *conv_output_size((9, 10), 4, 3, 2)) == (2, 4, 4)
    for n, c in enumerate((1, 2)):
        np.testing.assert_allclose(fast.maps[n], _occlusion_loop(net, x[n], c, 4, 3, 2, 0.25), rtol=1e-5, atol=1e-6)
    big = occlusion_map(net, x, class_idx=[1, 2], patch=4, stride=3, padding=2, fill=0.25, batch_size=1000)
    np.testing.assert_allclose(fast.maps, big.maps, atol=1e-6)


def test_occlusion_on_the_small_vgg(model, digits):
    fast = occlusion_map(model, digits[0], class_idx=3, patch=10, stride=6, batch_size=7)
    assert fast.maps.shape == (4, 4)
    np.testing.assert_allclose(fast.maps, _occlusion_loop(model, digits[0], 3, 10, 6, 0, 0.0), rtol=1e-4, atol=1e-4)


def test_occlusion_single_image_and_predicted_class(model, digits):
    out = occlusion_map(model, digits[0], patch=(7, 14), stride=(7, 14))
    assert out.maps.shape == (4, 2)
    assert out.class_idx == int(out.logits.argmax())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"patch": 40}, ValueError, "kernel"),
        ({"patch": 0}, ValueError, "patch"),
        ({"stride": -1}, ValueError, "stride"),
        ({"padding": -1}, ValueError, "padding"),
        ({"fill": float("nan")}, ValueError, "fill must be a finite number"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
    ],
)
def test_occlusion_bad_arguments(model, digits, kwargs, error, match):
    with pytest.raises(error, match=match):
        occlusion_map(model, digits, **kwargs)


# ------------------------------------------------------------------------------------------
# upsample_map, normalize_map, map_correlation


def test_upsample_matches_torch_and_resize():
    m = np.random.default_rng(0).normal(size=(2, 7, 7))
    up = upsample_map(m, 28)
    ref = F.interpolate(torch.from_numpy(m)[:, None], size=(28, 28), mode="bilinear", align_corners=False)
    np.testing.assert_allclose(up, ref[:, 0].numpy())
    np.testing.assert_allclose(up, resize(m, 4, mode="bilinear"), atol=1e-12)  # the same interpolation
    assert upsample_map(m[0], (14, 21)).shape == (14, 21)


def test_upsample_bad_inputs():
    with pytest.raises(ValueError, match=r"m must have shape \(h, w\) or \(N, h, w\)"):
        upsample_map(np.zeros(4), 8)
    with pytest.raises(ValueError, match="size"):
        upsample_map(np.zeros((2, 2)), 0)


def test_normalize_map_per_map():
    m = np.stack([np.arange(4.0).reshape(2, 2), np.full((2, 2), 3.0), -np.arange(4.0).reshape(2, 2)])
    out = normalize_map(m)
    assert out.min() >= 0 and out.max() <= 1
    assert out[0].tolist() == [[0.0, 1 / 3], [2 / 3, 1.0]]
    assert out[1].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert out[2].tolist() == [[1.0, 2 / 3], [1 / 3, 0.0]]
    with pytest.raises(ValueError, match="m must have shape"):
        normalize_map(np.zeros((1, 1, 2, 2)))


def test_normalize_map_percentile_clips_the_top():
    m = np.arange(100.0).reshape(1, 10, 10)
    out = normalize_map(m, percentile=90)
    hi = np.percentile(m, 90)
    np.testing.assert_allclose(out, np.minimum(m / hi, 1.0))
    assert (out == 1.0).sum() == 10  # 89.1 is the 90th percentile: 90..99 saturate, and only they
    np.testing.assert_array_equal(normalize_map(m, percentile=100), normalize_map(m))
    for bad in (0, -5, 101):
        with pytest.raises(ValueError, match="percentile must lie in"):
            normalize_map(m, percentile=bad)


# ------------------------------------------------------------------------------------------
# class_activation_map for every class, and cam_for_model on EfficientNet-Lite0


def test_cam_of_every_class_stacks_the_single_maps():
    rng = np.random.default_rng(2)
    f, w = rng.normal(size=(3, 4, 5, 6)), rng.normal(size=(7, 4))
    every = class_activation_map(f, w)
    assert every.shape == (3, 7, 5, 6)
    for c in range(7):
        np.testing.assert_allclose(every[:, c], class_activation_map(f, w, c))
    np.testing.assert_allclose(class_activation_map(f[0], w), every[0])


def test_cam_for_model_on_efficientnet_by_layer_name(lite):
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    out = cam_for_model(lite, x, class_idx=[3, 999], layer="head")  # the dense layer is the one named 'predictions'
    assert out.maps.shape == (2, 2, 2)  # 64 / 32
    bias = lite.fc.bias.detach().numpy()[[3, 999]]
    np.testing.assert_allclose(out.maps.mean(axis=(1, 2)) + bias, out.logits[[0, 1], [3, 999]], rtol=1e-4, atol=1e-6)
    same = cam_for_model(lite, x, class_idx=[3, 999], layer=lite.head, linear=lite.fc)
    np.testing.assert_allclose(same.maps, out.maps)
    np.testing.assert_allclose(
        cam_for_model(lite, x, class_idx=[3, 999], layer="head", linear="predictions").maps, out.maps
    )
    with pytest.raises(ValueError, match="model has no last_conv_name"):
        cam_for_model(lite, x)
    with pytest.raises(ValueError, match="CAM needs the linear layer"):
        cam_for_model(lite, x, layer="head", linear="head")


# ------------------------------------------------------------------------------------------
# saliency_map(reduce="sum") and smooth_grad


def test_saliency_sum_is_the_signed_channel_sum(model, digits):
    w = torch.tensor([[1.0, -2.0, 0.5, 0.0, 3.0, -4.0, 0.0, 1.0]])
    out = saliency_map(linear_model(w), torch.zeros(1, 2, 2, 2), class_idx=0, reduce="sum")
    assert out.maps.tolist() == [[[4.0, -6.0], [0.5, 1.0]]]
    x = digits.clone().requires_grad_(True)
    model(x)[torch.arange(3), torch.tensor([1, 2, 3])].sum().backward()
    signed = saliency_map(model, digits, class_idx=[1, 2, 3], reduce="sum")
    np.testing.assert_allclose(signed.maps, x.grad.sum(dim=1).numpy(), rtol=1e-5, atol=1e-7)
    model.zero_grad()
    with pytest.raises(ValueError, match="saliency_map: reduce='mean' is not one of 'max_abs', 'sum'"):
        saliency_map(model, digits, reduce="mean")


def test_smooth_grad_without_noise_is_saliency(model, digits):
    plain = saliency_map(model, digits, class_idx=[0, 1, 2])
    out = smooth_grad(model, digits, class_idx=[0, 1, 2], samples=3, noise=0.0, batch_size=2)
    np.testing.assert_allclose(out.maps, plain.maps, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out.logits, plain.logits, atol=1e-6)


def test_smooth_grad_is_the_mean_over_seeded_noisy_copies(model, digits):
    x = digits[:2]
    a = smooth_grad(model, x, class_idx=[4, 5], samples=4, noise=0.2, seed=3, batch_size=3)
    b = smooth_grad(model, x, class_idx=[4, 5], samples=4, noise=0.2, seed=3, batch_size=8)
    np.testing.assert_allclose(a.maps, b.maps, rtol=1e-5, atol=1e-8)  # the batching does not change the noise
    c = smooth_grad(model, x, class_idx=[4, 5], samples=4, noise=0.2, seed=4)
    assert not np.allclose(a.maps, c.maps)
    # by hand: the same noise, drawn in the same order, one copy after another
    gen = torch.Generator().manual_seed(3)
    sigma = 0.2 * (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3)))
    noisy = x.repeat_interleave(4, dim=0)
    noisy = noisy + torch.randn(noisy.shape, generator=gen) * sigma.repeat_interleave(4)[:, None, None, None]
    each = saliency_map(model, noisy, class_idx=[4] * 4 + [5] * 4).maps
    np.testing.assert_allclose(a.maps, each.reshape(2, 4, 28, 28).mean(axis=1), rtol=1e-5, atol=1e-8)
    single = smooth_grad(model, x[0], samples=2)
    assert single.maps.shape == (28, 28) and single.class_idx == int(single.logits.argmax())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"samples": 0}, "samples must be a positive int"),
        ({"batch_size": 1.5}, "batch_size must be a positive int"),
        ({"noise": -0.1}, "noise must be a non-negative"),
        ({"reduce": "max"}, "smooth_grad: reduce=.max. is not one of .max_abs., .sum."),
    ],
)
def test_smooth_grad_bad_arguments(model, digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        smooth_grad(model, digits, **kwargs)


# ------------------------------------------------------------------------------------------
# explanation_maps and cascading_randomization


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------------------------------
# Where each cell lies in the image: cell_centres, upsample_map(geometry=), occlusion_map(centres=),
# pool_map. The centres computed from the modules' kernels, strides and paddings
# (layer_geometry) are checked against the receptive fields measured by backpropagation.


def _linearised(model: nn.Module) -> nn.Module:
    """A float64 copy with the same geometry whose input gradient marks each cell's whole field.

    Every convolution gets positive weights and no bias, batch norms become the identity,
    ReLUs are removed and max pools become average pools of the same window: the network is
    linear with positive weights, so the gradient of a cell is positive on every input pixel
    of its receptive field and zero elsewhere (no cancellation, no dead unit, no argmax).
    """
    net = copy.deepcopy(model).double().eval()
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.ReLU, nn.ReLU6)):
                setattr(parent, name, nn.Identity())
            elif isinstance(child, nn.MaxPool2d):
                setattr(parent, name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding, child.ceil_mode))
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.BatchNorm2d):
                module.running_mean.zero_()
                module.running_var.fill_(1.0 - module.eps)
                module.weight.fill_(1.0)
                module.bias.zero_()
    return net


def _measured_fields(features, input_shape, cells):
    """For each cell (i, 0): the first and last input row with a non-zero gradient, and the gradient's centroid."""
    x = torch.zeros(input_shape, dtype=torch.float64, requires_grad=True)
    out = features(x)
    fields = {}
    for i in cells:
        (grad,) = torch.autograd.grad(out[0, :, i, 0].sum(), x, retain_graph=True)
        weight = grad[0].sum(dim=(0, 2)).numpy()  # per input row
        rows = np.flatnonzero(weight > 0)
        fields[i] = (int(rows[0]), int(rows[-1]), float(weight @ np.arange(len(weight)) / weight.sum()))
    return out.shape[2], fields


def test_lite0_head_cells_are_centred_on_32i_plus_31(lite):
    """TensorFlow's padding of the five stride-2 layers centres head cell i on pixel 32i + 31.

    At 224x224 every field (851 pixels) covers the whole image, so the centre is measured on a
    896-pixel-high input: every size that is a multiple of 32 is even at each stride-2 layer and
    is padded exactly as 224 is (0 rows before for 3x3, 1 for 5x5), so the geometry is the same.
    """
    geometry = layer_geometry(lite, "head", 224)
    assert geometry == layer_geometry(lite, "head", 896) == LayerGeometry((851, 851), (32, 32), (-394, -394))
    rows, cols = cell_centres(geometry, 7)
    assert rows.tolist() == cols.tolist() == [32 * i + 31 for i in range(7)]
    n, fields = _measured_fields(_linearised(lite).features, (1, 3, 896, 32), [0, 1, 13, 26, 27])
    centres = cell_centres(geometry, n)[0]
    for i, (first, last, _) in fields.items():
        start = geometry.offset[0] + 32 * i
        assert (first, last) == (max(start, 0), min(start + 850, 895))  # the field, clipped to the image
    first, last, centroid = fields[13]  # the one cell whose whole field lies inside the image
    assert (first + last) / 2 == pytest.approx(centroid) == centres[13] == 32 * 13 + 31
    assert centres[13] - upsample_centre(13, 7, 224) == 15.5  # where plain bilinear upsampling puts it


def upsample_centre(i, n, size):
    """Where F.interpolate(align_corners=False) puts cell i of n when it upsamples to size."""
    return (i + 0.5) * size / n - 0.5


def test_small_vgg_cells_are_centred_on_their_blocks(model):
    geometry = layer_geometry(model, "block3_conv2", 28)
    assert geometry == layer_geometry(model, "block3_conv2", 64) == LayerGeometry((32, 32), (4, 4), (-14, -14))
    rows, _ = cell_centres(geometry, 7)
    assert rows.tolist() == [upsample_centre(i, 7, 28) for i in range(7)] == [4 * i + 1.5 for i in range(7)]
    n, fields = _measured_fields(_linearised(model).features, (1, 1, 64, 8), range(16))
    centres = cell_centres(geometry, n)[0]
    for i, (first, last, centroid) in fields.items():
        start = -14 + 4 * i
        assert (first, last) == (max(start, 0), min(start + 31, 63))
        if start >= 0 and start + 31 <= 63:  # cells 4 to 11: the whole field inside
            assert (first + last) / 2 == pytest.approx(centroid) == centres[i]


class _Stack(NamedLayersMixin, nn.Sequential):
    """A plain stack of layers with named layers, so that layer_geometry can walk it."""

    def named_layers(self):
        return OrderedDict(self.named_children())


@pytest.mark.parametrize(
    "layers, size",
    [
        ([nn.Conv2d(1, 1, 3, stride=2, padding=1)], 16),  # PyTorch's symmetric padding: cells on 0, 2, 4, ...
        ([TFSameConv2d(1, 1, 3, stride=2)], 16),  # TensorFlow's, even size: on 1, 3, 5, ...
        ([TFSameConv2d(1, 1, 3, stride=2)], 15),  # TensorFlow's, odd size: on 0, 2, 4, ...
        ([nn.Conv2d(1, 1, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, stride=2)], 40),
        ([TFSameConv2d(1, 1, 5, stride=2), TFSameConv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 1)], 36),
        ([nn.Conv2d(1, 1, 3, padding=2, dilation=2), nn.AvgPool2d(3, 2, padding=1)], 24),
    ],
)
def test_cell_centres_match_the_measured_fields_for_any_padding(layers, size):
    net = _Stack(OrderedDict((f"l{k}", layer) for k, layer in enumerate(layers)))
    geometry = layer_geometry(net, f"l{len(layers) - 1}", (size, 12))
    rows = cell_centres(geometry, net(torch.zeros(1, 1, size, 12)).shape[2:])[0]
    n, fields = _measured_fields(_linearised(net), (1, 1, size, 12), range(len(rows)))
    assert n == len(rows)
    inside = 0
    for i, (first, last, centroid) in fields.items():
        start = geometry.offset[0] + i * geometry.jump[0]
        assert (first, last) == (max(start, 0), min(start + geometry.size[0] - 1, size - 1))
        if start >= 0 and start + geometry.size[0] <= size:
            assert (first + last) / 2 == pytest.approx(centroid) == rows[i]
            inside += 1
    assert inside > 0


def test_upsample_with_geometry_puts_a_one_hot_cell_on_its_centre():
    head = LayerGeometry((851, 851), (32, 32), (-394, -394))  # EfficientNet-Lite0 at 224
    centre = [32 * i + 31 for i in range(7)]

    def support(i):
        """Pixels reached by cell i: ramps to the neighbouring centres, constant before the first."""
        lo = 0 if i == 0 else centre[i - 1] + 1
        hi = 223 if i == 6 else centre[i + 1] - 1
        return hi - lo + 1

    for i, j in [(0, 0), (2, 4), (6, 6), (3, 1)]:
        one_hot = np.zeros((7, 7))
        one_hot[i, j] = 1.0
        up = upsample_map(one_hot, 224, geometry=head)
        assert up.max() == up[centre[i], centre[j]] == 1.0
        assert (up > 0).sum() == support(i) * support(j)
    assert np.argwhere(up == 1.0).tolist() == [[127, 63]]  # an inner cell peaks on its centre only
    plain = upsample_map(one_hot, 224)  # the block's middle, 32i + 15.5, between pixels 111 and 112
    assert np.unravel_index(plain.argmax(), plain.shape) == (111, 47)
    assert plain[111, 47] == plain[112, 48] < 1.0


def test_upsample_with_geometry_generalises_the_plain_upsampling():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(2, 7, 7))
    for geometry in [(32, 4, -14), LayerGeometry((32, 32), (4, 4), (-14, -14))]:  # the small VGG: blocks
        np.testing.assert_allclose(upsample_map(m, 28, geometry=geometry), upsample_map(m, 28), atol=1e-12)
    m21 = rng.normal(size=(21, 21))  # the 84x84 canvases of the localisation experiment
    np.testing.assert_allclose(upsample_map(m21, 84, geometry=(32, 4, -14)), upsample_map(m21, 84), atol=1e-12)
    rf = receptive_field([{"kernel_size": 3, "stride": 2}])  # a ReceptiveField works too: cells on 1, 3, 5
    assert upsample_map(np.array([[0.0, 2.0, 4.0]]), (1, 6), geometry=rf).tolist() == [[0.0, 0.0, 1.0, 2.0, 3.0, 4.0]]
    # non-square geometry and map: rows jump 2, columns jump 1
    out = upsample_map(np.array([[0.0, 1.0], [2.0, 3.0]]), (4, 2), geometry=((1, 1), (2, 1), (0, 0)))
    assert out.tolist() == [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [2.0, 3.0]]


def test_upsample_to_another_layers_grid():
    head = LayerGeometry((851, 851), (32, 32), (-394, -394))
    block5c = LayerGeometry((339, 339), (16, 16), (-154, -154))  # cells on 16u + 15
    m = np.random.default_rng(4).normal(size=(3, 7, 7))
    on_grid = upsample_map(m, 14, geometry=head, target_geometry=block5c)
    np.testing.assert_allclose(on_grid[:, 1::2, 1::2], m, atol=1e-12)  # head cell i is block5c cell 2i + 1
    np.testing.assert_allclose(on_grid[:, 2::2, 1::2], (m[:, :-1] + m[:, 1:]) / 2, atol=1e-12)
    np.testing.assert_allclose(on_grid[:, 0], on_grid[:, 1])  # before the first head centre: constant
    full = upsample_map(m, 224, geometry=head)
    np.testing.assert_allclose(on_grid, full[:, 15::16, 15::16], atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"geometry": "head"}, TypeError, "geometry must be a layer's receptive field"),
        ({"geometry": (3, 0, 0)}, ValueError, "geometry jump must be positive"),
        ({"geometry": (3, 2, 0.5)}, TypeError, "geometry offset"),
        ({"target_geometry": (3, 2, 0)}, ValueError, "target_geometry needs the geometry"),
        ({"geometry": (3, 2, 0), "target_geometry": [1]}, TypeError, "target_geometry must be"),
    ],
)
def test_upsample_bad_geometry(kwargs, error, match):
    with pytest.raises(error, match=match):
        upsample_map(np.zeros((2, 2)), 4, **kwargs)


def test_occlusion_patches_centred_on_the_cells():
    weight = torch.zeros(1, 64 * 64)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64 * 64, 1, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.rand(1, 64 * 64))
    weight = net[1].weight.detach().reshape(64, 64).double()
    x = torch.ones(1, 64, 64)
    centres = cell_centres(LayerGeometry((27, 27), (16, 16), (-2, -2)), (4, 4))  # cells on 16i + 11
    assert centres[0].tolist() == [11.0, 27.0, 43.0, 59.0]
    out = occlusion_map(net, x, class_idx=0, patch=16, centres=centres).maps
    for i in range(4):
        for j in range(4):
            r0, c0 = 16 * i + 4, 16 * j + 4  # rows 16i + 4 to 16i + 19: centred on 16i + 11.5, half a pixel down
            expected = weight[r0 : r0 + 16, c0 : c0 + 16].sum().item()  # clipped to the image by the slice
            assert out[i, j] == pytest.approx(expected, rel=1e-5)
    odd = occlusion_map(net, x, class_idx=0, patch=(15, 17), centres=centres).maps
    assert odd[0, 0] == pytest.approx(weight[4:19, 3:20].sum().item(), rel=1e-5)  # odd: exactly centred on 11


def test_occlusion_centres_on_the_default_grid_change_nothing(model, digits):
    """The default grid is centred on i*stride - padding + (patch - 1)/2: the same patches."""
    for patch, stride, padding in ((4, 4, 0), (8, 4, 2), (12, 4, 4), (10, 6, 0)):
        plain = occlusion_map(model, digits[:2], class_idx=[1, 2], patch=patch, stride=stride, padding=padding)
        grid = plain.maps.shape[1:]
        centres = cell_centres((patch, stride, -padding), grid)
        placed = occlusion_map(model, digits[:2], class_idx=[1, 2], patch=patch, centres=centres)
        np.testing.assert_allclose(placed.maps, plain.maps, atol=1e-6)
    # on the small VGG the patches of 4 with stride 4 are centred on the CAM cells, 4i + 1.5
    np.testing.assert_array_equal(
        cell_centres((4, 4, 0), 7)[0], cell_centres(layer_geometry(model, "block3_conv2"), 7)[0]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"centres": ([1.0], [1.0]), "stride": 2}, "either centres or stride and padding"),
        ({"centres": ([1.0], [1.0]), "padding": 1}, "either centres or stride and padding"),
        ({"centres": [1.0, 2.0, 3.0]}, r"centres must be a pair \(rows, columns\)"),
        ({"centres": ([], [1.0])}, "the rows of centres must be a non-empty 1-D sequence"),
        ({"centres": ([1.0], [np.nan])}, "the columns of centres"),
    ],
)
def test_occlusion_bad_centres(model, digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        occlusion_map(model, digits[0], patch=4, **kwargs)


def test_pool_map_on_blocks_is_avg_pool_and_on_centres_is_shifted():
    rng = np.random.default_rng(5)
    m = rng.normal(size=(2, 224, 224))
    blocks = cell_centres((32, 32, 0), 7)  # 15.5, 47.5, ...: the blocks
    np.testing.assert_allclose(pool_map(m, blocks, 32), avg_pool2d(m[:, None], 32)[:, 0], atol=1e-12)
    head = cell_centres(LayerGeometry((851, 851), (32, 32), (-394, -394)), 7)  # 31, 63, ...
    pooled = pool_map(m, head, 32)
    assert pooled.shape == (2, 7, 7)
    for i, j in [(0, 0), (3, 5), (6, 6), (6, 0)]:
        r0, c0 = 32 * i + 16, 32 * j + 16  # rows 16 to 47 for cell 0; the last window is clipped at 223
        np.testing.assert_allclose(pooled[:, i, j], m[:, r0 : r0 + 32, c0 : c0 + 32].mean(axis=(1, 2)))
    assert pool_map(m[0], head, (5, 3))[2, 3] == pytest.approx(m[0, 93:98, 126:129].mean())
    with pytest.raises(ValueError, match=r"the window of 4 centred on row 300\.0 lies outside the map of size 224"):
        pool_map(m, ([300.0], [1.0]), 4)
    with pytest.raises(ValueError, match=r"m must have shape \(H, W\) or \(N, H, W\)"):
        pool_map(np.zeros(5), head, 4)
    with pytest.raises(ValueError, match="window"):
        pool_map(m, head, 0)


def test_cell_centres_of_lite0_at_other_sizes(lite):
    """The centres move with the input size, because TensorFlow's padding does."""
    for size, first in ((224, 31), (64, 31), (240, 15), (200, 7), (225, 0)):
        grid = -(-size // 32)
        rows = cell_centres(layer_geometry(lite, "head", size), grid)[0]
        assert rows[0] == first and np.all(np.diff(rows) == 32)
        assert 0 <= rows[-1] <= size - 1  # every cell's centre lies in the image


# --------------------------------------------------------------------------------------------
# The one Grad-CAM core, and the split of cam.py


def _old_grad_cam(acts: torch.Tensor, grads: torch.Tensor, relu: bool) -> torch.Tensor:
    """The formula as viz/cam.py:grad_cam and viz/sanity.py:explanation_maps wrote it before grad_cam_map."""
    maps = (grads.mean(dim=(2, 3), keepdim=True) * acts).sum(dim=1)
    return maps.clamp(min=0) if relu else maps


def _old_exercise_grad_cam(features: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """The float64 reference of cnnkit/exercises/cam_checks.py:_grad_cam, one image."""
    alpha = np.asarray(grads, dtype=np.float64).mean(axis=(1, 2))
    return np.maximum(np.tensordot(alpha, np.asarray(features, dtype=np.float64), axes=1), 0)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_grad_cam_map_equals_the_old_formula_bit_for_bit(relu, dtype):
    gen = torch.Generator().manual_seed(0)
    acts, grads = (
        torch.randn(3, 5, 4, 6, generator=gen, dtype=dtype),
        torch.randn(3, 5, 4, 6, generator=gen, dtype=dtype),
    )
    out = grad_cam_map(acts, grads, relu=relu)
    assert out.dtype == dtype and out.shape == (3, 4, 6)
    assert torch.equal(out, _old_grad_cam(acts, grads, relu))
    assert torch.equal(grad_cam_map(acts[1], grads[1], relu=relu), out[1])  # one image (K, h, w)


def test_grad_cam_map_keeps_float64_arrays_and_matches_the_exercise_reference():
    rng = np.random.default_rng(1)
    f, g = rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 5))
    out = grad_cam_map(f, g)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), _old_exercise_grad_cam(f, g), rtol=1e-15, atol=1e-15)


def test_grad_cam_map_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        grad_cam_map(torch.zeros(2, 3, 4), torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="same shape"):
        grad_cam_map(torch.zeros(3, 4), torch.zeros(3, 4))


def test_the_placement_names_stay_importable_from_cam():
    from cnnkit.viz import cam, maps

    for name in maps.__all__:
        assert getattr(cam, name) is getattr(maps, name) and name in cam.__all__
