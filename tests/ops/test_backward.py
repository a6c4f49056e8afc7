"""cnnkit.ops.backward against torch.autograd (float64, rtol 1e-10) and central differences."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnkit.ops import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv_transpose2d,
    max_pool2d,
    max_pool2d_backward,
    pad2d,
)
from cnnkit.shapes import conv_transpose_output_padding, padding_amounts

TOL = dict(rtol=1e-10, atol=1e-12)
SETTINGS = settings(max_examples=80, deadline=None)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


def int_or_pair(values):
    return st.one_of(values, st.tuples(values, values))


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ---- convolution --------------------------------------------------------------------------


@st.composite
def conv_cases(draw, strings=True):
    """Random float64 (x, w, grad_output, kwargs), with sizes that leave a stride remainder."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = draw(int_or_pair(st.integers(1, 3)))
    paddings = int_or_pair(st.integers(0, 2))
    if strings:
        paddings = st.one_of(paddings, st.sampled_from(["valid", "same", "full"]))
    padding = draw(paddings)
    stride = 1 if padding == "same" else draw(int_or_pair(st.integers(1, 3)))
    d = pair(dilation)
    pads = padding_amounts(padding, k, 1, d)
    smallest = [max(1, d[a] * (k[a] - 1) + 1 - sum(pads[a])) for a in range(2)]
    sizes = [draw(st.integers(smallest[a], smallest[a] + 5)) for a in range(2)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *sizes))
    w = rng.standard_normal((c_out, c_in // groups, *k))
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    gy = rng.standard_normal(conv2d(x, w, **kwargs).shape)
    return x, w, gy, kwargs


def torch_conv2d_grads(x, w, gy, stride, padding, dilation, groups):
    """(dL/dx, dL/dw, dL/db) by torch.autograd; 'full' padding (not in torch) as an explicit F.pad."""
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    if padding == "full":
        (top, bottom), (left, right) = padding_amounts(padding, w.shape[2:], d=dilation)
        inp, padding = F.pad(xt, (left, right, top, bottom)), 0
    else:
        inp = xt
    F.conv2d(inp, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups).backward(
        torch.from_numpy(gy)
    )
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@SETTINGS
@given(conv_cases())
def test_conv2d_backward_matches_autograd(case):
    x, w, gy, kwargs = case
    got = conv2d_backward(x, w, gy, **kwargs)
    for ours, theirs in zip(got, torch_conv2d_grads(x, w, gy, **kwargs)):
        assert ours.shape == theirs.shape and ours.dtype == np.float64
        np.testing.assert_allclose(ours, theirs, **TOL)


@settings(max_examples=40, deadline=None)
@given(conv_cases(strings=False))
def test_input_gradient_is_the_transposed_convolution_with_the_same_weights(case):
    x, w, gy, kwargs = case
    op = conv_transpose_output_padding(
        x.shape[2:], w.shape[2:], pair(kwargs["stride"]), pair(kwargs["padding"]), pair(kwargs["dilation"])
    )
    expected = conv_transpose2d(gy, w, output_padding=op, **kwargs)
    np.testing.assert_array_equal(conv2d_backward(x, w, gy, **kwargs)[0], expected)


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_weight_gradient_is_the_correlation_of_the_input_with_grad_output(case):
    """conv2d of the (padded, read) input with grad_output as the kernels, batch and channel axes
    swapped, stride and dilation exchanged, per group: the formula the docstring states."""
    x, w, gy, kwargs = case
    k, s, d, groups = w.shape[2:], pair(kwargs["stride"]), pair(kwargs["dilation"]), kwargs["groups"]
    padding = kwargs["padding"] if isinstance(kwargs["padding"], str) else pair(kwargs["padding"])
    xp = pad2d(x, padding_amounts(padding, k, s, d))
    unread = conv_transpose_output_padding(x.shape[2:], k, s, padding, d)
    xp = xp[:, :, : xp.shape[2] - unread[0], : xp.shape[3] - unread[1]]
    swap = lambda a: a.transpose(1, 0, 2, 3)
    c_in_g, c_out_g = x.shape[1] // groups, w.shape[0] // groups
    expected = np.concatenate(
        [
            swap(
                conv2d(
                    swap(xp[:, g * c_in_g : (g + 1) * c_in_g]),
                    swap(gy[:, g * c_out_g : (g + 1) * c_out_g]),
                    stride=d,
                    dilation=s,
                )
            )
            for g in range(groups)
        ]
    )
    np.testing.assert_allclose(conv2d_backward(x, w, gy, **kwargs)[1], expected, **TOL)


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_conv2d_backward_is_the_adjoint(case):
    """<conv2d(x, w), dy> = <x, dL/dx> = <w, dL/dw>: the convolution is linear in x and in w."""
    x, w, gy, kwargs = case
    grad_input, grad_weight, _ = conv2d_backward(x, w, gy, **kwargs)
    inner = np.sum(conv2d(x, w, **kwargs) * gy)
    np.testing.assert_allclose(np.sum(x * grad_input), inner, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.sum(w * grad_weight), inner, rtol=1e-10, atol=1e-10)


def central_difference(f, a, eps=1e-6):
    """The gradient of the scalar function f at the array a, one central difference per element."""
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(stride=2, padding=1),
        dict(stride=(2, 3), padding=(0, 2), dilation=(1, 2)),
        dict(padding="same", dilation=2),
        dict(padding="full", groups=2),
    ],
)
def test_conv2d_backward_matches_central_differences(kwargs):
    rng = np.random.default_rng(0)
    x, w, b = (
        rng.standard_normal((2, 2, 6, 7)),
        rng.standard_normal((4, 2 // kwargs.get("groups", 1), 3, 2)),
        rng.standard_normal(4),
    )
    gy = rng.standard_normal(conv2d(x, w, b, **kwargs).shape)
    grad_input, grad_weight, grad_bias = conv2d_backward(x, w, gy, **kwargs)
    np.testing.assert_allclose(
        grad_input, central_difference(lambda v: np.sum(conv2d(v, w, b, **kwargs) * gy), x), atol=1e-7
    )
    np.testing.assert_allclose(
        grad_weight, central_difference(lambda v: np.sum(conv2d(x, v, b, **kwargs) * gy), w), atol=1e-7
    )
    np.testing.assert_allclose(
        grad_bias, central_difference(lambda v: np.sum(conv2d(x, w, v, **kwargs) * gy), b), atol=1e-7
    )


def test_rows_the_strided_forward_never_read_get_zero_gradient():
    x, w = np.ones((1, 1, 8, 8)), np.ones((1, 1, 3, 3))
    grad_input, _, _ = conv2d_backward(x, w, np.ones((1, 1, 2, 2)), stride=4)  # windows cover rows 0-2 and 4-6
    assert not grad_input[0, 0, 7].any() and not grad_input[0, 0, :, 7].any()
    assert not grad_input[0, 0, 3].any() and grad_input[0, 0, :3, :3].all()


def test_conv2d_backward_dtypes():
    rng = np.random.default_rng(0)
    x, w = rng.integers(-3, 4, (1, 2, 5, 5)), rng.integers(-3, 4, (3, 2, 2, 2))
    gy = rng.integers(-3, 4, (1, 3, 4, 4))
    grads = conv2d_backward(x, w, gy)
    assert all(g.dtype == np.int64 for g in grads)  # exact, as the forward
    expected = conv2d_backward(x.astype(float), w.astype(float), gy.astype(float))
    for g, e in zip(grads, expected):
        np.testing.assert_array_equal(g, e)
    grads32 = conv2d_backward(x.astype(np.float32), w.astype(np.float32), gy.astype(np.float32))
    assert all(g.dtype == np.float32 for g in grads32)


# ---- pooling ----------------------------------------------------------------------------


@st.composite
def pool_cases(draw, dilation=True, ties=False):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    sizes = [draw(st.integers(max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]), d[a] * (k[a] - 1) + 7)) for a in range(2)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sizes)
    if ties:  # all equal, or small integers: many windows hold their maximum more than once
        x = np.full(shape, 1.0) if draw(st.booleans()) else rng.integers(-2, 3, shape).astype(float)
    else:
        x = rng.standard_normal(shape)
    kernel_size = k[0] if k[0] == k[1] and draw(st.booleans()) else k
    padding = p[0] if p[0] == p[1] and draw(st.booleans()) else p
    return x, kernel_size, stride, padding, d, draw(st.booleans()), rng


