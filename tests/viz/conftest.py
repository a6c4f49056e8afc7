"""Fixtures shared by the CAM and sanity-check tests: an untrained small VGG with a few random
digits, and an untrained EfficientNet-Lite0 (seeded, so every test sees the same weights)."""

import pytest
import torch

from cnnkit.models.efficientnet import efficientnet_lite0
from cnnkit.models.small_vgg import small_vgg


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return small_vgg(weights=None)


@pytest.fixture(scope="module")
def digits():
    return torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def lite():
    return efficientnet_lite0(weights=None, seed=0)
