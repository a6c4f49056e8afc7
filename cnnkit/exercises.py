"""Checkers for the implement-it exercises: write the function, then let cnnkit compare it.

In these exercises the reader writes a small function in a code cell (the stub gives its
signature and docstring) and passes it to a checker, for example
``check_correlate2d(my_correlate2d)``. The checker calls the reader's function and cnnkit's
reference on the same inputs: first a few fixed cases picked by hand (the lecture's small
examples and the edge cases: a kernel as large as the input, a stride greater than 1,
non-square arrays), then seeded random ones (``np.random.default_rng(0)``), so that every run
sees the same cases. It stops at the first disagreement and returns a :class:`CheckResult`,
which a notebook (Jupyter or Colab) shows as a short green or red box:

- ``passed: 11 cases``, or
- ``failed on case 2 of 11 (fixed)``, followed by the input, what was expected and what came
  back. Arrays of at most 36 entries are printed in full; larger ones by their shape, with the
  first index at which the two differ. If the reader's function raises an exception, the result
  names its type, its message and the input; the traceback is not shown.

Arrays are compared by shape first (a wrong shape is reported as such), then with
``np.allclose(actual, expected, rtol=1e-5, atol=1e-8)`` (:func:`compare_arrays`); counts with
``==`` (:func:`compare_numbers`). The failing case's arguments, expected and actual values are
kept on the result (``result.inputs``, ``result.expected``, ``result.actual``) to inspect.

The checkers, each with the signature of the reader's function in its docstring:

====================================  =====================================================
:func:`check_correlate2d`             ``f(x, w)``: valid cross-correlation, with loops
:func:`check_pad2d`                   ``f(x, p)``: zero padding, ``p`` samples per side
:func:`check_conv2d_strided`          ``f(x, w, stride)``: valid cross-correlation with a stride
:func:`check_max_pool2d`              ``f(x, k)``: max pooling, stride ``k``
:func:`check_max_pool2d_backward`     ``f(x, k, grad_out)``: its gradient with respect to ``x``
:func:`check_avg_pool_as_conv`        ``f(x, k)``: average pooling as a strided convolution
:func:`check_conv_transpose2d`        ``f(x, w, stride)``: transposed convolution by scattering
:func:`check_conv_params`             ``f(c_in, c_out, k, bias=True)``: a layer's parameters
:func:`check_receptive_field`         ``f(layers)``: the receptive field of a stack
:func:`check_cam`                     ``f(features, weights, class_idx)``: class activation map
:func:`check_gradient_ascent_step`    ``f(x, model, channel, lr)``: one normalised ascent step
====================================  =====================================================

Example:
    >>> from cnnkit.ops import convolve2d, correlate2d
    >>> check_correlate2d(correlate2d)
    passed: 11 cases
    >>> check_correlate2d(convolve2d)   # a true convolution flips the kernel
    failed on case 2 of 11 (fixed)
    input:
      x = [[ 0  1  2  3]
           [ 4  5  6  7]
           [ 8  9 10 11]
           [12 13 14 15]]
      w = [[ 1  0]
           [ 0 -1]]
    expected (shape (3, 3)):
      [[-5 -5 -5]
       [-5 -5 -5]
       [-5 -5 -5]]
    got (shape (3, 3)):
      [[5 5 5]
       [5 5 5]
       [5 5 5]]
    first difference at index (0, 0): expected -5, got 5 (9 of 9 entries differ)
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from numbers import Number
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit.models.zoo import parameter_count
from cnnkit.ops import avg_pool2d, conv_transpose2d_scatter, correlate2d, max_pool2d, pad2d
from cnnkit.shapes import receptive_field
from cnnkit.viz.cam import class_activation_map
from cnnkit.viz.featvis import ChannelObjective, normalised_step

__all__ = [
    "CheckResult",
    "check",
    "compare_arrays",
    "compare_numbers",
    "tiny_conv_model",
    "check_correlate2d",
    "check_pad2d",
    "check_conv2d_strided",
    "check_max_pool2d",
    "check_max_pool2d_backward",
    "check_avg_pool_as_conv",
    "check_conv_transpose2d",
    "check_conv_params",
    "check_receptive_field",
    "check_cam",
    "check_gradient_ascent_step",
]

#: Arrays with at most this many entries are printed in full in a message.
FULL_PRINT_SIZE = 36
#: Longest exception message (characters) quoted in a result.
MAX_ERROR_CHARS = 200
#: The seed of every checker's random cases.
SEED = 0

Compare = Callable[[Any, Any], str | None]


# --------------------------------------------------------------------------------------------
# The core: a result, a runner and two comparisons


@dataclass(frozen=True, repr=False, eq=False)
class CheckResult:
    """The verdict of a checker: passed or not, and a short message saying why.

    A notebook shows it as a green (passed) or red (failed) box holding the message; ``repr``
    is the message itself and ``bool(result)`` is ``passed``, so ``assert check_pad2d(f)``
    works in a test.

    Attributes:
        passed: whether the function agreed with the reference on every case.
        message: ``"passed: N cases"``, or the first failing case with its input, the expected
            and the actual value (or the exception the function raised).
        cases: how many cases were run (all of them when passed; up to the failing one if not).
        inputs: the arguments of the failing case (None when passed).
        expected: the reference's result for that case.
        actual: what the function returned (None if it raised).

    Example:
        >>> r = CheckResult(True, "passed: 3 cases", cases=3)
        >>> r, bool(r)
        (passed: 3 cases, True)
        >>> "passed: 3 cases" in r._repr_html_()
        True
    """

    passed: bool
    message: str
    cases: int = 0
    inputs: tuple | None = None
    expected: Any = None
    actual: Any = None

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        if self.passed:
            mark, border, background, colour = "&#10004;", "#1a7f37", "#e6f4ea", "#0b3d1a"
        else:
            mark, border, background, colour = "&#10008;", "#b42318", "#fdecea", "#5c0f0a"
        return (
            f'<div style="border-left: 4px solid {border}; background: {background}; color: {colour}; '
            'padding: 0.3em 0.7em; margin: 0.2em 0;">'
            '<pre style="margin: 0; background: transparent; color: inherit; white-space: pre-wrap;">'
            f"{mark} {html.escape(self.message)}</pre></div>"
        )


def _to_numpy(value: Any) -> Any:
    """A torch tensor as a numpy array; anything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _fresh(value: Any) -> Any:
    """A copy of an argument, so that a function that changes its input in place cannot change
    the case (or what the other function sees). Modules are shared, not copied."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    return value


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _format_array(a: np.ndarray, prefix: str = "") -> str:
    """A small array in full (aligned after ``prefix``), a large one by its shape."""
    if a.size > FULL_PRINT_SIZE:
        return f"array of shape {a.shape}, dtype {a.dtype}"
    with np.printoptions(precision=4, suppress=True, threshold=FULL_PRINT_SIZE, linewidth=88):
        return np.array2string(a, prefix=prefix)


def _format_value(value: Any, prefix: str = "") -> str:
    value = _to_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return _format_array(value, prefix)
    if isinstance(value, nn.Module):
        n = sum(p.numel() for p in value.parameters())
        return f"{type(value).__name__} with {n} parameters"
    text = repr(value.item() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 120 else text[:117] + "..."


def _scalar(value: Any) -> str:
    """One number, floats to 8 significant digits."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(float(f"{value:.8g}")) if isinstance(value, float) else repr(value)


