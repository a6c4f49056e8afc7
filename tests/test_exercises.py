"""cnnkit.exercises: every checker passes its reference and rejects the typical wrong answers.

The wrong answers are written the way a reader would write them (loops over output pixels),
each with one mistake: an output one sample too small or too large, a flipped kernel, the wrong
axis, a stride ignored, padding on one side only, the gradient spread over the window, and so on.
Each test checks that the checker says *what* went wrong: a wrong shape, the first differing
entry, or the expected and actual count.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit import exercises as ex
from cnnkit.exercises import CheckResult, check, compare_arrays, compare_numbers
from cnnkit.models.zoo import parameter_count
from cnnkit.ops import avg_pool2d, conv_transpose2d_scatter, correlate2d, max_pool2d, pad2d
from cnnkit.shapes import receptive_field
from cnnkit.viz.cam import class_activation_map


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
            [[np.sum(xp[a * stride : a * stride + kh, b * stride : b * stride + kw] * w) for b in range(cols)] for a in range(rows)]
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


def test_avg_pool_rejects_the_average_over_zero_padded_windows():
    def padded(x, k):
        rows, cols = -(-x.shape[0] // k), -(-x.shape[1] // k)
        xp = np.pad(x, ((0, rows * k - x.shape[0]), (0, cols * k - x.shape[1])))
        return correlate2d(xp, np.full((k, k), 1 / k**2), stride=k)  # partial windows divided by k*k

    result = ex.check_avg_pool_as_conv(padded)
    assert_rejected(result, "failed on case 2 of 11 (fixed)", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_avg_pool_rejects_a_box_kernel_divided_by_k():
    result = ex.check_avg_pool_as_conv(lambda x, k: correlate2d(x, np.full((k, k), 1 / k), stride=k))
    assert_rejected(result, "failed on case 1 ", "(0, 0): expected 3.25, got 6.5")


def test_avg_pool_rejects_an_ignored_stride():
    result = ex.check_avg_pool_as_conv(lambda x, k: correlate2d(x, np.full((k, k), 1 / k**2)))
    assert_rejected(result, "failed on case 1 ", f"{WRONG_SHAPE} (2, 2), got (3, 3)")


def test_avg_pool_rejects_integer_truncation():
    def truncated(x, k):
        out = np.zeros_like(x)[: x.shape[0] // k, : x.shape[1] // k]  # int for an int map
        for u in range(out.shape[0]):
            for v in range(out.shape[1]):
                out[u, v] = x[u * k : u * k + k, v * k : v * k + k].mean()
        return out

    assert_rejected(ex.check_avg_pool_as_conv(truncated), "failed on case 1 ", "expected 3.25, got 3")


def test_avg_pool_rejects_pooling_over_the_wrong_axes():
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

    assert_rejected(ex.check_conv_transpose2d(times_stride), "failed on case 2 of 11 (fixed)", f"{WRONG_SHAPE} (1, 5), got (2, 4)")


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
    assert_rejected(result, "failed on case 1 ", "got None: did the function forget to return its result?")


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

    assert_rejected(ex.check_correlate2d(no_return), "got None: did the function forget to return its result?")


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
