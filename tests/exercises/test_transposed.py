"""cnnkit.exercises.transposed: transposed convolution by scattering, and the convolution matrix.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np

from cnnkit import exercises as ex
from cnnkit.exercises.transposed import _conv_matrix
from cnnkit.ops import (
    correlate2d,
)
from tests.exercises.answers import (
    WRONG_SHAPE,
    WRONG_VALUE,
    assert_rejected,
    loop_conv_matrix,
    loop_transpose,
)


def test_conv_transpose2d_rejects_copies_that_overwrite_instead_of_adding():
    def overwrite(x, w, stride):
        kh, kw = w.shape
        out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
        for u in range(x.shape[0]):
            for v in range(x.shape[1]):
                out[u * stride : u * stride + kh, v * stride : v * stride + kw] = x[u, v] * w
        return out

    assert_rejected(
        ex.check_conv_transpose2d(overwrite), "failed on case 2 of 11 (fixed)", "(0, 2): expected 3, got 2.0"
    )


def test_conv_transpose2d_rejects_a_flipped_kernel():
    result = ex.check_conv_transpose2d(lambda x, w, stride: loop_transpose(x, w[::-1, ::-1], stride))
    assert_rejected(result, "failed on case 3 of 11 (fixed)", WRONG_VALUE)


def test_conv_transpose2d_rejects_an_ignored_stride():
    result = ex.check_conv_transpose2d(lambda x, w, stride: loop_transpose(x, w, 1))
    assert_rejected(result, "failed on case 1 ", f"{WRONG_SHAPE} (4, 4), got (3, 3)")


def test_conv_transpose2d_rejects_an_output_of_input_size_times_stride():
    def times_stride(x, w, stride):
        kh, kw = w.shape
        out = np.zeros((x.shape[0] * stride + kh, x.shape[1] * stride + kw))
        for u in range(x.shape[0]):
            for v in range(x.shape[1]):
                out[u * stride : u * stride + kh, v * stride : v * stride + kw] += x[u, v] * w
        return out[: x.shape[0] * stride, : x.shape[1] * stride]

    result = ex.check_conv_transpose2d(times_stride)
    assert_rejected(result, "failed on case 2 of 11 (fixed)", f"{WRONG_SHAPE} (1, 5), got (2, 4)")


def test_conv_transpose2d_rejects_a_transposed_output():
    result = ex.check_conv_transpose2d(lambda x, w, stride: loop_transpose(x, w, stride).T)
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)


def test_conv_matrix_rejects_a_flipped_kernel():
    result = ex.check_conv_matrix(lambda w, shape: loop_conv_matrix(w[::-1, ::-1], shape))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 1.0, got 4.0")


def test_conv_matrix_rejects_a_transposed_matrix():
    result = ex.check_conv_matrix(lambda w, shape: loop_conv_matrix(w, shape).T)
    assert_rejected(result, "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (4, 9), got (9, 4)")


def test_conv_matrix_rejects_a_column_major_ravel():
    def column_major(w, input_shape):
        (h, wd), (kh, kw) = input_shape, w.shape
        oh, ow = h - kh + 1, wd - kw + 1
        m = np.zeros((oh * ow, h * wd))
        for u in range(oh):
            for v in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        m[u + v * oh, (u + i) + (v + j) * h] = w[i, j]  # order="F"
        return m

    assert_rejected(ex.check_conv_matrix(column_major), "failed on case 1 of 9 (fixed)", WRONG_VALUE)


def test_conv_matrix_rejects_a_wrong_number_of_outputs():
    def one_too_few(w, input_shape):
        (h, wd), (kh, kw) = input_shape, w.shape
        return loop_conv_matrix(w, input_shape)[: (h - kh) * (wd - kw)]

    assert_rejected(
        ex.check_conv_matrix(one_too_few), "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (4, 9), got (1, 9)"
    )


def test_conv_matrix_is_the_correlation():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((2, 3))
    assert np.allclose(_conv_matrix(w, x.shape) @ x.ravel(), correlate2d(x, w).ravel())
