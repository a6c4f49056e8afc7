"""The steps of a 2-D convolution, one per output value: what an animation of it shows.

:func:`conv2d_steps` computes the output with :func:`cnnkit.ops.conv2d` and records, for each
output value, which samples of the padded input the kernel covers and their products with the
kernel; :func:`cnnkit.plot.animation.animate_conv2d` draws them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from cnnkit._checks import as_array, check_ndim
from cnnkit.ops.conv import conv2d, pad2d
from cnnkit.shapes import padding_amounts, to_pair

__all__ = ["ConvStep", "ConvSteps", "conv2d_steps"]


class ConvStep(NamedTuple):
    """One position of the kernel, i.e. one output value.

    Attributes:
        position: ``(u, v)``, the output cell computed at this step.
        rows: the rows of the padded input under the kernel, shape (kH,).
        cols: the columns of the padded input under the kernel, shape (kW,).
        products: ``x_p[rows][:, cols] * kernel``, shape (kH, kW).
        value: the output value at ``(u, v)``, taken from :func:`cnnkit.ops.conv2d`.
    """

    position: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    products: np.ndarray
    value: Any


class ConvSteps(NamedTuple):
    """Everything an animation of a 2-D convolution shows.

    Attributes:
        padded: the padded input, shape (H + top + bottom, W + left + right).
        pads: ``((top, bottom), (left, right))``.
        kernel: the kernel as it is slid (flipped for ``mode='convolution'``), shape (kH, kW).
        output: ``conv2d`` of the input, shape (H_out, W_out).
        steps: one :class:`ConvStep` per output value, row by row.
    """

    padded: np.ndarray
    pads: tuple[tuple[int, int], tuple[int, int]]
    kernel: np.ndarray
    output: np.ndarray
    steps: list


def conv2d_steps(
    x: Any,
    kernel: Any,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    mode: str = "correlation",
    padding_mode: str = "zeros",
) -> ConvSteps:
    """The steps of a 2-D convolution, one per output value, as an animation shows them.

    The output is computed by :func:`cnnkit.ops.conv2d` (which checks the arguments and gets
    the output size from :func:`cnnkit.shapes.conv_output_size`); each step records which
    samples of the padded input the kernel covers for one output value and their products
    with the kernel, whose sum is that value.

    Args:
        x: input of shape (H, W).
        kernel: kernel of shape (kH, kW).
        stride, padding, dilation, mode, padding_mode: as :func:`cnnkit.ops.conv2d`.

    Returns:
        A :class:`ConvSteps`.

    Example:
        >>> x = np.arange(16).reshape(4, 4)
        >>> s = conv2d_steps(x, [[1, 0], [0, -1]], stride=2)
        >>> s.output.tolist(), len(s.steps)
        ([[-5, -5], [-5, -5]], 4)
        >>> step = s.steps[1]
        >>> step.position, step.rows.tolist(), step.cols.tolist(), step.products.tolist()
        ((0, 1), [0, 1], [2, 3], [[2, 0], [0, -7]])
    """
    xa = as_array(x, "x")
    ka = as_array(kernel, "kernel")
    check_ndim(xa, 2, "x", "(H, W)")
    check_ndim(ka, 2, "kernel", "(kH, kW)")
    out = conv2d(
        xa[None, None],
        ka[None, None],
        stride=stride,
        padding=padding,
        dilation=dilation,
        mode=mode,
        padding_mode=padding_mode,
    )[0, 0]
    s = to_pair(stride, "stride", minimum=1)
    d = to_pair(dilation, "dilation", minimum=1)
    pads = padding_amounts(padding, ka.shape, s=s, d=d)
    padded = pad2d(xa.astype(out.dtype, copy=False), pads, padding_mode)
    used = (ka[::-1, ::-1] if mode == "convolution" else ka).astype(out.dtype, copy=False)
    kh, kw = used.shape
    steps = []
    for u in range(out.shape[0]):
        for v in range(out.shape[1]):
            rows = u * s[0] + d[0] * np.arange(kh)
            cols = v * s[1] + d[1] * np.arange(kw)
            products = padded[np.ix_(rows, cols)] * used
            steps.append(ConvStep((u, v), rows, cols, products, out[u, v]))
    return ConvSteps(padded, pads, used, out, steps)
