"""True deconvolution: undo a known blur in the Fourier domain.

:func:`wiener_deconvolve` shows that "deconvolution layers" (transposed convolutions,
:mod:`cnnkit.ops.transpose`) are something else: it inverts a blur, where a transposed
convolution only reverses a convolution's shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit._checks import as_array, check_ndim, is_int

__all__ = ["wiener_deconvolve"]


def _kernel_spectrum(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """FFT of ``kernel`` zero-padded to ``shape``, its centre moved to sample (0, 0)."""
    kh, kw = kernel.shape
    padded = np.zeros(shape)
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.fft2(padded)


def wiener_deconvolve(blurred: Any, kernel: Any, snr: float = np.inf, padding: int | None = None) -> np.ndarray:
    """Undo a known blur with the Wiener filter (least squares in the Fourier domain).

    If ``blurred = kernel * image + noise`` (a true convolution, kernel centred on its middle
    sample), the Fourier transform turns the convolution into a product,
    :math:`B = K \\cdot X + N`. The Wiener filter estimates :math:`X` frequency by frequency,

    .. math::

        \\hat X = \\frac{\\overline{K}}{|K|^2 + 1/\\mathrm{SNR}} \\, B,

    which for ``snr=inf`` is the least-squares (pseudo-)inverse :math:`B / K` wherever
    :math:`K \\ne 0` (and 0 where the blur erased a frequency). A finite signal-to-noise power
    ratio damps the frequencies the blur nearly erased, where dividing would amplify noise.

    The FFT treats the image as periodic. To keep the wrap-around from causing ringing at the
    borders, the blurred image is first extended by ``padding`` samples of mirror padding on each
    side (``numpy.pad`` mode ``'reflect'``, PyTorch's ``'reflect'``), and the result cropped back.
    This suits an image that was blurred with reflecting borders, for example
    ``cnnkit.ops.filters.filter2d(image, kernel, padding_mode='reflect')``.

    Args:
        blurred: 2-D array (H, W), the blurred image.
        kernel: 2-D array (kH, kW), the known blur (odd sizes centre exactly).
        snr: signal-to-noise power ratio, positive; ``np.inf`` for the pure least-squares inverse.
        padding: mirror padding on each side; ``None`` means ``max(kH, kW)``; 0 means none (exact
            when the blur was circular).

    Returns:
        The estimate of the sharp image, float64 array of shape (H, W).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> image = rng.random((16, 16))
        >>> kernel = np.array([[0, 1, 0], [1, 6, 1], [0, 1, 0]]) / 10
        >>> blurred = np.real(np.fft.ifft2(np.fft.fft2(image) * _kernel_spectrum(kernel, (16, 16))))
        >>> bool(np.allclose(wiener_deconvolve(blurred, kernel, padding=0), image))
        True
    """
    b = as_array(blurred, "blurred").astype(np.float64)
    k = as_array(kernel, "kernel").astype(np.float64)
    check_ndim(b, 2, "blurred", "(H, W)", "deconvolve one grey image at a time, e.g. image[0, 0]")
    check_ndim(k, 2, "kernel", "(kH, kW)")
    if not isinstance(snr, (int, float)) or isinstance(snr, bool) or not snr > 0:
        raise ValueError(f"snr must be a positive number (np.inf for the pure inverse); got {snr!r}")
    if padding is None:
        padding = max(k.shape)
    if not is_int(padding) or padding < 0:
        raise ValueError(f"padding must be a non-negative int or None; got {padding!r}")
    pad = int(min(padding, b.shape[0] - 1, b.shape[1] - 1))
    work = np.pad(b, pad, mode="reflect") if pad else b
    spectrum = _kernel_spectrum(k, work.shape)
    power = np.abs(spectrum) ** 2
    if np.isinf(snr):
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(power > 1e-12, np.conj(spectrum) / power, 0.0)
    else:
        gain = np.conj(spectrum) / (power + 1.0 / snr)
    estimate = np.real(np.fft.ifft2(np.fft.fft2(work) * gain))
    return estimate[pad : pad + b.shape[0], pad : pad + b.shape[1]] if pad else estimate
