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
  (:math:`M = 1`, a fully connected layer seen on one image);
- per channel, the **image activity** :math:`u_c`, the fraction of the ``N`` inputs on which
  channel ``c`` is non-zero at one position at least,

  .. math:: u_c = \\frac{1}{N} \\sum_n \\left[\\max_p a_{n,c,p} > 0\\right] \\quad (a \\ge 0).

  :math:`q_c` says how much of the (image, position) pairs a channel covers, :math:`u_c` on how
  many of the inputs it responds at all: a channel that detects one kind of object somewhere in
  the picture has a small :math:`u_c`, one that responds to a little of every picture has
  :math:`u_c = 1` however small its :math:`q_c`.

:func:`activation_statistics` runs a model with named layers (:class:`cnnkit.models.named.NamedLayersMixin`)
and returns these per layer; :func:`format_statistics` writes them as a table.
:func:`group_statistics` pools the channels of several layers (the layers of one stage of a
network, say) and :func:`format_comparison` puts the statistics of two or more networks with
the same layers side by side (trained against untrained).

:func:`bn_zero_fraction` *predicts* each channel's fraction of zeros from the parameters of the
batch normalisation before its ReLU, :math:`\\Phi(-\\beta_c/|\\gamma_c|)` for a Gaussian
pre-activation, so that the measured activity can be compared with it.
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
    "image_activity",
    "LayerStatistics",
    "layer_statistics",
    "activation_statistics",
    "format_statistics",
    "GroupStatistics",
    "group_statistics",
    "format_comparison",
    "bn_zero_fraction",
]


