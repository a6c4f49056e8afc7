"""Tests of cnnkit/viz/receptive.py: the input gradient of one unit and the square that holds its mass."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnkit.shapes import receptive_field, unit_centres
from cnnkit.viz.receptive import central_mass_side, input_gradient_map


def _ones_convs(n: int, padding: int = 1) -> nn.Sequential:
    convs = [nn.Conv2d(1, 1, 3, padding=padding, bias=False) for _ in range(n)]
    for conv in convs:
        nn.init.ones_(conv.weight)
    return nn.Sequential(*convs)


def test_two_linear_convolutions_give_the_triangle_product():
    """Two all-ones 3x3 convolutions: the gradient is the outer product of (1, 2, 3, 2, 1)."""
    g = input_gradient_map(_ones_convs(2), torch.zeros(1, 1, 11, 11))
    tent = np.array([1, 2, 3, 2, 1], dtype=float)
    expected = np.zeros((11, 11))
    expected[3:8, 3:8] = np.outer(tent, tent)
    np.testing.assert_allclose(g, expected)


def test_the_gradient_is_zero_outside_the_theoretical_field():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()
    )
    x = torch.randn(1, 3, 32, 32)
    g = input_gradient_map(net, x, position=(8, 8))
    rf = receptive_field(
        [{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}, {"kernel_size": 3, "padding": 1}]
    )
    start = rf.offset + 8 * rf.jump
    inside = np.zeros_like(g, dtype=bool)
    inside[start : start + rf.size, start : start + rf.size] = True
    assert g[~inside].sum() == 0
    assert g[inside].sum() > 0
    assert unit_centres(16, rf.size, rf.jump, rf.offset)[8] == start + (rf.size - 1) / 2


def test_parameters_are_untouched_and_the_mode_restored():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU()).train()
    with torch.no_grad():  # works inside no_grad too
        input_gradient_map(net, np.zeros((1, 5, 5)))
    assert net.training
    assert all(p.grad is None for p in net.parameters())


def test_input_gradient_map_rejects_bad_shapes_and_positions():
    conv = _ones_convs(1, padding=0)
    with pytest.raises(ValueError, match="shape"):
        input_gradient_map(conv, torch.zeros(2, 1, 5, 5))
    with pytest.raises(ValueError, match="outside"):
        input_gradient_map(conv, torch.zeros(1, 1, 5, 5), position=(3, 0))


def test_central_mass_side_counts_complete_squares():
    m = np.ones((8, 8))
    # centre between pixels: squares of side 2, 4, 6, 8 hold 4, 16, 36, 64 pixels
    assert central_mass_side(m, (3.5, 3.5), [4 / 64, 5 / 64, 1.0]) == [2, 4, 8]
    assert central_mass_side(m, (0, 0), 1.0) == 15  # a corner centre: the square reaches 7 pixels each way


def test_central_mass_side_rejects_bad_input():
    with pytest.raises(ValueError, match="fraction"):
        central_mass_side(np.ones((3, 3)), (1, 1), 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        central_mass_side(-np.ones((3, 3)), (1, 1), 0.5)
    with pytest.raises(ValueError, match="shape"):
        central_mass_side(np.ones(3), (1, 1), 0.5)
