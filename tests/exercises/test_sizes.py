"""cnnkit.exercises.sizes: a convolution's output length and TensorFlow's 'same' padding.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np

from cnnkit import exercises as ex
from cnnkit.shapes import conv_output_size
from tests.exercises.answers import (
    assert_rejected,
    formula_same_padding,
)


def test_same_padding_rejects_a_symmetric_padding():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: ((k - 1) // 2, (k - 1) // 2))
    assert_rejected(result, "failed on case 2 of 14 (fixed)", "expected (before, after) = (1, 2), got (1, 1)")


def test_same_padding_rejects_an_ignored_stride():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: formula_same_padding(size, k, 1, dilation))
    assert_rejected(
        result, "failed on case 3 of 14 (fixed)", "stride = 2", "expected (before, after) = (0, 1), got (1, 1)"
    )


def test_same_padding_rejects_an_ignored_dilation():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: formula_same_padding(size, k, stride))
    assert_rejected(
        result, "failed on case 6 of 14 (fixed)", "dilation = 2", "expected (before, after) = (2, 2), got (1, 1)"
    )


def test_same_padding_rejects_before_and_after_swapped():
    result = ex.check_same_padding(
        lambda size, k, stride=1, dilation=1: formula_same_padding(size, k, stride, dilation)[::-1]
    )
    assert_rejected(result, "failed on case 2 of 14 (fixed)", "expected (before, after) = (1, 2), got (2, 1)")


def test_same_padding_rejects_a_negative_padding_and_a_total():
    def no_max(size, k, stride=1, dilation=1):
        total = (-(-size // stride) - 1) * stride + dilation * (k - 1) + 1 - size
        return total // 2, total - total // 2

    assert_rejected(ex.check_same_padding(no_max), "failed on case 8 of 14 (fixed)", "got (-1, -1)")
    total = ex.check_same_padding(
        lambda size, k, stride=1, dilation=1: sum(formula_same_padding(size, k, stride, dilation))
    )
    assert_rejected(total, "failed on case 1 ", "expected a pair (before, after) = (1, 1); got an int: 2")
    assert ex.check_same_padding(lambda *args: list(formula_same_padding(*args))).passed
    assert ex.check_same_padding(lambda *args: np.array(formula_same_padding(*args))).passed


def test_conv_output_size_rejects_rounding_up():
    result = ex.check_conv_output_size(lambda i, k, p=0, s=1, d=1: -(-(i + 2 * p - d * (k - 1) - 1) // s) + 1)
    assert_rejected(result, "failed on case 4 of 14 (fixed)", "expected 2, got 3")


def test_conv_output_size_rejects_a_forgotten_dilation():
    result = ex.check_conv_output_size(lambda i, k, p=0, s=1, d=1: (i + 2 * p - (k - 1) - 1) // s + 1)
    assert_rejected(result, "failed on case 5 of 14 (fixed)", "d = 2", "expected 3, got 5")


def test_conv_output_size_rejects_padding_on_one_side():
    result = ex.check_conv_output_size(lambda i, k, p=0, s=1, d=1: (i + p - d * (k - 1) - 1) // s + 1)
    assert_rejected(result, "failed on case 2 of 14 (fixed)", "expected 5, got 4")


def test_conv_output_size_rejects_a_missing_plus_one():
    result = ex.check_conv_output_size(lambda i, k, p=0, s=1, d=1: (i + 2 * p - d * (k - 1) - 1) // s)
    assert_rejected(result, "failed on case 1 of 14 (fixed)", "expected 3, got 2")


def test_conv_output_size_rejects_stride_and_padding_swapped():
    result = ex.check_conv_output_size(lambda i, k, p=0, s=1, d=1: conv_output_size(i, k, s=max(p, 1), p=s - 1, d=d))
    assert_rejected(result, "failed on case 2 ", "expected 5, got 3")


def test_conv_output_size_rejects_a_float_size():
    # np.floor(...) + 1 is right in value, and a float: a size that np.zeros((n, n)) refuses
    result = ex.check_conv_output_size(lambda i, k, p=0, s=1, d=1: np.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1)
    assert_rejected(result, "failed on case 1 of 14 (fixed)", "expected an int, the count 3; got a float: 3.0")


def test_same_padding_rejects_a_pair_of_floats():
    result = ex.check_same_padding(
        lambda size, k, stride=1, dilation=1: tuple(map(float, formula_same_padding(size, k, stride, dilation)))
    )
    assert_rejected(result, "failed on case 1 of 14 (fixed)", "expected a pair of ints (1, 1); got (1.0, 1.0)")