def compare_arrays(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-8) -> str | None:
    """Compare an array with the expected one: None if they agree, else what differs.

    The shape is compared first; then the values with
    ``np.allclose(actual, expected, rtol=rtol, atol=atol)``. Torch tensors and nested lists are
    converted to numpy arrays.

    Args:
        actual: what the function returned.
        expected: the reference's result, an array.
        rtol, atol: the tolerances of ``np.allclose``.

    Returns:
        None when they agree; otherwise one short paragraph: the wrong shape, or the expected
        and actual arrays (in full when small) and the first index at which they differ.

    Example:
        >>> print(compare_arrays(np.ones((2, 2)), np.ones((2, 3))))
        wrong shape: expected (2, 3), got (2, 2)
        expected (shape (2, 3)):
          [[1. 1. 1.]
           [1. 1. 1.]]
        got (shape (2, 2)):
          [[1. 1.]
           [1. 1.]]
        >>> compare_arrays([[1, 2], [3, 5]], np.array([[1, 2], [3, 4]])).splitlines()[-1]
        'first difference at index (1, 1): expected 4, got 5 (1 of 4 entries differ)'
        >>> compare_arrays(np.array([0.1 + 0.2]), np.array([0.3])) is None
        True
    """
    if actual is None:
        return "got None: did the function forget to return its result?"
    e = np.asarray(_to_numpy(expected))
    try:
        a = np.asarray(_to_numpy(actual))
    except (TypeError, ValueError) as err:  # a ragged list, say
        return f"expected an array of shape {e.shape}; got a {type(actual).__name__} that is not an array ({err})"
    if a.dtype.kind not in "biuf":
        return f"expected a numeric array of shape {e.shape}; got {_format_value(actual)} (dtype {a.dtype})"
    parts = []
    if a.shape != e.shape:
        parts.append(f"wrong shape: expected {e.shape}, got {a.shape}")
    else:
        close = np.isclose(a, e, rtol=rtol, atol=atol)
        if close.all():
            return None
    if min(a.size, e.size) <= FULL_PRINT_SIZE:  # large arrays are described by the other lines
        parts.append(f"expected (shape {e.shape}):\n{_indent(_format_array(e))}")
        parts.append(f"got (shape {a.shape}):\n{_indent(_format_array(a))}")
    if a.shape == e.shape:
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        at = index if len(index) != 1 else index[0]
        parts.append(
            f"first difference at index {at}: expected {_scalar(e[index])}, got {_scalar(a[index])} "
            f"({int((~close).sum())} of {close.size} entries differ)"
        )
    return "\n".join(parts)


