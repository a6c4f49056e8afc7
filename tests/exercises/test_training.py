"""cnnkit.exercises.training: the batched convolution, its backward pass, the numerical gradient
and the small network.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py). The correct
answers pass in tests/exercises/test_checkers.py; the references are compared here with
torch.autograd in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit import exercises as ex
from cnnkit.exercises import core, training
from cnnkit.models.numpy_cnn import numerical_gradient
from cnnkit.models.zoo import parameter_count
from tests.exercises.answers import (
    WRONG_SHAPE,
    WRONG_VALUE,
    SmallCNN,
    assert_rejected,
    loop_conv2d,
    loop_conv2d_backward,
    loop_numerical_gradient,
)

CHANGED = "changed its argument"


def _spy_cases(checker, monkeypatch):
    """The cases a checker runs, as (args, hint), without running the reader's function."""
    seen = {}

    def spy(func, reference, cases, compare=None, names=None, fixed=None):
        seen.update(reference=reference, cases=cases)
        return core.CheckResult(True, "spied")

    monkeypatch.setattr(training, "check", spy)
    checker(lambda *args: 0)
    return seen["reference"], seen["cases"]


# --------------------------------------------------------------------------------------------
# The references agree with PyTorch


def test_the_convolution_references_agree_with_autograd(monkeypatch):
    reference, cases = _spy_cases(ex.check_conv2d, monkeypatch)
    for case in cases:
        x, w, b, stride, padding = case.args
        xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
        y = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
        np.testing.assert_allclose(reference(*case.args), y.detach().numpy(), rtol=1e-12, atol=1e-12)
        g = torch.linspace(-1, 1, y.numel(), dtype=torch.float64).reshape(y.shape)
        (y * g).sum().backward()
        grads = training._conv2d_backward(x, w, g.numpy(), stride, padding)
        for ours, theirs in zip(grads, (xt.grad, wt.grad, bt.grad), strict=True):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-10)


def test_the_backward_cases_have_a_grad_output_of_the_forward_shape(monkeypatch):
    _, cases = _spy_cases(ex.check_conv2d_backward, monkeypatch)
    for case in cases:
        x, w, grad_output, stride, padding = case.args
        assert grad_output.shape == loop_conv2d(x, w, np.zeros(len(w)), stride, padding).shape
        assert np.unique(np.abs(grad_output)).size == grad_output.size  # distinct values


def test_the_numerical_gradient_cases_agree_with_autograd(monkeypatch):
    reference, cases = _spy_cases(ex.check_numerical_gradient, monkeypatch)
    by_torch = {
        "lambda: np.sum(x ** 2)": lambda t: (t**2).sum(),
        "lambda: np.sum(np.exp(4 * x))": lambda t: torch.exp(4 * t).sum(),
        "lambda: np.sum(x ** 3)": lambda t: (t**3).sum(),
        "lambda: np.log(np.sum(np.exp(x)))": lambda t: torch.logsumexp(t.reshape(-1), 0),
        "lambda: np.prod(np.sin(x))": lambda t: torch.sin(t).prod(),
    }
    for case in cases:
        loss, x, eps = case.args
        numerical = reference(loss, x.copy(), eps)
        if repr(loss) in by_torch:
            t = torch.tensor(x, requires_grad=True)
            by_torch[repr(loss)](t).backward()
            exact = t.grad.numpy()
        else:  # the convolution's loss: its gradient with respect to the kernels is dw
            images = (np.arange(32.0).reshape(2, 1, 4, 4) % 5 - 2) / 2
            grad = np.arange(18.0).reshape(2, 1, 3, 3) % 4 - 1.5
            exact = training._conv2d_backward(images, x, grad, 1, 0)[1]
        # central differences are off by about eps**2 (times the third derivative)
        np.testing.assert_allclose(numerical, exact, rtol=30 * eps**2 + 1e-7, atol=2 * eps**2 + 1e-7)


def test_a_one_sided_difference_is_off_by_more_than_the_tolerance_on_the_curved_case(monkeypatch):
    _, cases = _spy_cases(ex.check_numerical_gradient, monkeypatch)
    loss, x, eps = cases[1].args
    central = numerical_gradient(lambda: loss.of(x), x, eps)
    forward = np.array([(loss.of(x + eps * np.eye(3)[i]) - loss.of(x)) / eps for i in range(3)])
    assert np.all(np.abs(forward - central) > 1e-4 * np.abs(central))  # the tolerance: 1e-6


