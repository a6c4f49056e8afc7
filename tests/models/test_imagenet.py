"""cnnkit.models.imagenet: the ImageNet input and output, and the weights descriptions built on it."""

import dataclasses

import numpy as np
import pytest
import torch

from cnnkit.models.efficientnet import (
    LITE0_IMAGENET,
    WEIGHTS_FILE,
    WEIGHTS_SHA256,
    efficientnet_lite_deprocess,
    efficientnet_lite_preprocess,
)
from cnnkit.models.imagenet import WeightsInfo, imagenet_deprocess, imagenet_preprocess
from cnnkit.models.vgg16 import VGG16_IMAGENET
from cnnkit.weights import weights_spec

DESCRIPTIONS = {"vgg16": VGG16_IMAGENET, "efficientnet-lite0": LITE0_IMAGENET}


def test_vgg16_description_is_torchvisions():
    from torchvision.models import VGG16_Weights

    weights = VGG16_Weights.IMAGENET1K_V1
    metrics = weights.meta["_metrics"]["ImageNet-1K"]
    assert (VGG16_IMAGENET.top1, VGG16_IMAGENET.top5) == (metrics["acc@1"], metrics["acc@5"])
    assert VGG16_IMAGENET.source == weights.url == weights_spec("vgg16").url
    assert VGG16_IMAGENET.file_name == weights.url.rsplit("/", 1)[1]
    assert VGG16_IMAGENET.file_name == f"vgg16-{VGG16_IMAGENET.sha256}.pth"
    assert VGG16_IMAGENET.categories() == list(weights.meta["categories"])


def test_lite0_description_names_the_shipped_file():
    assert (LITE0_IMAGENET.file_name, LITE0_IMAGENET.sha256) == (WEIGHTS_FILE, WEIGHTS_SHA256)
    assert f"efficientnet-lite0-{WEIGHTS_SHA256[:8]}.pth" == WEIGHTS_FILE
    assert LITE0_IMAGENET.top5 is None and "efficientnetlite2020" in LITE0_IMAGENET.accuracy_source


@pytest.mark.parametrize("name", DESCRIPTIONS)
def test_unpreprocess_inverts_preprocess(name):
    info = DESCRIPTIONS[name]
    image = np.random.default_rng(0).uniform(size=(40, 30, 3))
    x = info.preprocess(image)
    assert x.shape == (1, 3, 224, 224) and x.dtype == torch.float32
    shown = info.deprocess(x)
    # the same picture as the plain crop-and-resize, which the ImageNet round trip gives
    np.testing.assert_allclose(shown, imagenet_deprocess(imagenet_preprocess(image)), atol=1e-6)
    assert shown.min() >= 0 and shown.max() <= 1
    assert len(info.categories()) == 1000


def test_the_descriptions_are_frozen():
    assert dataclasses.is_dataclass(WeightsInfo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        VGG16_IMAGENET.top1 = 0.0  # type: ignore[misc]


def test_lite_deprocess_checks_the_shape():
    assert efficientnet_lite_deprocess(efficientnet_lite_preprocess(np.zeros((8, 8, 3)), size=4)[0]).shape == (4, 4, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(1, 3, H, W\) or \(3, H, W\); got \(4, 4\)"):
        efficientnet_lite_deprocess(np.zeros((4, 4)))
