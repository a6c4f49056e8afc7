"""cnnkit.exercises: every checker passes its reference and rejects the typical wrong answers.

The wrong answers are written the way a reader would write them (loops over output pixels),
each with one mistake: an output one sample too small or too large, a flipped kernel, the wrong
axis, a stride ignored, padding on one side only, the gradient spread over the window, and so on.
Each test checks that the checker says *what* went wrong: a wrong shape, the first differing
entry, or the expected and actual count.
"""

from __future__ import annotations

import inspect
import re
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit import exercises as ex
from cnnkit.exercises import CheckResult, check, compare_arrays, compare_numbers
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
from cnnkit.shapes import conv_output_size, receptive_field, tf_same_padding
from cnnkit.viz.activations import channel_activity
from cnnkit.viz.cam import class_activation_map, grad_cam


def assert_rejected(result: CheckResult, *phrases: str) -> None:
    """The check failed, with a short message that starts as promised and names the failure."""
    assert isinstance(result, CheckResult)
    assert not result.passed and not result
    assert result.message.startswith("failed on case "), result.message
    assert "Traceback" not in result.message
    assert len(result.message) < 900, result.message
    for phrase in phrases:
        assert phrase in result.message, f"{phrase!r} not in:\n{result.message}"


WRONG_SHAPE = "wrong shape: expected"
WRONG_VALUE = "first difference at index"


# --------------------------------------------------------------------------------------------
# Reader-style answers, correct ones first


