"""Two-dimensional convolution (and cross-correlation) in numpy, matching ``torch.nn.functional``.

Deep-learning libraries call *cross-correlation* "convolution": the kernel slides over the
input without being flipped,

.. math::

    y[n, o, u, v] = b[o] + \\sum_{c} \\sum_{i, j} x_p[n, c, s_H u + d_H i, s_W v + d_W j] \\, w[o, c, i, j],

where :math:`x_p` is the padded input. A *true* convolution flips the kernel first
(``w[o, c, kH - 1 - i, kW - 1 - j]``); pass ``mode='convolution'`` for it.

There are two implementations of the same operation, and the tests check that they agree with
each other and with PyTorch:

- :func:`conv2d`, vectorised (``sliding_window_view`` + matrix product), for real images;
- :func:`conv2d_loop`, a readable loop over output pixels, for the lecture's small examples.

:func:`correlate2d` and :func:`convolve2d` are the single-image forms used in chapter 1, and
:func:`pad2d` pads the last two axes with PyTorch's padding modes.

Dtypes: integer (and bool) inputs give exact ``int64`` results; ``float32`` stays ``float32``;
``float64`` stays ``float64``; mixed inputs follow numpy's promotion (int with float32 gives
float64).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnkit._checks import (
    as_array,
    as_pair,
    check_choice,
    check_ndim,
    is_int,
    positive_pair,
    result_dtype,
)
from cnnkit._types import IntOrPair, Padding
from cnnkit.shapes import conv_output_size, dilated_span, padding_amounts

__all__ = ["conv2d", "conv2d_loop", "correlate2d", "convolve2d", "pad2d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
CONV_MODES = ("correlation", "convolution")


def pad2d(x: Any, padding: Any, mode: str = "zeros", value: float = 0) -> np.ndarray:
    """Pad the last two axes (height, width) of an array.

    The modes are PyTorch's (``torch.nn.Conv2d(padding_mode=...)`` and ``F.pad``), written with
    ``numpy.pad``:

    - ``'zeros'``: the constant ``value`` (0 by default); ``numpy.pad`` mode ``constant``.
    - ``'reflect'``: the mirror image without repeating the edge (``c b | a b c d``);
      ``numpy.pad`` mode ``reflect``.
    - ``'replicate'``: copies of the edge sample (``a a | a b c d``); mode ``edge``.
    - ``'circular'``: the other side, as if the image tiled the plane (``c d | a b c d``);
      mode ``wrap``.

    Args:
        x: array with at least 2 dimensions, (..., H, W).
        padding: an int (every side), a pair ``(pH, pW)`` (top and bottom get ``pH``, left
            and right ``pW``), or ``((top, bottom), (left, right))``.
        mode: one of ``'zeros'``, ``'reflect'``, ``'replicate'``, ``'circular'``.
        value: the constant for ``mode='zeros'`` (for example ``-inf`` for max pooling).

    Returns:
        Array of shape (..., H + top + bottom, W + left + right), same dtype as ``x``.

    Raises:
        ValueError: for negative padding, an unknown mode, or (as PyTorch) ``reflect`` padding
            not smaller than the input size, or ``circular`` padding larger than it.

    Example:
        >>> x = np.array([[1, 2, 3], [4, 5, 6]])
        >>> pad2d(x, (0, 2), mode='reflect')
        array([[3, 2, 1, 2, 3, 2, 1],
               [6, 5, 4, 5, 6, 5, 4]])
        >>> pad2d(x, ((1, 0), (0, 1)), mode='replicate')
        array([[1, 2, 3, 3],
               [1, 2, 3, 3],
               [4, 5, 6, 6]])
        >>> pad2d(x, 1, mode='circular')[0]
        array([6, 4, 5, 6, 4])
    """
    arr = np.asarray(x)
    if arr.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (..., H, W); got shape {tuple(arr.shape)}")
    check_choice(mode, PADDING_MODES, "mode", caller="pad2d")
    pads = _pad_pairs(padding)
    if pads == ((0, 0), (0, 0)):
        return arr
    for axis, (before, after) in zip((-2, -1), pads):
        size = arr.shape[axis]
        if mode == "reflect" and max(before, after) >= size:
            raise ValueError(
                f"reflect padding must be smaller than the input size; got padding {pads} for input "
                f"size {tuple(arr.shape[-2:])} — use a smaller padding or mode='replicate'"
            )
        if mode == "circular" and max(before, after) > size:
            raise ValueError(
                f"circular padding must be at most the input size; got padding {pads} for input "
                f"size {tuple(arr.shape[-2:])}"
            )
    width: list[tuple[int, int]] = [(0, 0)] * (arr.ndim - 2) + list(pads)
    if mode == "zeros":
        return np.pad(arr, width, mode="constant", constant_values=value)
    return np.pad(arr, width, mode=_NUMPY_PAD_MODE[mode])  # type: ignore[call-overload]


def _pad_pairs(padding: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(isinstance(p, (tuple, list)) for p in padding):
        pads = tuple(as_pair(p, "padding") for p in padding)
        flat = sum(pads, ())
    else:
        ph, pw = as_pair(padding, "padding")
        pads, flat = ((ph, ph), (pw, pw)), (ph, pw)
    if min(flat) < 0:
        raise ValueError(f"padding must be non-negative; got {padding!r}")
    return pads  # type: ignore[return-value]


class _Conv(NamedTuple):
    """The checked, normalised arguments of a convolution."""

    xp: np.ndarray  # padded input, in the result dtype
    w: np.ndarray  # kernels, flipped for mode='convolution'
    b: np.ndarray | None
    s: tuple[int, int]
    d: tuple[int, int]
    groups: int
    out_shape: tuple[int, int, int, int]
    dtype: np.dtype


def _prepare(
    caller: str,
    input: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    mode: str,
    padding_mode: str,
) -> _Conv:
    x = as_array(input, "input")
    w = as_array(weight, "weight")
    check_ndim(x, 4, "input", "(N, C, H, W)", "use correlate2d for a single 2-D image or add axes with x[None, None]")
    check_ndim(w, 4, "weight", "(C_out, C_in / groups, kH, kW)", "for a single 2-D kernel use kernel[None, None]")
    if not is_int(groups) or groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups!r}")
    n, c, h, wd = x.shape
    c_out, c_in_g, kh, kw = w.shape
    if c % groups:
        raise ValueError(f"groups={groups} must divide the input channels C_in={c} (input shape {tuple(x.shape)})")
    if c_out % groups:
        raise ValueError(
            f"groups={groups} must divide the output channels C_out={c_out} (weight shape {tuple(w.shape)})"
        )
    if c_in_g * groups != c:
        raise ValueError(
            f"weight of shape {tuple(w.shape)} expects C_in = {c_in_g} x groups = {c_in_g * groups} input "
            f"channels, but input of shape {tuple(x.shape)} has {c}; weight must be (C_out, C_in / groups, kH, kW)"
        )
    if kh < 1 or kw < 1:
        raise ValueError(f"weight must have a kernel of at least 1 x 1; got shape {tuple(w.shape)}")
    b = None
    if bias is not None:
        b = as_array(bias, "bias")
        if b.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},); got shape {tuple(b.shape)}")
    check_choice(mode, CONV_MODES, "mode", caller=caller)
    check_choice(padding_mode, PADDING_MODES, "padding_mode", caller=caller)
    s = positive_pair(stride, "stride")
    d = positive_pair(dilation, "dilation")
    pads = padding_amounts(padding, (kh, kw), s, d)
    size_padding = padding if isinstance(padding, str) else as_pair(padding, "padding")
    ho, wo = conv_output_size((h, wd), (kh, kw), s, size_padding, d)
    dtype = result_dtype(x, w, b)
    if mode == "convolution":
        w = w[:, :, ::-1, ::-1]
    xp = pad2d(x.astype(dtype, copy=False), pads, padding_mode)
    return _Conv(
        xp=xp,
        w=np.ascontiguousarray(w, dtype=dtype),
        b=None if b is None else b.astype(dtype, copy=False),
        s=s,
        d=d,
        groups=int(groups),
        out_shape=(n, c_out, ho, wo),
        dtype=dtype,
    )


def _windows(
    xp: np.ndarray, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], out_hw: tuple[int, int]
) -> np.ndarray:
    """View of every (dilated, strided) window: shape (N, C, H_out, W_out, kH, kW), no copy."""
    span = dilated_span(k, d)
    win = sliding_window_view(xp, span, axis=(-2, -1))
    return win[..., : (out_hw[0] - 1) * s[0] + 1 : s[0], : (out_hw[1] - 1) * s[1] + 1 : s[1], :: d[0], :: d[1]]


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    mode: str = "correlation",
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Two-dimensional convolution of a batch, as ``torch.nn.functional.conv2d``.

    .. math::

        y[n, o, u, v] = b[o] + \\sum_{c=0}^{C_{in}/g - 1} \\sum_{i=0}^{k_H - 1} \\sum_{j=0}^{k_W - 1}
            x_p[n, g_o C_{in}/g + c, s_H u + d_H i, s_W v + d_W j] \\; w[o, c, i, j]

    with :math:`x_p` the padded input and :math:`g_o = \\lfloor o \\,g / C_{out} \\rfloor` the
    group of output channel ``o``: with ``groups=g`` the channels are split into ``g``
    independent convolutions (``groups = C_in`` is a depthwise convolution).

    Vectorised: a strided view of every window (``sliding_window_view``) is multiplied with the
    flattened kernels in one matrix product per group (im2col).

    Args:
        input: array of shape (N, C_in, H, W).
        weight: kernels of shape (C_out, C_in / groups, kH, kW).
        bias: optional array of shape (C_out,).
        stride: step between windows, int or (sH, sW).
        padding: int or (pH, pW) samples on each side, or ``'valid'`` (none), ``'same'``
            (output size = input size, stride 1 only; an odd total padding puts the extra sample
            on the bottom/right, as PyTorch) or ``'full'`` (``d*(k - 1)`` on each side).
        dilation: spacing between kernel taps, int or (dH, dW).
        groups: number of channel groups; must divide C_in and C_out.
        mode: ``'correlation'`` (PyTorch's convention, kernel not flipped) or ``'convolution'``
            (kernel flipped in both axes: the true convolution of signal processing).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``, as
            ``torch.nn.Conv2d(padding_mode=...)``; see :func:`pad2d`.

    Returns:
        Array of shape (N, C_out, H_out, W_out) with, per axis (see
        :func:`cnnkit.shapes.conv_output_size`),

        H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1.

        Integer inputs give an exact int64 result; floats keep their precision.

    Raises:
        ValueError: wrong number of dimensions, channel mismatch, ``groups`` not dividing the
            channels, non-positive stride or dilation, negative padding, an unknown padding
            string, ``padding='same'`` with a stride, or a kernel larger than the padded input.

    Example:
        >>> x = np.arange(16).reshape(1, 1, 4, 4)
        >>> w = np.array([[1, 0], [0, -1]])[None, None]
        >>> conv2d(x, w)[0, 0]
        array([[-5, -5, -5],
               [-5, -5, -5],
               [-5, -5, -5]])
        >>> conv2d(x, w, mode='convolution')[0, 0]
        array([[5, 5, 5],
               [5, 5, 5],
               [5, 5, 5]])
        >>> conv2d(np.ones((2, 3, 32, 32)), np.ones((8, 3, 3, 3)), stride=2, padding=1).shape
        (2, 8, 16, 16)
    """
    a = _prepare("conv2d", input, weight, bias, stride, padding, dilation, groups, mode, padding_mode)
    n, c_out, ho, wo = a.out_shape
    kh, kw = a.w.shape[2:]
    out = np.empty(a.out_shape, dtype=a.dtype)
    win = _windows(a.xp, (kh, kw), a.s, a.d, (ho, wo))  # (N, C, Ho, Wo, kH, kW), a view
    c_in_g, c_out_g = a.w.shape[1], c_out // a.groups
    for g in range(a.groups):
        wg = a.w[g * c_out_g : (g + 1) * c_out_g].reshape(c_out_g, -1)  # (C_out/g, C_in/g*kH*kW)
        # im2col: one column per output pixel of every image, rows ordered as the kernel's
        # (C_in/g, kH, kW); the only copy of the input windows is made here.
        cols = np.ascontiguousarray(win[:, g * c_in_g : (g + 1) * c_in_g].transpose(1, 4, 5, 0, 2, 3))
        res = np.matmul(wg, cols.reshape(wg.shape[1], n * ho * wo))  # (C_out/g, N*Ho*Wo)
        out[:, g * c_out_g : (g + 1) * c_out_g] = res.reshape(c_out_g, n, ho, wo).transpose(1, 0, 2, 3)
    if a.b is not None:
        out += a.b[None, :, None, None]
    return out


def conv2d_loop(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
    mode: str = "correlation",
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Two-dimensional convolution written as a loop over output pixels, for the lecture.

    The same operation, arguments and result as :func:`conv2d`, spelled out: for every output
    pixel, take the window of the padded input under the kernel (every ``d``-th sample,
    starting ``s`` samples after the previous window), multiply it elementwise with the kernel
    and add everything up. Use it on small inputs; :func:`conv2d` is the fast version.

    Args:
        input: array of shape (N, C_in, H, W).
        weight: kernels of shape (C_out, C_in / groups, kH, kW).
        bias: optional array of shape (C_out,).
        stride: int or (sH, sW).
        padding: int, pair, ``'valid'``, ``'same'`` or ``'full'``.
        dilation: int or (dH, dW).
        groups: number of channel groups.
        mode: ``'correlation'`` or ``'convolution'`` (flipped kernel).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Returns:
        Array of shape (N, C_out, H_out, W_out), equal to ``conv2d(...)``.

    Example:
        >>> x = np.array([[1, 2, 0], [0, 1, 3], [4, 0, 1]])[None, None]
        >>> conv2d_loop(x, np.ones((1, 1, 2, 2), dtype=int))[0, 0]
        array([[4, 6],
               [5, 5]])
    """
    a = _prepare("conv2d_loop", input, weight, bias, stride, padding, dilation, groups, mode, padding_mode)
    n_batch, c_out, ho, wo = a.out_shape
    kh, kw = a.w.shape[2:]
    (sh, sw), (dh, dw) = a.s, a.d
    span_h, span_w = dilated_span((kh, kw), (dh, dw))  # input samples a dilated window spans
    c_in_g, c_out_g = a.w.shape[1], c_out // a.groups
    out = np.zeros(a.out_shape, dtype=a.dtype)
    for n in range(n_batch):
        for o in range(c_out):
            first = (o // c_out_g) * c_in_g  # first input channel of this output channel's group
            x = a.xp[n, first : first + c_in_g]
            for u in range(ho):
                for v in range(wo):
                    top, left = u * sh, v * sw
                    window = x[:, top : top + span_h : dh, left : left + span_w : dw]
                    out[n, o, u, v] = np.sum(window * a.w[o])
            if a.b is not None:
                out[n, o] += a.b[o]
    return out


def _single(image: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray]:
    img = as_array(image, "image")
    ker = as_array(kernel, "kernel")
    check_ndim(
        img, 2, "image", "(H, W)", "use conv2d for a batch of shape (N, C, H, W), or filter2d for a colour image"
    )
    check_ndim(ker, 2, "kernel", "(kH, kW)", "use conv2d for a stack of kernels (C_out, C_in, kH, kW)")
    return img, ker


def correlate2d(
    image: Any,
    kernel: Any,
    padding: Padding = "valid",
    *,
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Cross-correlate a single 2-D image with a 2-D kernel (what deep learning calls convolution).

    .. math::

        y[u, v] = \\sum_{i, j} x_p[s u + d i, \\; s v + d j] \\; k[i, j]

    Slide the kernel over the image; at each position multiply the overlapping samples and add
    them up. Calls the same core as :func:`conv2d`.

    Args:
        image: array of shape (H, W).
        kernel: array of shape (kH, kW).
        padding: ``'valid'`` (default, no padding), ``'same'``, ``'full'``, an int or a pair.
        stride: int or pair (keyword only).
        dilation: int or pair (keyword only).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Returns:
        Array of shape (H_out, W_out); int64 for integer inputs.

    Example:
        >>> image = np.array([[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0],
        ...                   [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]])
        >>> laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
        >>> correlate2d(image, laplacian)
        array([[  6,  15,   9],
               [ 14, -36,  -4],
               [ -4,  10,   7]])
        >>> correlate2d(image, laplacian, padding='same').shape
        (5, 5)
    """
    img, ker = _single(image, kernel)
    return conv2d(
        img[None, None], ker[None, None], stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode
    )[0, 0]


def convolve2d(
    image: Any,
    kernel: Any,
    padding: Padding = "valid",
    *,
    stride: IntOrPair = 1,
    dilation: IntOrPair = 1,
    padding_mode: str = "zeros",
) -> np.ndarray:
    """Convolve a single 2-D image with a 2-D kernel: cross-correlation with the kernel flipped.

    .. math::

        y[u, v] = \\sum_{i, j} x_p[s u + d i, \\; s v + d j] \\; k[k_H - 1 - i, \\; k_W - 1 - j]

    Flipping makes convolution commutative and associative (``'full'`` padding), the
    properties signal processing relies on; for a symmetric kernel it equals
    :func:`correlate2d`.

    Args:
        image: array of shape (H, W).
        kernel: array of shape (kH, kW).
        padding: ``'valid'`` (default), ``'same'``, ``'full'``, an int or a pair.
        stride: int or pair (keyword only).
        dilation: int or pair (keyword only).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Returns:
        Array of shape (H_out, W_out); int64 for integer inputs.

    Example:
        >>> impulse = np.zeros((3, 3), dtype=int); impulse[1, 1] = 1
        >>> k = np.array([[1, 2], [3, 4]])
        >>> convolve2d(impulse, k, padding='full')[1:3, 1:3]    # convolution copies the kernel
        array([[1, 2],
               [3, 4]])
        >>> correlate2d(impulse, k, padding='full')[1:3, 1:3]   # correlation flips it
        array([[4, 3],
               [2, 1]])
    """
    img, ker = _single(image, kernel)
    return conv2d(
        img[None, None],
        ker[None, None],
        stride=stride,
        padding=padding,
        dilation=dilation,
        mode="convolution",
        padding_mode=padding_mode,
    )[0, 0]