def every_window_reads_the_input(x, k, s, p, d, ceil_mode):
    """False if a window lies wholly in the padding (possible with dilation): PyTorch then gives
    -inf and an index outside the input, and its backward writes out of bounds."""
    k, p, d = pair(k), pair(p), pair(d)
    s = k if s is None else pair(s)
    out = max_pool2d(x, k, s, p, d, ceil_mode).shape[2:]
    for axis in range(2):
        for u in range(out[axis]):
            taps = u * s[axis] - p[axis] + d[axis] * np.arange(k[axis])
            if not np.any((taps >= 0) & (taps < x.shape[2 + axis])):
                return False
    return True


def autograd(f, x, gy):
    xt = torch.tensor(x, requires_grad=True)
    f(xt).backward(torch.from_numpy(gy))
    return xt.grad.numpy()


@SETTINGS
@given(st.one_of(pool_cases(), pool_cases(ties=True)))
def test_max_pool2d_backward_matches_autograd(case):
    x, k, s, p, d, ceil_mode, rng = case
    assume(every_window_reads_the_input(x, k, s, p, d, ceil_mode))
    gy = rng.standard_normal(max_pool2d(x, k, s, p, d, ceil_mode).shape)
    expected = autograd(lambda t: F.max_pool2d(t, k, s, p, d, ceil_mode), x, gy)
    got = max_pool2d_backward(x, gy, k, s, p, d, ceil_mode)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, **TOL)