def compare_numbers(actual: Any, expected: Any) -> str | None:
    """Compare a count (or any number) with the expected one: None if equal, else a message.

    Example:
        >>> compare_numbers(np.int64(7), 7) is None
        True
        >>> compare_numbers(8, 7)
        'expected 7, got 8'
        >>> compare_numbers((7, 7), 7)
        'expected a number (7); got a tuple: (7, 7)'
    """
    if actual is None:
        return "got None: did the function forget to return its result?"
    value = _to_numpy(actual)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Number):
        return f"expected a number ({expected}); got a {type(actual).__name__}: {_format_value(actual)}"
    if value != expected:
        return f"expected {expected}, got {_scalar(actual)}"
    return None


def _is_large(value: Any) -> bool:
    """Whether a message shows ``value`` by its shape only."""
    value = _to_numpy(value)
    return isinstance(value, np.ndarray) and value.size > FULL_PRINT_SIZE


def _where(err: BaseException, func: Callable) -> str:
    """' (line N, in name)' for the deepest frame of the reader's own code, if any."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == code.co_filename]
    return f" (line {frames[-1].lineno}, in {frames[-1].name})" if frames else ""


def check(
    func: Callable,
    reference: Callable,
    cases: Sequence[tuple],
    compare: Compare = compare_arrays,
    names: Sequence[str] | None = None,
    fixed: int | None = None,
) -> CheckResult:
    """Run ``func`` and ``reference`` on every case and stop at the first disagreement.

    Each case is a tuple of positional arguments; both functions get their own copy of it, so
    a function that changes its input in place changes neither the case nor the reference's
    input. Exceptions raised by ``func`` are caught (``Exception``, not ``KeyboardInterrupt``)
    and reported with their type, message and the line of ``func`` that raised; the reference
    is trusted.

    Args:
        func: the function under test.
        reference: the function that gives the expected result.
        cases: tuples of positional arguments, hand-picked ones first.
        compare: ``compare(actual, expected)`` returning None when they agree, or a short
            description of the difference (:func:`compare_arrays`, :func:`compare_numbers`).
        names: the argument names, used in the message; default ``arg0``, ``arg1``, ...
        fixed: how many of the cases are hand-picked (the rest random); only for the message.

    Returns:
        A :class:`CheckResult`: ``passed: N cases``, or the first failing case.

    Example:
        >>> cases = [(np.array([1, -2]),), (np.array([[0.5, -3.0]]),)]
        >>> check(np.abs, lambda x: np.sqrt(x * x), cases, names=["x"])
        passed: 2 cases
        >>> check(lambda x: x, np.abs, cases, names=["x"])
        failed on case 1 of 2
        input:
          x = [ 1 -2]
        expected (shape (2,)):
          [1 2]
        got (shape (2,)):
          [ 1 -2]
        first difference at index 1: expected 2, got -2 (1 of 2 entries differ)
        >>> check(lambda x: x[5], np.abs, cases, names=["x"]).message.splitlines()[1]
        'your function raised IndexError: index 5 is out of bounds for axis 0 with size 2 (line 1, in <lambda>)'
    """
    if not callable(func):
        hint = " (pass the function itself, without calling it: check(f), not check(f(x)))"
        return CheckResult(False, f"expected a function; got {_format_value(func)}{hint}")
    total = len(cases)
    for number, case in enumerate(cases, start=1):
        case = tuple(case)
        arg_names = list(names) if names is not None else [f"arg{i}" for i in range(len(case))]
        expected = reference(*_fresh(case))
        kind = "" if fixed is None else (" (fixed)" if number <= fixed else f" (random, seed {SEED})")
        header = f"failed on case {number} of {total}{kind}"
        inputs = "input:\n" + "\n".join(
            f"  {name} = {_format_value(arg, prefix=f'  {name} = ')}" for name, arg in zip(arg_names, case)
        )
        try:
            actual = func(*_fresh(case))
        except Exception as err:
            text = str(err)
            text = text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
            message = f"{header}\nyour function raised {type(err).__name__}: {text}{_where(err, func)}\n{inputs}"
            if any(_is_large(v) for v in case):
                message += "\n(full values: result.inputs)"
            return CheckResult(False, message, number, case, expected, None)
        try:
            difference = compare(actual, expected)
        except Exception as err:
            difference = f"could not compare the result {_format_value(actual)} with the expected one ({type(err).__name__}: {err})"
        if difference is not None:
            message = f"{header}\n{inputs}\n{difference}"
            if any(_is_large(v) for v in (*case, expected, actual)):
                message += "\n(full values: result.inputs, result.expected, result.actual)"
            return CheckResult(False, message, number, case, expected, actual)
    return CheckResult(True, f"passed: {total} cases", total)


# --------------------------------------------------------------------------------------------
# Case generators (seeded, small enough to print in full)


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def _normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values rounded to 2 decimals: readable in a message."""
    return rng.standard_normal(shape).round(2)


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct values (no ties for a maximum), of both signs, rounded to 2 decimals."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) / 4 + rng.uniform(0, 0.2, n).round(2)).reshape(shape)


