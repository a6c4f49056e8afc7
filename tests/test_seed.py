import random

import numpy as np
import pytest
import torch

from cnnkit import seed_everything


def test_same_seed_same_numbers():
    seed_everything(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b
    assert torch.are_deterministic_algorithms_enabled()


def test_bad_seed():
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        seed_everything(-1)
