"""Figures of feature visualisation: grids of optimised images, and channels against random directions.

The images come from :func:`cnnkit.viz.featvis.visualise`. :func:`plot_basis_vs_random` compares
a number measured for the channels of a layer with the same number for random directions. A pixel-parametrised image has no
fixed range, so it is shown as the Keras blog shows it (``normalize="standardise"``: each image
shifted to mean 0.5 and scaled to standard deviation 0.1, then clipped to [0, 1]); a
sigmoid-parametrised one already lies in (0, 1) and is shown as it is (``normalize="clip"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnkit._checks import check_choice
from cnnkit.ops.intensity import minmax_scale

__all__ = ["NORMALIZATIONS", "display_images", "show_feature_rows", "plot_basis_vs_random"]

NORMALIZATIONS = ("clip", "minmax", "standardise")


def display_images(images: Any, normalize: str = "clip") -> np.ndarray:
    """Turn a batch (B, C, H, W) into images ready for ``imshow``, values in [0, 1].

    Args:
        images: a tensor or array of shape (B, C, H, W) with C = 1 or 3.
        normalize: ``"clip"`` (clip to [0, 1]), ``"minmax"`` (each image stretched to [0, 1])
            or ``"standardise"`` (each image to mean 0.5 and standard deviation 0.1, clipped;
            the Keras blog's ``deprocess_image``).

    Returns:
        Array (B, H, W) for grey images, (B, H, W, 3) for colour ones.

    Example:
        >>> x = np.array([[[[0.0, 2.0], [4.0, 6.0]]]])
        >>> display_images(x, "minmax")[0].tolist()
        [[0.0, 0.3333333333333333], [0.6666666666666666, 1.0]]
        >>> display_images(x, "clip")[0].tolist()
        [[0.0, 1.0], [1.0, 1.0]]
    """
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (B, C, H, W) with C = 1 or 3; got shape {arr.shape}")
    check_choice(normalize, NORMALIZATIONS, "normalize", caller="display_images")
    axes = (1, 2, 3)
    if normalize == "minmax":
        arr = minmax_scale(arr, axis=axes)
    elif normalize == "standardise":
        mean, std = arr.mean(axis=axes, keepdims=True), arr.std(axis=axes, keepdims=True)
        arr = (arr - mean) / (std + 1e-5) * 0.1 + 0.5
    arr = np.clip(arr, 0.0, 1.0)
    return arr[:, 0] if arr.shape[1] == 1 else np.moveaxis(arr, 1, -1)


def show_feature_rows(
    rows: Sequence[Any],
    labels: Sequence[str],
    titles: Sequence[Sequence[str]] | None = None,
    normalize: str | Sequence[str] = "clip",
    panel_size: float = 0.85,
    dpi: float | None = None,
    suptitle: str | None = None,
    label_width: float = 1.1,
):
    """A grid of visualised filters: one row per batch (a layer, or a method), one panel per filter.

    Grey images are drawn with the ``gray`` colour map from 0 (black) to 1 (white) after
    :func:`display_images`; colour images as RGB.

    Args:
        rows: R batches of shape (B_r, C, H, W) (tensors or arrays); rows may differ in length.
        labels: one label per row, written to the left of it.
        titles: per row, one title per panel (e.g. the channel numbers), or None.
        normalize: one normalisation for every row, or one per row (see :func:`display_images`).
        panel_size: size of one panel in inches.
        dpi: figure resolution.
        suptitle: a title above the grid.
        label_width: inches kept free on the left for the row labels.

    Returns:
        The ``Figure``; ``fig.axes`` row by row, ``max(B_r)`` axes per row (spare ones hidden).

    Example:
        >>> fig = show_feature_rows([np.zeros((3, 1, 5, 5)), np.ones((2, 3, 5, 5))], ["grey", "colour"])
        >>> len(fig.axes), [ax.get_visible() for ax in fig.axes[3:]]
        (6, [True, True, False])
        >>> fig.axes[3].images[0].get_array().shape
        (5, 5, 3)
    """
    import matplotlib.pyplot as plt

    if len(rows) == 0:
        raise ValueError("rows must contain at least one batch of images")
    if len(labels) != len(rows):
        raise ValueError(f"labels must have one entry per row ({len(rows)}); got {len(labels)}")
    norms = [normalize] * len(rows) if isinstance(normalize, str) else list(normalize)
    if len(norms) != len(rows):
        raise ValueError(f"normalize must be a string or one entry per row ({len(rows)}); got {len(norms)}")
    shown = [display_images(batch, norm) for batch, norm in zip(rows, norms)]
    if titles is not None and (len(titles) != len(rows) or any(len(t) != len(s) for t, s in zip(titles, shown))):
        raise ValueError("titles must give one title per image, row by row")
    ncols = max(len(s) for s in shown)
    extra = 0.22 if titles is not None else 0.05
    figsize = (label_width + panel_size * ncols, (panel_size + extra) * len(rows) + (0.35 if suptitle else 0.05))
    fig, axes = plt.subplots(len(rows), ncols, figsize=figsize, dpi=dpi, squeeze=False)
    for r, images in enumerate(shown):
        for c in range(ncols):
            ax = axes[r, c]
            if c >= len(images):
                ax.set_visible(False)
                continue
            if images.ndim == 3:
                ax.imshow(images[c], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(images[c], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None:
                ax.set_title(titles[r][c], fontsize=7, pad=2)
        axes[r, 0].set_ylabel(labels[r], fontsize=8, rotation=0, ha="right", va="center", labelpad=4)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    fig.subplots_adjust(
        left=label_width / figsize[0],
        right=0.995,
        bottom=0.01,
        top=1 - (0.35 if suptitle else 0.05) / figsize[1],
        wspace=0.06,
        hspace=0.3 if titles is not None else 0.06,
    )
    return fig


def plot_basis_vs_random(
    basis: Any,
    random: Any,
    ax: Any = None,
    kind: str = "hist",
    bins: int | Sequence[float] = 20,
    log: bool = False,
    labels: Sequence[str] = ("channels", "random directions"),
    colors: Sequence[str] = ("tab:orange", "tab:blue"),
):
    """Compare a number measured along the channels (basis directions) with random directions.

    ``kind="hist"`` draws two step histograms whose heights are the *fraction* of each group
    in a bin (so that 80 channels and 200 directions are comparable); ``kind="strip"`` draws
    one dot per direction on two rows (for a few dozen values). A dashed line marks the
    channels' median in both.

    Args:
        basis: values for the channels, shape (n,).
        random: values for the random directions, shape (m,).
        ax: axes to draw on; default a new figure's.
        kind: ``"hist"`` or ``"strip"``.
        bins: number of bins, or their edges (``kind="hist"``); shared by both groups.
        log: logarithmic value axis (the values must be positive).
        labels: legend labels (hist) or row labels (strip) of the two groups.
        colors: their colours.

    Returns:
        A dict with ``"basis"`` and ``"random"`` (the drawn artists) and ``"median"`` (the line).

    Example:
        >>> drawn = plot_basis_vs_random([1.0, 2.0, 3.0], [1.5, 2.5], kind="strip")
        >>> list(drawn["median"].get_xdata()), drawn["random"].get_offsets()[:, 0].tolist()
        ([2.0, 2.0], [1.5, 2.5])
    """
    import matplotlib.pyplot as plt

    b = np.asarray(basis, dtype=np.float64).reshape(-1)
    r = np.asarray(random, dtype=np.float64).reshape(-1)
    b, r = b[np.isfinite(b)], r[np.isfinite(r)]
    if len(b) == 0 or len(r) == 0:
        raise ValueError("basis and random must each hold at least one finite value")
    check_choice(kind, ("hist", "strip"), "kind", caller="plot_basis_vs_random")
    if log and (b.min() <= 0 or r.min() <= 0):
        raise ValueError("log=True needs positive values")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 2.6))
    median = float(np.median(b))
    if kind == "hist":
        both = np.concatenate([b, r])
        if isinstance(bins, int):
            lo, hi = both.min(), both.max()
            edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
        else:
            edges = np.asarray(bins, dtype=np.float64)
        *_, pb = ax.hist(
            b,
            edges,
            weights=np.full(len(b), 1 / len(b)),
            histtype="step",
            lw=1.6,
            color=colors[0],
            label=f"{labels[0]} ({len(b)})",
        )
        *_, pr = ax.hist(
            r,
            edges,
            weights=np.full(len(r), 1 / len(r)),
            histtype="step",
            lw=1.6,
            color=colors[1],
            label=f"{labels[1]} ({len(r)})",
        )
        ax.set_ylabel("fraction")
        ax.legend(fontsize=7, frameon=False)
        drawn = {"basis": pb, "random": pr}
    else:
        rng = np.random.default_rng(0)
        pb = ax.scatter(b, 1 + rng.uniform(-0.12, 0.12, len(b)), s=14, color=colors[0])
        pr = ax.scatter(r, rng.uniform(-0.12, 0.12, len(r)), s=14, color=colors[1])
        ax.set_yticks([1, 0], [f"{labels[0]} ({len(b)})", f"{labels[1]} ({len(r)})"])
        ax.set_ylim(-0.5, 1.5)
        drawn = {"basis": pb, "random": pr}
    if log:
        ax.set_xscale("log")
    drawn["median"] = ax.axvline(median, color=colors[0], ls="--", lw=1)
    return drawn
