"""Transposed convolution in numpy, matching ``torch.nn.functional.conv_transpose2d``.

A convolution is linear, so it is a matrix ``W`` acting on the flattened input
(:func:`conv_matrix`). The *transposed* convolution multiplies by ``W.T``: it maps the output
shape back to the input shape (it does **not** invert the convolution; it is its adjoint).
Three equivalent ways to compute it, all checked against PyTorch by the tests:

1. scatter (:func:`conv_transpose2d_scatter`): every input value stamps a copy of the kernel,
   scaled by the value, into the output, ``stride`` samples after the previous stamp;
   overlapping stamps add up;
2. zero insertion (:func:`conv_transpose2d_zero_insertion`): insert ``stride - 1`` zeros
   between the input samples (:func:`upsample_zeros`), pad by ``d*(k - 1) - p``, and run an
   ordinary convolution with the flipped kernel;
3. the fast version (:func:`conv_transpose2d`): form all the stamps with one matrix product,
   then add them into place with one strided slice per kernel tap.

The output size is :func:`cnnkit.shapes.conv_transpose_output_size`,

    H_out = (H - 1) s - 2p + d (kH - 1) + output_padding + 1.

The weight has PyTorch's layout for transposed convolutions, (C_in, C_out / groups, kH, kW):
the same array as the weight (C_out, C_in, kH, kW) of the convolution being transposed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit._checks import (
    as_array,
    as_pair,
    check_ndim,
    is_int,
    non_negative_pair,
    positive_pair,
    result_dtype,
)
from cnnkit._types import IntOrPair
from cnnkit.ops.conv import conv2d
from cnnkit.shapes import conv_output_size, conv_transpose_output_size, dilated_span, padding_amounts

__all__ = [
    "conv_transpose2d",
    "conv_transpose2d_scatter",
    "conv_transpose2d_zero_insertion",
    "upsample_zeros",
    "conv_matrix",
]

MAX_MATRIX_ENTRIES = 10**7


def _prepare(input, weight, bias, stride, padding, output_padding, groups, dilation):
    x = as_array(input, "input")
    w = as_array(weight, "weight")
    check_ndim(x, 4, "input", "(N, C_in, H, W)", "add axes with x[None, None] for a single 2-D map")
    check_ndim(w, 4, "weight", "(C_in, C_out / groups, kH, kW)", "for a single 2-D kernel use kernel[None, None]")
    if not is_int(groups) or groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups!r}")
    _n, c_in, h, wd = x.shape
    if w.shape[0] != c_in:
        raise ValueError(
            f"weight of shape {tuple(w.shape)} expects C_in = {w.shape[0]} input channels, but input of "
            f"shape {tuple(x.shape)} has {c_in}; a transposed convolution's weight is (C_in, C_out / groups, kH, kW)"
        )
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels C_in={c_in} (input shape {tuple(x.shape)})")
    if w.shape[2] < 1 or w.shape[3] < 1:
        raise ValueError(f"weight must have a kernel of at least 1 x 1; got shape {tuple(w.shape)}")
    c_out = w.shape[1] * groups
    b = None
    if bias is not None:
        b = as_array(bias, "bias")
        if b.shape != (c_out,):
            raise ValueError(f"bias must have shape (C_out,) = ({c_out},); got shape {tuple(b.shape)}")
    k = tuple(w.shape[2:])
    s = positive_pair(stride, "stride")
    p = non_negative_pair(padding, "padding")
    op = non_negative_pair(output_padding, "output_padding")
    d = positive_pair(dilation, "dilation")
    out_hw = conv_transpose_output_size((h, wd), k, s, p, op, d)
    dtype = result_dtype(x, w, b)
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    b = None if b is None else b.astype(dtype, copy=False)
    return x, w, b, k, s, p, op, d, int(groups), c_out, out_hw, dtype


def _full_length(size: int, k: int, s: int, p: int, op: int, d: int) -> int:
    """Length of the uncropped output: every stamp, plus room for output_padding."""
    full = (size - 1) * s + dilated_span(k, d)
    return full + max(0, op - p)


def _crop(full: np.ndarray, p, out_hw, bias) -> np.ndarray:
    """Remove ``p`` samples from the top/left and keep ``out_hw``; add the bias."""
    out = full[:, :, p[0] : p[0] + out_hw[0], p[1] : p[1] + out_hw[1]]
    out = np.ascontiguousarray(out)
    if bias is not None:
        out += bias[None, :, None, None]
    return out


def conv_transpose2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed convolution, as ``torch.nn.functional.conv_transpose2d`` (vectorised).

    .. math::

        y_{full}[n, o, s_H u + d_H i, \\; s_W v + d_W j] \\mathrel{+}=
            \\sum_c x[n, c, u, v] \\; w[c, o, i, j],

    then ``y`` is ``y_full`` with ``padding`` samples removed on each side (and
    ``output_padding`` extra rows/columns kept on the bottom/right), plus the bias.

    All stamps ``x[n, c, u, v] * w[c, o]`` come out of one matrix product per group; they are
    then added into place with one strided slice per kernel tap ``(i, j)``.

    Args:
        input: array of shape (N, C_in, H, W).
        weight: array of shape (C_in, C_out / groups, kH, kW) (PyTorch's layout).
        bias: optional array of shape (C_out,).
        stride: int or pair: the upsampling factor.
        padding: int or pair: the padding of the convolution being transposed; removes
            ``padding`` samples from each side of the result.
        output_padding: int or pair, extra samples on the bottom/right, smaller than the
            stride or the dilation; picks one of the input sizes that the forward
            convolution maps to H (see :func:`cnnkit.shapes.transposed_input_sizes`).
        groups: number of channel groups; must divide C_in.
        dilation: int or pair.

    Returns:
        Array of shape (N, C_out, H_out, W_out) with

        H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1.

    Example:
        >>> x = np.array([[1, 2], [3, 4]])[None, None]
        >>> conv_transpose2d(x, np.ones((1, 1, 2, 2), dtype=int), stride=2)[0, 0]
        array([[1, 1, 2, 2],
               [1, 1, 2, 2],
               [3, 3, 4, 4],
               [3, 3, 4, 4]])
        >>> conv_transpose2d(np.ones((4, 128, 10, 8)), np.ones((128, 32, 3, 3)), stride=2).shape
        (4, 32, 21, 17)
    """
    x, w, b, k, s, p, op, d, groups, c_out, out_hw, dtype = _prepare(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    n, c_in, h, wd = x.shape
    c_in_g, c_out_g = c_in // groups, c_out // groups
    full = np.zeros(
        (n, c_out, _full_length(h, k[0], s[0], p[0], op[0], d[0]), _full_length(wd, k[1], s[1], p[1], op[1], d[1])),
        dtype=dtype,
    )
    for g in range(groups):
        # one 2-D matrix product (BLAS) for every stamp of every image: (C_out/g*kH*kW, N*H*W)
        xg = np.ascontiguousarray(x[:, g * c_in_g : (g + 1) * c_in_g].transpose(1, 0, 2, 3)).reshape(c_in_g, -1)
        wg = w[g * c_in_g : (g + 1) * c_in_g].reshape(c_in_g, -1)  # (C_in/g, C_out/g*kH*kW)
        stamps = (wg.T @ xg).reshape(c_out_g, k[0], k[1], n, h, wd)
        target = full[:, g * c_out_g : (g + 1) * c_out_g].transpose(1, 0, 2, 3)  # (C_out/g, N, ., .) view
        for i in range(k[0]):
            for j in range(k[1]):
                top, left = i * d[0], j * d[1]
                rows = slice(top, top + (h - 1) * s[0] + 1, s[0])
                cols = slice(left, left + (wd - 1) * s[1] + 1, s[1])
                target[:, :, rows, cols] += stamps[:, i, j]
    return _crop(full, p, out_hw, b)


def conv_transpose2d_scatter(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed convolution as the lecture draws it: each input value stamps the kernel.

    For every input sample ``x[n, c, u, v]``, add ``x[n, c, u, v] * weight[c]`` (a scaled copy
    of the kernel, dilated by ``dilation``) to the output with its top-left corner at
    ``(u * stride, v * stride)``. Overlapping stamps add up. Finally remove ``padding`` from
    each side. Loops over every input sample: use small inputs.

    Args:
        input: array of shape (N, C_in, H, W).
        weight: array of shape (C_in, C_out / groups, kH, kW).
        bias, stride, padding, output_padding, groups, dilation: as :func:`conv_transpose2d`.

    Returns:
        Array of shape (N, C_out, H_out, W_out), equal to :func:`conv_transpose2d`.

    Example:
        >>> x = np.array([[1, 2]])[None, None]
        >>> conv_transpose2d_scatter(x, np.array([[1, 1, 1]])[None, None], stride=2)[0, 0]
        array([[1, 1, 3, 2, 2]])
    """
    x, w, b, k, s, p, op, d, groups, c_out, out_hw, dtype = _prepare(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    n_batch, c_in, h, wd = x.shape
    c_in_g, c_out_g = c_in // groups, c_out // groups
    full = np.zeros(
        (
            n_batch,
            c_out,
            _full_length(h, k[0], s[0], p[0], op[0], d[0]),
            _full_length(wd, k[1], s[1], p[1], op[1], d[1]),
        ),
        dtype=dtype,
    )
    span = dilated_span(k, d)
    for n in range(n_batch):
        for c in range(c_in):
            first = (c // c_in_g) * c_out_g  # first output channel of this input channel's group
            for u in range(h):
                for v in range(wd):
                    top, left = u * s[0], v * s[1]
                    full[n, first : first + c_out_g, top : top + span[0] : d[0], left : left + span[1] : d[1]] += (
                        x[n, c, u, v] * w[c]
                    )
    return _crop(full, p, out_hw, b)


def upsample_zeros(x: Any, stride: IntOrPair) -> np.ndarray:
    """Insert ``stride - 1`` zeros between neighbouring samples along height and width.

    A map of size (H, W) becomes ((H - 1) sH + 1, (W - 1) sW + 1): zeros go *between* samples,
    not after the last one. This is the first step of the zero-insertion form of the
    transposed convolution.

    Args:
        x: array of shape (H, W) or (N, C, H, W).
        stride: int or (sH, sW), at least 1.

    Returns:
        Array of the same number of dimensions and dtype.

    Example:
        >>> upsample_zeros(np.array([[1, 2], [3, 4]]), 2)
        array([[1, 0, 2],
               [0, 0, 0],
               [3, 0, 4]])
    """
    arr = np.asarray(x)
    if arr.ndim not in (2, 4):
        raise ValueError(f"x must have 2 dimensions (H, W) or 4 (N, C, H, W); got shape {tuple(arr.shape)}")
    s = positive_pair(stride, "stride")
    h, w = arr.shape[-2:]
    out = np.zeros((*arr.shape[:-2], max(0, (h - 1) * s[0] + 1), max(0, (w - 1) * s[1] + 1)), dtype=arr.dtype)
    out[..., :: s[0], :: s[1]] = arr
    return out


def _pad_or_crop(x: np.ndarray, amounts) -> np.ndarray:
    """Pad (positive amounts) or crop (negative amounts) the last two axes."""
    crop = tuple(slice(max(0, -a), x.shape[2 + axis] - max(0, -b)) for axis, (a, b) in enumerate(amounts))
    x = x[:, :, crop[0], crop[1]]
    return np.pad(x, [(0, 0), (0, 0)] + [(max(0, a), max(0, b)) for a, b in amounts])


def conv_transpose2d_zero_insertion(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    groups: int = 1,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """Transposed convolution as an ordinary convolution of a zero-inserted input.

    1. insert ``stride - 1`` zeros between the input samples (:func:`upsample_zeros`);
    2. pad each side by ``dilation*(k - 1) - padding`` (crop if negative), and add
       ``output_padding`` more on the bottom/right;
    3. convolve (stride 1, same dilation) with the kernel flipped in both axes and its two
       channel axes swapped within each group.

    The result equals :func:`conv_transpose2d`; this form shows why a transposed convolution
    with stride ``s`` is sometimes called a "fractionally strided" convolution (stride 1/s).

    Args:
        input: array of shape (N, C_in, H, W).
        weight: array of shape (C_in, C_out / groups, kH, kW).
        bias, stride, padding, output_padding, groups, dilation: as :func:`conv_transpose2d`.

    Returns:
        Array of shape (N, C_out, H_out, W_out).

    Example:
        >>> x = np.array([[1, 2]])[None, None]
        >>> conv_transpose2d_zero_insertion(x, np.array([[1, 1, 1]])[None, None], stride=2)[0, 0]
        array([[1, 1, 3, 2, 2]])
    """
    x, w, b, k, s, p, op, d, groups, c_out, _out_hw, _dtype = _prepare(
        input, weight, bias, stride, padding, output_padding, groups, dilation
    )
    c_in = x.shape[1]
    c_in_g, c_out_g = c_in // groups, c_out // groups
    z = upsample_zeros(x, s)
    amounts = [(d[a] * (k[a] - 1) - p[a], d[a] * (k[a] - 1) - p[a] + op[a]) for a in range(2)]
    z = _pad_or_crop(z, amounts)
    # (C_in, C_out/g, kH, kW) -> (C_out, C_in/g, kH, kW): swap the channel axes within each group
    w_conv = w.reshape(groups, c_in_g, c_out_g, k[0], k[1]).transpose(0, 2, 1, 3, 4).reshape(c_out, c_in_g, k[0], k[1])
    return conv2d(z, w_conv[:, :, ::-1, ::-1], bias=b, dilation=d, groups=groups)


def conv_matrix(
    input_shape: tuple[int, ...],
    kernel: Any,
    stride: IntOrPair = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: IntOrPair = 1,
) -> np.ndarray:
    """The dense matrix ``W`` of a convolution (cross-correlation), so that ``y = W x``.

    Row ``r`` of ``W`` belongs to output pixel ``r`` (row-major order) and holds the kernel
    weights at the columns of the input pixels its window covers (padding contributes nothing:
    it multiplies zeros). Therefore

    - ``W @ x.ravel() == conv2d(x, kernel, ...).ravel()``, and
    - ``W.T @ y.ravel() == conv_transpose2d(y, kernel, stride, padding, output_padding,
      dilation=dilation).ravel()``: the transposed convolution multiplies by ``W.T``. Going
      back has to land on the original input size ``H``; when the stride skipped samples at
      the end (``(H + 2p - d(k - 1) - 1) % s != 0``) that takes ``output_padding`` equal to
      that remainder (see :func:`cnnkit.shapes.transposed_input_sizes`). This holds for
      symmetric (int or pair) padding.

    ``W`` has ``H_out W_out x H W`` entries, mostly zeros: only for small examples (at most
    10**7 entries).

    Args:
        input_shape: (H, W) for a single-channel input with a 2-D kernel (kH, kW), or
            (C_in, H, W) with a kernel of shape (C_out, C_in, kH, kW).
        kernel: array of shape (kH, kW) or (C_out, C_in, kH, kW).
        stride: int or pair.
        padding: int, pair, ``'valid'``, ``'same'`` or ``'full'`` (zero padding).
        dilation: int or pair.

    Returns:
        Array of shape (H_out W_out, H W), or (C_out H_out W_out, C_in H W), in the kernel's
        dtype (int64 for integer kernels).

    Example:
        >>> W = conv_matrix((3, 3), np.array([[1, 2], [3, 4]]))
        >>> W
        array([[1, 2, 0, 3, 4, 0, 0, 0, 0],
               [0, 1, 2, 0, 3, 4, 0, 0, 0],
               [0, 0, 0, 1, 2, 0, 3, 4, 0],
               [0, 0, 0, 0, 1, 2, 0, 3, 4]])
        >>> x = np.arange(9).reshape(3, 3)
        >>> (W @ x.ravel()).reshape(2, 2)
        array([[27, 37],
               [57, 67]])
    """
    ker = as_array(kernel, "kernel")
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or not all(is_int(v) and v >= 1 for v in shape) or len(shape) not in (2, 3):
        raise ValueError(f"input_shape must be (H, W) or (C_in, H, W) of positive ints; got {input_shape!r}")
    if len(shape) == 2:
        check_ndim(
            ker, 2, "kernel", "(kH, kW) for input_shape (H, W)", "pass input_shape=(C_in, H, W) for a 4-D kernel"
        )
        ker = ker[None, None]
        shape = (1, *shape)
    else:
        check_ndim(ker, 4, "kernel", "(C_out, C_in, kH, kW) for input_shape (C_in, H, W)")
        if ker.shape[1] != shape[0]:
            raise ValueError(
                f"kernel of shape {tuple(ker.shape)} expects C_in = {ker.shape[1]}; input_shape is {shape}"
            )
    c_in, h, w = shape
    c_out, _, kh, kw = ker.shape
    s = positive_pair(stride, "stride")
    d = positive_pair(dilation, "dilation")
    (pt, _), (pl, _) = padding_amounts(padding, (kh, kw), s, d)
    ho, wo = conv_output_size(
        (h, w), (kh, kw), s, padding if isinstance(padding, str) else as_pair(padding, "padding"), d
    )
    rows, cols = c_out * ho * wo, c_in * h * w
    if rows * cols > MAX_MATRIX_ENTRIES:
        raise ValueError(
            f"the convolution matrix would have {rows} x {cols} = {rows * cols} entries (more than "
            f"{MAX_MATRIX_ENTRIES}); use a smaller input_shape such as (8, 8)"
        )
    matrix = np.zeros((rows, cols), dtype=result_dtype(ker))
    u, v = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")  # every output pixel
    for o in range(c_out):
        out_rows = (o * ho + u) * wo + v
        for c in range(c_in):
            for i in range(kh):
                for j in range(kw):
                    # the input pixel that tap (i, j) of each output pixel's window sees
                    y, x = u * s[0] - pt + i * d[0], v * s[1] - pl + j * d[1]
                    inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)  # padding multiplies zeros
                    matrix[out_rows[inside], (c * h + y[inside]) * w + x[inside]] += ker[o, c, i, j]
    return matrix
