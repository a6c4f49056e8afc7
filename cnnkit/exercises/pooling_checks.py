"""Checkers of the pooling exercises: max pooling, its gradient, and average pooling as a convolution.

The three checkers share the same hand-picked maps, each with hints of its own.
The references are :func:`cnnkit.ops.max_pool2d` and :func:`cnnkit.ops.avg_pool2d` (which take
(N, C, H, W) arrays: the 2-D map is given two leading axes), and PyTorch's autograd for the
gradient (cnnkit.ops has the forward pass only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit.exercises.cases import POOL_EXAMPLE, distinct_values, seeded_rng
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.ops import avg_pool2d, max_pool2d

__all__ = ["check_max_pool2d", "check_max_pool2d_backward", "check_avg_pool_as_conv"]

# The hand-picked (x, k) of the pooling checkers, in order: the lecture's example, a size that
# the window does not divide, a non-square map, an all-negative map, a 3x3 window, and a
# window as large as the map.
_POOL_MAPS = [
    (POOL_EXAMPLE, 2),
    (np.arange(25).reshape(5, 5) % 7, 2),
    (np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8], [9, 7, 9, 3, 2, 3], [8, 4, 6, 2, 6, 4]]), 2),
    (-np.arange(1, 17).reshape(4, 4), 2),
    (np.arange(54).reshape(6, 9) % 11, 3),
    (np.array([[1, 5, 2], [4, 3, 6], [0, 8, 7]]), 3),
]
_DROPPED = "5 is not a multiple of 2: the last row and column fill no whole window"


def _random_maps(n: int) -> list[tuple[np.ndarray, int]]:
    rng = seeded_rng()
    cases = []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        h, w = rng.integers(k, 7, size=2)
        cases.append((distinct_values(rng, (h, w)), k))
    return cases


def _cases(hints: Sequence[str]) -> list[Case]:
    """The hand-picked maps with one hint each, then 5 random maps."""
    return [Case(args, hint=hint) for args, hint in zip(_POOL_MAPS, hints, strict=True)] + [
        Case(args) for args in _random_maps(5)
    ]


def _max_pool(x: np.ndarray, k: int) -> np.ndarray:
    return max_pool2d(x[None, None], k)[0, 0]


def check_max_pool2d(func: Callable) -> CheckResult:
    """Check ``func(x, k)``: max pooling of a 2-D map with a k x k window and stride k.

    The reader's function::

        def max_pool2d(x, k):
            \"\"\"x: (H, W), k: int >= 1 -> y: (H // k, W // k) with
            y[u, v] = max of x[k*u : k*u + k, k*v : k*v + k]
            (rows and columns that do not fill a whole window are dropped)\"\"\"

    Reference: :func:`cnnkit.ops.max_pool2d`. Cases: the lecture's 4x4 example, a size that
    the window does not divide, a non-square map, an all-negative map, a 3x3 window, a window
    as large as the map, then 5 random ones.

    Example:
        >>> from cnnkit.ops import max_pool2d
        >>> check_max_pool2d(lambda x, k: max_pool2d(x[None, None], k)[0, 0])
        passed: 11 cases
    """
    hints = [
        "the lecture's example: 2x2 windows side by side (stride 2), the largest value of each",
        f"{_DROPPED}: they are dropped",
        "a non-square map: the rows come from H, the columns from W",
        "every value is negative: what does a running maximum that starts at 0 return?",
        "3x3 windows move by 3: they neither overlap nor leave gaps",
        "the window is the whole map: one output",
    ]
    return check(func, _max_pool, _cases(hints), names=["x", "k"], fixed=len(_POOL_MAPS))


def _max_pool_backward(x: np.ndarray, k: int, grad_out: np.ndarray) -> np.ndarray:
    """The gradient of max pooling by PyTorch's autograd (cnnkit.ops has only the forward)."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(t[None, None], k).backward(torch.as_tensor(grad_out, dtype=torch.float64)[None, None])
    assert t.grad is not None  # set by backward()
    return t.grad.numpy()


