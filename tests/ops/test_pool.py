"""cnnkit.ops.pool against torch.nn.functional (float64, tolerance 1e-10)."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnkit.ops import avg_pool2d, global_avg_pool2d, lp_pool2d, max_pool2d, stochastic_pool2d

TOL = dict(rtol=0, atol=1e-10)
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def pool_cases(draw, dilation=True, padding=True):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))) if padding else (0, 0)
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilation else (1, 1)
    sizes = [draw(st.integers(max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]), d[a] * (k[a] - 1) + 7)) for a in range(2)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sizes))
    kernel_size = k[0] if k[0] == k[1] and draw(st.booleans()) else k
    return x, kernel_size, stride, p, d, draw(st.booleans())


@SETTINGS
@given(pool_cases())
def test_max_pool2d_matches_torch(case):
    x, k, s, p, d, ceil_mode = case
    expected = F.max_pool2d(torch.from_numpy(x), k, s, p, d, ceil_mode).numpy()
    got = max_pool2d(x, k, s, p, d, ceil_mode)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@SETTINGS
@given(pool_cases(dilation=False), st.booleans(), st.one_of(st.none(), st.integers(1, 5)))
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor_override):
    x, k, s, p, _, ceil_mode = case
    expected = F.avg_pool2d(torch.from_numpy(x), k, s, p, ceil_mode, count_include_pad, divisor_override).numpy()
    got = avg_pool2d(x, k, s, p, ceil_mode, count_include_pad, divisor_override)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, **TOL)


@SETTINGS
@given(pool_cases(dilation=False, padding=False), st.sampled_from([1, 2, 3, 1.5, 0.5, -1.0, math.inf]))
def test_lp_pool2d_matches_torch(case, p):
    x, k, s, _, _, ceil_mode = case
    x = np.abs(x) + 0.1  # PyTorch's x**p is NaN for negative x and non-integer p
    expected = F.lp_pool2d(torch.from_numpy(x), p, k, s, ceil_mode).numpy()
    np.testing.assert_allclose(lp_pool2d(x, p, k, s, ceil_mode), expected, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(pool_cases(dilation=False, padding=False))
def test_lp_pool2d_mean_interpolates_between_average_and_max(case):
    x, k, s, _, _, ceil_mode = case
    a = np.abs(x) + 0.5  # away from 0, so that a**p neither underflows nor overflows below
    np.testing.assert_allclose(
        lp_pool2d(a, 1, k, s, ceil_mode, mean=True), avg_pool2d(a, k, s, 0, ceil_mode, count_include_pad=False), **TOL
    )
    maximum = max_pool2d(a, k, s, 0, 1, ceil_mode)
    np.testing.assert_array_equal(lp_pool2d(a, math.inf, k, s, ceil_mode, mean=True), maximum)
    big = lp_pool2d(a, 100, k, s, ceil_mode, mean=True)
    assert np.all(big <= maximum + 1e-12) and np.all(big >= maximum * 0.97)  # (1/K)^(1/p) >= 0.97 for K <= 16


@pytest.mark.parametrize("shape, k, s, p", [((1, 3), 2, 2, 0), ((1, 1), 2, 2, 0), ((2, 5), 4, 3, 2), ((3, 4), 3, 2, 1)])
def test_ceil_mode_windows_larger_than_the_rest_of_the_input(shape, k, s, p):
    x = np.random.default_rng(0).standard_normal((1, 2, *shape))
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(
        max_pool2d(x, k, s, p, ceil_mode=True), F.max_pool2d(t, k, s, p, ceil_mode=True).numpy()
    )
    for include in (True, False):
        expected = F.avg_pool2d(t, k, s, p, ceil_mode=True, count_include_pad=include).numpy()
        np.testing.assert_allclose(avg_pool2d(x, k, s, p, ceil_mode=True, count_include_pad=include), expected, **TOL)


def test_lp_pool2d_power_mean_is_monotone_in_p():
    x = np.random.default_rng(0).random((1, 1, 4, 4)) + 0.1
    means = [lp_pool2d(x, p, 2, mean=True) for p in (1, 2, 4, 8)]
    assert all(np.all(lo <= hi + 1e-12) for lo, hi in itertools.pairwise(means))


def test_max_pool2d_keeps_integer_dtype_and_matches_torch():
    x = np.random.default_rng(0).integers(-50, 50, size=(2, 3, 9, 11))
    for args in ((2,), (2, 2, 1), (3, 1, 1)):  # remainder cropped; padding shifts the windows; overlapping
        y = max_pool2d(x, *args)
        assert y.dtype == x.dtype
        np.testing.assert_array_equal(y, F.max_pool2d(torch.from_numpy(x).double(), *args).numpy())


def test_float32_pools_stay_float32():
    x = np.random.default_rng(0).random((1, 2, 6, 6)).astype(np.float32)
    assert max_pool2d(x, 2).dtype == np.float32
    assert max_pool2d(x, 3, 2, 1).dtype == np.float32
    assert avg_pool2d(x, 2).dtype == np.float32
    assert lp_pool2d(x, 2, 2).dtype == np.float32
    assert avg_pool2d(x.astype(int), 2).dtype == np.float64


def test_global_avg_pool2d_matches_adaptive_avg_pool():
    x = np.random.default_rng(0).standard_normal((3, 4, 5, 6))
    expected = F.adaptive_avg_pool2d(torch.from_numpy(x), 1).numpy()
    np.testing.assert_allclose(global_avg_pool2d(x, keepdims=True), expected, **TOL)
    np.testing.assert_allclose(global_avg_pool2d(x), expected[:, :, 0, 0], **TOL)
    assert global_avg_pool2d(x).shape == (3, 4)


# ---- stochastic pooling (Zeiler and Fergus, 2013) -------------------------------------------


def test_stochastic_pool2d_test_time_is_probability_weighted_average():
    x = np.random.default_rng(0).random((2, 3, 6, 6))
    x[0, 0, :2, :2] = 0  # one all-zero window
    got = stochastic_pool2d(x, 2, training=False)
    windows = x.reshape(2, 3, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 3, 3, 4)
    total = windows.sum(-1)
    expected = np.where(total > 0, (windows**2).sum(-1) / np.where(total > 0, total, 1), 0)
    np.testing.assert_allclose(got, expected, **TOL)
    assert got[0, 0, 0, 0] == 0


def test_stochastic_pool2d_samples_with_probability_proportional_to_activation():
    rng = np.random.default_rng(0)
    window = np.array([[0.0, 1.0], [2.0, 5.0]])
    x = np.tile(window, (1, 1, 1, 2000))  # 2000 identical windows side by side, (1, 1, 2, 4000)
    samples = stochastic_pool2d(x, 2, rng=rng).ravel()
    frequencies = [np.mean(samples == v) for v in (0.0, 1.0, 2.0, 5.0)]
    np.testing.assert_allclose(frequencies, [0, 1 / 8, 2 / 8, 5 / 8], atol=0.03)


@settings(max_examples=30, deadline=None)
@given(pool_cases(dilation=False, padding=False), st.integers(0, 2**32 - 1))
def test_stochastic_pool2d_returns_a_nonzero_member_of_each_window(case, seed):
    x, k, s, _, _, _ = case
    x = np.maximum(x, 0)  # after a ReLU: many zeros
    y = stochastic_pool2d(x, k, s, rng=np.random.default_rng(seed))
    assert y.shape == max_pool2d(x, k, s).shape
    assert np.all(y <= max_pool2d(x, k, s))
    positive_window = max_pool2d(x, k, s) > 0
    assert np.all((y > 0) == positive_window)  # zeros only where the whole window is zero
    assert np.all(np.isin(y, x))


def test_stochastic_pool2d_is_reproducible_with_a_seed():
    x = np.random.default_rng(1).random((1, 2, 8, 8))
    a = stochastic_pool2d(x, 2, rng=np.random.default_rng(7))
    b = stochastic_pool2d(x, 2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


def test_stochastic_pool2d_errors():
    with pytest.raises(TypeError, match=r"rng \(required when training=True\) must be a numpy Generator"):
        stochastic_pool2d(np.ones((1, 1, 4, 4)), 2)
    with pytest.raises(ValueError, match=r"input must be non-negative for stochastic pooling.*apply a ReLU"):
        stochastic_pool2d(-np.ones((1, 1, 4, 4)), 2, rng=np.random.default_rng(0))
