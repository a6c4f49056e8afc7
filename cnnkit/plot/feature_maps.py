"""Grids of feature maps: what the channels of a convolutional layer respond to, and where.

A convolutional layer's activation for one image has shape (C, H, W): one map of H x W
responses per channel. :func:`plot_feature_map_rows` draws a row of maps for each of several layers, so that
the shrinking resolution and the changing kind of response can be followed through a network.
:func:`plot_layer_statistics` draws how sparse and how selective each layer is
(:mod:`cnnkit.viz.activations` measures both), :func:`plot_statistics_comparison` the same for
two or more networks with the same layers (trained against untrained).
:func:`plot_rgb_filters` draws the filters of a first layer, which see the three colour channels
of the input, as small colour pictures (:func:`rgb_filter_patches` makes them).

Maps after a ReLU are non-negative and are drawn with ``viridis`` from 0 (dark purple) to the
largest value shown (yellow). Signed maps get a diverging map, ``RdBu_r``, with limits
symmetric about zero (white), unless a ``cmap`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cnnkit._checks import check_choice

__all__ = [
    "select_channels",
    "plot_feature_map_rows",
    "plot_layer_statistics",
    "plot_statistics_comparison",
    "rgb_filter_patches",
    "plot_rgb_filters",
]

_SELECT = ("first", "strongest")


def _as_chw(activation, name: str = "activation") -> np.ndarray:
    try:
        import torch

        if isinstance(activation, torch.Tensor):
            activation = activation.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    arr = np.asarray(activation)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3 or arr.size == 0:
        raise ValueError(
            f"{name} must be one image's feature maps, shape (C, H, W) or (1, C, H, W); got shape {arr.shape}"
            + ("; pick one image, e.g. activation[0]" if arr.ndim == 4 else "")
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")
    return arr


def select_channels(activation, n: int = 16, select: str = "first") -> list[int]:
    """Which channels to show.

    Args:
        activation: shape (C, H, W).
        n: how many (at most C).
        select: ``"first"`` for channels 0 … n-1, ``"strongest"`` for the n channels with the
            largest mean activation, strongest first.

    Returns:
        A list of ``min(n, C)`` channel indices.

    Example:
        >>> a = np.zeros((4, 2, 2)); a[2] = 5.0; a[0] = 1.0
        >>> select_channels(a, 2), select_channels(a, 2, "strongest")
        ([0, 1], [2, 0])
    """
    arr = _as_chw(activation)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int; got {n!r}")
    check_choice(select, _SELECT, "select", caller="select_channels")
    n = min(int(n), arr.shape[0])
    if select == "first":
        return list(range(n))
    means = arr.reshape(arr.shape[0], -1).mean(axis=1)
    return [int(c) for c in np.argsort(-means, kind="stable")[:n]]


def _limits_and_cmap(maps: np.ndarray, cmap: str | None) -> tuple[float, float, str]:
    low, high = float(maps.min()), float(maps.max())
    if low < 0:
        top = max(abs(low), abs(high)) or 1.0
        return -top, top, cmap or "RdBu_r"
    return 0.0, (high if high > 0 else 1.0), cmap or "viridis"


def plot_feature_map_rows(
    activations: Mapping[str, object],
    n: int = 8,
    title: str | None = None,
    cmap: str | None = None,
    select: str = "first",
    panel_size: float = 1.0,
    dpi: float | None = None,
):
    """Draw one row of feature maps per layer: ``n`` channels of each, each row on its own colour scale.

    Args:
        activations: layer name -> one image's activation, (C, H, W) or (1, C, H, W).
        n: maps per row (fewer if a layer has fewer channels).
        title: the figure's title (say which weights produced the maps).
        cmap: ``viridis`` from 0 for non-negative maps, ``RdBu_r`` symmetric about 0 for signed ones.
        select: ``"first"`` or ``"strongest"``, see :func:`select_channels`.
        panel_size: size of one panel in inches.
        dpi: the figure's resolution.

    Returns:
        The Figure. Its axes are row by row, ``n`` per row (unused ones removed); the first
        panel of each row has the layer's name and shape as its y label, every panel the channel
        as its title. Within a row, 0 is the colour map's bottom and the row's largest value its top.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> acts = {"a": rng.uniform(size=(4, 8, 8)), "b": rng.uniform(size=(2, 4, 4))}
        >>> fig = plot_feature_map_rows(acts, n=3)
        >>> len(fig.axes), fig.axes[0].get_ylabel(), fig.axes[3].get_ylabel()
        (5, 'a\\n(4, 8, 8)', 'b\\n(2, 4, 4)')
        >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    if not isinstance(activations, Mapping) or not activations:
        raise ValueError("activations must be a non-empty mapping from layer name to a (C, H, W) array")
    layers = {name: _as_chw(a, f"activations[{name!r}]") for name, a in activations.items()}
    chosen = {name: select_channels(a, n, select) for name, a in layers.items()}
    ncols = max(len(c) for c in chosen.values())
    fig, axes = plt.subplots(
        len(layers),
        ncols,
        figsize=(ncols * panel_size + 0.6, len(layers) * panel_size + (0.35 if title else 0.0)),
        squeeze=False,
        dpi=dpi,
        layout="constrained",
    )
    for row, (name, arr) in zip(axes, layers.items()):
        maps = arr[chosen[name]]
        vmin, vmax, cm = _limits_and_cmap(maps, cmap)
        for ax, c, m in zip(row, chosen[name], maps):
            ax.imshow(m, cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_title(str(c), fontsize=7, pad=2)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(f"{name}\n{tuple(arr.shape)}", fontsize=8)
        for ax in row[len(chosen[name]) :]:
            fig.delaxes(ax)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_layer_statistics(stats, title: str | None = None, axes=None, figsize=(9.0, 3.2), dpi: float | None = None):
    """Sparsity and selectivity by layer: a line of the fraction of zeros, a box plot of per-channel selectivity.

    Args:
        stats: a sequence of :class:`cnnkit.viz.activations.LayerStatistics` (anything with
            ``layer``, ``sparsity`` and ``channel_selectivity``), in forward order.
        title: the figure's title (say which weights produced the activations).
        axes: two matplotlib axes to draw on; by default a new figure with two panels.
        figsize: size of a new figure in inches.
        dpi: resolution of a new figure.

    Returns:
        The Figure. ``axes[0]`` holds one line whose y data are the sparsities; ``axes[1]`` one box
        per layer of the selectivities of its live channels (NaN left out). Both y axes run from 0 to 1.

    Example:
        >>> from cnnkit.viz.activations import layer_statistics
        >>> rng = np.random.default_rng(0)
        >>> acts = {name: np.maximum(rng.normal(size=(2, 4, 5, 5)), 0) for name in ("conv1", "conv2")}
        >>> stats = layer_statistics(acts)
        >>> fig = plot_layer_statistics(stats)
        >>> bool(np.allclose(fig.axes[0].lines[0].get_ydata(), [s.sparsity for s in stats]))
        True
        >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    stats = list(stats)
    if not stats:
        raise ValueError("stats must hold at least one layer's statistics")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=figsize, dpi=dpi, layout="constrained")
    else:
        if len(axes) != 2:
            raise ValueError(f"axes must be two matplotlib axes; got {len(axes)}")
        fig = axes[0].figure
    names = [s.layer for s in stats]
    x = np.arange(len(stats))
    left, right = axes
    left.plot(x, [s.sparsity for s in stats], "o-", color="C0")
    left.set_ylim(0, 1)
    left.set_ylabel("fraction of zeros")
    left.set_title("sparsity", fontsize=10)
    data = [np.asarray(s.channel_selectivity)[~np.isnan(s.channel_selectivity)] for s in stats]
    right.boxplot([d if d.size else [np.nan] for d in data], positions=x, widths=0.6, showfliers=False)
    right.set_ylim(0, 1)
    right.set_ylabel("selectivity $S_c$ of each channel")
    right.set_title("per-channel selectivity (box: quartiles)", fontsize=10)
    for ax in axes:
        ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
        ax.set_xlim(-0.5, len(stats) - 0.5)
        ax.grid(axis="y", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _iqr(values: np.ndarray) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if not values.size:
        return (np.nan, np.nan, np.nan)
    low, median, high = np.percentile(values, [25, 50, 75])
    return float(low), float(median), float(high)


def plot_statistics_comparison(
    networks: Mapping[str, Sequence], title: str | None = None, figsize=(9.0, 5.6), dpi: float | None = None
):
    """Sparsity, dead channels, selectivity and image activity by layer, one line per network.

    Four panels sharing the x axis (the layers, in forward order): the fraction of activations
    that are exactly zero; the fraction of channels that are dead; the selectivity :math:`S_c` of
    the live channels; and their image activity :math:`u_c` (the fraction of the inputs a
    channel responds to). The last two show the median as a line and the quartiles as a band.

    Args:
        networks: network label -> its statistics layer by layer (anything with ``layer``,
            ``sparsity``, ``dead_fraction``, ``activity``, ``channel_selectivity`` and
            ``image_activity``, as :class:`cnnkit.viz.activations.LayerStatistics` and
            :class:`~cnnkit.viz.activations.GroupStatistics`), the same layers for every network.
        title: the figure's title.
        figsize: size of the figure in inches.
        dpi: its resolution.

    Returns:
        The Figure; ``fig.axes`` are the four panels in reading order (sparsity, dead channels,
        selectivity, image activity). In each, the k-th line belongs to the k-th network and its
        y data are that network's values (medians in the last two panels). One legend, below the
        panels (``fig.legends[0]``), names the networks.

    Example:
        >>> from cnnkit.viz.activations import layer_statistics
        >>> rng = np.random.default_rng(0)
        >>> relu = lambda shift: {f"conv{k}": np.maximum(rng.normal(size=(3, 4, 5, 5)) - shift, 0) for k in (1, 2)}
        >>> stats = {"A": layer_statistics(relu(0.0)), "B": layer_statistics(relu(1.0))}
        >>> fig = plot_statistics_comparison(stats)
        >>> [round(float(v), 2) for v in fig.axes[0].lines[1].get_ydata()] == [round(s.sparsity, 2) for s in stats["B"]]
        True
        >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    tables = {label: list(stats) for label, stats in networks.items()}
    if not tables or not all(tables.values()):
        raise ValueError("networks must map at least one label to a non-empty list of statistics")
    labels = list(tables)
    names = [s.layer for s in tables[labels[0]]]
    for label in labels[1:]:
        if [s.layer for s in tables[label]] != names:
            raise ValueError(
                f"networks must have the same layers in the same order; {labels[0]!r} and {label!r} differ"
            )
    x = np.arange(len(names))
    fig, axes = plt.subplots(2, 2, figsize=figsize, dpi=dpi, sharex=True, layout="constrained")
    ax_zero, ax_dead, ax_sel, ax_img = axes.flat
    for k, label in enumerate(labels):
        stats = tables[label]
        colour, marker = f"C{k}", "os^dv"[k % 5]
        ax_zero.plot(x, [s.sparsity for s in stats], marker=marker, markersize=3, color=colour, label=label)
        ax_dead.plot(x, [s.dead_fraction for s in stats], marker=marker, markersize=3, color=colour, label=label)
        for ax, values in (
            (ax_sel, [np.asarray(s.channel_selectivity) for s in stats]),
            (ax_img, [np.where(np.asarray(s.activity) > 0, s.image_activity, np.nan) for s in stats]),
        ):
            quartiles = np.array([_iqr(v) for v in values])
            ax.plot(x, quartiles[:, 1], marker=marker, markersize=3, color=colour, label=f"{label} (median)")
            ax.fill_between(x, quartiles[:, 0], quartiles[:, 2], color=colour, alpha=0.2, linewidth=0)
    ax_zero.set_ylim(0, 1)
    ax_zero.set_title("fraction of activations that are zero", fontsize=9)
    ax_dead.set_ylim(bottom=0)
    ax_dead.set_title("fraction of channels dead on every input", fontsize=9)
    ax_sel.set_ylim(0, 1)
    ax_sel.set_title("selectivity $S_c$ of the live channels (band: quartiles)", fontsize=9)
    ax_img.set_ylim(0, 1.02)
    ax_img.set_title("fraction of inputs a live channel responds to", fontsize=9)
    for ax in axes.flat:
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_xlim(-0.5, len(names) - 0.5)
    for ax in axes[1]:
        ax.set_xticks(x, names, rotation=90, fontsize=7.5)
    handles, _ = ax_zero.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def rgb_filter_patches(weight, rtol: float = 1e-5) -> np.ndarray:
    """The filters of a layer with three input channels as RGB pictures, each on its own scale.

    Each filter :math:`w` (3 x kH x kW) is divided by its largest absolute weight and mapped to
    [0, 1] as :math:`0.5 + w / (2 \\max |w|)`: a weight of 0 is mid grey in every channel, the
    filter's largest positive weight is full brightness in its colour, its most negative weight
    is zero in that colour. A pixel of the patch is red where the filter adds red and subtracts
    green and blue; a filter whose weights are the same in R, G and B is grey everywhere (it
    responds to brightness, not to colour). An all-zero filter is uniform mid grey, and so is a
    filter that is zero but for rounding: one whose largest absolute weight is at most ``rtol``
    times the largest of the whole layer (stretching it to full contrast would show only noise).

    Args:
        weight: shape (N, 3, kH, kW), numpy or torch (a ``Conv2d``'s ``weight``).
        rtol: filters whose largest absolute weight is at most ``rtol`` times the layer's largest
            are drawn as zero (mid grey); 0 to stretch every non-zero filter.

    Returns:
        Array of shape (N, kH, kW, 3), values in [0, 1].

    Example:
        >>> w = np.zeros((2, 3, 1, 2))
        >>> w[0, 0, 0, 0], w[0, 2, 0, 1] = 2.0, -1.0   # filter 0: +red on the left, -blue on the right
        >>> rgb_filter_patches(w)[0].tolist()
        [[[1.0, 0.5, 0.5], [0.5, 0.5, 0.25]]]
        >>> float(rgb_filter_patches(w)[1].min()), float(rgb_filter_patches(w)[1].max())   # zero filter
        (0.5, 0.5)
        >>> w[1, 1, 0, 0] = 1e-9                         # zero but for rounding: still drawn mid grey
        >>> float(rgb_filter_patches(w)[1].max()), float(rgb_filter_patches(w, rtol=0)[1].max())
        (0.5, 1.0)
    """
    try:
        import torch

        if isinstance(weight, torch.Tensor):
            weight = weight.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 4 or w.shape[1] != 3 or w.shape[0] == 0:
        raise ValueError(
            f"weight must have shape (N, 3, kH, kW), filters over three colour channels; got shape {w.shape}"
        )
    if not rtol >= 0:
        raise ValueError(f"rtol must be a non-negative number; got {rtol!r}")
    top = np.abs(w).max(axis=(1, 2, 3), keepdims=True)
    live = top > rtol * top.max()
    patches = np.where(live, 0.5 + w / (2 * np.where(live, top, 1.0)), 0.5)
    return np.moveaxis(patches, 1, -1)


def plot_rgb_filters(weight, ax=None, ncols: int = 8, title: str | None = None, gap: int = 1, rtol: float = 1e-5):
    """Draw the filters of a first layer as a mosaic of RGB patches, each on its own scale.

    The patches come from :func:`rgb_filter_patches` (mid grey is 0; see there). They are laid
    out row by row, ``ncols`` per row, separated by ``gap`` white pixels; the x ticks number the
    columns and the y ticks give the index of each row's first filter, so that filter ``i`` is
    in row ``i // ncols``, column ``i % ncols``.

    Args:
        weight: shape (N, 3, kH, kW).
        ax: the axes to draw on; a new figure if None.
        ncols: patches per row.
        title: the axes' title.
        gap: white pixels between patches.
        rtol: filters this much weaker than the layer's strongest are drawn mid grey (see
            :func:`rgb_filter_patches`).

    Returns:
        The ``AxesImage`` of the mosaic; its array has shape
        (rows * (kH + gap) - gap, ncols * (kW + gap) - gap, 3).

    Example:
        >>> w = np.random.default_rng(0).normal(size=(10, 3, 3, 3))
        >>> image = plot_rgb_filters(w, ncols=4)
        >>> image.get_array().shape     # 3 rows of 4 patches of 3x3, 1-pixel gaps
        (11, 15, 3)
        >>> bool(np.allclose(image.get_array()[4:7, 4:7], rgb_filter_patches(w)[5]))   # row 1, column 1
        True
        >>> import matplotlib.pyplot as plt; plt.close(image.figure)
    """
    import matplotlib.pyplot as plt

    patches = rgb_filter_patches(weight, rtol=rtol)
    if not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive int; got {ncols!r}")
    if not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(f"gap must be a non-negative int; got {gap!r}")
    n, kh, kw, _ = patches.shape
    ncols = min(int(ncols), n)
    nrows = -(-n // ncols)
    mosaic = np.ones((nrows * (kh + gap) - gap, ncols * (kw + gap) - gap, 3))
    for i, patch in enumerate(patches):
        top, left = (i // ncols) * (kh + gap), (i % ncols) * (kw + gap)
        mosaic[top : top + kh, left : left + kw] = patch
    if ax is None:
        _, ax = plt.subplots(figsize=(0.35 * ncols * (kw + gap) / 4 + 0.5, 0.35 * nrows * (kh + gap) / 4 + 0.5))
    image = ax.imshow(mosaic, interpolation="nearest")
    ax.set_xticks([c * (kw + gap) + (kw - 1) / 2 for c in range(ncols)], [str(c) for c in range(ncols)], fontsize=7)
    ax.set_yticks(
        [r * (kh + gap) + (kh - 1) / 2 for r in range(nrows)], [str(r * ncols) for r in range(nrows)], fontsize=7
    )
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    return image
