"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) in PyTorch, as the book trains it on MNIST.

The architecture alternates convolution and subsampling, so that the resolution goes down
while the number of feature maps goes up, and hands a small 16x5x5 tensor to dense layers:

========  ====================  ==============  ===========================================
paper     here                  output shape    parameters (ours)
========  ====================  ==============  ===========================================
input     input                 (1, 28, 28)     (padding 2 makes it act as the 32x32 input)
C1        conv1 + relu1         (6, 28, 28)     6 * (1*5*5 + 1) = 156
S2        pool1                 (6, 14, 14)     0
C3        conv2 + relu2         (16, 10, 10)    16 * (6*5*5 + 1) = 2,416
S4        pool2                 (16, 5, 5)      0
C5        flatten, fc1 + relu3  (120,)          120 * (400 + 1) = 48,120
F6        fc2 + relu4           (84,)           84 * (120 + 1) = 10,164
output    fc3                   (10,)           10 * (84 + 1) = 850
========  ====================  ==============  ===========================================

Choices that differ from the 1998 paper, and why:

- **Input.** The paper feeds 32x32 images (the 28x28 digit centred in a larger field, so that
  strokes near the edge reach the centre of C1's receptive fields). With ``input_size=28`` we
  give ``conv1`` ``padding=2`` instead, which yields the same 28x28 C1 maps; ``input_size=32``
  uses the paper's unpadded 32x32 input.
- **Activation.** The paper uses a scaled hyperbolic tangent ``1.7159 tanh(2a/3)``; we use ReLU
  by default (``activation="tanh"`` gives plain tanh).
- **Subsampling.** S2 and S4 in the paper add up 2x2 windows, multiply by a trainable
  coefficient, add a trainable bias and apply the sigmoid (2 parameters per map); we use
  parameter-free 2x2 max pooling by default (``pooling="avg"`` gives plain average pooling).
- **C3's connections.** In the paper each C3 map reads only 3, 4 or 6 of the six S2 maps (its
  Table I, :data:`C3_CONNECTIONS`), to save parameters and break symmetry; we connect every
  map to every map, as all modern networks do.
- **C5.** The paper's C5 is a convolution with 120 5x5 kernels on the 5x5 S4 maps, which is
  the same as a dense layer on the flattened 400 values; we write it as ``nn.Linear(400, 120)``.
- **Output and loss.** The paper's output layer holds 10 Euclidean radial-basis-function units
  with fixed 7x12 bitmap prototypes, trained with a special criterion; we use a dense layer
  giving 10 logits, trained with cross-entropy (softmax) and Adam instead of the stochastic
  diagonal Levenberg-Marquardt method.

:func:`lecun1998_parameters` counts the paper's trainable parameters layer by layer.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from cnnkit._checks import check_choice

__all__ = ["LeNet5", "C3_CONNECTIONS", "lecun1998_parameters"]

#: Table I of LeCun et al. (1998): ``C3_CONNECTIONS[i][j]`` is True when C3's map ``j`` reads
#: S2's map ``i``. Maps 0-5 read three neighbouring maps, 6-11 four neighbouring maps, 12-14
#: four non-neighbouring maps, and map 15 all six.
C3_CONNECTIONS: tuple[tuple[bool, ...], ...] = tuple(
    tuple(c == "X" for c in row)
    for row in (
        "X...XXX..XXXX.XX",
        "XX...XXX..XXXX.X",
        "XXX...XXX..X.XXX",
        ".XXX..XXXX..X.XX",
        "..XXX..XXXX.XX.X",
        "...XXX..XXXX.XXX",
    )
)


def lecun1998_parameters() -> dict[str, int]:
    """The trainable parameters of the original LeNet-5, layer by layer, from the paper's design.

    C1: 6 kernels of 5x5 plus 6 biases. S2, S4: one coefficient and one bias per map. C3: one
    5x5 kernel per connection in :data:`C3_CONNECTIONS`, plus 16 biases. C5: 120 kernels of
    16x5x5 plus biases. F6: 84 units with 120 inputs each plus biases. The RBF output units
    have fixed prototypes and count nothing.

    Returns:
        An ordered dict from layer name to count, ending with ``"total"``.

    Example:
        >>> counts = lecun1998_parameters()
        >>> counts["C3"], counts["total"]
        (1516, 60000)
    """
    connections = sum(sum(row) for row in C3_CONNECTIONS)
    counts = OrderedDict(
        C1=6 * (5 * 5 + 1),
        S2=6 * 2,
        C3=connections * 5 * 5 + 16,
        S4=16 * 2,
        C5=120 * (16 * 5 * 5 + 1),
        F6=84 * (120 + 1),
    )
    counts["total"] = sum(counts.values())
    return dict(counts)


_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Sequential):
    """LeNet-5: conv 6@5x5 - pool - conv 16@5x5 - pool - fc 120 - fc 84 - fc 10.

    A ``nn.Sequential`` with named layers (``conv1``, ``relu1``, ``pool1``, ``conv2``, ``relu2``,
    ``pool2``, ``flatten``, ``fc1``, ``relu3``, ``fc2``, ``relu4``, ``fc3``), so that
    ``model.conv1`` is the first convolution and a summary reads like the paper.

    Args:
        input_size: 28 (MNIST as it is; ``conv1`` pads by 2) or 32 (the paper's input, no padding).
        activation: ``"relu"`` (default) or ``"tanh"``.
        pooling: ``"max"`` (default) or ``"avg"``, 2x2 windows with stride 2.
        in_channels: channels of the input image.
        num_classes: number of outputs (logits).

    Shape:
        input (N, in_channels, input_size, input_size) -> logits (N, num_classes). The maps
        are 28x28 after ``conv1``, 14x14 after ``pool1``, 10x10 after ``conv2`` and 5x5 after
        ``pool2``, whichever the input size.

    Example:
        >>> import torch
        >>> model = LeNet5()
        >>> model(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
        >>> sum(p.numel() for p in model.parameters())
        61706
        >>> LeNet5(input_size=32)(torch.zeros(1, 1, 32, 32)).shape
        torch.Size([1, 10])
    """

    def __init__(
        self,
        input_size: int = 28,
        activation: str = "relu",
        pooling: str = "max",
        in_channels: int = 1,
        num_classes: int = 10,
    ):
        if input_size not in (28, 32):
            raise ValueError(
                f"input_size must be 28 (MNIST, conv1 pads by 2) or 32 (the paper's input); got {input_size!r}"
            )
        check_choice(activation, tuple(_ACTIVATIONS), "activation", caller="LeNet5")
        check_choice(pooling, tuple(_POOLS), "pooling", caller="LeNet5")
        act, pool = _ACTIVATIONS[activation], _POOLS[pooling]
        super().__init__(
            OrderedDict(
                conv1=nn.Conv2d(in_channels, 6, kernel_size=5, padding=2 if input_size == 28 else 0),
                relu1=act(),
                pool1=pool(kernel_size=2, stride=2),
                conv2=nn.Conv2d(6, 16, kernel_size=5),
                relu2=act(),
                pool2=pool(kernel_size=2, stride=2),
                flatten=nn.Flatten(),
                fc1=nn.Linear(16 * 5 * 5, 120),
                relu3=act(),
                fc2=nn.Linear(120, 84),
                relu4=act(),
                fc3=nn.Linear(84, num_classes),
            )
        )
        self.input_size = input_size