def _as_nc_m(a: np.ndarray | torch.Tensor, name: str = "activation") -> np.ndarray:
    """Activations of shape (N, C, ...) as a float array (N, C, P); float32 stays float32.

    Sums over it are taken with a float64 accumulator (``dtype=np.float64``), so that a float32
    activation is not copied to float64 first (it is large: one layer of one photograph can hold
    a million numbers).
    """
    arr = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim < 2 or arr.size == 0:
        raise ValueError(f"{name} must have shape (N, C) or (N, C, H, W) with N, C >= 1; got shape {arr.shape}")
    arr = arr.reshape(arr.shape[0], arr.shape[1], -1)
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def _sum_and_sum_of_squares(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per channel of (N, C, P): the sum and the sum of squares, accumulated in float64."""
    return a.sum(axis=(0, 2), dtype=np.float64), np.einsum("ncp,ncp->c", a, a, dtype=np.float64)


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
    return _selectivity_from_sums(*_sum_and_sum_of_squares(a), m)


def image_activity(activation: np.ndarray | torch.Tensor) -> np.ndarray:
    """Per channel, the fraction :math:`u_c` of the inputs on which it is non-zero somewhere.

    Where :func:`channel_activity` counts (image, position) pairs, this counts images: a channel
    is active on an image if it is non-zero at one position at least.

    Args:
        activation: shape (N, C, H, W) or (N, C), N inputs.

    Returns:
        Array of shape (C,), values in {0, 1/N, ..., 1}.

    Example:
        >>> a = np.zeros((4, 3, 2, 2))
        >>> a[:, 0, 1, 1] = 1.0         # channel 0: one position, on every image
        >>> a[0, 1] = 2.0               # channel 1: everywhere, on image 0 only; channel 2 never
        >>> image_activity(a).tolist(), channel_activity(a).tolist()
        ([1.0, 0.25, 0.0], [0.25, 0.25, 0.0])
    """
    a = _as_nc_m(activation)
    return (a != 0).any(axis=2).mean(axis=0)


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
        image_activity: :math:`u_c` per channel, shape (C,): the fraction of the inputs on which
            the channel is non-zero somewhere.
    """

    layer: str
    shape: tuple[int, ...]
    sparsity: float
    dead_fraction: float
    selectivity: float
    activity: np.ndarray
    channel_selectivity: np.ndarray
    image_activity: np.ndarray


class _Accumulator:
    """Sums from which the statistics follow, so that inputs can be processed in batches."""

    def __init__(self) -> None:
        self.shape: tuple[int, ...] = ()  # one input's activation shape, set by the first add()
        self.zeros = 0
        self.count = 0
        self.m = 0
        self.n = 0
        empty = np.zeros(0)
        self.nonzero, self.images, self.total, self.total_sq = empty, empty, empty, empty

    def add(self, activation: np.ndarray | torch.Tensor, name: str) -> None:
        raw = activation.detach().cpu().numpy() if isinstance(activation, torch.Tensor) else np.asarray(activation)
        a = _as_nc_m(raw, name)
        if not self.shape:
            self.shape = tuple(raw.shape[1:])
            c = a.shape[1]
            self.nonzero, self.images, self.total, self.total_sq = np.zeros(c), np.zeros(c), np.zeros(c), np.zeros(c)
        nonzero = a != 0  # one pass gives the zeros, the activity and the image activity
        per_channel = np.count_nonzero(nonzero, axis=(0, 2))
        self.zeros += a.size - int(per_channel.sum())
        self.count += a.size
        self.m += a.shape[0] * a.shape[2]
        self.n += a.shape[0]
        self.nonzero += per_channel
        self.images += nonzero.any(axis=2).sum(axis=0)
        total, total_sq = _sum_and_sum_of_squares(a)
        self.total += total
        self.total_sq += total_sq

    def result(self, name: str) -> LayerStatistics:
        if not self.shape:
            raise ValueError(f"no activations of {name!r} were added")
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
            image_activity=self.images / self.n,
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
    stats = list(stats)
    width = max([13] + [len(s.layer) for s in stats])
    lines = [f"{'layer':<{width}} {'activation shape':<16} {'zeros':>5}  {'dead channels':<17}  {'selectivity':>11}"]
    for s in stats:
        c = s.shape[0]
        dead = round(s.dead_fraction * c)
        shape = "(" + ", ".join(str(d) for d in s.shape) + ("," if len(s.shape) == 1 else "") + ")"
        dead_text = f"{dead:>3} / {c:<4} ({s.dead_fraction:.2f})"
        selectivity = "n/a" if np.isnan(s.selectivity) else f"{s.selectivity:.3f}"
        lines.append(f"{s.layer:<{width}} {shape:<16} {s.sparsity:>5.3f}  {dead_text:<17}  {selectivity:>11}")
    return "\n".join(lines)


class GroupStatistics(NamedTuple):
    """Sparsity and selectivity of the channels of several layers taken together (one stage, say).

    Attributes:
        layer: the group's name (called ``layer`` so that a group can stand wherever a layer's
            statistics can, as in :func:`cnnkit.plot.feature_maps.plot_layer_statistics`).
        layers: the names of the layers pooled.
        channels: their number of channels, together.
        sparsity: fraction of all their activations that are exactly zero.
        dead_fraction: fraction of their channels that are zero for every input and position.
        selectivity: median of :math:`S_c` over their live channels (NaN if none is live).
        activity: the layers' per-channel activities, one after the other, shape (channels,).
        channel_selectivity: the layers' per-channel selectivities, likewise.
        image_activity: the layers' per-channel image activities, likewise.
    """

    layer: str
    layers: tuple[str, ...]
    channels: int
    sparsity: float
    dead_fraction: float
    selectivity: float
    activity: np.ndarray
    channel_selectivity: np.ndarray
    image_activity: np.ndarray


def group_statistics(stats: Iterable[LayerStatistics], groups: Mapping[str, Iterable[str]]) -> list[GroupStatistics]:
    """Pool the channels of groups of layers measured on the same inputs.

    The group's sparsity is that of all its activations together: each layer's sparsity weighted
    by the size of its activation, :math:`s = \\sum_l s_l |a_l| / \\sum_l |a_l|`. Its channels are
    those of all its layers, so its dead fraction and its median selectivity are taken over all
    of them.

    Args:
        stats: per-layer statistics (from :func:`activation_statistics` or
            :func:`layer_statistics`), all measured on the same inputs.
        groups: group name -> the names of its layers, in the order the groups should come.

    Returns:
        One :class:`GroupStatistics` per group.

    Raises:
        KeyError: a layer that is not in ``stats``.
        ValueError: a group with no layers.

    Example:
        >>> a = np.zeros((1, 2, 2, 2)); a[0, 0] = 1.0     # 8 values, half zero, channel 1 dead
        >>> b = np.ones((1, 4, 1, 1)); b[0, 3] = 0.0      # 4 values, one zero, channel 3 dead
        >>> (g,) = group_statistics(layer_statistics({"a": a, "b": b}), {"both": ["a", "b"]})
        >>> g.layers, g.channels, round(g.sparsity, 4), g.dead_fraction
        (('a', 'b'), 6, 0.4167, 0.3333333333333333)
    """
    from cnnkit.models.named import unknown_layer_error

    by_name = {s.layer: s for s in stats}
    result = []
    for group, names in groups.items():
        names = [names] if isinstance(names, str) else list(names)
        if not names:
            raise ValueError(f"group {group!r} has no layers; give it at least one layer name")
        for name in names:
            if name not in by_name:
                raise unknown_layer_error(name, list(by_name))
        members = [by_name[name] for name in names]
        sizes = np.array([np.prod(s.shape) for s in members], dtype=np.float64)
        activity = np.concatenate([s.activity for s in members])
        selectivity = np.concatenate([s.channel_selectivity for s in members])
        live = selectivity[~np.isnan(selectivity)]
        result.append(
            GroupStatistics(
                layer=group,
                layers=tuple(names),
                channels=int(activity.size),
                sparsity=float(np.dot(sizes, [s.sparsity for s in members]) / sizes.sum()),
                dead_fraction=float(np.mean(activity == 0)),
                selectivity=float(np.median(live)) if live.size else float("nan"),
                activity=activity,
                channel_selectivity=selectivity,
                image_activity=np.concatenate([s.image_activity for s in members]),
            )
        )
    return result


def _median_live(values: np.ndarray, activity: np.ndarray) -> float:
    live = np.asarray(values)[(np.asarray(activity) > 0) & ~np.isnan(values)]
    return float(np.median(live)) if live.size else float("nan")


def format_comparison(networks: Mapping[str, Iterable[LayerStatistics | GroupStatistics]]) -> str:
    """The statistics of two or more networks with the same layers, side by side, one row per layer.

    Four measures, each with one column per network: **zeros**, the sparsity; **dead**, the
    number of dead channels; **selectivity**, the median :math:`S_c` of the live channels;
    **images**, the median image activity :math:`u_c` of the live channels (the fraction of the
    inputs a channel responds to). ``n/a`` where a median is undefined.

    Args:
        networks: network label (``"trained"``, ``"untrained"``) -> its statistics, layer by
            layer (:class:`LayerStatistics` or :class:`GroupStatistics`), the same layers in the
            same order for every network.

    Raises:
        ValueError: no networks, or networks whose layers differ.

    Example:
        >>> a = np.zeros((2, 2, 2, 2)); a[0, 0, 0, 0] = 3.0; a[:, 1] = 1.0
        >>> b = np.ones((2, 2, 2, 2))
        >>> print(format_comparison({"A": layer_statistics({"conv": a}), "B": layer_statistics({"conv": b})}))
                           zeros         dead       selectivity     images
        layer channels      A      B      A      B      A      B      A      B
        conv         2  0.438  0.000      0      0  0.500  0.000   0.75   1.00
    """
    tables = {label: list(stats) for label, stats in networks.items()}
    if not tables:
        raise ValueError("networks must map at least one label to a list of statistics")
    labels = list(tables)
    rows = [s.layer for s in tables[labels[0]]]
    for label in labels[1:]:
        other = [s.layer for s in tables[label]]
        if other != rows:
            raise ValueError(
                f"networks must have the same layers in the same order; {labels[0]!r} has {rows}, {label!r} has {other}"
            )
    cell = max([6] + [len(label) for label in labels])
    block = len(labels) * (cell + 1)
    name_width = max([5] + [len(r) for r in rows])
    measures = ["zeros", "dead", "selectivity", "images"]
    head1 = f"{'':<{name_width}} {'':>8}" + "".join(f" {m:^{block - 1}}" for m in measures)
    head2 = f"{'layer':<{name_width}} {'channels':>8}" + "".join(
        f" {label:>{cell}}" for _ in measures for label in labels
    )
    lines = [head1, head2]
    for i, row in enumerate(rows):
        per = [tables[label][i] for label in labels]
        cells: list[str] = []
        cells += [f"{s.sparsity:.3f}" for s in per]
        cells += [str(round(s.dead_fraction * len(s.activity))) for s in per]
        for s in per:
            cells.append("n/a" if np.isnan(s.selectivity) else f"{s.selectivity:.3f}")
        for s in per:
            u = _median_live(s.image_activity, s.activity)
            cells.append("n/a" if np.isnan(u) else f"{u:.2f}")
        lines.append(f"{row:<{name_width}} {len(per[0].activity):>8}" + "".join(f" {c:>{cell}}" for c in cells))
    return "\n".join(line.rstrip() for line in lines)


def bn_zero_fraction(bn: torch.nn.Module) -> np.ndarray:
    """Predict each channel's fraction of zeros after batch normalisation and a ReLU (or ReLU6).

    In eval mode, batch normalisation turns channel ``c``'s input :math:`z` into
    :math:`y = \\gamma_c (z - \\mu_c)/\\sqrt{\\sigma_c^2 + \\epsilon} + \\beta_c`, with the
    running mean :math:`\\mu_c` and variance :math:`\\sigma_c^2` gathered in training. *If* the
    input is Gaussian with these statistics, :math:`z \\sim N(\\mu_c, \\sigma_c^2)`, then
    :math:`y \\sim N(\\beta_c, \\gamma_c^2 \\sigma_c^2 / (\\sigma_c^2 + \\epsilon))`, and a ReLU
    outputs zero wherever :math:`y \\le 0`:

    .. math::

        P(y \\le 0) = \\Phi\\!\\left(-\\frac{\\beta_c \\sqrt{\\sigma_c^2 + \\epsilon}}{|\\gamma_c|\\,\\sigma_c}\\right)
        \\approx \\Phi\\!\\left(-\\frac{\\beta_c}{|\\gamma_c|}\\right) \\quad (\\sigma_c^2 \\gg \\epsilon),

    with :math:`\\Phi` the standard normal distribution function. A channel whose output cannot
    vary (:math:`\\gamma_c = 0` or :math:`\\sigma_c = 0`) outputs the constant :math:`\\beta_c`: its
    prediction is 1 if :math:`\\beta_c \\le 0`, else 0. The prediction is only as good as the
    assumption: inputs far from Gaussian (a spike of exact zeros, few summands) or data unlike
    the training data make it miss.

    Args:
        bn: a ``BatchNorm1d``/``2d``/``3d`` with running statistics (``track_running_stats``).

    Returns:
        float64 array of shape (C,), values in [0, 1].

    Raises:
        ValueError: ``bn`` keeps no running statistics.

    Example:
        >>> bn = torch.nn.BatchNorm2d(3, eps=0.0)
        >>> with torch.no_grad():
        ...     _ = bn.bias.copy_(torch.tensor([0.0, -1.0, 2.0]))
        ...     _ = bn.weight.copy_(torch.tensor([1.0, 1.0, -2.0]))
        >>> bn_zero_fraction(bn).round(4).tolist()   # Phi(0), Phi(1), Phi(-1)
        [0.5, 0.8413, 0.1587]
    """
    from scipy.special import ndtr

    var = getattr(bn, "running_var", None)
    if not isinstance(var, torch.Tensor):
        raise ValueError(
            f"bn_zero_fraction: {type(bn).__name__} keeps no running statistics "
            "(track_running_stats=False); the prediction needs running_var"
        )
    v = var.detach().double().cpu().numpy()
    c = v.shape[0]
    weight, bias, eps = getattr(bn, "weight", None), getattr(bn, "bias", None), float(getattr(bn, "eps", 0.0))
    gamma = weight.detach().double().cpu().numpy() if isinstance(weight, torch.Tensor) else np.ones(c)
    beta = bias.detach().double().cpu().numpy() if isinstance(bias, torch.Tensor) else np.zeros(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.abs(gamma) * np.nan_to_num(np.sqrt(v / (v + eps)))  # 0/0 (no variance, eps 0) -> 0
    constant = spread == 0
    predicted = ndtr(-beta / np.where(constant, 1.0, spread))
    return np.where(constant, (beta <= 0).astype(np.float64), predicted)
