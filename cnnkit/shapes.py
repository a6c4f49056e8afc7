"""Output-size arithmetic for convolution, pooling and transposed convolution.

This module is the one source of truth for every size formula in the book: the operations in
:mod:`cnnkit.ops`, the plots and the prose all call these functions, so no formula can drift
between two copies.

Every function takes an int or a pair for each size argument, as PyTorch does (``3`` means
``(3, 3)``). Given only ints it returns an int; given at least one pair it returns a pair,
one value per spatial axis (height, width). The exceptions say so: :func:`padding_amounts`
always returns both axes, ``((top, bottom), (left, right))``, and :func:`to_pair` always a pair.

The symbols follow the lecture: ``i`` input size, ``k`` kernel size, ``s`` stride, ``p`` padding
on each side, ``d`` dilation, ``o`` output size. A dilated kernel spans ``d*(k - 1) + 1`` input
samples (its *effective* size).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from cnnkit._checks import as_pair, check_at_least, did_you_mean, fmt, is_int, is_pair
from cnnkit._checks import to_pair as _to_pair
from cnnkit._types import IntOrPair, Padding

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "conv_transpose_output_padding",
    "keras_conv_transpose_output_size",
    "same_padding",
    "tf_same_padding",
    "padding_amounts",
    "to_pair",
    "dilated_span",
    "window_coverage",
    "receptive_field",
    "ReceptiveField",
    "transposed_input_sizes",
    "TransposedInput",
    "unit_centres",
    "window_starts",
]

_PADDING_STRINGS = ("valid", "same", "full")

def _check_padding_string(padding: str, name: str = "padding") -> str:
    if padding not in _PADDING_STRINGS:
        raise ValueError(
            f"{name} must be one of 'valid', 'same', 'full' or an int; got {padding!r}"
            f"{did_you_mean(padding, _PADDING_STRINGS)}"
        )
    return padding


def _pad_amounts(
    padding: Padding, k: tuple[int, int], d: tuple[int, int], s: tuple[int, int], name: str = "padding"
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Padding as ``((top, bottom), (left, right))`` from an int, a pair or a string."""
    if isinstance(padding, str):
        _check_padding_string(padding, name)
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "full":
            return tuple((dd * (kk - 1), dd * (kk - 1)) for kk, dd in zip(k, d))  # type: ignore[return-value]
        if any(ss != 1 for ss in s):
            raise ValueError(
                f"{name}='same' is not supported for strided convolutions; got stride "
                f"{fmt(s, True)}. Use an explicit padding (for example padding=k//2) instead"
            )
        return (same_padding(k[0], d[0]), same_padding(k[1], d[1]))
    if not (is_int(padding) or isinstance(padding, (tuple, list))):
        raise TypeError(f"{name} must be one of 'valid', 'same', 'full', an int or a pair of ints; got {padding!r}")
    p = as_pair(padding, name)
    check_at_least(p, 0, name, is_pair(padding), "non-negative")
    return ((p[0], p[0]), (p[1], p[1]))


