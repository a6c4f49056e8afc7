"""Pooling in numpy: max, average, Lp, stochastic and global average, matching PyTorch.

A pooling layer summarises each window of a feature map by one number and, with a stride,
shrinks the map. Every channel is pooled on its own; there are no weights. Output sizes come
from :func:`cnnkit.shapes.pool_output_size`, including PyTorch's ``ceil_mode`` rule (a last,
partial window is kept only if it starts inside the input or the left padding).

Dtypes: :func:`max_pool2d` keeps the input dtype (an integer map stays integer); the averaging
pools return floats (``float64`` for integer input, ``float32`` for ``float32``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnkit._checks import as_array, check_ndim, check_rng, fmt, is_pair, non_negative_pair, positive_pair
from cnnkit._types import IntOrPair
from cnnkit.shapes import dilated_span, pool_output_size

__all__ = ["max_pool2d", "avg_pool2d", "lp_pool2d", "stochastic_pool2d", "global_avg_pool2d"]

_HINT = "add axes with x[None, None] for a single 2-D map"


def _setup(caller: str, input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any):
    """Check the arguments of ``caller`` and compute the output size; errors name the caller's
    arguments (``padding``, ``kernel_size``), not the symbols of :func:`cnnkit.shapes.pool_output_size`."""
    x = as_array(input, "input")
    check_ndim(x, 4, "input", "(N, C, H, W)", _HINT)
    k = positive_pair(kernel_size, "kernel_size")
    s = k if stride is None else positive_pair(stride, "stride")
    p = non_negative_pair(padding, "padding")
    d = positive_pair(dilation, "dilation")
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"ceil_mode must be a bool; got {ceil_mode!r}")
    if any(pv > kv // 2 for pv, kv in zip(p, k)):
        given = is_pair(padding) or is_pair(kernel_size)
        raise ValueError(
            f"{caller}: padding={fmt(p, given)} is more than half of kernel_size={fmt(k, given)}; "
            f"padding may be at most {fmt((k[0] // 2, k[1] // 2), given)} (as in PyTorch)"
        )
    try:
        out = pool_output_size(tuple(x.shape[2:]), k, s, p, d, bool(ceil_mode))
    except ValueError as error:  # the window does not fit: say which function was called
        raise ValueError(f"{caller}: {error}") from None
    return x, k, s, p, d, out


def _padded(x: np.ndarray, k, s, p, d, out, fill) -> np.ndarray:
    """Pad by ``p`` on each side, plus whatever the last ``ceil_mode`` window needs on the
    bottom/right, with the constant ``fill``."""
    widths = [(0, 0), (0, 0)]
    for axis in range(2):
        needed = (out[axis] - 1) * s[axis] + dilated_span(k[axis], d[axis])
        extra = max(0, needed - (x.shape[2 + axis] + 2 * p[axis]))
        widths.append((p[axis], p[axis] + extra))
    if widths[2:] == [(0, 0), (0, 0)]:
        return x
    return np.pad(x, widths, mode="constant", constant_values=fill)


def _reduce_windows(xp: np.ndarray, k, s, d, out, op) -> np.ndarray:
    """Reduce every (dilated, strided) window of ``xp`` with the in-place ufunc ``op``
    (``np.maximum`` or ``np.add``): shape (N, C, H_out, W_out).

    A rectangular window's max (or sum) is separable: reduce the kH taps of each column first,
    then the kW taps of each row, kH + kW strided passes instead of kH * kW. Each pass combines
    whole strided slices, which numpy does far faster than reducing small window axes.
    """
    for axis in (2, 3):
        span = (out[axis - 2] - 1) * s[axis - 2] + 1

        def tap(i: int, a: np.ndarray = xp, axis: int = axis, span: int = span) -> np.ndarray:
            index = [slice(None)] * 4
            start = i * d[axis - 2]
            index[axis] = slice(start, start + span, s[axis - 2])
            return a[tuple(index)]

        result = np.array(tap(0))  # a copy, then reduced in place
        for i in range(1, k[axis - 2]):
            op(result, tap(i), out=result)
        xp = result
    return xp


def max_pool2d(
    input: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """Keep the largest value of each window, as ``torch.nn.functional.max_pool2d``.

    .. math::

        y[n, c, u, v] = \\max_{i < k_H, \\, j < k_W} x_p[n, c, s_H u + d_H i, \\; s_W v + d_W j]

    The padding is filled with :math:`-\\infty` (the smallest integer for integer maps), so a
    padded sample never wins.

    Args:
        input: array of shape (N, C, H, W).
        kernel_size: window size, int or (kH, kW).
        stride: step between windows, int or pair; defaults to ``kernel_size``.
        padding: implicit padding on each side, int or pair; at most ``kernel_size // 2``.
        dilation: spacing between the samples of a window, int or pair.
        ceil_mode: round the output size up (keep a last, partial window).

    Returns:
        Array of shape (N, C, H_out, W_out), same dtype as ``input``, with (see
        :func:`cnnkit.shapes.pool_output_size`)

        H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1 (ceil with ``ceil_mode``).

    Example:
        >>> x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])[None, None]
        >>> max_pool2d(x, 2)[0, 0]
        array([[6, 8],
               [3, 4]])
        >>> max_pool2d(x, 3, stride=1)[0, 0]
        array([[7, 8],
               [7, 8]])
    """
    x, k, s, p, d, out = _setup("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    if x.dtype.kind == "f":
        fill: Any = -np.inf
    elif x.dtype.kind == "b":
        fill = False
    else:
        fill = np.iinfo(x.dtype).min
    # For non-overlapping windows (stride == kernel, no padding) this crops the remainder and
    # takes strided slices; measured faster than x.reshape(N, C, H//2, 2, W//2, 2).max(axis=(3, 5)).
    return _reduce_windows(_padded(x, k, s, p, d, out, fill), k, s, d, out, np.maximum)


def _avg_divisor(size: int, k: int, s: int, p: int, n_out: int, include_pad: bool) -> np.ndarray:
    """PyTorch's divisor along one axis: the window's length inside [-p, size + p) if padding
    counts, else inside the input [0, size)."""
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(
    input: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Average each window, as ``torch.nn.functional.avg_pool2d``.

    .. math::

        y[n, c, u, v] = \\frac{1}{|W_{uv}|} \\sum_{(a, b) \\in W_{uv}} x_p[n, c, a, b]

    The divisor :math:`|W_{uv}|` follows PyTorch exactly: the window's size counting the zero
    padding (``count_include_pad=True``, the default) or only the input samples it covers
    (``False``). A ``ceil_mode`` window that hangs over the bottom/right beyond the padding is
    divided by the part that lies inside the padded input. ``divisor_override`` replaces the
    divisor everywhere.

    Args:
        input: array of shape (N, C, H, W).
        kernel_size: window size, int or (kH, kW).
        stride: int or pair; defaults to ``kernel_size``.
        padding: zero padding on each side, int or pair; at most ``kernel_size // 2``.
        ceil_mode: round the output size up (keep a last, partial window).
        count_include_pad: count the padding in the divisor.
        divisor_override: if given, divide every sum by this positive int instead.

    Returns:
        Float array of shape (N, C, H_out, W_out) (sizes as :func:`max_pool2d` with dilation 1).

    Example:
        >>> x = np.array([[0, 10, 9, 3], [4, 3, 2, 1], [10, 2, 10, 3], [3, -1, -3, -3]])[None, None]
        >>> avg_pool2d(x, 2)[0, 0]
        array([[4.25, 3.75],
               [3.5 , 1.75]])
        >>> avg_pool2d(np.ones((1, 1, 2, 2)), 2, stride=1, padding=1)[0, 0]
        array([[0.25, 0.5 , 0.25],
               [0.5 , 1.  , 0.5 ],
               [0.25, 0.5 , 0.25]])
    """
    x, k, s, p, d, out = _setup("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override < 1):
        raise ValueError(f"divisor_override must be None or a positive int; got {divisor_override!r}")
    dtype = np.dtype(np.float32 if x.dtype == np.float32 else np.float64)
    xp = _padded(x.astype(dtype, copy=False), k, s, p, d, out, 0)
    total = _reduce_windows(xp, k, s, d, out, np.add)
    if divisor_override is not None:
        return total / dtype.type(divisor_override)
    h, w = x.shape[2:]
    rows = _avg_divisor(h, k[0], s[0], p[0], out[0], count_include_pad)
    cols = _avg_divisor(w, k[1], s[1], p[1], out[1], count_include_pad)
    return total / np.outer(rows, cols).astype(dtype)


def lp_pool2d(
    input: Any,
    norm_type: float,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    ceil_mode: bool = False,
    *,
    mean: bool = False,
) -> np.ndarray:
    """Power pooling: the p-norm of each window (PyTorch's form) or its power mean.

    With ``mean=False`` (the default) this is exactly ``torch.nn.functional.lp_pool2d``
    (where ``p`` is called ``norm_type``):

    .. math::

        y = \\Big( \\sum_{a \\in W} x_a^{\\,p} \\Big)^{1/p},

    a *sum*, not a mean: ``p = 1`` gives the window's sum (for non-negative input), ``p = 2``
    its Euclidean norm. As in PyTorch, ``x^p`` is not an absolute value (negative input with
    a non-integer ``p`` gives NaN), and a ``ceil_mode`` window that is cut off by the border
    is scaled up to the full window (PyTorch computes ``avg_pool2d(x^p) * kH * kW``).

    With ``mean=True`` it is the power mean of the absolute values,

    .. math::

        y = \\Big( \\frac{1}{|W|} \\sum_{a \\in W} |x_a|^{p} \\Big)^{1/p},

    which interpolates between pools: ``p = 1`` is average pooling (on non-negative input),
    ``p = 2`` the root mean square, and as ``p`` grows it tends to max pooling of ``|x|``.
    ``|W|`` counts only the input samples in the window.

    For ``p = inf`` both forms return ``max_pool2d(|x|)`` (max pooling, for the non-negative
    maps that follow a ReLU), and for ``p = -inf`` the smallest ``|x|``, as PyTorch.

    Args:
        input: array of shape (N, C, H, W).
        norm_type: the power ``p`` (PyTorch's name); any non-zero float, or ``float('inf')``.
        kernel_size: window size, int or (kH, kW).
        stride: int or pair; defaults to ``kernel_size``.
        ceil_mode: round the output size up.
        mean: use the power mean instead of PyTorch's sum (keyword only).

    Returns:
        Float array of shape (N, C, H_out, W_out), sizes as :func:`avg_pool2d` without padding.

    Example:
        >>> x = np.array([[1., 2.], [2., 4.]])[None, None]
        >>> print(lp_pool2d(x, 2, 2)[0, 0, 0, 0])                 # sqrt(1 + 4 + 4 + 16)
        5.0
        >>> print(lp_pool2d(x, 2, 2, mean=True)[0, 0, 0, 0])      # sqrt(25 / 4)
        2.5
        >>> print(lp_pool2d(x, 1, 2, mean=True)[0, 0, 0, 0], lp_pool2d(x, float('inf'), 2)[0, 0, 0, 0])
        2.25 4.0
    """
    p = norm_type
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or p == 0 or math.isnan(p):
        raise ValueError(f"norm_type must be a non-zero number (or float('inf')); got {p!r}")
    x = as_array(input, "input")
    if math.isinf(p):
        sign = 1 if p > 0 else -1
        return sign * max_pool2d(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode)
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    x = x.astype(dtype, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        if mean:
            avg = avg_pool2d(np.abs(x) ** p, kernel_size, stride, 0, ceil_mode, count_include_pad=False)
            return avg ** (1.0 / p)
        kh, kw = positive_pair(kernel_size, "kernel_size")
        return (avg_pool2d(x**p, kernel_size, stride, 0, ceil_mode) * (kh * kw)) ** (1.0 / p)


def stochastic_pool2d(
    input: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    rng: np.random.Generator | None = None,
    training: bool = True,
) -> np.ndarray:
    """Stochastic pooling (Zeiler and Fergus, 2013): pick a value of each window at random.

    Within a window of non-negative activations :math:`a_1, \\dots, a_K`, element ``i`` is
    chosen with probability

    .. math::

        p_i = \\frac{a_i}{\\sum_j a_j},

    so large activations are likely and zeros are never picked (a window of zeros gives 0).
    At test time (``training=False``) the random choice is replaced by its expectation, the
    probability-weighted average :math:`\\sum_i p_i a_i = \\sum_i a_i^2 / \\sum_j a_j`.

    Args:
        input: non-negative array of shape (N, C, H, W) (for example after a ReLU).
        kernel_size: window size, int or (kH, kW).
        stride: int or pair; defaults to ``kernel_size``. There is no padding.
        rng: a ``numpy.random.Generator``; required when ``training`` is True.
        training: sample (True) or return the weighted average (False).

    Returns:
        Array of shape (N, C, H_out, W_out) with H_out = floor((H - kH) / sH) + 1; in
        training every value is one of its window's values, in the input dtype.

    Example:
        >>> x = np.array([[0., 1.], [1., 2.]])[None, None]
        >>> print(stochastic_pool2d(x, 2, training=False)[0, 0, 0, 0])     # (1 + 1 + 4) / 4
        1.5
        >>> rng = np.random.default_rng(0)
        >>> samples = [float(stochastic_pool2d(x, 2, rng=rng)[0, 0, 0, 0]) for _ in range(1000)]
        >>> 0.0 in samples, sorted(set(samples))
        (False, [1.0, 2.0])
    """
    x, k, s, _, _, out = _setup("stochastic_pool2d", input, kernel_size, stride, 0, 1, False)
    if x.size and x.min() < 0:
        raise ValueError(
            f"input must be non-negative for stochastic pooling (probabilities a_i / sum(a)); got a "
            f"minimum of {x.min()} — apply a ReLU first"
        )
    if training:
        check_rng(rng, "rng (required when training=True)")
    n, c = x.shape[:2]
    win = sliding_window_view(x, k, axis=(2, 3))[
        :, :, : (out[0] - 1) * s[0] + 1 : s[0], : (out[1] - 1) * s[1] + 1 : s[1]
    ]
    a = win.reshape(n, c, out[0], out[1], k[0] * k[1])  # one row of K activations per window
    if not training:
        a = a.astype(np.float32 if x.dtype == np.float32 else np.float64)
        total = a.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (a * a).sum(axis=-1) / total, 0).astype(a.dtype)
    cumulative = np.cumsum(a, axis=-1, dtype=np.float64)
    total = cumulative[..., -1]
    u = rng.random(total.shape) * total  # type: ignore[union-attr]
    # the first index whose cumulative sum exceeds u; a zero a_i never adds to the sum, so it
    # is never the first to exceed u
    index = (cumulative <= u[..., None]).sum(axis=-1)
    # guard against rounding (u == total): fall back to the last positive element
    last_positive = a.shape[-1] - 1 - np.argmax((a > 0)[..., ::-1], axis=-1)
    index = np.where(index >= a.shape[-1], last_positive, index)
    return np.take_along_axis(a, index[..., None], axis=-1)[..., 0]


def global_avg_pool2d(input: Any, keepdims: bool = False) -> np.ndarray:
    """Average each channel over all positions: one number per feature map.

    .. math::

        y[n, c] = \\frac{1}{H W} \\sum_{u, v} x[n, c, u, v]

    Used instead of flattening before the classifier (Network in Network, ResNet); it is
    ``F.adaptive_avg_pool2d(x, 1)`` in PyTorch.

    Args:
        input: array of shape (N, C, H, W).
        keepdims: return shape (N, C, 1, 1), like PyTorch, instead of (N, C).

    Returns:
        Float array of shape (N, C) (default) or (N, C, 1, 1).

    Example:
        >>> x = np.arange(8).reshape(1, 2, 2, 2)
        >>> global_avg_pool2d(x)
        array([[1.5, 5.5]])
        >>> global_avg_pool2d(x, keepdims=True).shape
        (1, 2, 1, 1)
    """
    x = as_array(input, "input")
    check_ndim(x, 4, "input", "(N, C, H, W)", _HINT)
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"input must have at least one position to average; got shape {tuple(x.shape)}")
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    return x.mean(axis=(2, 3), dtype=dtype, keepdims=keepdims)