LECTURE_IMAGE = np.array(
    [[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0], [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]]
)
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
POOL_EXAMPLE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


# --------------------------------------------------------------------------------------------
# Convolution, padding, stride


def check_correlate2d(func: Callable) -> CheckResult:
    """Check ``func(x, w)``: the valid cross-correlation of a 2-D image with a 2-D kernel.

    The reader's function::

        def correlate2d(x, w):
            \"\"\"x: (H, W), w: (kH, kW) -> y: (H - kH + 1, W - kW + 1) with
            y[u, v] = sum over i, j of x[u + i, v + j] * w[i, j]   (the kernel is not flipped)\"\"\"

    Reference: :func:`cnnkit.ops.correlate2d`. Cases: the lecture's 5x5 image with the
    Laplacian, an asymmetric kernel, a kernel as large as the image, non-square images and
    kernels, a 1x1 kernel, then 6 random ones.

    Example:
        >>> from cnnkit.ops import correlate2d
        >>> check_correlate2d(correlate2d)
        passed: 11 cases
    """
    fixed = [
        (LECTURE_IMAGE, LAPLACIAN),
        (np.arange(16).reshape(4, 4), np.array([[1, 0], [0, -1]])),
        (np.arange(9).reshape(3, 3), np.array([[1, 2, 3], [0, 1, 0], [-1, 0, 2]])),  # kernel = image
        (np.arange(24).reshape(4, 6) % 7, np.array([[1, 0, -1], [2, 1, 0]])),  # non-square
        (np.arange(10).reshape(5, 2), np.array([[2]])),  # 1x1 kernel, tall image
    ]
    rng = _rng()
    random = []
    for _ in range(6):
        h, w = rng.integers(2, 7, size=2)
        kh, kw = rng.integers(1, h + 1), rng.integers(1, w + 1)
        random.append((_normal(rng, (h, w)), _normal(rng, (kh, kw))))
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
        (np.arange(1, 10).reshape(3, 3), 1),
        (np.arange(1, 10).reshape(3, 3), 0),
        (np.arange(1, 9).reshape(2, 4), 2),
        (np.array([[7]]), 3),
        (-np.arange(1, 7).reshape(3, 2), 1),
    ]
    rng = _rng()
    random = [(_normal(rng, tuple(rng.integers(1, 5, size=2))), int(rng.integers(0, 3))) for _ in range(4)]
    return check(func, pad2d, fixed + random, names=["x", "p"], fixed=len(fixed))


