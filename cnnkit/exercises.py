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
- ``not implemented yet: write the body of correlate2d, then run this cell again`` when the
  function is still the notebook's stub (it raises ``NotImplementedError`` on the first case),
  or ``returned None: did you forget to return the result?`` when it returns nothing.

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
:func:`check_gaussian_kernel`         ``f(size, sigma)``: a normalised 2-D Gaussian kernel
:func:`check_psnr`                    ``f(reference, image, data_range=1.0)``: PSNR in dB
:func:`check_same_padding`            ``f(size, k, stride=1, dilation=1)``: TensorFlow's 'same'
:func:`check_conv_output_size`        ``f(i, k, p=0, s=1, d=1)``: a convolution's output length
:func:`check_conv_matrix`             ``f(w, input_shape)``: cross-correlation as a matrix
:func:`check_conv_macs`               ``f(c_in, c_out, k, h_out, w_out, groups=1)``: multiply-adds
:func:`check_channel_sparsity`        ``f(activations)``: fraction of exact zeros per channel
:func:`check_top_exemplars`           ``f(activations, channel, k)``: top-k images by mean
:func:`check_total_variation`         ``f(image)``: total variation, differentiable (torch)
:func:`check_grad_cam`                ``f(features, grads)``: the Grad-CAM map of one image
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
import math
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
from cnnkit.ops import (
    avg_pool2d,
    conv_transpose2d_scatter,
    correlate2d,
    gaussian_kernel,
    max_pool2d,
    pad2d,
    psnr,
)
from cnnkit.shapes import conv_output_size, dilated_span, receptive_field, tf_same_padding
from cnnkit.viz.activations import channel_activity
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
    "check_gaussian_kernel",
    "check_psnr",
    "check_same_padding",
    "check_conv_output_size",
    "check_conv_matrix",
    "check_conv_macs",
    "check_channel_sparsity",
    "check_top_exemplars",
    "check_total_variation",
    "check_grad_cam",
]

#: Arrays with at most this many entries are printed in full in a message.
FULL_PRINT_SIZE = 36
#: Longest exception message (characters) quoted in a result.
MAX_ERROR_CHARS = 200
#: The seed of every checker's random cases.
SEED = 0
#: What a result says of a function that returned None.
RETURNED_NONE = "returned None: did you forget to return the result?"

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
    # a tiny non-zero value (1e-6) must not print as 0.: then scientific notation
    tiny = a.dtype.kind == "f" and bool(np.any((a != 0) & (np.abs(a) < 5e-5)))
    with np.printoptions(precision=4, suppress=not tiny, threshold=FULL_PRINT_SIZE, linewidth=88):
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
        return RETURNED_NONE
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


def _plain(value: Any) -> Any:
    """A 0-d tensor, 0-d array or numpy scalar as a Python number; anything else unchanged."""
    value = _to_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    return value.item() if isinstance(value, np.generic) else value


def compare_numbers(actual: Any, expected: Any, rtol: float = 0.0, atol: float = 0.0) -> str | None:
    """Compare a count (or any number) with the expected one: None if equal, else a message.

    Counts are compared exactly (the default); a real number such as a PSNR with the
    tolerances of ``math.isclose``: ``|actual - expected| <= max(rtol * |expected|, atol)``.

    Example:
        >>> compare_numbers(np.int64(7), 7) is None
        True
        >>> compare_numbers(8, 7)
        'expected 7, got 8'
        >>> compare_numbers((7, 7), 7)
        'expected a number (7); got a tuple: (7, 7)'
        >>> compare_numbers(20.0000001, 20.0, rtol=1e-6) is None
        True
    """
    if actual is None:
        return RETURNED_NONE
    value, expected = _plain(actual), _plain(expected)
    if isinstance(value, bool) or not isinstance(value, Number):
        return f"expected a number ({_scalar(expected)}); got a {type(actual).__name__}: {_format_value(actual)}"
    if rtol == atol == 0:
        equal = value == expected
    else:
        number: Any = value  # a real number here: the cases of these checkers give real expected values
        equal = math.isclose(number, expected, rel_tol=rtol, abs_tol=atol)
    if not equal:
        return f"expected {_scalar(expected)}, got {_scalar(value)}"
    return None


