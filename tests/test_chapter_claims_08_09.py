"""Checks that chapters 8 and 9 used to print or assert, kept here so the chapters show one check per idea.

Each test rebuilds what the chapter builds, with the same settings and seeds, and asserts what the
chapter's cell printed or asserted. The chapters keep one visible check per idea (chapter 8: the
multiply-adds of the efficient blocks counted by formula and by hooks; chapter 9: the hand-written
VGG16 has the parameter shapes of cnnkit's); the repeats live here. Nothing is trained.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnkit.models.blocks import DepthwiseSeparableConv, ResidualBlock
from cnnkit.models.efficientnet import MBConv, efficientnet_lite0
from cnnkit.models.vgg16 import imagenet_categories, vgg16
from cnnkit.viz.activations import bn_zero_fraction

# --------------------------------------------------------------------------------------------
# Chapter 8, "Blocks of efficient modern networks"


def efficient_blocks(C: int = 24, k: int = 3, t: int = 6) -> dict[str, nn.Module]:
    """The four blocks of the chapter's table, built as the chapter builds them (same seed)."""
    torch.manual_seed(0)
    return {
        "plain 3x3 convolution": nn.Sequential(nn.Conv2d(C, C, k, padding=1, bias=False), nn.BatchNorm2d(C), nn.ReLU()),
        "depthwise separable": DepthwiseSeparableConv(C, C, k),
        f"MBConv, expansion {t}": MBConv(C, C, expand_ratio=t, kernel_size=k, stride=1),
        "ResNet basic block (two 3x3)": ResidualBlock(C, C),
    }


def test_ch8_efficient_blocks_keep_the_shape_of_their_input():
    """The table compares the blocks on the same input and output, 24 channels of 56x56."""
    C, size = 24, 56
    x = torch.randn(1, C, size, size)
    for name, block in efficient_blocks(C).items():
        with torch.no_grad():
            assert block.eval()(x).shape == x.shape, name


# --------------------------------------------------------------------------------------------
# Chapter 9, "The same network in PyTorch"


def vgg_block(in_channels: int, out_channels: int, n_convs: int) -> list[nn.Module]:
    """The chapter's helper: n_convs 3x3 convolutions with ReLUs, then a 2x2 max-pool."""
    block: list[nn.Module] = []
    for i in range(n_convs):
        block += [nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
    block.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return block


def test_ch9_cnnkit_vgg16_has_the_parameters_of_the_hand_written_one():
    """cnnkit's VGG16 (loaded by the chapter with random weights) has 138,357,544 parameters, in
    the same shapes and order as the network the chapter writes with vgg_block."""
    with torch.device("meta"):  # shapes only: no memory, no random numbers
        mine = nn.Sequential(
            *vgg_block(3, 64, 2), *vgg_block(64, 128, 2), *vgg_block(128, 256, 3),
            *vgg_block(256, 512, 3), *vgg_block(512, 512, 3),
            nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000),
        )
        theirs = vgg16(weights=None)
    assert sum(p.numel() for p in theirs.parameters()) == sum(p.numel() for p in mine.parameters()) == 138_357_544
    assert [p.shape for p in mine.parameters()] == [p.shape for p in theirs.parameters()]
    assert sum(theirs.parameter_counts().values()) == 138_357_544


# --------------------------------------------------------------------------------------------
# Chapter 9, "Top-5 predictions" and "What sets a channel's sparsity"


def test_ch9_the_person_classes_of_imagenet_are_981_to_983():
    """The chapter's cell lists classes 981-983 as ImageNet's classes of people. They are the three of
    the 1,000 ILSVRC-2012 synsets (n09835506, n10148035, n10565667) that have WordNet 3.0's person.n.01
    among their hypernyms; that was checked once against WordNet's data.noun, which the book does not
    ship, so this test pins the indices and the names the chapter prints."""
    assert imagenet_categories()[981:984] == ["ballplayer", "groom", "scuba diver"]


def test_ch9_untrained_lite0_predicts_half_zeros_everywhere():
    """At initialisation every batch normalisation has gamma = 1 and beta = 0: Phi(0) = 1/2 in every channel."""
    untrained = efficientnet_lite0(weights=None, seed=0)
    for name in ["stem", "block2a_expand", "block4c_dwconv", "head"]:
        assert (bn_zero_fraction(untrained.layer(name).bn) == 0.5).all(), name
