"""Upsampling and its look-alikes: resize-then-convolve, true deconvolution, checkerboard artefacts.

A transposed convolution (:func:`cnnkit.ops.conv_transpose2d`) enlarges a feature map. This
module holds what chapter 5 compares it with:

- :func:`resize` and :func:`resize_conv`: enlarge by nearest-neighbour or bilinear
  interpolation, then apply an ordinary convolution. This is the alternative to a strided
  transposed convolution that avoids checkerboard artefacts (Odena, Dumoulin and Olah, 2016).
- :func:`wiener_deconvolve`: *true* deconvolution, which undoes a known blur in the Fourier
  domain. It shows that "deconvolution layers" (transposed convolutions) are something else.
- :func:`checkerboard_score`: how much of an image is a pattern that repeats with the stride
  (the share of its variance explained by the position modulo the period).
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from cnnkit.ops._validate import as_array, check_choice, check_ndim, positive_pair
from cnnkit.shapes import _is_int

__all__ = ["resize", "resize_conv", "wiener_deconvolve", "checkerboard_score"]

IntOrPair = Union[int, tuple[int, int]]

RESIZE_MODES = ("nearest", "bilinear")


def _bilinear_matrix(n_in: int, scale: int) -> np.ndarray:
    """The (n_in * scale, n_in) matrix of 1-D linear interpolation, PyTorch's ``align_corners=False``.

    Output sample ``u`` sits at input coordinate ``(u + 0.5) / scale - 0.5`` (pixel centres
    aligned), clamped at 0; it mixes the two input samples on either side.
    """
    n_out = n_in * scale
    src = np.maximum((np.arange(n_out) + 0.5) / scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), i0), 1.0 - frac)
    np.add.at(m, (np.arange(n_out), i1), frac)
    return m


def resize(x: Any, scale: IntOrPair = 2, mode: str = "nearest") -> np.ndarray:
    """Enlarge the last two axes by an integer factor, as ``torch.nn.functional.interpolate``.

    - ``'nearest'``: every sample becomes a ``scale x scale`` block of copies
      (``F.interpolate(mode='nearest')``, Keras ``UpSampling2D(interpolation='nearest')``).
    - ``'bilinear'``: linear interpolation along each axis with pixel centres aligned
      (``F.interpolate(mode='bilinear', align_corners=False)``, Keras
      ``UpSampling2D(interpolation='bilinear')``).

    Args:
        x: array of shape (..., H, W), at least 2-D.
        scale: integer factor, int or (sH, sW).
        mode: ``'nearest'`` or ``'bilinear'``.

    Returns:
        Array of shape (..., sH * H, sW * W); float64 for ``'bilinear'``, ``x``'s dtype for
        ``'nearest'``.

    Example:
        >>> resize(np.array([[1, 2], [3, 4]]), 2)
        array([[1, 1, 2, 2],
               [1, 1, 2, 2],
               [3, 3, 4, 4],
               [3, 3, 4, 4]])
        >>> resize(np.array([[0.0, 4.0]]), (1, 2), mode='bilinear').tolist()
        [[0.0, 1.0, 3.0, 4.0]]
    """
    arr = as_array(x, "x")
    if arr.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W); got shape {tuple(arr.shape)}")
    sh, sw = positive_pair(scale, "scale")
    check_choice(mode, RESIZE_MODES, "mode")
    if mode == "nearest":
        return np.repeat(np.repeat(arr, sh, axis=-2), sw, axis=-1)
    mh = _bilinear_matrix(arr.shape[-2], sh)
    mw = _bilinear_matrix(arr.shape[-1], sw)
    return np.einsum("uh,...hw,vw->...uv", mh, arr.astype(np.float64), mw)


def resize_conv(
    x: Any,
    weight: Any,
    bias: Optional[Any] = None,
    scale: IntOrPair = 2,
    mode: str = "nearest",
    padding: Union[str, IntOrPair] = "same",
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Upsample by resizing, then convolve: the checkerboard-free alternative to a strided
    transposed convolution.

    .. math::

        y = \\operatorname{conv2d}(\\operatorname{resize}(x, s), w) + b

    Every output sample is computed from the same number of kernel taps, so a constant input
    gives a constant output away from the borders, whatever the weights.

    Args:
        x: input of shape (N, C_in, H, W).
        weight: kernel of shape (C_out, C_in, kH, kW), as :func:`cnnkit.ops.conv2d`.
        bias: optional (C_out,).
        scale: integer upsampling factor, int or pair.
        mode: ``'nearest'`` or ``'bilinear'``; see :func:`resize`.
        padding: padding of the convolution; ``'same'`` (default) keeps the resized size.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Returns:
        Array of shape (N, C_out, H_out, W_out); with ``padding='same'``,
        H_out = sH * H and W_out = sW * W.

    Example:
        >>> y = resize_conv(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding_mode='replicate')
        >>> y.shape, float(y.min()), float(y.max())
        ((1, 1, 8, 8), 9.0, 9.0)
    """
    from cnnkit.ops import conv2d

    arr = as_array(x, "x")
    check_ndim(arr, 4, "x", "(N, C, H, W)", "add axes with x[None, None] for a single image")
    return conv2d(resize(arr, scale, mode), weight, bias, padding=padding, padding_mode=padding_mode)