def loop_correlate(x, w, stride=1):
    kh, kw = w.shape
    out = np.zeros(((x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1))
    for u in range(out.shape[0]):
        for v in range(out.shape[1]):
            out[u, v] = np.sum(x[u * stride : u * stride + kh, v * stride : v * stride + kw] * w)
    return out


def loop_max_pool(x, k):
    out = np.zeros((x.shape[0] // k, x.shape[1] // k))
    for u in range(out.shape[0]):
        for v in range(out.shape[1]):
            out[u, v] = x[u * k : u * k + k, v * k : v * k + k].max()
    return out


def loop_max_pool_backward(x, k, grad_out):
    grad = np.zeros(x.shape)
    for u in range(grad_out.shape[0]):
        for v in range(grad_out.shape[1]):
            window = x[u * k : u * k + k, v * k : v * k + k]
            i, j = np.unravel_index(np.argmax(window), window.shape)
            grad[u * k + i, v * k + j] += grad_out[u, v]
    return grad


def loop_transpose(x, w, stride):
    kh, kw = w.shape
    out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
    for u in range(x.shape[0]):
        for v in range(x.shape[1]):
            out[u * stride : u * stride + kh, v * stride : v * stride + kw] += x[u, v] * w
    return out


def formula_receptive_field(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r


def ascent_step(x, model, channel, lr):
    model(x)[0, channel].mean().backward()
    g = x.grad
    return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()


def autograd_max_pool_backward(x, k, grad_out):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(t[None, None], k).backward(torch.tensor(grad_out, dtype=torch.float64)[None, None])
    return t.grad.numpy()


def formula_gaussian(size, sigma):
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def formula_psnr(reference, image, data_range=1.0):
    return 10 * np.log10(data_range**2 / np.mean((reference - image) ** 2))


def formula_same_padding(size, k, stride=1, dilation=1):
    total = max((-(-size // stride) - 1) * stride + dilation * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def loop_conv_matrix(w, input_shape):
    (h, wd), (kh, kw) = input_shape, w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    m = np.zeros((oh * ow, h * wd))
    for u in range(oh):
        for v in range(ow):
            for i in range(kh):
                for j in range(kw):
                    m[u * ow + v, (u + i) * wd + (v + j)] = w[i, j]
    return m


def mean_top_exemplars(activations, channel, k):
    return np.argsort(-activations[:, channel].mean(axis=(1, 2)))[:k]


def loop_top_exemplars(activations, channel, k):
    scores = [(activations[n, channel].mean(), n) for n in range(len(activations))]
    return [n for _, n in sorted(scores, reverse=True)[:k]]


def torch_total_variation(x):
    return (x[:, 1:, :] - x[:, :-1, :]).abs().sum() + (x[:, :, 1:] - x[:, :, :-1]).abs().sum()


def numpy_grad_cam(features, grads):
    return np.maximum(np.tensordot(grads.mean(axis=(1, 2)), features, axes=1), 0)


def torch_grad_cam(features, grads):
    return torch.relu((grads.mean(dim=(1, 2))[:, None, None] * features).sum(dim=0))


REFERENCES = {
    "correlate2d": (ex.check_correlate2d, correlate2d),
    "correlate2d_loop": (ex.check_correlate2d, loop_correlate),
    "pad2d": (ex.check_pad2d, pad2d),
    "pad2d_numpy": (ex.check_pad2d, lambda x, p: np.pad(x, p)),
    "conv2d_strided": (ex.check_conv2d_strided, lambda x, w, stride: correlate2d(x, w, stride=stride)),
    "conv2d_strided_loop": (ex.check_conv2d_strided, loop_correlate),
    "max_pool2d": (ex.check_max_pool2d, lambda x, k: max_pool2d(x[None, None], k)[0, 0]),
    "max_pool2d_loop": (ex.check_max_pool2d, loop_max_pool),
    "max_pool2d_backward": (ex.check_max_pool2d_backward, autograd_max_pool_backward),
    "max_pool2d_backward_loop": (ex.check_max_pool2d_backward, loop_max_pool_backward),
    "avg_pool": (ex.check_avg_pool_as_conv, lambda x, k: avg_pool2d(x[None, None], k)[0, 0]),
    "avg_pool_as_conv": (ex.check_avg_pool_as_conv, lambda x, k: correlate2d(x, np.full((k, k), 1 / k**2), stride=k)),
    "conv_transpose2d": (
        ex.check_conv_transpose2d,
        lambda x, w, stride: conv_transpose2d_scatter(x[None, None], w[None, None], stride=stride)[0, 0],
    ),
    "conv_transpose2d_loop": (ex.check_conv_transpose2d, loop_transpose),
    "conv_params": (
        ex.check_conv_params,
        lambda c_in, c_out, k, bias=True: parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias)),
    ),
    "conv_params_formula": (ex.check_conv_params, lambda c_in, c_out, k, bias=True: c_out * (c_in * k * k + bias)),
    "receptive_field": (ex.check_receptive_field, lambda layers: receptive_field(layers).size),
    "receptive_field_formula": (ex.check_receptive_field, formula_receptive_field),
    "cam": (ex.check_cam, class_activation_map),
    "cam_tensordot": (ex.check_cam, lambda f, w, c: np.tensordot(w[c], f, axes=1)),
    "gradient_ascent_step": (ex.check_gradient_ascent_step, ascent_step),
    "gaussian_kernel": (ex.check_gaussian_kernel, gaussian_kernel),
    "gaussian_kernel_formula": (ex.check_gaussian_kernel, formula_gaussian),
    "psnr": (ex.check_psnr, psnr),
    "psnr_formula": (ex.check_psnr, formula_psnr),
    "same_padding": (ex.check_same_padding, tf_same_padding),
    "same_padding_formula": (ex.check_same_padding, formula_same_padding),
    "conv_output_size": (ex.check_conv_output_size, lambda i, k, p=0, s=1, d=1: conv_output_size(i, k, s=s, p=p, d=d)),
    "conv_output_size_formula": (ex.check_conv_output_size, lambda i, k, p=0, s=1, d=1: (i + 2 * p - d * (k - 1) - 1) // s + 1),
    "conv_matrix_loop": (ex.check_conv_matrix, loop_conv_matrix),
    "conv_macs_formula": (
        ex.check_conv_macs,
        lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * (c_in // groups) * k * k,
    ),
    "channel_sparsity": (ex.check_channel_sparsity, lambda a: 1 - channel_activity(a)),
    "channel_sparsity_formula": (ex.check_channel_sparsity, lambda a: (a == 0).mean(axis=(0, 2, 3))),
    "top_exemplars": (ex.check_top_exemplars, mean_top_exemplars),
    "top_exemplars_loop": (ex.check_top_exemplars, loop_top_exemplars),
    "total_variation": (ex.check_total_variation, torch_total_variation),
    "total_variation_diff": (
        ex.check_total_variation,
        lambda x: torch.diff(x, dim=1).abs().sum() + torch.diff(x, dim=2).abs().sum(),
    ),
    "grad_cam": (ex.check_grad_cam, numpy_grad_cam),
    "grad_cam_tensors": (partial(ex.check_grad_cam, tensors=True), torch_grad_cam),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_checker_passes_a_correct_answer(name):
    checker, answer = REFERENCES[name]
    result = checker(answer)
    assert result.passed, result.message
    assert result.message.startswith("passed: ") and result.message.endswith(" cases")
    assert repr(result) == result.message
    assert result.inputs is None


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_checkers_are_deterministic_and_leave_the_global_random_state_alone(name):
    checker, _answer = REFERENCES[name]
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    wrong = checker(lambda *args: 0)  # every checker rejects this, on its first case
    assert checker(lambda *args: 0).message == wrong.message
    assert wrong.message.startswith("failed on case 1 of ")
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


# --------------------------------------------------------------------------------------------
# Cross-correlation, padding and stride


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
    square = ex.check_correlate2d(lambda x, w: loop_correlate(x, w).T if x.shape[0] != x.shape[1] else loop_correlate(x, w))
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
    assert_rejected(result, "failed on case 4 of 11 (fixed)", "your function raised ValueError: operands could not be broadcast")


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
        return np.array([[np.sum(x[a * stride : a * stride + kh, b : b + kw] * w) for b in range(cols)] for a in range(rows)])

    assert_rejected(ex.check_conv2d_strided(rows_only), "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (2, 3)")


def test_conv2d_strided_rejects_a_flipped_kernel():
    result = ex.check_conv2d_strided(lambda x, w, stride: loop_correlate(x, w[::-1, ::-1], stride))
    assert_rejected(result, "(fixed)", WRONG_VALUE)


# --------------------------------------------------------------------------------------------
# Pooling


def test_max_pool2d_rejects_pooling_over_the_wrong_axes():
    def wrong_axes(x, k):
        h, w = x.shape[0] // k, x.shape[1] // k
        return x[: h * k, : w * k].reshape(h, k, w, k).max(axis=(0, 2))  # should be axis=(1, 3)

    assert_rejected(ex.check_max_pool2d(wrong_axes), "failed on case 1 ", WRONG_VALUE)


def test_max_pool2d_rejects_a_last_partial_window():
    def ceil_mode(x, k):
        rows, cols = -(-x.shape[0] // k), -(-x.shape[1] // k)
        return np.array([[x[a * k : a * k + k, b * k : b * k + k].max() for b in range(cols)] for a in range(rows)])

    assert_rejected(ex.check_max_pool2d(ceil_mode), "failed on case 2 of 11 (fixed)", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


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

    assert_rejected(ex.check_max_pool2d_backward(spread), "failed on case 1 ", WRONG_VALUE, "(0, 0): expected 0.0, got 0.25")


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


# --------------------------------------------------------------------------------------------
# Transposed convolution


def test_conv_transpose2d_rejects_copies_that_overwrite_instead_of_adding():
    def overwrite(x, w, stride):
        kh, kw = w.shape
        out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
        for u in range(x.shape[0]):
            for v in range(x.shape[1]):
                out[u * stride : u * stride + kh, v * stride : v * stride + kw] = x[u, v] * w
        return out

    assert_rejected(ex.check_conv_transpose2d(overwrite), "failed on case 2 of 11 (fixed)", "(0, 2): expected 3, got 2.0")


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


# --------------------------------------------------------------------------------------------
# Counting


def test_conv_params_rejects_one_bias_per_input_channel():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k * k + (c_in if bias else 0))
    assert_rejected(result, "failed on case 1 of 12 (fixed)", "c_in = 1", "c_out = 6", "expected 156, got 151")


def test_conv_params_rejects_a_bias_per_weight():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k * k * (2 if bias else 1))
    assert_rejected(result, "failed on case 1 ", "expected 156, got 300")


def test_conv_params_rejects_filters_that_see_one_channel():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_out * k * k + (c_out if bias else 0))
    assert_rejected(result, "failed on case 2 of 12 (fixed)", "expected 2416, got 416")


def test_conv_params_rejects_an_ignored_bias_flag():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k * k + c_out)
    assert_rejected(result, "failed on case 5 of 12 (fixed)", "bias = False", "expected 73728, got 73856")


def test_conv_params_rejects_k_instead_of_k_squared():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k + (c_out if bias else 0))
    assert_rejected(result, "failed on case 1 ", "expected 156, got 36")


def test_conv_params_rejects_a_count_that_is_not_a_number():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: (c_in * c_out * k * k, c_out))
    assert_rejected(result, "failed on case 1 ", "expected a number (156); got a tuple")


def test_receptive_field_rejects_a_stack_without_the_stride_product():
    result = ex.check_receptive_field(lambda layers: 1 + sum(k - 1 for k, s in layers))
    assert_rejected(result, "failed on case 3 of 13 (fixed)", "layers = [(3, 1), (2, 2), (3, 1)]", "expected 8, got 6")


def test_receptive_field_rejects_the_sum_of_the_kernel_sizes():
    result = ex.check_receptive_field(lambda layers: sum(k for k, s in layers))
    assert_rejected(result, "failed on case 1 ", "expected 5, got 6")


def test_receptive_field_rejects_a_jump_updated_too_early():
    def too_early(layers):
        r, j = 1, 1
        for k, s in layers:
            j *= s
            r += (k - 1) * j
        return r

    assert_rejected(ex.check_receptive_field(too_early), "failed on case 3 of 13 (fixed)", "expected 8, got 9")


def test_receptive_field_reports_an_empty_stack_that_raises():
    def first_layer_first(layers):
        r, j = layers[0][0], layers[0][1]
        for k, s in layers[1:]:
            r += (k - 1) * j
            j *= s
        return r

    result = ex.check_receptive_field(first_layer_first)
    assert_rejected(result, "failed on case 9 of 13 (fixed)", "IndexError: list index out of range", "layers = []")


# --------------------------------------------------------------------------------------------
# CAM and gradient ascent


def test_cam_rejects_transposed_weights():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[:, c], f, axes=1))
    assert_rejected(result, "failed on case 1 of 10 (fixed)", WRONG_VALUE)


def test_cam_rejects_the_wrong_class():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[0], f, axes=1))
    assert_rejected(result, "failed on case 2 of 10 (fixed)", "class_idx = 1", WRONG_VALUE)