def _correlate_strided(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
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
    the image, a non-square image and kernel, a stride larger than the kernel, then 5 random.

    Example:
        >>> from cnnkit.ops import correlate2d
        >>> check_conv2d_strided(lambda x, w, stride: correlate2d(x, w, stride=stride))
        passed: 12 cases
    """
    fixed = [
        (LECTURE_IMAGE, LAPLACIAN, 2),
        (np.arange(36).reshape(6, 6) % 5, np.array([[1, 0, 0], [0, 2, 0], [0, 0, -1]]), 2),  # one row left over
        (np.arange(16).reshape(4, 4), np.array([[1, 0], [0, -1]]), 1),
        (np.arange(9).reshape(3, 3), np.array([[1, 2, 3], [0, 1, 0], [-1, 0, 2]]), 3),  # kernel = image
        (np.arange(30).reshape(5, 6) % 4, np.array([[1, -1, 2], [0, 1, 3]]), 3),  # non-square
        (np.arange(36).reshape(6, 6) % 7, np.array([[1, 2], [3, 4]]), 3),  # stride > kernel
        (np.arange(35).reshape(7, 5) % 6, np.array([[2, -1]]), 2),
    ]
    rng = _rng()
    random = []
    for _ in range(5):
        h, w = rng.integers(3, 7, size=2)
        kh, kw = rng.integers(1, h + 1), rng.integers(1, w + 1)
        random.append((_normal(rng, (h, w)), _normal(rng, (kh, kw)), int(rng.integers(1, 4))))
    return check(func, _correlate_strided, fixed + random, names=["x", "w", "stride"], fixed=len(fixed))


# --------------------------------------------------------------------------------------------
# Pooling


def _max_pool(x: np.ndarray, k: int) -> np.ndarray:
    return max_pool2d(x[None, None], k)[0, 0]


def _avg_pool(x: np.ndarray, k: int) -> np.ndarray:
    return avg_pool2d(x[None, None], k)[0, 0]


def _pool_cases(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, int]]:
    cases = []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        h, w = rng.integers(k, 7, size=2)
        cases.append((_distinct(rng, (h, w)), k))
    return cases


_POOL_FIXED = [
    (POOL_EXAMPLE, 2),  # the lecture's example
    (np.arange(25).reshape(5, 5) % 7, 2),  # the last row and column are dropped
    (np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8], [9, 7, 9, 3, 2, 3], [8, 4, 6, 2, 6, 4]]), 2),  # non-square
    (-np.arange(1, 17).reshape(4, 4), 2),  # all negative: a maximum that starts at 0 is wrong
    (np.arange(54).reshape(6, 9) % 11, 3),
    (np.array([[1, 5, 2], [4, 3, 6], [0, 8, 7]]), 3),  # window = image
]


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
    cases = _POOL_FIXED + _pool_cases(_rng(), 5)
    return check(func, _max_pool, cases, names=["x", "k"], fixed=len(_POOL_FIXED))


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
    rng = _rng()
    cases = []
    for number, (x, k) in enumerate(_POOL_FIXED + _pool_cases(rng, 5)):
        if number < len(_POOL_FIXED):  # break the ties of the hand-picked maps
            x = x + np.arange(x.size).reshape(x.shape) / 100
        out_shape = (x.shape[0] // k, x.shape[1] // k)
        n = int(np.prod(out_shape))
        cases.append((x, k, (np.arange(1, n + 1) * (-1) ** np.arange(n)).reshape(out_shape).astype(float)))
    return check(func, _max_pool_backward, cases, names=["x", "k", "grad_out"], fixed=len(_POOL_FIXED))


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
    cases = _POOL_FIXED + _pool_cases(_rng(), 5)
    return check(func, _avg_pool, cases, names=["x", "k"], fixed=len(_POOL_FIXED))


# --------------------------------------------------------------------------------------------
# Transposed convolution


def _transpose_scatter(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
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
        (np.array([[1, 2], [3, 4]]), np.ones((2, 2), dtype=int), 2),
        (np.array([[1, 2]]), np.array([[1, 1, 1]]), 2),
        (np.array([[1, 2], [3, 4]]), np.array([[1, 0, 2], [0, -1, 0], [3, 0, 1]]), 1),
        (np.array([[1, -1, 2], [2, 0, 1]]), np.array([[1, 2], [3, 4]]), 3),  # stride > kernel
        (np.array([[2, 1], [0, 3], [1, 1]]), np.array([[1, 2, 3], [-1, 0, 1]]), 2),  # non-square
        (np.array([[5]]), np.array([[1, 2], [3, 4]]), 2),  # one input value: one copy
    ]
    rng = _rng()
    random = []
    for _ in range(5):
        h, w = rng.integers(1, 4, size=2)
        kh, kw = rng.integers(1, 4, size=2)
        random.append((_normal(rng, (h, w)), _normal(rng, (kh, kw)), int(rng.integers(1, 4))))
    return check(func, _transpose_scatter, fixed + random, names=["x", "w", "stride"], fixed=len(fixed))


# --------------------------------------------------------------------------------------------
# Counting: parameters and receptive fields


def _conv_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    """PyTorch's own count, on the meta device (no memory, no random initialisation)."""
    return parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias, device="meta"))


