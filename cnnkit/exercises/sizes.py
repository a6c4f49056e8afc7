"""Checkers of the size exercises: a convolution's output length and TensorFlow's 'same' padding.

The references are :func:`cnnkit.shapes.conv_output_size` and :func:`cnnkit.shapes.tf_same_padding`.
"""

from __future__ import annotations

from collections.abc import Callable

from cnnkit.exercises.cases import seeded_rng
from cnnkit.exercises.compare import compare_numbers, compare_pair
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.shapes import conv_output_size, dilated_span, tf_same_padding

__all__ = ["check_same_padding", "check_conv_output_size"]


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
        hint: an even kernel needs an odd total: where does TensorFlow put the extra sample?
    """
    fixed = [
        Case((5, 3), hint="stride 1: 'same' keeps every sample, so the kernel may stick out on both sides"),
        Case((5, 4), hint="an even kernel needs an odd total: where does TensorFlow put the extra sample?"),
        Case((6, 3, 2), hint="stride 2: pad only what the ceil(size / stride) outputs need, not what stride 1 would"),
        Case((5, 3, 2), hint="stride 2 on an odd size: count the outputs first, then the samples they read"),
        Case((224, 3, 2), hint="EfficientNet's stem: 224 samples, a 3x3 kernel, stride 2"),
        Case((5, 3, 1, 2), hint="dilation 2: the kernel's taps are 2 samples apart, so it spans more than k samples"),
        Case((7, 1, 2), hint="a 1x1 kernel with a stride: every output reads one sample inside the input"),
        Case((8, 2, 4), hint="the formula without its max gives a negative total here: padding is never negative"),
        Case((9, 3, 2, 2), hint="stride and dilation together"),
    ]
    rng = seeded_rng()
    random = [
        Case((int(rng.integers(1, 21)), int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 4))))
        for _ in range(5)
    ]
    names = ["size", "k", "stride", "dilation"]
    return check(func, tf_same_padding, fixed + random, compare=compare_pair, names=names, fixed=len(fixed))


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
        hint: no padding, stride 1: count by hand the positions where the whole kernel fits in 5 samples
    """
    fixed = [
        Case((5, 3), hint="no padding, stride 1: count by hand the positions where the whole kernel fits in 5 samples"),
        Case((5, 3, 1), hint="padding p adds p samples on each side of the input"),
        Case((7, 3, 0, 2), hint="stride 2: every second position is kept, starting with the first"),
        Case((6, 3, 0, 2), hint="the stride does not divide evenly: a window that would stick out is dropped"),
        Case(
            (7, 3, 0, 1, 2), hint="dilation 2: the kernel's taps are 2 samples apart, so it spans more than k samples"
        ),
        Case((224, 7, 3, 2), hint="ResNet's stem: a 7x7 kernel, padding 3 and stride 2 on 224 samples"),
        Case((32, 5, 2), hint="a 5x5 kernel with padding 2 (the third argument is the padding)"),
        Case((10, 3, 1, 2, 2), hint="padding, stride and dilation together: pad, then span, then step"),
        Case((3, 3), hint="the kernel is as long as the input: it fits in one position"),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(5):
        k, p, s, d = (int(v) for v in (rng.integers(1, 6), rng.integers(0, 3), rng.integers(1, 4), rng.integers(1, 4)))
        smallest = max(1, dilated_span(k, d) - 2 * p)
        random.append(Case((int(rng.integers(smallest, smallest + 12)), k, p, s, d)))
    names = ["i", "k", "p", "s", "d"]
    return check(func, _conv_output_size, fixed + random, compare=compare_numbers, names=names, fixed=len(fixed))