def test_cam_rejects_a_class_index_off_by_one():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[c - 1], f, axes=1))
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)


def test_cam_rejects_the_mean_over_channels():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[c], f, axes=1) / len(f))
    assert_rejected(result, "failed on case 1 ", "(0, 0): expected 1.0, got 0.5")


def test_cam_rejects_a_rectified_map():
    result = ex.check_cam(lambda f, w, c: np.maximum(np.tensordot(w[c], f, axes=1), 0))
    assert_rejected(result, "failed on case 1 ", "(1, 1): expected -1.0, got 0.0")


def test_cam_rejects_a_transposed_map():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[c], f, axes=1).T)
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)


def test_cam_rejects_weights_indexed_as_a_keras_kernel():
    result = ex.check_cam(lambda f, w, c: np.einsum("k,khw->hw", w.T[c], f))  # w.T is (C, n_classes)
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "(0, 0): expected 1.0, got 2.5")


def test_gradient_ascent_step_rejects_the_wrong_sign():
    def descent(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        g = x.grad
        return (x - lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()

    result = ex.check_gradient_ascent_step(descent)
    assert_rejected(result, "failed on case 1 of 6 (random, seed 0)", "channel = 0", WRONG_VALUE, "result.inputs")


def test_gradient_ascent_step_rejects_an_unnormalised_step():
    def plain(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        return (x + lr * x.grad).detach()

    assert_rejected(ex.check_gradient_ascent_step(plain), "failed on case 1 ", WRONG_VALUE)


def test_gradient_ascent_step_rejects_the_l2_norm_instead_of_the_root_mean_square():
    def l2(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        return (x + lr * x.grad / (x.grad.norm() + 1e-8)).detach()

    assert_rejected(ex.check_gradient_ascent_step(l2), "failed on case 1 ", WRONG_VALUE)


def test_gradient_ascent_step_rejects_the_wrong_channel():
    result = ex.check_gradient_ascent_step(lambda x, model, channel, lr: ascent_step(x, model, 0, lr))
    assert_rejected(result, "failed on case 2 of 6", "channel = 2", WRONG_VALUE)


def test_gradient_ascent_step_reports_an_in_place_step_that_returns_nothing():
    def in_place(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        with torch.no_grad():
            x += lr * x.grad / (x.grad.pow(2).mean().sqrt() + 1e-5)

    result = ex.check_gradient_ascent_step(in_place)
    assert_rejected(result, "failed on case 1 ", "returned None: did you forget to return the result?")


def test_gradient_ascent_step_does_not_depend_on_the_gradient_scale():
    """The sum of the channel instead of its mean only scales g, which the step divides out."""

    def summed(x, model, channel, lr):
        model(x)[0, channel].sum().backward()
        g = x.grad
        return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()

    assert ex.check_gradient_ascent_step(summed).passed


def test_tiny_conv_model_is_fixed_by_its_seed():
    a, b, c = ex.tiny_conv_model(0), ex.tiny_conv_model(0), ex.tiny_conv_model(1)
    x = torch.randn(1, 1, 7, 7, dtype=torch.float64)
    assert torch.equal(a(x), b(x)) and not torch.equal(a(x), c(x))
    assert not any(p.requires_grad for p in a.parameters()) and not a.training


# --------------------------------------------------------------------------------------------
# The core: results, messages and errors


def test_a_function_that_raises_is_reported_not_raised():
    def broken(x, w):
        raise ValueError("shapes do not match")

    result = ex.check_correlate2d(broken)
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "your function raised ValueError: shapes do not match", "input:")
    assert "in broken)" in result.message and "x = [[  0  10   9   3   4]" in result.message
    assert result.actual is None and result.inputs is not None and result.expected.shape == (3, 3)


def test_a_long_exception_message_is_cut():
    def verbose(x, p):
        raise RuntimeError("x" * 5000)

    result = ex.check_pad2d(verbose)
    assert len(result.message) < 500 and "..." in result.message


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted(x, p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.check_pad2d(interrupted)


def test_messages_are_short_for_large_arrays():
    x = np.arange(100.0).reshape(10, 10)
    wrong_value = check(lambda x: x + (x == 42), lambda x: x, [(x,)], names=["x"])
    assert_rejected(wrong_value, "x = array of shape (10, 10), dtype float64", "at index (4, 2): expected 42.0, got 43.0")
    assert "1 of 100 entries differ" in wrong_value.message and len(wrong_value.message) < 600
    wrong_shape = check(lambda x: x[1:, 1:], lambda x: x, [(x,)], names=["x"])
    assert_rejected(wrong_shape, "wrong shape: expected (10, 10), got (9, 9)")
    assert len(wrong_shape.message) < 600
    assert "result.inputs" in wrong_shape.message


def test_small_arrays_are_printed_in_full():
    result = ex.check_max_pool2d(lambda x, k: loop_max_pool(x, k) + 1)
    assert "x = [[1 1 2 4]\n       [5 6 7 8]" in result.message
    assert "expected (shape (2, 2)):\n  [[6 8]\n   [3 4]]" in result.message
    assert "result.inputs" not in result.message


def test_inputs_are_copied_for_each_function():
    def destructive(x, k):
        out = loop_max_pool(x, k)
        x[...] = 0  # changes its argument in place
        return out + (k == 3)

    result = ex.check_max_pool2d(destructive)
    assert_rejected(result, "failed on case 5 of 11 (fixed)")
    assert result.inputs[0].any()  # the case kept its values


def test_a_forgotten_return_is_named():
    def no_return(x, w):
        loop_correlate(x, w)

    assert_rejected(ex.check_correlate2d(no_return), "returned None: did you forget to return the result?")


def test_a_result_that_is_not_an_array_is_named():
    assert_rejected(ex.check_pad2d(lambda x, p: "padded"), "expected a numeric array of shape (5, 5)")
    assert_rejected(ex.check_pad2d(lambda x, p: [[1, 2], [3]]), "not an array")


def test_passing_a_result_instead_of_a_function_is_named():
    result = ex.check_pad2d(np.zeros((3, 3)))
    assert not result.passed and "expected a function" in result.message and "check(f), not check(f(x))" in result.message


def test_lists_and_tensors_are_accepted_as_results():
    assert ex.check_pad2d(lambda x, p: np.pad(x, p).tolist()).passed
    assert ex.check_pad2d(lambda x, p: torch.from_numpy(np.pad(x, p))).passed


def test_html_repr_is_a_coloured_box_with_the_escaped_message():
    passed = ex.check_pad2d(pad2d)
    failed = ex.check_pad2d(lambda x, p: x[5])
    assert "#1a7f37" in passed._repr_html_() and "passed: 9 cases" in passed._repr_html_()
    html = failed._repr_html_()
    assert "#b42318" in html and "&lt;lambda&gt;" in html and "<lambda>" not in html
    assert html.startswith("<div") and html.endswith("</div>")


def test_compare_helpers():
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-9) is None
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-3).endswith("(3 of 3 entries differ)")
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-3, rtol=1e-2) is None
    assert compare_arrays(np.array([1.0, np.nan]), np.array([1.0, 2.0])) is not None
    assert compare_numbers(156.0, 156) is None and compare_numbers(torch.tensor(5), 5) is None
    assert compare_numbers(True, 1) is not None


def test_the_stub_is_reported_as_not_implemented_yet():
    def correlate2d(x, w):
        raise NotImplementedError("write this function")

    result = ex.check_correlate2d(correlate2d)
    assert not result.passed and result.actual is None
    assert result.message == "not implemented yet: write the body of correlate2d, then run this cell again"
    assert "#b42318" in result._repr_html_()  # a red box
    stub = ex.check_pad2d(lambda x, p: (_ for _ in ()).throw(NotImplementedError()))
    assert stub.message == "not implemented yet: write the body of your function, then run this cell again"


def test_not_implemented_after_the_first_case_is_an_ordinary_error():
    def half_done(x, w, stride):
        if stride != 2:
            raise NotImplementedError("only stride 2 so far")
        return loop_correlate(x, w, stride)

    result = ex.check_conv2d_strided(half_done)
    assert_rejected(result, "failed on case 3 of 12 (fixed)", "raised NotImplementedError: only stride 2", "stride = 1")


def test_returning_none_is_named_briefly_on_the_first_case_and_with_the_input_later():
    def no_return(c_in, c_out, k, bias=True):
        c_out * (c_in * k * k + bias)

    first = ex.check_conv_params(no_return)
    assert first.message == "failed on case 1 of 12 (fixed)\nreturned None: did you forget to return the result?"
    assert first.actual is None and first.expected == 156
    later = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_out * (c_in * k * k + bias) if bias else None)
    assert_rejected(later, "failed on case 5 of 12 (fixed)", "returned None: did you forget", "bias = False")


# --------------------------------------------------------------------------------------------
# The Gaussian kernel and PSNR


def test_gaussian_kernel_rejects_a_kernel_that_is_not_normalised():
    def unnormalised(size, sigma):
        x = np.arange(size) - (size - 1) / 2
        return np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))

    result = ex.check_gaussian_kernel(unnormalised)
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "(0, 0): expected 0.0029690167, got 0.018315639")


