"""The general statements of chapter 7 (training), checked beyond the one case each cell shows.

The chapter shows each identity once, on one small example; here they are checked on several
shapes, strides and paddings, so that the prose states what holds in general.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from cnnkit.models.numpy_cnn import small_cnn, to_torch
from cnnkit.models.zoo import layer_costs
from cnnkit.ops import (
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv_matrix,
    conv_transpose2d,
    max_pool2d_backward,
)
from cnnkit.shapes import conv_output_size, conv_transpose_output_padding

CASES = [  # (H, k, stride, padding)
    (7, 3, 1, 0),
    (7, 3, 2, 1),
    (8, 3, 2, 1),
    (9, 5, 2, 2),
    (10, 3, 3, 0),
    (6, 2, 2, 0),
]


@pytest.mark.parametrize("n, k", [(5, 3), (8, 1), (6, 6), (9, 4)])
def test_1d_input_gradient_is_the_full_convolution_and_the_transposed_matrix(n, k):
    rng = np.random.default_rng(n * 10 + k)
    x, w = rng.normal(size=n), rng.normal(size=k)
    delta = rng.normal(size=n - k + 1)
    W = conv_matrix((1, n), w[None])
    np.testing.assert_allclose(np.convolve(delta, w, mode="full"), W.T @ delta, atol=1e-12)
    np.testing.assert_allclose(
        np.correlate(x, delta, mode="valid"), [delta @ x[i : i + len(delta)] for i in range(k)], atol=1e-12
    )


@pytest.mark.parametrize("h, k, s, p", CASES)
def test_conv_gradients_are_a_transposed_convolution_and_a_dilated_correlation(h, k, s, p):
    rng = np.random.default_rng(h + 10 * k + 100 * s + 1000 * p)
    x, w = rng.normal(size=(2, 3, h, h)), rng.normal(size=(4, 3, k, k))
    delta = rng.normal(size=conv2d(x, w, stride=s, padding=p).shape)
    grad_x, grad_w, grad_b = conv2d_backward(x, w, delta, stride=s, padding=p)
    extra = conv_transpose_output_padding(h, k, s, p)
    np.testing.assert_allclose(
        grad_x, conv_transpose2d(delta, w, stride=s, padding=p, output_padding=extra), atol=1e-12
    )
    # the padded input, without the rows and columns that no window read
    read = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))[:, :, : h + 2 * p - extra, : h + 2 * p - extra]
    as_correlation = conv2d(read.transpose(1, 0, 2, 3), delta.transpose(1, 0, 2, 3), dilation=s).transpose(1, 0, 2, 3)
    np.testing.assert_allclose(grad_w, as_correlation, atol=1e-12)
    np.testing.assert_allclose(grad_b, delta.sum(axis=(0, 2, 3)), atol=1e-12)
    # the unread rows: the output size is the same one row less (when the stride left one)
    if extra:
        assert conv_output_size(h - extra, k, s, p) == conv_output_size(h, k, s, p)


@pytest.mark.parametrize("h, k, s, p", CASES)
def test_im2col_product_and_its_backward(h, k, s, p):
    rng = np.random.default_rng(7 * h + k + s + p)
    n, c_in, c_out = 2, 3, 4
    x, w, b = rng.normal(size=(n, c_in, h, h)), rng.normal(size=(c_out, c_in, k, k)), rng.normal(size=c_out)
    y = conv2d(x, w, b, stride=s, padding=p)
    ho = y.shape[2]
    windows = sliding_window_view(np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), (k, k), axis=(2, 3))[:, :, ::s, ::s][
        :, :, :ho, :ho
    ]
    patches = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c_in * k * k, -1)
    product = w.reshape(c_out, -1) @ patches + b[:, None]
    np.testing.assert_allclose(product.reshape(c_out, n, ho, ho).transpose(1, 0, 2, 3), y, atol=1e-12)
    delta = rng.normal(size=y.shape)
    _, grad_w, _ = conv2d_backward(x, w, delta, stride=s, padding=p)
    np.testing.assert_allclose(
        delta.transpose(1, 0, 2, 3).reshape(c_out, -1) @ patches.T, grad_w.reshape(c_out, -1), atol=1e-12
    )
    # the patch matrix has one column per output pixel of every image and one row per weight of a filter
    assert patches.shape == (c_in * k * k, n * ho * ho)


@pytest.mark.parametrize("k, s", [(2, 2), (3, 2), (3, 1), (2, 1)])
def test_max_pooling_routes_and_average_pooling_spreads(k, s):
    rng = np.random.default_rng(k + 10 * s)
    x = rng.normal(size=(2, 3, 8, 8))  # no ties
    out = conv_output_size(8, k, s)
    delta = rng.normal(size=(2, 3, out, out))
    routed = max_pool2d_backward(x, delta, k, s)
    spread = avg_pool2d_backward(x, delta, k, s)
    # every window passes on its whole gradient, overlapping shares add up
    np.testing.assert_allclose(routed.sum(axis=(2, 3)), delta.sum(axis=(2, 3)), atol=1e-12)
    np.testing.assert_allclose(spread.sum(axis=(2, 3)), delta.sum(axis=(2, 3)), atol=1e-12)
    # max pooling: at most one input per window receives anything
    assert np.count_nonzero(routed) <= delta.size
    if s == k:  # non-overlapping average windows: each input gets delta / k^2
        np.testing.assert_allclose(
            spread, np.repeat(np.repeat(delta, k, axis=2), k, axis=3)[..., : out * k, : out * k] / k**2, atol=1e-12
        )
    for ours, pool in [(routed, F.max_pool2d), (spread, F.avg_pool2d)]:
        t = torch.tensor(x, requires_grad=True)
        (pool(t, k, s) * torch.tensor(delta)).sum().backward()
        np.testing.assert_allclose(ours, t.grad.numpy(), atol=1e-12)


def test_the_chapters_cost_table():
    costs = {row.name: row for row in layer_costs(to_torch(small_cnn()), (1, 28, 28))}
    assert sum(r.params for r in costs.values()) == 5994
    assert sum(r.multiply_adds for r in costs.values()) == 322_560
    # weight sharing: a convolution weight is used once per output position
    for name, positions in [("conv1", 24 * 24), ("conv2", 8 * 8)]:
        weights = costs[name].params - costs[name].output_shape[0]
        assert costs[name].multiply_adds == weights * positions
    assert costs["dense"].multiply_adds == costs["dense"].params - 10  # each dense weight used once


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (2, 6, 3, 7), (16, 2, 1, 1)])
def test_batchnorm_statistics(shape):
    torch.manual_seed(sum(shape))
    layer = nn.BatchNorm2d(shape[1], momentum=0.1)
    x = 3 * torch.randn(*shape) - 2
    out = layer(x)
    n = shape[0] * shape[2] * shape[3]
    mean = x.mean(dim=(0, 2, 3))
    biased, unbiased = x.var(dim=(0, 2, 3), unbiased=False), x.var(dim=(0, 2, 3), unbiased=True)
    torch.testing.assert_close(
        out, (x - mean[:, None, None]) / torch.sqrt(biased[:, None, None] + layer.eps), atol=1e-5, rtol=1e-5
    )
    torch.testing.assert_close(layer.running_mean, 0.1 * mean)
    torch.testing.assert_close(layer.running_var, 0.9 + 0.1 * unbiased)
    torch.testing.assert_close(unbiased / biased, torch.full_like(biased, n / (n - 1)))
    assert nn.BatchNorm2d(3).momentum == 0.1 and nn.BatchNorm2d(3).training


def test_eval_changes_only_batchnorm_and_dropout():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
    )
    state = copy.deepcopy(model.state_dict())
    x = torch.randn(8, 1, 8, 8)
    different = []
    with torch.no_grad():
        h = x
        for module in model:
            saved = copy.deepcopy(module.state_dict())
            torch.manual_seed(1)
            out_train = module.train()(h)
            module.load_state_dict(saved)
            out_eval = module.eval()(h)
            if not torch.equal(out_train, out_eval):
                different.append(type(module).__name__)
            h = out_eval
    assert different == ["BatchNorm2d", "Dropout"]
    model.eval()
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert all(p.requires_grad for p in model.parameters())


def test_training_mode_under_no_grad_still_updates_the_running_statistics():
    layer = nn.BatchNorm2d(2)
    with torch.no_grad():
        layer(torch.randn(4, 2, 3, 3) + 5)
    assert int(layer.num_batches_tracked) == 1 and (layer.running_mean > 0.1).all()
    frozen = copy.deepcopy(layer.state_dict())
    with torch.no_grad():
        layer.eval()(torch.randn(4, 2, 3, 3) + 5)
    assert all(torch.equal(v, frozen[k]) for k, v in layer.state_dict().items())
