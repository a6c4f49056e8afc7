"""Inception module, residual block and the deep stacks of the gradient experiment."""

import pytest
import torch
from torch import nn

from cnnkit.models.blocks import (
    DeepStack,
    InceptionModule,
    ResidualBlock,
    first_layer_gradient_norm,
    plain_stack,
    residual_stack,
)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_inception_3a_shapes_and_parameters():
    block = InceptionModule(192, 64, 96, 128, 16, 32, 32)
    x = torch.randn(2, 192, 28, 28)
    parts = [block.branch1(x), block.branch2(x), block.branch3(x), block.branch4(x)]
    assert [p.shape[1] for p in parts] == [64, 128, 32, 32]
    y = block(x)
    assert y.shape == (2, 256, 28, 28) and block.out_channels == 256
    assert torch.equal(y, torch.cat(parts, dim=1))
    expected = (
        (192 * 64 + 64)
        + (192 * 96 + 96)
        + (96 * 128 * 9 + 128)
        + (192 * 16 + 16)
        + (16 * 32 * 25 + 32)
        + (192 * 32 + 32)
    )
    assert n_params(block) == expected == 163696
    assert (y >= 0).all()  # every branch ends in a ReLU


def test_naive_inception_has_no_reductions_and_passes_the_pool_through():
    naive = InceptionModule(192, 64, None, 128, None, 32, None)
    assert naive(torch.zeros(1, 192, 28, 28)).shape == (1, 416, 28, 28)
    assert n_params(naive) == (192 * 64 + 64) + (192 * 128 * 9 + 128) + (192 * 32 * 25 + 32)


def test_inception_with_batch_norm_matches_torchvision_count_when_widths_match():
    from torchvision.models.googlenet import Inception

    ours = InceptionModule(192, 64, 96, 128, 16, 32, 32, batch_norm=True)
    theirs = Inception(192, 64, 96, 128, 16, 32, 32)
    # torchvision's "5x5" branch uses a 3x3 kernel (a known deviation from the paper)
    assert n_params(theirs) == n_params(ours) - 16 * 32 * (25 - 9)


def test_identity_residual_block_adds_its_input():
    torch.manual_seed(0)
    block = ResidualBlock(8, 8, batch_norm=False).eval()
    x = torch.randn(2, 8, 6, 6)
    assert block.projection is None
    assert torch.allclose(block(x), torch.relu(block.residual(x) + x))
    # with F silenced, the block is relu(x): the identity on non-negative inputs
    nn.init.zeros_(block.conv2.weight)
    nn.init.zeros_(block.conv2.bias)
    assert torch.allclose(block(x.abs()), x.abs())


def test_projection_shortcut_when_shapes_differ():
    down = ResidualBlock(16, 32, stride=2)
    assert isinstance(down.projection[0], nn.Conv2d)
    assert down.projection[0].kernel_size == (1, 1) and down.projection[0].stride == (2, 2)
    assert down(torch.zeros(1, 16, 9, 9)).shape == (1, 32, 5, 5)
    assert ResidualBlock(16, 32).projection is not None
    assert ResidualBlock(16, 16, stride=2).projection is not None


def test_residual_block_parameters_match_torchvision_basic_block():
    from torchvision.models.resnet import BasicBlock

    assert n_params(ResidualBlock(64, 64)) == n_params(BasicBlock(64, 64))


def test_stacks_share_weights_and_differ_only_by_skips():
    torch.manual_seed(1)
    plain = plain_stack(6, width=4)
    torch.manual_seed(1)
    skip = residual_stack(6, width=4)
    for p, q in zip(plain.parameters(), skip.parameters()):
        assert torch.equal(p, q)
    assert not plain.residual and skip.residual
    convs = [m for m in plain.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 1 + 6


def test_skips_keep_the_gradient_alive_at_depth():
    torch.manual_seed(0)
    x, y = torch.rand(4, 1, 12, 12), torch.tensor([0, 1, 2, 3])
    norms = {}
    for residual in (False, True):
        torch.manual_seed(0)
        norms[residual] = first_layer_gradient_norm(DeepStack(30, residual=residual, width=4), x, y)
    assert norms[True] > 1e4 * norms[False] > 0


def test_gradient_norm_is_deterministic():
    x, y = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)), torch.tensor([1, 2])
    values = []
    for _ in range(2):
        torch.manual_seed(0)
        values.append(first_layer_gradient_norm(residual_stack(4, width=4), x, y))
    assert values[0] == values[1]


