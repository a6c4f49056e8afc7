"""Checks that chapters 1 and 2 used to print, kept here so the chapters show one check per idea.

Each test rebuilds what the chapter builds, with the same inputs and seeds, and asserts what the
chapter's cell printed. Chapter 1 keeps one visible check that cnnkit's convolution agrees with
PyTorch (the worked example: ``conv2d_loop == conv2d == torch``); its repeat on the colour
photograph lives here.
"""

from __future__ import annotations

import numpy as np
import torch
from skimage.transform import resize
from torch import nn

from cnnkit.data import load_image
from cnnkit.ops import conv2d
from cnnkit.ops.filters import box_kernel, sobel_kernels

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
    coffee = resize(original[:, left:left + crop_width], (*target, 3), anti_aliasing=True)

    sx = np.pad(sobel_kernels()[0], 1)
    box5 = box_kernel(5)
    zero = np.zeros((5, 5))
    designed = [
        [sx / 3, sx / 3, sx / 3],
        [sx.T / 3, sx.T / 3, sx.T / 3],
        [box5 / 3, box5 / 3, box5 / 3],
        [box5, -box5, zero],
        [-box5 / 2, -box5 / 2, box5],
        list(rng.normal(scale=75 ** -0.5, size=(3, 5, 5))),
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