def test_gaussian_kernel_rejects_an_off_centre_kernel():
    def off_centre(size, sigma):
        x = np.arange(size) - size / 2  # the centre of an even size
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
        return g / g.sum()

    assert_rejected(ex.check_gaussian_kernel(off_centre), "failed on case 1 of 11 (fixed)", WRONG_VALUE)


def test_gaussian_kernel_rejects_sigma_not_squared():
    def over_sigma(size, sigma):
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / sigma)
        return g / g.sum()

    def over_two_sigma(size, sigma):  # right for sigma = 1 only
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma))
        return g / g.sum()

    assert_rejected(ex.check_gaussian_kernel(over_sigma), "failed on case 1 of 11 (fixed)", WRONG_VALUE)
    assert_rejected(ex.check_gaussian_kernel(over_two_sigma), "failed on case 2 of 11 (fixed)", "sigma = 0.5", WRONG_VALUE)


def test_gaussian_kernel_rejects_a_1d_kernel():
    def one_d(size, sigma):
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-(x**2) / (2 * sigma**2))
        return g / g.sum()

    assert_rejected(ex.check_gaussian_kernel(one_d), "failed on case 1 ", f"{WRONG_SHAPE} (5, 5), got (5,)")


def test_psnr_rejects_the_rmse_without_the_factor_20():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log10(data_range / np.sqrt(np.mean((r - x) ** 2))))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "expected 20.0, got 10.0")


