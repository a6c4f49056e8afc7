"""Backward passes of convolution and pooling in numpy, equal to ``torch.autograd``.

Training needs the gradient of a loss ``L`` with respect to every input of a layer, given
``grad_output`` :math:`= \\partial L / \\partial y`, the gradient with respect to the layer's
output. Each backward pass here takes the forward's arguments plus ``grad_output`` and applies
the chain rule to the forward's sum:

- :func:`conv2d_backward`: a convolution is linear in its input, ``y = W x`` (``W`` is
  :func:`cnnkit.ops.conv_matrix`), so :math:`\\partial L / \\partial x = W^T \\, \\partial L / \\partial y`:
  the **transposed convolution** of ``grad_output`` with the same weights
  (:func:`cnnkit.ops.conv_transpose2d`). It is linear in its weights too, and the weight
  gradient is the **correlation of the input with** ``grad_output``: an ordinary
  :func:`cnnkit.ops.conv2d` in which ``grad_output`` plays the kernel.
- :func:`max_pool2d_backward`: each window passes its gradient, whole, to the element that won
  the maximum (PyTorch's choice on ties: the first in row-major order); the others get 0.
- :func:`avg_pool2d_backward`: each window spreads its gradient evenly, ``grad / divisor``,
  over the samples it averaged.

Where windows overlap, the contributions add up. Samples that no window reads (the stride's
remainder at the bottom/right) get a zero gradient, and the gradient of the padding is dropped.

The arguments, their conventions and their error messages are those of the forward functions
(:func:`cnnkit.ops.conv2d`, :func:`cnnkit.ops.max_pool2d`, :func:`cnnkit.ops.avg_pool2d`);
``grad_output`` must have the forward output's shape. The tests compare every result with
``torch.autograd`` in float64 and with a central-difference gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit._checks import as_array, as_pair, result_dtype
from cnnkit._types import IntOrPair, Padding
from cnnkit.ops.conv import _prepare as _prepare_conv
from cnnkit.ops.conv import _windows
from cnnkit.ops.pool import _avg_divisor, _padded, _setup, max_pool2d
from cnnkit.ops.transpose import conv_transpose2d
from cnnkit.shapes import conv_transpose_output_padding, padding_amounts

__all__ = ["conv2d_backward", "max_pool2d_backward", "avg_pool2d_backward"]

_POOL_LAYOUT = "(N, C, H_out, W_out)"


def _check_grad_output(
    grad_output: Any, expected: tuple[int, ...], caller: str, forward: str, layout: str, size_fn: str
) -> np.ndarray:
    """``grad_output`` as an array, if it has the shape of the forward's output."""
    gy = as_array(grad_output, "grad_output")
    if tuple(gy.shape) != tuple(expected):
        raise ValueError(
            f"{caller}: grad_output must have the shape of {forward}'s output {layout} = "
            f"{tuple(expected)}; got shape {tuple(gy.shape)} (H_out and W_out: cnnkit.shapes.{size_fn})"
        )
    return gy


