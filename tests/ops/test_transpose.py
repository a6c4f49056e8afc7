"""cnnkit.ops.transpose against torch.nn.functional.conv_transpose2d (float64, tolerance 1e-10)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnkit.ops import (
    conv2d,
    conv_matrix,
    conv_transpose2d,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insertion,
    upsample_zeros,
)

TOL = dict(rtol=0, atol=1e-10)
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def transpose_cases(draw):
    groups = draw(st.integers(1, 3))
    c_in, c_out_g = groups * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    op = tuple(draw(st.integers(0, max(s[a], d[a]) - 1)) for a in range(2))  # torch: op < stride or op < dilation
    sizes = []
    for a in range(2):
        # the smallest input whose output (H - 1) s - 2p + d(k - 1) + op + 1 is at least 1
        smallest = max(1, -(-(2 * p[a] - d[a] * (k[a] - 1) - op[a]) // s[a]) + 1)
        sizes.append(draw(st.integers(smallest, smallest + 4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *sizes))
    w = rng.standard_normal((c_in, c_out_g, *k))
    b = rng.standard_normal(c_out_g * groups) if draw(st.booleans()) else None
    as_int = lambda v: v[0] if v[0] == v[1] else v
    kwargs = dict(stride=as_int(s), padding=as_int(p), output_padding=as_int(op), groups=groups, dilation=as_int(d))
    return x, w, b, kwargs


def torch_transpose(x, w, b, **kwargs):
    bt = None if b is None else torch.from_numpy(b)
    return F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), bt, **kwargs).numpy()


@SETTINGS
@given(transpose_cases())
def test_conv_transpose2d_matches_torch(case):
    x, w, b, kwargs = case
    expected = torch_transpose(x, w, b, **kwargs)
    got = conv_transpose2d(x, w, b, **kwargs)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, **TOL)


@settings(max_examples=40, deadline=None)
@given(transpose_cases())
def test_teaching_forms_match_torch(case):
    x, w, b, kwargs = case
    expected = torch_transpose(x, w, b, **kwargs)
    np.testing.assert_allclose(conv_transpose2d_scatter(x, w, b, **kwargs), expected, **TOL)
    np.testing.assert_allclose(conv_transpose2d_zero_insertion(x, w, b, **kwargs), expected, **TOL)


@st.composite
def matrix_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s, d, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, d * (k[0] - 1) + 1 - 2 * p), 7))
    w = draw(st.integers(max(1, d * (k[1] - 1) + 1 - 2 * p), 7))
    channels = draw(st.sampled_from([None, (1, 2), (2, 3)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if channels is None:
        return (h, w), rng.standard_normal(k), s, p, d, rng
    c_out, c_in = channels
    return (c_in, h, w), rng.standard_normal((c_out, c_in, *k)), s, p, d, rng


@SETTINGS
@given(matrix_cases())
def test_conv_matrix_forward_and_transpose(case):
    shape, kernel, s, p, d, rng = case
    W = conv_matrix(shape, kernel, stride=s, padding=p, dilation=d)
    weight = kernel if kernel.ndim == 4 else kernel[None, None]
    x = rng.standard_normal(shape).reshape(1, -1, *shape[-2:])
    y = conv2d(x, weight, stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(W @ x.ravel(), y.ravel(), **TOL)
    # W.T is the transposed convolution; output_padding restores the skipped remainder
    h, w = shape[-2:]
    op = tuple((size + 2 * p - d * (kk - 1) - 1) % s for size, kk in zip((h, w), weight.shape[2:]))
    g = rng.standard_normal(y.shape)
    back = torch_transpose(g, weight, None, stride=s, padding=p, output_padding=op, dilation=d)
    assert back.shape == x.shape
    np.testing.assert_allclose(W.T @ g.ravel(), back.ravel(), **TOL)


def test_conv_matrix_string_padding_and_size_limit():
    k = np.arange(9.0).reshape(3, 3)
    x = np.random.default_rng(0).standard_normal((4, 5))
    for padding in ("valid", "same", "full"):
        W = conv_matrix(x.shape, k, padding=padding)
        np.testing.assert_allclose(W @ x.ravel(), conv2d(x[None, None], k[None, None], padding=padding).ravel(), **TOL)
    with pytest.raises(ValueError, match=r"the convolution matrix would have .* entries \(more than 10000000\)"):
        conv_matrix((100, 100), k)


def test_upsample_zeros():
    x = np.arange(1, 7).reshape(2, 3)
    up = upsample_zeros(x, (2, 3))
    assert up.shape == (3, 7)
    np.testing.assert_array_equal(up[::2, ::3], x)
    assert up.sum() == x.sum()
    assert upsample_zeros(np.ones((2, 3, 4, 5)), 2).shape == (2, 3, 7, 9)
    np.testing.assert_array_equal(upsample_zeros(x, 1), x)
    with pytest.raises(ValueError, match=r"x must have 2 dimensions \(H, W\) or 4 \(N, C, H, W\); got shape \(3,\)"):
        upsample_zeros(np.ones(3), 2)


def test_integer_transpose_is_exact():
    x = np.array([[1, 2], [3, 4]])[None, None]
    w = np.array([[1, 2], [3, 4]])[None, None]
    got = conv_transpose2d(x, w, stride=1)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, torch_transpose(x.astype(float), w.astype(float), None).astype(int))
