"""How many units of a layer respond, and how selectively: sparsity and selectivity of activations.

After a ReLU, a unit either responds (a positive value) or is silent (exactly zero). Three
numbers summarise a layer's activations :math:`a_{n,c,p}` (image ``n``, channel ``c``, spatial
position ``p``; a fully connected layer has one position) over a set of inputs:

- **sparsity**, the fraction of all activations that are exactly zero,

  .. math:: s = \\frac{1}{N C P} \\sum_{n,c,p} [a_{n,c,p} = 0];

- per channel, the **activity** :math:`q_c`, the fraction of (image, position) pairs at which
  channel ``c`` is non-zero; a channel with :math:`q_c = 0` never responds to these inputs
  (*dead* for them). The mean of :math:`q_c` over channels is :math:`1 - s`;
- per channel, the **selectivity**, the *lifetime sparseness* of Vinje & Gallant (2000), a
  normalised ratio of the mean response to the root mean square response, over the
  :math:`M = N P` responses :math:`r_1, \\dots, r_M` of the channel:

  .. math::

      S_c = \\frac{1 - \\left(\\frac{1}{M}\\sum_i r_i\\right)^2 / \\left(\\frac{1}{M}\\sum_i r_i^2\\right)}{1 - 1/M}.

  For non-negative responses :math:`0 \\le S_c \\le 1`: :math:`S_c = 0` for a channel that
  responds equally everywhere, :math:`S_c = 1` for one that responds at a single (image, position);
  a channel that responds equally at a fraction ``q`` of them has :math:`S_c = (1 - q)/(1 - 1/M)`.
  A dead channel has no selectivity (NaN), nor has a channel with a single response
  (:math:`M = 1`, a fully connected layer seen on one image).

:func:`activation_statistics` runs a model with named layers (:class:`cnnkit.models.named.NamedLayersMixin`)
and returns these per layer; :func:`format_statistics` writes them as a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import torch

__all__ = [
    "sparsity",
    "channel_activity",
    "channel_selectivity",
    "LayerStatistics",
    "layer_statistics",
    "activation_statistics",
    "format_statistics",
]


def _as_nc_m(a: np.ndarray | torch.Tensor, name: str = "activation") -> np.ndarray:
    """Activations of shape (N, C, ...) as float64 (N, C, P)."""
    arr = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim < 2 or arr.size == 0:
        raise ValueError(f"{name} must have shape (N, C) or (N, C, H, W) with N, C >= 1; got shape {arr.shape}")
    return arr.reshape(arr.shape[0], arr.shape[1], -1).astype(np.float64)


def sparsity(activation: np.ndarray | torch.Tensor) -> float:
    """Fraction of the activations that are exactly zero, :math:`s = \\frac{1}{|a|}\\sum [a = 0]`.

    Args:
        activation: any shape.

    Example:
        >>> sparsity(np.array([[0.0, 1.5], [0.0, 0.0]]))
        0.75
    """
    arr = activation.detach().cpu().numpy() if isinstance(activation, torch.Tensor) else np.asarray(activation)
    if arr.size == 0:
        raise ValueError("activation must not be empty")
    return float(np.count_nonzero(arr == 0) / arr.size)


def channel_activity(activation: np.ndarray | torch.Tensor) -> np.ndarray:
    """Per channel, the fraction :math:`q_c` of (image, position) pairs where it is non-zero.

    Args:
        activation: shape (N, C, H, W) or (N, C).

    Returns:
        Array of shape (C,), values in [0, 1].

    Example:
        >>> a = np.zeros((2, 3, 2, 2))
        >>> a[0, 0] = 1.0             # channel 0 active on all 4 positions of image 0
        >>> a[1, 1, 0, 0] = 2.0       # channel 1 at one position of image 1; channel 2 never
        >>> channel_activity(a).tolist()
        [0.5, 0.125, 0.0]
    """
    a = _as_nc_m(activation)
    return (a != 0).mean(axis=(0, 2))


def _selectivity_from_sums(total: np.ndarray, total_sq: np.ndarray, m: int) -> np.ndarray:
    if m < 2:  # one response per channel: selectivity is undefined
        return np.full(np.shape(total), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (total / m) ** 2 / (total_sq / m)
        s = (1.0 - ratio) / (1.0 - 1.0 / m)
    s = np.where(total_sq > 0, s, np.nan)
    return np.clip(s, 0.0, 1.0, where=np.isfinite(s), out=s)


def channel_selectivity(activation: np.ndarray | torch.Tensor) -> np.ndarray:
    """Per channel, the lifetime sparseness :math:`S_c` of its responses over images and positions.

    See the module docstring for the formula. NaN for a channel that is zero everywhere, and for
    every channel when there is a single response per channel (M = 1).

    Args:
        activation: non-negative activations of shape (N, C, H, W) or (N, C).

    Returns:
        Array of shape (C,), values in [0, 1] or NaN.

    Example:
        >>> a = np.zeros((1, 3, 2, 2))
        >>> a[0, 0] = 1.0               # equal everywhere: 0
        >>> a[0, 1, 0, 0] = 5.0         # one position of four: 1
        >>> channel_selectivity(a).round(3).tolist()
        [0.0, 1.0, nan]
    """
    a = _as_nc_m(activation)
    m = a.shape[0] * a.shape[2]
    return _selectivity_from_sums(a.sum(axis=(0, 2)), (a**2).sum(axis=(0, 2)), m)


class LayerStatistics(NamedTuple):
    """Sparsity and selectivity of one layer's activations over a set of inputs.

    Attributes:
        layer: the layer's name.
        shape: the shape of one input's activation, (C, H, W) or (C,).
        sparsity: fraction of activations that are exactly zero.
        dead_fraction: fraction of channels that are zero for every input and position.
        selectivity: median of :math:`S_c` over the channels that are not dead (NaN if all are).
        activity: :math:`q_c` per channel, shape (C,).
        channel_selectivity: :math:`S_c` per channel, shape (C,) (NaN for dead channels).
    """

    layer: str
    shape: tuple[int, ...]
    sparsity: float
    dead_fraction: float
    selectivity: float
    activity: np.ndarray
    channel_selectivity: np.ndarray


class _Accumulator:
    """Sums from which the statistics follow, so that inputs can be processed in batches."""

    def __init__(self) -> None:
        self.shape: tuple[int, ...] | None = None
        self.zeros = 0
        self.count = 0
        self.m = 0
        self.nonzero = self.total = self.total_sq = None

    def add(self, activation: np.ndarray | torch.Tensor, name: str) -> None:
        raw = activation.detach().cpu().numpy() if isinstance(activation, torch.Tensor) else np.asarray(activation)
        a = _as_nc_m(raw, name)
        if self.shape is None:
            self.shape = tuple(raw.shape[1:])
            c = a.shape[1]
            self.nonzero, self.total, self.total_sq = np.zeros(c), np.zeros(c), np.zeros(c)
        self.zeros += int(np.count_nonzero(a == 0))
        self.count += a.size
        self.m += a.shape[0] * a.shape[2]
        self.nonzero += np.count_nonzero(a, axis=(0, 2))
        self.total += a.sum(axis=(0, 2))
        self.total_sq += (a**2).sum(axis=(0, 2))

    def result(self, name: str) -> LayerStatistics:
        activity = self.nonzero / self.m
        selectivity = _selectivity_from_sums(self.total, self.total_sq, self.m)
        live = selectivity[~np.isnan(selectivity)]
        return LayerStatistics(
            layer=name,
            shape=self.shape,
            sparsity=self.zeros / self.count,
            dead_fraction=float(np.mean(activity == 0)),
            selectivity=float(np.median(live)) if live.size else float("nan"),
            activity=activity,
            channel_selectivity=selectivity,
        )


def layer_statistics(activations: Mapping[str, np.ndarray | torch.Tensor]) -> list[LayerStatistics]:
    """Sparsity, dead channels and selectivity of each layer, from activations already computed.

    Args:
        activations: layer name -> activation of shape (N, C, H, W) or (N, C), as returned by
            ``model.activations(x, layers)``.

    Returns:
        One :class:`LayerStatistics` per layer, in the mapping's order.

    Example:
        >>> a = np.zeros((1, 2, 2, 2))
        >>> a[0, 0, 0, 0] = 3.0
        >>> (stats,) = layer_statistics({"conv": a})
        >>> stats.shape, stats.sparsity, stats.dead_fraction, stats.selectivity
        ((2, 2, 2), 0.875, 0.5, 1.0)
    """
    results = []
    for name, activation in activations.items():
        acc = _Accumulator()
        acc.add(activation, name)
        results.append(acc.result(name))
    return results


def activation_statistics(
    model, x: np.ndarray | torch.Tensor, layers: str | Iterable[str] | None = None, batch_size: int | None = None
) -> list[LayerStatistics]:
    """Run ``x`` through ``model`` and measure the sparsity and selectivity of the chosen layers.

    Args:
        model: a network with named layers (``model.activations(x, layers)``, e.g. the small VGG
            or VGG16 of :mod:`cnnkit.models`).
        x: inputs, shape (N, C, H, W).
        layers: names of the layers; None for every named layer.
        batch_size: process this many inputs at a time (the statistics are the same; only the
            memory differs); None for all at once.

    Returns:
        One :class:`LayerStatistics` per layer, in the order of ``layers``.

    Example:
        >>> from cnnkit.models.small_vgg import SmallVGG
        >>> _ = torch.manual_seed(0)
        >>> stats = activation_statistics(SmallVGG(), torch.rand(4, 1, 28, 28), ["block1_conv1", "block3_conv2"])
        >>> [(s.layer, s.shape) for s in stats]
        [('block1_conv1', (16, 28, 28)), ('block3_conv2', (64, 7, 7))]
    """
    names = model.layer_names() if layers is None else ([layers] if isinstance(layers, str) else list(layers))
    n = len(x)
    if batch_size is None:
        batch_size = max(n, 1)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None; got {batch_size!r}")
    accumulators = {name: _Accumulator() for name in names}
    for start in range(0, n, batch_size):
        found = model.activations(x[start : start + batch_size], names)
        for name in names:
            accumulators[name].add(found[name], name)
    return [accumulators[name].result(name) for name in names]


def format_statistics(stats: Iterable[LayerStatistics]) -> str:
    """A fixed-width table of :class:`LayerStatistics`, one row per layer.

    Columns: the layer, the shape of one input's activation, the sparsity (fraction of zeros),
    the dead channels (count, total and fraction) and the median selectivity of the live channels
    (``n/a`` when it is undefined).

    Example:
        >>> a = np.zeros((1, 2, 2, 2))
        >>> a[0, 0, 0, 0] = 3.0
        >>> print(format_statistics(layer_statistics({"conv": a})))
        layer         activation shape zeros  dead channels      selectivity
        conv          (2, 2, 2)        0.875    1 / 2    (0.50)        1.000
    """
    lines = [f"{'layer':<13} {'activation shape':<16} {'zeros':>5}  {'dead channels':<17}  {'selectivity':>11}"]
    for s in stats:
        c = s.shape[0]
        dead = int(round(s.dead_fraction * c))
        shape = "(" + ", ".join(str(d) for d in s.shape) + ("," if len(s.shape) == 1 else "") + ")"
        dead_text = f"{dead:>3} / {c:<4} ({s.dead_fraction:.2f})"
        selectivity = "n/a" if np.isnan(s.selectivity) else f"{s.selectivity:.3f}"
        lines.append(f"{s.layer:<13} {shape:<16} {s.sparsity:>5.3f}  {dead_text:<17}  {selectivity:>11}")
    return "\n".join(lines)