def check_conv_params(func: Callable) -> CheckResult:
    """Check ``func(c_in, c_out, k, bias=True)``: the parameters of one convolutional layer.

    The reader's function::

        def conv_params(c_in, c_out, k, bias=True):
            \"\"\"The number of weights (and biases, if bias) of a convolutional layer with c_in
            input channels, c_out filters of size k x k each (every filter spans all c_in
            channels) and, if bias, one bias per filter.\"\"\"

    Reference: PyTorch's count of ``nn.Conv2d(c_in, c_out, k, bias=bias)``
    (:func:`cnnkit.models.zoo.parameter_count`). Cases: LeNet-5's C1 and C3 (without its
    connection table), VGG16's first and a deep 512-channel layer, layers without bias, 1x1
    kernels, then 5 random ones. The checker passes ``bias`` positionally:
    ``func(c_in, c_out, k, bias)``.

    Example:
        >>> from torch import nn
        >>> from cnnkit.models.zoo import parameter_count
        >>> check_conv_params(lambda c_in, c_out, k, bias=True: parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias)))
        passed: 12 cases
    """
    fixed = [
        (1, 6, 5, True),  # LeNet-5 C1: 156
        (6, 16, 5, True),  # C3 with every connection: 2416
        (3, 64, 3, True),  # VGG16 block1_conv1: 1792
        (512, 512, 3, True),
        (64, 128, 3, False),
        (3, 1, 1, False),
        (16, 4, 1, True),
    ]
    rng = _rng()
    random = [
        (int(rng.integers(1, 257)), int(rng.integers(1, 257)), int(rng.integers(1, 8)), bool(rng.integers(0, 2)))
        for _ in range(5)
    ]
    return check(
        func, _conv_params, fixed + random, compare=compare_numbers, names=["c_in", "c_out", "k", "bias"], fixed=len(fixed)
    )


def _receptive_field_size(layers: list[tuple[int, int]]) -> int:
    return receptive_field(layers).size


def check_receptive_field(func: Callable) -> CheckResult:
    """Check ``func(layers)``: the receptive field of a stack of convolution or pooling layers.

    The reader's function::

        def receptive_field(layers):
            \"\"\"layers: a list of (kernel, stride) pairs of ints, first layer first ->
            the side of the input region that one output sample of the last layer sees.
            Padding does not matter. An empty list (no layer) gives 1.\"\"\"

    Reference: :func:`cnnkit.shapes.receptive_field` (its ``size``):
    ``r_l = r_{l-1} + (k_l - 1) j_{l-1}`` and ``j_l = j_{l-1} s_l``, from ``r_0 = j_0 = 1``.
    Cases: two and three 3x3 convolutions, convolution and pooling, LeNet-5, ResNet's stem,
    VGG16's first blocks, 1x1 layers, the empty stack, then 4 random ones.

    Example:
        >>> from cnnkit.shapes import receptive_field
        >>> check_receptive_field(lambda layers: receptive_field(layers).size)
        passed: 13 cases
    """
    fixed = [
        ([(3, 1), (3, 1)],),
        ([(3, 1)] * 3,),
        ([(3, 1), (2, 2), (3, 1)],),
        ([(5, 1), (2, 2), (5, 1), (2, 2)],),  # LeNet-5
        ([(7, 2), (3, 2), (3, 1), (3, 1)],),  # ResNet's stem and first convolutions
        ([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)],),  # VGG16's first blocks
        ([(1, 1)],),
        ([(1, 2), (3, 1)],),
        ([],),
    ]
    rng = _rng()
    random = [
        ([(int(rng.integers(1, 8)), int(rng.integers(1, 4))) for _ in range(int(rng.integers(1, 6)))],) for _ in range(4)
    ]
    return check(func, _receptive_field_size, fixed + random, compare=compare_numbers, names=["layers"], fixed=len(fixed))


# --------------------------------------------------------------------------------------------
# Looking inside a network: CAM, gradient ascent


def check_cam(func: Callable) -> CheckResult:
    """Check ``func(features, weights, class_idx)``: the class activation map of one class.

    The reader's function::

        def cam(features, weights, class_idx):
            \"\"\"features: (C, H, W), the last convolutional maps; weights: (n_classes, C), the
            dense layer after global average pooling (PyTorch's nn.Linear.weight);
            class_idx: int -> (H, W), the sum over channels k of weights[class_idx, k] * features[k].
            The raw map: no ReLU, no normalisation, no upsampling.\"\"\"

    Reference: :func:`cnnkit.viz.cam.class_activation_map`. Cases: the 2x2 example of its
    docstring (both classes; its weight matrix is square), more classes than channels, a
    single channel, the last class, then 5 random ones.

    Example:
        >>> from cnnkit.viz.cam import class_activation_map
        >>> check_cam(class_activation_map)
        passed: 10 cases
    """
    f = np.array([[[1, 0], [1, 0]], [[1, 0], [0, 1]]])
    w = np.array([[2.0, -1.0], [0.5, 0.5]])
    f3 = np.arange(18).reshape(3, 2, 3) % 4 - 1
    w43 = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 0.0, 3.0]])
    fixed = [
        (f, w, 0),
        (f, w, 1),
        (f3, w43, 2),
        (f3, w43, 3),  # the last class
        (np.array([[[1.0, -2.0], [3.0, 0.5]]]), np.array([[2.0], [-1.0]]), 1),  # one channel
    ]
    rng = _rng()
    random = []
    for _ in range(5):
        c, n_classes = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        h, wd = rng.integers(1, 5, size=2)
        random.append((_normal(rng, (c, h, wd)), _normal(rng, (n_classes, c)), int(rng.integers(0, n_classes))))
    return check(func, class_activation_map, fixed + random, names=["features", "weights", "class_idx"], fixed=len(fixed))


