"""A small VGG-style network for MNIST, with a global-average-pooling head.

The architecture follows VGG's recipe on a small scale: blocks of two 3x3 convolutions
('same' padding, each followed by batch normalisation and a ReLU) and a 2x2 max-pool, so the resolution halves while the
channels double. The last block keeps its 7x7 resolution and hands its 64 maps to *global
average pooling* and a single linear layer. That head is what makes class activation maps
(chapter 11, Zhou et al. 2016) exact: the class score is a weighted sum of the averaged maps.

=============  =============  ==========
layer          output shape   parameters
=============  =============  ==========
input          (1, 28, 28)
block1_conv1   (16, 28, 28)   176
block1_conv2   (16, 28, 28)   2,336
block1_pool    (16, 14, 14)
block2_conv1   (32, 14, 14)   4,672
block2_conv2   (32, 14, 14)   9,280
block2_pool    (32, 7, 7)
block3_conv1   (64, 7, 7)     18,560
block3_conv2   (64, 7, 7)     36,992
gap            (64,)
predictions    (10,)          650
total                         72,666
=============  =============  ==========

(The convolution parameters include the batch normalisation's scale and shift.)

Shipped weights (``cnnkit/_data/weights/small_vgg_mnist.pt``) were trained by
:func:`train_small_vgg` on the 8,000 training digits of :func:`cnnkit.data.mnist_split`;
regenerate them with ``python -m cnnkit.models.small_vgg``.
"""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnnkit.models.named import NamedLayersMixin

__all__ = ["SmallVGG", "small_vgg", "train_small_vgg", "SHIPPED_WEIGHTS", "TRAINING_SETTINGS"]

#: Settings that produced the shipped weights.
TRAINING_SETTINGS: dict[str, Any] = {"epochs": 10, "batch_size": 64, "lr": 3e-3, "seed": 0, "schedule": "cosine"}


def SHIPPED_WEIGHTS() -> Path:
    """Path of the weights file shipped inside the package."""
    return Path(str(resources.files("cnnkit") / "_data" / "weights" / "small_vgg_mnist.pt"))


class ConvReLU(nn.Sequential):
    """A 3x3 'same' convolution, batch normalisation and a ReLU.

    The output is the ReLU's, as for a Keras ``Conv2D(..., activation='relu')``. Batch
    normalisation (Ioffe & Szegedy 2015) is there only to make training on 8,000 digits fast and
    reliable; the convolution then needs no bias of its own.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__(
            OrderedDict(conv=nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), bn=nn.BatchNorm2d(c_out), relu=nn.ReLU())
        )


class SmallVGG(NamedLayersMixin, nn.Module):
    """VGG blocks of 3x3 conv-conv-pool, then global average pooling and one linear layer.

    Args:
        widths: channels of the three blocks.
        num_classes: number of outputs.

    Shape:
        input (N, 1, 28, 28) -> logits (N, num_classes). ``features(x)`` returns the last
        convolutional maps, (N, widths[2], 7, 7).

    Example:
        >>> model = SmallVGG()
        >>> model(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
        >>> sum(p.numel() for p in model.parameters())
        72666
        >>> model.layer_names()[:3]
        ['block1_conv1', 'block1_conv2', 'block1_pool']
    """

    def __init__(self, widths: tuple[int, int, int] = (16, 32, 64), num_classes: int = 10):
        super().__init__()
        w1, w2, w3 = widths
        self.features = nn.Sequential(
            OrderedDict(
                block1_conv1=ConvReLU(1, w1),
                block1_conv2=ConvReLU(w1, w1),
                block1_pool=nn.MaxPool2d(2),
                block2_conv1=ConvReLU(w1, w2),
                block2_conv2=ConvReLU(w2, w2),
                block2_pool=nn.MaxPool2d(2),
                block3_conv1=ConvReLU(w2, w3),
                block3_conv2=ConvReLU(w3, w3),
            )
        )
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.predictions = nn.Linear(w3, num_classes)

    def named_layers(self):
        layers = OrderedDict(self.features.named_children())
        layers["gap"] = self.flatten
        layers["predictions"] = self.predictions
        return layers

    @property
    def last_conv_name(self) -> str:
        """Name of the last convolutional layer, whose maps class activation maps use."""
        return "block3_conv2"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.predictions(self.flatten(self.gap(self.features(x))))


def small_vgg(weights: str | Path | None = "mnist") -> SmallVGG:
    """The small VGG, with the shipped MNIST weights, random weights, or weights from a file.

    Args:
        weights: ``"mnist"`` for the weights shipped with cnnkit, ``None`` for a fresh random
            initialisation (seed torch first for a reproducible one), or a path to a state dict.

    Returns:
        A :class:`SmallVGG` in eval mode.

    Example:
        >>> model = small_vgg()
        >>> model.training
        False
    """
    model = SmallVGG()
    if weights is None:
        return model.eval()
    path = SHIPPED_WEIGHTS() if weights == "mnist" else Path(weights)
    if not path.is_file():
        raise FileNotFoundError(
            f"no weights file at {path}; pass weights='mnist' for the shipped weights, None for "
            "random ones, or the path of a state dict saved with torch.save(model.state_dict(), path)"
        )
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def train_small_vgg(
    epochs: int = TRAINING_SETTINGS["epochs"],
    batch_size: int = TRAINING_SETTINGS["batch_size"],
    lr: float = TRAINING_SETTINGS["lr"],
    seed: int = TRAINING_SETTINGS["seed"],
    device: str | torch.device = "cpu",
    verbose: bool = False,
):
    """Train a fresh :class:`SmallVGG` on the 8,000 training digits of the offline split.

    Returns:
        ``(model, history)``; ``history.val_accuracy`` is measured on the 2,000 held-out digits.
    """
    from cnnkit import seed_everything
    from cnnkit.data import mnist_split
    from cnnkit.train import fit

    seed_everything(seed)
    split = mnist_split()
    model = SmallVGG()
    history = fit(
        model,
        split.x_train,
        split.y_train,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        validation=(split.x_test, split.y_test),
        schedule=TRAINING_SETTINGS["schedule"],
        device=device,
        verbose=verbose,
    )
    return model.cpu().eval(), history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the small VGG on the offline MNIST split and save it.")
    parser.add_argument("--out", type=Path, default=SHIPPED_WEIGHTS(), help="where to save the state dict")
    parser.add_argument("--epochs", type=int, default=TRAINING_SETTINGS["epochs"])
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    model, history = train_small_vgg(epochs=args.epochs, verbose=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    print(f"held-out accuracy {history.val_accuracy[-1]:.4f}; {history.seconds:.0f} s; saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
