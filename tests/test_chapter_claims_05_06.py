"""Agreement checks moved out of chapters 5 (pooling) and 6 (transposed convolution).

Each chapter keeps one visible check per idea; the repeated ones live here, recomputed from the
same inputs as the cells they came from, so that nothing the chapters once printed goes
unchecked.
"""

from __future__ import annotations

import gc
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
from cnnkit.plot.animation import animate_conv2d

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


# --------------------------------------------------------------------------------------------
# Chapter 6: transposed convolution

#: The chapter's 2x2 input, non-symmetric 3x3 kernel and stride ("Three ways to compute it").
X = np.array([[1, 2], [3, 4]])
KERNEL = np.array([[1, 0, -1], [2, 1, 0], [0, 1, 1]])
STRIDE = 2


def _torch_transpose(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    return F.conv_transpose2d(
        torch.tensor(x[None, None], dtype=torch.float64), torch.tensor(w[None, None], dtype=torch.float64), stride=stride
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
