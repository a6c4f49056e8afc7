"""Localisation from a class activation map: paste a digit on a canvas, box the hot region.

A classifier trained only with image labels can point at the object: threshold its class
activation map and take the bounding box of the largest connected region (Zhou et al. 2016
call this weakly supervised localisation). This module holds the pieces to measure how well
that works on digits:

- :func:`paste_on_canvas`: put a digit at a random position on a larger blank canvas and return
  its true box;
- :func:`box_from_map`: the box of the largest connected component of the map above
  ``threshold * max``;
- :func:`box_contains`, :func:`box_covers`, :func:`box_iou`: three ways to score a predicted box
  against the true one (its centre lies in the true box; it contains the whole true box; their
  intersection over union).

Boxes are :class:`Box` tuples ``(top, left, bottom, right)`` in pixel units, *half-open* like
Python slices: the box covers rows ``top .. bottom - 1`` and columns ``left .. right - 1``, so
``image[box.top:box.bottom, box.left:box.right]`` is its content. Pixel ``(i, j)`` occupies the
square ``[i, i + 1) x [j, j + 1)``; a box's centre is ``((top + bottom) / 2, (left + right) / 2)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from cnnkit._checks import as_array, check_rng

__all__ = ["Box", "paste_on_canvas", "box_from_map", "box_contains", "box_covers", "box_iou"]


class Box(NamedTuple):
    """An axis-aligned box ``(top, left, bottom, right)``, half-open, in pixels.

    Example:
        >>> b = Box(2, 3, 6, 5)
        >>> b.height, b.width, b.area, b.centre
        (4, 2, 8, (4.0, 4.0))
    """

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def area(self) -> int:
        return max(self.height, 0) * max(self.width, 0)

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.top + self.bottom) / 2, (self.left + self.right) / 2)


def _tight_box(mask: np.ndarray) -> Box:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def paste_on_canvas(
    digit: Any, canvas_size: int | tuple[int, int], rng: np.random.Generator, ink: float = 0.0
) -> tuple[np.ndarray, Box]:
    """Paste a small image at a uniformly random position of a blank (zero) canvas.

    Args:
        digit: the image, shape (h, w) or (1, h, w), background 0.
        canvas_size: canvas size, int or (H, W), at least the digit's size.
        rng: a numpy Generator (for example ``np.random.default_rng(0)``) choosing the position.
        ink: pixels brighter than this count as the digit for the true box.

    Returns:
        ``(canvas, box)``: the canvas, shape (H, W) (or (1, H, W) when ``digit`` had a channel
        axis) and ``digit``'s dtype, and the tight :class:`Box` around the digit's ink in canvas
        coordinates (the whole pasted square if no pixel exceeds ``ink``).

    Example:
        >>> digit = np.zeros((4, 4)); digit[1:3, 2] = 1.0
        >>> canvas, box = paste_on_canvas(digit, 10, np.random.default_rng(0))
        >>> canvas.shape, box, canvas[box.top:box.bottom, box.left:box.right].tolist()
        ((10, 10), Box(top=6, left=6, bottom=8, right=7), [[1.0], [1.0]])
    """
    arr = as_array(digit, "digit")
    channel = arr.ndim == 3 and arr.shape[0] == 1
    img = arr[0] if channel else arr
    if img.ndim != 2:
        raise ValueError(f"digit must have shape (h, w) or (1, h, w); got shape {tuple(arr.shape)}")
    check_rng(rng)
    if isinstance(canvas_size, (int, np.integer)):
        size = (int(canvas_size), int(canvas_size))
    else:
        size = (int(canvas_size[0]), int(canvas_size[1]))
    h, w = img.shape
    if len(size) != 2 or size[0] < h or size[1] < w:
        raise ValueError(f"canvas_size must be at least the digit's size {(h, w)}; got {canvas_size!r}")
    top = int(rng.integers(0, size[0] - h + 1))
    left = int(rng.integers(0, size[1] - w + 1))
    canvas = np.zeros(size, dtype=img.dtype)
    canvas[top : top + h, left : left + w] = img
    mask = img > ink
    inner = _tight_box(mask) if mask.any() else Box(0, 0, h, w)
    box = Box(inner.top + top, inner.left + left, inner.bottom + top, inner.right + left)
    return (canvas[None] if channel else canvas), box


def box_from_map(m: Any, threshold: float = 0.2) -> Box:
    """The bounding box of the largest connected region where the map is at least ``threshold * max``.

    Zhou et al. (2016) keep the regions above 20% of the CAM's maximum. Regions are connected
    through the 8 neighbours of a pixel (``scipy.ndimage.label`` with a 3x3 structure); the
    largest has the most pixels (the first found on a tie).

    Args:
        m: a map of shape (H, W) with a positive maximum, usually a CAM upsampled to the input.
        threshold: fraction of the maximum, in [0, 1].

    Returns:
        The :class:`Box` in the map's pixel coordinates.

    Example:
        >>> m = np.zeros((6, 8)); m[1:3, 1:3] = 1.0; m[3:6, 4:8] = 0.9
        >>> box_from_map(m, threshold=0.5)    # the larger region wins, not the hotter one
        Box(top=3, left=4, bottom=6, right=8)
        >>> box_from_map(m, threshold=0.95)
        Box(top=1, left=1, bottom=3, right=3)
    """
    from scipy import ndimage

    arr = as_array(m, "m").astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(f"m must be one map of shape (H, W); got shape {tuple(arr.shape)}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be a fraction of the maximum in [0, 1]; got {threshold!r}")
    peak = arr.max()
    if not np.isfinite(peak) or peak <= 0:
        raise ValueError(
            f"m must have a positive, finite maximum to threshold; its maximum is {peak!r} "
            "(normalise it first with cnnkit.viz.cam.normalize_map)"
        )
    labels, count = ndimage.label(arr >= threshold * peak, structure=np.ones((3, 3), dtype=int))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    return _tight_box(labels == int(np.argmax(sizes)))


def _as_box(box: Any, name: str) -> Box:
    if len(box) != 4:
        raise ValueError(f"{name} must be (top, left, bottom, right); got {box!r}")
    b = Box(*box)
    if b.bottom < b.top or b.right < b.left:
        raise ValueError(f"{name} must have bottom >= top and right >= left; got {box!r}")
    return b


def box_contains(box: Any, point: tuple[float, float]) -> bool:
    """Whether a point ``(row, col)`` lies in the box (edges included).

    In the chapter the point is the centre of the predicted box and ``box`` the true one.

    Example:
        >>> box_contains(Box(0, 0, 4, 4), (4.0, 2.0)), box_contains(Box(0, 0, 4, 4), (4.5, 2.0))
        (True, False)
    """
    b = _as_box(box, "box")
    if len(point) != 2:
        raise ValueError(f"point must be (row, col); got {point!r}")
    r, c = float(point[0]), float(point[1])
    return bool(b.top <= r <= b.bottom and b.left <= c <= b.right)


def box_covers(outer: Any, inner: Any) -> bool:
    """Whether the box ``outer`` contains the whole box ``inner`` (``outer ⊇ inner``, edges may touch).

    With half-open boxes this is ``outer.top <= inner.top``, ``outer.left <= inner.left``,
    ``outer.bottom >= inner.bottom`` and ``outer.right >= inner.right``. In the chapter ``outer``
    is the predicted box and ``inner`` the true box around the digit's ink: the predicted box
    contains the whole digit. A box covering the whole canvas passes trivially, so read it
    together with :func:`box_iou`.

    Example:
        >>> box_covers(Box(0, 0, 10, 10), Box(2, 3, 10, 7)), box_covers(Box(2, 3, 10, 7), Box(0, 0, 10, 10))
        (True, False)
        >>> box_covers(Box(0, 0, 4, 4), Box(0, 0, 4, 4)), box_covers(Box(0, 0, 4, 4), Box(1, 1, 5, 3))
        (True, False)
    """
    o, i = _as_box(outer, "outer"), _as_box(inner, "inner")
    return bool(o.top <= i.top and o.left <= i.left and o.bottom >= i.bottom and o.right >= i.right)


def box_iou(a: Any, b: Any) -> float:
    """Intersection over union of two boxes: area(a ∩ b) / area(a ∪ b), in [0, 1].

    Example:
        >>> box_iou(Box(0, 0, 4, 4), Box(2, 2, 6, 6))     # 4 / (16 + 16 - 4)
        0.14285714285714285
        >>> box_iou(Box(0, 0, 2, 2), Box(0, 0, 2, 2)), box_iou(Box(0, 0, 2, 2), Box(5, 5, 6, 6))
        (1.0, 0.0)
    """
    p, q = _as_box(a, "a"), _as_box(b, "b")
    ih = max(0, min(p.bottom, q.bottom) - max(p.top, q.top))
    iw = max(0, min(p.right, q.right) - max(p.left, q.left))
    inter = ih * iw
    union = p.area + q.area - inter
    return float(inter / union) if union > 0 else 0.0