def _is_large(value: Any) -> bool:
    """Whether a message shows ``value`` by its shape only."""
    value = _to_numpy(value)
    return isinstance(value, np.ndarray) and value.size > FULL_PRINT_SIZE


def _name(func: Callable) -> str:
    """The name the reader gave the function, or 'your function' (a lambda, a partial)."""
    name = getattr(func, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else "your function"


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
    is trusted. Two mistakes get a short message of their own: the notebook's stub, a function
    that raises ``NotImplementedError`` on the first case (``not implemented yet: write the body
    of NAME, then run this cell again``, without the input; on a later case it has a body and
    is reported as any other exception), and a function that returns None where a value is
    expected (``returned None: did you forget to return the result?``; the input is shown from
    the second case on, where only some inputs miss the ``return``).

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
        >>> def absolute(x):
        ...     raise NotImplementedError("write this function")
        >>> check(absolute, np.abs, cases)
        not implemented yet: write the body of absolute, then run this cell again
        >>> check(lambda x: None, np.abs, cases)
        failed on case 1 of 2
        returned None: did you forget to return the result?
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
            f"  {name} = {_format_value(arg, prefix=f'  {name} = ')}" for name, arg in zip(arg_names, case, strict=False)
        )
        try:
            actual = func(*_fresh(case))
        except Exception as err:
            if isinstance(err, NotImplementedError) and number == 1:  # still the notebook's stub
                message = f"not implemented yet: write the body of {_name(func)}, then run this cell again"
                return CheckResult(False, message, number, case, expected, None)
            text = str(err)
            text = text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
            message = f"{header}\nyour function raised {type(err).__name__}: {text}{_where(err, func)}\n{inputs}"
            if any(_is_large(v) for v in case):
                message += "\n(full values: result.inputs)"
            return CheckResult(False, message, number, case, expected, None)
        if actual is None and expected is not None:
            message = f"{header}\n{RETURNED_NONE}" + (f"\n{inputs}" if number > 1 else "")
            return CheckResult(False, message, number, case, expected, None)
        try:
            difference = compare(actual, expected)
        except Exception as err:
            difference = (
                f"could not compare the result {_format_value(actual)} with the expected one ({type(err).__name__}: {err})"
            )
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


# --------------------------------------------------------------------------------------------
# Classical filtering: the Gaussian kernel and PSNR


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
        >>> print(check_gaussian_kernel(unnormalised).message.splitlines()[-1])
        first difference at index (0, 0): expected 0.0029690167, got 0.018315639 (25 of 25 entries differ)
    """
    fixed = [(5, 1.0), (3, 0.5), (7, 2.0), (1, 1.0), (9, 0.8), (3, 5.0)]
    rng = _rng()
    random = [(int(2 * rng.integers(0, 5) + 1), round(float(rng.uniform(0.3, 3.0)), 2)) for _ in range(5)]
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
        >>> print(check_psnr(rmse_without_20).message.splitlines()[-1])
        expected 20.0, got 10.0
    """
    grey = np.array([[0.0, 0.2, 0.4, 0.6], [0.1, 0.3, 0.5, 0.7], [0.2, 0.4, 0.6, 0.8]])
    eight_bit = np.arange(12.0).reshape(3, 4) * 20
    colour = np.array([[[0.9, 0.1, 0.1], [0.2, 0.8, 0.3]], [[0.5, 0.5, 0.5], [0.0, 0.1, 1.0]]])
    fixed = [
        (np.zeros((4, 4)), np.full((4, 4), 0.1)),  # 20 dB
        (grey, grey + np.array([[0.05, 0.0, -0.1, 0.0], [0.0, 0.2, 0.0, 0.0], [0.0, 0.0, 0.0, -0.05]])),
        (eight_bit, eight_bit + np.array([[3.0, -5.0, 0.0, 1.0], [0.0, 2.0, 0.0, -4.0], [6.0, 0.0, 0.0, 0.0]]), 255),
        (colour, np.clip(colour + 0.1 * np.array([1.0, -1.0, 0.5]), 0, 1), 1.0),
        (eight_bit, np.full((3, 4), 100.0), 255),  # a large error: a low PSNR
    ]
    rng = _rng()
    random = []
    for _ in range(4):
        shape = tuple(int(v) for v in rng.integers(2, 6, size=2)) + ((3,) if rng.integers(0, 2) else ())
        data_range = [1.0, 255.0][int(rng.integers(0, 2))]
        reference = rng.uniform(0, 1, shape).round(2) * data_range
        image = reference + (0.1 * rng.standard_normal(shape)).round(2) * data_range
        image.flat[0] += 0.05 * data_range  # never identical
        random.append((reference, image, data_range))
    compare = partial(compare_numbers, rtol=1e-6)
    return check(func, psnr, fixed + random, compare=compare, names=["reference", "image", "data_range"], fixed=len(fixed))


