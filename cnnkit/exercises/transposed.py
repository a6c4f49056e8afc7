"""Checkers of the transposed convolution exercises: scattering copies of the kernel, and the
convolution matrix.

The references are :func:`cnnkit.ops.conv_transpose2d_scatter` and :func:`cnnkit.ops.conv_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnkit.exercises.cases import rounded_normal, seeded_rng
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.ops import conv_matrix, conv_transpose2d_scatter

__all__ = ["check_conv_transpose2d", "check_conv_matrix"]


def _transpose_scatter(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """:func:`cnnkit.ops.conv_transpose2d_scatter` on one 2-D map (it takes (N, C, H, W))."""
    return conv_transpose2d_scatter(x[None, None], w[None, None], stride=stride)[0, 0]


def check_conv_transpose2d(func: Callable) -> CheckResult:
    """Check ``func(x, w, stride)``: transposed convolution of a 2-D map, by scattering.

    The reader's function::

        def conv_transpose2d(x, w, stride):
            \"\"\"x: (H, W), w: (kH, kW), stride: int >= 1 ->
            y: ((H - 1) * stride + kH, (W - 1) * stride + kW). Every input value x[u, v] adds
            x[u, v] * w (the kernel, not flipped) to y with its top-left corner at
            (stride * u, stride * v); where the copies overlap they add up.\"\"\"

    Reference: :func:`cnnkit.ops.conv_transpose2d_scatter` (no padding, no output padding).
    Cases: the lecture's 2x2 map with a 2x2 kernel of ones and stride 2 (copies side by side),
    a row with a 1x3 kernel and stride 2 (copies overlap), an asymmetric kernel with stride 1,
    a stride larger than the kernel (gaps of zeros), a non-square kernel, then 5 random ones.

    Example:
        >>> from cnnkit.ops import conv_transpose2d_scatter
        >>> check_conv_transpose2d(
        ...     lambda x, w, stride: conv_transpose2d_scatter(x[None, None], w[None, None], stride=stride)[0, 0])
        passed: 11 cases
    """
    fixed = [
        Case(
            (np.array([[1, 2], [3, 4]]), np.ones((2, 2), dtype=int), 2),
            hint="the lecture's example: each input value places one scaled copy of the kernel; here they lie side by side",
        ),
        Case(
            (np.array([[1, 2]]), np.array([[1, 1, 1]]), 2),
            hint="the two copies overlap by one sample: what happens to a sample that both copies reach?",
        ),
        Case(
            (np.array([[1, 2], [3, 4]]), np.array([[1, 0, 2], [0, -1, 0], [3, 0, 1]]), 1),
            hint="an asymmetric kernel with stride 1: each copy is w as it is, not flipped",
        ),
        Case(
            (np.array([[1, -1, 2], [2, 0, 1]]), np.array([[1, 2], [3, 4]]), 3),
            hint="the stride is larger than the kernel: the copies are stride apart, with zeros between them",
        ),
        Case(
            (np.array([[2, 1], [0, 3], [1, 1]]), np.array([[1, 2, 3], [-1, 0, 1]]), 2),
            hint="a non-square kernel: the rows come from H and kH, the columns from W and kW",
        ),
        Case((np.array([[5]]), np.array([[1, 2], [3, 4]]), 2), hint="one input value: one copy of the kernel"),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(5):
        h, w = rng.integers(1, 4, size=2)
        kh, kw = rng.integers(1, 4, size=2)
        random.append(Case((rounded_normal(rng, (h, w)), rounded_normal(rng, (kh, kw)), int(rng.integers(1, 4)))))
    return check(func, _transpose_scatter, fixed + random, names=["x", "w", "stride"], fixed=len(fixed))


def _conv_matrix(w: np.ndarray, input_shape: tuple[int, int]) -> np.ndarray:
    """:func:`cnnkit.ops.conv_matrix` in the exercise's argument order, as floats.

    The library takes ``(input_shape, kernel)`` and keeps an integer kernel's dtype; the
    exercise passes ``(w, input_shape)`` and the reader fills ``np.zeros``, so the expected
    matrix is float, as the messages have always shown it.
    """
    return conv_matrix(input_shape, w).astype(np.float64)


def check_conv_matrix(func: Callable) -> CheckResult:
    """Check ``func(w, input_shape)``: a valid cross-correlation written as one matrix.

    The reader's function::

        def conv_matrix(w, input_shape):
            \"\"\"w: (kH, kW), input_shape: (H, W) -> M: (H_out * W_out, H * W), with
            H_out = H - kH + 1, W_out = W - kW + 1, such that for every image x of that shape
                M @ x.ravel() == correlate2d(x, w).ravel()
            (row-major ravel; row u * W_out + v of M holds w at the positions of window (u, v)).\"\"\"

    Reference: :func:`cnnkit.ops.conv_matrix` (which takes ``input_shape`` first); its column
    ``j`` is the correlation of the ``j``-th unit image (a 1 at flat index ``j``): a linear map
    is known by the images of the basis. Cases: a 2x2 kernel on a 3x3 image, a row kernel on a
    2x4 image, a non-square kernel on a 4x3 image, a 1x1 kernel (a multiple of the identity), a
    kernel as large as the image (one row), then 4 random ones.

    Example:
        >>> from cnnkit.ops import correlate2d
        >>> def by_units(w, input_shape):
        ...     units = np.eye(np.prod(input_shape)).reshape(-1, *input_shape)
        ...     return np.stack([correlate2d(e, w).ravel() for e in units], axis=1)
        >>> check_conv_matrix(by_units)
        passed: 9 cases
        >>> "wrong shape: expected (4, 9), got (9, 4)" in check_conv_matrix(lambda w, s: by_units(w, s).T).message
        True
    """
    fixed = [
        Case(
            (np.array([[1, 2], [3, 4]]), (3, 3)),
            hint="one row per output position, one column per input pixel; a row holds w, not flipped, at its window",
        ),
        Case(
            (np.array([[1, 0, -1]]), (2, 4)),
            hint="flatten row by row, as x.ravel() does: pixel (i, j) of an H x W image is entry i * W + j",
        ),
        Case(
            (np.array([[2, -1], [0, 1], [1, 3]]), (4, 3)),
            hint="a non-square kernel on a non-square image: H_out comes from H and kH, W_out from W and kW",
        ),
        Case((np.array([[5]]), (2, 3)), hint="a 1x1 kernel: each output position sees exactly one pixel"),
        Case((np.arange(9).reshape(3, 3) - 4, (3, 3)), hint="the kernel is as large as the image: a single window"),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(4):
        h, wd = (int(v) for v in rng.integers(1, 6, size=2))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, wd + 1))
        random.append(Case((rounded_normal(rng, (kh, kw)), (h, wd))))
    return check(func, _conv_matrix, fixed + random, names=["w", "input_shape"], fixed=len(fixed))
