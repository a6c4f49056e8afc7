"""Agreement checks moved out of chapters 5 (pooling) and 6 (transposed convolution).

Each chapter keeps one visible check per idea; the repeated ones live here, recomputed from the
same inputs as the cells they came from, so that nothing the chapters once printed goes
unchecked.
"""

from __future__ import annotations

import gc
import math
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnkit.ops import (
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insertion,
    max_pool2d,
    upsample_zeros,
)
from cnnkit.ops.resizing import resize_conv
from cnnkit.plot.animation import animate_conv2d
from cnnkit.shapes import pool_output_size, tf_same_padding

# --------------------------------------------------------------------------------------------
# Chapter 5: pooling

#: The lecture's second matrix (chapter 5, "Average pooling").
LECTURE_X2 = np.array([[0, 10, 9, 3], [4, 3, 2, 1], [10, 2, 10, 3], [3, -1, -3, -3]])


def test_ch5_max_pool_of_the_second_matrix_matches_torch():
    ours = max_pool2d(LECTURE_X2[None, None], kernel_size=2, stride=2)[0, 0]
    theirs = F.max_pool2d(torch.tensor(LECTURE_X2[None, None], dtype=torch.float64), kernel_size=2, stride=2)[0, 0]
    np.testing.assert_array_equal(ours, theirs.numpy())
    np.testing.assert_array_equal(ours, [[10, 9], [10, 10]])


@pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")
def test_ch5_avg_pool_without_the_padding_matches_keras_same():
    """cnnkit's avg_pool2d(count_include_pad=False) is Keras's AveragePooling2D(padding='same')
    on the chapter's 7x7 map, 3x3 windows, stride 2 (Keras pads one sample on every side)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first `import keras`, as in the chapter
    keras = pytest.importorskip("keras")
    x7 = np.arange(1, 50, dtype="float32").reshape(7, 7)
    keras_avg = keras.ops.convert_to_numpy(
        keras.layers.AveragePooling2D(3, strides=2, padding="same")(x7[None, :, :, None])
    )[0, :, :, 0]
    ours = avg_pool2d(x7[None, None].astype(float), 3, stride=2, padding=1, count_include_pad=False)[0, 0]
    assert np.abs(keras_avg - ours).max() == 0.0


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_ch5_ceil_mode_drops_a_window_that_would_start_in_the_right_padding(k, s):
    """Chapter 5's rule: ceil((i + 2p - k) / s) + 1 windows, minus one if (o - 1) s >= i + p."""
    for i in range(max(k - 1, 1), 12):
        for p in range(k // 2 + 1):
            o = math.ceil((i + 2 * p - k) / s) + 1
            if (o - 1) * s >= i + p:
                o -= 1
            if o < 1:
                continue
            layer = torch.nn.MaxPool2d(k, s, padding=p, ceil_mode=True)
            assert layer(torch.zeros(1, 1, i, i)).shape[-1] == o == pool_output_size(i, k, s, p, ceil_mode=True)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")
@pytest.mark.parametrize(("k", "s"), [(2, 2), (3, 3), (3, 2), (4, 2), (2, 1), (1, 2)])
def test_ch5_keras_same_equals_ceil_mode_only_without_padding_at_the_top_left(k, s):
    """Chapter 5's two rules: Keras 'same' has the size of PyTorch's ceil_mode when ceil(i/s) equals
    it (always for k = s), and the same values when, in addition, Keras pads nothing before."""
    os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first `import keras`, as in the chapter
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    for i in range(max(k, 2), 12):
        x = rng.normal(size=(i, i)).astype("float32")
        ceil_mode = torch.nn.MaxPool2d(k, s, ceil_mode=True)(torch.from_numpy(x)[None, None])[0, 0].numpy()
        layer = keras.layers.MaxPooling2D(k, s, padding="same")
        same = keras.ops.convert_to_numpy(layer(x[None, :, :, None]))[0, :, :, 0]
        assert same.shape[0] == math.ceil(i / s)
        if k == s:
            assert same.shape == ceil_mode.shape
        if same.shape == ceil_mode.shape:
            before, _ = tf_same_padding(i, k, s)
            assert np.array_equal(same, ceil_mode) == (before == 0)


def test_ch5_pooling_over_rotated_filters_is_invariant_to_quarter_turns():
    """Chapter 5: a quarter turn of the input permutes the spatially pooled responses of four
    filters that are quarter turns of one another, so their maximum does not change."""
    rng = np.random.default_rng(0)
    prototype = rng.normal(size=(5, 5))
    filters = np.stack([np.rot90(prototype, r) for r in range(4)])[:, None]
    image = rng.normal(size=(12, 12))
    responses = [conv2d(np.rot90(image, r).copy()[None, None], filters).max(axis=(2, 3))[0] for r in range(4)]
    for r, response in enumerate(responses):
        np.testing.assert_allclose(np.sort(response), np.sort(responses[0]), rtol=1e-12)
        np.testing.assert_allclose(response, np.roll(responses[0], r), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Chapter 6: transposed convolution

#: The chapter's 2x2 input, non-symmetric 3x3 kernel and stride ("Three ways to compute it").
X = np.array([[1, 2], [3, 4]])
KERNEL = np.array([[1, 0, -1], [2, 1, 0], [0, 1, 1]])
STRIDE = 2


def _torch_transpose(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    return F.conv_transpose2d(
        torch.tensor(x[None, None], dtype=torch.float64),
        torch.tensor(w[None, None], dtype=torch.float64),
        stride=stride,
    )[0, 0].numpy()


def test_ch6_packaged_versions_match_the_scatter_and_torch():
    y_scatter = conv_transpose2d_scatter(X[None, None], KERNEL[None, None], stride=STRIDE)[0, 0]
    y_torch = _torch_transpose(X, KERNEL, STRIDE)
    for y in (
        conv_transpose2d(X[None, None], KERNEL[None, None], stride=STRIDE)[0, 0],
        conv_transpose2d_zero_insertion(X[None, None], KERNEL[None, None], stride=STRIDE)[0, 0],
    ):
        np.testing.assert_array_equal(y, y_scatter)
        np.testing.assert_array_equal(y, y_torch)


def test_ch6_animation_output_equals_conv_transpose2d():
    """The animation of the zero-insertion view computes the transposed convolution."""
    z = upsample_zeros(X, STRIDE)
    inserted = np.ones(z.shape, dtype=bool)
    inserted[::STRIDE, ::STRIDE] = False
    with warnings.catch_warnings():
        # built only to inspect its numbers, the animation is never rendered
        warnings.filterwarnings("ignore", message="Animation was deleted without rendering")
        anim = animate_conv2d(z, KERNEL, padding=2, mode="convolution", mask=inserted, figsize=(8, 3.4), dpi=60)
        try:
            assert anim.n_frames == 25
            output = anim.steps.output
        finally:
            plt.close(anim.fig)
            del anim
            gc.collect()  # collect the unrendered animation while the warning is filtered
    expected = conv_transpose2d(X[None, None], KERNEL[None, None], stride=STRIDE)[0, 0]
    np.testing.assert_array_equal(output, expected)
    # and it is the convolution with the flipped kernel that the chapter computes by hand
    by_hand = conv2d(np.pad(z, 2)[None, None], KERNEL[::-1, ::-1][None, None])[0, 0]
    np.testing.assert_array_equal(output, by_hand)


def test_ch6_keras_example_cnnkit_matches_torch():
    """The lecture's Conv2DTranspose(32, 3, strides=2) on a (4, 10, 8, 128) batch: cnnkit's
    conv_transpose2d with the PyTorch layer's weights gives PyTorch's output exactly. The
    integers are drawn as in the chapter (batch, then Keras kernel, then bias)."""
    data_rng = np.random.default_rng(0)
    batch_hwc = data_rng.integers(-2, 3, size=(4, 10, 8, 128)).astype("float32")  # (N, H, W, C)
    keras_kernel = data_rng.integers(-2, 3, size=(3, 3, 32, 128)).astype("float32")  # (kH, kW, C_out, C_in)
    bias = data_rng.integers(-2, 3, size=32).astype("float32")
    layer = torch.nn.ConvTranspose2d(128, 32, kernel_size=3, stride=2)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(keras_kernel).permute(3, 2, 0, 1))
        layer.bias.copy_(torch.from_numpy(bias))
        batch = torch.from_numpy(batch_hwc).permute(0, 3, 1, 2)
        out = layer(batch).numpy()
    ours = conv_transpose2d(batch.numpy(), layer.weight.detach().numpy(), bias, stride=2)
    assert ours.shape == out.shape == (4, 32, 21, 17)
    assert np.abs(ours - out).max() == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_ch6_resize_then_convolve_is_a_transposed_convolution_with_its_stamp(seed):
    """Chapter 6: nearest-neighbour resize (x2) + 3x3 convolution ('same', zeros) equals the
    stride-2 transposed convolution, padding 1, whose 4x4 kernel is its response to a single 1."""
    rng = np.random.default_rng(seed)
    w3 = rng.normal(size=(1, 1, 3, 3))
    impulse = np.zeros((1, 1, 5, 5))
    impulse[..., 2, 2] = 1.0
    stamp = resize_conv(impulse, w3)
    w4 = stamp[..., 3:7, 3:7].copy()
    stamp[..., 3:7, 3:7] = 0
    assert not stamp.any()
    x = rng.normal(size=(1, 1, 7, 9))
    np.testing.assert_allclose(conv_transpose2d(x, w4, stride=2, padding=1), resize_conv(x, w3), atol=1e-12)