# --------------------------------------------------------------------------------------------
# check_conv2d


def test_conv2d_rejects_a_flipped_kernel():
    result = ex.check_conv2d(
        lambda x, w, b, stride=1, padding=0: loop_conv2d(x, w[:, :, ::-1, ::-1], b, stride, padding)
    )
    assert_rejected(result, "failed on case 1 of 14 (fixed)", WRONG_VALUE, "expected -5.0, got 5.0")


def test_conv2d_rejects_a_forgotten_bias():
    result = ex.check_conv2d(lambda x, w, b, stride=1, padding=0: loop_conv2d(x, w, 0 * b, stride, padding))
    assert_rejected(
        result, "failed on case 2 of 14 (fixed)", "b = [10.]", "expected 5.0, got -5.0", "one number per filter"
    )


def test_conv2d_rejects_the_bias_of_the_input_channel():
    def bias_per_input_channel(x, w, b, stride=1, padding=0):
        out = loop_conv2d(x, w, np.zeros(len(w)), stride, padding)
        for c in range(x.shape[1]):
            out[:, c % len(w)] += b[c % len(b)]  # should be b[o] for output channel o
        return out

    assert_rejected(ex.check_conv2d(bias_per_input_channel), "failed on case 3 of 14 (fixed)", WRONG_VALUE)


def test_conv2d_rejects_the_bias_added_once_per_input_channel():
    def bias_in_the_channel_loop(x, w, b, stride=1, padding=0):
        out = loop_conv2d(x, w, np.zeros(len(w)), stride, padding)
        for _ in range(x.shape[1]):
            out += b[None, :, None, None]
        return out

    result = ex.check_conv2d(bias_in_the_channel_loop)
    assert_rejected(result, "failed on case 3 of 14 (fixed)", WRONG_VALUE, "then adds its own bias once")


def test_conv2d_rejects_a_sum_over_the_wrong_axis():
    def sum_over_the_batch(x, w, b, stride=1, padding=0):
        windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))  # no stride, no padding
        # should sum over c (the input channels) and not over n (the images)
        y = np.einsum("nchwij,ocij->cohw", windows, w)
        return y + b[None, :, None, None]

    result = ex.check_conv2d(sum_over_the_batch)
    assert_rejected(result, "failed on case 3 of 14 (fixed)", f"{WRONG_SHAPE} (1, 3, 4, 4), got (2, 3, 4, 4)")


def test_conv2d_rejects_a_sum_over_the_images():
    def images_mixed(x, w, b, stride=1, padding=0):
        y = loop_conv2d(x, w, b, stride, padding)
        return np.broadcast_to(y.sum(axis=0, keepdims=True) - (len(x) - 1) * b[None, :, None, None], y.shape)

    result = ex.check_conv2d(images_mixed)
    assert_rejected(result, "failed on case 4 of 14 (fixed)", WRONG_VALUE, "its own input image only")


def test_conv2d_rejects_padding_not_applied_or_applied_twice():
    missing = ex.check_conv2d(lambda x, w, b, stride=1, padding=0: loop_conv2d(x, w, b, stride, 0))
    assert_rejected(missing, "failed on case 5 of 14 (fixed)", f"{WRONG_SHAPE} (1, 1, 3, 3), got (1, 1, 1, 1)")
    twice = ex.check_conv2d(lambda x, w, b, stride=1, padding=0: loop_conv2d(x, w, b, stride, 2 * padding))
    assert_rejected(twice, "failed on case 5 of 14 (fixed)", f"{WRONG_SHAPE} (1, 1, 3, 3), got (1, 1, 5, 5)")


def test_conv2d_rejects_the_stride_applied_to_the_input_only():
    def subsampled_input(x, w, b, stride=1, padding=0):
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        return loop_conv2d(xp[:, :, ::stride, ::stride], w, b)

    result = ex.check_conv2d(subsampled_input)
    assert_rejected(result, "failed on case 6 of 14 (fixed)", f"{WRONG_SHAPE} (1, 1, 2, 2), got (1, 1, 1, 1)")


