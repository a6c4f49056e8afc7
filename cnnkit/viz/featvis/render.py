"""The render loop of feature visualisation: gradient ascent on the input, with a seed.

:func:`visualise` optimises a whole grid of objectives as one batch (batch element ``b``
maximises objective ``b``); :func:`visualise_layers` does so for the same channels of several
layers; :func:`objective_values` measures the objectives of given images; :func:`normalised_step`
is the plain gradient-ascent step of the Keras blog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from cnnkit._checks import check_choice
from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.mode import eval_mode
from cnnkit.models.named import NamedLayersMixin, unknown_layer_error
from cnnkit.viz.featvis.diversity import diversity_penalty
from cnnkit.viz.featvis.objectives import (
    Objective,
    _check_activation,
    _device,
    _input_channels,
    _parse_all,
)
from cnnkit.viz.featvis.parametrisations import _generator, image_param
from cnnkit.viz.featvis.transforms import Transform, apply_transforms

__all__ = [
    "FeatureVisualisation",
    "normalised_step",
    "visualise",
    "visualise_layers",
    "objective_values",
]


class FeatureVisualisation(NamedTuple):
    """What :func:`visualise` returns.

    Attributes:
        images: the optimised images, (B, C, H, W), detached, on the CPU.
        start_images: the images before the first step, (B, C, H, W).
        history: the objective of every batch element at every step, (steps, B), measured on
            the transformed image the step used.
        objectives: the B objectives, as strings ``"layer:channel"``.
    """

    images: torch.Tensor
    start_images: torch.Tensor
    history: np.ndarray
    objectives: list[str]

    def select(self, index: Sequence[int]) -> FeatureVisualisation:
        """The same result restricted to the batch elements ``index``."""
        idx = list(index)
        return FeatureVisualisation(
            self.images[idx], self.start_images[idx], self.history[:, idx], [self.objectives[i] for i in idx]
        )

    def by_layer(self) -> dict[str, FeatureVisualisation]:
        """Split a grid that mixes layers into one result per layer, in order of appearance."""
        layers: dict[str, list[int]] = {}
        for b, spec in enumerate(self.objectives):
            layers.setdefault(spec.rsplit(":", 1)[0], []).append(b)
        return {layer: self.select(idx) for layer, idx in layers.items()}

    @property
    def channels(self) -> list[int]:
        """The channel of every objective (for ``"layer:channel"`` objectives, not directions)."""
        return [int(spec.rsplit(":", 1)[1]) for spec in self.objectives]


def _record(
    model: NamedLayersMixin, objectives: list, x: torch.Tensor, keep: Sequence[str] = ()
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Forward ``x`` until the deepest needed layer; return the (B,) objectives (with gradients)
    and the outputs of the layers named in ``keep``."""
    names = model.layer_names()
    layers = sorted({o.layer for o in objectives} | set(keep), key=names.index)
    # not detached: the gradient must flow back to the image; stop: skip the layers after the deepest
    with LayerRecorder({name: model.layer(name) for name in layers}, stop=True) as recorder:
        model(x)
    found = recorder.outputs
    # One multiplication by a mask of channel weights per layer (one-hot for a channel, the
    # direction for a DirectionObjective), rather than one indexing per example: its gradient is
    # a single tensor (B indexing operations would each allocate a full one).
    order: list[int] = []
    parts: list[torch.Tensor] = []
    for name in layers:
        index = [b for b, o in enumerate(objectives) if o.layer == name]
        if not index:
            continue  # a layer recorded only for ``keep``
        act = found[name]
        _check_activation(act, str(objectives[index[0]]))
        if len(index) < len(objectives):
            act = act.index_select(0, torch.tensor(index, device=act.device))
        mask = torch.stack([objectives[b].weights(act.shape[1]) for b in index])
        mask = mask.to(dtype=act.dtype, device=act.device).reshape(len(index), act.shape[1], *[1] * (act.ndim - 2))
        order += index
        parts.append((act * mask).sum(1).reshape(len(index), -1).mean(dim=1))
    values = torch.cat(parts)
    if order != list(range(len(objectives))):
        values = values[torch.argsort(torch.tensor(order, device=values.device))]
    return values, {name: found[name] for name in keep}


