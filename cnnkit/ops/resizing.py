"""Upsampling by interpolation, and a meter for the checkerboard artefacts of the alternative.

A transposed convolution (:func:`cnnkit.ops.conv_transpose2d`) enlarges a feature map. This
module holds what chapter 6 compares it with:

- :func:`resize` and :func:`resize_conv`: enlarge by nearest-neighbour or bilinear
  interpolation, then apply an ordinary convolution. This is the alternative to a strided
  transposed convolution that avoids checkerboard artefacts (Odena, Dumoulin and Olah, 2016).
  :func:`resize` also resizes to any ``size``, as the class activation maps of chapter 11 need.
- :func:`checkerboard_score`: how much of an image is a pattern that repeats with the stride
  (the share of its variance explained by the position modulo the period).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit._checks import as_array, check_choice, check_ndim, is_int, positive_pair
from cnnkit._types import IntOrPair, Padding
from cnnkit.ops.conv import conv2d

__all__ = ["resize", "resize_conv", "checkerboard_score"]

RESIZE_MODES = ("nearest", "bilinear")


def _interpolation_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """The (n_out, n_in) matrix of 1-D resampling, PyTorch's ``align_corners=False``.

    Output sample ``u`` sits at input coordinate ``(u + 0.5) * n_in / n_out - 0.5`` (pixel
    centres aligned), clamped at 0; ``'bilinear'`` mixes the two input samples on either side,
    ``'nearest'`` copies sample ``floor(u * n_in / n_out)``.
    """
    ratio = n_in / n_out
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "nearest":
        m[rows, np.minimum(np.floor(rows * ratio).astype(int), n_in - 1)] = 1.0
        return m
    src = np.maximum((rows + 0.5) * ratio - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    np.add.at(m, (rows, i0), 1.0 - frac)
    np.add.at(m, (rows, i1), frac)
    return m


def resize(x: Any, scale: IntOrPair = 2, mode: str = "nearest", size: IntOrPair | None = None) -> np.ndarray:
    """Enlarge the last two axes by an integer factor (or resize them to ``size``), as
    ``torch.nn.functional.interpolate``.

    - ``'nearest'``: every sample becomes a ``scale x scale`` block of copies
      (``F.interpolate(mode='nearest')``, Keras ``UpSampling2D(interpolation='nearest')``).
    - ``'bilinear'``: linear interpolation along each axis with pixel centres aligned
      (``F.interpolate(mode='bilinear', align_corners=False)``, Keras
      ``UpSampling2D(interpolation='bilinear')``).

    Args:
        x: array of shape (..., H, W), at least 2-D.
        scale: integer factor, int or (sH, sW).
        mode: ``'nearest'`` or ``'bilinear'``.
        size: the output size (H_out, W_out), int or pair, instead of ``scale`` (any size, as
            ``F.interpolate(size=...)``).

    Returns:
        Array of shape (..., sH * H, sW * W) (or ``(..., *size)``); float64 for ``'bilinear'``,
        ``x``'s dtype for ``'nearest'`` with a ``scale``.

    Example:
        >>> resize(np.array([[1, 2], [3, 4]]), 2)
        array([[1, 1, 2, 2],
               [1, 1, 2, 2],
               [3, 3, 4, 4],
               [3, 3, 4, 4]])
        >>> resize(np.array([[0.0, 4.0]]), (1, 2), mode='bilinear').tolist()
        [[0.0, 1.0, 3.0, 4.0]]
        >>> resize(np.zeros((3, 7, 7)), mode='bilinear', size=28).shape
        (3, 28, 28)
    """
    arr = as_array(x, "x")
    if arr.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W); got shape {tuple(arr.shape)}")
    check_choice(mode, RESIZE_MODES, "mode", caller="resize")
    h, w = arr.shape[-2:]
    if size is None:
        sh, sw = positive_pair(scale, "scale")
        if mode == "nearest":
            return np.repeat(np.repeat(arr, sh, axis=-2), sw, axis=-1)
        out_h, out_w = sh * h, sw * w
    else:
        out_h, out_w = positive_pair(size, "size")
    mh = _interpolation_matrix(h, out_h, mode)
    mw = _interpolation_matrix(w, out_w, mode)
    return np.einsum("uh,...hw,vw->...uv", mh, arr.astype(np.float64), mw)


def resize_conv(
    x: Any,
    weight: Any,
    bias: Any | None = None,
    scale: IntOrPair = 2,
    mode: str = "nearest",
    padding: Padding = "same",
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
    arr = as_array(x, "x")
    check_ndim(arr, 4, "x", "(N, C, H, W)", "add axes with x[None, None] for a single image")
    return conv2d(resize(arr, scale, mode), weight, bias, padding=padding, padding_mode=padding_mode)


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
    if not is_int(period) or period < 1:
        raise ValueError(f"period must be a positive int; got {period!r}")
    if not is_int(border) or border < 0:
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