def test_conv2d_rejects_the_stride_applied_to_the_output_size_only():
    def windows_side_by_side(x, w, b, stride=1, padding=0):
        size = loop_conv2d(x, w, b, stride, padding).shape[2:]
        return loop_conv2d(x, w, b, 1, padding)[:, :, : size[0], : size[1]]  # windows one sample apart

    result = ex.check_conv2d(windows_side_by_side)
    assert_rejected(result, "failed on case 6 of 14 (fixed)", WRONG_VALUE, "start stride samples apart")


def test_conv2d_rejects_a_last_window_that_sticks_out():
    def ceil_size(x, w, b, stride=1, padding=0):
        extra = np.pad(x, ((0, 0), (0, 0), (0, stride - 1), (0, stride - 1)))
        return loop_conv2d(extra, w, b, stride, padding)

    result = ex.check_conv2d(ceil_size)
    assert_rejected(result, "failed on case 7 of 14 (fixed)", f"{WRONG_SHAPE} (1, 1, 3, 3), got (1, 1, 4, 4)")


def test_conv2d_rejects_an_output_in_the_inputs_integer_dtype():
    def output_like_x(x, w, b, stride=1, padding=0):
        return loop_conv2d(x, w, b, stride, padding).astype(x.dtype)  # np.zeros(..., dtype=x.dtype)

    result = ex.check_conv2d(output_like_x)
    assert_rejected(result, "failed on case 9 of 14 (fixed)", "expected 2.5, got 2", "the output has fractions")


def test_conv2d_rejects_a_function_that_changes_its_input():
    def pads_in_place(x, w, b, stride=1, padding=0):
        y = loop_conv2d(x, w, b, stride, padding)
        x *= 0  # reuses x as scratch memory
        return y

    result = ex.check_conv2d(pads_in_place)
    assert_rejected(result, "failed on case 1 of 14 (fixed)", f"{CHANGED} x in place: x[0, 0, 0, 1] was 1.0 and is 0.0")

    def kernel_as_scratch(x, w, b, stride=1, padding=0):
        y = loop_conv2d(x, w, b, stride, padding)
        w.fill(0)
        return y

    assert_rejected(
        ex.check_conv2d(kernel_as_scratch),
        "failed on case 1 of 14 (fixed)",
        f"{CHANGED} w in place: w[0, 0, 0, 0] was 1.0",
    )


def test_conv2d_accepts_a_vectorised_answer_and_reports_the_stub():
    def vectorised(x, w, b, stride=1, padding=0):
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
        return np.einsum("nchwij,ocij->nohw", windows, w) + b[None, :, None, None]

    assert ex.check_conv2d(vectorised)

    def my_conv2d(x, w, b, stride=1, padding=0):
        raise NotImplementedError("write this function")

    assert (
        ex.check_conv2d(my_conv2d).message
        == "not implemented yet: write the body of my_conv2d, then run this cell again"
    )


# --------------------------------------------------------------------------------------------
# check_conv2d_backward


def test_conv2d_backward_rejects_dw_of_one_image():
    def first_image_only(x, w, grad_output, stride=1, padding=0):
        dx, _, db = loop_conv2d_backward(x, w, grad_output, stride, padding)
        _, dw0, _ = loop_conv2d_backward(x[:1], w, grad_output[:1], stride, padding)
        return dx, dw0, db

    result = ex.check_conv2d_backward(first_image_only)
    assert_rejected(result, "failed on case 2 of 13 (fixed)", "dw differs: ", "expected -294.0, got -70.0")


def test_conv2d_backward_rejects_dw_averaged_over_the_batch():
    def mean_over_images(x, w, grad_output, stride=1, padding=0):
        dx, dw, db = loop_conv2d_backward(x, w, grad_output, stride, padding)
        return dx, dw / len(x), db / len(x)

    result = ex.check_conv2d_backward(mean_over_images)
    assert_rejected(
        result,
        "failed on case 2 of 13 (fixed)",
        "dw differs: ",
        "expected -294.0, got -147.0",
        "collect the contributions of every image",
    )


def test_conv2d_backward_rejects_db_summed_over_the_channels():
    def per_image(x, w, grad_output, stride=1, padding=0):
        dx, dw, _ = loop_conv2d_backward(x, w, grad_output, stride, padding)
        return dx, dw, grad_output.sum(axis=(1, 2, 3))  # should be axis=(0, 2, 3)

    result = ex.check_conv2d_backward(per_image)
    assert_rejected(result, "failed on case 2 of 13 (fixed)", f"db differs: {WRONG_SHAPE} (1,), got (2,)")

    def one_number(x, w, grad_output, stride=1, padding=0):
        dx, dw, _ = loop_conv2d_backward(x, w, grad_output, stride, padding)
        return dx, dw, grad_output.sum()

    result = ex.check_conv2d_backward(one_number)
    assert_rejected(result, "failed on case 1 of 13 (fixed)", f"db differs: {WRONG_SHAPE} (1,), got ()")


def test_conv2d_backward_rejects_dx_with_an_unflipped_kernel():
    def full_correlation(x, w, grad_output, stride=1, padding=0):
        _, dw, db = loop_conv2d_backward(x, w, grad_output, stride, padding)
        kh, kw = w.shape[2:]
        padded = np.pad(grad_output, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        # the transposed convolution is a full correlation with the *flipped* kernel, channels swapped
        dx = loop_conv2d(padded, w.transpose(1, 0, 2, 3), np.zeros(w.shape[1]))
        return dx, dw, db

    result = ex.check_conv2d_backward(full_correlation)
    assert_rejected(result, "failed on case 1 of 13 (fixed)", "dx differs: ", "expected 0.5, got -0.5")


def test_conv2d_backward_rejects_the_stride_ignored_in_dx():
    def stride_one_dx(x, w, grad_output, stride=1, padding=0):
        _, dw, db = loop_conv2d_backward(x, w, grad_output, stride, padding)
        dx, _, _ = loop_conv2d_backward(x, w, grad_output, 1, padding)  # windows one sample apart
        return dx, dw, db

    result = ex.check_conv2d_backward(stride_one_dx)
    assert_rejected(result, "failed on case 6 of 13 (fixed)", "dx differs: ", WRONG_VALUE, "positions 2 apart")


def test_conv2d_backward_rejects_a_gradient_of_the_padded_input():
    def uncropped(x, w, grad_output, stride=1, padding=0):
        dx, dw, db = loop_conv2d_backward(x, w, grad_output, stride, padding)
        return np.pad(dx, ((0, 0), (0, 0), (padding, padding), (padding, padding))), dw, db

    result = ex.check_conv2d_backward(uncropped)
    assert_rejected(
        result, "failed on case 5 of 13 (fixed)", f"dx differs: {WRONG_SHAPE} (1, 1, 3, 3), got (1, 1, 5, 5)"
    )


def test_conv2d_backward_rejects_two_results_or_the_wrong_order():
    two = ex.check_conv2d_backward(
        lambda x, w, g, stride=1, padding=0: loop_conv2d_backward(x, w, g, stride, padding)[:2]
    )
    assert_rejected(
        two, "failed on case 1 of 13 (fixed)", "expected a tuple (dx, dw, db) of three arrays; got a tuple of 2"
    )
    one = ex.check_conv2d_backward(
        lambda x, w, g, stride=1, padding=0: loop_conv2d_backward(x, w, g, stride, padding)[0]
    )
    assert_rejected(one, "failed on case 1 of 13 (fixed)", "three arrays; got an array of shape (1, 1, 3, 3)")
    swapped = ex.check_conv2d_backward(
        lambda x, w, g, stride=1, padding=0: loop_conv2d_backward(x, w, g, stride, padding)[::-1]
    )
    assert_rejected(swapped, "failed on case 1 of 13 (fixed)", f"dx differs: {WRONG_SHAPE} (1, 1, 3, 3), got (1,)")


def test_conv2d_backward_rejects_a_function_that_changes_its_input():
    def dx_is_x(x, w, grad_output, stride=1, padding=0):
        _, dw, db = loop_conv2d_backward(x, w, grad_output, stride, padding)
        dx = x  # not a new array: filling dx fills x
        dx[...] = loop_conv2d_backward(x, w, grad_output, stride, padding)[0]
        return dx, dw, db

    result = ex.check_conv2d_backward(dx_is_x)
    assert_rejected(result, "failed on case 1 of 13 (fixed)", f"{CHANGED} x in place: x[0, 0, 0, 0] was 0.0 and is 0.5")

    def grad_output_as_scratch(x, w, grad_output, stride=1, padding=0):
        grads = loop_conv2d_backward(x, w, grad_output, stride, padding)
        grad_output[...] = 0
        return grads

    result = ex.check_conv2d_backward(grad_output_as_scratch)
    assert_rejected(
        result, "failed on case 1 of 13 (fixed)", f"{CHANGED} grad_output in place: grad_output[0, 0, 0, 0] was 0.5"
    )


# --------------------------------------------------------------------------------------------
# check_numerical_gradient


def _one_sided(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    base = f()
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        grad[index] = (f() - base) / eps
        x[index] = saved
    return grad


def test_numerical_gradient_rejects_a_one_sided_difference():
    result = ex.check_numerical_gradient(_one_sided)
    assert_rejected(result, "failed on case 2 of 8 (fixed)", WRONG_VALUE, "eps = 0.0001", "symmetric around x")


def test_numerical_gradient_rejects_dividing_by_eps_instead_of_two_eps():
    def half_step(f, x, eps=1e-6):
        return 2 * loop_numerical_gradient(f, x, eps)  # (up - down) / eps

    result = ex.check_numerical_gradient(half_step)
    assert_rejected(result, "failed on case 1 of 8 (fixed)", "expected 2.0, got 4.0", "f = lambda: np.sum(x ** 2)")


def test_numerical_gradient_rejects_an_input_that_is_not_restored():
    def not_restored(f, x, eps=1e-6):
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            x[index] += eps
            up = f()
            x[index] -= 2 * eps
            grad[index] = (up - f()) / (2 * eps)  # x[index] is left eps too low
        return grad

    result = ex.check_numerical_gradient(not_restored)
    assert_rejected(
        result,
        "failed on case 1 of 8 (fixed)",
        f"{CHANGED} x in place: x[0] was 1.0 and is 0.999999",
        "put every entry back",
    )


def test_numerical_gradient_accepts_an_input_restored_to_within_rounding():
    def up_and_down(f, x, eps=1e-6):
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            x[index] += eps
            up = f()
            x[index] -= 2 * eps
            down = f()
            x[index] += eps  # back, up to rounding
            grad[index] = (up - down) / (2 * eps)
        return grad

    assert ex.check_numerical_gradient(up_and_down)


def test_numerical_gradient_rejects_moving_a_copy():
    def on_a_copy(f, x, eps=1e-6):
        grad = np.zeros(x.shape)
        moved = x.copy()  # f reads x, not this copy: f never changes
        for index in np.ndindex(x.shape):
            moved[index] += eps
            up = f()
            moved[index] -= 2 * eps
            grad[index] = (up - f()) / (2 * eps)
            moved[index] += eps
        return grad

    result = ex.check_numerical_gradient(on_a_copy)
    assert_rejected(result, "failed on case 1 of 8 (fixed)", "expected 2.0, got 0.0")


def test_numerical_gradient_rejects_its_own_step():
    result = ex.check_numerical_gradient(lambda f, x, eps=1e-6: loop_numerical_gradient(f, x, 1e-5))
    assert_rejected(result, "failed on case 3 of 8 (fixed)", "eps = 0.1", WRONG_VALUE, "use the eps you are given")


def test_numerical_gradient_rejects_a_flat_x_only():
    def first_axis(f, x, eps=1e-6):
        grad = np.zeros(x.shape)
        for i in range(len(x)):  # a row at a time for a 2-D x
            saved = x[i].copy()
            x[i] = saved + eps
            up = f()
            x[i] = saved - eps
            grad[i] = (up - f()) / (2 * eps)
            x[i] = saved
        return grad

    assert_rejected(ex.check_numerical_gradient(first_axis), "failed on case 3 of 8 (fixed)", WRONG_VALUE)


# --------------------------------------------------------------------------------------------
# check_small_cnn


class Padded(SmallCNN):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)  # 'same': the maps stay 28x28
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2)
        self.dense = nn.Linear(16 * 7 * 7, 10)


