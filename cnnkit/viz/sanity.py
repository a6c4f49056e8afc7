"""Sanity checks of saliency maps: do they change when the network forgets what it learned?

Adebayo et al. (2018) ask whether a map changes when the network's weights are destroyed:
:func:`cascading_randomization` randomises the layers one after another from the top, and
:func:`explanation_maps` computes signed CAM, Grad-CAM and saliency (:mod:`cnnkit.viz.cam`) in
one pass at each step; :func:`map_correlation` compares the maps before and after.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from copy import deepcopy
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from cnnkit._checks import as_array, check_choice
from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.mode import eval_mode
from cnnkit.viz.cam import (
    ClassIndex,
    _as_batch,
    _gap_linear,
    _module,
    _reduce_channels,
    _resolve,
    class_activation_map,
    grad_cam_map,
)

__all__ = ["ExplanationMaps", "explanation_maps", "cascading_randomization", "map_correlation"]


class ExplanationMaps(NamedTuple):
    """CAM, Grad-CAM and gradient saliency of the same images and classes, all *signed*.

    Attributes:
        cam: (N, h, w) class activation maps (:func:`cam_for_model`).
        grad_cam: (N, h', w') Grad-CAM maps *before* the ReLU (:func:`grad_cam` with ``relu=False``).
        saliency: (N, H, W) input gradients summed over the channels (:func:`saliency_map`
            with ``reduce="sum"``).
        class_idx: (N,) int64 array of the explained classes.
        logits: (N, num_classes) scores of the input.

    For one image (C, H, W) the leading N is dropped and ``class_idx`` is an int.
    """

    cam: np.ndarray
    grad_cam: np.ndarray
    saliency: np.ndarray
    class_idx: Any
    logits: np.ndarray


def explanation_maps(
    model: nn.Module,
    x: Any,
    layer: str | nn.Module,
    class_idx: ClassIndex = None,
    grad_cam_layer: str | nn.Module | None = None,
    linear: str | nn.Module | None = None,
) -> ExplanationMaps:
    """CAM at ``layer``, Grad-CAM at ``grad_cam_layer`` and saliency, from one forward and one backward pass.

    The three maps are those of :func:`cam_for_model`, :func:`grad_cam` (``relu=False``) and
    :func:`saliency_map` (``reduce="sum"``), kept signed so that a comparison can look at the
    signs or, after ``np.abs``, at the magnitudes only; the single pass makes the cascading
    randomisation of :func:`cascading_randomization` three times cheaper than calling them one by
    one.

    Args:
        model: a classifier ending in global average pooling and one linear layer.
        x: images (N, C, H, W) or one image (C, H, W).
        layer: the maps that are pooled (``"head"`` for EfficientNet-Lite0), for CAM.
        class_idx: None (predicted classes), an int, or one int per image.
        grad_cam_layer: the layer of Grad-CAM; ``layer`` if None (then Grad-CAM is CAM / Z).
        linear: the linear layer, as in :func:`cam_for_model`.

    Returns:
        An :class:`ExplanationMaps`.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> from cnnkit.viz.cam import cam_for_model, saliency_map
        >>> _ = torch.manual_seed(0)
        >>> model, x = small_vgg(weights=None), torch.rand(2, 1, 28, 28)
        >>> out = explanation_maps(model, x, "block3_conv2", class_idx=[3, 5], grad_cam_layer="block2_conv2")
        >>> out.cam.shape, out.grad_cam.shape, out.saliency.shape
        ((2, 7, 7), (2, 14, 14), (2, 28, 28))
        >>> np.allclose(out.cam, cam_for_model(model, x, class_idx=[3, 5]).maps, atol=1e-5)
        True
        >>> np.allclose(out.saliency, saliency_map(model, x, class_idx=[3, 5], reduce="sum").maps, atol=1e-6)
        True
    """
    xb, single = _as_batch(x)
    dense = _gap_linear(model, linear)
    cam_module = _module(model, layer)
    gc_module = cam_module if grad_cam_layer is None else _module(model, grad_cam_layer)
    xb = xb.detach().clone().requires_grad_(True)
    with LayerRecorder({"cam": cam_module, "grad_cam": gc_module}) as recorder, eval_mode(model), torch.enable_grad():
        logits = model(xb)
        if "cam" not in recorder.outputs or "grad_cam" not in recorder.outputs:
            raise ValueError("the chosen layer was not used in the model's forward pass")
        feats, acts = recorder.outputs["cam"], recorder.outputs["grad_cam"]
        if feats.ndim != 4 or feats.shape[1] != dense.in_features:
            raise ValueError(
                f"layer {layer!r} gives shape {tuple(feats.shape)} but the linear layer expects "
                f"{dense.in_features} pooled features: the network has no global-average-pooling head here"
            )
        if acts.ndim != 4:
            raise ValueError(f"grad_cam_layer must output maps (N, K, h, w); it gives shape {tuple(acts.shape)}")
        classes = _resolve(class_idx, logits)
        score = logits[torch.arange(len(classes)), torch.as_tensor(classes)].sum()
        acts_grad, x_grad = torch.autograd.grad(score, (acts, xb))
    cam = class_activation_map(feats.detach().cpu().numpy(), dense.weight.detach().cpu().numpy(), classes)
    gc = grad_cam_map(acts, acts_grad, relu=False).detach().double().cpu().numpy()
    sal = _reduce_channels(x_grad, "sum").cpu().numpy()
    logits_np = logits.detach().cpu().numpy()
    if single:
        return ExplanationMaps(cam[0], gc[0], sal[0], int(classes[0]), logits_np[0])
    return ExplanationMaps(cam, gc, sal, classes, logits_np)


def cascading_randomization(
    model: nn.Module, source: nn.Module, layers: Sequence[str | nn.Module]
) -> Iterator[tuple[str, nn.Module]]:
    """Randomise a network layer after layer, cumulatively (Adebayo et al. 2018's cascade).

    A copy of ``model`` is made once; then for each entry of ``layers`` in turn, that layer of
    the copy takes *every* parameter and buffer of the same layer of ``source`` (a network of
    the same architecture with random weights): convolution and linear weights and biases,
    batch normalisations' scales, shifts and running statistics. The copy is yielded after each
    step, with all the layers so far randomised. List the layers from the top down (the
    classifier first) for the paper's cascade. ``model`` and ``source`` are not changed.

    Draw ``source`` independently of ``model``'s training: a network trained from the seed that
    ``source`` was built with may have kept much of those initial values.

    Args:
        model: the trained network.
        source: the random network, same architecture.
        layers: names of ``model``'s layers (see ``model.layer_names()``), in the order to
            randomise them; modules of ``model`` work too.

    Yields:
        ``(name, network)``: the name of the layer just randomised (``str(module)`` when a module
        was given) and the copy with it and every earlier entry randomised. The copy is the same
        object at every step, changed in place: copy it to keep a step.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> _ = torch.manual_seed(0)
        >>> trained, random_net = small_vgg(weights=None), small_vgg(weights=None)
        >>> steps = cascading_randomization(trained, random_net, ["predictions", "block3_conv2"])
        >>> [(name, torch.equal(net.predictions.weight, random_net.predictions.weight),
        ...   torch.equal(net.layer("block3_conv2").conv.weight, random_net.layer("block3_conv2").conv.weight))
        ...  for name, net in steps]
        [('predictions', True, False), ('block3_conv2', True, True)]
    """
    if isinstance(layers, (str, nn.Module)):
        raise TypeError(f"layers must be a sequence of layer names or modules; got {layers!r}")
    names = [layer if isinstance(layer, str) else None for layer in layers]
    targets = [_module(model, layer) for layer in layers]  # fail early on a bad name
    paths = {id(m): path for path, m in model.named_modules()}
    copy_ = deepcopy(model)
    copied = dict(copy_.named_modules())
    sources = dict(source.named_modules())
    for name, target, layer in zip(names, targets, layers):
        path = paths.get(id(target))
        if path is None:
            raise ValueError(f"layer {layer!r} is not a module of model")
        if path not in sources:
            raise ValueError(f"source has no module {path!r}: it must have model's architecture")
        copied[path].load_state_dict(sources[path].state_dict())
        yield (name if name is not None else str(layer)), copy_


def map_correlation(a: Any, b: Any, method: str = "pearson") -> Any:
    """Correlation between two maps, or between paired maps of two batches.

    ``'pearson'`` is the linear correlation of the values, ``'spearman'`` that of their ranks
    (ties get their mean rank, as ``scipy.stats.spearmanr``): 1 when the maps order the
    positions the same way, about 0 when they are unrelated. A constant map gives ``nan``.

    Args:
        a, b: maps of the same shape, (h, w) or (N, h, w).
        method: ``'pearson'`` or ``'spearman'``.

    Returns:
        A float for two maps, or an (N,) array for two batches.

    Example:
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> round(map_correlation(a, 2 * a + 1), 6), round(map_correlation(a, -a), 6)
        (1.0, -1.0)
        >>> round(map_correlation(a, a ** 3, method="spearman"), 6)
        1.0
    """
    from scipy.stats import rankdata

    x = as_array(a, "a").astype(np.float64)
    y = as_array(b, "b").astype(np.float64)
    if x.shape != y.shape or x.ndim not in (2, 3):
        raise ValueError(f"a and b must have the same shape, (h, w) or (N, h, w); got {x.shape} and {y.shape}")
    check_choice(method, ("pearson", "spearman"), "method", caller="map_correlation")
    single = x.ndim == 2
    x = x.reshape(1 if single else x.shape[0], -1)
    y = y.reshape(x.shape)
    if method == "spearman":
        x, y = rankdata(x, axis=1), rankdata(y, axis=1)
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, (x * y).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)
    return float(r[0]) if single else r
