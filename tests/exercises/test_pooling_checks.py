"""cnnkit.exercises.pooling_checks: max pooling, its gradient, and average pooling as a convolution.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit import exercises as ex
from cnnkit.ops import (
    correlate2d,
    max_pool2d,
)
from tests.exercises.answers import (
    WRONG_SHAPE,
    WRONG_VALUE,
    assert_rejected,
    loop_max_pool,
    loop_max_pool_backward,
)


def test_max_pool2d_rejects_pooling_over_the_wrong_axes():
    def wrong_axes(x, k):
        h, w = x.shape[0] // k, x.shape[1] // k
        return x[: h * k, : w * k].reshape(h, k, w, k).max(axis=(0, 2))  # should be axis=(1, 3)

    assert_rejected(ex.check_max_pool2d(wrong_axes), "failed on case 1 ", WRONG_VALUE)


def test_max_pool2d_rejects_a_last_partial_window():
    def ceil_mode(x, k):
        rows, cols = -(-x.shape[0] // k), -(-x.shape[1] // k)
        return np.array([[x[a * k : a * k + k, b * k : b * k + k].max() for b in range(cols)] for a in range(rows)])

    assert_rejected(
        ex.check_max_pool2d(ceil_mode), "failed on case 2 of 11 (fixed)", f"{WRONG_SHAPE} (2, 2), got (3, 3)"
    )


def test_max_pool2d_rejects_a_maximum_that_starts_at_zero():
    def from_zero(x, k):
        out = np.zeros((x.shape[0] // k, x.shape[1] // k))
        for u in range(out.shape[0]):
            for v in range(out.shape[1]):
                for i in range(k):
                    for j in range(k):
                        out[u, v] = max(out[u, v], x[u * k + i, v * k + j])
        return out

    assert_rejected(ex.check_max_pool2d(from_zero), "failed on case 4 of 11 (fixed)", "(0, 0): expected -1, got 0.0")


def test_max_pool2d_rejects_an_ignored_stride():
    def stride_one(x, k):
        return max_pool2d(x[None, None], k, stride=1)[0, 0]

    assert_rejected(ex.check_max_pool2d(stride_one), "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_max_pool2d_rejects_a_transposed_output():
    result = ex.check_max_pool2d(lambda x, k: loop_max_pool(x, k).T)
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)


def test_max_pool2d_backward_rejects_the_gradient_spread_over_the_window():
    def spread(x, k, grad_out):
        grad = np.zeros(x.shape)
        h, w = grad_out.shape
        grad[: h * k, : w * k] = np.kron(grad_out, np.ones((k, k))) / k**2  # average pooling's gradient
        return grad

    assert_rejected(
        ex.check_max_pool2d_backward(spread), "failed on case 1 ", WRONG_VALUE, "(0, 0): expected 0.0, got 0.25"
    )


def test_max_pool2d_backward_rejects_the_gradient_at_the_minimum():
    def argmin(x, k, grad_out):
        return loop_max_pool_backward(-x, k, grad_out)

    assert_rejected(ex.check_max_pool2d_backward(argmin), "failed on case 1 ", WRONG_VALUE)


def test_max_pool2d_backward_rejects_a_gradient_that_ignores_grad_out():
    result = ex.check_max_pool2d_backward(lambda x, k, grad_out: loop_max_pool_backward(x, k, np.ones_like(grad_out)))
    assert_rejected(result, "failed on case 1 ", "(1, 3): expected -2.0, got 1.0")


def test_max_pool2d_backward_rejects_row_and_column_swapped_within_the_window():
    def swapped(x, k, grad_out):
        grad = np.zeros(x.shape)
        for u in range(grad_out.shape[0]):
            for v in range(grad_out.shape[1]):
                window = x[u * k : u * k + k, v * k : v * k + k]
                j, i = divmod(int(np.argmax(window)), k)  # should be i, j
                grad[u * k + i, v * k + j] += grad_out[u, v]
        return grad

    assert_rejected(ex.check_max_pool2d_backward(swapped), "failed on case 2 of 11 (fixed)", WRONG_VALUE)


def test_max_pool2d_backward_rejects_the_gradient_of_a_stride_one_pooling():
    def stride_one(x, k, grad_out):
        t = torch.tensor(x, requires_grad=True)
        out = F.max_pool2d(t[None, None], k, stride=1)
        out.sum().backward()
        return t.grad.numpy()

    assert_rejected(ex.check_max_pool2d_backward(stride_one), "failed on case 1 ", WRONG_VALUE)


def test_avg_pool_as_conv_rejects_the_average_over_zero_padded_windows():
    def padded(x, k):
        rows, cols = -(-x.shape[0] // k), -(-x.shape[1] // k)
        xp = np.pad(x, ((0, rows * k - x.shape[0]), (0, cols * k - x.shape[1])))
        return correlate2d(xp, np.full((k, k), 1 / k**2), stride=k)  # partial windows divided by k*k

    result = ex.check_avg_pool_as_conv(padded)
    assert_rejected(result, "failed on case 2 of 11 (fixed)", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_avg_pool_as_conv_rejects_a_box_kernel_divided_by_k():
    result = ex.check_avg_pool_as_conv(lambda x, k: correlate2d(x, np.full((k, k), 1 / k), stride=k))
    assert_rejected(result, "failed on case 1 ", "(0, 0): expected 3.25, got 6.5")


def test_avg_pool_as_conv_rejects_an_ignored_stride():
    result = ex.check_avg_pool_as_conv(lambda x, k: correlate2d(x, np.full((k, k), 1 / k**2)))
    assert_rejected(result, "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_avg_pool_as_conv_rejects_integer_truncation():
    def truncated(x, k):
        out = np.zeros_like(x)[: x.shape[0] // k, : x.shape[1] // k]  # int for an int map
        for u in range(out.shape[0]):
            for v in range(out.shape[1]):
                out[u, v] = x[u * k : u * k + k, v * k : v * k + k].mean()
        return out

    assert_rejected(ex.check_avg_pool_as_conv(truncated), "failed on case 1 ", "expected 3.25, got 3")


def test_avg_pool_as_conv_rejects_pooling_over_the_wrong_axes():
    def wrong_axes(x, k):
        h, w = x.shape[0] // k, x.shape[1] // k
        return x[: h * k, : w * k].reshape(h, k, w, k).mean(axis=(0, 2))

    assert_rejected(ex.check_avg_pool_as_conv(wrong_axes), "failed on case 1 ", WRONG_VALUE)