def test_psnr_rejects_an_ignored_data_range():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log10(1 / np.mean((r - x) ** 2)))
    assert_rejected(result, "failed on case 3 of 9 (fixed)", "data_range = 255", "expected 39.332202, got -8.7986015")


def test_psnr_rejects_the_natural_logarithm():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log(data_range**2 / np.mean((r - x) ** 2)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "expected 20.0, got 46.051702")


def test_psnr_rejects_the_mse_over_one_axis():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log10(data_range**2 / np.mean((r - x) ** 2, axis=0)))
    assert_rejected(result, "failed on case 1 ", "expected a number (20.0); got a ndarray")


def test_psnr_cases_never_have_identical_images():
    seen = []
    ex.check_psnr(lambda *case: seen.append(case) or psnr(*case))
    assert len(seen) == 9 and all(not np.array_equal(case[0], case[1]) for case in seen)
    assert {len(case) for case in seen} == {2, 3}  # the default data_range is used too


# --------------------------------------------------------------------------------------------
# Padding, output size, the convolution matrix and multiply-adds


def test_same_padding_rejects_a_symmetric_padding():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: ((k - 1) // 2, (k - 1) // 2))
    assert_rejected(result, "failed on case 2 of 14 (fixed)", "expected (before, after) = (1, 2), got (1, 1)")


def test_same_padding_rejects_an_ignored_stride():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: formula_same_padding(size, k, 1, dilation))
    assert_rejected(result, "failed on case 3 of 14 (fixed)", "stride = 2", "expected (before, after) = (0, 1), got (1, 1)")


