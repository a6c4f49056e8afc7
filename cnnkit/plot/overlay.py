"""Lay a heat map (a class activation map, a saliency or occlusion map) over the image it explains.

:func:`overlay_map` draws one image in grey (or in colour) with a semi-transparent heat map on
top, resized bilinearly to the image when it is smaller (a 7x7 CAM over a 28x28 digit), each
cell placed on the centre of its receptive field when the layer's geometry is given;
:func:`draw_box` adds a bounding box; :func:`overlay_grid` makes a figure of many overlays with
titles, for example one digit of each class.

Every helper takes ``ax=None`` (or makes its own figure), draws, and returns what it drew;
none calls ``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from cnnkit._checks import as_array
from cnnkit.viz.cam import upsample_map

__all__ = ["Overlay", "overlay_map", "draw_box", "overlay_grid"]


class Overlay(NamedTuple):
    """What :func:`overlay_map` drew: the image and the heat map, two ``AxesImage`` artists."""

    image: Any
    heatmap: Any


def _as_picture(image: Any) -> np.ndarray:
    arr = as_array(image, "image")
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3):
        return arr
    raise ValueError(f"image must have shape (H, W), (1, H, W) or (H, W, 3); got shape {tuple(arr.shape)}")


def overlay_map(
    image: Any,
    heatmap: Any,
    ax: Any = None,
    alpha: float = 0.5,
    cmap: str = "inferno",
    vmin: float | None = None,
    vmax: float | None = None,
    image_cmap: str = "gray",
    symmetric: bool = False,
    percentile: float = 100.0,
    geometry: Any = None,
) -> Overlay:
    """Draw ``image`` and, on top of it, ``heatmap`` with transparency ``alpha``.

    A heat map smaller than the image is upsampled bilinearly to the image's size
    (:func:`cnnkit.viz.cam.upsample_map`). With ``geometry``, the receptive field of the layer
    the map comes from, each cell's value is put on the centre of its field; without it, on
    the centre of its block of pixels, which is right for symmetric padding (each cell of the
    small VGG's 7x7 CAM on its 4x4 block of a 28x28 digit) and not for TensorFlow's
    (EfficientNet-Lite0's head cell ``u`` is centred on pixel ``32u + 31``, not ``32u + 15.5``).
    The axes' ticks are removed.

    Args:
        image: (H, W) or (1, H, W) grey image (drawn with ``image_cmap``), or (H, W, 3) colour
            image with values in [0, 1].
        heatmap: (h, w) map, h <= H and w <= W.
        ax: the axes to draw on; a new figure's axes if None.
        alpha: opacity of the heat map, in [0, 1].
        cmap: colour map of the heat map (perceptually uniform ``'inferno'`` by default).
        vmin, vmax: values mapped to the ends of ``cmap``; the map's minimum and maximum if None.
        image_cmap: colour map of a grey image.
        symmetric: centre the colours on zero, with limits ``-L`` and ``+L`` where ``L`` is the
            ``percentile``-th percentile of ``|heatmap|`` (for a signed map and a diverging ``cmap``
            such as ``'RdBu_r'``); not with vmin or vmax.
        percentile: with ``symmetric``, 100 (the default) puts the largest value at the end of the
            colour map; 99 lets the top 1% saturate, so that a few extreme values (common in
            gradient maps) do not leave the rest of the map white.
        geometry: None, or the heat map's layer geometry (``size``, ``jump``, ``offset``:
            :func:`cnnkit.viz.exemplars.layer_geometry` for the image's size), passed to
            :func:`~cnnkit.viz.cam.upsample_map`.

    Returns:
        An :class:`Overlay` of the two ``AxesImage`` artists; ``overlay.heatmap`` is the one to
        give ``plt.colorbar``.

    Example:
        >>> o = overlay_map(np.zeros((28, 28)), np.eye(7), alpha=0.4)
        >>> o.heatmap.get_array().shape, o.heatmap.get_alpha(), o.heatmap.get_cmap().name
        ((28, 28), 0.4, 'inferno')
        >>> o = overlay_map(np.zeros((4, 4)), np.array([[-1.0, 3.0], [0.0, 2.0]]), cmap="RdBu_r", symmetric=True)
        >>> o.heatmap.get_clim()
        (-3.0, 3.0)
        >>> overlay_map(np.zeros((2, 2)), np.arange(-2.0, 2.0).reshape(2, 2), symmetric=True, percentile=50).heatmap.get_clim()
        (-1.0, 1.0)
    """
    import matplotlib.pyplot as plt

    picture = _as_picture(image)
    heat = as_array(heatmap, "heatmap").astype(np.float64)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must have shape (h, w); got shape {tuple(heat.shape)}")
    h, w = picture.shape[:2]
    if heat.shape[0] > h or heat.shape[1] > w:
        raise ValueError(f"heatmap {heat.shape} must not be larger than the image ({h}, {w})")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1]; got {alpha!r}")
    if heat.shape != (h, w) or geometry is not None:
        heat = upsample_map(heat, (h, w), geometry=geometry)
    if symmetric:
        if vmin is not None or vmax is not None:
            raise ValueError(
                "give either symmetric=True or vmin/vmax, not both: symmetric sets the limits to ±max|heatmap|"
            )
        if not 0.0 < percentile <= 100.0:
            raise ValueError(f"percentile must lie in (0, 100]; got {percentile!r}")
        lim = float(np.percentile(np.abs(heat), percentile)) or 1.0  # an all-zero map: any symmetric limits
        vmin, vmax = -lim, lim
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5, 2.5))
    extent = (-0.5, w - 0.5, h - 0.5, -0.5)
    if picture.ndim == 2:
        base = ax.imshow(picture, cmap=image_cmap, extent=extent, interpolation="antialiased")
    else:
        base = ax.imshow(np.clip(picture, 0.0, 1.0), extent=extent, interpolation="antialiased")
    top = ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=vmin, vmax=vmax, extent=extent, interpolation="antialiased")
    ax.set_xticks([])
    ax.set_yticks([])
    return Overlay(base, top)


def draw_box(box: Sequence[float], ax: Any = None, color: str = "cyan", linewidth: float = 1.5, **kwargs: Any) -> Any:
    """Draw a box ``(top, left, bottom, right)`` (half-open, in pixels) around the pixels it covers.

    Pixel ``(i, j)`` is drawn centred on ``(j, i)`` as ``imshow`` does, so the rectangle runs
    from ``left - 0.5`` to ``right - 0.5`` horizontally and ``top - 0.5`` to ``bottom - 0.5``
    vertically.

    Args:
        box: a :class:`cnnkit.viz.localize.Box` or any ``(top, left, bottom, right)``.
        ax: the axes; the current axes if None.
        color, linewidth, kwargs: passed to ``matplotlib.patches.Rectangle``.

    Returns:
        The ``Rectangle`` patch.

    Example:
        >>> r = draw_box((2, 3, 6, 5))
        >>> r.get_xy(), r.get_width(), r.get_height()
        ((2.5, 1.5), 2, 4)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if len(box) != 4:
        raise ValueError(f"box must be (top, left, bottom, right); got {box!r}")
    top, left, bottom, right = box
    if ax is None:
        ax = plt.gca()
    patch = Rectangle(
        (left - 0.5, top - 0.5), right - left, bottom - top, fill=False, edgecolor=color, linewidth=linewidth, **kwargs
    )
    ax.add_patch(patch)
    return patch


def overlay_grid(
    images: Sequence[Any],
    heatmaps: Sequence[Any],
    titles: Sequence[str] | None = None,
    ncols: int = 5,
    panel_size: float = 1.5,
    boxes: Sequence[Sequence[Sequence[float]]] | None = None,
    dpi: float | None = None,
    suptitle: str | None = None,
    geometry: Any = None,
    **kwargs: Any,
) -> Any:
    """A figure of overlays, one panel per image, with optional titles and boxes.

    Args:
        images: the images, each as :func:`overlay_map` accepts.
        heatmaps: one heat map per image.
        titles: one title per panel, or None.
        ncols: panels per row.
        panel_size: width and height of a panel in inches.
        boxes: per panel, a list of boxes to draw (the first cyan, the next ones in other
            colours), or None.
        dpi: figure resolution; default matplotlib's.
        suptitle: a title over the whole figure (for example the weights that produced the
            maps), or None.
        geometry: the layer geometry of the heat maps (see :func:`overlay_map`): None, one
            geometry for every panel, or a *list* with one entry (a geometry or None) per panel,
            for panels of maps from different layers.
        kwargs: passed to :func:`overlay_map` (``alpha``, ``cmap``, ``vmin``, ``vmax``,
            ``symmetric``, which sets each panel's limits from its own map).

    Returns:
        The ``Figure``; its axes in reading order are ``fig.axes`` (unused panels hidden).

    Example:
        >>> fig = overlay_grid([np.zeros((4, 4))] * 3, [np.ones((2, 2))] * 3, titles=["a", "b", "c"], ncols=2)
        >>> len(fig.axes), [ax.get_title() for ax in fig.axes[:3]], fig.axes[3].get_visible()
        (4, ['a', 'b', 'c'], False)
        >>> overlay_grid([np.zeros((4, 4))], [np.ones((2, 2))], suptitle="trained").get_suptitle()
        'trained'
        >>> fig = overlay_grid([np.zeros((4, 4))] * 2, [np.eye(2)] * 2, geometry=[(3, 2, 0), None])
        >>> [ax.images[1].get_array()[0].tolist() for ax in fig.axes]   # cells on pixels 1, 3; then 0.5, 2.5
        [[1.0, 1.0, 0.5, 0.0], [1.0, 0.75, 0.25, 0.0]]
    """
    import matplotlib.pyplot as plt

    n = len(images)
    if len(heatmaps) != n:
        raise ValueError(f"images and heatmaps must have the same length; got {n} and {len(heatmaps)}")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per image ({n}); got {len(titles)}")
    if boxes is not None and len(boxes) != n:
        raise ValueError(f"boxes must have one list of boxes per image ({n}); got {len(boxes)}")
    if n == 0:
        raise ValueError("images must not be empty")
    if isinstance(geometry, list):
        if len(geometry) != n:
            raise ValueError(f"geometry must be one geometry or a list with one per image ({n}); got {len(geometry)}")
        geometries = geometry
    else:
        geometries = [geometry] * n
    if not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive int; got {ncols!r}")
    cols = min(int(ncols), n)
    rows = math.ceil(n / cols)
    lines = max((str(t).count("\n") + 1 for t in titles), default=0) if titles is not None else 0
    height = rows * (panel_size + 0.18 * lines + 0.06) + (0.3 if suptitle is not None else 0.0)  # room for the titles
    fig, axes = plt.subplots(rows, cols, figsize=(panel_size * cols, height), squeeze=False, dpi=dpi)
    colors = ("cyan", "lime", "magenta", "yellow")
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_visible(False)
            continue
        overlay_map(images[k], heatmaps[k], ax=ax, geometry=geometries[k], **kwargs)
        if titles is not None:
            ax.set_title(titles[k], fontsize=8)
        for j, box in enumerate(boxes[k] if boxes is not None else ()):
            draw_box(box, ax=ax, color=colors[j % len(colors)])
    if suptitle is not None:
        fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    return fig
