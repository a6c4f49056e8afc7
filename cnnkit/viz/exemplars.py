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
Where a layer pads as TensorFlow's ``'same'`` (EfficientNet's :class:`TFSameConv2d`), the
padding before the first row depends on the input size, so the geometry needs it.

The data set can be anything the network accepts; :func:`photograph_crops` cuts hundreds of
crops at several scales out of a few photographs, :func:`layer_maps` runs them through the
network once and keeps the maps of several layers, :func:`exemplars_from_maps` ranks them, and
:func:`direction_maps` projects them on directions of the channel space other than the
channels themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from cnnkit.models.efficientnet import TFSameConv2d
from cnnkit.models.named import NamedLayersMixin
from cnnkit.shapes import (
    conv_output_size,
    pool_output_size,
    receptive_field,
    same_padding,
    tf_same_padding,
)

__all__ = [
    "LayerGeometry",
    "conv_layer_specs",
    "layer_geometry",
    "receptive_box",
    "Exemplars",
    "top_activating",
    "exemplars_from_maps",
    "layer_maps",
    "direction_maps",
    "Crops",
    "photograph_crops",
    "exemplar_patches",
]

_SPATIAL = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _pair(value: Any) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, (tuple, list)) else (int(value), int(value))


def conv_layer_specs(model: NamedLayersMixin, layer: str, input_size: Sequence[int] | int | None = None) -> list[dict]:
    """The convolution and pooling layers from the input up to and including ``layer``.

    The model's modules are walked in the order they were registered, which for VGG-style
    networks built from ``nn.Sequential`` (and for EfficientNet) is the order of the forward
    pass; the walk stops at the end of ``layer``'s module. Each ``nn.Conv2d``, ``nn.MaxPool2d``
    and ``nn.AvgPool2d`` contributes a dict with ``kernel_size``, ``stride``, ``dilation``
    (pairs, as :func:`cnnkit.shapes.receptive_field` accepts) and ``padding`` (the padding
    before the first row and column, a pair). A residual connection adds a path with a smaller
    field, so the walk along the main path gives the largest field, the one that counts.

    A :class:`~cnnkit.models.efficientnet.TFSameConv2d` pads as TensorFlow's ``'same'``: a total
    of ``max((ceil(i/s) - 1) s + k - i, 0)`` per axis, the odd one after the image
    (:func:`cnnkit.shapes.tf_same_padding`), so with stride 2 the padding *before* depends on
    the size ``i`` of its input: 0 rows for a 3x3 kernel on an even size, 1 on an odd one. The
    walk then follows the size from ``input_size`` through every layer.

    Args:
        model: a network with ``layer(name)`` (cnnkit's ``NamedLayersMixin``).
        layer: the layer's name.
        input_size: the network's input size (H, W) (an int means a square); needed only when a
            layer pads as TensorFlow does.

    Returns:
        A list of dicts, first layer first; with ``input_size``, each also has ``input_size``,
        the (H, W) its layer receives.

    Raises:
        ValueError: a TensorFlow-padded layer and no ``input_size``.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> [s["kernel_size"] for s in conv_layer_specs(small_vgg(None), "block1_pool")]
        [(3, 3), (3, 3), (2, 2)]
        >>> from cnnkit.models.efficientnet import efficientnet_lite0
        >>> specs = conv_layer_specs(efficientnet_lite0(None), "block2a", input_size=64)
        >>> [(s["kernel_size"][0], s["stride"][0], s["padding"][0], s["input_size"][0]) for s in specs if s["kernel_size"] != (1, 1)]
        [(3, 2, 0, 64), (3, 1, 1, 32), (3, 2, 0, 32)]
    """
    size = None if input_size is None else _pair(input_size)
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
        spec: dict = {"kernel_size": k, "stride": s, "dilation": d}
        if isinstance(module, TFSameConv2d):
            if size is None:
                raise ValueError(
                    f"the layers before {layer!r} pad as TensorFlow's 'same', whose padding depends on the "
                    "input size; pass input_size=(H, W)"
                )
            amounts = tf_same_padding(size, k, s, d)  # ((top, bottom), (left, right))
            before = (amounts[0][0], amounts[1][0])
            out = tuple(-(-i // ss) for i, ss in zip(size, s))
        else:
            if isinstance(pad, str):
                before = tuple(same_padding(kk, dd)[0] for kk, dd in zip(k, d)) if pad == "same" else (0, 0)
            else:
                before = _pair(pad)
            out = None
            if size is not None:
                if isinstance(module, nn.Conv2d):
                    out = size if pad == "same" else conv_output_size(size, k, s, 0 if pad == "valid" else before, d)
                else:
                    out = pool_output_size(size, k, s, before, d, ceil_mode=bool(getattr(module, "ceil_mode", False)))
        spec["padding"] = tuple(int(v) for v in before)
        if size is not None:
            spec["input_size"] = size
            size = (int(out[0]), int(out[1]))  # type: ignore[index]
        specs.append(spec)
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


def layer_geometry(model: NamedLayersMixin, layer: str, input_size: Sequence[int] | int | None = None) -> LayerGeometry:
    """Receptive field size, jump and offset of ``layer``'s units.

    ``input_size`` (H, W) is needed for networks that pad as TensorFlow does (see
    :func:`conv_layer_specs`): their offset depends on it.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> layer_geometry(small_vgg(None), "block3_conv2")
        LayerGeometry(size=(32, 32), jump=(4, 4), offset=(-14, -14))
        >>> from cnnkit.models.efficientnet import efficientnet_lite0
        >>> layer_geometry(efficientnet_lite0(None), "block2b", input_size=64)
        LayerGeometry(size=(19, 19), jump=(4, 4), offset=(-6, -6))
    """
    specs = conv_layer_specs(model, layer, input_size)
    if not specs:
        return LayerGeometry((1, 1), (1, 1), (0, 0))
    rf = receptive_field([{k: s[k] for k in ("kernel_size", "stride", "dilation", "padding")} for s in specs])
    return LayerGeometry(tuple(rf.size), tuple(rf.jump), tuple(rf.offset))


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

    def select(self, rows: Sequence[int]) -> Exemplars:
        """The same exemplars restricted to some channels, ``rows`` indexing :attr:`channels`.

        Example:
            >>> g = LayerGeometry((3, 3), (1, 1), (-1, -1))
            >>> ex = Exemplars("l", [4, 7], np.zeros((2, 1)), np.ones((2, 1)), np.zeros((2, 1, 2)), np.zeros((2, 1, 4)), g)
            >>> ex.select([1]).channels
            [7]
        """
        idx = [int(r) for r in rows]
        if not idx or not all(0 <= r < len(self.channels) for r in idx):
            raise ValueError(f"rows must be indices into the {len(self.channels)} channels; got {list(rows)!r}")
        return self._replace(
            channels=[self.channels[r] for r in idx],
            indices=self.indices[idx],
            values=self.values[idx],
            positions=self.positions[idx],
            boxes=self.boxes[idx],
        )


def _check_channels(channels: Sequence[int], available: int, layer: str) -> list[int]:
    channels = [int(c) for c in channels]
    if not channels:
        raise ValueError("channels must list at least one channel")
    bad = [c for c in channels if not 0 <= c < available]
    if bad:
        raise ValueError(
            f"channels {bad} are out of range for layer {layer!r}, which has {available} "
            f"channels (valid: 0 … {available - 1})"
        )
    return channels


def _rank(
    maxima: np.ndarray,
    argmax: np.ndarray,
    map_size: Sequence[int],
    layer: str,
    channels: list[int],
    k: int,
    geometry: LayerGeometry,
    image_size: Sequence[int],
) -> Exemplars:
    """The k best images per channel from the per-image maxima (N, C') and their flat positions."""
    order = np.argsort(-maxima, axis=0, kind="stable")[:k].T  # (C', k)
    cols = np.arange(len(channels))[:, None]
    flat_pos = argmax[order, cols]
    positions = np.stack([flat_pos // map_size[1], flat_pos % map_size[1]], axis=-1)
    boxes = np.array(
        [[receptive_box(pos, geometry, image_size) for pos in row] for row in positions], dtype=np.int64
    ).reshape(len(channels), k, 4)
    return Exemplars(layer, channels, order, maxima[order, cols], positions, boxes, geometry)


def _check_k(k: Any, n: int) -> None:
    if not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an int between 1 and the number of images ({n}); got {k!r}")


def _batches(images: Any, batch_size: int, device: torch.device, preprocess: Callable | None):
    """Yield ``(start, batch)``: float32 tensors of ``batch_size`` images on ``device``, preprocessed."""
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        batch = batch if isinstance(batch, torch.Tensor) else torch.from_numpy(np.asarray(batch, dtype=np.float32))
        batch = batch.to(device)
        if preprocess is not None:
            with torch.no_grad():
                batch = preprocess(batch)
        yield start, batch


def top_activating(
    model: NamedLayersMixin,
    images: np.ndarray | torch.Tensor,
    layer: str,
    channels: Sequence[int],
    k: int = 9,
    batch_size: int = 500,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Exemplars:
    """For each channel, the ``k`` images whose feature map reaches the highest value.

    Every image is scored by the maximum of the channel over all spatial positions; the ``k``
    best scores are kept (ties go to the lower index). The maps are computed in batches and
    only the maxima kept, so memory does not grow with the layer's size.

    Args:
        model: a network with cnnkit's ``NamedLayersMixin``.
        images: (N, C, H, W), as the model expects them, or as ``preprocess`` expects them
            (numpy or torch; each batch is moved to the device of the model's parameters).
        layer: name of a layer with (N, C', H', W') output.
        channels: the channels to rank images for.
        k: how many images per channel.
        batch_size: images per forward pass.
        preprocess: applied to each batch before the network (for example the input
            normalisation), so that ``images`` can stay displayable pixels in [0, 1].

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
    _check_k(k, n)
    if not channels:
        raise ValueError("channels must list at least one channel")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    maxima = np.empty((n, len(channels)), dtype=np.float64)
    argmax = np.empty((n, len(channels)), dtype=np.int64)
    map_size: tuple[int, ...] = ()
    for start, batch in _batches(images, batch_size, device, preprocess):
        act = model.activations(batch, layer)[layer]
        if act.ndim != 4:
            raise ValueError(f"layer {layer!r} must have (N, C, H, W) output for exemplars; got shape {act.shape}")
        _check_channels(channels, act.shape[1], layer)
        map_size = tuple(act.shape[2:])
        flat = np.asarray(act[:, channels]).reshape(len(act), len(channels), -1)
        maxima[start : start + len(act)] = flat.max(axis=2)
        argmax[start : start + len(act)] = flat.argmax(axis=2)
    image_size = tuple(int(v) for v in images.shape[2:])
    geometry = layer_geometry(model, layer, image_size)
    return _rank(maxima, argmax, map_size, layer, channels, k, geometry, image_size)


def exemplars_from_maps(
    maps: np.ndarray,
    layer: str,
    channels: Sequence[int],
    geometry: LayerGeometry,
    image_size: Sequence[int],
    k: int = 9,
) -> Exemplars:
    """:func:`top_activating` for feature maps that are already computed (:func:`layer_maps`).

    The maps can also be projections on directions (:func:`direction_maps`): "channel" ``c``
    is then direction ``c``.

    Args:
        maps: (N, C, H', W') the layer's maps for N images.
        layer: the layer's name (kept in the result, for labels).
        channels: the channels to rank images for.
        geometry: the layer's :class:`LayerGeometry` (:func:`layer_geometry`).
        image_size: (H, W) of the images, to clip the boxes.
        k: how many images per channel.

    Returns:
        An :class:`Exemplars`, as :func:`top_activating` returns.

    Example:
        >>> maps = np.zeros((3, 2, 2, 2)); maps[2, 1, 1, 0] = 5.0
        >>> ex = exemplars_from_maps(maps, "l", [1], LayerGeometry((3, 3), (2, 2), (-1, -1)), (4, 4), k=2)
        >>> ex.indices.tolist(), ex.positions.tolist(), ex.boxes.tolist()
        ([[2, 0]], [[[1, 0], [0, 0]]], [[[1, 0, 4, 2], [0, 0, 2, 2]]])
    """
    arr = np.asarray(maps)
    if arr.ndim != 4:
        raise ValueError(f"maps must have shape (N, C, H, W); got shape {arr.shape}")
    _check_k(k, len(arr))
    chans = _check_channels(channels, arr.shape[1], layer)
    flat = arr[:, chans].reshape(len(arr), len(chans), -1)
    return _rank(
        flat.max(axis=2).astype(np.float64), flat.argmax(axis=2), arr.shape[2:], layer, chans, k, geometry, image_size
    )


def layer_maps(
    model: NamedLayersMixin,
    images: np.ndarray | torch.Tensor,
    layers: str | Sequence[str],
    batch_size: int = 100,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, np.ndarray]:
    """The activations of several layers for a whole data set, in batches, from one pass each.

    Args:
        model: a network with cnnkit's ``NamedLayersMixin``.
        images: (N, C, H, W) (numpy or torch).
        layers: one name or several.
        batch_size: images per forward pass (memory grows with it).
        preprocess: applied to each batch before the network.

    Returns:
        A dict from layer name to a float32 array (N, ...) of its activations.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> maps = layer_maps(small_vgg(None), np.zeros((5, 1, 28, 28)), ["block1_conv1", "gap"], batch_size=2)
        >>> {name: m.shape for name, m in maps.items()}
        {'block1_conv1': (5, 16, 28, 28), 'gap': (5, 64)}
    """
    names = [layers] if isinstance(layers, str) else list(layers)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for _, batch in _batches(images, batch_size, device, preprocess):
        for name, act in model.activations(batch, names).items():
            parts[name].append(np.asarray(act, dtype=np.float32))
    return {name: np.concatenate(p) for name, p in parts.items()}


def direction_maps(maps: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Project every position's channel vector on D directions: ``sum_c v_dc a_c``.

    Args:
        maps: (N, C, H, W) activations.
        directions: (D, C) one direction per row (a row of the identity is a channel).

    Returns:
        Array (N, D, H, W).

    Example:
        >>> maps = np.arange(8.0).reshape(1, 2, 2, 2)
        >>> direction_maps(maps, np.array([[1.0, 0.0], [0.6, 0.8]]))[0, :, 0, 0].tolist()
        [0.0, 3.2]
    """
    arr, v = np.asarray(maps), np.asarray(directions)
    if arr.ndim != 4 or v.ndim != 2 or v.shape[1] != arr.shape[1]:
        raise ValueError(
            f"maps must be (N, C, H, W) and directions (D, C) with the same C; got shapes {arr.shape} and {v.shape}"
        )
    return np.einsum("dc,nchw->ndhw", v.astype(arr.dtype), arr)


class Crops(NamedTuple):
    """Square crops of photographs, from :func:`photograph_crops`.

    Attributes:
        images: (N, 3, size, size) float32 RGB in [0, 1].
        source: (N,) which photograph each crop comes from (its index in the list given).
        scale: (N,) the crop's side as a fraction of its photograph's shorter side.
        boxes: (N, 4) the crop in the photograph's pixels, ``(top, left, bottom, right)``
            (bottom and right exclusive, rounded).
    """

    images: np.ndarray
    source: np.ndarray
    scale: np.ndarray
    boxes: np.ndarray


def _rgb(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        return arr[..., :3]
    raise ValueError(f"each photograph must be (H, W) grey or (H, W, 3) RGB; got shape {arr.shape}")


def photograph_crops(
    images: Sequence[np.ndarray], size: int = 64, scales: Sequence[float] = (1.0, 0.5, 0.25), step: float = 1.0
) -> Crops:
    """Cut square crops at several scales out of photographs, each resized to ``size`` x ``size``.

    At scale ``s`` a crop's side is ``s`` times the photograph's shorter side. The photograph is
    resized once per scale (with anti-aliasing, so that a crop is what a camera at that
    distance would see) until that side is ``size`` pixels, and then tiled with windows of
    ``size`` pixels, ``step * size`` pixels apart (``step=0.5``: each crop overlaps its
    neighbours by half), the grid centred on the photograph. Grey photographs become RGB with
    three equal channels.

    Args:
        images: photographs, (H, W) grey or (H, W, 3) RGB, values in [0, 1].
        size: side of every crop, in pixels.
        scales: crop sides as fractions of each photograph's shorter side, in (0, 1].
        step: distance between neighbouring crops, as a fraction of ``size``.

    Returns:
        :class:`Crops`, photograph by photograph, scale by scale, row by row.

    Example:
        >>> crops = photograph_crops([np.zeros((40, 60)), np.ones((40, 40, 3))], size=10, scales=(1.0, 0.5))
        >>> crops.images.shape, crops.source.tolist(), crops.scale.tolist()
        ((12, 3, 10, 10), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.5, 0.5])
        >>> crops.boxes[:3].tolist()     # the whole height, centred; then the top-left 20x20 square
        [[0, 8, 40, 48], [0, 0, 20, 20], [0, 20, 20, 40]]
    """
    from skimage.transform import resize

    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    scales = [float(s) for s in scales]
    if not scales or not all(0 < s <= 1 for s in scales):
        raise ValueError(f"scales must be fractions in (0, 1]; got {scales!r}")
    if not 0 < step <= 1:
        raise ValueError(f"step must be in (0, 1]; got {step!r}")
    stride = max(1, round(step * size))
    out, source, scale, boxes = [], [], [], []
    for n, image in enumerate(images):
        rgb = _rgb(image)
        h, w = rgb.shape[:2]
        for s in scales:
            factor = size / (s * min(h, w))
            rh, rw = max(size, round(h * factor)), max(size, round(w * factor))
            small = resize(rgb, (rh, rw, 3), anti_aliasing=factor < 1)
            rows, cols = (rh - size) // stride + 1, (rw - size) // stride + 1
            top0 = (rh - size - (rows - 1) * stride) // 2
            left0 = (rw - size - (cols - 1) * stride) // 2
            for r in range(rows):
                for c in range(cols):
                    t, l = top0 + r * stride, left0 + c * stride
                    out.append(small[t : t + size, l : l + size].transpose(2, 0, 1))
                    source.append(n)
                    scale.append(s)
                    boxes.append([round(v / factor) for v in (t, l, t + size, l + size)])
    if not out:
        raise ValueError("images must contain at least one photograph")
    return Crops(
        np.clip(np.stack(out), 0, 1).astype(np.float32),
        np.array(source),
        np.array(scale),
        np.array(boxes, dtype=np.int64),
    )


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