@SETTINGS
@given(pool_cases(dilation=False), st.booleans(), st.one_of(st.none(), st.integers(1, 5)))
def test_avg_pool2d_backward_matches_autograd(case, count_include_pad, divisor_override):
    x, k, s, p, _, ceil_mode, rng = case
    args = (k, s, p, ceil_mode, count_include_pad, divisor_override)
    gy = rng.standard_normal(avg_pool2d(x, *args).shape)
    expected = autograd(lambda t: F.avg_pool2d(t, *args), x, gy)
    got = avg_pool2d_backward(x, gy, *args)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, **TOL)


@pytest.mark.parametrize(
    "x, args",
    [
        (np.ones((1, 1, 5, 5)), (3, 1, 1)),  # all equal, overlapping windows, padding
        (np.zeros((1, 1, 4, 4)), (2, 2, 1, 2)),  # all equal, dilation
        (np.array([[3.0, 1, 3], [3, 3, 0], [2, 3, 3]])[None, None], (2, 1)),  # integer-valued ties
        (np.full((1, 1, 3, 3), -np.inf), (3, 1, 1)),  # padding never wins, even against -inf
        (np.array([[1.0, np.nan, 5], [np.nan, 2, 0]])[None, None], (2, 1)),  # NaN: the last NaN
        (np.array([[1.0, 2, 2], [0, 2, 2]])[None, None], (2, 2, 0, 1, True)),  # ceil_mode window cut off
    ],
)
def test_max_pool2d_backward_ties_go_where_pytorch_sends_them(x, args):
    gy = np.arange(1.0, 1 + max_pool2d(x, *args).size).reshape(max_pool2d(x, *args).shape)
    expected = autograd(lambda t: F.max_pool2d(t, *args), x, gy)
    np.testing.assert_array_equal(max_pool2d_backward(x, gy, *args), expected)


def test_a_window_of_padding_only_sends_no_gradient():
    """Dilation can put a whole window in the padding; the forward gives -inf there (as PyTorch,
    whose index then points outside the input) and the backward drops that window's gradient."""
    x = np.array([0.5, 2.0])[None, :, None, None]  # two 1 x 1 maps
    args = ((1, 2), None, (0, 1), (1, 2))  # taps at columns -1 and 1: both padding
    assert np.all(max_pool2d(x, *args) == -np.inf)
    np.testing.assert_array_equal(max_pool2d_backward(x, np.ones((1, 2, 1, 1)), *args), np.zeros_like(x))