def test_same_padding_rejects_an_ignored_dilation():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: formula_same_padding(size, k, stride))
    assert_rejected(result, "failed on case 6 of 14 (fixed)", "dilation = 2", "expected (before, after) = (2, 2), got (1, 1)")


def test_same_padding_rejects_before_and_after_swapped():
    result = ex.check_same_padding(lambda size, k, stride=1, dilation=1: formula_same_padding(size, k, stride, dilation)[::-1])
    assert_rejected(result, "failed on case 2 of 14 (fixed)", "expected (before, after) = (1, 2), got (2, 1)")


def test_same_padding_rejects_a_negative_padding_and_a_total():
    def no_max(size, k, stride=1, dilation=1):
        total = (-(-size // stride) - 1) * stride + dilation * (k - 1) + 1 - size
        return total // 2, total - total // 2

    assert_rejected(ex.check_same_padding(no_max), "failed on case 8 of 14 (fixed)", "got (-1, -1)")
    total = ex.check_same_padding(lambda size, k, stride=1, dilation=1: sum(formula_same_padding(size, k, stride, dilation)))
    assert_rejected(total, "failed on case 1 ", "expected a pair (before, after) = (1, 1); got a int: 2")
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

    assert_rejected(ex.check_conv_matrix(one_too_few), "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (4, 9), got (1, 9)")


def test_conv_matrix_is_the_correlation():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((2, 3))
    assert np.allclose(ex._conv_matrix(w, x.shape) @ x.ravel(), correlate2d(x, w).ravel())


def test_conv_macs_rejects_ignored_groups():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * c_in * k * k)
    assert_rejected(result, "failed on case 3 of 11 (fixed)", "groups = 32", "expected 3612672, got 115605504")


def test_conv_macs_rejects_the_parameter_count():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * (c_in // groups * k * k + 1))
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected 86704128, got 1792")


def test_conv_macs_rejects_a_forgotten_output_area():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * (c_in // groups) * k * k)
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected 86704128, got 1728")


def test_conv_macs_rejects_k_instead_of_k_squared():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * (c_in // groups) * k)
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected 86704128, got 28901376")


def test_conv_macs_rejects_the_output_area_squared():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * h_out * (c_in // groups) * k * k)
    assert_rejected(result, "failed on case 5 of 11 (fixed)", "w_out = 14")


# --------------------------------------------------------------------------------------------
# Sparsity and exemplars


def test_channel_sparsity_rejects_the_fraction_of_non_zeros():
    result = ex.check_channel_sparsity(lambda a: (a != 0).mean(axis=(0, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 0: expected 0.75, got 0.25")


def test_channel_sparsity_rejects_a_fraction_per_image():
    result = ex.check_channel_sparsity(lambda a: (a == 0).mean(axis=(1, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (3,), got (2,)")


def test_channel_sparsity_rejects_small_values_counted_as_zeros():
    result = ex.check_channel_sparsity(lambda a: (a < 1e-5).mean(axis=(0, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "1.0e-06", "index 1: expected 0.25, got 0.375")
    close_to_zero = ex.check_channel_sparsity(lambda a: np.isclose(a, 0, atol=1e-5).mean(axis=(0, 2, 3)))
    assert_rejected(close_to_zero, "failed on case 1 of 9 (fixed)", "index 1: expected 0.25, got 0.375")


def test_channel_sparsity_rejects_the_mean_activation():
    result = ex.check_channel_sparsity(lambda a: a.mean(axis=(0, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", WRONG_VALUE)


def test_top_exemplars_rejects_ascending_order():
    result = ex.check_top_exemplars(lambda a, channel, k: np.argsort(a[:, channel].mean(axis=(1, 2)))[:k])
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 0: expected 1, got 2")
    reversed_best = ex.check_top_exemplars(lambda a, channel, k: mean_top_exemplars(a, channel, k)[::-1])
    assert_rejected(reversed_best, "failed on case 1 of 9 (fixed)", "index 0: expected 1, got 3")


def test_top_exemplars_rejects_the_maximum_instead_of_the_mean():
    result = ex.check_top_exemplars(lambda a, channel, k: np.argsort(-a[:, channel].max(axis=(1, 2)))[:k])
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 0: expected 1, got 0")


def test_top_exemplars_rejects_the_channel_taken_as_the_image():
    result = ex.check_top_exemplars(lambda a, channel, k: np.argsort(-a[channel].mean(axis=(1, 2)))[:k])
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 1: expected 3, got 0")


def test_top_exemplars_rejects_one_image_too_many():
    result = ex.check_top_exemplars(lambda a, channel, k: mean_top_exemplars(a, channel, k + 1))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (2,), got (3,)")


def test_top_exemplars_cases_have_no_ties():
    seen = []
    ex.check_top_exemplars(lambda a, channel, k: seen.append((a, channel)) or mean_top_exemplars(a, channel, k))
    for a, channel in seen:
        means = a[:, channel].mean(axis=(1, 2))
        assert len(np.unique(means)) == len(means)


# --------------------------------------------------------------------------------------------
# Total variation and Grad-CAM


def test_total_variation_rejects_one_direction_only():
    result = ex.check_total_variation(lambda x: (x[:, 1:] - x[:, :-1]).abs().sum())
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got 9.0")


def test_total_variation_rejects_squared_differences():
    result = ex.check_total_variation(lambda x: ((x[:, 1:] - x[:, :-1]) ** 2).sum() + ((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum())
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got 54.0")


def test_total_variation_rejects_a_value_without_gradient():
    def with_numpy(x):
        a = x.detach().numpy()
        return np.abs(np.diff(a, axis=1)).sum() + np.abs(np.diff(a, axis=2)).sum()

    result = ex.check_total_variation(with_numpy)
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "returned a value with no gradient: use torch operations")
    detached = ex.check_total_variation(lambda x: torch_total_variation(x).detach())
    assert_rejected(detached, "returned a value with no gradient", "got a Tensor")
    raised = ex.check_total_variation(lambda x: np.abs(np.diff(x.numpy(), axis=1)).sum())
    assert_rejected(raised, "your function raised RuntimeError: Can't call numpy() on Tensor that requires grad")


def test_total_variation_rejects_wrap_around_differences():
    result = ex.check_total_variation(
        lambda x: (torch.roll(x, 1, dims=1) - x).abs().sum() + (torch.roll(x, 1, dims=2) - x).abs().sum()
    )
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got")


def test_total_variation_rejects_means_instead_of_sums():
    result = ex.check_total_variation(lambda x: (x[:, 1:] - x[:, :-1]).abs().mean() + (x[:, :, 1:] - x[:, :, :-1]).abs().mean())
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got")


def test_grad_cam_rejects_a_map_without_relu():
    result = ex.check_grad_cam(lambda f, g: np.tensordot(g.mean(axis=(1, 2)), f, axes=1))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 1): expected 0.0, got -0.6")


def test_grad_cam_rejects_the_maximum_of_the_gradients():
    result = ex.check_grad_cam(lambda f, g: np.maximum(np.tensordot(g.max(axis=(1, 2)), f, axes=1), 0))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 0.3, got 0.5")


def test_grad_cam_rejects_weights_from_the_features():
    result = ex.check_grad_cam(lambda f, g: np.maximum(np.tensordot(f.mean(axis=(1, 2)), f, axes=1), 0))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 0.3, got 1.0")


def test_grad_cam_rejects_a_map_normalised_to_one():
    result = ex.check_grad_cam(lambda f, g: numpy_grad_cam(f, g) / numpy_grad_cam(f, g).max())
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 0.3, got 0.75")


def test_grad_cam_reference_is_cnnkit_grad_cam():
    generator = torch.Generator().manual_seed(0)
    conv = nn.Conv2d(1, 3, 3)
    head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 4))
    with torch.no_grad():
        for p in (*conv.parameters(), *head.parameters()):
            p.copy_(torch.randn(p.shape, generator=generator))
    model = nn.Sequential(conv, head)
    x = torch.randn(1, 1, 7, 6, generator=generator)
    features = conv(x)
    (grads,) = torch.autograd.grad(head(features)[0, 2], features)
    expected = grad_cam(model, x[0], conv, class_idx=2).maps
    assert expected.max() > 0 and np.allclose(ex._grad_cam(features[0], grads[0]), expected, atol=1e-6)


# --------------------------------------------------------------------------------------------
# Every checker is listed and proven to reject


def test_every_checker_is_in_the_table_in_all_and_has_a_rejects_test():
    checkers = [name for name, obj in vars(ex).items() if name.startswith("check_") and inspect.isfunction(obj)]
    assert len(checkers) == 21
    table = re.findall(r"^:func:`(check_\w+)`", ex.__doc__, flags=re.MULTILINE)
    assert sorted(table) == sorted(checkers)
    tests = [name for name in globals() if name.startswith("test_")]
    for name in checkers:
        assert name in ex.__all__
        assert any(t.startswith(f"test_{name[len('check_'):]}_rejects_") for t in tests), f"no rejects test for {name}"
        assert any(checker.__name__ == name for checker, _ in map(_unwrap, REFERENCES.values())), f"no passing answer for {name}"


def _unwrap(entry):
    checker, answer = entry
    return (checker.func if isinstance(checker, partial) else checker), answer