def conv2d_backward(
    input: Any,
    weight: Any,
    grad_output: Any,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`cnnkit.ops.conv2d` with respect to its input, weight and bias.

    The forward pass (see :func:`cnnkit.ops.conv2d`) is

    .. math::

        y[n, o, u, v] = b[o] + \\sum_{c, i, j} x_p[n, g_o C_{in}/g + c, s_H u + d_H i, s_W v + d_W j] \\; w[o, c, i, j].

    With :math:`\\delta = \\partial L / \\partial y` (``grad_output``), the chain rule gives

    .. math::

        \\frac{\\partial L}{\\partial x_p}[n, g_o C_{in}/g + c, s_H u + d_H i, s_W v + d_W j]
            \\mathrel{+}= \\sum_o \\delta[n, o, u, v] \\; w[o, c, i, j]

        \\frac{\\partial L}{\\partial w}[o, c, i, j] = \\sum_{n, u, v}
            x_p[n, g_o C_{in}/g + c, s_H u + d_H i, s_W v + d_W j] \\; \\delta[n, o, u, v]

        \\frac{\\partial L}{\\partial b}[o] = \\sum_{n, u, v} \\delta[n, o, u, v]

    - The first line scatters a copy of each kernel, scaled by :math:`\\delta`, every ``s``
      samples: the **transposed convolution** of ``grad_output`` with the same ``weight``
      (whose layout (C_out, C_in / groups, kH, kW) is the transposed convolution's
      (C_in, C_out / groups, kH, kW)), with the same stride, padding, dilation and groups.
      The strided forward never read the last ``r`` rows (and columns) of the padded input;
      ``output_padding = r`` (:func:`cnnkit.shapes.conv_transpose_output_padding`) gives them
      back, with a zero gradient. ``'same'`` padding with an even kernel pads one sample more
      on the bottom/right; that sample's gradient is dropped.
    - The second is a **correlation of the padded input with** ``grad_output``: each kernel
      tap adds up the input samples it saw, each weighted by the gradient of the window it
      saw them in. It is itself a convolution, ``conv2d`` of the input with ``grad_output``
      as the kernels, batch and channel axes swapped and the roles of stride and dilation
      exchanged (the example shows it). It is computed as the transpose of the forward's
      im2col product: the forward is ``y = w @ windows`` (one column of input samples per
      output pixel), so ``dL/dw = grad_output @ windows.T``, one matrix product per group.

    Args:
        input: the forward's input, shape (N, C_in, H, W).
        weight: the forward's kernels, shape (C_out, C_in / groups, kH, kW).
        grad_output: the gradient of the loss with respect to the forward's output, shape
            (N, C_out, H_out, W_out) (:func:`cnnkit.shapes.conv_output_size`).
        stride: int or (sH, sW), as the forward.
        padding: int, (pH, pW), ``'valid'``, ``'same'`` or ``'full'``, as the forward.
        dilation: int or (dH, dW), as the forward.
        groups: number of channel groups, as the forward.

    Returns:
        ``(grad_input, grad_weight, grad_bias)`` of shapes (N, C_in, H, W),
        (C_out, C_in / groups, kH, kW) and (C_out,), in the dtype of the inputs together
        (float64 stays float64; integers give exact int64).

    Raises:
        ValueError: for a ``grad_output`` whose shape is not the forward output's, and every
            error of :func:`cnnkit.ops.conv2d`, with its message.

    Example:
        >>> x = np.array([[1., 2., 3., 4., 5.]])[None, None]          # a 1 x 5 "image"
        >>> w = np.array([[1., 10.]])[None, None]
        >>> dy = np.array([[1., -1.]])[None, None]                    # conv2d(x, w, stride=(1, 2)) is 1 x 2
        >>> dx, dw, db = conv2d_backward(x, w, dy, stride=(1, 2))
        >>> dx[0, 0]                                                  # the last column was never read
        array([[  1.,  10.,  -1., -10.,   0.]])
        >>> np.array_equal(dx, conv_transpose2d(dy, w, stride=(1, 2), output_padding=(0, 1)))
        True
        >>> dw[0, 0], db                                              # 1*1 - 3*1, 2*1 - 4*1
        (array([[-2., -2.]]), array([0.]))
        >>> from cnnkit.ops import conv2d
        >>> swap = lambda a: a.transpose(1, 0, 2, 3)                  # batch <-> channels
        >>> swap(conv2d(swap(x[..., :4]), swap(dy), dilation=(1, 2)))  # the input (as read) correlated with dy
        array([[[[-2., -2.]]]])
    """
    a = _prepare_conv("conv2d_backward", input, weight, None, stride, padding, dilation, groups, "correlation", "zeros")
    _, c_in, h, wd = np.shape(input)
    c_out, _, kh, kw = a.w.shape
    gy = _check_grad_output(
        grad_output, a.out_shape, "conv2d_backward", "conv2d", "(N, C_out, H_out, W_out)", "conv_output_size"
    )
    dtype = result_dtype(a.xp, a.w, gy)
    xp, w, gy = a.xp.astype(dtype, copy=False), a.w.astype(dtype, copy=False), gy.astype(dtype, copy=False)

    # dL/dx: the transposed convolution, with the forward's own stride, padding, dilation and groups
    (top, _), (left, _) = padding_amounts(padding, (kh, kw), a.s, a.d)
    unread = conv_transpose_output_padding(
        (h, wd), (kh, kw), a.s, padding if isinstance(padding, str) else as_pair(padding, "padding"), a.d
    )
    grad_input = conv_transpose2d(
        gy, w, stride=a.s, padding=(top, left), output_padding=unread, groups=a.groups, dilation=a.d
    )
    grad_input = np.ascontiguousarray(grad_input[:, :, :h, :wd])  # 'same', even kernel: drop the bottom/right pad

    # dL/dw: correlate the input's windows with grad_output, as the transpose of the forward's
    # im2col product y = w @ windows: dL/dw = grad_output @ windows.T, per group
    win = _windows(xp, (kh, kw), a.s, a.d, a.out_shape[2:])  # (N, C_in, H_out, W_out, kH, kW), a view
    c_in_g, c_out_g = c_in // a.groups, c_out // a.groups
    grad_weight = np.empty(w.shape, dtype=dtype)
    for g in range(a.groups):
        ins, outs = slice(g * c_in_g, (g + 1) * c_in_g), slice(g * c_out_g, (g + 1) * c_out_g)
        # rows (c, i, j), one column per output pixel (n, u, v): the forward's im2col matrix
        windows = np.ascontiguousarray(win[:, ins].transpose(1, 4, 5, 0, 2, 3)).reshape(c_in_g * kh * kw, -1)
        delta = np.ascontiguousarray(gy[:, outs].transpose(1, 0, 2, 3)).reshape(c_out_g, -1)  # (C_out/g, N H_out W_out)
        grad_weight[outs] = (delta @ windows.T).reshape(c_out_g, c_in_g, kh, kw)

    # dL/db: every output position of channel o added b[o]
    grad_bias = gy.sum(axis=(0, 2, 3))
    return grad_input, grad_weight, grad_bias


def _tap(i: int, j: int, s: tuple[int, int], d: tuple[int, int], out: tuple[int, int]) -> tuple[slice, ...]:
    """Index of tap (i, j) of every pooling window in the padded input: (N, C, H_out, W_out)."""
    rows = slice(i * d[0], i * d[0] + (out[0] - 1) * s[0] + 1, s[0])
    cols = slice(j * d[1], j * d[1] + (out[1] - 1) * s[1] + 1, s[1])
    return (slice(None), slice(None), rows, cols)


def max_pool2d_backward(
    input: Any,
    grad_output: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """Gradient of :func:`cnnkit.ops.max_pool2d` with respect to its input.

    Window ``(u, v)`` outputs one of its elements, so

    .. math::

        \\frac{\\partial L}{\\partial x}[n, c, a, b] = \\sum_{(u, v):\\ (a, b) = \\operatorname{argmax}_{W_{uv}} x}
            \\delta[n, c, u, v],

    the whole of ``grad_output[n, c, u, v]`` goes to the position of its window's maximum,
    and the rest of the window gets nothing. A position that wins several overlapping windows
    collects all their gradients.

    Which element is the argmax follows PyTorch's CPU kernel, which scans each window in
    row-major order and replaces its candidate only by a strictly larger value:

    - **ties** go to the *first* maximum in row-major order (the lowest index of the input);
    - a window holding NaN sends its gradient to its *last* NaN (NaN always replaces);
    - the padding is never selected: a window whose input samples are all ``-inf`` sends its
      gradient to its first input sample;
    - a window that lies wholly in the padding (possible with dilation; its output is
      ``-inf``) sends its gradient nowhere. PyTorch's index for it points past the window,
      and its backward adds the gradient there, to another sample or outside the map (a
      PyTorch bug, not reproduced here).

    Args:
        input: the forward's input, shape (N, C, H, W).
        grad_output: the gradient with respect to the forward's output, shape
            (N, C, H_out, W_out) (:func:`cnnkit.shapes.pool_output_size`).
        kernel_size, stride, padding, dilation, ceil_mode: as :func:`cnnkit.ops.max_pool2d`.

    Returns:
        Array of shape (N, C, H, W) in ``grad_output``'s dtype (int64 for integers).

    Raises:
        ValueError: for a ``grad_output`` whose shape is not the forward output's, and every
            error of :func:`cnnkit.ops.max_pool2d`, with its message.

    Example:
        >>> x = np.array([[1, 5, 0, 2], [5, 3, 4, 1]])[None, None]   # a tie (5) in the first window
        >>> max_pool2d_backward(x, np.array([[10., 20.]])[None, None], 2)[0, 0]
        array([[ 0., 10.,  0.,  0.],
               [ 0.,  0., 20.,  0.]])
        >>> max_pool2d_backward(np.ones((1, 1, 1, 3)), np.ones((1, 1, 1, 2)), (1, 2), stride=1)[0, 0]
        array([[1., 1., 0.]])
    """
    x, k, s, p, d, out = _setup("max_pool2d_backward", input, kernel_size, stride, padding, dilation, ceil_mode)
    gy = _check_grad_output(
        grad_output, (*x.shape[:2], *out), "max_pool2d_backward", "max_pool2d", _POOL_LAYOUT, "pool_output_size"
    )
    xp = _padded(x, k, s, p, d, out, 0)  # the padding's value does not matter: it is never chosen
    maximum = max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)  # NaN where a window holds NaN

    def on_input(i: int, j: int) -> np.ndarray | bool:
        """Which windows' tap (i, j) lies on the input, not on the padding: (H_out, W_out)."""
        rows, cols = (t * d[a] + s[a] * np.arange(out[a]) - p[a] for a, t in enumerate((i, j)))
        inside = ((rows >= 0) & (rows < x.shape[2]))[:, None] & ((cols >= 0) & (cols < x.shape[3]))[None, :]
        return True if inside.all() else inside

    grad = np.zeros(xp.shape, dtype=result_dtype(gy))
    unclaimed = np.ones(gy.shape, dtype=bool)  # windows whose gradient has not gone anywhere yet

    def send(taps, is_winner) -> None:
        """Scan the taps in this order; each window's gradient goes to the first winner."""
        for i, j in taps:
            tap = _tap(i, j, s, d, out)
            hit = unclaimed & is_winner(xp[tap]) & on_input(i, j)
            grad[tap] += np.where(hit, gy, 0)
            unclaimed[hit] = False

    taps = list(np.ndindex(*k))  # (i, j) in row-major order, the order PyTorch scans a window in
    send(taps, lambda value: value == maximum)  # ties: the first maximum
    if x.dtype.kind == "f" and np.isnan(maximum).any():
        send(taps[::-1], np.isnan)  # windows with NaN (equal to nothing): the last NaN
    return np.ascontiguousarray(grad[:, :, p[0] : p[0] + x.shape[2], p[1] : p[1] + x.shape[3]])


def avg_pool2d_backward(
    input: Any,
    grad_output: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Gradient of :func:`cnnkit.ops.avg_pool2d` with respect to its input.

    Window ``(u, v)`` outputs :math:`\\frac{1}{|W_{uv}|} \\sum_{(a, b) \\in W_{uv}} x_p[a, b]`, so
    each of its samples receives the same share of its gradient,

    .. math::

        \\frac{\\partial L}{\\partial x}[n, c, a, b] = \\sum_{(u, v):\\ (a, b) \\in W_{uv}}
            \\frac{\\delta[n, c, u, v]}{|W_{uv}|},

    with the forward's divisor :math:`|W_{uv}|`: counting the padding or not
    (``count_include_pad``), the part of a ``ceil_mode`` window inside the padded input, or
    ``divisor_override``. The shares that fall on the padding are dropped; the windows are
    those of the forward (:func:`cnnkit.shapes.pool_output_size`, whose ``ceil_mode`` rule drops
    a last window that would start in the right padding).

    Args:
        input: the forward's input, shape (N, C, H, W) (only its shape is used).
        grad_output: the gradient with respect to the forward's output, shape
            (N, C, H_out, W_out).
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as
            :func:`cnnkit.ops.avg_pool2d`.

    Returns:
        Float array of shape (N, C, H, W) (float32 if ``input`` and ``grad_output`` are
        float32, else float64).

    Raises:
        ValueError: for a ``grad_output`` whose shape is not the forward output's, and every
            error of :func:`cnnkit.ops.avg_pool2d`, with its message.

    Example:
        >>> avg_pool2d_backward(np.zeros((1, 1, 2, 3)), np.array([[4., 8.]])[None, None], 2, stride=1)[0, 0]
        array([[1., 3., 2.],
               [1., 3., 2.]])
        >>> avg_pool2d_backward(np.zeros((1, 1, 1, 3)), np.ones((1, 1, 1, 2)), (1, 2), padding=(0, 1),
        ...                     count_include_pad=False)[0, 0]
        array([[1. , 0.5, 0.5]])
    """
    x, k, s, p, d, out = _setup("avg_pool2d_backward", input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override < 1):
        raise ValueError(f"divisor_override must be None or a positive int; got {divisor_override!r}")
    gy = _check_grad_output(
        grad_output, (*x.shape[:2], *out), "avg_pool2d_backward", "avg_pool2d", _POOL_LAYOUT, "pool_output_size"
    )
    dtype = np.dtype(np.float32 if result_dtype(x, gy) == np.float32 else np.float64)
    if divisor_override is not None:
        share = gy / dtype.type(divisor_override)
    else:
        h, w = x.shape[2:]
        rows = _avg_divisor(h, k[0], s[0], p[0], out[0], count_include_pad)
        cols = _avg_divisor(w, k[1], s[1], p[1], out[1], count_include_pad)
        share = gy / np.outer(rows, cols).astype(dtype)
    share = share.astype(dtype, copy=False)
    grad = np.zeros(_padded(x, k, s, p, d, out, 0).shape, dtype=dtype)  # the forward's padded input
    for i, j in np.ndindex(*k):
        grad[_tap(i, j, s, d, out)] += share
    return np.ascontiguousarray(grad[:, :, p[0] : p[0] + x.shape[2], p[1] : p[1] + x.shape[3]])