def normalised_step(params: Sequence[torch.Tensor], lr: float) -> None:
    """One step of gradient ascent, each batch element's gradient divided by its root mean square.

    ``p.grad`` must hold the gradient of the *loss*, minus the objective (what ``backward`` on
    ``-objective`` leaves), so the step is ``p + lr * g / (rms(g) + 1e-5)`` with ``g = -p.grad``:
    every step moves the pixels by about ``lr``, however large or small the gradient is.

    Example:
        >>> x = torch.zeros(1, 1, 2, 2, requires_grad=True)
        >>> x.grad = torch.full_like(x, -3.0)  # the objective grows along +x
        >>> normalised_step([x], 0.1)
        >>> round(float(x.detach()[0, 0, 0, 0]), 4)
        0.1
    """
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                raise ValueError("normalised_step: every parameter needs a gradient; call backward() first")
            g = -p.grad  # the loss is minus the objective
            rms = g.pow(2).flatten(1).mean(1).sqrt().reshape(-1, *[1] * (g.ndim - 1))
            p.add_(lr * g / (rms + 1e-5))


def _diversity_layer(model: NamedLayersMixin, objs: list, diversity: float, layer: str | None) -> str | None:
    """The layer whose Gram matrices the diversity term compares; None without a diversity term."""
    if not isinstance(diversity, (int, float)) or isinstance(diversity, bool) or not diversity >= 0:
        raise ValueError(f"visualise: diversity must be a number >= 0; got {diversity!r}")
    if diversity == 0:
        return None
    if len(objs) < 2:
        raise ValueError(
            f"visualise: diversity compares the images of a batch, so it needs at least 2 objectives; got {len(objs)}"
        )
    name = objs[0].layer if layer is None else layer
    names = model.layer_names()
    if name not in names:
        raise unknown_layer_error(name, names)
    return name


def visualise(
    model: NamedLayersMixin,
    objectives: Sequence[Objective],
    size: int | tuple[int, int] = 28,
    param: str | nn.Module = "fourier",
    transforms: Sequence[Transform] = (),
    steps: int = 128,
    lr: float = 0.05,
    optimizer: str = "adam",
    seed: int = 0,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
    channels: int | None = None,
    diversity: float = 0.0,
    diversity_layer: str | None = None,
) -> FeatureVisualisation:
    """Optimise one image per objective by gradient ascent, all in one batch.

    At every step: make the images from the parametrisation, apply ``transforms`` (fresh random
    draws), apply ``preprocess``, run the network up to the deepest layer needed, take
    ``loss = -sum_b objective_b(image_b)`` and let the optimiser change the parameters; then,
    if the parametrisation has a ``constrain_`` method (:class:`PixelImage` with
    ``bound="clip"``), call it, which makes the run projected gradient ascent. Batch
    element ``b`` is optimised for ``objectives[b]`` alone, since the batch elements do not
    interact in a network in eval mode.

    With ``diversity=lambda > 0`` the images do interact: the loss gains Olah et al.'s diversity
    term, ``lambda * sum_{a != b} s_ab``, where ``s_ab`` is the cosine similarity of the Gram
    matrices of images ``a`` and ``b`` at ``diversity_layer``
    (:func:`~cnnkit.viz.featvis.diversity.diversity_penalty` times ``B (B - 1)``), so that the
    batch spreads over different inputs that all excite the objectives. Give the same
    objective B times to see B facets of one channel.

    The model is put in eval mode and its parameters' ``requires_grad`` switched off for the
    run; both are restored, and the hooks removed, in a ``finally`` block.

    Args:
        model: a network with cnnkit's ``NamedLayersMixin`` (``layer``, ``layer_names``).
        objectives: B strings ``"layer:channel"`` (or :class:`ChannelObjective`,
            :class:`DirectionObjective`).
        size: image size, int or (H, W).
        param: ``"pixel"``, ``"fourier"``, or a module whose ``forward()`` returns (B, C, H, W).
        transforms: random transforms applied at each step (e.g. :func:`default_transforms`).
        steps: number of optimiser steps.
        lr: learning rate (Adam) or step size (``"normalized"``).
        optimizer: ``"adam"`` or ``"normalized"`` (gradient ascent with the gradient divided by
            its root mean square, as the Keras blog does).
        seed: seeds the initial image and the transforms; the same seed gives the same images.
        preprocess: applied to the image before the network (e.g. ImageNet normalisation).
        channels: input channels; default what the model's first convolution expects.
        diversity: weight of the diversity term (0: none); needs at least two objectives.
        diversity_layer: the (B, C, H, W) layer whose Gram matrices are compared; default the
            layer of the first objective.

    Returns:
        A :class:`FeatureVisualisation` (images, start images, history (steps, B), objectives).

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> result = visualise(small_vgg(), ["block1_conv1:0", "block1_conv1:3"], size=12, steps=4)
        >>> result.images.shape, result.history.shape, result.objectives
        (torch.Size([2, 1, 12, 12]), (4, 2), ['block1_conv1:0', 'block1_conv1:3'])
    """
    objs = _parse_all(objectives, model)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int; got {steps!r}")
    check_choice(optimizer, ("adam", "normalized"), "optimizer", caller="visualise")
    diverse_at = _diversity_layer(model, objs, diversity, diversity_layer)
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    c = _input_channels(model) if channels is None else channels
    device = _device(model)
    generator = _generator(seed)
    if isinstance(param, str):
        image = image_param(param, (len(objs), c, h, w), seed=generator)
    else:
        image = param
    image = image.to(device)
    params = [p for p in image.parameters()]
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else None
    history = np.zeros((steps, len(objs)))
    grads = [p.requires_grad for p in model.parameters()]
    try:
        with eval_mode(model):
            for p in model.parameters():
                p.requires_grad_(False)
            with torch.no_grad():
                start = image().detach().cpu().clone()
            for step in range(steps):
                for p in params:
                    p.grad = None
                x = apply_transforms(image(), transforms, generator)
                if preprocess is not None:
                    x = preprocess(x)
                values, kept = _record(model, objs, x, keep=[diverse_at] if diverse_at else [])
                loss = -values.sum()
                if diverse_at is not None:  # Olah et al.'s diversity term: lambda * (sum of s_ab, a != b)
                    loss = loss + diversity * len(objs) * (len(objs) - 1) * diversity_penalty(kept[diverse_at])
                loss.backward()
                history[step] = values.detach().cpu().double().numpy()
                if opt is not None:
                    opt.step()
                else:
                    normalised_step(params, lr)
                constrain = getattr(image, "constrain_", None)
                if constrain is not None:
                    constrain()
            with torch.no_grad():
                final = image().detach().cpu().clone()
    finally:
        for p, g in zip(model.parameters(), grads):
            p.requires_grad_(g)
    return FeatureVisualisation(final, start, history, [str(o) for o in objs])


