"""Dataset exemplars: the inputs, and the image patches, that make a filter respond most.

The simplest way to ask what a filter detects is to run a data set through the network and
keep, for each filter (channel) of a layer, the ``k`` inputs with the largest activation
anywhere in its feature map (Zeiler and Fergus 2014; Olah et al. 2017):

.. math::

    s_n = \\max_{i, j} \\; a^{(\\ell)}_c(x_n)_{ij}, \\qquad
    \\text{exemplars} = \\text{the } k \\text{ indices } n \\text{ with the largest } s_n.

The position ``(i, j)`` of that maximum, mapped back to the input through the layer's
receptive field, tells *where* in the image the filter fired. The field's size and the jump
between neighbouring units come from :func:`cnnkit.shapes.receptive_field`, applied to the
convolution and pooling layers that lie before the chosen layer (:func:`layer_geometry`).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np
import torch
from torch import nn

from cnnkit.shapes import receptive_field, same_padding

__all__ = [
    "LayerGeometry",
    "conv_layer_specs",
    "layer_geometry",
    "receptive_box",
    "Exemplars",
    "top_activating",
    "exemplar_patches",
    "plot_exemplars",
]

_SPATIAL = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _pair(value: Any) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, (tuple, list)) else (int(value), int(value))


def conv_layer_specs(model: nn.Module, layer: str) -> list[dict]:
    """The convolution and pooling layers from the input up to and including ``layer``.

    The model's modules are walked in the order they were registered, which for VGG-style
    networks built from ``nn.Sequential`` is the order of the forward pass; the walk stops at
    the end of ``layer``'s module. Each ``nn.Conv2d``, ``nn.MaxPool2d`` and ``nn.AvgPool2d``
    contributes a dict with ``kernel_size``, ``stride``, ``dilation`` (pairs, as
    :func:`cnnkit.shapes.receptive_field` accepts) and ``padding`` (the padding before the
    first row and column, a pair).

    Args:
        model: a network with ``layer(name)`` (cnnkit's ``NamedLayersMixin``).
        layer: the layer's name.

    Returns:
        A list of dicts, first layer first.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> [s["kernel_size"] for s in conv_layer_specs(small_vgg(None), "block1_pool")]
        [(3, 3), (3, 3), (2, 2)]
    """
    target = model.layer(layer)
    inside = {id(m) for m in target.modules()}
    specs: list[dict] = []
    seen_target = False
    for module in model.modules():
        if id(module) in inside:
            seen_target = True
        elif seen_target:
            break
        if not isinstance(module, _SPATIAL):
            continue
        k, s = _pair(module.kernel_size), _pair(module.stride if module.stride is not None else module.kernel_size)
        d = _pair(getattr(module, "dilation", 1))
        pad = module.padding
        if isinstance(pad, str):
            before = tuple(same_padding(kk, dd)[0] for kk, dd in zip(k, d)) if pad == "same" else (0, 0)
        else:
            before = _pair(pad)
        specs.append({"kernel_size": k, "stride": s, "dilation": d, "padding": before})
    return specs


class LayerGeometry(NamedTuple):
    """Where the units of a layer look in the input.

    Unit ``(i, j)`` of the layer sees the input rows ``top ... top + size[0] - 1`` with
    ``top = i * jump[0] + offset[0]`` (and likewise for columns); rows outside the image are
    padding.

    Attributes:
        size: receptive field (height, width), from :func:`cnnkit.shapes.receptive_field`.
        jump: input pixels between neighbouring units (the product of the strides).
        offset: the first input row and column seen by unit (0, 0); negative when padding
            is involved: ``offset = -sum_l p_l * jump_{l-1}``.
    """

    size: tuple[int, int]
    jump: tuple[int, int]
    offset: tuple[int, int]


def layer_geometry(model: nn.Module, layer: str) -> LayerGeometry:
    """Receptive field size, jump and offset of ``layer``'s units.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> layer_geometry(small_vgg(None), "block3_conv2")
        LayerGeometry(size=(32, 32), jump=(4, 4), offset=(-14, -14))
    """
    specs = conv_layer_specs(model, layer)
    if not specs:
        return LayerGeometry((1, 1), (1, 1), (0, 0))
    rf = receptive_field([{k: s[k] for k in ("kernel_size", "stride", "dilation")} for s in specs])
    jumps_before = [(1, 1)] + [j for _, j in rf.per_layer[:-1]]
    offset = tuple(-sum(s["padding"][axis] * j[axis] for s, j in zip(specs, jumps_before)) for axis in range(2))
    return LayerGeometry(tuple(rf.size), tuple(rf.jump), offset)  # type: ignore[arg-type]


def receptive_box(
    position: Sequence[int], geometry: LayerGeometry, image_size: Sequence[int] | None = None
) -> tuple[int, int, int, int]:
    """The input rectangle ``(top, left, bottom, right)`` seen by the unit at ``position``.

    ``bottom`` and ``right`` are exclusive, so ``image[top:bottom, left:right]`` is the patch.
    With ``image_size`` (H, W) the box is clipped to the image.

    Example:
        >>> g = LayerGeometry(size=(32, 32), jump=(4, 4), offset=(-14, -14))
        >>> receptive_box((0, 6), g), receptive_box((0, 6), g, (28, 28))
        ((-14, 10, 18, 42), (0, 10, 18, 28))
    """
    top = int(position[0]) * geometry.jump[0] + geometry.offset[0]
    left = int(position[1]) * geometry.jump[1] + geometry.offset[1]
    bottom, right = top + geometry.size[0], left + geometry.size[1]
    if image_size is not None:
        h, w = int(image_size[0]), int(image_size[1])
        top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, h), min(right, w)
    return (top, left, bottom, right)


class Exemplars(NamedTuple):
    """The top-``k`` inputs of each chosen channel, from :func:`top_activating`.

    Attributes:
        layer: the layer's name.
        channels: the C' chosen channels.
        indices: (C', k) indices into the data set, strongest first.
        values: (C', k) the largest activation of the channel in each of those inputs.
        positions: (C', k, 2) the (row, column) of that largest activation in the feature map.
        boxes: (C', k, 4) the receptive field ``(top, left, bottom, right)`` of that unit,
            clipped to the image (bottom and right exclusive).
        geometry: the layer's :class:`LayerGeometry`.
    """

    layer: str
    channels: list[int]
    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray
    boxes: np.ndarray
    geometry: LayerGeometry


def top_activating(
    model: nn.Module,
    images: np.ndarray | torch.Tensor,
    layer: str,
    channels: Sequence[int],
    k: int = 9,
    batch_size: int = 500,
) -> Exemplars:
    """For each channel, the ``k`` images whose feature map reaches the highest value.

    Every image is scored by the maximum of the channel over all spatial positions; the ``k``
    best scores are kept (ties go to the lower index). The maps are computed in batches and
    only the maxima kept, so memory does not grow with the layer's size.

    Args:
        model: a network with cnnkit's ``NamedLayersMixin``.
        images: (N, C, H, W), as the model expects them (numpy or torch; each batch is moved
            to the device of the model's parameters).
        layer: name of a layer with (N, C', H', W') output.
        channels: the channels to rank images for.
        k: how many images per channel.
        batch_size: images per forward pass.

    Returns:
        An :class:`Exemplars`.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> x = torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        >>> ex = top_activating(small_vgg(), x, "block2_conv1", [0, 5], k=3)
        >>> ex.indices.shape, ex.boxes.shape
        ((2, 3), (2, 3, 4))
    """
    channels = [int(c) for c in channels]
    n = len(images)
    if not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an int between 1 and the number of images ({n}); got {k!r}")
    if not channels:
        raise ValueError("channels must list at least one channel")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    maxima = np.empty((n, len(channels)), dtype=np.float64)
    argmax = np.empty((n, len(channels)), dtype=np.int64)
    map_size = None
    for start in range(0, n, batch_size):
        batch = images[start : start + batch_size]
        batch = batch if isinstance(batch, torch.Tensor) else torch.from_numpy(np.asarray(batch, dtype=np.float32))
        act = model.activations(batch.to(device), layer)[layer]
        if act.ndim != 4:
            raise ValueError(f"layer {layer!r} must have (N, C, H, W) output for exemplars; got shape {act.shape}")
        bad = [c for c in channels if not 0 <= c < act.shape[1]]
        if bad:
            raise ValueError(
                f"channels {bad} are out of range for layer {layer!r}, which has {act.shape[1]} "
                f"channels (valid: 0 … {act.shape[1] - 1})"
            )
        map_size = act.shape[2:]
        flat = act[:, channels].reshape(len(act), len(channels), -1)
        maxima[start : start + len(act)] = flat.max(axis=2)
        argmax[start : start + len(act)] = flat.argmax(axis=2)
    order = np.argsort(-maxima, axis=0, kind="stable")[:k].T  # (C', k)
    cols = np.arange(len(channels))[:, None]
    flat_pos = argmax[order, cols]
    positions = np.stack([flat_pos // map_size[1], flat_pos % map_size[1]], axis=-1)
    geometry = layer_geometry(model, layer)
    image_size = tuple(np.asarray(images.shape[2:]).tolist())
    boxes = np.array(
        [[receptive_box(pos, geometry, image_size) for pos in row] for row in positions], dtype=np.int64
    ).reshape(len(channels), k, 4)
    return Exemplars(layer, channels, order, maxima[order, cols], positions, boxes, geometry)


def exemplar_patches(exemplars: Exemplars, images: np.ndarray | torch.Tensor) -> list[list[np.ndarray]]:
    """The image patch inside each exemplar's receptive field box (clipped to the image).

    Returns:
        One list per channel of ``k`` arrays of shape (C, h, w).

    Example:
        >>> g = LayerGeometry((3, 3), (1, 1), (-1, -1))
        >>> ex = Exemplars("l", [0], np.array([[0]]), np.array([[1.0]]), np.array([[[0, 2]]]),
        ...                np.array([[receptive_box((0, 2), g, (4, 4))]]), g)
        >>> exemplar_patches(ex, np.arange(16.0).reshape(1, 1, 4, 4))[0][0].tolist()
        [[[1.0, 2.0, 3.0], [5.0, 6.0, 7.0]]]
    """
    arr = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    return [
        [arr[i][:, t:b, l:r] for i, (t, l, b, r) in zip(row_idx, row_box)]
        for row_idx, row_box in zip(exemplars.indices, exemplars.boxes)
    ]


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
    colour: str = "tab:red",
    suptitle: str | None = None,
):
    """One row per channel: its ``k`` exemplars, strongest first, with the receptive field drawn.

    Each panel's title is the activation value. With ``patches=True`` each panel shows only the
    patch inside the receptive field (:func:`exemplar_patches`) instead of the whole image with
    the rectangle. Grey images are drawn with the ``gray`` colour map from 0 (black) to 1
    (white); colour images as RGB.

    Args:
        exemplars: from :func:`top_activating`.
        images: the same images that were passed to :func:`top_activating`, (N, C, H, W).
        patches: show the patches rather than the whole images.
        rows: which of the exemplars' channels to draw, as indices into ``exemplars.channels``;
            default all.
        panel_size: size of one panel in inches.
        dpi: figure resolution.
        colour: colour of the receptive-field rectangles.
        suptitle: a title above all panels.

    Returns:
        The ``Figure``; axes row by row (channel by channel), ``k`` per row.

    Example:
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
        idx = [int(r) for r in rows]
        if not idx or not all(0 <= r < len(exemplars.channels) for r in idx):
            raise ValueError(f"rows must be indices into the {len(exemplars.channels)} channels; got {list(rows)!r}")
        exemplars = exemplars._replace(
            channels=[exemplars.channels[r] for r in idx], indices=exemplars.indices[idx], values=exemplars.values[idx],
            positions=exemplars.positions[idx], boxes=exemplars.boxes[idx],
        )
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
                    Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, edgecolor=colour, linewidth=1.2)
                )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{exemplars.values[r, c]:.2f}", fontsize=7, pad=2)
        axes[r, 0].set_ylabel(f"{exemplars.layer}:{exemplars.channels[r]}", fontsize=7)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig
