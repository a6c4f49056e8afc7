"""cnnkit.exercises.convolution: cross-correlation, zero padding and stride.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np

from cnnkit import exercises as ex
from tests.exercises.answers import (
    WRONG_SHAPE,
    WRONG_VALUE,
    assert_rejected,
    loop_correlate,
)


def test_correlate2d_rejects_a_flipped_kernel():
    result = ex.check_correlate2d(lambda x, w: loop_correlate(x, w[::-1, ::-1]))
    assert_rejected(result, "failed on case 2 of 11 (fixed)", WRONG_VALUE, "expected -5, got 5")


def test_correlate2d_rejects_an_output_one_too_small():
    def off_by_one(x, w):
        kh, kw = w.shape
        out = np.zeros((x.shape[0] - kh, x.shape[1] - kw))
        for u in range(out.shape[0]):
            for v in range(out.shape[1]):
                out[u, v] = np.sum(x[u : u + kh, v : v + kw] * w)
        return out

    assert_rejected(ex.check_correlate2d(off_by_one), "failed on case 1 ", f"{WRONG_SHAPE} (3, 3), got (2, 2)")


def test_correlate2d_rejects_a_transposed_output():
    result = ex.check_correlate2d(lambda x, w: loop_correlate(x, w).T)
    assert_rejected(result, "failed on case 1 ", "(0, 1): expected 15, got 14")
    square = ex.check_correlate2d(
        lambda x, w: loop_correlate(x, w).T if x.shape[0] != x.shape[1] else loop_correlate(x, w)
    )
    assert_rejected(square, "failed on case 4 of 11 (fixed)", f"{WRONG_SHAPE} (3, 4), got (4, 3)")


def test_correlate2d_rejects_the_kernel_height_used_for_both_axes():
    def square_window(x, w):
        k = w.shape[0]
        out = np.zeros((x.shape[0] - k + 1, x.shape[1] - k + 1))
        for u in range(out.shape[0]):
            for v in range(out.shape[1]):
                out[u, v] = np.sum(x[u : u + k, v : v + k] * w)
        return out

    result = ex.check_correlate2d(square_window)
    assert_rejected(
        result, "failed on case 4 of 11 (fixed)", "your function raised ValueError: operands could not be broadcast"
    )


def test_pad2d_rejects_padding_on_one_side_only():
    result = ex.check_pad2d(lambda x, p: np.pad(x, ((p, 0), (p, 0))))
    assert_rejected(result, "failed on case 1 ", f"{WRONG_SHAPE} (5, 5), got (4, 4)")


def test_pad2d_rejects_one_sample_too_many():
    assert_rejected(ex.check_pad2d(lambda x, p: np.pad(x, p + 1)), f"{WRONG_SHAPE} (5, 5), got (7, 7)")


def test_pad2d_rejects_edge_values_instead_of_zeros():
    result = ex.check_pad2d(lambda x, p: np.pad(x, p, mode="edge"))
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE, "(0, 0): expected 0, got 1")


def test_pad2d_rejects_a_transposed_result():
    result = ex.check_pad2d(lambda x, p: np.pad(x, p).T)
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)  # the 3x3 case: same shape, wrong values


def test_conv2d_strided_rejects_an_ignored_stride():
    result = ex.check_conv2d_strided(lambda x, w, stride: loop_correlate(x, w))
    assert_rejected(result, "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_conv2d_strided_rejects_a_missing_last_window():
    def off_by_one(x, w, stride):
        kh, kw = w.shape
        rows, cols = range(0, x.shape[0] - kh, stride), range(0, x.shape[1] - kw, stride)  # should be + 1
        return np.array([[np.sum(x[a : a + kh, b : b + kw] * w) for b in cols] for a in rows])

    assert_rejected(ex.check_conv2d_strided(off_by_one), "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (1, 1)")


def test_conv2d_strided_rejects_rounding_the_output_size_up():
    def ceil_size(x, w, stride):
        kh, kw = w.shape
        xp = np.pad(x, ((0, stride), (0, stride)))
        rows = -(-(x.shape[0] - kh) // stride) + 1
        cols = -(-(x.shape[1] - kw) // stride) + 1
        return np.array(
            [
                [np.sum(xp[a * stride : a * stride + kh, b * stride : b * stride + kw] * w) for b in range(cols)]
                for a in range(rows)
            ]
        )

    result = ex.check_conv2d_strided(ceil_size)
    assert_rejected(result, "failed on case 2 of 12 (fixed)", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_conv2d_strided_rejects_the_stride_on_one_axis_only():
    def rows_only(x, w, stride):
        kh, kw = w.shape
        rows, cols = (x.shape[0] - kh) // stride + 1, x.shape[1] - kw + 1
        return np.array(
            [[np.sum(x[a * stride : a * stride + kh, b : b + kw] * w) for b in range(cols)] for a in range(rows)]
        )

    assert_rejected(ex.check_conv2d_strided(rows_only), "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (2, 3)")


def test_conv2d_strided_rejects_a_flipped_kernel():
    result = ex.check_conv2d_strided(lambda x, w, stride: loop_correlate(x, w[::-1, ::-1], stride))
    assert_rejected(result, "(fixed)", WRONG_VALUE)


def _truncating(x, w, stride=1):
    """The review's false accept: the output array takes the image's dtype (np.zeros_like(x) would too)."""
    kh, kw = w.shape
    y = np.zeros(((x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1), dtype=np.asarray(x).dtype)
    for u in range(y.shape[0]):
        for v in range(y.shape[1]):
            y[u, v] = np.sum(x[u * stride : u * stride + kh, v * stride : v * stride + kw] * w)
    return y


def test_correlate2d_rejects_an_output_in_the_images_integer_dtype():
    # an integer image under a float kernel (an 8-bit photo under a blur): fractions must survive
    result = ex.check_correlate2d(lambda x, w: _truncating(x, w))
    assert_rejected(result, "failed on case 5 of 11 (fixed)", "w = [[0.5]]", "expected 0.5, got 0", "integer dtype")
    assert ex.check_correlate2d(loop_correlate).passed


def test_conv2d_strided_rejects_an_output_in_the_images_integer_dtype():
    result = ex.check_conv2d_strided(_truncating)
    assert_rejected(
        result, "failed on case 6 of 12 (fixed)", "stride = 3", "expected 1.75, got 1", "integer output array"
    )
    assert ex.check_conv2d_strided(loop_correlate).passed