def tiny_conv_model(seed: int = 0) -> nn.Sequential:
    """The small fixed network of :func:`check_gradient_ascent_step`, to try a function on.

    ``Conv2d(1, 4, 3, padding=1) -> ReLU -> Conv2d(4, 3, 3)`` in float64 and eval mode. Its
    weights and biases are drawn from the standard normal distribution by a
    ``torch.Generator`` seeded with ``seed`` (the global random state is not touched); with
    weights of this size the gradient of a channel's mean activation is of order 1, so the
    small constant in the normalised step hardly matters. Its parameters do not require
    gradients: only the image is optimised. An input of shape (1, 1, H, W) gives an output of
    shape (1, 3, H - 2, W - 2).

    Example:
        >>> model = tiny_conv_model()
        >>> model(torch.zeros(1, 1, 8, 8, dtype=torch.float64)).shape
        torch.Size([1, 3, 6, 6])
    """
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, device="meta"), nn.ReLU(), nn.Conv2d(4, 3, 3, device="meta")
    ).to_empty(device="cpu")
    model = model.double().eval()
    model.requires_grad_(False)
    for p in model.parameters():
        p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    return model


def _ascent_step(x: torch.Tensor, model: nn.Module, channel: int, lr: float) -> torch.Tensor:
    """One step of cnnkit.viz.featvis.visualise(optimizer="normalized") on a single image."""
    x = x.detach().clone().requires_grad_(True)
    objective = ChannelObjective("output", channel)
    (-objective(model(x)).sum()).backward()
    normalised_step([x], lr)
    return x.detach()


def check_gradient_ascent_step(func: Callable) -> CheckResult:
    """Check ``func(x, model, channel, lr)``: one normalised gradient-ascent step on an image.

    The reader's function::

        def gradient_ascent_step(x, model, channel, lr):
            \"\"\"x: image tensor of shape (1, C, H, W) with requires_grad=True; model: a
            network whose output has shape (1, C_out, H', W'); channel: int; lr: float.
            Let a = model(x)[0, channel].mean(), the channel's mean activation, and
            g = da/dx. Return the new image (a tensor of x's shape, without gradient)
                x + lr * g / (sqrt(mean(g**2)) + 1e-5),
            a step uphill whose size does not depend on the gradient's scale (g is divided
            by its root mean square over all its entries).\"\"\"

    This is the book's convention, the step of
    ``cnnkit.viz.featvis.visualise(..., optimizer="normalized")`` (the Keras blog divides by
    the root mean square too), which is also the reference. The model is
    :func:`tiny_conv_model`; cases: 6 images of 8x8 or 6x9 seeded normal values, different
    channels and step sizes (at most 0.5). Tolerance: ``rtol=1e-4, atol=1e-4``, so that
    another small constant than 1e-5 (or none) passes too.

    Example:
        >>> def step(x, model, channel, lr):
        ...     model(x)[0, channel].mean().backward()
        ...     g = x.grad
        ...     return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()
        >>> check_gradient_ascent_step(step)
        passed: 6 cases
    """
    model = tiny_conv_model()
    rng = _rng()
    settings = [((8, 8), 0, 0.1), ((8, 8), 2, 0.5), ((6, 9), 1, 0.05), ((8, 8), 1, 0.25), ((6, 9), 2, 0.1), ((8, 8), 0, 0.5)]
    cases = []
    for size, channel, lr in settings:
        x = torch.tensor(_normal(rng, (1, 1, *size)), dtype=torch.float64, requires_grad=True)
        cases.append((x, model, channel, lr))
    compare = partial(compare_arrays, rtol=1e-4, atol=1e-4)
    return check(func, _ascent_step, cases, compare=compare, names=["x", "model", "channel", "lr"], fixed=0)