def check_max_pool2d_backward(func: Callable) -> CheckResult:
    """Check ``func(x, k, grad_out)``: the gradient of max pooling (k x k, stride k).

    The reader's function::

        def max_pool2d_backward(x, k, grad_out):
            \"\"\"x: (H, W), k: int, grad_out: (H // k, W // k), the gradient of the loss with
            respect to max_pool2d(x, k) -> grad_in: (H, W), the gradient with respect to x.
            Each grad_out[u, v] goes, whole, to the position of the maximum of window (u, v);
            every other position (and any row or column outside every window) gets 0.\"\"\"

    Ties: when a window holds its maximum twice, PyTorch gives the gradient to the first one
    in row-major order. The cases here have no ties, so either choice passes.

    Reference: PyTorch's autograd through ``torch.nn.functional.max_pool2d``. Cases: those of
    :func:`check_max_pool2d` (ties broken), each with its own ``grad_out`` of distinct values.

    Example:
        >>> import torch, torch.nn.functional as F
        >>> def by_autograd(x, k, grad_out):
        ...     t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        ...     F.max_pool2d(t[None, None], k).backward(torch.tensor(grad_out)[None, None])
        ...     return t.grad.numpy()
        >>> check_max_pool2d_backward(by_autograd)
        passed: 11 cases
    """
    hints = [
        "the lecture's example: only the maximum of a window changes the output, so only it gets gradient",
        f"{_DROPPED}: no output depends on them, so their gradient is 0",
        "a non-square map: the gradient has the shape of x",
        "every value is negative: the maximum is the value closest to zero",
        "3x3 windows: find the maximum's row and column inside the window, then offset them by the window's corner",
        "one window, the whole map: one position receives grad_out",
    ]
    cases = []
    for number, case in enumerate(_cases(hints)):
        x, k = case.args
        if number < len(_POOL_MAPS):  # break the ties of the hand-picked maps
            x = x + np.arange(x.size).reshape(x.shape) / 100
        out_shape = (x.shape[0] // k, x.shape[1] // k)
        n = int(np.prod(out_shape))
        grad_out = (np.arange(1, n + 1) * (-1) ** np.arange(n)).reshape(out_shape).astype(float)
        cases.append(Case((x, k, grad_out), hint=case.hint))
    return check(func, _max_pool_backward, cases, names=["x", "k", "grad_out"], fixed=len(_POOL_MAPS))


def _avg_pool(x: np.ndarray, k: int) -> np.ndarray:
    return avg_pool2d(x[None, None], k)[0, 0]


def check_avg_pool_as_conv(func: Callable) -> CheckResult:
    """Check ``func(x, k)``: average pooling computed as a convolution with a box kernel.

    The reader's function::

        def avg_pool_as_conv(x, k):
            \"\"\"x: (H, W), k: int >= 1 -> y: (H // k, W // k), the mean of each k x k window,
            computed as a cross-correlation of x with a k x k kernel of 1 / k**2 and stride k
            (no padding: rows and columns that do not fill a whole window are dropped)\"\"\"

    Only the result is checked: the reference is :func:`cnnkit.ops.avg_pool2d`. Cases: those of
    :func:`check_max_pool2d`.

    Example:
        >>> from cnnkit.ops import avg_pool2d
        >>> check_avg_pool_as_conv(lambda x, k: avg_pool2d(x[None, None], k)[0, 0])
        passed: 11 cases
    """
    hints = [
        "the lecture's example: integers in, but a mean of four integers is often a fraction",
        f"{_DROPPED}: they are dropped, not padded with zeros",
        "a non-square map: the rows come from H, the columns from W",
        "every value is negative, and so is every mean",
        "a 3x3 box kernel: its k * k weights are equal and sum to 1, and it moves by k",
        "the window is the whole map: one output, the mean of every value",
    ]
    return check(func, _avg_pool, _cases(hints), names=["x", "k"], fixed=len(_POOL_MAPS))
