"""Objectives of feature visualisation: what the optimised image should make the network do.

An objective is parsed from a string such as ``"block4_conv1:12"`` (layer, colon, channel):
:func:`parse_objective`, :class:`ChannelObjective`; or it is a weighted sum of channels,
:class:`DirectionObjective` (with :func:`random_directions`). :func:`layer_channels` says how
many channels a layer has.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.mode import eval_mode
from cnnkit.models.named import NamedLayersMixin, unknown_layer_error

__all__ = [
    "Objective",
    "ChannelObjective",
    "DirectionObjective",
    "random_directions",
    "parse_objective",
    "layer_channels",
]

_SPEC = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:\s*(-?\d+)\s*$")


def _check_activation(activation: torch.Tensor, objective: str) -> None:
    if activation.ndim not in (2, 4):
        raise ValueError(
            f"the activation for objective {objective!r} must have shape (N, C, H, W) (a convolutional "
            f"layer) or (N, C) (a dense layer such as the logits); got shape {tuple(activation.shape)}"
        )


@dataclass(frozen=True)
class ChannelObjective:
    """The mean activation of one channel of one layer, ``"layer:channel"``.

    Calling it on an activation of shape (N, C, H, W) returns the per-example objective, shape
    (N,): ``activation[:, channel].mean((1, 2))``. On the output of a dense layer, shape (N, C),
    it is the unit itself, ``activation[:, channel]``: ``"predictions:285"`` is the logit of
    ImageNet class 285. Calling it with ``batch_index=b`` returns the objective of example
    ``b`` only (a 0-d tensor).

    Example:
        >>> obj = ChannelObjective("block1_conv1", 1)
        >>> str(obj)
        'block1_conv1:1'
        >>> act = torch.arange(16.0).reshape(1, 4, 2, 2)
        >>> obj(act).tolist()
        [5.5]
        >>> ChannelObjective("predictions", 2)(torch.tensor([[0.5, 1.0, 4.0]])).tolist()
        [4.0]
    """

    layer: str
    channel: int

    def __str__(self) -> str:
        return f"{self.layer}:{self.channel}"

    def check_channels(self, channels: int) -> None:
        """Raise a ValueError naming the valid range when the layer has ``channels`` channels."""
        if not 0 <= self.channel < channels:
            raise ValueError(
                f"channel {self.channel} is out of range for layer {self.layer!r}, which has "
                f"{channels} channels (valid: 0 … {channels - 1}); got objective {str(self)!r}"
            )

    def weights(self, channels: int) -> torch.Tensor:
        """The objective as a weight per channel, shape (channels,): one-hot at ``channel``."""
        self.check_channels(channels)
        w = torch.zeros(channels)
        w[self.channel] = 1.0
        return w

    def __call__(self, activation: torch.Tensor, batch_index: int | None = None) -> torch.Tensor:
        _check_activation(activation, str(self))
        self.check_channels(activation.shape[1])
        values = activation[:, self.channel].reshape(len(activation), -1).mean(dim=1)
        return values if batch_index is None else values[batch_index]


@dataclass(frozen=True)
class DirectionObjective:
    """The mean, over positions, of a weighted sum of channels: a direction in channel space.

    At every position ``(i, j)`` a layer's output is a vector ``a_ij`` with one entry per
    channel; the objective is the mean of its projection on the direction ``v``,

    .. math::

        L(x) = \\frac{1}{HW} \\sum_{i,j} v^\\top a_{ij}(x) = \\frac{1}{HW} \\sum_{i,j} \\sum_c v_c\\, a_c(x)_{ij}.

    A :class:`ChannelObjective` is the special case of a one-hot ``v`` (a basis direction).
    For values comparable between directions, give unit vectors (:func:`random_directions`).

    Args:
        layer: the layer's name.
        direction: the C weights ``v_c`` (a sequence of floats; stored as a tuple).
        name: how the objective is written after the colon in ``str(obj)``.

    Example:
        >>> obj = DirectionObjective("block4c", (0.6, 0.0, -0.8), name="v0")
        >>> str(obj)
        'block4c:v0'
        >>> act = torch.ones(2, 3, 4, 4)
        >>> [round(v, 6) for v in obj(act).tolist()]
        [-0.2, -0.2]
    """

    layer: str
    direction: tuple[float, ...]
    name: str = "direction"

    def __post_init__(self) -> None:
        values = tuple(float(v) for v in np.asarray(self.direction, dtype=np.float64).reshape(-1))
        if not values or not all(math.isfinite(v) for v in values):
            raise ValueError(f"direction must be a non-empty sequence of finite numbers; got {self.direction!r}")
        object.__setattr__(self, "direction", values)

    def __str__(self) -> str:
        return f"{self.layer}:{self.name}"

    def check_channels(self, channels: int) -> None:
        """Raise a ValueError unless the direction has one weight per channel."""
        if len(self.direction) != channels:
            raise ValueError(
                f"direction {str(self)!r} has {len(self.direction)} weights, but layer {self.layer!r} has "
                f"{channels} channels; give one weight per channel"
            )

    def weights(self, channels: int) -> torch.Tensor:
        """The weights ``v``, shape (channels,)."""
        self.check_channels(channels)
        return torch.tensor(self.direction, dtype=torch.float32)

    def __call__(self, activation: torch.Tensor, batch_index: int | None = None) -> torch.Tensor:
        _check_activation(activation, str(self))
        w = self.weights(activation.shape[1]).to(activation)
        values = torch.einsum("c,nc...->n...", w, activation).reshape(len(activation), -1).mean(dim=1)
        return values if batch_index is None else values[batch_index]


def random_directions(n: int, channels: int, seed: int = 0) -> np.ndarray:
    """``n`` random unit vectors in a space of ``channels`` dimensions, uniform on the sphere.

    Each is a vector of independent standard normal numbers divided by its length (drawn with
    ``numpy.random.default_rng(seed)``), so no direction, and no channel, is preferred.

    Returns:
        Array of shape (n, channels), each row of length 1.

    Example:
        >>> v = random_directions(3, 5, seed=0)
        >>> v.shape, np.allclose(np.linalg.norm(v, axis=1), 1)
        ((3, 5), True)
    """
    if not isinstance(n, int) or n < 1 or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"n and channels must be positive ints; got n={n!r}, channels={channels!r}")
    v = np.random.default_rng(seed).normal(size=(n, channels))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


Objective = str | ChannelObjective | DirectionObjective


def parse_objective(spec: Objective, model: NamedLayersMixin | None = None) -> ChannelObjective:
    """Parse ``"layer:channel"`` into a :class:`ChannelObjective`, checking it against a model.

    Args:
        spec: a string such as ``"block1_conv2:5"``, or an objective (a
            :class:`ChannelObjective` or :class:`DirectionObjective`, returned as it is, but
            still checked).
        model: optional; a network with ``layer_names()`` (cnnkit's ``NamedLayersMixin``). When
            given, the layer must be one of its names and the channel must exist
            (see :func:`layer_channels`).

    Returns:
        The objective.

    Raises:
        ValueError: a string not of the form ``layer:channel``, or a channel out of range.
        KeyError: a layer the model does not have; the message lists the valid names.

    Example:
        >>> parse_objective("block4_conv1:12")
        ChannelObjective(layer='block4_conv1', channel=12)
        >>> parse_objective("block4_conv1")
        Traceback (most recent call last):
        ...
        ValueError: objective must be 'layer:channel', e.g. 'block4_conv1:12'; got 'block4_conv1'
    """
    if isinstance(spec, DirectionObjective):
        if model is not None:
            names = model.layer_names()
            if spec.layer not in names:
                raise unknown_layer_error(spec.layer, names)
            spec.check_channels(layer_channels(model, spec.layer))
        return spec  # type: ignore[return-value]
    if isinstance(spec, ChannelObjective):
        obj = spec
    elif isinstance(spec, str):
        match = _SPEC.match(spec)
        if not match:
            raise ValueError(f"objective must be 'layer:channel', e.g. 'block4_conv1:12'; got {spec!r}")
        obj = ChannelObjective(match.group(1), int(match.group(2)))
    else:
        raise TypeError(f"objective must be a string 'layer:channel' or a ChannelObjective; got {spec!r}")
    if obj.channel < 0:
        raise ValueError(f"channel must be a non-negative int; got {obj.channel} in objective {str(obj)!r}")
    if model is not None:
        names = model.layer_names()
        if obj.layer not in names:
            raise unknown_layer_error(obj.layer, names)
        obj.check_channels(layer_channels(model, obj.layer))
    return obj


def _parse_all(objectives: Sequence[Objective] | Objective, model: NamedLayersMixin) -> list:
    """Parse every objective, checking each distinct layer against the model once."""
    if isinstance(objectives, (str, ChannelObjective, DirectionObjective)):
        objectives = [objectives]
    objs = [parse_objective(o) for o in objectives]
    if not objs:
        raise ValueError("objectives must name at least one 'layer:channel'")
    names = model.layer_names()
    counts: dict[str, int] = {}
    for obj in objs:
        if obj.layer not in names:
            raise unknown_layer_error(obj.layer, names)
        if obj.layer not in counts:
            counts[obj.layer] = layer_channels(model, obj.layer)
        obj.check_channels(counts[obj.layer])
    return objs


def _input_channels(model: nn.Module) -> int:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    raise ValueError("model has no nn.Conv2d, so the number of input channels is unknown")


def _device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def layer_channels(model: NamedLayersMixin, layer: str, size: int = 32) -> int:
    """Number of channels (or units, for a dense layer) of ``layer``'s output, by one forward pass of a blank image.

    The forward pass stops at ``layer``. The input has as many channels as the model's first
    ``nn.Conv2d`` expects and ``size`` x ``size`` pixels.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> layer_channels(small_vgg(None), "block2_conv1")
        32
    """
    with LayerRecorder({layer: model.layer(layer)}, stop=True) as recorder, eval_mode(model), torch.no_grad():
        model(torch.zeros(1, _input_channels(model), size, size, device=_device(model)))
    found = list(recorder.outputs.values())
    if not found or found[0].ndim not in (2, 4):
        shape = tuple(found[0].shape) if found else None
        raise ValueError(
            f"layer {layer!r} has neither an (N, C, H, W) nor an (N, C) output (got shape {shape}); "
            "pick a convolutional or a dense layer"
        )
    return int(found[0].shape[1])