class SqueezedBatch(SmallCNN):
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.dense(x.squeeze().flatten(1))  # squeeze drops a batch of one too


class Tanh(SmallCNN):
    def forward(self, x):
        x = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.max_pool2d(torch.tanh(self.conv2(x)), 2)
        return self.dense(x.flatten(1))


class NoBias(SmallCNN):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, bias=False)


class Unused(SmallCNN):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(256, 64)  # defined, never called


class Softmax(SmallCNN):
    def forward(self, x):
        return super().forward(x).softmax(dim=1)  # nn.CrossEntropyLoss applies the softmax itself


class Sigmoid(SmallCNN):
    def forward(self, x):
        x = F.max_pool2d(torch.sigmoid(self.conv1(x)), 2)
        x = F.max_pool2d(torch.sigmoid(self.conv2(x)), 2)
        return self.dense(x.flatten(1))


def test_small_cnn_rejects_a_wrong_layer_shape():
    result = ex.check_small_cnn(Padded)
    assert_rejected(
        result,
        "failed on case 1 of 5 (fixed)",
        "expected: Conv2d (2, 1, 28, 28) -> (2, 8, 24, 24)",
        "got:      Conv2d (2, 1, 28, 28) -> (2, 8, 28, 28)",
        "Linear (2, 784) -> (2, 10)",
        "first difference at line 1",
        "each convolution shrinks the map",
    )