# --------------------------------------------------------------------------------------------
# Sizes, padding and cost of a convolution


def _compare_pair(actual: Any, expected: tuple[int, int]) -> str | None:
    """A pair such as (before, after), as a tuple, list or array of two numbers."""
    if actual is None:
        return RETURNED_NONE
    value = _to_numpy(actual)
    value = value.tolist() if isinstance(value, np.ndarray) else value
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, Number) and not isinstance(v, bool) for v in value)
    ):
        return f"expected a pair (before, after) = {expected}; got a {type(actual).__name__}: {_format_value(actual)}"
    got = tuple(v.item() if isinstance(v, np.generic) else v for v in value)
    if got != tuple(expected):
        return f"expected (before, after) = {tuple(expected)}, got {got}"
    return None


def check_same_padding(func: Callable) -> CheckResult:
    """Check ``func(size, k, stride=1, dilation=1)``: TensorFlow/Keras ``'same'`` padding on one axis.

    The reader's function::

        def same_padding(size, k, stride=1, dilation=1):
            \"\"\"The padding (before, after) that TensorFlow's padding='same' adds along one axis
            of `size` samples: the output has ceil(size / stride) samples and the dilated kernel
            spans dilation * (k - 1) + 1 of them, so
                total = max((ceil(size / stride) - 1) * stride + dilation * (k - 1) + 1 - size, 0),
                before = total // 2, after = total - before   (an odd extra sample goes after)\"\"\"

    Reference: :func:`cnnkit.shapes.tf_same_padding` (with int arguments it returns the pair
    ``(before, after)``). Any pair of ints passes: a tuple, a list or an array. Cases: a 3x3
    kernel, an even kernel (the odd sample after), stride 2 on an even and an odd size,
    EfficientNet's stem (224, 3x3, stride 2), a dilation, strides that need no padding at all,
    then 5 random ones; some cases leave stride and dilation at their defaults.

    Example:
        >>> from cnnkit.shapes import tf_same_padding
        >>> check_same_padding(tf_same_padding)
        passed: 14 cases
        >>> print(check_same_padding(lambda size, k, stride=1, dilation=1: ((k - 1) // 2, (k - 1) // 2)))
        failed on case 2 of 14 (fixed)
        input:
          size = 5
          k = 4
        expected (before, after) = (1, 2), got (1, 1)
    """
    fixed = [
        (5, 3),
        (5, 4),  # even kernel: the odd sample goes after
        (6, 3, 2),  # ceil(6 / 2) = 3 outputs need 1 sample, after
        (5, 3, 2),
        (224, 3, 2),  # EfficientNet's stem: (0, 1)
        (5, 3, 1, 2),  # dilation 2: the kernel spans 5 samples
        (7, 1, 2),  # a 1x1 kernel with stride: no padding
        (8, 2, 4),  # the formula gives -2: no padding
        (9, 3, 2, 2),
    ]
    rng = _rng()
    random = [
        (int(rng.integers(1, 21)), int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 4))) for _ in range(5)
    ]
    names = ["size", "k", "stride", "dilation"]
    return check(func, tf_same_padding, fixed + random, compare=_compare_pair, names=names, fixed=len(fixed))


