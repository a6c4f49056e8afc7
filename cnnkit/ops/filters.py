"""Classical image filtering for chapter 2 (image filtering): kernels, filtering with a padding mode, the
median filter, noise models and PSNR.

Images are float arrays, grey (H, W) or colour (H, W, 3) (any number of channels in the last
axis), usually with values in [0, 1]. A colour image is filtered channel by channel.

Kernel conventions: every kernel here is meant for :func:`filter2d`, which *correlates*
(slides the kernel without flipping it, like ``torch.nn.functional.conv2d``). Symmetric
kernels (box, Gaussian, binomial, Laplacian) give the same result either way; the sign of an
edge kernel's response depends on it (see :func:`sobel_kernels`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnkit._checks import as_array, check_choice, check_rng, positive_pair
from cnnkit._types import IntOrPair
from cnnkit.ops.conv import PADDING_MODES, conv2d, pad2d
from cnnkit.shapes import padding_amounts

__all__ = [
    "box_kernel",
    "gaussian_kernel",
    "binomial_kernel3",
    "sobel_kernels",
    "prewitt_kernels",
    "laplacian_kernel",
    "filter2d",
    "median_filter",
    "psnr",
    "add_salt_pepper",
    "add_gaussian_noise",
    "add_impulse_noise",
]


def box_kernel(kernel_size: IntOrPair) -> np.ndarray:
    """The mean (box) filter: every weight ``1 / (kH kW)``, so the output is the window's average.

    Args:
        kernel_size: int or (kH, kW).

    Returns:
        Float array of shape (kH, kW) summing to 1.

    Example:
        >>> box_kernel(3) * 9
        array([[1., 1., 1.],
               [1., 1., 1.],
               [1., 1., 1.]])
    """
    kh, kw = positive_pair(kernel_size, "kernel_size")
    return np.full((kh, kw), 1.0 / (kh * kw))


def gaussian_kernel(kernel_size: int, sigma: float) -> np.ndarray:
    """A Gaussian blur kernel: the continuous Gaussian sampled at the pixel centres, normalised.

    .. math::

        g[i, j] \\propto \\exp\\Big(-\\frac{x_i^2 + y_j^2}{2 \\sigma^2}\\Big), \\qquad
        x_i = i - \\frac{n - 1}{2},

    for a kernel of ``n = kernel_size`` pixels a side, divided by its sum so that blurring keeps the
    mean brightness. An odd ``kernel_size`` of about ``6 sigma`` (rounded up to odd) keeps almost
    all of the mass.

    Args:
        kernel_size: width and height in pixels, a positive int (odd, to have a centre pixel).
        sigma: standard deviation in pixels, positive.

    Returns:
        Float array of shape (kernel_size, kernel_size) summing to 1.

    Example:
        >>> g = gaussian_kernel(5, 1.0)
        >>> g.shape, round(float(g.sum()), 12), bool(g[2, 2] == g.max())
        ((5, 5), 1.0, True)
        >>> np.round(gaussian_kernel(3, 0.5), 3)
        array([[0.011, 0.084, 0.011],
               [0.084, 0.619, 0.084],
               [0.011, 0.084, 0.011]])
    """
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, (int, np.integer)) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive int; got {kernel_size!r}")
    if not isinstance(sigma, (int, float, np.integer, np.floating)) or not sigma > 0 or math.isinf(sigma):
        raise ValueError(f"sigma must be a positive, finite number of pixels; got {sigma!r}")
    x = np.arange(kernel_size) - (kernel_size - 1) / 2
    g1 = np.exp(-(x**2) / (2.0 * sigma**2))
    g = np.outer(g1, g1)  # the 2-D Gaussian is separable
    return g / g.sum()


def binomial_kernel3() -> np.ndarray:
    """The 3 x 3 binomial kernel, a small integer approximation of a Gaussian.

    .. math::

        \\frac{1}{16} \\begin{bmatrix} 1 & 2 & 1 \\\\ 2 & 4 & 2 \\\\ 1 & 2 & 1 \\end{bmatrix}
        = \\frac{1}{4}\\begin{bmatrix} 1 \\\\ 2 \\\\ 1 \\end{bmatrix}
          \\frac{1}{4}\\begin{bmatrix} 1 & 2 & 1 \\end{bmatrix}

    Example:
        >>> binomial_kernel3() * 16
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    b = np.array([1.0, 2.0, 1.0]) / 4.0
    return np.outer(b, b)