def test_max_pool2d_backward_first_maximum_in_row_major_order():
    x = np.array([[0.0, 7.0], [7.0, 7.0]])[None, None]
    np.testing.assert_array_equal(max_pool2d_backward(x, np.ones((1, 1, 1, 1)), 2)[0, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("args", [(2,), (3, 2, 1), ((2, 3), (1, 2), (1, 0), (2, 1), True)])
def test_max_pool2d_backward_matches_central_differences(args):
    rng = np.random.default_rng(1)
    x = (rng.permutation(2 * 7 * 8) * 0.1).reshape(1, 2, 7, 8)  # distinct values, 0.1 apart: no ties
    gy = rng.standard_normal(max_pool2d(x, *args).shape)
    numerical = central_difference(lambda v: np.sum(max_pool2d(v, *args) * gy), x)
    np.testing.assert_allclose(max_pool2d_backward(x, gy, *args), numerical, atol=1e-7)


@pytest.mark.parametrize(
    "args", [(2,), (3, 2, 1, False, False), ((2, 3), (1, 2), (1, 0), True, True), (3, 2, 0, True, False, 5)]
)
def test_avg_pool2d_backward_matches_central_differences(args):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 7, 8))
    gy = rng.standard_normal(avg_pool2d(x, *args).shape)
    numerical = central_difference(lambda v: np.sum(avg_pool2d(v, *args) * gy), x)
    np.testing.assert_allclose(avg_pool2d_backward(x, gy, *args), numerical, atol=1e-7)


def test_pool_backward_dtypes():
    x = np.random.default_rng(0).integers(0, 9, (1, 1, 4, 4))
    assert max_pool2d_backward(x, np.ones((1, 1, 2, 2), dtype=int), 2).dtype == np.int64
    assert max_pool2d_backward(x.astype(np.float32), np.ones((1, 1, 2, 2), dtype=np.float32), 2).dtype == np.float32
    assert avg_pool2d_backward(x, np.ones((1, 1, 2, 2), dtype=int), 2).dtype == np.float64
    assert avg_pool2d_backward(x.astype(np.float32), np.ones((1, 1, 2, 2), dtype=np.float32), 2).dtype == np.float32


# ---- errors -------------------------------------------------------------------------------


def test_wrong_grad_output_shape_names_both_shapes():
    x, w = np.ones((2, 3, 8, 8)), np.ones((4, 3, 3, 3))
    with pytest.raises(
        ValueError,
        match=r"conv2d_backward: grad_output must have the shape of conv2d's output \(N, C_out, H_out, W_out\) = "
        r"\(2, 4, 4, 4\); got shape \(2, 4, 3, 3\) \(H_out and W_out: cnnkit.shapes.conv_output_size\)",
    ):
        conv2d_backward(x, w, np.ones((2, 4, 3, 3)), stride=2, padding=1)
    with pytest.raises(
        ValueError,
        match=r"max_pool2d_backward: grad_output must have the shape of max_pool2d's output \(N, C, H_out, W_out\) = \(2, 3, 4, 4\); got shape \(3, 4, 4\)",
    ):
        max_pool2d_backward(x, np.ones((3, 4, 4)), 2)
    with pytest.raises(
        ValueError,
        match=r"avg_pool2d_backward: grad_output must have the shape of avg_pool2d's output \(N, C, H_out, W_out\) = \(2, 3, 5, 5\); got shape \(2, 3, 4, 4\)",
    ):
        avg_pool2d_backward(x, np.ones((2, 3, 4, 4)), 2, ceil_mode=True, padding=1)


@pytest.mark.parametrize(
    "forward, backward, args",
    [
        (conv2d, conv2d_backward, dict(padding="smae")),
        (conv2d, conv2d_backward, dict(stride=2, padding="same")),
        (conv2d, conv2d_backward, dict(groups=2)),
        (conv2d, conv2d_backward, dict(dilation=0)),
        (conv2d, conv2d_backward, dict(dilation=5)),
    ],
)
def test_conv2d_backward_checks_its_arguments_as_conv2d(forward, backward, args):
    x, w = np.ones((1, 3, 8, 8)), np.ones((4, 3, 3, 3))
    with pytest.raises((ValueError, TypeError)) as expected:
        forward(x, w, **args)
    with pytest.raises(type(expected.value), match=re.escape(str(expected.value))):
        backward(x, w, np.ones((1, 4, 6, 6)), **args)