def _check_kernel_fits(
    padded: tuple[int, int], k: tuple[int, int], d: tuple[int, int], pads: tuple[int, int], pairs_given: bool
) -> None:
    """Raise the lecture's error when the (dilated) kernel does not fit in the padded input.

    ``pads`` is the total padding (before + after) already included in ``padded``.
    """
    eff = tuple(dilated_span(kk, dd) for kk, dd in zip(k, d))
    if all(e <= q for e, q in zip(eff, padded)):
        return
    kernel = f"kernel {fmt(k, pairs_given)}"
    if any(dd != 1 for dd in d):
        kernel = f"dilated kernel {fmt(k, pairs_given)} with dilation {fmt(d, pairs_given)} (spanning {fmt(eff, pairs_given)})"
    # the smallest symmetric padding per side that makes it fit
    need = max(pt // 2 + math.ceil((e - q) / 2) for e, q, pt in zip(eff, padded, pads))
    raise ValueError(
        f"{kernel} is larger than the padded input {fmt(padded, pairs_given)}; "
        f"use padding >= {need} or a smaller kernel"
    )


def _elementwise(fn: Callable[..., Any], args: Sequence[Any], names: Sequence[str]) -> Any:
    """Call a scalar formula once (all ints) or once per axis (any pair), returning int or pair."""
    if not any(is_pair(a) for a in args):
        return fn(*args)
    pairs = [a if isinstance(a, str) or a is None or isinstance(a, bool) else as_pair(a, n) for a, n in zip(args, names)]
    return tuple(fn(*[a if not isinstance(a, tuple) else a[axis] for a in pairs]) for axis in range(2))


def _check_int(value: Any, name: str, minimum: int, what: str) -> int:
    if not is_int(value):
        raise TypeError(f"{name} must be an int or a pair of ints; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {what}; got {value}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Public formulas
# --------------------------------------------------------------------------------------------


def same_padding(k: IntOrPair, d: IntOrPair = 1) -> Any:
    """Padding ``(before, after)`` that keeps the size of a stride-1 convolution, as PyTorch.

    A kernel of size ``k`` and dilation ``d`` needs ``d*(k - 1)`` padded samples in total.
    PyTorch puts ``total // 2`` before (top/left) and the rest after (bottom/right), so an even
    total is split evenly and an odd total puts the extra sample on the bottom/right.

    Args:
        k: kernel size, int or (kH, kW).
        d: dilation, int or (dH, dW).

    Returns:
        ``(before, after)`` for int arguments; ``((top, bottom), (left, right))`` for pairs.

    Example:
        >>> same_padding(3)
        (1, 1)
        >>> same_padding(4)
        (1, 2)
        >>> same_padding(3, d=2)
        (2, 2)
        >>> same_padding((3, 2))
        ((1, 1), (0, 1))
    """

    def one(k: int, d: int) -> tuple[int, int]:
        _check_int(k, "kernel size k", 1, "positive")
        _check_int(d, "dilation d", 1, "positive")
        total = d * (k - 1)
        return (total // 2, total - total // 2)

    return _elementwise(one, (k, d), ("kernel size k", "dilation d"))


def tf_same_padding(i: IntOrPair, k: IntOrPair, s: IntOrPair = 1, d: IntOrPair = 1) -> Any:
    """Padding ``(before, after)`` of TensorFlow/Keras ``padding='same'``, which allows a stride.

    TensorFlow fixes the output size to :math:`o = \\lceil i / s \\rceil` and adds the smallest
    total padding that produces it, with the dilated kernel spanning ``d*(k - 1) + 1`` samples:

    .. math::

        p_\\text{total} = \\max\\bigl((o - 1)s + d(k - 1) + 1 - i,\\; 0\\bigr), \\qquad
        \\text{before} = \\lfloor p_\\text{total} / 2 \\rfloor, \\qquad
        \\text{after} = p_\\text{total} - \\text{before}.

    An odd total puts the extra sample at the end (bottom/right). With stride 1 this is
    :func:`same_padding`; with a stride the padding depends on the input size, which is why
    PyTorch refuses ``padding='same'`` for strided convolutions. Padding the input by these
    amounts and running a ``'valid'`` convolution reproduces TensorFlow's result.

    Args:
        i: input size, int or (H, W).
        k: kernel size, int or (kH, kW).
        s: stride, int or (sH, sW).
        d: dilation, int or (dH, dW).

    Returns:
        ``(before, after)`` for int arguments; ``((top, bottom), (left, right))`` if any
        argument is a pair.

    Example:
        >>> tf_same_padding(5, 3, s=2)
        (1, 1)
        >>> tf_same_padding(6, 3, s=2)     # odd total: the extra sample goes at the end
        (0, 1)
        >>> before, after = tf_same_padding(7, 3, s=2)
        >>> conv_output_size(7 + before + after, 3, s=2)   # ceil(7 / 2)
        4
        >>> tf_same_padding(5, 4) == same_padding(4)
        True
        >>> tf_same_padding((6, 5), 3, s=2)
        ((0, 1), (1, 1))
    """

    def one(i: int, k: int, s: int, d: int) -> tuple[int, int]:
        _check_int(i, "input size i", 1, "positive")
        _check_int(k, "kernel size k", 1, "positive")
        _check_int(s, "stride s", 1, "positive")
        _check_int(d, "dilation d", 1, "positive")
        o = -(-i // s)  # ceil(i / s) in integer arithmetic
        total = max((o - 1) * s + d * (k - 1) + 1 - i, 0)
        return (total // 2, total - total // 2)

    return _elementwise(one, (i, k, s, d), ("input size i", "kernel size k", "stride s", "dilation d"))


def padding_amounts(
    padding: Padding, k: IntOrPair, s: IntOrPair = 1, d: IntOrPair = 1, name: str = "padding"
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Explicit padding ``((top, bottom), (left, right))`` of a 2-D convolution's ``padding``.

    Turns the ``padding`` argument of :func:`cnnkit.ops.conv2d` (and of PyTorch's ``conv2d``)
    into the number of samples added on each side:

    * an int ``p`` or a pair ``(pH, pW)``: that many on both sides of the axis;
    * ``'valid'``: none;
    * ``'same'``: :func:`same_padding` (stride 1 only, as PyTorch; see :func:`tf_same_padding`
      for TensorFlow's strided version);
    * ``'full'``: ``d*(k - 1)`` on each side, so that every partial overlap is kept.

    Args:
        padding: int, (pH, pW), ``'valid'``, ``'same'`` or ``'full'``.
        k: kernel size, int or (kH, kW).
        s: stride, int or (sH, sW); only checked (``'same'`` needs stride 1).
        d: dilation, int or (dH, dW).
        name: how errors call the padding argument (the caller's name for it).

    Returns:
        ``((top, bottom), (left, right))``, always for both axes.

    Raises:
        ValueError: for an unknown padding string, a negative padding, ``'same'`` with a
            stride > 1, or a non-positive kernel size, stride or dilation.
        TypeError: for a padding that is neither a string, an int nor a pair of ints.

    Example:
        >>> padding_amounts(1, 3)
        ((1, 1), (1, 1))
        >>> padding_amounts((2, 0), 5)
        ((2, 2), (0, 0))
        >>> padding_amounts('same', (3, 4))
        ((1, 1), (1, 2))
        >>> padding_amounts('full', 3, d=2)
        ((4, 4), (4, 4))
        >>> padding_amounts('valid', 3, s=2)
        ((0, 0), (0, 0))
    """
    kk = to_pair(k, "kernel size k", minimum=1)
    ss = to_pair(s, "stride s", minimum=1)
    dd = to_pair(d, "dilation d", minimum=1)
    return _pad_amounts(padding, kk, dd, ss, name)


def to_pair(value: IntOrPair, name: str = "value", minimum: int | None = None) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair of ints stays a pair: how every size argument is normalised.

    Args:
        value: an int or a pair of ints (height, width); numpy integers are accepted, bools
            are not.
        name: the argument's name, used in error messages.
        minimum: if given, the smallest value allowed on each axis.

    Returns:
        ``(height, width)`` as Python ints.

    Raises:
        TypeError: if ``value`` is neither an int nor a pair of ints.
        ValueError: if a value is below ``minimum``.

    Example:
        >>> to_pair(3)
        (3, 3)
        >>> to_pair([2, 5], "stride")
        (2, 5)
        >>> to_pair(0, "stride", minimum=1)
        Traceback (most recent call last):
        ...
        ValueError: stride must be positive; got 0
    """
    return _to_pair(value, name, minimum)


def dilated_span(k: IntOrPair, d: IntOrPair = 1) -> Any:
    """How many input samples a kernel of size ``k`` with dilation ``d`` spans: ``d*(k - 1) + 1``.

    Its *effective* size: a 3-tap kernel with dilation 2 reads samples 0, 2 and 4, a span of 5.

    Example:
        >>> dilated_span(3), dilated_span(3, 2), dilated_span((3, 5), 2)
        (3, 5, (5, 9))
    """
    kk, dd = to_pair(k, "kernel size k", minimum=1), to_pair(d, "dilation d", minimum=1)
    span = (dd[0] * (kk[0] - 1) + 1, dd[1] * (kk[1] - 1) + 1)
    return span if is_pair(k) or is_pair(d) else span[0]


def window_coverage(
    i: IntOrPair, k: IntOrPair, stride: IntOrPair = 1, padding: Padding = 0, dilation: IntOrPair = 1
) -> np.ndarray:
    """How many windows of a convolution read each input pixel.

    Window ``(u, v)`` starts at input row ``u*s - top`` and column ``v*s - left`` (negative in
    the padding) and reads every ``d``-th sample of the next :func:`dilated_span` samples.
    Windows are products of a row range and a column range, so the count is the outer product
    of the counts along each axis. A zero marks a pixel that no window reads: with ``'valid'``
    padding and a stride that does not divide ``i - k``, the last rows and columns are lost.

    Args:
        i: input size, int or (H, W).
        k: kernel size, int or (kH, kW).
        stride: step between windows, int or (sH, sW).
        padding: int, pair, ``'valid'``, ``'same'`` or ``'full'``, as :func:`cnnkit.ops.conv2d`.
        dilation: spacing between kernel taps, int or (dH, dW).

    Returns:
        int64 array of shape (H, W); the sum of all counts is
        ``H_out * W_out * kH * kW`` minus the taps that fall on padding.

    Example:
        >>> window_coverage(7, 3, stride=3)[0].tolist()   # the last column is never read
        [1, 1, 1, 1, 1, 1, 0]
        >>> window_coverage(5, 3)[2].tolist()
        [3, 6, 9, 6, 3]
        >>> window_coverage(5, 3, padding='same')[0].tolist()
        [4, 6, 6, 6, 4]
        >>> int((window_coverage(16, 3, stride=4) == 0).sum())
        112
    """
    ii = to_pair(i, "input size i", minimum=1)
    kk = to_pair(k, "kernel size k", minimum=1)
    ss = to_pair(stride, "stride", minimum=1)
    dd = to_pair(dilation, "dilation", minimum=1)
    pads = padding_amounts(padding, kk, s=ss, d=dd)

    def as_given(value: Any) -> Any:  # a list becomes a tuple, so that the errors echo the argument
        return tuple(value) if isinstance(value, list) else value

    out = to_pair(conv_output_size(*(as_given(v) for v in (i, k, stride, padding, dilation))), "output")
    counts = []
    for axis in range(2):
        c = np.zeros(ii[axis], dtype=np.int64)
        for u in range(out[axis]):
            taps = u * ss[axis] - pads[axis][0] + dd[axis] * np.arange(kk[axis])
            taps = taps[(taps >= 0) & (taps < ii[axis])]
            np.add.at(c, taps, 1)
        counts.append(c)
    return np.outer(counts[0], counts[1])


def conv_output_size(i: IntOrPair, k: IntOrPair, s: IntOrPair = 1, p: Padding = 0, d: IntOrPair = 1) -> Any:
    """Output size of a convolution.

    .. math::

        o = \\left\\lfloor \\frac{i + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1

    The padded input has ``i + 2p`` samples and the dilated kernel spans ``d(k - 1) + 1`` of
    them; the kernel fits in ``i + 2p - d(k - 1)`` positions, of which every ``s``-th is kept.

    Args:
        i: input size, int or (H, W).
        k: kernel size, int or (kH, kW).
        s: stride, int or (sH, sW).
        p: padding on each side, int or (pH, pW), or one of the strings ``'valid'`` (no
            padding), ``'same'`` (output size equals input size; stride 1 only, padding split as
            :func:`same_padding`) and ``'full'`` (``d*(k - 1)`` on each side, every partial overlap).
        d: dilation, int or (dH, dW).

    Returns:
        The output size, an int, or a pair if any argument is a pair.

    Raises:
        ValueError: for a non-positive kernel, stride or dilation, a negative padding,
            ``p='same'`` with a stride > 1, or a kernel larger than the padded input.

    Example:
        >>> conv_output_size(5, 3)            # 'valid' 3x3 on 5 samples
        3
        >>> conv_output_size(5, 3, p=1)       # padding 1 keeps the size
        5
        >>> [conv_output_size(16, 3, s) for s in (2, 3, 4)]
        [7, 5, 4]
        >>> conv_output_size((5, 7), 3, p='full')
        (7, 9)
        >>> conv_output_size(5, 3, d=2)
        1
    """

    def one(i: int, k: int, s: int, p: Padding, d: int) -> int:
        i = _check_int(i, "input size i", 0, "non-negative")
        k = _check_int(k, "kernel size k", 1, "positive")
        s = _check_int(s, "stride s", 1, "positive")
        d = _check_int(d, "dilation d", 1, "positive")
        if isinstance(p, str):
            (before, after), _ = _pad_amounts(p, (k, k), (d, d), (s, s), name="padding")
        else:
            before = after = _check_int(p, "padding p", 0, "non-negative")
        return (i + before + after - d * (k - 1) - 1) // s + 1

    args = (i, k, s, p, d)
    pairs_given = any(is_pair(a) for a in args)
    # Check the kernel against the padded input on both axes at once so the message shows pairs.
    ii, kk, ss, dd = (as_pair(a, n) for a, n in zip((i, k, s, d), ("input size i", "kernel size k", "stride s", "dilation d")))
    for name, val, arg in (("kernel size k", kk, k), ("stride s", ss, s), ("dilation d", dd, d)):
        check_at_least(val, 1, name, is_pair(arg), "positive")
    check_at_least(ii, 0, "input size i", is_pair(i), "non-negative")
    pads = _pad_amounts(p, kk, dd, ss, name="padding" if isinstance(p, str) else "padding p")
    totals = (sum(pads[0]), sum(pads[1]))
    _check_kernel_fits((ii[0] + totals[0], ii[1] + totals[1]), kk, dd, totals, pairs_given)
    return _elementwise(one, args, ("input size i", "kernel size k", "stride s", "padding p", "dilation d"))


def pool_output_size(
    i: IntOrPair,
    k: IntOrPair,
    s: IntOrPair | None = None,
    p: IntOrPair = 0,
    d: IntOrPair = 1,
    ceil_mode: bool = False,
) -> Any:
    """Output size of max or average pooling, with PyTorch's ``ceil_mode`` rule.

    With ``ceil_mode=False`` this is :func:`conv_output_size`. With ``ceil_mode=True`` the
    division rounds up, so a last, partial window is kept,

    .. math::

        o = \\left\\lceil \\frac{i + 2p - d(k - 1) - 1}{s} \\right\\rceil + 1,

    except that PyTorch drops that last window when it would start beyond the input, in the
    right padding: if ``(o - 1) s >= i + p`` then ``o`` is reduced by one. So with
    ``ceil_mode`` a window may be larger than the rest of the input (even than the whole input:
    ``pool_output_size(1, 2, ceil_mode=True) == 1``), as long as it starts inside it.

    Args:
        i: input size, int or (H, W).
        k: window size, int or (kH, kW).
        s: stride, int or pair; ``None`` (the default) means ``s = k``.
        p: padding on each side, int or pair; PyTorch requires ``p <= k // 2``.
        d: dilation, int or pair.
        ceil_mode: round the division up instead of down.

    Returns:
        The output size, an int, or a pair if any argument is a pair.

    Example:
        >>> pool_output_size(4, 2)
        2
        >>> pool_output_size(5, 2), pool_output_size(5, 2, ceil_mode=True)
        (2, 3)
        >>> pool_output_size(5, 2, s=2, p=1, ceil_mode=True)   # the last window would start in the padding
        3
        >>> pool_output_size((224, 7), 3, 2, 1)
        (112, 4)
    """
    if s is None:
        s = k
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be a bool; got {ceil_mode!r}")
    pairs_given = any(is_pair(a) for a in (i, k, s, p, d))
    kk, pp = as_pair(k, "kernel size k"), as_pair(p, "padding p")
    check_at_least(kk, 1, "kernel size k", is_pair(k), "positive")
    check_at_least(pp, 0, "padding p", is_pair(p), "non-negative")
    if any(pv > kv // 2 for pv, kv in zip(pp, kk)):
        raise ValueError(
            f"padding p must be at most half the window size (p <= k // 2, as PyTorch requires); "
            f"got p={fmt(pp, pairs_given)} for k={fmt(kk, pairs_given)}"
        )
    if not ceil_mode:
        # validates i, s, d and that the window fits in the padded input
        return conv_output_size(i, k, s, p, d)
    ii, ss, dd = as_pair(i, "input size i"), as_pair(s, "stride s"), as_pair(d, "dilation d")
    check_at_least(ii, 0, "input size i", is_pair(i), "non-negative")
    check_at_least(ss, 1, "stride s", is_pair(s), "positive")
    check_at_least(dd, 1, "dilation d", is_pair(d), "positive")

    def one(i: int, k: int, s: int, p: int, d: int) -> int:
        o = -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1
        if (o - 1) * s >= i + p:  # the last window must start inside the input or the left padding
            o -= 1
        return o

    out = _elementwise(one, (i, k, s, p, d), ("input size i", "kernel size k", "stride s", "padding p", "dilation d"))
    if min(out if pairs_given else (out,)) < 1:
        # with ceil_mode a window may hang over the border, but one must still start in the input
        _check_kernel_fits((ii[0] + 2 * pp[0], ii[1] + 2 * pp[1]), kk, dd, (2 * pp[0], 2 * pp[1]), pairs_given)
    return out


def conv_transpose_output_size(
    i: IntOrPair, k: IntOrPair, s: IntOrPair = 1, p: IntOrPair = 0, output_padding: IntOrPair = 0, d: IntOrPair = 1
) -> Any:
    """Output size of a transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    .. math::

        o = (i - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1

    This inverts :func:`conv_output_size`: a strided convolution maps several input sizes to
    the same output size (the floor discards the remainder), so going back is ambiguous and
    ``output_padding`` (extra samples on the bottom/right, ``0 <= output_padding < s``) selects
    which one. :func:`transposed_input_sizes` lists the candidates.

    Args:
        i: input size, int or (H, W) (the size of the map being upsampled).
        k: kernel size, int or pair.
        s: stride, int or pair.
        p: padding of the matching convolution, int or pair; removes ``p`` samples on each side.
        output_padding: extra samples on the bottom/right; PyTorch requires it to be smaller
            than the stride or smaller than the dilation.
        d: dilation, int or pair.

    Returns:
        The output size, an int, or a pair if any argument is a pair.

    Example:
        >>> conv_transpose_output_size(3, 3, s=2, p=1)
        5
        >>> conv_transpose_output_size(3, 3, s=2, p=1, output_padding=1)
        6
        >>> conv_transpose_output_size((10, 8), 3, s=2)
        (21, 17)
    """
    pairs_given = any(is_pair(a) for a in (i, k, s, p, output_padding, d))
    names = ("input size i", "kernel size k", "stride s", "padding p", "output_padding", "dilation d")
    ii, kk, ss, pp, oo, dd = (as_pair(a, n) for a, n in zip((i, k, s, p, output_padding, d), names))
    for name, val, arg in (("kernel size k", kk, k), ("stride s", ss, s), ("dilation d", dd, d)):
        check_at_least(val, 1, name, is_pair(arg), "positive")
    check_at_least(ii, 1, "input size i", is_pair(i), "positive")
    check_at_least(pp, 0, "padding p", is_pair(p), "non-negative")
    check_at_least(oo, 0, "output_padding", is_pair(output_padding), "non-negative")
    if any(o >= s_ and o >= d_ for o, s_, d_ in zip(oo, ss, dd)):
        raise ValueError(
            f"output_padding must be smaller than either stride or dilation; got output_padding="
            f"{fmt(oo, pairs_given)} with stride {fmt(ss, pairs_given)} and dilation {fmt(dd, pairs_given)}"
        )

    def one(i: int, k: int, s: int, p: int, op: int, d: int) -> int:
        return (i - 1) * s - 2 * p + d * (k - 1) + op + 1

    out = _elementwise(one, (i, k, s, p, output_padding, d), names)
    if min(out if pairs_given else (out,)) < 1:
        raise ValueError(
            f"padding p={fmt(pp, pairs_given)} removes more than the transposed convolution produces: "
            f"output size would be {fmt(out if pairs_given else (out,), pairs_given)}; use a smaller padding"
        )
    return out


def conv_transpose_output_padding(i: IntOrPair, k: IntOrPair, s: IntOrPair = 1, p: Padding = 0, d: IntOrPair = 1) -> Any:
    """The ``output_padding`` that takes a convolution's output back to its input size ``i``.

    A convolution of an input of size ``i`` reads its windows from the start of the padded input;
    the floor in :func:`conv_output_size` leaves the last

    .. math::

        r = i + p_\\text{before} + p_\\text{after} - \\bigl((o - 1)s + d(k - 1) + 1\\bigr), \\qquad 0 \\le r < s,

    padded samples unread. A transposed convolution of the output (same ``k``, ``s``, ``p``,
    ``d``) returns the size without them, so ``output_padding = r`` gets back to ``i``: it is
    the ``output_padding`` of ``i`` among :func:`transposed_input_sizes`. This is what the
    input gradient of a strided convolution needs (the unread samples get a zero gradient).

    Args:
        i: input size of the convolution, int or (H, W).
        k: kernel size, int or pair.
        s: stride, int or pair.
        p: padding on each side, int or pair, or ``'valid'``, ``'same'`` or ``'full'`` as in
            :func:`conv_output_size` (``'same'`` needs stride 1, so ``r = 0``).
        d: dilation, int or pair.

    Returns:
        ``r``, an int, or a pair if any argument is a pair.

    Raises:
        ValueError: as :func:`conv_output_size` (for instance a kernel larger than the padded input).

    Example:
        >>> conv_transpose_output_padding(6, 3, s=2, p=1)    # conv: 6 -> 3; transposed: 3 -> 5 + 1
        1
        >>> o = conv_output_size(6, 3, s=2, p=1)
        >>> conv_transpose_output_size(o, 3, s=2, p=1, output_padding=1)
        6
        >>> conv_transpose_output_padding((7, 8), 3, s=(3, 2), p='full')
        (2, 1)
    """
    o = conv_output_size(i, k, s, p, d)  # checks every argument, and that the kernel fits

    def one(i: int, o: int, k: int, s: int, p: Padding, d: int) -> int:
        before, after = _pad_amounts(p, (k, k), (d, d), (s, s))[0]
        return i + before + after - ((o - 1) * s + dilated_span(k, d))

    return _elementwise(
        one, (i, o, k, s, p, d), ("input size i", "output size o", "kernel size k", "stride s", "padding p", "dilation d")
    )


def keras_conv_transpose_output_size(
    i: IntOrPair,
    k: IntOrPair,
    s: IntOrPair = 1,
    padding: str = "valid",
    output_padding: IntOrPair | None = None,
    d: IntOrPair = 1,
) -> Any:
    """Output size of Keras's ``Conv2DTranspose``, which differs from PyTorch's when ``k < s``.

    With the dilated kernel spanning :math:`k_d = d(k - 1) + 1` samples and no
    ``output_padding`` (Keras's default ``None``):

    .. math::

        o_\\text{valid} = i s + \\max(k_d - s, 0), \\qquad o_\\text{same} = i s .

    For ``k_d >= s`` the ``'valid'`` size is PyTorch's :math:`(i - 1)s + k_d`
    (:func:`conv_transpose_output_size` with ``p = 0``); for ``k_d < s`` Keras returns
    :math:`s - k_d` more samples, so that the output always has ``i * s`` samples at least.
    With an ``output_padding`` given, Keras uses :math:`(i - 1)s + k_d + \\text{output\\_padding}`
    (``'valid'``) and :math:`(i - 1)s + (k_d \\bmod 2) + \\text{output\\_padding}` (``'same'``).

    Args:
        i: input size, int or (H, W).
        k: kernel size, int or (kH, kW).
        s: stride (Keras's ``strides``), int or pair.
        padding: ``'valid'`` (the default, as in Keras) or ``'same'``.
        output_padding: ``None`` (Keras's default) or an int or pair.
        d: dilation (Keras's ``dilation_rate``), int or pair.

    Returns:
        The output size, an int, or a pair if any size argument is a pair.

    Example:
        >>> keras_conv_transpose_output_size((10, 8), 3, s=2)          # as PyTorch: k >= s
        (21, 17)
        >>> keras_conv_transpose_output_size(4, 1, s=2), conv_transpose_output_size(4, 1, s=2)
        (8, 7)
        >>> keras_conv_transpose_output_size(4, 3, s=2, padding="same")
        8
    """
    if not isinstance(padding, str) or padding not in ("valid", "same"):
        raise ValueError(
            f"padding must be 'valid' or 'same' (Keras's Conv2DTranspose); got {padding!r}"
            f"{did_you_mean(padding, ('valid', 'same')) if isinstance(padding, str) else ''}"
        )

    def one(i: int, k: int, s: int, op: int | None, d: int) -> int:
        _check_int(i, "input size i", 1, "positive")
        _check_int(k, "kernel size k", 1, "positive")
        _check_int(s, "stride s", 1, "positive")
        _check_int(d, "dilation d", 1, "positive")
        if op is not None:
            _check_int(op, "output_padding", 0, "non-negative")
        span = dilated_span(k, d)
        if padding == "valid":
            return (i - 1) * s + span + (max(span, s) - span if op is None else op)
        return i * s if op is None else (i - 1) * s + span % 2 + op

    return _elementwise(
        one, (i, k, s, output_padding, d), ("input size i", "kernel size k", "stride s", "output_padding", "dilation d")
    )


class TransposedInput(NamedTuple):
    """One input size that a convolution maps to a given output size.

    Attributes:
        input_size: the input size ``i`` of the convolution.
        output_padding: the ``output_padding`` that makes the transposed convolution return
            exactly ``input_size`` from the output.
    """

    input_size: int
    output_padding: int


def transposed_input_sizes(o: IntOrPair, k: IntOrPair, s: IntOrPair = 1, p: IntOrPair = 0, d: IntOrPair = 1) -> Any:
    """Every input size that a convolution maps to output size ``o``, and how to get back.

    Because of the floor in :func:`conv_output_size`, the ``s`` input sizes

    .. math::

        i = (o - 1)s - 2p + d(k - 1) + 1 + r, \\qquad r = 0, \\dots, s - 1,

    all give the same output size ``o``. A transposed convolution of ``o`` returns the smallest
    of them, and ``output_padding = r`` selects the others. Sizes below 1 are left out.

    Args:
        o: output size of the convolution, int or pair.
        k: kernel size, int or pair.
        s: stride, int or pair.
        p: padding on each side, int or pair.
        d: dilation, int or pair.

    Returns:
        A list of :class:`TransposedInput` ``(input_size, output_padding)``; for pair
        arguments, a pair of such lists (height, width).

    Example:
        >>> transposed_input_sizes(3, 3, s=2, p=1)
        [TransposedInput(input_size=5, output_padding=0), TransposedInput(input_size=6, output_padding=1)]
        >>> [t.input_size for t in transposed_input_sizes(5, 3, s=1)]
        [7]
    """

    def one(o: int, k: int, s: int, p: int, d: int) -> list[TransposedInput]:
        _check_int(o, "output size o", 1, "positive")
        _check_int(k, "kernel size k", 1, "positive")
        _check_int(s, "stride s", 1, "positive")
        _check_int(p, "padding p", 0, "non-negative")
        _check_int(d, "dilation d", 1, "positive")
        base = (o - 1) * s - 2 * p + d * (k - 1) + 1
        return [TransposedInput(base + r, r) for r in range(s) if base + r >= 1]

    return _elementwise(one, (o, k, s, p, d), ("output size o", "kernel size k", "stride s", "padding p", "dilation d"))


class ReceptiveField(NamedTuple):
    """Receptive field of a stack of layers.

    Attributes:
        size: how many input samples one output unit of the last layer sees.
        jump: distance in input samples between neighbouring units of the last layer (the
            product of the strides).
        per_layer: ``(size, jump)`` after each layer, first layer first.
        offset: the first input sample seen by the first unit of the last layer; negative when
            padding is involved: ``offset_l = offset_{l-1} - p_l j_{l-1}`` (0 without padding).

    The field of unit ``u`` covers input samples ``offset + u*jump`` to ``offset + u*jump + size - 1``
    and is centred on ``centre + u*jump`` (:attr:`centre`, :func:`unit_centres`).

    Example:
        >>> rf = receptive_field([{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}])
        >>> rf.size, rf.jump, rf.offset, rf.centre
        (4, 2, -1, 0.5)
    """

    size: Any
    jump: Any
    per_layer: list
    offset: Any = 0

    @property
    def centre(self) -> Any:
        """Where the field of the first unit is centred: ``offset + (size - 1) / 2`` (a pair for pairs)."""
        if isinstance(self.size, tuple) or isinstance(self.offset, tuple):
            size, offset = as_pair(self.size, "size"), as_pair(self.offset, "offset")
            return (offset[0] + (size[0] - 1) / 2, offset[1] + (size[1] - 1) / 2)
        return self.offset + (self.size - 1) / 2


def _layer_params(layer: Any, index: int) -> tuple[Any, Any, Any, Any]:
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "kernel", "k", "stride", "s", "dilation", "d", "padding", "p"}
        if unknown:
            raise ValueError(
                f"layers[{index}] has unknown keys {sorted(unknown)}; use 'kernel_size', 'stride', 'dilation' and 'padding'"
            )
        k = layer.get("kernel_size", layer.get("kernel", layer.get("k")))
        if k is None:
            raise ValueError(f"layers[{index}] needs a 'kernel_size'; got {layer!r}")
        p = layer.get("padding", layer.get("p", 0))
        return k, layer.get("stride", layer.get("s", 1)), layer.get("dilation", layer.get("d", 1)), p
    if isinstance(layer, (tuple, list)) and len(layer) in (2, 3):
        k, s, *rest = layer
        return k, s, rest[0] if rest else 1, 0
    raise TypeError(
        f"layers[{index}] must be a (kernel, stride), a (kernel, stride, dilation) tuple or a dict "
        f"with 'kernel_size', 'stride' and 'dilation'; got {layer!r}"
    )


def receptive_field(layers: Sequence[Any]) -> ReceptiveField:
    """Receptive field of a stack of convolution or pooling layers.

    Starting from a single input sample (``r = 1``, ``j = 1``, offset 0), each layer with kernel
    ``k``, stride ``s``, dilation ``d`` and padding ``p`` (before the first sample) grows the
    field and the jump between neighbours and moves the field's start into the padding:

    .. math::

        r_l = r_{l-1} + d_l (k_l - 1) j_{l-1}, \\qquad j_l = j_{l-1} s_l, \\qquad
        \\text{offset}_l = \\text{offset}_{l-1} - p_l\\, j_{l-1}.

    The size and the jump do not depend on the padding; the offset does.

    Args:
        layers: a sequence of ``(kernel, stride)`` or ``(kernel, stride, dilation)`` tuples, or
            of dicts with keys ``kernel_size``, ``stride`` (default 1), ``dilation`` (default 1)
            and ``padding`` (before the first sample; default 0). Each value is an int or a pair.

    Returns:
        A :class:`ReceptiveField` ``(size, jump, per_layer, offset)``; ints, or pairs when any
        layer uses a pair.

    Example:
        >>> receptive_field([(3, 1), (3, 1)]).size
        5
        >>> receptive_field([(3, 1)] * 3).size
        7
        >>> receptive_field([(3, 1, 2)]).size
        5
        >>> rf = receptive_field([(3, 1), (2, 2), (3, 1)])   # conv, max pool, conv
        >>> rf.size, rf.jump, rf.per_layer
        (8, 2, [(3, 1), (4, 2), (8, 2)])
        >>> receptive_field([{"kernel_size": (3, 1), "stride": 2}, {"kernel_size": 3}]).size
        (7, 5)
        >>> receptive_field([{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}, {"kernel_size": 3, "padding": 1}]).offset
        -3
    """
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a sequence of (kernel, stride[, dilation]) tuples or dicts; got {layers!r}")
    params = [_layer_params(layer, n) for n, layer in enumerate(layers)]
    pairs_given = any(is_pair(v) for lp in params for v in lp)
    size: tuple[int, ...] = (1, 1)
    jump: tuple[int, ...] = (1, 1)
    offset: tuple[int, ...] = (0, 0)
    per_layer: list = []
    for n, (k, s, d, p) in enumerate(params):
        kk = as_pair(k, f"layers[{n}] kernel size")
        ss = as_pair(s, f"layers[{n}] stride")
        dd = as_pair(d, f"layers[{n}] dilation")
        pp = as_pair(p, f"layers[{n}] padding")
        for name, val, arg in (("kernel size", kk, k), ("stride", ss, s), ("dilation", dd, d)):
            check_at_least(val, 1, f"layers[{n}] {name}", is_pair(arg), "positive")
        check_at_least(pp, 0, f"layers[{n}] padding", is_pair(p), "non-negative")
        size = tuple(r + dv * (kv - 1) * j for r, kv, dv, j in zip(size, kk, dd, jump))
        offset = tuple(o - pv * j for o, pv, j in zip(offset, pp, jump))
        jump = tuple(j * sv for j, sv in zip(jump, ss))
        per_layer.append((size, jump) if pairs_given else (size[0], jump[0]))
    if pairs_given:
        return ReceptiveField(size, jump, per_layer, offset)
    return ReceptiveField(size[0], jump[0], per_layer, offset[0])


def unit_centres(n: IntOrPair, size: IntOrPair, jump: IntOrPair, offset: IntOrPair = 0) -> Any:
    """Where the units of a layer are centred in the input: ``offset + (size - 1)/2 + u*jump``.

    Unit ``u`` of a layer whose receptive field spans ``size`` input samples, whose units lie
    ``jump`` samples apart and whose first unit's field starts at sample ``offset`` (negative in
    the padding; see :func:`receptive_field`) reads the samples ``offset + u*jump`` to
    ``offset + u*jump + size - 1``. Its centre is the middle of that range:

    .. math::

        c_u = \\text{offset} + \\frac{\\text{size} - 1}{2} + u \\cdot \\text{jump},
        \\qquad u = 0, \\dots, n - 1.

    Coordinates are pixel indices: pixel ``p`` is centred on ``p``, so a half-integer lies
    between two pixels. The padding moves the centres. Symmetric padding keeps each unit in the
    middle of its block of ``jump`` pixels (the small VGG: ``4u + 1.5``, the middle of rows
    ``4u`` to ``4u + 3``). TensorFlow's ``'same'`` padding of a stride-2 layer on an even size
    pads nothing before the image, so each unit is centred on the second sample of its pair;
    compounded over EfficientNet-Lite0's five stride-2 layers, head unit ``u`` is centred on
    pixel ``32u + 31``, the last row of its block, not its middle ``32u + 15.5``.

    Args:
        n: number of units along the axis (the size of the layer's map), int or (h, w).
        size: receptive field size, int or pair.
        jump: distance between neighbouring units in input samples, int or pair.
        offset: first input sample seen by unit 0, int or pair (negative with padding).

    Returns:
        float64 array of shape (n,); for pair arguments, a pair ``(rows, columns)`` of arrays.

    Example:
        >>> unit_centres(7, 32, 4, -14).tolist()      # the small VGG's block3_conv2, 28x28 digits
        [1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5]
        >>> unit_centres(7, 851, 32, -394).tolist()   # EfficientNet-Lite0's head, 224x224
        [31.0, 63.0, 95.0, 127.0, 159.0, 191.0, 223.0]
        >>> rf = receptive_field([{"kernel_size": 3, "stride": 2, "padding": 1}])   # PyTorch's padding=1
        >>> unit_centres(3, rf.size, rf.jump, rf.offset).tolist()
        [0.0, 2.0, 4.0]
        >>> [c.tolist() for c in unit_centres((2, 3), 3, (2, 1), (0, -1))]
        [[1.0, 3.0], [0.0, 1.0, 2.0]]
    """

    def one(n: int, size: int, jump: int, offset: int) -> np.ndarray:
        _check_int(n, "number of units n", 1, "positive")
        _check_int(size, "receptive field size", 1, "positive")
        _check_int(jump, "jump", 1, "positive")
        if not is_int(offset):
            raise TypeError(f"offset must be an int or a pair of ints; got {offset!r}")
        return offset + (size - 1) / 2 + jump * np.arange(n, dtype=np.float64)

    return _elementwise(one, (n, size, jump, offset), ("number of units n", "receptive field size", "jump", "offset"))


def window_starts(centres: Any, window: int) -> np.ndarray:
    """The first sample of the window of ``window`` samples centred on each of ``centres``.

    A window of ``w`` samples that starts at ``t`` is centred on ``t + (w - 1)/2``, so the
    window centred on ``c`` starts at ``c - (w - 1)/2``. When that is not a whole number (an
    even window on a pixel, an odd one between two pixels) no window is centred exactly on
    ``c``, and the one half a sample further down (or right) is taken:

    .. math::

        t = \\left\\lfloor c - \\frac{w - 1}{2} + \\frac{1}{2} \\right\\rfloor .

    The windows may start before the first sample or end after the last: clip them to the image.

    Args:
        centres: 1-D sequence of centres, in samples (pixel ``p`` is centred on ``p``), such as
            one axis of :func:`unit_centres`.
        window: the window's length, a positive int.

    Returns:
        int64 array of the same length: window ``u`` covers ``t[u]`` to ``t[u] + window - 1``.

    Example:
        >>> window_starts([1.5, 5.5, 9.5], 4).tolist()   # the small VGG: the 4x4 blocks
        [0, 4, 8]
        >>> window_starts([31.0, 63.0], 32).tolist()     # Lite0's head: rows 16-47, 48-79 (centres 31.5, 63.5)
        [16, 48]
        >>> window_starts([31.0, 63.0], 33).tolist()     # an odd window is centred exactly
        [15, 47]
    """
    c = np.asarray(centres, dtype=np.float64)
    if c.ndim != 1 or not np.all(np.isfinite(c)):
        raise ValueError(f"centres must be a 1-D sequence of finite numbers; got {centres!r}")
    _check_int(window, "window", 1, "positive")
    return np.floor(c - (window - 1) / 2 + 0.5).astype(np.int64)
