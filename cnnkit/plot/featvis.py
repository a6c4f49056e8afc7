"""Plots for feature visualisation: grids of optimised images, and the objective while it rises.

The images come from :func:`cnnkit.viz.featvis.visualise`. A pixel-parametrised image has no
fixed range, so it is shown as the Keras blog shows it (``normalise="standardise"``: each image
shifted to mean 0.5 and scaled to standard deviation 0.1, then clipped to [0, 1]); a
sigmoid-parametrised one already lies in (0, 1) and is shown as it is (``normalise="clip"``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

__all__ = ["NORMALISATIONS", "display_images", "show_feature_rows", "plot_objective_history"]

NORMALISATIONS = ("clip", "minmax", "standardise")


def display_images(images: Any, normalise: str = "clip") -> np.ndarray:
    """Turn a batch (B, C, H, W) into images ready for ``imshow``, values in [0, 1].

    Args:
        images: a tensor or array of shape (B, C, H, W) with C = 1 or 3.
        normalise: ``"clip"`` (clip to [0, 1]), ``"minmax"`` (each image stretched to [0, 1])
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
    if normalise not in NORMALISATIONS:
        raise ValueError(f"normalise must be one of {', '.join(map(repr, NORMALISATIONS))}; got {normalise!r}")
    axes = (1, 2, 3)
    if normalise == "minmax":
        lo, hi = arr.min(axis=axes, keepdims=True), arr.max(axis=axes, keepdims=True)
        arr = (arr - lo) / np.where(hi > lo, hi - lo, 1.0)
    elif normalise == "standardise":
        mean, std = arr.mean(axis=axes, keepdims=True), arr.std(axis=axes, keepdims=True)
        arr = (arr - mean) / (std + 1e-5) * 0.1 + 0.5
    arr = np.clip(arr, 0.0, 1.0)
    return arr[:, 0] if arr.shape[1] == 1 else np.moveaxis(arr, 1, -1)


def show_feature_rows(
    rows: Sequence[Any],
    labels: Sequence[str],
    titles: Optional[Sequence[Sequence[str]]] = None,
    normalise: str | Sequence[str] = "clip",
    panel_size: float = 0.85,
    dpi: Optional[float] = None,
    suptitle: Optional[str] = None,
    label_width: float = 1.1,
):
    """A grid of visualised filters: one row per batch (a layer, or a method), one panel per filter.

    Grey images are drawn with the ``gray`` colour map from 0 (black) to 1 (white) after
    :func:`display_images`; colour images as RGB.

    Args:
        rows: R batches of shape (B_r, C, H, W) (tensors or arrays); rows may differ in length.
        labels: one label per row, written to the left of it.
        titles: per row, one title per panel (e.g. the channel numbers), or None.
        normalise: one normalisation for every row, or one per row (see :func:`display_images`).
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
    norms = [normalise] * len(rows) if isinstance(normalise, str) else list(normalise)
    if len(norms) != len(rows):
        raise ValueError(f"normalise must be a string or one entry per row ({len(rows)}); got {len(norms)}")
    shown = [display_images(batch, norm) for batch, norm in zip(rows, norms)]
    if titles is not None:
        if len(titles) != len(rows) or any(len(t) != len(s) for t, s in zip(titles, shown)):
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
        left=label_width / figsize[0], right=0.995, bottom=0.01, top=1 - (0.35 if suptitle else 0.05) / figsize[1],
        wspace=0.06, hspace=0.3 if titles is not None else 0.06,
    )
    return fig


def plot_objective_history(
    histories: Sequence[np.ndarray],
    labels: Sequence[str],
    ax: Any = None,
    relative: bool = False,
):
    """The objective during optimisation: the mean over the batch, step by step, one line per run.

    Args:
        histories: arrays (steps, B), as :func:`cnnkit.viz.featvis.visualise` returns.
        labels: one legend label per run.
        ax: axes to draw on; default a new figure's.
        relative: divide each line by its value at the first step.

    Returns:
        The list of ``Line2D`` drawn.

    Example:
        >>> lines = plot_objective_history([np.array([[1.0, 3.0], [2.0, 4.0]])], ["run"])
        >>> lines[0].get_ydata().tolist()
        [2.0, 3.0]
    """
    import matplotlib.pyplot as plt

    if len(histories) != len(labels):
        raise ValueError(f"labels must have one entry per history ({len(histories)}); got {len(labels)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 2.8))
    lines = []
    for history, label in zip(histories, labels):
        h = np.asarray(history, dtype=np.float64)
        if h.ndim != 2:
            raise ValueError(f"each history must have shape (steps, B); got shape {h.shape}")
        mean = h.mean(axis=1)
        if relative:
            mean = mean / (mean[0] if mean[0] != 0 else 1.0)
        (line,) = ax.plot(np.arange(1, len(mean) + 1), mean, label=label)
        lines.append(line)
    ax.set_xlabel("step")
    ax.set_ylabel("objective / first step" if relative else "mean objective over the batch")
    ax.legend(fontsize=8)
    return lines