def sobel_kernels() -> tuple[np.ndarray, np.ndarray]:
    """The Sobel kernels ``(vertical_edges, horizontal_edges)``.

    Convention (for correlation, as :func:`filter2d`): ``vertical_edges`` is the horizontal
    derivative d/dx,

    .. math::

        G_x = \\begin{bmatrix} -1 & 0 & 1 \\\\ -2 & 0 & 2 \\\\ -1 & 0 & 1 \\end{bmatrix},

    positive where the image gets brighter from left to right (so it responds to *vertical*
    edges); ``horizontal_edges`` is its transpose :math:`G_y = G_x^T`, the vertical derivative,
    positive where the image gets brighter from top to bottom. Each is a smoothing ``[1, 2, 1]``
    times a difference ``[-1, 0, 1]``. With true convolution the signs flip.

    Returns:
        Two float arrays of shape (3, 3).

    Example:
        >>> gx, gy = sobel_kernels()
        >>> gx
        array([[-1.,  0.,  1.],
               [-2.,  0.,  2.],
               [-1.,  0.,  1.]])
        >>> step = np.array([[0., 0., 1., 1.]] * 3)       # dark left, bright right
        >>> filter2d(step, gx, padding='valid')
        array([[4., 4.]])
    """
    gx = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
    return gx, gx.T.copy()


def prewitt_kernels() -> tuple[np.ndarray, np.ndarray]:
    """The Prewitt kernels ``(vertical_edges, horizontal_edges)``, same convention as
    :func:`sobel_kernels` but with uniform smoothing ``[1, 1, 1]``.

    Returns:
        Two float arrays of shape (3, 3).

    Example:
        >>> px, py = prewitt_kernels()
        >>> py
        array([[-1., -1., -1.],
               [ 0.,  0.,  0.],
               [ 1.,  1.,  1.]])
    """
    px = np.outer([1.0, 1.0, 1.0], [-1.0, 0.0, 1.0])
    return px, px.T.copy()


def laplacian_kernel() -> np.ndarray:
    """The 4-neighbour Laplacian, a discrete second derivative :math:`\\partial_x^2 + \\partial_y^2`.

    .. math::

        \\begin{bmatrix} 0 & 1 & 0 \\\\ 1 & -4 & 1 \\\\ 0 & 1 & 0 \\end{bmatrix}

    Zero on constant and linear regions, large where the intensity bends (edges, points).

    Example:
        >>> laplacian_kernel()
        array([[ 0.,  1.,  0.],
               [ 1., -4.,  1.],
               [ 0.,  1.,  0.]])
    """
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _image(image: Any) -> np.ndarray:
    img = as_array(image, "image")
    if img.ndim not in (2, 3):
        raise ValueError(
            f"image must have shape (H, W) or (H, W, channels); got shape {tuple(img.shape)} — "
            "use conv2d for a batch (N, C, H, W)"
        )
    return img


def filter2d(image: Any, kernel: Any, padding: Any = "same", padding_mode: str = "zeros") -> np.ndarray:
    """Filter a grey or colour image with a 2-D kernel (correlation), channel by channel.

    .. math::

        y[u, v, c] = \\sum_{i, j} \\tilde{x}[u + i, \\; v + j, \\; c] \\; k[i, j]

    where :math:`\\tilde{x}` is the image extended beyond its border according to
    ``padding_mode``, PyTorch's modes (``torch.nn.Conv2d(padding_mode=...)``, as
    :func:`cnnkit.ops.conv2d`):

    - ``'zeros'``: zeros (darkens the border of a bright image);
    - ``'reflect'``: mirrored without repeating the edge pixel (``torch`` ``'reflect'``,
      ``numpy.pad`` ``'reflect'``);
    - ``'replicate'``: the edge pixel repeated (``numpy.pad`` ``'edge'``);
    - ``'circular'``: wrapped around (``numpy.pad`` ``'wrap'``), as the discrete Fourier
      transform assumes.

    Args:
        image: array of shape (H, W) or (H, W, C).
        kernel: array of shape (kH, kW).
        padding: ``'same'`` (default; output as large as the input), ``'valid'``, ``'full'``,
            an int or a pair.
        padding_mode: how to extend the image: ``'zeros'``, ``'reflect'``, ``'replicate'``,
            ``'circular'``.

    Returns:
        Array of shape (H_out, W_out) or (H_out, W_out, C); floats stay floats (integer images
        with integer kernels give int64).

    Example:
        >>> img = np.array([[1., 2.], [3., 4.]])
        >>> filter2d(img, box_kernel(3) * 9, padding_mode='zeros')
        array([[10., 10.],
               [10., 10.]])
        >>> filter2d(img, box_kernel(3) * 9, padding_mode='replicate')
        array([[18., 21.],
               [24., 27.]])
    """
    img = _image(image)
    ker = as_array(kernel, "kernel")
    if ker.ndim != 2:
        raise ValueError(f"kernel must have 2 dimensions (kH, kW); got shape {tuple(ker.shape)}")
    check_choice(padding_mode, PADDING_MODES, "padding_mode", caller="filter2d")
    pads = padding_amounts(padding, ker.shape, (1, 1), (1, 1))
    planes = img[None, None] if img.ndim == 2 else np.moveaxis(img, -1, 0)[:, None]  # (C, 1, H, W)
    planes = pad2d(planes, pads, mode=padding_mode)
    out = conv2d(planes, ker[None, None])[:, 0]
    return out[0] if img.ndim == 2 else np.moveaxis(out, 0, -1)


