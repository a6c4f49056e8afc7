"""Checkers of the classical filtering exercises: the Gaussian kernel and PSNR.

The references are :func:`cnnkit.ops.gaussian_kernel` and :func:`cnnkit.ops.psnr`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from cnnkit.exercises.cases import seeded_rng
from cnnkit.exercises.compare import compare_numbers
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.ops import gaussian_kernel, psnr

__all__ = ["check_gaussian_kernel", "check_psnr"]


def check_gaussian_kernel(func: Callable) -> CheckResult:
    """Check ``func(size, sigma)``: a normalised 2-D Gaussian blur kernel.

    The reader's function::

        def gaussian_kernel(size, sigma):
            \"\"\"size: odd int >= 1, sigma: float > 0 -> g: (size, size) with
            g[i, j] proportional to exp(-(x_i**2 + x_j**2) / (2 * sigma**2)),
            x_i = i - (size - 1) / 2 (so the centre pixel is at x = 0), divided by its sum
            so that g.sum() == 1.\"\"\"

    Reference: :func:`cnnkit.ops.gaussian_kernel` (the Gaussian sampled at the pixel centres and
    normalised to sum 1, not by the continuous ``1 / (2 pi sigma**2)``). Cases: the lecture's
    5x5 with sigma 1, the 3x3 with sigma 0.5, a 7x7 with sigma 2, a single pixel, a small sigma
    in a wide kernel, a large sigma in a 3x3 one (almost a box), then 5 random odd sizes.

    Example:
        >>> from cnnkit.ops import gaussian_kernel
        >>> check_gaussian_kernel(gaussian_kernel)
        passed: 11 cases
        >>> def unnormalised(size, sigma):
        ...     x = np.arange(size) - (size - 1) / 2
        ...     return np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
        >>> print(check_gaussian_kernel(unnormalised).message.splitlines()[-2])
        first difference at index (0, 0): expected 0.0029690167, got 0.018315639 (25 of 25 entries differ)
    """
    fixed = [
        Case(
            (5, 1.0),
            hint="the lecture's 5x5 kernel: symmetric about the centre pixel, and a blur keeps the image's mean (what is g.sum()?)",
        ),
        Case((3, 0.5), hint="sigma 0.5: the exponent divides by 2 * sigma**2, sigma squared"),
        Case((7, 2.0), hint="a 7x7 kernel: x = 0 at the centre pixel, index 3, and the kernel is symmetric about it"),
        Case((1, 1.0), hint="a single pixel: after normalising, it holds all the weight"),
        Case((9, 0.8), hint="a small sigma in a wide kernel: the corners are tiny but not zero"),
        Case((3, 5.0), hint="a large sigma: almost a box filter, but the centre still weighs the most"),
    ]
    rng = seeded_rng()
    random = [Case((int(2 * rng.integers(0, 5) + 1), round(float(rng.uniform(0.3, 3.0)), 2))) for _ in range(5)]
    return check(func, gaussian_kernel, fixed + random, names=["size", "sigma"], fixed=len(fixed))


def check_psnr(func: Callable) -> CheckResult:
    """Check ``func(reference, image, data_range=1.0)``: the peak signal-to-noise ratio in dB.

    The reader's function::

        def psnr(reference, image, data_range=1.0):
            \"\"\"reference, image: arrays of the same shape (grey or colour), not identical;
            data_range: the largest possible value minus the smallest (1.0 for images in [0, 1],
            255 for 8-bit ones) -> 10 * log10(data_range**2 / MSE), a float, where MSE is the
            mean of (reference - image)**2 over all entries.\"\"\"

    Reference: :func:`cnnkit.ops.psnr`. Cases: a constant error of 0.1 (20 dB), a grey image
    with unequal errors, 8-bit images with ``data_range=255``, a colour image, then 4 random
    ones; some cases leave ``data_range`` out, so that its default is checked too. No case has
    identical images (infinite PSNR). Tolerance: ``rtol=1e-6``.

    Example:
        >>> from cnnkit.ops import psnr
        >>> check_psnr(psnr)
        passed: 9 cases
        >>> def rmse_without_20(reference, image, data_range=1.0):
        ...     return 10 * np.log10(data_range / np.sqrt(np.mean((reference - image) ** 2)))
        >>> print(check_psnr(rmse_without_20).message.splitlines()[-2])
        expected 20.0, got 10.0
    """
    grey = np.array([[0.0, 0.2, 0.4, 0.6], [0.1, 0.3, 0.5, 0.7], [0.2, 0.4, 0.6, 0.8]])
    eight_bit = np.arange(12.0).reshape(3, 4) * 20
    colour = np.array([[[0.9, 0.1, 0.1], [0.2, 0.8, 0.3]], [[0.5, 0.5, 0.5], [0.0, 0.1, 1.0]]])
    fixed = [
        Case(
            (np.zeros((4, 4)), np.full((4, 4), 0.1)),
            hint="a constant error of 0.1 on images in [0, 1]: one number, in decibels, 10 log10 of a ratio of squared values",
        ),
        Case(
            (grey, grey + np.array([[0.05, 0.0, -0.1, 0.0], [0.0, 0.2, 0.0, 0.0], [0.0, 0.0, 0.0, -0.05]])),
            hint="unequal errors, some of them zero: average the squared errors over every entry",
        ),
        Case(
            (
                eight_bit,
                eight_bit + np.array([[3.0, -5.0, 0.0, 1.0], [0.0, 2.0, 0.0, -4.0], [6.0, 0.0, 0.0, 0.0]]),
                255,
            ),
            hint="8-bit images, data_range=255: the peak is data_range, not 1",
        ),
        Case(
            (colour, np.clip(colour + 0.1 * np.array([1.0, -1.0, 0.5]), 0, 1), 1.0),
            hint="a colour image (H, W, 3): one MSE over all entries, the channels included",
        ),
        Case((eight_bit, np.full((3, 4), 100.0), 255), hint="a large error: the PSNR is low"),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(4):
        shape = tuple(int(v) for v in rng.integers(2, 6, size=2)) + ((3,) if rng.integers(0, 2) else ())
        data_range = [1.0, 255.0][int(rng.integers(0, 2))]
        reference = rng.uniform(0, 1, shape).round(2) * data_range
        image = reference + (0.1 * rng.standard_normal(shape)).round(2) * data_range
        image.flat[0] += 0.05 * data_range  # never identical
        random.append(Case((reference, image, data_range)))
    compare = partial(compare_numbers, rtol=1e-6)
    return check(
        func, psnr, fixed + random, compare=compare, names=["reference", "image", "data_range"], fixed=len(fixed)
    )
