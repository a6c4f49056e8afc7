"""Checkers of the architecture exercises: a layer's parameters and multiply-adds, and the
receptive field of a stack of layers.

The references are PyTorch's own layers measured by :mod:`cnnkit.models.zoo`
(:func:`~cnnkit.models.zoo.parameter_count`, :func:`~cnnkit.models.zoo.multiply_add_split`, on
the meta device: no memory, no arithmetic) and :func:`cnnkit.shapes.receptive_field`.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from cnnkit.exercises.cases import seeded_rng
from cnnkit.exercises.compare import compare_numbers
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.models.zoo import multiply_add_split, parameter_count
from cnnkit.shapes import conv_transpose_output_size, receptive_field

__all__ = ["check_conv_params", "check_receptive_field", "check_conv_macs"]


def _conv_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    """PyTorch's own count, on the meta device (no memory, no random initialisation)."""
    return parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias, device="meta"))


def check_conv_params(func: Callable) -> CheckResult:
    """Check ``func(c_in, c_out, k, bias=True)``: the parameters of one convolutional layer.

    The reader's function::

        def conv_params(c_in, c_out, k, bias=True):
            \"\"\"The number of weights (and biases, if bias) of a convolutional layer with c_in
            input channels, c_out filters of size k x k each (every filter spans all c_in
            channels) and, if bias, one bias per filter.\"\"\"

    Reference: PyTorch's count of ``nn.Conv2d(c_in, c_out, k, bias=bias)``
    (:func:`cnnkit.models.zoo.parameter_count`). Cases: LeNet-5's C1 and C3 (without its
    connection table), VGG16's first and a deep 512-channel layer, layers without bias, 1x1
    kernels, then 5 random ones. The checker passes ``bias`` positionally:
    ``func(c_in, c_out, k, bias)``.

    Example:
        >>> from torch import nn
        >>> from cnnkit.models.zoo import parameter_count
        >>> check_conv_params(lambda c_in, c_out, k, bias=True: parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias)))
        passed: 12 cases
    """
    fixed = [
        Case((1, 6, 5, True), hint="LeNet-5's C1: 6 filters of 5x5 on one input channel, and the biases"),
        Case(
            (6, 16, 5, True), hint="6 input channels: every filter spans all of them, so it has more than k * k weights"
        ),
        Case((3, 64, 3, True), hint="VGG16's first layer: each of the 64 filters spans the 3 colour channels"),
        Case((512, 512, 3, True), hint="a deep VGG16 layer: the same count, with larger numbers"),
        Case((64, 128, 3, False), hint="bias=False: the layer has weights only"),
        Case((3, 1, 1, False), hint="one 1x1 filter without bias: one weight per input channel"),
        Case((16, 4, 1, True), hint="1x1 filters with biases: how many biases does a layer of 4 filters have?"),
    ]
    rng = seeded_rng()
    random = [
        Case((int(rng.integers(1, 257)), int(rng.integers(1, 257)), int(rng.integers(1, 8)), bool(rng.integers(0, 2))))
        for _ in range(5)
    ]
    return check(
        func,
        _conv_params,
        fixed + random,
        compare=compare_numbers,
        names=["c_in", "c_out", "k", "bias"],
        fixed=len(fixed),
    )


def _receptive_field_size(layers: list[tuple[int, int]]) -> int:
    return receptive_field(layers).size


def check_receptive_field(func: Callable) -> CheckResult:
    """Check ``func(layers)``: the receptive field of a stack of convolution or pooling layers.

    The reader's function::

        def receptive_field(layers):
            \"\"\"layers: a list of (kernel, stride) pairs of ints, first layer first ->
            the side of the input region that one output sample of the last layer sees.
            Padding does not matter. An empty list (no layer) gives 1.\"\"\"

    Reference: :func:`cnnkit.shapes.receptive_field` (its ``size``):
    ``r_l = r_{l-1} + (k_l - 1) j_{l-1}`` and ``j_l = j_{l-1} s_l``, from ``r_0 = j_0 = 1``.
    Cases: two and three 3x3 convolutions, convolution and pooling, LeNet-5, ResNet's stem,
    VGG16's first blocks, 1x1 layers, the empty stack, then 4 random ones.

    Example:
        >>> from cnnkit.shapes import receptive_field
        >>> check_receptive_field(lambda layers: receptive_field(layers).size)
        passed: 13 cases
    """
    fixed = [
        Case(
            ([(3, 1), (3, 1)],), hint="two 3x3 convolutions: draw one axis and count the input samples one output reads"
        ),
        Case(
            ([(3, 1)] * 3,),
            hint="three 3x3 convolutions with stride 1: each layer widens the region by the same amount",
        ),
        Case(
            ([(3, 1), (2, 2), (3, 1)],),
            hint="after a stride-2 layer, neighbouring samples are 2 input samples apart: the stride acts on the layers after it",
        ),
        Case(([(5, 1), (2, 2), (5, 1), (2, 2)],), hint="LeNet-5: the strides of the pooling layers multiply"),
        Case(
            ([(7, 2), (3, 2), (3, 1), (3, 1)],), hint="ResNet's stem: a stride-2 convolution, then a stride-2 pooling"
        ),
        Case(([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)],), hint="VGG16's first blocks: layer by layer"),
        Case(([(1, 1)],), hint="a 1x1 convolution: one output reads one input sample"),
        Case(
            ([(1, 2), (3, 1)],),
            hint="a 1x1 layer with stride 2 widens nothing itself, but spreads the next layer's taps apart",
        ),
        Case(([],), hint="no layer at all: the output is the input, and one sample sees itself"),
    ]
    rng = seeded_rng()
    random = [
        Case(([(int(rng.integers(1, 8)), int(rng.integers(1, 4))) for _ in range(int(rng.integers(1, 6)))],))
        for _ in range(4)
    ]
    return check(
        func, _receptive_field_size, fixed + random, compare=compare_numbers, names=["layers"], fixed=len(fixed)
    )