def median_filter(image: Any, kernel_size: IntOrPair = 3, padding_mode: str = "reflect") -> np.ndarray:
    """Replace each pixel by the median of the ``kernel_size`` x ``kernel_size`` window around it.

    The median ignores outliers, so it removes salt-and-pepper noise while keeping edges sharp
    (a box filter would smear both). Not a linear filter, so not a convolution. The output has
    the size of the input; the border is extended as in :func:`filter2d` (for an even size the
    window has one more pixel below/right, as ``padding='same'``).

    Args:
        image: array of shape (H, W) or (H, W, C) (each channel on its own).
        kernel_size: the window's size, int or (kH, kW).
        padding_mode: ``'reflect'`` (default), ``'replicate'``, ``'circular'`` or ``'zeros'``.

    Returns:
        Float array of the shape of ``image``.

    Example:
        >>> img = np.zeros((5, 5)); img[2, 2] = 1.0          # one 'salt' pixel
        >>> float(median_filter(img).max())
        0.0
    """
    img = _image(image)
    k = positive_pair(kernel_size, "kernel_size")
    check_choice(padding_mode, PADDING_MODES, "padding_mode", caller="median_filter")
    pads = padding_amounts("same", k, (1, 1), (1, 1))
    planes = img if img.ndim == 3 else img[..., None]
    planes = pad2d(np.moveaxis(planes, -1, 0), pads, mode=padding_mode)
    windows = sliding_window_view(planes, k, axis=(1, 2))  # (C, H, W, kH, kW)
    out = np.median(windows, axis=(-2, -1))
    return np.moveaxis(out, 0, -1) if img.ndim == 3 else out[0]


