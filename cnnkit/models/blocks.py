"""Building blocks of modern CNNs: Inception module, residual block, depthwise separable convolution.

Inception module (Szegedy et al., 2014)
    Four branches look at the same input side by side: a 1x1 convolution, a 3x3 convolution, a
    5x5 convolution and a 3x3 max-pool. Their outputs have the same height and width ('same'
    padding, stride 1) and are concatenated along the channel axis. 1x1 convolutions in front of
    the 3x3 and 5x5 branches (and after the pool) reduce the number of channels first, which is
    what keeps the module cheap.

Residual block (He et al., 2016)
    Two 3x3 convolutions compute a correction ``F(x)`` that is *added* to the block's input:

    .. math::  y = \\operatorname{relu}(F(x) + x).

    When ``F`` changes the shape (more channels, or stride 2), the shortcut becomes a
    *projection*, a 1x1 convolution with the same stride: ``y = relu(F(x) + W_s x)``.

Depthwise separable convolution (Howard et al., 2017)
    MobileNet's replacement for a ``k x k`` convolution: a *depthwise* ``k x k`` convolution
    filters each channel on its own (``groups=in_channels``), then a *pointwise* 1x1
    convolution mixes the channels. On an output of ``H x W`` positions it costs
    ``H W C_in (k^2 + C_out)`` multiply-adds instead of ``H W C_in C_out k^2``, a ratio of
    ``1 / C_out + 1 / k^2``. MobileNetV2's inverted residual, which adds a 1x1 expansion in
    front and a skip connection around it, is :class:`cnnkit.models.efficientnet.MBConv`.

The deep stacks (:class:`DeepStack`) are for two experiments: how much gradient reaches the
first layer of a deep network at initialisation, with and without the skip connections; and, with
batch normalisation, how fast a deep plain stack and the same stack with skips train.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import cast

import torch
from torch import nn

__all__ = [
    "InceptionModule",
    "ResidualBlock",
    "DepthwiseSeparableConv",
    "DeepStack",
    "plain_stack",
    "residual_stack",
    "first_layer_gradient_norm",
]


def _conv_relu(c_in: int, c_out: int, k: int, batch_norm: bool, stride: int = 1, groups: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, groups=groups, bias=not batch_norm)
    layers: OrderedDict[str, nn.Module] = OrderedDict(conv=conv)
    if batch_norm:
        layers["bn"] = nn.BatchNorm2d(c_out)
    layers["relu"] = nn.ReLU()
    return nn.Sequential(layers)


def _check_positive(**values) -> None:
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(
                f"{name} must be a positive int{' or None' if name != 'in_channels' else ''}; got {value!r}"
            )


class InceptionModule(nn.Module):
    """The Inception module of GoogLeNet: four parallel branches, concatenated along channels.

    Branches (every convolution is followed by a ReLU, as in the paper):

    1. 1x1 convolution to ``ch1x1`` channels;
    2. 1x1 convolution to ``ch3x3_reduce`` channels, then 3x3 to ``ch3x3``;
    3. 1x1 convolution to ``ch5x5_reduce`` channels, then 5x5 to ``ch5x5``;
    4. 3x3 max pooling (stride 1, padding 1), then 1x1 convolution to ``pool_proj`` channels.

    Passing None for ``ch3x3_reduce``, ``ch5x5_reduce`` and ``pool_proj`` removes those 1x1
    convolutions and gives the paper's "naive" module (its Figure 2a), whose pool branch passes
    all ``in_channels`` maps through.

    Args:
        in_channels: channels of the input.
        ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj: the widths, in the order of
            the paper's Table 1 (inception (3a) is ``192, 64, 96, 128, 16, 32, 32``).
        batch_norm: add batch normalisation after every convolution (Ioffe and Szegedy 2015),
            as torchvision's GoogLeNet does; the 2014 paper had none.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H, W) with
        ``out_channels = ch1x1 + ch3x3 + ch5x5 + (pool_proj or in_channels)``.

    Example:
        >>> block = InceptionModule(192, 64, 96, 128, 16, 32, 32)   # inception (3a)
        >>> block(torch.zeros(1, 192, 28, 28)).shape
        torch.Size([1, 256, 28, 28])
        >>> sum(p.numel() for p in block.parameters())
        163696
        >>> naive = InceptionModule(192, 64, None, 128, None, 32, None)
        >>> naive.out_channels, sum(p.numel() for p in naive.parameters())
        (416, 387296)
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3_reduce: int | None,
        ch3x3: int,
        ch5x5_reduce: int | None,
        ch5x5: int,
        pool_proj: int | None,
        batch_norm: bool = False,
    ):
        super().__init__()
        _check_positive(
            in_channels=in_channels,
            ch1x1=ch1x1,
            ch3x3_reduce=ch3x3_reduce,
            ch3x3=ch3x3,
            ch5x5_reduce=ch5x5_reduce,
            ch5x5=ch5x5,
            pool_proj=pool_proj,
        )

        def reduce_then(c_mid: int | None, c_out: int, k: int) -> nn.Sequential:
            if c_mid is None:
                return nn.Sequential(OrderedDict(conv=_conv_relu(in_channels, c_out, k, batch_norm)))
            return nn.Sequential(
                OrderedDict(
                    reduce=_conv_relu(in_channels, c_mid, 1, batch_norm), conv=_conv_relu(c_mid, c_out, k, batch_norm)
                )
            )

        self.branch1 = _conv_relu(in_channels, ch1x1, 1, batch_norm)
        self.branch2 = reduce_then(ch3x3_reduce, ch3x3, 3)
        self.branch3 = reduce_then(ch5x5_reduce, ch5x5, 5)
        pool: OrderedDict[str, nn.Module] = OrderedDict(pool=nn.MaxPool2d(3, stride=1, padding=1))
        if pool_proj is not None:
            pool["proj"] = _conv_relu(in_channels, pool_proj, 1, batch_norm)
        self.branch4 = nn.Sequential(pool)
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + (pool_proj if pool_proj is not None else in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class ResidualBlock(nn.Module):
    """The basic residual block of ResNet-18/34: ``y = relu(F(x) + shortcut(x))``.

    ``F`` is conv 3x3 (``stride``) - batch norm - ReLU - conv 3x3 - batch norm. The shortcut is
    the identity when the shapes agree, and a *projection* (1x1 convolution with ``stride``,
    then batch norm) when ``stride != 1`` or ``in_channels != out_channels``.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        stride: stride of the first convolution (2 halves the resolution).
        batch_norm: use batch normalisation (Ioffe and Szegedy 2015), as ResNet does.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H_out, W_out) with
        ``H_out = floor((H + 2 - 3) / stride) + 1``.

    Example:
        >>> block = ResidualBlock(64, 64)
        >>> block.projection is None, block(torch.zeros(1, 64, 56, 56)).shape
        (True, torch.Size([1, 64, 56, 56]))
        >>> down = ResidualBlock(64, 128, stride=2)
        >>> down.projection is not None, down(torch.zeros(1, 64, 56, 56)).shape
        (True, torch.Size([1, 128, 28, 28]))
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, batch_norm: bool = True):
        super().__init__()
        _check_positive(in_channels=in_channels, out_channels=out_channels, stride=stride)
        norm = (lambda c: nn.BatchNorm2d(c)) if batch_norm else (lambda c: nn.Identity())
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=not batch_norm)
        self.bn1 = norm(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=not batch_norm)
        self.bn2 = norm(out_channels)
        self.projection: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.projection = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=not batch_norm), norm(out_channels)
            )

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """The correction ``F(x)``, before it is added to the shortcut."""
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.projection is None else self.projection(x)
        return self.relu(self.residual(x) + shortcut)


class DepthwiseSeparableConv(nn.Module):
    r"""MobileNet's depthwise separable convolution: depthwise ``k x k``, then pointwise 1x1.

    An ordinary convolution filters in space and mixes channels in one step: each of its
    :math:`C_\text{out}` filters spans all :math:`C_\text{in}` channels of a :math:`k \times k`
    window. This block does the two steps one after the other (Howard et al. 2017):

    1. ``depthwise``: a :math:`k \times k` convolution with ``groups=in_channels``, one kernel
       per channel, each channel filtered on its own (stride ``stride``), then batch norm and ReLU;
    2. ``pointwise``: a 1x1 convolution from :math:`C_\text{in}` to :math:`C_\text{out}`
       channels, then batch norm and ReLU.

    Weights (without biases and batch norm): :math:`C_\text{in} k^2 + C_\text{in} C_\text{out}`,
    against :math:`C_\text{in} C_\text{out} k^2` for the ordinary convolution; the multiply-adds
    are these numbers times the :math:`H_\text{out} W_\text{out}` output positions, so the
    ratio of both is :math:`1/C_\text{out} + 1/k^2`.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: k of the depthwise convolution (odd), padded with ``k // 2`` zeros.
        stride: stride of the depthwise convolution.
        batch_norm: batch normalisation after both convolutions (and no biases), as MobileNet
            has; False gives the convolutions biases instead.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out) with
        ``H_out = floor((H + 2 * (k // 2) - k) / stride) + 1``.

    Example:
        >>> block = DepthwiseSeparableConv(24, 40)
        >>> block(torch.zeros(1, 24, 56, 56)).shape
        torch.Size([1, 40, 56, 56])
        >>> tuple(block.depthwise.conv.weight.shape), tuple(block.pointwise.conv.weight.shape)
        ((24, 1, 3, 3), (40, 24, 1, 1))
        >>> sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d)), 24 * 9 + 24 * 40
        (1176, 1176)
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, batch_norm: bool = True
    ):
        super().__init__()
        _check_positive(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, stride=stride)
        if kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd, so that padding k // 2 keeps the size at stride 1; got {kernel_size}"
            )
        self.depthwise = _conv_relu(
            in_channels, in_channels, kernel_size, batch_norm, stride=stride, groups=in_channels
        )
        self.pointwise = _conv_relu(in_channels, out_channels, 1, batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class DeepStack(nn.Module):
    """A deep stack of 3x3 convolutions, with or without skip connections, for experiments.

    Layout: a ``stem`` convolution (``in_channels`` -> ``width``, stride ``stem_stride``), then
    ``depth`` convolutions of ``width`` channels grouped in pairs, then global average pooling
    and a linear ``head``. Each pair computes ``F(x) = conv(relu(conv(x)))``; the plain stack
    outputs ``relu(F(x))``, the residual stack ``relu(F(x) + x)``. Both build their layers in the
    same order, so after the same ``torch.manual_seed`` they hold *identical* weights and differ
    only in the skips. By default there is no batch normalisation and no bias, and PyTorch's
    default initialisation of the weights, so that the effect of the skips is seen on its own.
    With ``batch_norm=True`` every convolution, the stem's included, is followed by batch
    normalisation (Ioffe and Szegedy 2015), as in the plain and residual networks that He et al.
    (2016) trained: ``F(x) = bn(conv(relu(bn(conv(x)))))``, the residual block of ResNet-18.

    Args:
        depth: number of convolutions after the stem; an even number >= 2.
        residual: add the skip connections.
        width: channels of every layer.
        in_channels: channels of the input.
        num_classes: outputs of the head.
        batch_norm: batch normalisation after every convolution.
        stem_stride: stride of the stem (2 halves the height and width of every later layer,
            which makes a deep stack four times cheaper).

    Shape:
        (N, in_channels, H, W) -> (N, num_classes).

    Example:
        >>> _ = torch.manual_seed(0); plain = DeepStack(4)
        >>> _ = torch.manual_seed(0); skip = DeepStack(4, residual=True)
        >>> torch.equal(plain.stem.weight, skip.stem.weight), plain(torch.zeros(2, 1, 8, 8)).shape
        (True, torch.Size([2, 10]))
        >>> bn = DeepStack(4, batch_norm=True, stem_stride=2)
        >>> sum(isinstance(m, nn.BatchNorm2d) for m in bn.modules()), bn(torch.zeros(2, 1, 8, 8)).shape
        (5, torch.Size([2, 10]))
    """

    def __init__(
        self,
        depth: int,
        residual: bool = False,
        width: int = 16,
        in_channels: int = 1,
        num_classes: int = 10,
        batch_norm: bool = False,
        stem_stride: int = 1,
    ):
        super().__init__()
        if not isinstance(depth, int) or depth < 2 or depth % 2:
            raise ValueError(f"depth must be an even int >= 2 (convolutions come in pairs); got {depth!r}")
        _check_positive(width=width, in_channels=in_channels, num_classes=num_classes, stem_stride=stem_stride)
        self.depth = depth
        self.residual = residual
        norm: Callable[[], nn.Module] = (lambda: nn.BatchNorm2d(width)) if batch_norm else nn.Identity
        self.stem = nn.Conv2d(in_channels, width, 3, stride=stem_stride, padding=1, bias=False)
        self.stem_bn = norm()
        self.pairs = nn.ModuleList(
            nn.ModuleList([nn.Conv2d(width, width, 3, padding=1, bias=False) for _ in range(2)])
            for _ in range(depth // 2)
        )
        self.norms = nn.ModuleList(nn.ModuleList([norm(), norm()]) for _ in range(depth // 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem_bn(self.stem(x)))
        for pair, norms in zip(self.pairs, self.norms):
            conv_a, conv_b = cast(nn.ModuleList, pair)
            norm_a, norm_b = cast(nn.ModuleList, norms)
            f = norm_b(conv_b(torch.relu(norm_a(conv_a(x)))))
            x = torch.relu(f + x) if self.residual else torch.relu(f)
        return self.head(self.pool(x).flatten(1))


def plain_stack(depth: int, **kwargs) -> DeepStack:
    """A :class:`DeepStack` without skip connections."""
    return DeepStack(depth, residual=False, **kwargs)


def residual_stack(depth: int, **kwargs) -> DeepStack:
    """A :class:`DeepStack` with a skip connection around every pair of convolutions."""
    return DeepStack(depth, residual=True, **kwargs)


def first_layer_gradient_norm(model: DeepStack, x: torch.Tensor, y: torch.Tensor) -> float:
    """The norm of the cross-entropy loss's gradient with respect to the stem's weights.

    This is how strongly one step of gradient descent would change the *first* layer: the
    signal has to travel back through every layer above it.

    Args:
        model: a :class:`DeepStack` (anything with a ``stem`` convolution).
        x: a batch of inputs, (N, C, H, W).
        y: their labels, (N,).

    Returns:
        ``||dL/dW_stem||`` (Frobenius norm) as a float.

    Example:
        >>> _ = torch.manual_seed(0)
        >>> x, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 3])
        >>> first_layer_gradient_norm(plain_stack(2), x, y) > 0
        True
    """
    if not hasattr(model, "stem"):
        raise TypeError(f"model must have a 'stem' layer, as DeepStack has; got {type(model).__name__}")
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x), y)
    grad = torch.autograd.grad(loss, model.stem.weight)[0]
    return float(grad.norm())