def _kernel_spectrum(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """FFT of ``kernel`` zero-padded to ``shape``, its centre moved to sample (0, 0)."""
    kh, kw = kernel.shape
    padded = np.zeros(shape)
    padded[:kh, :kw] = kernel
    padded = np.roll(padded, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.fft2(padded)


def wiener_deconvolve(blurred: Any, kernel: Any, snr: float = np.inf, pad: Optional[int] = None) -> np.ndarray:
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
    borders, the blurred image is first extended by ``pad`` samples of mirror padding on each
    side (``numpy.pad`` mode ``'reflect'``, PyTorch's ``'reflect'``), and the result cropped back.
    This suits an image that was blurred with reflecting borders, for example
    ``cnnkit.ops.filters.filter2d(image, kernel, boundary='reflect')``.

    Args:
        blurred: 2-D array (H, W), the blurred image.
        kernel: 2-D array (kH, kW), the known blur (odd sizes centre exactly).
        snr: signal-to-noise power ratio, positive; ``np.inf`` for the pure least-squares inverse.
        pad: mirror padding on each side; ``None`` means ``max(kH, kW)``; 0 means none (exact
            when the blur was circular).

    Returns:
        The estimate of the sharp image, float64 array of shape (H, W).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> image = rng.random((16, 16))
        >>> kernel = np.array([[0, 1, 0], [1, 6, 1], [0, 1, 0]]) / 10
        >>> blurred = np.real(np.fft.ifft2(np.fft.fft2(image) * _kernel_spectrum(kernel, (16, 16))))
        >>> bool(np.allclose(wiener_deconvolve(blurred, kernel, pad=0), image))
        True
    """
    b = as_array(blurred, "blurred").astype(np.float64)
    k = as_array(kernel, "kernel").astype(np.float64)
    check_ndim(b, 2, "blurred", "(H, W)", "deconvolve one grey image at a time, e.g. image[0, 0]")
    check_ndim(k, 2, "kernel", "(kH, kW)")
    if not isinstance(snr, (int, float)) or isinstance(snr, bool) or not snr > 0:
        raise ValueError(f"snr must be a positive number (np.inf for the pure inverse); got {snr!r}")
    if pad is None:
        pad = max(k.shape)
    if not _is_int(pad) or pad < 0:
        raise ValueError(f"pad must be a non-negative int or None; got {pad!r}")
    pad = int(min(pad, b.shape[0] - 1, b.shape[1] - 1))
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


def checkerboard_score(image: Any, period: int = 2, border: int = 0) -> float:
    """Share of an image's variance that repeats with a given period: a checkerboard meter.

    The samples are sorted into ``period**2`` classes by their position modulo the period,
    ``(u mod P, v mod P)``, and the score is the variance of the class means divided by the
    variance of the image (the between-class share of the variance, a number in [0, 1]):

    .. math::

        \\text{score} = \\frac{\\frac{1}{P^2} \\sum_{a, b} (m_{ab} - \\bar y)^2}{\\operatorname{Var}(y)},
        \\qquad m_{ab} = \\operatorname{mean}\\, y[a::P,\\ b::P].

    A pure pattern of period ``P`` (a checkerboard for ``P = 2``) scores 1, a constant or a
    smooth image scores close to 0. This is the energy of the image at the frequencies that are
    multiples of :math:`1/P` (for ``P = 2``, the Nyquist frequencies), relative to all of its
    energy except the mean.

    Args:
        image: 2-D array (H, W).
        period: the period to look for, usually the stride of the upsampling layer.
        border: samples to drop on each side first (the borders of a transposed convolution
            have their own, different overlaps).

    Returns:
        The score, a float in [0, 1]; 0 for a constant image.

    Example:
        >>> u, v = np.indices((8, 8))
        >>> checkerboard_score((-1.0) ** (u + v))
        1.0
        >>> checkerboard_score(np.ones((8, 8)))
        0.0
        >>> round(checkerboard_score(u + v + 0.0), 3)
        0.048
    """
    y = as_array(image, "image").astype(np.float64)
    check_ndim(y, 2, "image", "(H, W)", "score one map at a time, e.g. y[0, 0]")
    if not _is_int(period) or period < 1:
        raise ValueError(f"period must be a positive int; got {period!r}")
    if not _is_int(border) or border < 0:
        raise ValueError(f"border must be a non-negative int; got {border!r}")
    if border:
        y = y[border:-border, border:-border]
    h, w = (y.shape[0] // period) * period, (y.shape[1] // period) * period
    if h == 0 or w == 0:
        raise ValueError(
            f"image of shape {tuple(np.shape(image))} with border={border} leaves less than one "
            f"period ({period}) along an axis; use a smaller border or period"
        )
    y = y[:h, :w]
    total = y.var()
    if total <= 1e-15 * max(1.0, float(np.mean(y * y))):
        return 0.0
    means = y.reshape(h // period, period, w // period, period).mean(axis=(0, 2))
    return float(min(1.0, means.var() / total))
