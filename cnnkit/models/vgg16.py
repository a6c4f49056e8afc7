"""VGG16 (Simonyan & Zisserman 2014) from torchvision, with the layer names of Keras.

Keras's VGG16 (the one the course notes print) calls its layers ``block1_conv1`` … ``block5_conv3``,
``block1_pool`` … ``block5_pool``, ``fc1``, ``fc2`` and ``predictions``. torchvision's
``torchvision.models.vgg16`` is the same network with numbered modules (``features[0]`` …
``features[30]``, ``classifier[0]`` … ``classifier[6]``). :class:`VGG16` holds torchvision's
modules and gives them the Keras names:

- a convolution's name (``block3_conv2``) means the output of the ReLU after it, since a Keras
  ``Conv2D(..., activation='relu')`` includes its activation;
- ``fc1`` and ``fc2`` are the outputs of the ReLUs after ``classifier[0]`` and ``classifier[3]``;
- ``predictions`` is ``classifier[6]``: the 1,000 *logits*. Keras's layer applies the softmax
  as well; here :func:`decode_predictions` does.

torchvision's ReLUs work in place (``inplace=True``): they overwrite the convolution's output.
That is why the names point at the ReLUs (whose output is the activation) and the hooks of
:meth:`~cnnkit.models.named.NamedLayersMixin.activations` copy what they record.

=============  ===============  ===============  ===========
Keras name     torchvision      output shape     parameters
=============  ===============  ===============  ===========
block1_conv1   features[0:2]    (64, 224, 224)         1,792
block1_conv2   features[2:4]    (64, 224, 224)        36,928
block1_pool    features[4]      (64, 112, 112)
block2_conv1   features[5:7]    (128, 112, 112)       73,856
…              …                …                …
block5_conv3   features[28:30]  (512, 14, 14)      2,359,808
block5_pool    features[30]     (512, 7, 7)
fc1            classifier[0:2]  (4096,)          102,764,544
fc2            classifier[3:5]  (4096,)           16,781,312
predictions    classifier[6]    (1000,)            4,097,000
total                                            138,357,544
=============  ===============  ===============  ===========

Weights: :data:`VGG16_IMAGENET` describes the ImageNet weights (file, hash, input and its
inverse, categories, published accuracy); the ImageNet pre- and post-processing it names lives in
:mod:`cnnkit.models.imagenet`, shared with EfficientNet-Lite0. :func:`vgg16` takes
``"imagenet"`` (torchvision's ``VGG16_Weights.IMAGENET1K_V1``, found or fetched by
:mod:`cnnkit.weights`), ``None`` (random) or the path of a state dict. The chapters load it with
:func:`cnnkit.book.load_vgg16`: ImageNet weights when they are at hand, else a seeded random
network *and a visible warning* saying so.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import torch
from torch import nn

from cnnkit.models.imagenet import (  # the chapters import these from here
    IMAGENET_MEAN,
    IMAGENET_STD,
    Prediction,
    WeightsInfo,
    decode_predictions,
    imagenet_categories,
    imagenet_deprocess,
    imagenet_preprocess,
)
from cnnkit.models.named import NamedLayersMixin
from cnnkit.weights import (
    state_dict_file,
    weights_path,
)

__all__ = [
    "VGG16",
    "vgg16",
    "IMAGENET_DESCRIPTION",
    "random_description",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "imagenet_preprocess",
    "imagenet_deprocess",
    "imagenet_categories",
    "Prediction",
    "decode_predictions",
    "VGG16_IMAGENET",
]

#: VGG16's ImageNet weights: torchvision's ``VGG16_Weights.IMAGENET1K_V1``, its file, input and accuracy.
VGG16_IMAGENET = WeightsInfo(
    file_name="vgg16-397923af.pth",
    sha256="397923af",
    source="https://download.pytorch.org/models/vgg16-397923af.pth",
    preprocess=imagenet_preprocess,
    deprocess=imagenet_deprocess,
    top1=71.592,
    top5=90.382,
    accuracy_source="torchvision, VGG16_Weights.IMAGENET1K_V1.meta['_metrics']['ImageNet-1K']",
    categories=imagenet_categories,
)

#: How :func:`cnnkit.book.load_vgg16` describes the ImageNet weights.
IMAGENET_DESCRIPTION = "ImageNet weights (torchvision IMAGENET1K_V1)"


def random_description(seed: int) -> str:
    """How :func:`cnnkit.book.load_vgg16` describes a random network.

    Example:
        >>> random_description(0)
        'untrained: random weights, seed 0'
    """
    return f"untrained: random weights, seed {seed}"


class VGG16(NamedLayersMixin, nn.Module):
    """torchvision's VGG16 with Keras-style layer names.

    The modules are torchvision's own (``features``, ``avgpool``, ``classifier``), so a state
    dict saved from ``torchvision.models.vgg16()`` loads into this model and back unchanged.
    The weights are random (torchvision's initialisation); use :func:`vgg16` for trained ones.

    Args:
        num_classes: outputs of the last layer.

    Shape:
        input (N, 3, 224, 224) -> logits (N, num_classes). Other sizes work too: the
        convolutional part halves the size five times, and torchvision's ``avgpool``
        (``AdaptiveAvgPool2d((7, 7))``, the identity for 224x224 inputs) brings any size to 7x7.
    """

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        from torchvision.models import vgg16 as torchvision_vgg16

        net = torchvision_vgg16(weights=None, num_classes=num_classes)
        self.features = net.features
        self.avgpool = net.avgpool
        self.classifier = net.classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))

    def _names(self) -> tuple[OrderedDict, OrderedDict]:
        """(name -> module whose output is the activation, name -> Conv2d/Linear holding the weights)."""
        outputs: OrderedDict[str, nn.Module] = OrderedDict()
        weights: OrderedDict[str, nn.Module] = OrderedDict()
        block, conv = 1, 0
        last: nn.Module = nn.Identity()  # the convolution before the next ReLU
        for module in self.features:
            if isinstance(module, nn.Conv2d):
                conv += 1
                last = module
            elif isinstance(module, nn.ReLU):
                name = f"block{block}_conv{conv}"
                outputs[name], weights[name] = module, last
            elif isinstance(module, nn.MaxPool2d):
                outputs[f"block{block}_pool"] = module
                block, conv = block + 1, 0
        c = self.classifier
        outputs["fc1"], weights["fc1"] = c[1], c[0]
        outputs["fc2"], weights["fc2"] = c[4], c[3]
        outputs["predictions"], weights["predictions"] = c[6], c[6]
        return outputs, weights

    def named_layers(self) -> OrderedDict[str, nn.Module]:
        """Keras name -> the module whose output is that layer's activation (a ReLU, a pool, a Linear)."""
        return self._names()[0]

    def weight_layers(self) -> OrderedDict[str, nn.Module]:
        """Keras name -> the ``Conv2d`` or ``Linear`` that holds that layer's weights (pools have none)."""
        return self._names()[1]

    def parameter_counts(self) -> OrderedDict[str, int]:
        """Keras name -> number of weights and biases of that layer (0 for a pooling layer)."""
        weights = self.weight_layers()
        return OrderedDict(
            (name, sum(p.numel() for p in weights[name].parameters()) if name in weights else 0)
            for name in self.layer_names()
        )


def vgg16(weights: str | os.PathLike | None = "imagenet", download: bool = True, progress: bool = False) -> VGG16:
    """VGG16 with Keras-style layer names, with ImageNet weights, random weights or weights from a file.

    Args:
        weights: ``"imagenet"`` for torchvision's ``VGG16_Weights.IMAGENET1K_V1`` (looked for in
            ``$CNNKIT_WEIGHTS_DIR`` and torch's hub cache, hash-checked, see :mod:`cnnkit.weights`);
            ``None`` for a random initialisation (call ``torch.manual_seed`` first for a
            reproducible one); or the path of a state dict saved from this model or from
            ``torchvision.models.vgg16()``.
        download: with ``weights="imagenet"``, download the file (528 MB) when no folder has it.
        progress: show a progress bar while downloading.

    Returns:
        A :class:`VGG16` in eval mode.

    Raises:
        WeightsUnavailableError: ImageNet weights were asked for but are neither on disk nor
            downloadable; the message says how to fetch them.
        FileNotFoundError: ``weights`` is a path with no file.

    Example:
        >>> _ = torch.manual_seed(0)
        >>> model = vgg16(weights=None)
        >>> model.layer_names()[:3], model.layer_names()[-3:]
        (['block1_conv1', 'block1_conv2', 'block1_pool'], ['fc1', 'fc2', 'predictions'])
        >>> sum(p.numel() for p in model.parameters())
        138357544
    """
    if weights is None:
        return VGG16().eval()
    path = state_dict_file(weights, lambda: weights_path("vgg16", download=download, progress=progress))
    state = torch.load(path, map_location="cpu", weights_only=True)
    # Build the modules without initialising 138 million random numbers that the state dict replaces.
    with torch.device("meta"):
        model = VGG16()
    model.load_state_dict(state, assign=True)
    return model.eval()
