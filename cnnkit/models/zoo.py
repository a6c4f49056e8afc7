"""The classic ImageNet architectures from torchvision's definitions, measured without weights.

AlexNet (Krizhevsky et al. 2012), VGG16 (Simonyan and Zisserman 2014), GoogLeNet (Szegedy et
al. 2014) and ResNet (He et al. 2016) are built with ``weights=None``: nothing is downloaded.
By default they are built on PyTorch's ``"meta"`` device, where tensors have a shape and a dtype
but no memory and no values, so that even VGG16's 138 million parameters cost nothing and a
forward pass computes every layer's output shape instantly. Pass ``device="cpu"`` for a network
that can actually run (with random weights).

Two of torchvision's definitions differ from their papers, so the papers' networks are here
too, built from the papers' tables: :func:`alexnet_2012` (torchvision's ``alexnet`` is the
later "one weird trick" variant, Krizhevsky 2014, with 64, 192, 384, 256 and 256 filters where
the 2012 paper has 96, 256, 384, 384 and 256) and :func:`googlenet_2014` (torchvision's
``googlenet`` adds batch normalisation and uses 3x3 kernels in the "5x5" branches).

ZFNet (Zeiler and Fergus 2014), whose design the winning ILSVRC 2013 entry (Clarifai) used, is
not in torchvision, so it is not here.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import cast

import torch
from torch import nn

from cnnkit._checks import did_you_mean
from cnnkit.models.blocks import InceptionModule
from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.summary import ModelSummary, summary

__all__ = [
    "ARCHITECTURES",
    "build",
    "alexnet_2012",
    "googlenet_2014",
    "GOOGLENET_2014_INCEPTION",
    "parameter_count",
    "ParameterSplit",
    "parameter_split",
    "layer_table",
    "shapes_after",
    "MultiplyAddSplit",
    "multiply_add_split",
    "LayerCost",
    "layer_costs",
]


def _tv(name: str, **kwargs) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        import torchvision.models

        return getattr(torchvision.models, name)(weights=None, **kwargs)

    make.__name__ = name
    return make


#: The networks :func:`build` knows, by name. GoogLeNet is built without its two auxiliary
#: classifiers (``aux_logits=False``, they are only used in training) and without its slow
#: truncated-normal initialisation (``init_weights=False``); neither changes a shape or the
#: parameter count of the main network.
ARCHITECTURES: dict[str, Callable[[], nn.Module]] = {
    "alexnet": _tv("alexnet"),
    "vgg16": _tv("vgg16"),
    "googlenet": _tv("googlenet", aux_logits=False, init_weights=False),
    "resnet18": _tv("resnet18"),
    "resnet50": _tv("resnet50"),
    "resnet152": _tv("resnet152"),
}


def build(name: str, device: torch.device | str = "meta") -> nn.Module:
    """Build one of :data:`ARCHITECTURES` from torchvision's definition, without weights.

    Args:
        name: ``"alexnet"``, ``"vgg16"``, ``"googlenet"``, ``"resnet18"``, ``"resnet50"`` or
            ``"resnet152"``.
        device: ``"meta"`` (default) for shapes and counts only, without memory; ``"cpu"`` for
            a runnable network with random weights.

    Returns:
        The model, in eval mode.

    Example:
        >>> model = build("vgg16")
        >>> parameter_count(model), next(model.parameters()).device.type
        (138357544, 'meta')
    """
    if name not in ARCHITECTURES:
        hint = did_you_mean(name, list(ARCHITECTURES))
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}{hint}")
    with torch.device(device):
        model = ARCHITECTURES[name]()
    return model.eval()


def alexnet_2012(groups: int = 2, device: torch.device | str = "meta") -> nn.Sequential:
    """AlexNet as the 2012 paper describes it (Krizhevsky, Sutskever and Hinton), without weights.

    Five convolutions of 96, 256, 384, 384 and 256 filters (11x11 stride 4, 5x5, then three
    3x3), each followed by a ReLU; local response normalisation after the first two; three
    overlapping 3x3 max-poolings with stride 2; dense layers of 4096, 4096 and 1000 units, with
    dropout (p = 0.5) on the outputs of the first two, as the paper says ("we use dropout in the
    first two fully-connected layers"). torchvision's ``alexnet`` (see :func:`build`) is the
    later "one weird trick" variant: 64, 192, 384, 256 and 256 filters, no normalisation, and
    its two dropouts act on the *inputs* of the first two dense layers.

    The paper trained on two GPUs, each holding half of every layer's filters; conv2, conv4 and
    conv5 saw only the maps of their own GPU. That is a *grouped* convolution with
    ``groups=2``: each filter spans half of the input channels, which halves those layers'
    weights. conv3 and the dense layers were connected across both GPUs.

    The paper's 224x224 input and 11x11 stride-4 kernels give 55x55 maps only with 227 pixels,
    or with 2 pixels of padding as torchvision uses; here the padding is 2, so a 224x224 input
    works, as for :func:`build`'s networks.

    Args:
        groups: 2 for the paper's two-GPU split of conv2, conv4 and conv5; 1 for the same
            network with every convolution connected to all its input channels.
        device: ``"meta"`` (default) for shapes and counts only; ``"cpu"`` for a runnable network
            with random weights.

    Returns:
        An ``nn.Sequential`` with layers named ``conv1`` ... ``conv5``, ``fc6`` ... ``fc8``, in
        eval mode; (N, 3, 224, 224) -> (N, 1000).

    Example:
        >>> parameter_count(alexnet_2012()), parameter_count(alexnet_2012(groups=1))
        (60965224, 62378344)
        >>> [m.out_channels for m in alexnet_2012().modules() if isinstance(m, nn.Conv2d)]
        [96, 256, 384, 384, 256]
    """
    if groups not in (1, 2):
        raise ValueError(f"groups must be 2 (the paper's two GPUs) or 1 (no split); got {groups!r}")

    def norm() -> nn.Module:  # the paper's constants: n = 5, alpha = 1e-4, beta = 0.75, k = 2
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)

    def pool() -> nn.Module:
        return nn.MaxPool2d(3, stride=2)

    with torch.device(device):
        layers = [
            ("conv1", nn.Conv2d(3, 96, 11, stride=4, padding=2)),
            ("relu1", nn.ReLU()),
            ("norm1", norm()),
            ("pool1", pool()),
            ("conv2", nn.Conv2d(96, 256, 5, padding=2, groups=groups)),
            ("relu2", nn.ReLU()),
            ("norm2", norm()),
            ("pool2", pool()),
            ("conv3", nn.Conv2d(256, 384, 3, padding=1)),
            ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(384, 384, 3, padding=1, groups=groups)),
            ("relu4", nn.ReLU()),
            ("conv5", nn.Conv2d(384, 256, 3, padding=1, groups=groups)),
            ("relu5", nn.ReLU()),
            ("pool5", pool()),
            ("flatten", nn.Flatten()),
            ("fc6", nn.Linear(256 * 6 * 6, 4096)),
            ("relu6", nn.ReLU()),
            ("dropout6", nn.Dropout(0.5)),
            ("fc7", nn.Linear(4096, 4096)),
            ("relu7", nn.ReLU()),
            ("dropout7", nn.Dropout(0.5)),
            ("fc8", nn.Linear(4096, 1000)),
        ]
        model = nn.Sequential(OrderedDict(layers))
    return model.eval()


#: GoogLeNet's Inception modules as in the paper's Table 1: name -> (in_channels, #1x1,
#: #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
GOOGLENET_2014_INCEPTION = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


def googlenet_2014(device: torch.device | str = "meta") -> nn.Sequential:
    """GoogLeNet as the 2014 paper's Table 1 describes it (Szegedy et al.), without weights.

    A 7x7 stride-2 convolution (64 filters), max-pooling, local response normalisation, a 1x1
    (64) and a 3x3 (192) convolution, normalisation, max-pooling, nine
    :class:`~cnnkit.models.blocks.InceptionModule` with the widths of
    :data:`GOOGLENET_2014_INCEPTION` (real 5x5 kernels, no batch normalisation), max-poolings
    after inception (3b) and (4e), global average pooling, dropout (p = 0.4) and one dense layer
    of 1000 units. Every convolution has a bias and is followed by a ReLU. The two auxiliary
    classifiers, used only in training, are left out. The max-poolings are 3x3 with stride 2
    and round up (``ceil_mode=True``), so 224 goes to 112, 56, 28, 14 and 7 as in the table.

    torchvision's ``googlenet`` (see :func:`build`) differs in two ways: batch normalisation
    after every convolution instead of biases, and 3x3 kernels in the "5x5" branches.

    Args:
        device: ``"meta"`` (default) for shapes and counts only; ``"cpu"`` for a runnable network
            with random weights.

    Returns:
        An ``nn.Sequential`` in eval mode; (N, 3, 224, 224) -> (N, 1000).

    Example:
        >>> model = googlenet_2014()
        >>> parameter_count(model)
        6998552
        >>> layer_table(model).row("inception5b").output_shape
        (1, 1024, 7, 7)
    """

    def conv(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
        return nn.Sequential(OrderedDict(conv=nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2), relu=nn.ReLU()))

    def norm() -> nn.Module:
        return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)

    def pool() -> nn.Module:
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    with torch.device(device):
        layers: list[tuple[str, nn.Module]] = [
            ("conv1", conv(3, 64, 7, stride=2)),
            ("pool1", pool()),
            ("norm1", norm()),
            ("conv2_reduce", conv(64, 64, 1)),
            ("conv2", conv(64, 192, 3)),
            ("norm2", norm()),
            ("pool2", pool()),
        ]
        for name, widths in GOOGLENET_2014_INCEPTION.items():
            layers.append((name, InceptionModule(*widths)))
            if name in ("inception3b", "inception4e"):
                layers.append((f"pool{name[-2]}", pool()))
        layers += [
            ("avgpool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("dropout", nn.Dropout(0.4)),
            ("fc", nn.Linear(1024, 1000)),
        ]
        model = nn.Sequential(OrderedDict(layers))
    return model.eval()


def _model(model_or_name: nn.Module | str) -> nn.Module:
    return build(model_or_name) if isinstance(model_or_name, str) else model_or_name


def parameter_count(model: nn.Module | str) -> int:
    """Number of distinct parameters of a model (or of :func:`build`'s model of that name).

    Example:
        >>> parameter_count("resnet18")
        11689512
    """
    return sum(p.numel() for p in _model(model).parameters())


@dataclass(frozen=True)
class _Split:
    """Counts split by kind of layer; ``total`` sums every field, the percentages divide by it."""

    conv: int
    dense: int

    @property
    def total(self) -> int:
        """The sum of the parts."""
        return sum(getattr(self, f.name) for f in fields(self))

    @property
    def conv_percent(self) -> float:
        """Percentage of the total in convolutions."""
        return 100.0 * self.conv / self.total

    @property
    def dense_percent(self) -> float:
        """Percentage of the total in dense layers."""
        return 100.0 * self.dense / self.total


@dataclass(frozen=True)
class ParameterSplit(_Split):
    """Where a network's parameters are: convolutions, dense (``nn.Linear``) layers, the rest.

    Attributes:
        conv: parameters of ``nn.Conv2d`` layers (weights and biases).
        dense: parameters of ``nn.Linear`` layers.
        other: everything else (batch normalisation's scale and shift, for example).
        total: conv + dense + other.
    """

    other: int


def parameter_split(model: nn.Module | str) -> ParameterSplit:
    """Count the parameters of convolutions, of dense layers and of everything else.

    Example:
        >>> s = parameter_split("vgg16")
        >>> s.conv, s.dense, s.total
        (14714688, 123642856, 138357544)
        >>> round(s.dense_percent, 1)
        89.4
    """
    conv = dense = other = 0
    for module in _model(model).modules():
        n = sum(p.numel() for p in module.parameters(recurse=False))
        if isinstance(module, nn.Conv2d):
            conv += n
        elif isinstance(module, nn.Linear):
            dense += n
        else:
            other += n
    return ParameterSplit(conv, dense, other)


def layer_table(
    model: nn.Module | str, depth: int | None = 1, input_size: tuple[int, int, int] = (3, 224, 224), **kwargs
) -> ModelSummary:
    """The Keras-style summary of a network at a chosen level of detail.

    Args:
        model: a model, or a name for :func:`build`.
        depth: 1 for a condensed table (one row per top-level part: a ResNet stage, a whole
            Inception module, VGG's ``features`` block ...), None for every leaf layer; see
            :func:`cnnkit.models.summary.summary`.
        input_size: the image, channels first; ImageNet networks take (3, 224, 224).
        **kwargs: passed on to :func:`~cnnkit.models.summary.summary` (e.g. ``channels_last``).

    Example:
        >>> t = layer_table("resnet18")
        >>> [r.name for r in t.rows][:5], t.row("layer4").output_shape
        (['conv1', 'bn1', 'relu', 'maxpool', 'layer1'], (1, 512, 7, 7))
    """
    return summary(_model(model), input_size, depth=depth, **kwargs)


def shapes_after(
    model: nn.Module | str,
    layer_type: type[nn.Module] | tuple[type[nn.Module], ...] = nn.MaxPool2d,
    input_size: tuple[int, int, int] = (3, 224, 224),
) -> list[tuple[str, tuple[int, ...]]]:
    """The output shape (batch first) after every layer of a given type, in forward order.

    With the default ``nn.MaxPool2d`` this gives the tensor that leaves each of VGG16's five
    blocks.

    Example:
        >>> [shape for _, shape in shapes_after("vgg16")]  # doctest: +NORMALIZE_WHITESPACE
        [(1, 64, 112, 112), (1, 128, 56, 56), (1, 256, 28, 28), (1, 512, 14, 14), (1, 512, 7, 7)]
    """
    model = _model(model)
    modules = dict(model.named_modules())
    rows = summary(model, input_size).rows
    return [
        (r.name, cast(tuple[int, ...], r.output_shape)) for r in rows if isinstance(modules.get(r.name), layer_type)
    ]


@dataclass(frozen=True)
class MultiplyAddSplit(_Split):
    """Multiply-adds of one forward pass of one image, in convolutions and in dense layers.

    Attributes:
        conv: multiply-adds of ``nn.Conv2d`` layers.
        dense: multiply-adds of ``nn.Linear`` layers.
        total: conv + dense.
    """


def _multiply_adds(module: nn.Module, output_shape: tuple[int, ...]) -> int:
    """Multiply-adds of one image through a convolution or a dense layer, from the shape of its
    output for that image (without the batch axis); 0 for any other layer."""
    size = math.prod(output_shape)
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return size * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return size * module.in_features
    return 0


def multiply_add_split(model: nn.Module | str, input_size: tuple[int, int, int] = (3, 224, 224)) -> MultiplyAddSplit:
    r"""Count the multiply-adds of convolutions and dense layers for one image.

    A convolution with :math:`C_\text{in}` input channels, ``groups`` :math:`g`, a
    :math:`k_h \times k_w` kernel and an output of shape :math:`(C_\text{out}, H_\text{out},
    W_\text{out})` does :math:`H_\text{out} W_\text{out} C_\text{out} (C_\text{in}/g) k_h k_w`
    multiply-adds; a dense layer from :math:`n_\text{in}` to :math:`n_\text{out}` units does
    :math:`n_\text{in} n_\text{out}`. Biases, activations, pooling and batch normalisation (a
    few operations per value) are not counted. The output shapes come from one forward pass of a
    batch of one image (instant on the ``"meta"`` device); a layer that runs several times is
    counted each time.

    Args:
        model: a model, or a name for :func:`build`.
        input_size: the image, channels first.

    Returns:
        The :class:`MultiplyAddSplit`.

    Example:
        >>> m = multiply_add_split("vgg16")
        >>> m.conv, m.dense
        (15346630656, 123633664)
        >>> round(m.conv_percent, 1)
        99.2
    """
    if len(input_size) != 3 or any(int(n) < 1 for n in input_size):
        raise ValueError(f"input_size must be (channels, height, width) of positive ints, got {input_size!r}")
    model = _model(model)
    counts = {"conv": 0, "dense": 0}

    def count(_name: str, module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        counts["conv" if isinstance(module, nn.Conv2d) else "dense"] += _multiply_adds(module, tuple(output[0].shape))

    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    dtype = parameter.dtype if parameter is not None else torch.float32
    with LayerRecorder(layers, keep=False, on_output=count), torch.no_grad():
        model(torch.zeros((1, *input_size), device=device, dtype=dtype))
    return MultiplyAddSplit(counts["conv"], counts["dense"])


@dataclass(frozen=True)
class LayerCost:
    """What one layer costs for one image: parameters, multiply-adds, activations.

    Attributes:
        name: the module's name in the model.
        type: its class name (``"Conv2d"``).
        output_shape: its output for one image, without the batch axis, e.g. ``(8, 24, 24)``.
        params: its parameters (weights and biases).
        multiply_adds: multiply-adds of its forward pass (convolutions and dense layers; 0 for
            the others, whose few operations per value are not counted).
        activations: number of values in its output; a training step keeps them for the
            backward pass.
        bytes_per_value: size of one value of the output (4 for float32).
    """

    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    multiply_adds: int
    activations: int
    bytes_per_value: int

    @property
    def activation_bytes(self) -> int:
        """Memory of the output for one image: ``activations * bytes_per_value``."""
        return self.activations * self.bytes_per_value


def layer_costs(model: nn.Module | str, input_size: tuple[int, int, int] = (3, 224, 224)) -> list[LayerCost]:
    r"""Parameters, multiply-adds and activation memory of every layer, for one image.

    The output shapes come from one forward pass (:func:`~cnnkit.models.summary.summary`,
    every leaf module); the multiply-adds use the formulas of :func:`multiply_add_split`: a
    convolution does :math:`H_\text{out} W_\text{out} C_\text{out} (C_\text{in}/g) k_h k_w`,
    a dense layer :math:`n_\text{in} n_\text{out}`. A layer that runs several times has one
    row per call; a module that returns several tensors is not supported.

    Args:
        model: a model, or a name for :func:`build`.
        input_size: one image, channels first.

    Returns:
        One :class:`LayerCost` per layer call, in the order of the forward pass.

    Example:
        >>> model = nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 12 * 12, 10))
        >>> for row in layer_costs(model, (1, 28, 28)):
        ...     print(row.name, row.type, row.output_shape, row.params, row.multiply_adds, row.activation_bytes)
        0 Conv2d (8, 24, 24) 208 115200 18432
        1 ReLU (8, 24, 24) 0 0 18432
        2 MaxPool2d (8, 12, 12) 0 0 4608
        3 Flatten (1152,) 0 0 4608
        4 Linear (10,) 11530 11520 40
    """
    model = _model(model)
    modules = dict(model.named_modules())
    parameter = next(model.parameters(), None)
    dtype = parameter.dtype if parameter is not None else torch.float32
    size = torch.empty((), dtype=dtype).element_size()
    rows = []
    for row in summary(model, input_size, dtype=dtype).rows:
        if row.output_shape is None or row.name not in modules:
            continue
        if len(row.output_shape) == 0 or isinstance(row.output_shape[0], tuple):
            raise ValueError(f"layer_costs: layer {row.name!r} returns several tensors; not supported")
        shape = tuple(int(d) for d in row.output_shape[1:])
        module = modules[row.name]
        rows.append(
            LayerCost(row.name, row.type, shape, row.params, _multiply_adds(module, shape), math.prod(shape), size)
        )
    return rows