def objective_values(
    model: NamedLayersMixin,
    objectives: Sequence[Objective],
    images: torch.Tensor,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> np.ndarray:
    """Objective ``b`` of image ``b``, measured on the untransformed images; shape (B,).

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> objective_values(small_vgg(), ["block1_conv1:0"], torch.zeros(1, 1, 8, 8)).shape
        (1,)
    """
    objs = _parse_all(objectives, model)
    if images.shape[0] != len(objs):
        raise ValueError(f"images must have one image per objective ({len(objs)}); got {images.shape[0]}")
    with eval_mode(model), torch.no_grad():
        x = images.to(_device(model))
        values, _ = _record(model, objs, preprocess(x) if preprocess is not None else x)
    return values.cpu().double().numpy()


def visualise_layers(
    model: NamedLayersMixin, layers: Sequence[str], channels: int | Sequence[int] = 8, **kwargs
) -> dict[str, FeatureVisualisation]:
    """Visualise the same channels of several layers in one batch, and split the result by layer.

    Args:
        model: as for :func:`visualise`.
        layers: layer names.
        channels: the channels to show in every layer, or an int ``n`` for channels ``0 … n-1``.
        **kwargs: passed to :func:`visualise` (size, param, transforms, steps, lr, seed, ...).

    Returns:
        A dict from layer name to its :class:`FeatureVisualisation`, in the order of ``layers``.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> grid = visualise_layers(small_vgg(), ["block1_conv1", "block2_conv1"], 2, size=8, steps=2)
        >>> {name: r.objectives for name, r in grid.items()}
        {'block1_conv1': ['block1_conv1:0', 'block1_conv1:1'], 'block2_conv1': ['block2_conv1:0', 'block2_conv1:1']}
    """
    chans = list(range(channels)) if isinstance(channels, int) else [int(c) for c in channels]
    if not layers or not chans:
        raise ValueError("layers and channels must each name at least one entry")
    result = visualise(model, [f"{layer}:{c}" for layer in layers for c in chans], **kwargs)
    return result.by_layer()