def _conv_macs(c_in: int, c_out: int, k: int, h_out: int, w_out: int, groups: int = 1) -> int:
    """:func:`cnnkit.models.zoo.multiply_add_split` of ``nn.Conv2d(c_in, c_out, k, groups=groups)``.

    The layer is valid (no padding) and sees the input that it maps to ``h_out x w_out``
    (:func:`cnnkit.shapes.conv_transpose_output_size` of the output); on the meta device the
    forward pass only propagates shapes.
    """
    layer = nn.Conv2d(c_in, c_out, k, groups=groups, bias=False, device="meta")
    height, width = conv_transpose_output_size((h_out, w_out), k)
    return multiply_add_split(layer, (c_in, height, width)).conv


def check_conv_macs(func: Callable) -> CheckResult:
    """Check ``func(c_in, c_out, k, h_out, w_out, groups=1)``: a layer's multiply-adds.

    The reader's function::

        def conv_macs(c_in, c_out, k, h_out, w_out, groups=1):
            \"\"\"The multiply-adds (MACs) of a convolutional layer with k x k kernels, c_in input
            and c_out output channels, an output of h_out x w_out positions and `groups` groups
            (each filter sees c_in // groups input channels; groups = c_in = c_out is a
            depthwise convolution):  c_out * h_out * w_out * (c_in // groups) * k * k.
            Biases are not counted.\"\"\"

    Reference: :func:`cnnkit.models.zoo.multiply_add_split`, which counts the multiply-adds of
    the ``nn.Conv2d`` layers of a model as it runs. Cases: VGG16's first two layers,
    EfficientNet's first depthwise 3x3 and a pointwise 1x1, a grouped layer with a non-square
    output, LeNet-5's C1, then 5 random ones; some cases leave ``groups`` out. The checker
    passes ``groups`` positionally.

    Example:
        >>> check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * c_in // groups * k * k)
        passed: 11 cases
        >>> print(check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * c_in * k * k))
        failed on case 1 of 11 (fixed)
        input:
          c_in = 3
          c_out = 64
          k = 3
          h_out = 224
          w_out = 224
        expected 86704128, got 1728
        hint: VGG16's first layer: count the multiply-adds of one output value first, then how many values there are
    """
    fixed = [
        Case(
            (3, 64, 3, 224, 224),
            hint="VGG16's first layer: count the multiply-adds of one output value first, then how many values there are",
        ),
        Case((64, 64, 3, 224, 224), hint="VGG16's block1_conv2: 64 input channels"),
        Case(
            (32, 32, 3, 112, 112, 32),
            hint="EfficientNet's first depthwise convolution (groups = c_in): how many input channels does each filter see?",
        ),
        Case(
            (32, 16, 1, 112, 112),
            hint="a 1x1 pointwise convolution: one multiply-add per input channel per output value",
        ),
        Case((64, 128, 3, 28, 14, 4), hint="4 groups and a non-square output: h_out and w_out differ"),
        Case((1, 6, 5, 28, 28), hint="LeNet-5's C1: one input channel"),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(5):
        groups = [1, 2, 4][int(rng.integers(0, 3))]
        c_in, c_out = (groups * int(v) for v in rng.integers(1, 17, size=2))
        k, h_out, w_out = int(rng.integers(1, 8)), int(rng.integers(1, 65)), int(rng.integers(1, 65))
        random.append(Case((c_in, c_out, k, h_out, w_out, groups)))
    names = ["c_in", "c_out", "k", "h_out", "w_out", "groups"]
    return check(func, _conv_macs, fixed + random, compare=compare_numbers, names=names, fixed=len(fixed))
