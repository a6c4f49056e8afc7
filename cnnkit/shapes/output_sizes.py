"""Output sizes of convolution, pooling and transposed convolution, and the inputs that give an output size.

Part of :mod:`cnnkit.shapes`; import from there. Its arguments are the symbols of the formulas
(``i``, ``k``, ``s``, ``p``, ``d``, ``o``), the one stated exception to the library's keyword names
(``tests/test_naming.py``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from cnnkit._checks import as_pair, check_at_least, did_you_mean, fmt, is_pair
from cnnkit._types import IntOrPair, Padding
from cnnkit.shapes._common import _check_int, _elementwise
from cnnkit.shapes.padding import _check_kernel_fits, _pad_amounts, dilated_span

__all__ = [
    "conv_output_size",
    "pool_output_size",
    "conv_transpose_output_size",
    "conv_transpose_output_padding",
    "keras_conv_transpose_output_size",
    "TransposedInput",
    "transposed_input_sizes",
]


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
    ii, kk, ss, dd = (
        as_pair(a, n) for a, n in zip((i, k, s, d), ("input size i", "kernel size k", "stride s", "dilation d"))
    )
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


def conv_transpose_output_padding(
    i: IntOrPair, k: IntOrPair, s: IntOrPair = 1, p: Padding = 0, d: IntOrPair = 1
) -> Any:
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
        one,
        (i, o, k, s, p, d),
        ("input size i", "output size o", "kernel size k", "stride s", "padding p", "dilation d"),
    )


def keras_conv_transpose_output_size(
    i: IntOrPair,
    k: IntOrPair,
    s: IntOrPair = 1,
    p: str = "valid",
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
        p: padding, ``'valid'`` (the default, as in Keras) or ``'same'``.
        output_padding: ``None`` (Keras's default) or an int or pair.
        d: dilation (Keras's ``dilation_rate``), int or pair.

    Returns:
        The output size, an int, or a pair if any size argument is a pair.

    Example:
        >>> keras_conv_transpose_output_size((10, 8), 3, s=2)          # as PyTorch: k >= s
        (21, 17)
        >>> keras_conv_transpose_output_size(4, 1, s=2), conv_transpose_output_size(4, 1, s=2)
        (8, 7)
        >>> keras_conv_transpose_output_size(4, 3, s=2, p="same")
        8
    """
    if not isinstance(p, str) or p not in ("valid", "same"):
        raise ValueError(
            f"padding p must be 'valid' or 'same' (Keras's Conv2DTranspose); got {p!r}"
            f"{did_you_mean(p, ('valid', 'same')) if isinstance(p, str) else ''}"
        )

    def one(i: int, k: int, s: int, op: int | None, d: int) -> int:
        _check_int(i, "input size i", 1, "positive")
        _check_int(k, "kernel size k", 1, "positive")
        _check_int(s, "stride s", 1, "positive")
        _check_int(d, "dilation d", 1, "positive")
        if op is not None:
            _check_int(op, "output_padding", 0, "non-negative")
        span = dilated_span(k, d)
        if p == "valid":
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
