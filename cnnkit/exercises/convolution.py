"""Checkers of the convolution exercises: cross-correlation, zero padding and stride.

The references are :func:`cnnkit.ops.correlate2d` and :func:`cnnkit.ops.pad2d`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnkit.exercises.cases import LAPLACIAN, LECTURE_IMAGE, rounded_normal, seeded_rng
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.ops import correlate2d, pad2d

__all__ = ["check_correlate2d", "check_pad2d", "check_conv2d_strided"]


def check_correlate2d(func: Callable) -> CheckResult:
    """Check ``func(x, w)``: the valid cross-correlation of a 2-D image with a 2-D kernel.

    The reader's function::

        def correlate2d(x, w):
            \"\"\"x: (H, W), w: (kH, kW) -> y: (H - kH + 1, W - kW + 1) with
            y[u, v] = sum over i, j of x[u + i, v + j] * w[i, j]   (the kernel is not flipped)\"\"\"

    Reference: :func:`cnnkit.ops.correlate2d`. Cases: the lecture's 5x5 image with the
    Laplacian, an asymmetric kernel, a kernel as large as the image, non-square images and
    kernels, a 1x1 float kernel on an integer image (the output has fractions, which an output
    array of the image's dtype would truncate, as ``np.zeros_like(x)`` does), then 6 random ones.

    Example:
        >>> from cnnkit.ops import correlate2d
        >>> check_correlate2d(correlate2d)
        passed: 11 cases
    """
    fixed = [
        Case(
            (LECTURE_IMAGE, LAPLACIAN),
            hint="the lecture's example: work out the top-left output by hand, from the 3x3 window under the kernel",
        ),
        Case(
            (np.arange(16).reshape(4, 4), np.array([[1, 0], [0, -1]])),
            hint="an asymmetric kernel: cross-correlation slides w as it is; flipping it first would be a convolution",
        ),
        Case(
            (np.arange(9).reshape(3, 3), np.array([[1, 2, 3], [0, 1, 0], [-1, 0, 2]])),
            hint="the kernel is as large as the image: it fits in exactly one position",
        ),
        Case(
            (np.arange(24).reshape(4, 6) % 7, np.array([[1, 0, -1], [2, 1, 0]])),
            hint="non-square image and kernel: the rows depend on H and kH, the columns on W and kW",
        ),
        Case(
            (np.arange(10).reshape(5, 2), np.array([[0.5]])),
            hint="a 1x1 kernel of 0.5 on a tall 5x2 image of integers: do the loops reach every row and every "
            "column, and does the output keep the fractions (an output array of the image's integer dtype drops them)?",
        ),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(6):
        h, w = rng.integers(2, 7, size=2)
        kh, kw = rng.integers(1, h + 1), rng.integers(1, w + 1)
        random.append(Case((rounded_normal(rng, (h, w)), rounded_normal(rng, (kh, kw)))))
    return check(func, correlate2d, fixed + random, names=["x", "w"], fixed=len(fixed))


def check_pad2d(func: Callable) -> CheckResult:
    """Check ``func(x, p)``: surround a 2-D array with ``p`` zeros on every side.

    The reader's function::

        def pad2d(x, p):
            \"\"\"x: (H, W), p: int >= 0 -> (H + 2p, W + 2p), x in the middle, zeros around it\"\"\"

    Reference: :func:`cnnkit.ops.pad2d`. Cases: a 3x3 image with ``p = 1``, ``p = 0``, a
    non-square image, a 1x1 image with a padding wider than it, then 4 random ones.

    Example:
        >>> from cnnkit.ops import pad2d
        >>> check_pad2d(pad2d)
        passed: 9 cases
    """
    fixed = [
        Case((np.arange(1, 10).reshape(3, 3), 1), hint="p zeros on every side: above, below, left and right of x"),
        Case((np.arange(1, 10).reshape(3, 3), 0), hint="p = 0: there is nothing to add"),
        Case(
            (np.arange(1, 9).reshape(2, 4), 2),
            hint="a non-square image: the height and the width each grow from their own size",
        ),
        Case((np.array([[7]]), 3), hint="the padding is wider than the image: the zeros still go on all four sides"),
        Case(
            (-np.arange(1, 7).reshape(3, 2), 1),
            hint="negative values: the border is zeros, whatever the values of x",
        ),
    ]
    rng = seeded_rng()
    random = [Case((rounded_normal(rng, tuple(rng.integers(1, 5, size=2))), int(rng.integers(0, 3)))) for _ in range(4)]
    return check(func, pad2d, fixed + random, names=["x", "p"], fixed=len(fixed))


def _correlate_strided(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """:func:`cnnkit.ops.correlate2d` with the stride passed positionally (it is keyword-only there)."""
    return correlate2d(x, w, stride=stride)


def check_conv2d_strided(func: Callable) -> CheckResult:
    """Check ``func(x, w, stride)``: valid cross-correlation taking every ``stride``-th window.

    The reader's function::

        def conv2d_strided(x, w, stride):
            \"\"\"x: (H, W), w: (kH, kW), stride: int >= 1 -> y: (H_out, W_out) with
            H_out = (H - kH) // stride + 1 (a last, incomplete window is dropped) and
            y[u, v] = sum over i, j of x[stride*u + i, stride*v + j] * w[i, j]\"\"\"

    Reference: :func:`cnnkit.ops.correlate2d` with ``stride=``. Cases: the lecture's 5x5 image
    with stride 2, sizes where the stride leaves samples over, stride 1, a kernel as large as
    the image, a non-square image and kernel, a stride larger than the kernel (a float kernel on
    an integer image, whose fractions an integer output array would truncate), then 5 random.

    Example:
        >>> from cnnkit.ops import correlate2d
        >>> check_conv2d_strided(lambda x, w, stride: correlate2d(x, w, stride=stride))
        passed: 12 cases
    """
    fixed = [
        Case((LECTURE_IMAGE, LAPLACIAN, 2), hint="the window moves by stride samples, both down and across"),
        Case(
            (np.arange(36).reshape(6, 6) % 5, np.array([[1, 0, 0], [0, 2, 0], [0, 0, -1]]), 2),
            hint="the stride does not divide 6 - 3: a last window that would stick out of the image is dropped",
        ),
        Case(
            (np.arange(16).reshape(4, 4), np.array([[1, 0], [0, -1]]), 1),
            hint="stride 1: every position, as in plain cross-correlation",
        ),
        Case(
            (np.arange(9).reshape(3, 3), np.array([[1, 2, 3], [0, 1, 0], [-1, 0, 2]]), 3),
            hint="the kernel is as large as the image: one window, whatever the stride",
        ),
        Case(
            (np.arange(30).reshape(5, 6) % 4, np.array([[1, -1, 2], [0, 1, 3]]), 3),
            hint="non-square image and kernel: the rows come from H and kH, the columns from W and kW",
        ),
        Case(
            (np.arange(36).reshape(6, 6) % 7, np.full((2, 2), 0.25), 3),
            hint="the stride is larger than the kernel: some samples lie between windows and are never read; and "
            "this float kernel (a 2x2 mean) on an integer image gives fractions, which an integer output array drops",
        ),
        Case(
            (np.arange(35).reshape(7, 5) % 6, np.array([[2, -1]]), 2),
            hint="a 1x2 kernel on a 7x5 image: count the windows along each axis separately",
        ),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(5):
        h, w = rng.integers(3, 7, size=2)
        kh, kw = rng.integers(1, h + 1), rng.integers(1, w + 1)
        random.append(Case((rounded_normal(rng, (h, w)), rounded_normal(rng, (kh, kw)), int(rng.integers(1, 4)))))
    return check(func, _correlate_strided, fixed + random, names=["x", "w", "stride"], fixed=len(fixed))
