"""Tests of cnnkit/viz/upsampling.py: resizing as PyTorch, Wiener deconvolution, checkerboard score."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from cnnkit.viz.upsampling import checkerboard_score, resize, resize_conv, wiener_deconvolve


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale", [2, 3, (2, 3)])
def test_resize_matches_torch_interpolate(mode, scale):
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 4))
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    factor = scale if isinstance(scale, tuple) else (scale, scale)
    expected = F.interpolate(torch.from_numpy(x), scale_factor=factor, mode=mode, **kwargs).numpy()
    got = resize(x, scale, mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_resize_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode must be one of 'nearest', 'bilinear'.*did you mean 'bilinear'"):
        resize(np.ones((2, 2)), 2, mode="bilinar")
    with pytest.raises(ValueError, match="scale must be positive"):
        resize(np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        resize(np.ones(3), 2)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_resize_conv_matches_torch(mode):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    up = F.interpolate(torch.from_numpy(x), scale_factor=2, mode=mode, **kwargs)
    expected = F.conv2d(up, torch.from_numpy(w), torch.from_numpy(b), padding="same").numpy()
    np.testing.assert_allclose(resize_conv(x, w, b, scale=2, mode=mode), expected, atol=1e-10)


def test_resize_conv_has_no_checkerboard_on_a_constant_input():
    w = np.random.default_rng(2).normal(size=(1, 1, 3, 3))
    y = resize_conv(np.ones((1, 1, 8, 8)), w)[0, 0]
    interior = y[1:-1, 1:-1]
    np.testing.assert_allclose(interior, w.sum())
    assert checkerboard_score(y, border=1) == 0.0


def test_resize_conv_needs_four_dimensions():
    with pytest.raises(ValueError, match=r"x must have 4 dimensions \(N, C, H, W\); got shape \(4, 4\)"):
        resize_conv(np.ones((4, 4)), np.ones((1, 1, 3, 3)))


def _circular_blur(image, kernel):
    kh, kw = kernel.shape
    padded = np.zeros(image.shape)
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.real(np.fft.ifft2(np.fft.fft2(image) * np.fft.fft2(padded)))


def test_circular_blur_model_is_a_true_convolution():
    rng = np.random.default_rng(3)
    image, kernel = rng.random((12, 12)), rng.random((3, 3))
    np.testing.assert_allclose(_circular_blur(image, kernel), ndimage.convolve(image, kernel, mode="wrap"))


def test_wiener_inverts_a_circular_blur_exactly_without_noise():
    rng = np.random.default_rng(4)
    image = rng.random((20, 24))
    kernel = rng.random((3, 5)) + np.pad([[4.0]], ((1, 1), (2, 2)))  # strong centre: no zero in the spectrum
    kernel /= kernel.sum()
    restored = wiener_deconvolve(_circular_blur(image, kernel), kernel, pad=0)
    np.testing.assert_allclose(restored, image, atol=1e-8)


def test_wiener_improves_a_gaussian_blur_with_reflecting_borders():
    u, v = np.indices((64, 64))
    image = 0.5 + 0.25 * np.sin(u / 3.0) * np.cos(v / 5.0) + 0.2 * ((u // 16 + v // 16) % 2)
    r = np.arange(-6, 7)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5**2))
    g /= g.sum()
    blurred = ndimage.convolve(image, g, mode="mirror")  # numpy and torch call this "reflect"
    restored = wiener_deconvolve(blurred, g, snr=1e4)
    assert restored.shape == image.shape
    assert np.mean((restored - image) ** 2) < 0.25 * np.mean((blurred - image) ** 2)


def test_wiener_with_finite_snr_damps_the_erased_frequencies():
    kernel = np.ones((1, 2)) / 2  # erases the Nyquist frequency along the rows
    image = np.tile([1.0, -1.0], (4, 4))
    blurred = _circular_blur(image, kernel)
    np.testing.assert_allclose(blurred, 0, atol=1e-12)
    np.testing.assert_allclose(wiener_deconvolve(blurred, kernel, snr=100.0, pad=0), 0, atol=1e-12)
    np.testing.assert_allclose(wiener_deconvolve(blurred, kernel, pad=0), 0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"snr": 0}, "snr must be a positive number"),
        ({"snr": -1.0}, "snr must be a positive number"),
        ({"pad": -1}, "pad must be a non-negative int or None; got -1"),
    ],
)
def test_wiener_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        wiener_deconvolve(np.ones((8, 8)), np.ones((3, 3)) / 9, **kwargs)


def test_wiener_needs_a_2d_image():
    with pytest.raises(ValueError, match=r"blurred must have 2 dimensions \(H, W\); got shape \(1, 1, 8, 8\)"):
        wiener_deconvolve(np.ones((1, 1, 8, 8)), np.ones((3, 3)))


def test_checkerboard_score_of_pure_patterns_and_smooth_images():
    u, v = np.indices((16, 16))
    assert checkerboard_score((-1.0) ** u) == pytest.approx(1.0)
    assert checkerboard_score((-1.0) ** (u + v)) == pytest.approx(1.0)
    assert checkerboard_score(np.full((9, 9), 3.0)) == 0.0
    assert checkerboard_score(np.sin(u / 4.0) + np.cos(v / 5.0)) < 0.05
    # period 3 pattern is invisible at period 2 on average, but seen at period 3
    pattern = np.tile(np.array([0.0, 0.0, 1.0]), (12, 4))
    assert checkerboard_score(pattern, period=3) == pytest.approx(1.0)


def test_checkerboard_score_is_a_share_of_variance():
    rng = np.random.default_rng(5)
    u, v = np.indices((32, 32))
    noise = rng.normal(size=(32, 32))
    weak = checkerboard_score(noise + 0.2 * (-1.0) ** (u + v))
    strong = checkerboard_score(noise + 2.0 * (-1.0) ** (u + v))
    assert 0.0 <= weak < strong <= 1.0


def test_checkerboard_score_border_and_errors():
    y = np.ones((10, 10))
    y[0, :] = 100.0  # a border artefact that the border argument removes
    assert checkerboard_score(y) > 0
    assert checkerboard_score(y, border=1) == 0.0
    with pytest.raises(ValueError, match="period must be a positive int; got 0"):
        checkerboard_score(y, period=0)
    with pytest.raises(ValueError, match="leaves less than one period"):
        checkerboard_score(np.ones((4, 4)), border=2)
    with pytest.raises(ValueError, match=r"image must have 2 dimensions \(H, W\)"):
        checkerboard_score(np.ones((1, 4, 4)))
