"""Tests of cnnkit/ops/deconvolution.py: Wiener deconvolution."""

import numpy as np
import pytest
from scipy import ndimage

from cnnkit.ops.deconvolution import wiener_deconvolve


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
    restored = wiener_deconvolve(_circular_blur(image, kernel), kernel, padding=0)
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
    np.testing.assert_allclose(wiener_deconvolve(blurred, kernel, snr=100.0, padding=0), 0, atol=1e-12)
    np.testing.assert_allclose(wiener_deconvolve(blurred, kernel, padding=0), 0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"snr": 0}, "snr must be a positive number"),
        ({"snr": -1.0}, "snr must be a positive number"),
        ({"padding": -1}, "padding must be a non-negative int or None; got -1"),
    ],
)
def test_wiener_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        wiener_deconvolve(np.ones((8, 8)), np.ones((3, 3)) / 9, **kwargs)


def test_wiener_needs_a_2d_image():
    with pytest.raises(ValueError, match=r"blurred must have 2 dimensions \(H, W\); got shape \(1, 1, 8, 8\)"):
        wiener_deconvolve(np.ones((1, 1, 8, 8)), np.ones((3, 3)))