def _conv_output_size(i: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """:func:`cnnkit.shapes.conv_output_size` in the exercise's argument order (p before s)."""
    return conv_output_size(i, k, s=s, p=p, d=d)


def check_conv_output_size(func: Callable) -> CheckResult:
    """Check ``func(i, k, p=0, s=1, d=1)``: the output length of a convolution along one axis.

    The reader's function::

        def conv_output_size(i, k, p=0, s=1, d=1):
            \"\"\"Input length i, kernel size k, padding p on each side, stride s, dilation d ->
            floor((i + 2p - d(k - 1) - 1) / s) + 1, an int: the padded input has i + 2p samples,
            the dilated kernel spans d(k - 1) + 1 of them, and every s-th position is kept.\"\"\"

    Note the order: padding before stride, as in the formula (``cnnkit.shapes`` takes
    ``s`` before ``p``; the checker passes the arguments positionally in the exercise's order).
    Reference: :func:`cnnkit.shapes.conv_output_size`. Cases: a valid 3x3 on 5 samples, padding
    1 (same size), strides that divide evenly and that do not (a floor), a dilation, ResNet's
    7x7 stride-2 stem on 224, a 5x5 with padding 2, padding, stride and dilation at once, a
    kernel as long as the input, then 5 random ones; some cases leave defaults out.

    Example:
        >>> from cnnkit.shapes import conv_output_size
        >>> check_conv_output_size(lambda i, k, p=0, s=1, d=1: conv_output_size(i, k, s=s, p=p, d=d))
        passed: 14 cases
        >>> print(check_conv_output_size(lambda i, k, p=0, s=1, d=1: (i + 2 * p - d * (k - 1) - 1) // s))
        failed on case 1 of 14 (fixed)
        input:
          i = 5
          k = 3
        expected 3, got 2
    """
    fixed = [
        (5, 3),
        (5, 3, 1),  # padding 1 keeps the size
        (7, 3, 0, 2),  # the stride divides evenly
        (6, 3, 0, 2),  # it does not: floor, the last position is dropped
        (7, 3, 0, 1, 2),  # dilation 2
        (224, 7, 3, 2),  # ResNet's stem: 112
        (32, 5, 2),
        (10, 3, 1, 2, 2),
        (3, 3),  # kernel = input
    ]
    rng = _rng()
    random = []
    for _ in range(5):
        k, p, s, d = (int(v) for v in (rng.integers(1, 6), rng.integers(0, 3), rng.integers(1, 4), rng.integers(1, 4)))
        smallest = max(1, dilated_span(k, d) - 2 * p)
        random.append((int(rng.integers(smallest, smallest + 12)), k, p, s, d))
    names = ["i", "k", "p", "s", "d"]
    return check(func, _conv_output_size, fixed + random, compare=compare_numbers, names=names, fixed=len(fixed))


def _conv_matrix(w: np.ndarray, input_shape: tuple[int, int]) -> np.ndarray:
    """Column j is the correlation of the j-th unit image (a 1 at flat index j, row-major)."""
    h, wd = input_shape
    units = np.eye(h * wd).reshape(h * wd, h, wd)
    return np.stack([correlate2d(unit, w).ravel() for unit in units], axis=1)


def check_conv_matrix(func: Callable) -> CheckResult:
    """Check ``func(w, input_shape)``: a valid cross-correlation written as one matrix.

    The reader's function::

        def conv_matrix(w, input_shape):
            \"\"\"w: (kH, kW), input_shape: (H, W) -> M: (H_out * W_out, H * W), with
            H_out = H - kH + 1, W_out = W - kW + 1, such that for every image x of that shape
                M @ x.ravel() == correlate2d(x, w).ravel()
            (row-major ravel; row u * W_out + v of M holds w at the positions of window (u, v)).\"\"\"

    Reference: the matrix whose column ``j`` is :func:`cnnkit.ops.correlate2d` of the ``j``-th
    unit image (a 1 at flat index ``j``): a linear map is known by the images of the basis.
    Cases: a 2x2 kernel on a 3x3 image, a row kernel on a 2x4 image, a non-square kernel on a
    4x3 image, a 1x1 kernel (a multiple of the identity), a kernel as large as the image (one
    row), then 4 random ones.

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
        (np.array([[1, 2], [3, 4]]), (3, 3)),
        (np.array([[1, 0, -1]]), (2, 4)),
        (np.array([[2, -1], [0, 1], [1, 3]]), (4, 3)),  # non-square kernel
        (np.array([[5]]), (2, 3)),  # 1x1: five times the identity
        (np.arange(9).reshape(3, 3) - 4, (3, 3)),  # kernel = image: one output
    ]
    rng = _rng()
    random = []
    for _ in range(4):
        h, wd = (int(v) for v in rng.integers(1, 6, size=2))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, wd + 1))
        random.append((_normal(rng, (kh, kw)), (h, wd)))
    return check(func, _conv_matrix, fixed + random, names=["w", "input_shape"], fixed=len(fixed))


def _conv_macs(c_in: int, c_out: int, k: int, h_out: int, w_out: int, groups: int = 1) -> int:
    """One multiply-add per weight of a filter's group, per filter, per output position."""
    return c_out * h_out * w_out * (c_in // groups) * k * k


def check_conv_macs(func: Callable) -> CheckResult:
    """Check ``func(c_in, c_out, k, h_out, w_out, groups=1)``: a layer's multiply-adds.

    The reader's function::

        def conv_macs(c_in, c_out, k, h_out, w_out, groups=1):
            \"\"\"The multiply-adds (MACs) of a convolutional layer with k x k kernels, c_in input
            and c_out output channels, an output of h_out x w_out positions and `groups` groups
            (each filter sees c_in // groups input channels; groups = c_in = c_out is a
            depthwise convolution):  c_out * h_out * w_out * (c_in // groups) * k * k.
            Biases are not counted.\"\"\"

    Reference: the formula (cnnkit has no separate copy). Cases: VGG16's first two layers,
    EfficientNet's first depthwise 3x3 and a pointwise 1x1, a grouped layer with a non-square
    output, LeNet-5's C1, then 5 random ones; some cases leave ``groups`` out. The checker
    passes ``groups`` positionally.

    Example:
        >>> check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * c_in // groups * k * k)
        passed: 11 cases
        >>> print(check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * c_in * k * k))
        failed on case 1 of 11 (fixed)
        input:
          c_in = 3
          c_out = 64
          k = 3
          h_out = 224
          w_out = 224
        expected 86704128, got 1728
    """
    fixed = [
        (3, 64, 3, 224, 224),  # VGG16 block1_conv1
        (64, 64, 3, 224, 224),  # block1_conv2
        (32, 32, 3, 112, 112, 32),  # EfficientNet's first depthwise convolution
        (32, 16, 1, 112, 112),  # and its pointwise projection
        (64, 128, 3, 28, 14, 4),  # grouped, non-square output
        (1, 6, 5, 28, 28),  # LeNet-5 C1
    ]
    rng = _rng()
    random = []
    for _ in range(5):
        groups = [1, 2, 4][int(rng.integers(0, 3))]
        c_in, c_out = (groups * int(v) for v in rng.integers(1, 17, size=2))
        k, h_out, w_out = int(rng.integers(1, 8)), int(rng.integers(1, 65)), int(rng.integers(1, 65))
        random.append((c_in, c_out, k, h_out, w_out, groups))
    names = ["c_in", "c_out", "k", "h_out", "w_out", "groups"]
    return check(func, _conv_macs, fixed + random, compare=compare_numbers, names=names, fixed=len(fixed))


# --------------------------------------------------------------------------------------------
# Looking at activations: sparsity and exemplars


def _channel_sparsity(activations: np.ndarray) -> np.ndarray:
    """One minus :func:`cnnkit.viz.activations.channel_activity`, the fraction of non-zeros."""
    return 1.0 - channel_activity(activations)


def check_channel_sparsity(func: Callable) -> CheckResult:
    """Check ``func(activations)``: the fraction of exact zeros of each channel.

    The reader's function::

        def channel_sparsity(activations):
            \"\"\"activations: (N, C, H, W), a layer's output (after a ReLU) for N images ->
            (C,): for each channel c, the fraction of the N * H * W values of
            activations[:, c] that are exactly zero (a tiny positive value is not zero).\"\"\"

    Reference: one minus :func:`cnnkit.viz.activations.channel_activity` (the fraction of
    non-zeros); its mean over channels is :func:`cnnkit.viz.activations.sparsity`. Cases: 2
    images of 3 channels with a value of 1e-6 (positive, so not silent), a dead channel and one
    that never stops, maps of 1x1 (after global pooling), one image, a non-square map, then 4
    random ReLU outputs.

    Example:
        >>> check_channel_sparsity(lambda a: (a == 0).mean(axis=(0, 2, 3)))
        passed: 9 cases
        >>> print(check_channel_sparsity(lambda a: (a == 0).mean(axis=(1, 2, 3))).message.splitlines()[-5])
        wrong shape: expected (3,), got (2,)
    """
    tiny = np.array(
        [
            [[[0, 1.5], [0, 0]], [[0.3, 2.0], [1e-6, 0.7]], [[0, 0], [0, 0]]],
            [[[0, 0], [0.2, 0]], [[0, 0.5], [1.1, 0]], [[0, 0], [0, 3.0]]],
        ]
    )
    dead = np.array([[[[0.0, 0.0, 0.0]], [[0.4, 0.1, 2.0]]], [[[0.0, 0.0, 0.0]], [[1.0, 0.2, 0.3]]], [[[0.0] * 3], [[0.5] * 3]]])
    fixed = [
        (tiny,),
        (dead,),  # channel 0 dead, channel 1 never zero
        (np.array([[0.0, 1.2, 0.0, 0.3], [0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]])[:, :, None, None],),  # 1x1 maps
        (np.array([[[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 0.1]]]]),),  # one image
        (np.maximum(np.arange(24).reshape(2, 2, 2, 3) % 5 - 2.0, 0),),  # non-square maps
    ]
    rng = _rng()
    random = []
    for _ in range(4):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        random.append((np.maximum(_normal(rng, shape), 0),))
    return check(func, _channel_sparsity, fixed + random, names=["activations"], fixed=len(fixed))


def _top_exemplars(activations: np.ndarray, channel: int, k: int) -> np.ndarray:
    means = np.asarray(activations)[:, channel].mean(axis=(1, 2))
    return np.argsort(-means, kind="stable")[:k]


def _untied(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random maps whose per-image means differ in every channel (no ties in a ranking)."""
    while True:
        a = _normal(rng, shape)
        means = a.mean(axis=(2, 3))
        if all(len(np.unique(means[:, c].round(9))) == shape[0] for c in range(shape[1])):
            return a


def check_top_exemplars(func: Callable) -> CheckResult:
    """Check ``func(activations, channel, k)``: the k images on which a channel responds most.

    The reader's function::

        def top_exemplars(activations, channel, k):
            \"\"\"activations: (N, C, H, W), a layer's maps for N images; channel: int; k: int
            <= N -> an integer array of k image indices: those with the largest mean of
            activations[n, channel] over the H x W positions, largest first.\"\"\"

    The score is the *mean* of the map (how much of the image the channel responds to), not
    its maximum as in :func:`cnnkit.viz.exemplars.top_activating` (where in the image it
    responds most strongly); a case tells the two apart. Reference: ``np.argsort`` of the
    negated means. Cases (no ties): 4 images of 2 channels whose ranking by the mean differs
    from that by the maximum, each channel, k = N and k = 1, maps with negative values, then 4
    random ones.

    Example:
        >>> def by_mean(a, channel, k):
        ...     return np.argsort(-a[:, channel].mean(axis=(1, 2)))[:k]
        >>> check_top_exemplars(by_mean)
        passed: 9 cases
        >>> print(check_top_exemplars(lambda a, channel, k: by_mean(a, channel, k)[::-1]).message.splitlines()[-1])
        first difference at index 0: expected 1, got 3 (2 of 2 entries differ)
    """
    maps = np.array(
        [
            [[[1, 1], [1, 1]], [[9, 0], [0, 0]]],  # channel 1: the largest maximum, a small mean
            [[[0, 0], [0, 5]], [[3, 3], [3, 3]]],  # the largest mean
            [[[2, 2], [2, 2]], [[1, 2], [0, 1]]],
            [[[0, 1], [0, 0]], [[4, 2], [3, 1]]],
        ],
        dtype=float,
    )
    signed = np.array([[-1.0, 2.0, 0.5], [-3.0, -0.5, 1.0], [0.25, 0.0, -0.75], [-2.0, -2.0, 5.0], [1.5, -1.0, 0.0]])
    signed = signed[:, None, None]  # (5, 1, 1, 3): one channel, maps of one row
    fixed = [
        (maps, 1, 2),
        (maps, 0, 3),
        (maps, 1, 4),  # k = N: the whole ranking
        (maps, 0, 1),
        (signed, 0, 3),  # maps before a ReLU: negative means
    ]
    rng = _rng()
    random = []
    for _ in range(4):
        n, c = int(rng.integers(2, 7)), int(rng.integers(1, 4))
        a = _untied(rng, (n, c, int(rng.integers(1, 4)), int(rng.integers(1, 4))))
        random.append((a, int(rng.integers(0, c)), int(rng.integers(1, n + 1))))
    return check(func, _top_exemplars, fixed + random, names=["activations", "channel", "k"], fixed=len(fixed))


# --------------------------------------------------------------------------------------------
# Regularising and explaining: total variation, Grad-CAM


def _total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[:, 1:, :] - image[:, :-1, :]).abs().sum() + (image[:, :, 1:] - image[:, :, :-1]).abs().sum()


def _compare_differentiable(actual: Any, expected: Any) -> str | None:
    """The value as :func:`compare_numbers` (``rtol=1e-6``), then a gradient back to the image."""
    difference = compare_numbers(actual, expected, rtol=1e-6, atol=1e-9)
    if difference is not None:
        return difference
    if not isinstance(actual, torch.Tensor) or actual.grad_fn is None:
        return (
            f"returned a value with no gradient: use torch operations (got a {type(actual).__name__}; "
            ".numpy(), .item() and .detach() cut the graph)"
        )
    try:
        actual.backward()
    except RuntimeError as err:
        return f"returned a value whose gradient cannot be computed: {err}"
    return None


def check_total_variation(func: Callable) -> CheckResult:
    """Check ``func(image)``: the anisotropic total variation of an image, differentiable.

    The reader's function::

        def total_variation(image):
            \"\"\"image: tensor (C, H, W) -> a scalar tensor, the sum of the absolute differences
            of vertically and of horizontally neighbouring pixels, over all channels:
                sum |x[:, i + 1, j] - x[:, i, j]| + sum |x[:, i, j + 1] - x[:, i, j]|
            (sums, not means; no wrap-around from the last row to the first). Written with
            torch operations, so that it can be back-propagated to the image.\"\"\"

    Total variation is the usual smoothness penalty of feature visualisation (Mahendran and
    Vedaldi 2015): subtracted from the objective, it discourages high-frequency noise.
    ``cnnkit.viz.featvis`` does not use it (its visualisations are regularised by random
    transforms and a Fourier parametrisation instead), so this is the L1 form above, with sums.

    The images are float64 tensors with ``requires_grad=True``. A result with the right value
    passes only if it carries a gradient: the checker calls ``.backward()`` on it, and a value
    computed with numpy (or detached) is reported as ``returned a value with no gradient: use
    torch operations``. Reference: the formula. Cases: a 3x3 grey image with differences other
    than 1, a colour image, one row, one column, a non-square image with negative values, a
    constant image (0), then 4 random ones. Tolerance: ``rtol=1e-6``.

    Example:
        >>> def tv(x):
        ...     return (x[:, 1:] - x[:, :-1]).abs().sum() + (x[:, :, 1:] - x[:, :, :-1]).abs().sum()
        >>> check_total_variation(tv)
        passed: 10 cases
        >>> print(check_total_variation(lambda x: tv(x).item()).message.splitlines()[-1])
        returned a value with no gradient: use torch operations (got a float; .numpy(), .item() and .detach() cut the graph)
    """
    images = [
        [[[0, 2, 5], [1, 1, 3], [4, 0, 2]]],  # 9 vertically + 13 horizontally
        [[[0.0, 1.0], [1.0, 1.0]], [[0.5, 0.0], [0.0, 0.5]], [[2.0, 2.0], [0.0, 0.0]]],  # colour
        [[[1.0, 3.0, -2.0, 0.5]]],  # one row: no vertical neighbours
        [[[1.0], [4.0], [2.5], [0.0]]],  # one column
        [[[-1.5, 0.0, 2.0], [0.5, -0.5, 1.0]], [[3.0, 1.0, 1.0], [0.0, 0.0, -2.0]]],  # non-square
        [[[0.7, 0.7], [0.7, 0.7]]],  # constant: 0
    ]
    fixed = [(torch.tensor(x, dtype=torch.float64, requires_grad=True),) for x in images]
    rng = _rng()
    random = []
    for _ in range(4):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        random.append((torch.tensor(_normal(rng, shape), requires_grad=True),))
    return check(func, _total_variation, fixed + random, compare=_compare_differentiable, names=["image"], fixed=len(fixed))


def _grad_cam(features: Any, grads: Any) -> np.ndarray:
    """The core of :func:`cnnkit.viz.cam.grad_cam` for one image: mean gradients, sum, ReLU."""
    f = np.asarray(_to_numpy(features), dtype=np.float64)
    alpha = np.asarray(_to_numpy(grads), dtype=np.float64).mean(axis=(1, 2))
    return np.maximum(np.tensordot(alpha, f, axes=1), 0)


def check_grad_cam(func: Callable, tensors: bool = False) -> CheckResult:
    """Check ``func(features, grads)``: the Grad-CAM map of one image from a layer's activations.

    The reader's function::

        def grad_cam(features, grads):
            \"\"\"features: (C, H, W), a layer's activations A_c for one image; grads: (C, H, W),
            the gradient of the class score (the logit) with respect to them -> (H, W):
                alpha_c = mean over (H, W) of grads[c]      (one weight per channel)
                map = ReLU(sum over c of alpha_c * features[c])
            at the layer's resolution, not normalised, not upsampled.\"\"\"

    This is the convention of :func:`cnnkit.viz.cam.grad_cam` (spatial *mean* of the gradient,
    then ReLU), which computes the features and gradients from a model with hooks; the
    reference is that function's last lines. The inputs are numpy float64 arrays, or torch
    tensors with ``tensors=True``; the result may be either. Cases: 2 channels of 2x2 with a
    negative region, 3 channels of 2x3, an all-negative map (all zeros after the ReLU), one
    channel, constant gradients (a GAP head, where Grad-CAM is CAM divided by H W), then 4
    random ones.

    Example:
        >>> def grad_cam(features, grads):
        ...     return np.maximum(np.tensordot(grads.mean(axis=(1, 2)), features, axes=1), 0)
        >>> check_grad_cam(grad_cam)
        passed: 9 cases
        >>> def normalised(features, grads):
        ...     m = grad_cam(features, grads)
        ...     return m / m.max()
        >>> print(check_grad_cam(normalised).message.splitlines()[-1])
        first difference at index (0, 0): expected 0.3, got 0.75 (3 of 4 entries differ)
    """
    f3 = np.array([[1.0, 2.0, 0.0, 0.0, 1.0, 1.0], [0.5, 0.0, 2.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 3.0, 0.0, 0.0]])
    g3 = np.array([[0.1, 0.3, 0.2, 0.0, 0.2, 0.4], [-0.3, 0.0, -0.3, 0.0, 0.3, -0.3], [0.6, -0.6, 0.0, 0.3, 0.3, 0.0]])
    fixed = [
        (
            np.array([[[1.0, 0.0], [2.0, 1.0]], [[0.0, 3.0], [1.0, 0.0]]]),
            np.array([[[0.5, 0.1], [0.2, 0.4]], [[-0.2, -0.4], [0.0, -0.2]]]),
        ),
        (f3.reshape(3, 2, 3), g3.reshape(3, 2, 3)),  # 3 channels of 2x3
        (np.array([[[1.0, 2.0], [0.5, 1.0]]]), np.array([[[-0.5, -0.1], [-0.2, -0.2]]])),  # all negative: zeros
        (np.array([[[0.0, 2.0, 4.0]]]), np.array([[[0.3, -0.6, 0.6]]])),  # one channel
        (np.array([[[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [3.0, 0.0]]]), np.array([[[0.25] * 2] * 2, [[-0.125] * 2] * 2])),  # GAP
    ]
    rng = _rng()
    random = []
    for _ in range(4):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        random.append((np.maximum(_normal(rng, shape), 0), _normal(rng, shape)))
    cases = fixed + random
    if tensors:
        cases = [tuple(torch.from_numpy(a) for a in case) for case in cases]
    return check(func, _grad_cam, cases, names=["features", "grads"], fixed=len(fixed))
