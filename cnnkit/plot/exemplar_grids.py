"""Drawing dataset exemplars: the inputs that make a filter respond most, with the receptive field.

The exemplars themselves are computed by :mod:`cnnkit.viz.exemplars`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from cnnkit.viz.exemplars import Exemplars, exemplar_patches

__all__ = ["plot_exemplars"]


def _as_display(image: np.ndarray) -> tuple[np.ndarray, dict]:
    """(C, H, W) -> what imshow needs: grey (H, W) with a colour map, or RGB (H, W, 3)."""
    if image.shape[0] == 1:
        return image[0], {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    return np.clip(np.moveaxis(image, 0, -1), 0, 1), {}


def plot_exemplars(
    exemplars: Exemplars,
    images: np.ndarray | torch.Tensor,
    patches: bool = False,
    rows: Sequence[int] | None = None,
    panel_size: float = 0.8,
    dpi: float | None = None,
    color: str = "tab:red",
    suptitle: str | None = None,
):
    """One row per channel: its ``k`` exemplars, strongest first, with the receptive field drawn.

    Each panel's title is the activation value. With ``patches=True`` each panel shows only the
    patch inside the receptive field (:func:`cnnkit.viz.exemplars.exemplar_patches`) instead of the whole image with
    the rectangle. Grey images are drawn with the ``gray`` colour map from 0 (black) to 1
    (white); colour images as RGB.

    Args:
        exemplars: from :func:`cnnkit.viz.exemplars.top_activating`.
        images: the same images that were passed to :func:`~cnnkit.viz.exemplars.top_activating`, (N, C, H, W).
        patches: show the patches rather than the whole images.
        rows: which of the exemplars' channels to draw, as indices into ``exemplars.channels``;
            default all.
        panel_size: size of one panel in inches.
        dpi: figure resolution.
        color: colour of the receptive-field rectangles.
        suptitle: a title above all panels.

    Returns:
        The ``Figure``; axes row by row (channel by channel), ``k`` per row.

    Example:
        >>> from cnnkit.viz.exemplars import Exemplars, LayerGeometry
        >>> g = LayerGeometry((3, 3), (1, 1), (-1, -1))
        >>> ex = Exemplars("l", [4], np.array([[0, 1]]), np.array([[2.0, 1.0]]),
        ...                np.array([[[1, 1], [0, 0]]]), np.array([[[0, 0, 3, 3], [0, 0, 2, 2]]]), g)
        >>> fig = plot_exemplars(ex, np.zeros((2, 1, 4, 4)))
        >>> [ax.get_title() for ax in fig.axes], fig.axes[1].patches[0].get_width()
        (['2.00', '1.00'], 2)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    arr = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if rows is not None:
        exemplars = exemplars.select(rows)
    n_rows, k = exemplars.indices.shape
    crops = exemplar_patches(exemplars, arr) if patches else None
    figsize = (panel_size * k + 0.6, (panel_size + 0.25) * n_rows + (0.3 if suptitle else 0))
    fig, axes = plt.subplots(n_rows, k, figsize=figsize, dpi=dpi, squeeze=False)
    for r in range(n_rows):
        for c in range(k):
            ax = axes[r, c]
            idx = int(exemplars.indices[r, c])
            top, left, bottom, right = (int(v) for v in exemplars.boxes[r, c])
            shown, kwargs = _as_display(crops[r][c] if crops is not None else arr[idx])
            ax.imshow(shown, interpolation="nearest", **kwargs)
            if crops is None:
                ax.add_patch(
                    Rectangle(
                        (left - 0.5, top - 0.5), right - left, bottom - top, fill=False, edgecolor=color, linewidth=1.2
                    )
                )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{exemplars.values[r, c]:.2f}", fontsize=7, pad=2)
        axes[r, 0].set_ylabel(f"{exemplars.layer}:{exemplars.channels[r]}", fontsize=7)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig
