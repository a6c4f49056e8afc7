"""Padding and the span of a kernel: PyTorch's ``'same'``, TensorFlow's ``SAME``, the amounts per side.

Part of :mod:`cnnkit.shapes`; import from there. Its arguments are the symbols of the formulas
(``i``, ``k``, ``s``, ``p``, ``d``, ``o``), the one stated exception to the library's keyword names
(``tests/test_naming.py``).
"""

from __future__ import annotations

import math
from typing import Any

from cnnkit._checks import as_pair, check_at_least, fmt, is_int, is_pair
from cnnkit._checks import to_pair as _to_pair
from cnnkit._types import IntOrPair, Padding
from cnnkit.shapes._common import _check_int, _check_padding_string, _elementwise

__all__ = ["same_padding", "tf_same_padding", "padding_amounts", "to_pair", "dilated_span"]


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
        >>> from cnnkit.shapes import conv_output_size
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
    p: Padding, k: IntOrPair, s: IntOrPair = 1, d: IntOrPair = 1, name: str = "padding"
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
        p: padding: int, (pH, pW), ``'valid'``, ``'same'`` or ``'full'``.
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
    return _pad_amounts(p, kk, dd, ss, name)


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