@pytest.mark.parametrize("depth", [0, 3, 2.0])
def test_bad_depth_is_named(depth):
    with pytest.raises(ValueError, match="depth"):
        DeepStack(depth)


def test_bad_widths_are_named():
    with pytest.raises(ValueError, match="ch3x3"):
        InceptionModule(192, 64, 96, 0, 16, 32, 32)
    with pytest.raises(ValueError, match="stride"):
        ResidualBlock(8, 8, stride=0)
    with pytest.raises(TypeError, match="stem"):
        first_layer_gradient_norm(nn.Linear(2, 2), torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))


def test_depthwise_separable_costs_and_shapes():
    from cnnkit.models.blocks import DepthwiseSeparableConv
    from cnnkit.models.zoo import multiply_add_split, parameter_split

    block = DepthwiseSeparableConv(24, 40, kernel_size=3)
    assert block.depthwise.conv.groups == 24 and block.pointwise.conv.kernel_size == (1, 1)
    assert block(torch.zeros(2, 24, 56, 56)).shape == (2, 40, 56, 56)
    split = parameter_split(block)
    assert split.conv == 24 * 9 + 24 * 40 and split.other == 2 * 24 + 2 * 40  # batch norm: scale and shift
    macs = multiply_add_split(block, input_size=(24, 56, 56))
    plain = 56 * 56 * 40 * 24 * 9
    assert macs.conv == 56 * 56 * (24 * 9 + 24 * 40)
    assert macs.conv / plain == pytest.approx(1 / 40 + 1 / 9)


def test_depthwise_separable_filters_each_channel_on_its_own():
    from cnnkit.models.blocks import DepthwiseSeparableConv

    torch.manual_seed(0)
    block = DepthwiseSeparableConv(3, 2, batch_norm=False).eval()
    x = torch.randn(1, 3, 8, 8)
    y = block.depthwise.conv(x)
    x2 = x.clone()
    x2[:, 1] = 0  # changing channel 1 changes only depthwise output channel 1
    y2 = block.depthwise.conv(x2)
    assert torch.equal(y[:, [0, 2]], y2[:, [0, 2]]) and not torch.equal(y[:, 1], y2[:, 1])


def test_depthwise_separable_stride_and_bad_arguments():
    from cnnkit.models.blocks import DepthwiseSeparableConv

    assert DepthwiseSeparableConv(8, 16, 5, stride=2)(torch.zeros(1, 8, 9, 9)).shape == (1, 16, 5, 5)
    assert DepthwiseSeparableConv(8, 16, batch_norm=False).pointwise.conv.bias is not None
    with pytest.raises(ValueError, match="kernel_size"):
        DepthwiseSeparableConv(8, 8, kernel_size=2)
    with pytest.raises(ValueError, match="out_channels"):
        DepthwiseSeparableConv(8, 0)


def test_stacks_with_batch_norm_share_weights_and_halve_with_the_stem_stride():
    """The training experiment of chapter 8: a plain and a residual stack with batch norm, built
    from the same seed, are the same network but for the skips; a stride-2 stem halves the maps."""
    torch.manual_seed(2)
    plain = plain_stack(4, width=4, batch_norm=True, stem_stride=2)
    torch.manual_seed(2)
    skip = residual_stack(4, width=4, batch_norm=True, stem_stride=2)
    for p, q in zip(plain.parameters(), skip.parameters()):
        assert torch.equal(p, q)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in plain.modules()) == 1 + 4
    maps = []
    handle = plain.pairs[0][0].register_forward_hook(lambda m, i, o: maps.append(o.shape))
    plain(torch.zeros(2, 1, 28, 28))
    handle.remove()
    assert maps == [torch.Size([2, 4, 14, 14])]
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        assert not torch.allclose(plain.eval()(x), skip.eval()(x))


def test_batch_norm_off_keeps_the_stack_without_normalisation():
    """The default stack of the gradient experiment has no batch norm: only convolutions and the head."""
    stack = plain_stack(4, width=4)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in stack.modules())
    assert sum(p.numel() for p in stack.parameters()) == 4 * 9 + 4 * 4 * 4 * 9 + 4 * 10 + 10


def test_bad_stem_stride_is_named():
    with pytest.raises(ValueError, match="stem_stride"):
        DeepStack(4, stem_stride=0)
