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
# Chapter 8, "Accuracy and cost of single networks" and "Squeeze-and-excitation"


def test_ch8_torchvision_ops_are_multiply_adds():
    """torchvision's documentation calls ``meta["_ops"]`` GFLOPS; for every network of the chapter it is
    cnnkit's count of multiply-adds (convolutions and dense layers) in billions, rounded to 3 decimals."""
    import torchvision

    from cnnkit.models import zoo

    for name in zoo.ARCHITECTURES:
        ops = torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta["_ops"]
        assert round(zoo.multiply_add_split(name).total / 1e9, 3) == ops, name


def test_ch8_single_network_comparisons_in_the_text():
    """The comparisons the prose draws from torchvision's metadata (IMAGENET1K_V1 weights)."""
    import torchvision

    meta = {
        name: torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta
        for name in ("vgg16", "googlenet", "resnet50", "mobilenet_v2", "efficientnet_b0")
    }
    top1 = {name: m["_metrics"]["ImageNet-1K"]["acc@1"] for name, m in meta.items()}
    top5 = {name: m["_metrics"]["ImageNet-1K"]["acc@5"] for name, m in meta.items()}
    ops = {name: m["_ops"] for name, m in meta.items()}
    assert top5["vgg16"] > top5["googlenet"]  # as single networks, VGG16 beats GoogLeNet
    assert top1["resnet50"] > top1["vgg16"] and ops["resnet50"] < 0.3 * ops["vgg16"]
    assert ops["vgg16"] > 10 * ops["googlenet"] and top1["vgg16"] - top1["googlenet"] < 2
    assert max(ops["mobilenet_v2"], ops["efficientnet_b0"]) < 0.5  # "fewer than half a billion"
    v2 = torchvision.models.ResNet50_Weights.IMAGENET1K_V2.meta
    assert (
        v2["_metrics"]["ImageNet-1K"]["acc@1"] > top1["resnet50"] + 4
        and v2["num_params"] == meta["resnet50"]["num_params"]
    )


def test_ch8_efficientnet_b0_without_squeeze_excitation_is_lite0_in_parameters():
    import torchvision

    from cnnkit.models import zoo

    with torch.device("meta"):
        b0 = torchvision.models.efficientnet_b0(weights=None)
        lite0 = efficientnet_lite0(None)
    se = [m for m in b0.modules() if isinstance(m, torchvision.ops.SqueezeExcitation)]
    assert len(se) == 16
    assert zoo.parameter_count(b0) - sum(zoo.parameter_count(m) for m in se) == zoo.parameter_count(lite0) == 4_652_008


def test_ch8_squeeze_excitation_written_out_is_torchvisions():
    """The chapter's four lines (mean, two 1x1 convolutions with swish and sigmoid, scaling) are torchvision's module."""
    import torchvision

    torch.manual_seed(3)
    se = torchvision.ops.SqueezeExcitation(input_channels=144, squeeze_channels=6, activation=nn.SiLU)
    h = torch.randn(2, 144, 7, 7)
    with torch.no_grad():
        weights = torch.sigmoid(se.fc2(nn.functional.silu(se.fc1(h.mean(dim=(2, 3), keepdim=True)))))
        assert torch.allclose(h * weights, se(h))
        assert ((weights > 0) & (weights < 1)).all()


# --------------------------------------------------------------------------------------------
# Chapter 8, "Why skip connections help: training curves"


def test_ch8_depth_stacks_differ_only_by_the_skips_and_start_with_a_healthy_gradient():
    """The stacks of the training-curve experiment: with the same seed the plain and residual stacks
    of 20 convolutions have the same weights, and with batch normalisation the gradient reaching the
    first layer at initialisation does not vanish without the skips (unlike the stacks without it)."""
    from cnnkit.data import mnist_split
    from cnnkit.models.blocks import first_layer_gradient_norm, plain_stack, residual_stack

    split = mnist_split()
    x, y = torch.as_tensor(split.x_train[:8]), torch.as_tensor(split.y_train[:8])
    stacks = {}
    for name, make in [("plain", plain_stack), ("residual", residual_stack)]:
        torch.manual_seed(0)
        stacks[name] = make(20, width=8, batch_norm=True, stem_stride=2)
    for p, q in zip(stacks["plain"].parameters(), stacks["residual"].parameters()):
        assert torch.equal(p, q)
    norms = {name: first_layer_gradient_norm(stack, x, y) for name, stack in stacks.items()}
    assert norms["plain"] > 0.5 * norms["residual"] > 0.05, norms
    torch.manual_seed(0)
    assert first_layer_gradient_norm(plain_stack(20, width=8, stem_stride=2), x, y) < 1e-6


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
            *vgg_block(3, 64, 2),
            *vgg_block(64, 128, 2),
            *vgg_block(128, 256, 3),
            *vgg_block(256, 512, 3),
            *vgg_block(512, 512, 3),
            nn.Flatten(),
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, 1000),
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
