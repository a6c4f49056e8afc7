"""Maps over the input, and where their cells lie: the result type of :mod:`cnnkit.viz.cam`,
occlusion sensitivity, and the placing, resizing and normalising of maps.

- :class:`ClassMaps`: maps with the classes they explain and the logits, returned by every
  model function of :mod:`cnnkit.viz.cam` (which re-exports all the names below).
- :func:`occlusion_map`: slide a constant patch over the input and record how much the class
  score drops (Zeiler and Fergus 2014). It treats the network as a black box.
- :func:`cell_centres`, :func:`upsample_map`, :func:`pool_map`, :func:`normalize_map`: the
  pixel a cell is centred on, a map resized with each cell there, a full-resolution map
  averaged over windows centred there, and a map rescaled to [0, 1].

**Where a cell lies in the image.** Cell ``u`` of a layer is centred on input pixel
``offset + (size - 1)/2 + u*jump``, from the layer's receptive field (its ``size``, the
``jump`` between cells and the ``offset`` of the first cell's field,
:func:`cnnkit.viz.exemplars.layer_geometry`; :func:`cnnkit.shapes.unit_centres` does the
arithmetic). Symmetric padding puts each cell in the middle of its block of ``jump`` pixels
(the small VGG: ``4u + 1.5``), which is where plain bilinear upsampling puts it too.
TensorFlow's ``'same'`` padding does not: EfficientNet-Lite0's head cell ``u`` is centred on
pixel ``32u + 31`` on a 224x224 input, the last row of its block. :func:`cell_centres` gives
these points; :func:`upsample_map` (``geometry=``) places each cell's value there,
:func:`occlusion_map` (``centres=``) centres its patches there and :func:`pool_map` averages a
full-resolution map over windows centred there, so that all the maps compared with CAM are
registered with its cells.

These are the centres of the *theoretical* receptive fields, fixed by the architecture. Where a
trained network's cell is most sensitive (its *effective* receptive field, Luo et al. 2016: the
mean of :math:`|\\partial A(u, v) / \\partial x|`) depends on the weights and on the input, and
need not be that centre: the weights can learn kernels heavier on one side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from cnnkit._checks import as_array, non_negative_pair, positive_pair
from cnnkit._types import IntOrPair
from cnnkit.models.mode import eval_mode
from cnnkit.ops.intensity import minmax_scale
from cnnkit.ops.resizing import resize
from cnnkit.shapes import conv_output_size, to_pair, unit_centres, window_starts

__all__ = ["ClassMaps", "occlusion_map", "upsample_map", "normalize_map", "cell_centres", "pool_map"]

ClassIndex = int | Sequence[int] | np.ndarray | None


class ClassMaps(NamedTuple):
    """Maps explaining a classifier's scores, with the classes they explain.

    Attributes:
        maps: (N, h, w) maps, one per image (h, w for a single image).
        class_idx: (N,) int64 array of the explained classes (an int for a single image).
        logits: (N, num_classes) scores of the unmodified input ((num_classes,) for one image).
    """

    maps: np.ndarray
    class_idx: Any
    logits: np.ndarray


def _check_classes(class_idx: Any, num_classes: int, n: int | None) -> Any:
    """An int (single image) or an (n,) int64 array of valid class indices."""
    arr = np.asarray(class_idx)
    if arr.dtype.kind not in "iu" or arr.ndim > 1:
        raise TypeError(f"class_idx must be an int or a sequence of ints; got {class_idx!r}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(f"class_idx must lie in 0..{num_classes - 1}; got {class_idx!r}")
    if n is None:
        if arr.ndim != 0:
            raise ValueError(f"class_idx must be one int for a single image; got {class_idx!r}")
        return int(arr)
    if arr.ndim == 0:
        return np.full(n, int(arr), dtype=np.int64)
    if arr.shape[0] != n:
        raise ValueError(f"class_idx must hold one class per image ({n}); got {arr.shape[0]} values")
    return arr.astype(np.int64)


def _as_batch(x: Any) -> tuple[torch.Tensor, bool]:
    """(N, C, H, W) float32 tensor and whether the input was a single (C, H, W) image."""
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(as_array(x, "x"))
    if t.ndim == 3:
        return t[None].float(), True
    if t.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W) or (C, H, W); got shape {tuple(t.shape)}")
    return t.float(), False


def _finish(maps: torch.Tensor | np.ndarray, classes: np.ndarray, logits: torch.Tensor, single: bool) -> ClassMaps:
    maps = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else maps
    logits_np = logits.detach().cpu().numpy()
    if single:
        return ClassMaps(maps[0], int(classes[0]), logits_np[0])
    return ClassMaps(maps, classes, logits_np)


def _resolve(class_idx: ClassIndex, logits: torch.Tensor) -> np.ndarray:
    """The explained classes: the predicted ones when class_idx is None."""
    if class_idx is None:
        return logits.argmax(dim=1).cpu().numpy().astype(np.int64)
    return _check_classes(class_idx, logits.shape[1], logits.shape[0])


# --------------------------------------------------------------------------------------------
# Occlusion


def occlusion_map(
    model: nn.Module,
    x: Any,
    class_idx: ClassIndex = None,
    patch: IntOrPair = 8,
    stride: IntOrPair = 4,
    padding: IntOrPair = 0,
    fill: float = 0.0,
    batch_size: int = 512,
    centres: tuple[Sequence[float], Sequence[float]] | None = None,
) -> ClassMaps:
    """Occlusion sensitivity: the drop of the class score when a patch of the input is covered.

    A ``patch`` of constant value ``fill`` slides over the input with ``stride``, starting
    ``padding`` pixels before the top-left corner (patches may hang over the border; only the
    part inside is covered). Or, with ``centres``, the patches are centred on given points,
    for example on the cells of a CAM (:func:`cell_centres`). At each position the map records

    .. math::

        D_c(i, j) = S_c(x) - S_c(x \\text{ with the patch at } (i, j) \\text{ covered}),

    positive where the covered region supported the class. Without ``centres`` the positions
    form the same grid as a convolution's output, of size ``conv_output_size(H, patch, stride,
    padding)`` (:func:`cnnkit.shapes.conv_output_size`), and patch ``i`` is centred on row
    ``i*stride - padding + (patch - 1)/2``: on the middle of its block when ``padding = 0`` and
    ``stride = patch``. That is the middle of a CAM cell only where the network pads
    symmetrically; for EfficientNet-Lite0 pass ``centres=cell_centres(geometry, (7, 7))``.
    With ``centres = (rows, columns)`` the map has one value per pair ``(rows[i], columns[j])``,
    from the patch of :func:`cnnkit.shapes.window_starts` centred on it (within half a pixel
    when the patch is even and the centre a whole pixel). The model is run on the occluded
    copies ``batch_size`` at a time.

    Args:
        model: any classifier returning logits (N, num_classes).
        x: images (N, C, H, W) or one image (C, H, W).
        class_idx: None (predicted classes), an int, or one int per image.
        patch: patch size, int or (pH, pW).
        stride: step between patch positions, int or pair.
        padding: how far patches may start before the first row and column, int or pair.
        fill: the value of the covered pixels: 0 is the background of MNIST digits in [0, 1] and
            the mean (grey) of mean-subtracted photographs.
        batch_size: occluded copies per forward pass.
        centres: None (the grid of ``stride`` and ``padding``), or ``(rows, columns)``, two 1-D
            sequences of patch centres in pixels; then ``stride`` and ``padding`` are not used
            and must be left at their defaults.

    Returns:
        A :class:`ClassMaps` with maps of shape (N, H_out, W_out) on the patch grid, or
        (N, len(rows), len(columns)) with ``centres``.

    Example:
        A model that only reads the top-left pixel does not notice a patch elsewhere:

        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 1, bias=False))
        >>> with torch.no_grad():
        ...     _ = model[1].weight.copy_(torch.eye(1, 16))
        >>> occlusion_map(model, torch.ones(1, 4, 4), patch=2, stride=2).maps.tolist()
        [[1.0, 0.0], [0.0, 0.0]]

        Patches centred on given points, here 2x2 patches on rows and columns 0.5 and 2.5:

        >>> occlusion_map(model, torch.ones(1, 4, 4), patch=2, centres=([0.5, 2.5], [0.5, 2.5])).maps.tolist()
        [[1.0, 0.0], [0.0, 0.0]]
    """
    xb, single = _as_batch(x)
    n, _, h, w = xb.shape
    ph, pw = positive_pair(patch, "patch")
    sh, sw = positive_pair(stride, "stride")
    qh, qw = non_negative_pair(padding, "padding")
    if not np.isfinite(fill):
        raise ValueError(f"fill must be a finite number; got {fill!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    if centres is None:
        oh, ow = conv_output_size((h, w), (ph, pw), (sh, sw), (qh, qw))
        row_starts, col_starts = np.arange(oh) * sh - qh, np.arange(ow) * sw - qw
    else:
        if (sh, sw) != (4, 4) or (qh, qw) != (0, 0):
            raise ValueError(
                "occlusion_map: give either centres or stride and padding, not both: centres places the "
                f"patches; got stride={stride!r} and padding={padding!r}"
            )
        rows, cols = _check_centres(centres, "occlusion_map")
        row_starts, col_starts = window_starts(rows, ph), window_starts(cols, pw)
        oh, ow = len(rows), len(cols)
    masks = torch.zeros(oh * ow, 1, h, w, dtype=torch.bool)
    for i, r0 in enumerate(row_starts.tolist()):
        for j, c0 in enumerate(col_starts.tolist()):
            masks[i * ow + j, 0, max(r0, 0) : max(r0 + ph, 0), max(c0, 0) : max(c0 + pw, 0)] = True
    with eval_mode(model), torch.no_grad():
        logits = model(xb)
        classes = _resolve(class_idx, logits)
        base = logits[torch.arange(n), torch.as_tensor(classes)]
        p = oh * ow
        drops = torch.empty(n * p, dtype=torch.float64)
        cls = torch.as_tensor(classes)
        for start in range(0, n * p, batch_size):
            idx = torch.arange(start, min(start + batch_size, n * p))
            img, pos = idx // p, idx % p
            covered = torch.where(masks[pos], torch.tensor(float(fill)), xb[img])
            scores = model(covered)[torch.arange(len(idx)), cls[img]]
            drops[idx] = (base[img] - scores).double()
    return _finish(drops.reshape(n, oh, ow), classes, logits, single)


# --------------------------------------------------------------------------------------------
# Placing, resizing and normalising maps


def upsample_map(m: Any, size: IntOrPair, geometry: Any = None, target_geometry: Any = None) -> np.ndarray:
    """Resize a map (or a batch of maps) bilinearly to ``size``, with each cell where it belongs.

    With ``geometry``, the receptive field of the layer the map comes from (``size``, ``jump``
    and ``offset``, as :func:`cnnkit.viz.exemplars.layer_geometry` returns), cell ``u``'s value
    is put on its centre :math:`c_u = c_0 + u \\cdot \\text{jump}` with
    :math:`c_0 = \\text{offset} + (\\text{size} - 1)/2` (:func:`cell_centres`): output pixel
    ``p`` samples the map at the fractional cell :math:`t = (p - c_0) / \\text{jump}`,
    interpolating linearly between the two cells on either side, and takes the value of the
    first (last) cell before the first (after the last) centre. With ``target_geometry`` the
    output is another layer's grid instead of pixels: output cell ``q`` is sampled at that
    layer's centre :math:`c'_q`, to compare a 7x7 CAM with a 14x14 Grad-CAM on the same points.

    Without ``geometry`` this is ``torch.nn.functional.interpolate(mode='bilinear',
    align_corners=False)`` (Keras ``UpSampling2D(interpolation='bilinear')`` for integer
    factors): it assumes that each cell is centred on its block of ``H/h`` pixels, cell ``u`` on
    pixel :math:`(u + 1/2) H/h - 1/2`. That is the centre of its receptive field where the
    network pads symmetrically (the small VGG's 7x7 maps over 28x28 digits: ``4u + 1.5``, the
    same as with its geometry), and not where it pads as TensorFlow does: EfficientNet-Lite0's
    head cell ``u`` has its field centred on pixel ``32u + 31``, and the plain upsampling puts
    it on ``32u + 15.5``, 15.5 pixels up and to the left. Pass the geometry for any network
    whose padding you have not checked.

    Args:
        m: map (h, w) or maps (N, h, w).
        size: output size, int or (H, W).
        geometry: None (cells centred on their blocks), or the layer's receptive field: a
            :class:`~cnnkit.viz.exemplars.LayerGeometry`, a :class:`cnnkit.shapes.ReceptiveField`
            or a tuple ``(size, jump, offset)`` of ints or pairs.
        target_geometry: None (the output is pixels) or the geometry of the layer whose grid
            of ``size`` cells the map is resampled to; needs ``geometry``.

    Returns:
        float64 array of shape (H, W) or (N, H, W).

    Example:
        >>> upsample_map(np.array([[0.0, 4.0]]), (1, 4)).tolist()
        [[0.0, 1.0, 3.0, 4.0]]
        >>> upsample_map(np.zeros((3, 7, 7)), 28).shape
        (3, 28, 28)

        Two cells 2 pixels apart, centred on pixels 1 and 3 (a stride-2 layer padded as
        TensorFlow pads, field 3, offset 0); then the same cells centred on pixels 0 and 2 (PyTorch's
        symmetric ``padding=1``, offset -1):

        >>> upsample_map(np.array([[0.0, 4.0]]), (1, 4), geometry=(3, 2, 0)).tolist()
        [[0.0, 0.0, 2.0, 4.0]]
        >>> upsample_map(np.array([[0.0, 4.0]]), (1, 4), geometry=(3, 2, -1)).tolist()
        [[0.0, 2.0, 4.0, 4.0]]
    """
    arr = as_array(m, "m")
    if arr.ndim not in (2, 3):
        raise ValueError(f"m must have shape (h, w) or (N, h, w); got shape {tuple(arr.shape)}")
    out_size = positive_pair(size, "size")
    if geometry is None:
        if target_geometry is not None:
            raise ValueError("upsample_map: target_geometry needs the geometry of the map itself; pass geometry too")
        return resize(arr, mode="bilinear", size=out_size)
    grid = arr.shape[-2:]
    rows, cols = cell_centres(geometry, grid)
    if target_geometry is None:
        at_rows, at_cols = np.arange(out_size[0], dtype=np.float64), np.arange(out_size[1], dtype=np.float64)
    else:
        at_rows, at_cols = cell_centres(target_geometry, out_size, name="target_geometry")
    jump = _geometry(geometry)[1]
    m_rows = _interpolation_at((at_rows - rows[0]) / jump[0], grid[0])
    m_cols = _interpolation_at((at_cols - cols[0]) / jump[1], grid[1])
    return np.einsum("Hh,...hw,Ww->...HW", m_rows, arr.astype(np.float64), m_cols)


def _interpolation_at(positions: np.ndarray, n: int) -> np.ndarray:
    """The (len(positions), n) matrix of linear interpolation at fractional indices, clamped to [0, n - 1]."""
    src = np.clip(positions, 0.0, n - 1)
    i0 = np.minimum(np.floor(src).astype(int), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = src - i0
    out = np.zeros((len(positions), n))
    rows = np.arange(len(positions))
    np.add.at(out, (rows, i0), 1.0 - frac)
    np.add.at(out, (rows, i1), frac)
    return out


def _geometry(geometry: Any, name: str = "geometry") -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """``(size, jump, offset)`` as pairs, from a LayerGeometry, a ReceptiveField or a plain triple."""
    if all(hasattr(geometry, a) for a in ("size", "jump", "offset")):
        values = (geometry.size, geometry.jump, geometry.offset)
    elif isinstance(geometry, (tuple, list)) and len(geometry) == 3:
        values = tuple(geometry)
    else:
        raise TypeError(
            f"{name} must be a layer's receptive field: a LayerGeometry (cnnkit.viz.exemplars.layer_geometry), "
            f"a ReceptiveField (cnnkit.shapes.receptive_field) or a tuple (size, jump, offset); got {geometry!r}"
        )
    size = to_pair(values[0], f"{name} size", minimum=1)
    jump = to_pair(values[1], f"{name} jump", minimum=1)
    offset = to_pair(values[2], f"{name} offset")
    return size, jump, offset


def cell_centres(geometry: Any, grid: IntOrPair, name: str = "geometry") -> tuple[np.ndarray, np.ndarray]:
    """The input pixels on which the cells of a layer's map are centred: rows and columns.

    Cell ``(i, j)`` is centred on ``(rows[i], columns[j])`` with
    ``rows[i] = offset + (size - 1)/2 + i*jump`` (:func:`cnnkit.shapes.unit_centres`), where
    ``size``, ``jump`` and ``offset`` describe the layer's receptive field.

    Args:
        geometry: a :class:`~cnnkit.viz.exemplars.LayerGeometry`
            (:func:`~cnnkit.viz.exemplars.layer_geometry`, for the input size the map was
            computed at), a :class:`cnnkit.shapes.ReceptiveField` or ``(size, jump, offset)``.
        grid: the map's size (h, w), or an int for a square map.
        name: how errors call ``geometry``.

    Returns:
        ``(rows, columns)``, float64 arrays of lengths h and w, in pixel indices (pixel ``p`` is
        centred on ``p``).

    Example:
        >>> from cnnkit.models.efficientnet import efficientnet_lite0
        >>> from cnnkit.viz.exemplars import layer_geometry
        >>> head = layer_geometry(efficientnet_lite0(None), "head", 224)
        >>> head
        LayerGeometry(size=(851, 851), jump=(32, 32), offset=(-394, -394))
        >>> cell_centres(head, 7)[0].tolist()   # not 15.5, 47.5, ...: TensorFlow's padding
        [31.0, 63.0, 95.0, 127.0, 159.0, 191.0, 223.0]
        >>> cell_centres((32, 4, -14), (7, 7))[1].tolist()   # the small VGG's block3_conv2
        [1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5]
    """
    size, jump, offset = _geometry(geometry, name)
    rows, cols = unit_centres(positive_pair(grid, "grid"), size, jump, offset)
    return rows, cols


def _check_centres(centres: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, columns)`` as two non-empty 1-D float arrays of finite values."""
    if not isinstance(centres, (tuple, list)) or len(centres) != 2:
        raise ValueError(
            f"{caller}: centres must be a pair (rows, columns) of 1-D sequences of pixel positions, as "
            f"cell_centres returns; got {centres!r}"
        )
    out = []
    for axis, values in zip(("rows", "columns"), centres):
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(
                f"{caller}: the {axis} of centres must be a non-empty 1-D sequence of finite numbers; got {values!r}"
            )
        out.append(arr)
    return out[0], out[1]


def pool_map(m: Any, centres: tuple[Sequence[float], Sequence[float]], window: IntOrPair) -> np.ndarray:
    """Average a full-resolution map over a window centred on each of a grid of points.

    The value at ``(i, j)`` is the mean of ``m`` over the ``window`` pixels centred on
    ``(rows[i], columns[j])`` (:func:`cnnkit.shapes.window_starts`: within half a pixel when
    the window is even and the centre a whole pixel), clipped to the map. With the centres of a
    CAM's cells (:func:`cell_centres`) and ``window = jump`` it brings a saliency map to the
    CAM's grid, registered with its cells; ``avg_pool2d(m, jump)`` averages the blocks instead,
    which is the same only where each cell is centred on its block.

    Args:
        m: map (H, W) or maps (N, H, W).
        centres: ``(rows, columns)``, 1-D sequences of pixel positions.
        window: window size, int or (wH, wW).

    Returns:
        float64 array (len(rows), len(columns)), or (N, len(rows), len(columns)).

    Raises:
        ValueError: a window lies wholly outside the map.

    Example:
        >>> m = np.arange(16.0).reshape(4, 4)
        >>> pool_map(m, ([0.5, 2.5], [0.5, 2.5]), 2).tolist()    # the 2x2 blocks: avg_pool2d(m, 2)
        [[2.5, 4.5], [10.5, 12.5]]
        >>> pool_map(m, ([1.0, 3.0], [1.0]), 2).tolist()          # rows 1-2 and 3 (4 is outside), columns 1-2
        [[7.5], [13.5]]
    """
    arr = as_array(m, "m").astype(np.float64)
    if arr.ndim not in (2, 3):
        raise ValueError(f"m must have shape (H, W) or (N, H, W); got shape {tuple(arr.shape)}")
    rows, cols = _check_centres(centres, "pool_map")
    wh, ww = positive_pair(window, "window")
    h, w = arr.shape[-2:]
    spans = []
    for axis, (c, win, n) in enumerate(((rows, wh, h), (cols, ww, w))):
        start = window_starts(c, win)
        lo, hi = np.clip(start, 0, n), np.clip(start + win, 0, n)
        if np.any(hi <= lo):
            bad = float(c[np.argmax(hi <= lo)])
            raise ValueError(
                f"pool_map: the window of {win} centred on {('row', 'column')[axis]} {bad} lies outside the map "
                f"of size {n}"
            )
        spans.append((lo, hi))
    # integral image: the sum over any rectangle from four look-ups
    total = np.zeros((*arr.shape[:-2], h + 1, w + 1))
    total[..., 1:, 1:] = arr.cumsum(axis=-2).cumsum(axis=-1)
    (r0, r1), (c0, c1) = (spans[0][0][:, None], spans[0][1][:, None]), (spans[1][0][None, :], spans[1][1][None, :])
    sums = total[..., r1, c1] - total[..., r0, c1] - total[..., r1, c0] + total[..., r0, c0]
    return sums / ((r1 - r0) * (c1 - c0))


def normalize_map(m: Any, percentile: float = 100.0) -> np.ndarray:
    """Rescale each map to [0, 1]: :math:`(M - \\min M) / (\\max M - \\min M)`.

    With ``percentile < 100`` the ``percentile``-th percentile of the map takes the place of its
    maximum, and the values above it are clipped to 1: a few extreme values, common in gradient
    maps, then no longer leave the rest of the map dark (Smilkov et al. and Adebayo et al. clip
    saliency maps at the 99th percentile to draw them). A constant map becomes all zeros.

    Args:
        m: map (h, w) or maps (N, h, w); each map is rescaled on its own.
        percentile: the percentile of each map that is mapped to 1, in (0, 100].

    Returns:
        float64 array of the same shape, with values in [0, 1].

    Example:
        >>> normalize_map(np.array([[-1.0, 0.0], [1.0, 3.0]])).tolist()
        [[0.0, 0.25], [0.5, 1.0]]
        >>> normalize_map(np.full((2, 2), 5.0)).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
        >>> normalize_map(np.array([[0.0, 1.0], [2.0, 100.0]]), percentile=50).tolist()   # median 1.5 -> 1
        [[0.0, 0.6666666666666666], [1.0, 1.0]]
    """
    arr = as_array(m, "m").astype(np.float64)
    if arr.ndim not in (2, 3):
        raise ValueError(f"m must have shape (h, w) or (N, h, w); got shape {tuple(arr.shape)}")
    if not 0.0 < percentile <= 100.0:
        raise ValueError(f"percentile must lie in (0, 100]; got {percentile!r}")
    return minmax_scale(arr, axis=(-2, -1), percentile=percentile)
