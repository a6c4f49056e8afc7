"""Rescaling intensities: min-max scaling of maps and images to [0, 1].

One function for every place that stretches values to [0, 1] to show or compare them: the class
activation maps of chapter 11 (:func:`cnnkit.viz.cam.normalize_map`) and the optimised images of
chapter 10 (:func:`cnnkit.plot.featvis_figures.display_images`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit._checks import as_array

__all__ = ["minmax_scale"]


def minmax_scale(x: Any, axis: int | tuple[int, ...] | None = None, percentile: float = 100.0) -> np.ndarray:
    """Rescale to [0, 1]: :math:`(x - \\min x) / (\\max x - \\min x)`, over ``axis``.

    With ``percentile < 100`` the ``percentile``-th percentile takes the place of the maximum,
    and the values above it are clipped to 1. Where all values are equal the result is 0.

    Args:
        x: array of any shape.
        axis: the axes whose values are scaled together (each slice on its own); ``None``: all.
        percentile: the percentile mapped to 1, in (0, 100].

    Returns:
        float64 array of ``x``'s shape, values in [0, 1].

    Example:
        >>> minmax_scale(np.array([-1.0, 0.0, 1.0, 3.0])).tolist()
        [0.0, 0.25, 0.5, 1.0]
        >>> minmax_scale(np.array([[0.0, 2.0], [5.0, 5.0]]), axis=1).tolist()
        [[0.0, 1.0], [0.0, 0.0]]
    """
    arr = as_array(x, "x").astype(np.float64)
    if not 0.0 < percentile <= 100.0:
        raise ValueError(f"minmax_scale: percentile={percentile!r} must lie in (0, 100]")
    lo = arr.min(axis=axis, keepdims=True)
    hi = (
        arr.max(axis=axis, keepdims=True)
        if percentile == 100.0
        else np.percentile(arr, percentile, axis=axis, keepdims=True)
    )
    span = hi - lo
    out = np.divide(arr - lo, span, out=np.zeros_like(arr), where=span > 0)
    return np.minimum(out, 1.0)
