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


def test_multiply_adds_of_vgg16_follow_the_shapes():
    from cnnkit.models.zoo import multiply_add_split

    macs = multiply_add_split("vgg16")
    sizes = [224] * 2 + [112] * 2 + [56] * 3 + [28] * 3 + [14] * 3
    channels = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
    assert macs.conv == sum(h * h * c_out * c_in * 9 for h, (c_in, c_out) in zip(sizes, channels))
    assert macs.dense == 7 * 7 * 512 * 4096 + 4096 * 4096 + 4096 * 1000
    assert macs.total == macs.conv + macs.dense
    assert macs.conv_percent + macs.dense_percent == pytest.approx(100)


def test_multiply_adds_count_groups_and_leave_no_hooks():
    from cnnkit.models.zoo import multiply_add_split

    model = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1, groups=2), nn.Flatten(), nn.Linear(8 * 5 * 5, 3))
    macs = multiply_add_split(model, input_size=(4, 5, 5))
    assert (macs.conv, macs.dense) == (5 * 5 * 8 * 2 * 9, 200 * 3)
    assert all(not m._forward_hooks for m in model.modules())
    with pytest.raises(ValueError, match="input_size"):
        multiply_add_split(model, input_size=(5, 5))
