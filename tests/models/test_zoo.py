"""The torchvision architectures, built without weights on the meta device."""

import pytest
import torch
from torch import nn

from cnnkit.models.zoo import ARCHITECTURES, build, layer_table, parameter_count, parameter_split, shapes_after

#: Parameter counts of torchvision's definitions (also listed in torchvision's model docs).
EXPECTED = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "googlenet": 6_624_904,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "resnet152": 60_192_808,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameter_counts(name):
    model = build(name)
    assert parameter_count(model) == EXPECTED[name]
    assert all(p.device.type == "meta" for p in model.parameters())
    assert not model.training
    split = parameter_split(model)
    assert split.total == EXPECTED[name]
    assert layer_table(model).total_params == EXPECTED[name]
    assert layer_table(model).rows[-1].output_shape == (1, 1000)


def test_every_architecture_is_tested():
    assert set(ARCHITECTURES) == set(EXPECTED)


def test_vgg16_blocks_halve_the_resolution_down_to_7():
    shapes = [s for _, s in shapes_after("vgg16")]
    assert [s[2] for s in shapes] == [112, 56, 28, 14, 7]
    assert [s[1] for s in shapes] == [64, 128, 256, 512, 512]


def test_where_vgg_and_alexnet_spend_their_parameters():
    vgg = parameter_split("vgg16")
    assert (vgg.conv, vgg.dense, vgg.other) == (14_714_688, 123_642_856, 0)
    assert vgg.conv_percent + vgg.dense_percent == pytest.approx(100)
    assert vgg.dense == (512 * 7 * 7 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    resnet = parameter_split("resnet50")
    assert resnet.dense == 2048 * 1000 + 1000 and resnet.other > 0  # batch norm


def test_condensed_tables():
    t = layer_table("resnet50")
    assert [r.name for r in t.rows] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc",
    ]
    assert t.row("layer4").output_shape == (1, 2048, 7, 7)
    g = layer_table("googlenet")
    assert g.row("inception5b").output_shape == (1, 1024, 7, 7)
    full = layer_table("alexnet", depth=None)
    assert len(full.rows_of_type("Conv2d")) == 5 and len(full.rows_of_type("Linear")) == 3


def test_cpu_build_runs():
    model = build("resnet18", device="cpu")
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="did you mean 'resnet50'"):
        build("resnet05")


def test_shapes_after_other_types():
    convs = shapes_after("alexnet", nn.Conv2d)
    assert [s[1] for _, s in convs] == [64, 192, 384, 256, 256]
