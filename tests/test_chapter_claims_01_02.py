"""Checks that chapters 1 and 2 used to print, kept here so the chapters show one check per idea.

Each test rebuilds what the chapter builds, with the same inputs and seeds, and asserts what the
chapter's cell printed. Chapter 1 keeps one visible check that cnnkit's convolution agrees with
PyTorch (the worked example: ``conv2d_loop == conv2d == torch``); its repeat on the colour
photograph lives here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.transform import resize
from torch import nn

from cnnkit.data import load_image
from cnnkit.ops import conv2d
from cnnkit.ops.filters import box_kernel, filter2d, gaussian_kernel, sobel_kernels

# --------------------------------------------------------------------------------------------
# Chapter 1, "Colour images and many filters"


def chapter1_coffee_layer() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The input (1, 3, 443, 592), weights (6, 3, 5, 5) and biases (6,) of chapter 1's layer.

    The chapter's generator is ``np.random.default_rng(0)`` (``cnnkit.seed_everything(0)``), drawn
    from in this order before the random filter: a 6x6 integer image (cross-correlation and
    convolution), two 16x16 images and a 3x3 kernel (linearity and shift invariance).
    """
    rng = np.random.default_rng(0)
    rng.integers(-5, 6, size=(6, 6))
    rng.normal(size=(16, 16))
    rng.normal(size=(16, 16))
    rng.normal(size=(3, 3))

    original = load_image("coffee")  # (400, 600, 3)
    target = (443, 592)
    crop_width = round(original.shape[0] * target[1] / target[0])
    left = (original.shape[1] - crop_width) // 2
    coffee = resize(original[:, left : left + crop_width], (*target, 3), anti_aliasing=True)

    sx = np.pad(sobel_kernels()[0], 1)
    box5 = box_kernel(5)
    zero = np.zeros((5, 5))
    designed = [
        [sx / 3, sx / 3, sx / 3],
        [sx.T / 3, sx.T / 3, sx.T / 3],
        [box5 / 3, box5 / 3, box5 / 3],
        [box5, -box5, zero],
        [-box5 / 2, -box5 / 2, box5],
        list(rng.normal(scale=75**-0.5, size=(3, 5, 5))),
    ]
    weight = np.array(designed, dtype=np.float32)
    bias = np.array([0, 0, 0, -0.3, 0.3, 0], dtype=np.float32)
    x = coffee.transpose(2, 0, 1)[None].astype(np.float32)
    return x, weight, bias


def test_ch1_colour_layer_cnnkit_conv2d_agrees_with_pytorch():
    """Six 5x5x3 filters with biases on the 443x592 coffee photograph: cnnkit's conv2d and
    nn.Conv2d with the same weights give the same six 439x588 maps."""
    x, weight, bias = chapter1_coffee_layer()
    maps = conv2d(x, weight, bias)[0]
    # the same random filter as the chapter: its map's median is the -0.14 the chapter prints
    assert round(float(np.median(maps[5])), 2) == -0.14

    layer = nn.Conv2d(3, 6, kernel_size=5)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        layer.bias.copy_(torch.from_numpy(bias))
        torch_maps = layer(torch.from_numpy(x))[0].numpy()
    assert maps.shape == torch_maps.shape == (6, 439, 588)
    assert np.allclose(maps, torch_maps, atol=1e-5)


# --------------------------------------------------------------------------------------------
# Chapter 1, "Why not a dense layer?"


def test_ch1_weight_sharing_saves_weights_not_multiply_adds():
    """The LeNet-like first layer: a locally connected layer (a different 5x5x3 kernel at each
    of the 28x28 positions) does as many multiply-adds as the convolution, 28*28*6*75, and with
    all its kernels equal it is the convolution."""
    from torch.utils.flop_counter import FlopCounterMode

    def multiply_adds(layer, inputs):
        with FlopCounterMode(display=False) as counter:
            layer(inputs)
        return counter.get_total_flops() // 2

    torch.manual_seed(0)
    conv = nn.Conv2d(3, 6, kernel_size=5)
    x = torch.rand(1, 3, 32, 32)
    tied = conv.weight.detach().reshape(1, 6, 75).expand(28 * 28, 6, 75)  # the shared kernel at every position

    def locally_connected(x):
        windows = torch.nn.functional.unfold(x, kernel_size=5)  # (1, 75, 784)
        return torch.einsum("pok,nkp->nop", tied, windows).reshape(1, 6, 28, 28)

    with torch.no_grad():
        assert multiply_adds(conv, x) == multiply_adds(locally_connected, x) == 28 * 28 * 6 * 75
        assert torch.allclose(locally_connected(x) + conv.bias[None, :, None, None], conv(x), atol=1e-5)


# --------------------------------------------------------------------------------------------
# Chapter 2, "Direction: the box is not rotationally symmetric"


def test_ch2_box_gain_depends_on_direction_gaussian_does_not():
    """Stripes of 0.2 cycles per pixel: the 5x5 box removes them across the image and keeps
    H(0.2 / sqrt 2)^2 of them at 45 degrees, H(f) = sin(5 pi f) / (5 sin(pi f)); the Gaussian of
    the same width scales them alike at every angle (within 1%)."""
    box_row = box_kernel(5).sum(axis=0)
    spread = np.sqrt((box_row * (np.arange(5) - 2) ** 2).sum())
    gauss = np.outer(*[gaussian_kernel(9, spread).sum(axis=0)] * 2)
    ys, xs = np.mgrid[:64, :64]
    inner = np.s_[8:-8, 8:-8]

    def gain(kernel, degrees):
        a = np.radians(degrees)
        wave = np.cos(2 * np.pi * 0.2 * (xs * np.cos(a) + ys * np.sin(a)))
        out = filter2d(0.5 + 0.5 * wave, kernel, padding_mode="reflect")[inner] - 0.5
        return float((out * 0.5 * wave[inner]).sum() / ((0.5 * wave[inner]) ** 2).sum())

    f = 0.2 / np.sqrt(2)
    assert abs(gain(box_kernel(5), 0)) < 1e-12
    assert gain(box_kernel(5), 45) == pytest.approx((np.sin(5 * np.pi * f) / (5 * np.sin(np.pi * f))) ** 2)
    gauss_gains = [gain(gauss, a) for a in (0, 15, 30, 45, 60, 75, 90)]
    assert max(gauss_gains) / min(gauss_gains) < 1.01