def psnr(reference: Any, image: Any, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in decibels: higher means closer to the reference.

    .. math::

        \\mathrm{PSNR} = 10 \\log_{10} \\frac{R^2}{\\mathrm{MSE}}, \\qquad
        \\mathrm{MSE} = \\frac{1}{n} \\sum (x_{ref} - x)^2,

    with ``R`` the data range (1 for images in [0, 1], 255 for 8-bit). Identical images give
    ``inf``.

    Args:
        reference: the clean image.
        image: the noisy or restored image, same shape.
        data_range: the largest possible value minus the smallest.

    Returns:
        A Python float.

    Example:
        >>> ref = np.zeros((4, 4)); noisy = ref + 0.1
        >>> round(psnr(ref, noisy), 6)
        20.0
    """
    ref = as_array(reference, "reference").astype(np.float64)
    img = as_array(image, "image").astype(np.float64)
    if ref.shape != img.shape:
        raise ValueError(f"reference and image must have the same shape; got {ref.shape} and {img.shape}")
    if not data_range > 0:
        raise ValueError(f"data_range must be positive (1.0 for images in [0, 1], 255 for uint8); got {data_range!r}")
    mse = float(np.mean((ref - img) ** 2))
    if mse == 0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def _amount(amount: Any) -> float:
    if (
        isinstance(amount, bool)
        or not isinstance(amount, (int, float, np.integer, np.floating))
        or not 0 <= amount <= 1
    ):
        raise ValueError(f"amount must be a fraction of pixels between 0 and 1; got {amount!r}")
    return float(amount)


def add_salt_pepper(
    image: Any,
    amount: float,
    rng: np.random.Generator,
    salt_vs_pepper: float = 0.5,
    low: float = 0.0,
    high: float = 1.0,
) -> np.ndarray:
    """Salt-and-pepper noise: a fraction ``amount`` of the values jump to black or white.

    Each value (each channel of each pixel, independently) is hit with probability
    ``amount``; a hit becomes ``high`` ("salt") with probability ``salt_vs_pepper`` and ``low``
    ("pepper") otherwise. Only the two extreme values appear, which is what makes the median
    filter so effective. Compare :func:`add_impulse_noise`.

    Args:
        image: float array, (H, W) or (H, W, C).
        amount: fraction of values hit, in [0, 1].
        rng: a ``numpy.random.Generator``.
        salt_vs_pepper: fraction of the hits that become ``high``.
        low, high: the pepper and salt values.

    Returns:
        A new float array of the same shape.

    Example:
        >>> noisy = add_salt_pepper(np.full((100, 100), 0.5), 0.1, np.random.default_rng(0))
        >>> sorted(set(np.unique(noisy).tolist()))
        [0.0, 0.5, 1.0]
    """
    img = as_array(image, "image").astype(np.float64)
    amount = _amount(amount)
    check_rng(rng)
    if not 0 <= salt_vs_pepper <= 1:
        raise ValueError(f"salt_vs_pepper must be between 0 and 1; got {salt_vs_pepper!r}")
    hit = rng.random(img.shape) < amount
    salt = rng.random(img.shape) < salt_vs_pepper
    out = img.copy()
    out[hit & salt] = high
    out[hit & ~salt] = low
    return out


def add_gaussian_noise(image: Any, sigma: float, rng: np.random.Generator, clip: Any = None) -> np.ndarray:
    """Additive Gaussian noise: every value gets an independent ``N(0, sigma^2)`` error.

    Args:
        image: float array, (H, W) or (H, W, C).
        sigma: standard deviation of the noise (in image units: 0.1 is 10 % of [0, 1]).
        rng: a ``numpy.random.Generator``.
        clip: ``None`` (default, no clipping) or ``(low, high)``, e.g. ``(0, 1)`` to keep a
            valid image.

    Returns:
        A new float array of the same shape.

    Example:
        >>> noisy = add_gaussian_noise(np.zeros((200, 200)), 0.1, np.random.default_rng(0))
        >>> round(float(noisy.std()), 2)
        0.1
    """
    img = as_array(image, "image").astype(np.float64)
    if not isinstance(sigma, (int, float, np.integer, np.floating)) or not sigma >= 0:
        raise ValueError(f"sigma must be a non-negative number; got {sigma!r}")
    check_rng(rng)
    out = img + rng.normal(0.0, sigma, size=img.shape)
    if clip is not None:
        low, high = clip
        out = np.clip(out, low, high)
    return out


def add_impulse_noise(
    image: Any, amount: float, rng: np.random.Generator, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """Random-valued impulse noise: a fraction ``amount`` of the values become random.

    Each value is hit with probability ``amount`` and replaced by a value drawn uniformly from
    ``[low, high]``. Unlike salt-and-pepper noise (:func:`add_salt_pepper`), whose corrupted
    values are only the two extremes, these impulses can take any value, so they are harder to
    spot (an impulse of 0.45 next to pixels of 0.5 looks like signal) and harder to remove.

    Args:
        image: float array, (H, W) or (H, W, C).
        amount: fraction of values hit, in [0, 1].
        rng: a ``numpy.random.Generator``.
        low, high: range of the random values.

    Returns:
        A new float array of the same shape.

    Example:
        >>> noisy = add_impulse_noise(np.full((100, 100), 0.5), 0.2, np.random.default_rng(0))
        >>> round(float(np.mean(noisy != 0.5)), 1)
        0.2
    """
    img = as_array(image, "image").astype(np.float64)
    amount = _amount(amount)
    check_rng(rng)
    if not low < high:
        raise ValueError(f"low must be smaller than high; got low={low!r}, high={high!r}")
    hit = rng.random(img.shape) < amount
    out = img.copy()
    out[hit] = rng.uniform(low, high, size=int(hit.sum()))
    return out
