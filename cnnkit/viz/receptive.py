"""The effective receptive field: how strongly each input pixel moves one unit, by its gradient.

The *theoretical* receptive field of a unit (:func:`cnnkit.shapes.receptive_field`) is the square
of input pixels that can change the unit at all. How much each of them changes it is another
matter. Luo et al. (2016, "Understanding the Effective Receptive Field in Deep Convolutional
Neural Networks") measure it by the gradient of the unit with respect to the input: it is
concentrated near the middle of the theoretical field and falls off roughly like a Gaussian, so
most of a deep unit's dependence lies in a region much smaller than its theoretical field, the
*effective* receptive field.

:func:`input_gradient_map` computes that gradient for one position of a layer;
:func:`central_mass_side` measures how large a square around the unit's centre holds a given
share of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnkit.models.mode import eval_mode

__all__ = ["input_gradient_map", "central_mass_side"]


def input_gradient_map(module: nn.Module, x: Any, position: tuple[int, int] | None = None) -> np.ndarray:
    """The magnitude of the gradient of one output position with respect to every input pixel.

    With :math:`y = \\text{module}(x)` of shape (1, K, h, w) and the chosen position
    :math:`(i, j)`, the unit is the sum over the K channels, :math:`u = \\sum_k y_{k,i,j}`, and the
    map is :math:`g_{r,c} = \\sum_{\\text{colours}} |\\partial u / \\partial x_{\\cdot, r, c}|`. It is
    zero outside the theoretical receptive field of :math:`(i, j)`. The module runs in eval mode
    (restored afterwards); only the gradient with respect to ``x`` is computed, so no parameter's
    ``.grad`` changes.

    Args:
        module: maps (1, C, H, W) to (1, K, h, w), e.g. the layers of a network up to the one
            studied (``vgg.features[:30]``).
        x: one input, shape (1, C, H, W) or (C, H, W).
        position: ``(i, j)`` in the output map; None for its centre ``(h // 2, w // 2)``.

    Returns:
        float64 array of shape (H, W), non-negative.

    Example:
        >>> conv = nn.Conv2d(1, 1, 3, bias=False)
        >>> _ = nn.init.ones_(conv.weight)
        >>> g = input_gradient_map(conv, torch.zeros(1, 1, 7, 7))   # output 5x5, centre (2, 2)
        >>> g.astype(int)[1:6, 1:6]
        array([[0, 0, 0, 0, 0],
               [0, 1, 1, 1, 0],
               [0, 1, 1, 1, 0],
               [0, 1, 1, 1, 0],
               [0, 0, 0, 0, 0]])
    """
    inputs = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)
    if inputs.ndim == 3:
        inputs = inputs[None]
    if inputs.ndim != 4 or inputs.shape[0] != 1:
        raise ValueError(f"input_gradient_map: x must have shape (1, C, H, W) or (C, H, W); got {tuple(np.shape(x))}")
    parameter = next(module.parameters(), None)
    if parameter is not None:
        inputs = inputs.to(parameter.device)
    inputs = inputs.detach().clone().requires_grad_(True)
    with eval_mode(module), torch.enable_grad():
        y = module(inputs)
    if y.ndim != 4:
        raise ValueError(f"input_gradient_map: the module must output (1, K, h, w) maps; got shape {tuple(y.shape)}")
    h, w = y.shape[-2:]
    i, j = (h // 2, w // 2) if position is None else position
    if not (0 <= i < h and 0 <= j < w):
        raise ValueError(f"input_gradient_map: position {position!r} is outside the {h}x{w} output map")
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(y[0, :, i, j].sum(), inputs)
    return grad[0].abs().sum(dim=0).double().cpu().numpy()


def central_mass_side(m: Any, centre: tuple[float, float], fraction: float | Sequence[float]) -> Any:
    """The side of the smallest square centred on ``centre`` that holds ``fraction`` of a map's total.

    Pixel ``(r, c)`` lies at the Chebyshev distance :math:`d = \\max(|r - c_r|, |c - c_c|)` from
    the centre; the square of half-width :math:`D` holds the pixels with :math:`d \\le D` and has
    side :math:`2D + 1` (odd for an integer centre, even for a centre between pixels, such as
    the ``(size - 1) / 2`` of :func:`cnnkit.shapes.unit_centres`).

    Args:
        m: non-negative array of shape (H, W) with a positive sum (an :func:`input_gradient_map`).
        centre: ``(row, column)``, integers or halves.
        fraction: a share in (0, 1], or a sequence of them.

    Returns:
        The side in pixels (an int), or a list of sides for a sequence of fractions.

    Example:
        >>> m = np.zeros((7, 7)); m[2:5, 2:5] = 1.0; m[3, 3] = 9.0   # total 17, 9 in the middle
        >>> central_mass_side(m, (3, 3), [0.5, 0.6, 1.0])
        [1, 3, 3]
    """
    arr = np.asarray(m, dtype=np.float64)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"central_mass_side: m must be a non-empty (H, W) array; got shape {arr.shape}")
    if np.any(arr < 0) or not arr.sum() > 0:
        raise ValueError("central_mass_side: m must be non-negative with a positive sum")
    single = not isinstance(fraction, Sequence)
    fractions = [float(f) for f in fraction] if isinstance(fraction, Sequence) else [float(fraction)]
    for f in fractions:
        if not 0 < f <= 1:
            raise ValueError(f"central_mass_side: fraction must lie in (0, 1]; got {f!r}")
    rows, cols = np.indices(arr.shape)
    distance = np.maximum(np.abs(rows - centre[0]), np.abs(cols - centre[1])).ravel()
    order = np.argsort(distance, kind="stable")
    cumulative = np.cumsum(arr.ravel()[order]) / arr.sum()
    # the half-widths D at which the square is complete: the last pixel of each distance
    sides = []
    for f in fractions:
        k = int(np.searchsorted(cumulative, f - 1e-12))
        d = distance[order][min(k, len(order) - 1)]
        sides.append(round(float(2 * d + 1)))
    return sides[0] if single else sides
