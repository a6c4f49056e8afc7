"""Receptive fields, the centres of the units' fields, and which input pixels the windows read.

Part of :mod:`cnnkit.shapes`; import from there. Its arguments are the symbols of the formulas
(``i``, ``k``, ``s``, ``p``, ``d``, ``o``), the one stated exception to the library's keyword names
(``tests/test_naming.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from cnnkit._checks import as_pair, check_at_least, is_int, is_pair
from cnnkit._types import IntOrPair, Padding
from cnnkit.shapes._common import _check_int, _elementwise
from cnnkit.shapes.output_sizes import conv_output_size
from cnnkit.shapes.padding import padding_amounts, to_pair

__all__ = ["window_coverage", "ReceptiveField", "receptive_field", "unit_centres", "window_starts"]


def window_coverage(i: IntOrPair, k: IntOrPair, s: IntOrPair = 1, p: Padding = 0, d: IntOrPair = 1) -> np.ndarray:
    """How many windows of a convolution read each input pixel.

    Window ``(u, v)`` starts at input row ``u*s - top`` and column ``v*s - left`` (negative in
    the padding) and reads every ``d``-th sample of the next :func:`dilated_span` samples.
    Windows are products of a row range and a column range, so the count is the outer product
    of the counts along each axis. A zero marks a pixel that no window reads: with ``'valid'``
    padding and a stride that does not divide ``i - k``, the last rows and columns are lost.

    Args:
        i: input size, int or (H, W).
        k: kernel size, int or (kH, kW).
        s: stride, the step between windows, int or (sH, sW).
        p: padding: int, pair, ``'valid'``, ``'same'`` or ``'full'``, as :func:`cnnkit.ops.conv2d`.
        d: dilation, the spacing between kernel taps, int or (dH, dW).

    Returns:
        int64 array of shape (H, W); the sum of all counts is
        ``H_out * W_out * kH * kW`` minus the taps that fall on padding.

    Example:
        >>> window_coverage(7, 3, s=3)[0].tolist()   # the last column is never read
        [1, 1, 1, 1, 1, 1, 0]
        >>> window_coverage(5, 3)[2].tolist()
        [3, 6, 9, 6, 3]
        >>> window_coverage(5, 3, p='same')[0].tolist()
        [4, 6, 6, 6, 4]
        >>> int((window_coverage(16, 3, s=4) == 0).sum())
        112
    """
    ii = to_pair(i, "input size i", minimum=1)
    kk = to_pair(k, "kernel size k", minimum=1)
    ss = to_pair(s, "stride s", minimum=1)
    dd = to_pair(d, "dilation d", minimum=1)
    pads = padding_amounts(p, kk, s=ss, d=dd)

    def as_given(value: Any) -> Any:  # a list becomes a tuple, so that the errors echo the argument
        return tuple(value) if isinstance(value, list) else value

    out = to_pair(conv_output_size(*(as_given(v) for v in (i, k, s, p, d))), "output")
    counts = []
    for axis in range(2):
        c = np.zeros(ii[axis], dtype=np.int64)
        for u in range(out[axis]):
            taps = u * ss[axis] - pads[axis][0] + dd[axis] * np.arange(kk[axis])
            taps = taps[(taps >= 0) & (taps < ii[axis])]
            np.add.at(c, taps, 1)
        counts.append(c)
    return np.outer(counts[0], counts[1])


class ReceptiveField(NamedTuple):
    """Receptive field of a stack of layers.

    Attributes:
        size: how many input samples one output unit of the last layer sees.
        jump: distance in input samples between neighbouring units of the last layer (the
            product of the strides).
        per_layer: ``(size, jump)`` after each layer, first layer first.
        offset: the first input sample seen by the first unit of the last layer; negative when
            padding is involved: ``offset_l = offset_{l-1} - p_l j_{l-1}`` (0 without padding).

    The field of unit ``u`` covers input samples ``offset + u*jump`` to ``offset + u*jump + size - 1``
    and is centred on ``centre + u*jump`` (:attr:`centre`, :func:`unit_centres`).

    Example:
        >>> rf = receptive_field([{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}])
        >>> rf.size, rf.jump, rf.offset, rf.centre
        (4, 2, -1, 0.5)
    """

    size: Any
    jump: Any
    per_layer: list
    offset: Any = 0

    @property
    def centre(self) -> Any:
        """Where the field of the first unit is centred: ``offset + (size - 1) / 2`` (a pair for pairs)."""
        if isinstance(self.size, tuple) or isinstance(self.offset, tuple):
            size, offset = as_pair(self.size, "size"), as_pair(self.offset, "offset")
            return (offset[0] + (size[0] - 1) / 2, offset[1] + (size[1] - 1) / 2)
        return self.offset + (self.size - 1) / 2


def _layer_params(layer: Any, index: int) -> tuple[Any, Any, Any, Any]:
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "kernel", "k", "stride", "s", "dilation", "d", "padding", "p"}
        if unknown:
            raise ValueError(
                f"layers[{index}] has unknown keys {sorted(unknown)}; use 'kernel_size', 'stride', 'dilation' and 'padding'"
            )
        k = layer.get("kernel_size", layer.get("kernel", layer.get("k")))
        if k is None:
            raise ValueError(f"layers[{index}] needs a 'kernel_size'; got {layer!r}")
        p = layer.get("padding", layer.get("p", 0))
        return k, layer.get("stride", layer.get("s", 1)), layer.get("dilation", layer.get("d", 1)), p
    if isinstance(layer, (tuple, list)) and len(layer) in (2, 3):
        k, s, *rest = layer
        return k, s, rest[0] if rest else 1, 0
    raise TypeError(
        f"layers[{index}] must be a (kernel, stride), a (kernel, stride, dilation) tuple or a dict "
        f"with 'kernel_size', 'stride' and 'dilation'; got {layer!r}"
    )


def receptive_field(layers: Sequence[Any]) -> ReceptiveField:
    """Receptive field of a stack of convolution or pooling layers.

    Starting from a single input sample (``r = 1``, ``j = 1``, offset 0), each layer with kernel
    ``k``, stride ``s``, dilation ``d`` and padding ``p`` (before the first sample) grows the
    field and the jump between neighbours and moves the field's start into the padding:

    .. math::

        r_l = r_{l-1} + d_l (k_l - 1) j_{l-1}, \\qquad j_l = j_{l-1} s_l, \\qquad
        \\text{offset}_l = \\text{offset}_{l-1} - p_l\\, j_{l-1}.

    The size and the jump do not depend on the padding; the offset does.

    Args:
        layers: a sequence of ``(kernel, stride)`` or ``(kernel, stride, dilation)`` tuples, or
            of dicts with keys ``kernel_size``, ``stride`` (default 1), ``dilation`` (default 1)
            and ``padding`` (before the first sample; default 0). Each value is an int or a pair.

    Returns:
        A :class:`ReceptiveField` ``(size, jump, per_layer, offset)``; ints, or pairs when any
        layer uses a pair.

    Example:
        >>> receptive_field([(3, 1), (3, 1)]).size
        5
        >>> receptive_field([(3, 1)] * 3).size
        7
        >>> receptive_field([(3, 1, 2)]).size
        5
        >>> rf = receptive_field([(3, 1), (2, 2), (3, 1)])   # conv, max pool, conv
        >>> rf.size, rf.jump, rf.per_layer
        (8, 2, [(3, 1), (4, 2), (8, 2)])
        >>> receptive_field([{"kernel_size": (3, 1), "stride": 2}, {"kernel_size": 3}]).size
        (7, 5)
        >>> receptive_field([{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}, {"kernel_size": 3, "padding": 1}]).offset
        -3
    """
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a sequence of (kernel, stride[, dilation]) tuples or dicts; got {layers!r}")
    params = [_layer_params(layer, n) for n, layer in enumerate(layers)]
    pairs_given = any(is_pair(v) for lp in params for v in lp)
    size: tuple[int, ...] = (1, 1)
    jump: tuple[int, ...] = (1, 1)
    offset: tuple[int, ...] = (0, 0)
    per_layer: list = []
    for n, (k, s, d, p) in enumerate(params):
        kk = as_pair(k, f"layers[{n}] kernel size")
        ss = as_pair(s, f"layers[{n}] stride")
        dd = as_pair(d, f"layers[{n}] dilation")
        pp = as_pair(p, f"layers[{n}] padding")
        for name, val, arg in (("kernel size", kk, k), ("stride", ss, s), ("dilation", dd, d)):
            check_at_least(val, 1, f"layers[{n}] {name}", is_pair(arg), "positive")
        check_at_least(pp, 0, f"layers[{n}] padding", is_pair(p), "non-negative")
        size = tuple(r + dv * (kv - 1) * j for r, kv, dv, j in zip(size, kk, dd, jump))
        offset = tuple(o - pv * j for o, pv, j in zip(offset, pp, jump))
        jump = tuple(j * sv for j, sv in zip(jump, ss))
        per_layer.append((size, jump) if pairs_given else (size[0], jump[0]))
    if pairs_given:
        return ReceptiveField(size, jump, per_layer, offset)
    return ReceptiveField(size[0], jump[0], per_layer, offset[0])


def unit_centres(n: IntOrPair, size: IntOrPair, jump: IntOrPair, offset: IntOrPair = 0) -> Any:
    """Where the units of a layer are centred in the input: ``offset + (size - 1)/2 + u*jump``.

    Unit ``u`` of a layer whose receptive field spans ``size`` input samples, whose units lie
    ``jump`` samples apart and whose first unit's field starts at sample ``offset`` (negative in
    the padding; see :func:`receptive_field`) reads the samples ``offset + u*jump`` to
    ``offset + u*jump + size - 1``. Its centre is the middle of that range:

    .. math::

        c_u = \\text{offset} + \\frac{\\text{size} - 1}{2} + u \\cdot \\text{jump},
        \\qquad u = 0, \\dots, n - 1.

    Coordinates are pixel indices: pixel ``p`` is centred on ``p``, so a half-integer lies
    between two pixels. The padding moves the centres. Symmetric padding keeps each unit in the
    middle of its block of ``jump`` pixels (the small VGG: ``4u + 1.5``, the middle of rows
    ``4u`` to ``4u + 3``). TensorFlow's ``'same'`` padding of a stride-2 layer on an even size
    pads nothing before the image, so each unit is centred on the second sample of its pair;
    compounded over EfficientNet-Lite0's five stride-2 layers, head unit ``u`` is centred on
    pixel ``32u + 31``, the last row of its block, not its middle ``32u + 15.5``.

    Args:
        n: number of units along the axis (the size of the layer's map), int or (h, w).
        size: receptive field size, int or pair.
        jump: distance between neighbouring units in input samples, int or pair.
        offset: first input sample seen by unit 0, int or pair (negative with padding).

    Returns:
        float64 array of shape (n,); for pair arguments, a pair ``(rows, columns)`` of arrays.

    Example:
        >>> unit_centres(7, 32, 4, -14).tolist()      # the small VGG's block3_conv2, 28x28 digits
        [1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5]
        >>> unit_centres(7, 851, 32, -394).tolist()   # EfficientNet-Lite0's head, 224x224
        [31.0, 63.0, 95.0, 127.0, 159.0, 191.0, 223.0]
        >>> rf = receptive_field([{"kernel_size": 3, "stride": 2, "padding": 1}])   # PyTorch's padding=1
        >>> unit_centres(3, rf.size, rf.jump, rf.offset).tolist()
        [0.0, 2.0, 4.0]
        >>> [c.tolist() for c in unit_centres((2, 3), 3, (2, 1), (0, -1))]
        [[1.0, 3.0], [0.0, 1.0, 2.0]]
    """

    def one(n: int, size: int, jump: int, offset: int) -> np.ndarray:
        _check_int(n, "number of units n", 1, "positive")
        _check_int(size, "receptive field size", 1, "positive")
        _check_int(jump, "jump", 1, "positive")
        if not is_int(offset):
            raise TypeError(f"offset must be an int or a pair of ints; got {offset!r}")
        return offset + (size - 1) / 2 + jump * np.arange(n, dtype=np.float64)

    return _elementwise(one, (n, size, jump, offset), ("number of units n", "receptive field size", "jump", "offset"))


def window_starts(centres: Any, window: int) -> np.ndarray:
    """The first sample of the window of ``window`` samples centred on each of ``centres``.

    A window of ``w`` samples that starts at ``t`` is centred on ``t + (w - 1)/2``, so the
    window centred on ``c`` starts at ``c - (w - 1)/2``. When that is not a whole number (an
    even window on a pixel, an odd one between two pixels) no window is centred exactly on
    ``c``, and the one half a sample further down (or right) is taken:

    .. math::

        t = \\left\\lfloor c - \\frac{w - 1}{2} + \\frac{1}{2} \\right\\rfloor .

    The windows may start before the first sample or end after the last: clip them to the image.

    Args:
        centres: 1-D sequence of centres, in samples (pixel ``p`` is centred on ``p``), such as
            one axis of :func:`unit_centres`.
        window: the window's length, a positive int.

    Returns:
        int64 array of the same length: window ``u`` covers ``t[u]`` to ``t[u] + window - 1``.

    Example:
        >>> window_starts([1.5, 5.5, 9.5], 4).tolist()   # the small VGG: the 4x4 blocks
        [0, 4, 8]
        >>> window_starts([31.0, 63.0], 32).tolist()     # Lite0's head: rows 16-47, 48-79 (centres 31.5, 63.5)
        [16, 48]
        >>> window_starts([31.0, 63.0], 33).tolist()     # an odd window is centred exactly
        [15, 47]
    """
    c = np.asarray(centres, dtype=np.float64)
    if c.ndim != 1 or not np.all(np.isfinite(c)):
        raise ValueError(f"centres must be a 1-D sequence of finite numbers; got {centres!r}")
    _check_int(window, "window", 1, "positive")
    return np.floor(c - (window - 1) / 2 + 0.5).astype(np.int64)
