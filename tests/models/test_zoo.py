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
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "fc",
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
    channels = [
        (3, 64),
        (64, 64),
        (64, 128),
        (128, 128),
        (128, 256),
        (256, 256),
        (256, 256),
        (256, 512),
        (512, 512),
        (512, 512),
        (512, 512),
        (512, 512),
        (512, 512),
    ]
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


def test_alexnet_2012_has_the_papers_widths_and_groups():
    from cnnkit.models.zoo import alexnet_2012

    convs = {name: m for name, m in alexnet_2012().named_modules() if isinstance(m, nn.Conv2d)}
    assert [c.out_channels for c in convs.values()] == [96, 256, 384, 384, 256]
    assert [c.groups for c in convs.values()] == [1, 2, 1, 2, 2]
    # grouped: each filter of conv2, conv4 and conv5 spans half of the input channels
    grouped_conv = (
        3 * 96 * 121 + 96 + 48 * 256 * 25 + 256 + 256 * 384 * 9 + 384 + 192 * 384 * 9 + 384 + 192 * 256 * 9 + 256
    )
    dense = (9216 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    assert parameter_split(alexnet_2012()).conv == grouped_conv
    assert parameter_count(alexnet_2012()) == grouped_conv + dense == 60_965_224
    assert parameter_count(alexnet_2012(groups=1)) == 62_378_344
    assert parameter_split(alexnet_2012()).dense == parameter_split("alexnet").dense == dense
    table = layer_table(alexnet_2012(), depth=None)
    assert table.row("conv1").output_shape == (1, 96, 55, 55) and table.row("pool5").output_shape == (1, 256, 6, 6)


def test_alexnet_2012_dropout_follows_the_first_two_dense_layers():
    from cnnkit.models.zoo import alexnet_2012

    names = [name for name, _ in alexnet_2012().named_children()]
    assert [names[names.index(d) - 2] for d in ("dropout6", "dropout7")] == ["fc6", "fc7"]
    assert sum(isinstance(m, nn.Dropout) for m in alexnet_2012().modules()) == 2


def test_alexnet_2012_runs_on_cpu_and_checks_groups():
    from cnnkit.models.zoo import alexnet_2012

    model = alexnet_2012(device="cpu")
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)
    with pytest.raises(ValueError, match="groups"):
        alexnet_2012(groups=3)


def test_googlenet_2014_follows_table_1():
    import torchvision

    from cnnkit.models.zoo import googlenet_2014

    model = googlenet_2014()
    table = layer_table(model)
    assert [table.row(f"pool{i}").output_shape[2] for i in range(1, 5)] == [56, 28, 14, 7]
    assert table.row("inception4e").output_shape == (1, 832, 14, 14)
    assert table.rows[-1].output_shape == (1, 1000)
    assert parameter_count(model) == 6_998_552
    assert parameter_split(model).other == 0  # no batch normalisation
    # about 1.5 billion multiply-adds, the paper's budget
    assert 1.5e9 < multiply_add_split_total(model) < 1.6e9
    # torchvision's auxiliary classifiers: 1x1 conv to 128 (batch norm instead of bias), dense 2048 -> 1024 -> 1000
    with torch.device("meta"):
        with_aux = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    aux = 512 * 128 + 2 * 128 + (2048 + 1) * 1024 + (1024 + 1) * 1000
    assert parameter_count(with_aux.aux1) == aux and parameter_count(with_aux.aux2) == aux + 16 * 128
    assert parameter_count(with_aux) == EXPECTED["googlenet"] + parameter_count(with_aux.aux1) + parameter_count(
        with_aux.aux2
    )


def multiply_add_split_total(model: nn.Module) -> int:
    from cnnkit.models.zoo import multiply_add_split

    return multiply_add_split(model).total


def test_paper_networks_are_built_on_meta_without_drawing_random_numbers():
    from cnnkit.models.zoo import alexnet_2012, googlenet_2014

    state = torch.random.get_rng_state()
    for model in (alexnet_2012(), alexnet_2012(groups=1), googlenet_2014()):
        assert all(p.device.type == "meta" for p in model.parameters()) and not model.training
    assert torch.equal(state, torch.random.get_rng_state())
    assert all(p.device.type == "cpu" for p in googlenet_2014(device="cpu").parameters())


def test_layer_costs_of_a_small_network():
    from cnnkit.models.zoo import layer_costs, multiply_add_split, parameter_count

    model = nn.Sequential(
        nn.Conv2d(1, 8, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, groups=2),
        nn.Flatten(),
        nn.Linear(16 * 8 * 8, 10),
    )
    rows = layer_costs(model, (1, 28, 28))
    assert [r.type for r in rows] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "Flatten", "Linear"]
    assert [r.output_shape for r in rows] == [(8, 24, 24), (8, 24, 24), (8, 12, 12), (16, 8, 8), (1024,), (10,)]
    assert [r.multiply_adds for r in rows] == [24 * 24 * 8 * 25, 0, 0, 8 * 8 * 16 * 4 * 25, 0, 1024 * 10]
    assert sum(r.multiply_adds for r in rows) == multiply_add_split(model, (1, 28, 28)).total
    assert sum(r.params for r in rows) == parameter_count(model)
    assert rows[0].activations == 8 * 24 * 24 and rows[0].activation_bytes == 4 * 8 * 24 * 24
    assert layer_costs(model.double(), (1, 28, 28))[0].bytes_per_value == 8
    assert all(not m._forward_hooks for m in model.modules())