def test_small_cnn_rejects_a_batch_axis_squeezed_away():
    result = ex.check_small_cnn(SqueezedBatch)
    assert_rejected(result, "failed on case 2 of 5 (fixed)", "your function raised RuntimeError", "one image")


def test_small_cnn_rejects_a_missing_relu():
    result = ex.check_small_cnn(Tanh)
    assert_rejected(
        result,
        "failed on case 3 of 5 (fixed)",
        "expected: Conv2d reads no negative value",
        "Conv2d reads negative values",
    )


def test_small_cnn_rejects_a_wrong_parameter_count():
    assert_rejected(ex.check_small_cnn(NoBias), "failed on case 4 of 5 (fixed)", "expected 5994, got 5986")
    assert_rejected(
        ex.check_small_cnn(Unused), "failed on case 4 of 5 (fixed)", "expected 5994, got 22442", "unused count too"
    )


def test_small_cnn_rejects_an_under_trained_network_and_leaves_the_threads_and_random_state():
    threads, state = torch.get_num_threads(), torch.get_rng_state().clone()
    result = ex.check_small_cnn(Softmax)
    assert_rejected(
        result,
        "failed on case 5 of 5 (fixed)",
        "expected a held-out accuracy of at least 0.9, got 0.8",
        "250 steps of Adam",
    )
    assert 0.8 < result.actual < 0.88
    assert torch.get_num_threads() == threads and torch.equal(torch.get_rng_state(), state)
    sigmoid = ex.check_small_cnn(Sigmoid)
    assert_rejected(sigmoid, "failed on case 5 of 5 (fixed)")
    assert 0.8 < sigmoid.actual < 0.88


def test_small_cnn_reports_the_stub_and_what_is_not_a_module():
    class MySmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            raise NotImplementedError("write this class")

    assert (
        ex.check_small_cnn(MySmallCNN).message
        == "not implemented yet: write the body of MySmallCNN, then run this cell again"
    )

    class Plain:
        def __call__(self, x):
            return x

    result = ex.check_small_cnn(Plain)
    assert_rejected(
        result, "failed on case 1 of 5 (fixed)", "Plain() gave <", "not an nn.Module: subclass torch.nn.Module"
    )

    class NoSuper(nn.Module):
        def __init__(self):
            self.conv1 = nn.Conv2d(1, 8, 5)

    result = ex.check_small_cnn(NoSuper)
    assert_rejected(
        result, "failed on case 1 of 5 (fixed)", "your function raised AttributeError", "before Module.__init__() call"
    )
    assert "(line " in result.message and "in __init__)" in result.message


def test_small_cnn_reference_has_the_chapters_layers():
    model = training._reference_network()
    assert parameter_count(model) == parameter_count(SmallCNN()) == 5994
    lines = training._trace(model, torch.zeros(3, 1, 28, 28), signs=False)
    assert lines == training._trace(SmallCNN(), torch.zeros(3, 1, 28, 28), signs=False)
    assert lines == [
        "Conv2d (3, 1, 28, 28) -> (3, 8, 24, 24)",
        "Conv2d (3, 8, 12, 12) -> (3, 16, 8, 8)",
        "Linear (3, 256) -> (3, 10)",
        "output (3, 10)",
    ]


@pytest.mark.parametrize("checker", [ex.check_conv2d, ex.check_conv2d_backward, ex.check_numerical_gradient])
def test_a_value_that_is_not_a_function_is_reported(checker):
    result = checker(np.zeros(3))
    assert not result and result.message.startswith("expected a function; got")
