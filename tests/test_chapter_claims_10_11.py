"""Claims of chapters 10 and 11 that the chapters state once and these tests keep checking.

Chapter 11 shows each identity between CAM and Grad-CAM once, on its five photographs; the
checks that repeated an identity already shown are here, recomputed with the chapter's own
inputs (EfficientNet-Lite0 with its ImageNet weights, the same photographs and classes, the
same random network). The last tests keep the code that chapters 10 and 11 show with
``literalinclude`` resolvable: the function named by ``:pyobject:`` exists in the file, and the
``:start-at:`` and ``:end-before:`` anchors still occur in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnnkit.data import load_image
from cnnkit.models.efficientnet import (
    BLOCK_NAMES,
    efficientnet_lite0,
    efficientnet_lite_preprocess,
)
from cnnkit.viz.cam import cam_for_model, grad_cam
from cnnkit.viz.sanity import cascading_randomization

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    ROOT / "chapters" / "10_filter_visualisation.ipynb",
    ROOT / "chapters" / "11_class_activation_maps.ipynb",
]

#: The photographs of chapter 11, in its order; the first four are the sanity check's.
PHOTOS = ["chelsea", "coffee", "camera", "rocket", "astronaut"]


@pytest.fixture(scope="module")
def net() -> torch.nn.Module:
    return efficientnet_lite0("imagenet")


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    """The chapter's five photographs as the network's input, (5, 3, 224, 224)."""
    images = {name: load_image(name) for name in PHOTOS}
    images["camera"] = np.stack(
        [images["camera"]] * 3, axis=-1
    )  # grey: the same values in R, G and B
    return torch.cat([efficientnet_lite_preprocess(images[name]) for name in PHOTOS])


@pytest.fixture(scope="module")
def top(net, photos):
    """CAM at the head for each photograph's predicted class (the chapter's ``top``)."""
    return cam_for_model(net, photos, layer="head")


# --------------------------------------------------------------------------------------------
# Chapter 11: Grad-CAM at the last layer of a GAP network is CAM / Z


def test_ch10_grad_cam_with_relu_is_positive_part_of_cam_over_z(net, photos, top):
    """With its ReLU, Grad-CAM at ``head`` is max(CAM, 0) / Z (chapter 11 shows it without)."""
    z = top.maps.shape[-2] * top.maps.shape[-1]
    assert z == 49
    gc_head = grad_cam(net, photos, "head", class_idx=top.class_idx)
    assert np.allclose(gc_head.maps * z, np.maximum(top.maps, 0), atol=1e-4)


def test_ch10_identity_holds_for_a_fully_random_network(net, photos, top):
    """After the cascade has randomised every layer, Grad-CAM at ``head`` before its ReLU is still
    CAM / Z: the identity needs only the pooling head, not trained weights."""
    cascade = ["predictions", "head", *BLOCK_NAMES[::-1], "stem"]
    xs = photos[:4]
    classes = top.class_idx[:4]
    random_net = efficientnet_lite0(weights=None, seed=1)
    *_, (_, randomised) = cascading_randomization(net, random_net, cascade)  # the last, fully random step
    cam = cam_for_model(randomised, xs, layer="head", class_idx=classes).maps
    gc = grad_cam(randomised, xs, "head", class_idx=classes, relu=False).maps
    z = cam.shape[-2] * cam.shape[-1]
    assert np.allclose(gc * z, cam, rtol=1e-4, atol=1e-4 * np.abs(cam).max())
    # and the network really is another one: its maps are not the trained network's
    assert not np.allclose(cam, top.maps[:4], atol=1e-2)
