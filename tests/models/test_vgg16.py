"""Tests of cnnkit/models/vgg16.py: Keras names on torchvision's VGG16, weights, fallback, ImageNet I/O.

No test touches the network: an autouse fixture makes every download fail as offline and points
torch's hub cache at an empty folder. VGG16 is built once per module (it has 138 million weights).
"""

import hashlib
import re
import shutil
import urllib.error

import numpy as np
import pytest
import torch
import torch.hub
import torch.nn.functional as F
from torch import nn

import cnnkit.book as B
import cnnkit.models.vgg16 as V
import cnnkit.weights as W
from cnnkit.book import load_vgg16, missing_weights_admonition
from cnnkit.display import Admonition
from cnnkit.models.vgg16 import (
    IMAGENET_DESCRIPTION,
    decode_predictions,
    imagenet_deprocess,
    imagenet_preprocess,
    vgg16,
)
from cnnkit.shapes import conv_output_size, pool_output_size
from cnnkit.weights import ENV_VAR, WeightsSpec, WeightsUnavailableError

CONVS = [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)]
NAMES = [
    name for block, n in CONVS for name in [f"block{block}_conv{c}" for c in range(1, n + 1)] + [f"block{block}_pool"]
] + ["fc1", "fc2", "predictions"]


def _offline(*args, **kwargs):
    raise urllib.error.URLError("offline")


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    hub = tmp_path / "hub" / "checkpoints"
    monkeypatch.setattr(W, "hub_checkpoints_dir", lambda: hub)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(W.NO_PRETRAINED_VAR, raising=False)
    monkeypatch.setattr(torch.hub, "download_url_to_file", _offline)
    return hub


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return vgg16(weights=None)


@pytest.fixture(scope="module")
def saved(model, tmp_path_factory):
    """The model's state dict on disk, and the first 8 hex digits of its SHA-256."""
    path = tmp_path_factory.mktemp("weights") / "state.pth"
    torch.save(model.state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return path, digest[:8]


def _same_parameters(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_layer_names_are_keras_names(model):
    assert model.layer_names() == NAMES
    assert len(NAMES) == 21


def test_named_modules_are_the_relus_pools_and_logits(model):
    for name, module in model.named_layers().items():
        if "conv" in name or name in ("fc1", "fc2"):
            assert isinstance(module, nn.ReLU), name
        elif "pool" in name:
            assert isinstance(module, nn.MaxPool2d), name
    assert model.layer("predictions") is model.classifier[6]
    assert model.layer("fc1") is model.classifier[1] and model.layer("fc2") is model.classifier[4]
    assert model.layer("block1_conv1") is model.features[1] and model.layer("block5_pool") is model.features[30]
    assert model.weight_layers()["block1_conv1"] is model.features[0]
    assert model.weight_layers()["fc2"] is model.classifier[3]


def test_unknown_layer_suggests_a_name(model):
    with pytest.raises(KeyError, match=r"did you mean 'block3_conv3'"):
        model.layer("block3_conv4")


def test_parameter_count(model):
    counts = model.parameter_counts()
    assert sum(p.numel() for p in model.parameters()) == 138_357_544 == sum(counts.values())
    assert counts["block1_conv1"] == 3 * 3 * 3 * 64 + 64 == 1_792
    assert counts["block5_conv3"] == 3 * 3 * 512 * 512 + 512 == 2_359_808
    assert counts["fc1"] == 7 * 7 * 512 * 4096 + 4096 == 102_764_544
    assert counts["predictions"] == 4096 * 1000 + 1000
    assert all(counts[f"block{b}_pool"] == 0 for b in range(1, 6))


def test_state_dict_keys_are_torchvisions(model):
    from torchvision.models import vgg16 as torchvision_vgg16

    with torch.device("meta"):
        reference = torchvision_vgg16(weights=None)
    assert list(model.state_dict()) == list(reference.state_dict())


def test_activations_equal_the_modules_outputs(model):
    """Hooks on in-place ReLUs give relu(conv(x)); a conv's output, read after the fact, would not."""
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    names = ["block1_conv1", "block1_conv2", "block2_pool", "fc1", "fc2", "predictions"]
    got = model.activations(x, names)
    f, c = model.features, model.classifier
    with torch.no_grad():
        conv1 = F.conv2d(x, f[0].weight, f[0].bias, padding=1)
        assert np.array_equal(got["block1_conv1"], conv1.clamp(min=0).numpy())
        assert (conv1 < 0).any()  # so the ReLU changed something
        expected_pool = f[:10](x.clone())
        flat = torch.flatten(model.avgpool(f(x.clone())), 1)
        fc1 = torch.relu(c[0](flat))
        fc2 = torch.relu(c[3](fc1))
        logits = model(x)
    assert np.array_equal(got["block2_pool"], expected_pool.numpy())
    np.testing.assert_allclose(got["fc1"], fc1.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["fc2"], fc2.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["predictions"], logits.numpy(), rtol=1e-5, atol=1e-6)
    assert got["block1_conv2"].min() == 0.0


def test_in_place_relu_would_corrupt_a_hook_on_the_conv(model):
    """Why the names point at the ReLUs: a conv's output tensor is overwritten by the in-place ReLU."""
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    kept = {}
    handle = model.features[0].register_forward_hook(lambda m, i, out: kept.setdefault("out", out))
    try:
        with torch.no_grad():
            model.features[:2](x)
    finally:
        handle.remove()
    assert kept["out"].min() >= 0  # the conv's negative outputs are gone: the ReLU overwrote them
    assert model.activations(x, "block1_conv1")["block1_conv1"].min() == 0.0


def test_hooks_removed_and_mode_restored(model):
    model.train()
    try:
        model.activations(torch.zeros(1, 3, 32, 32), ["block1_conv1", "fc1"])
        assert model.training
        assert all(not m._forward_hooks for m in model.modules())
    finally:
        model.eval()


def test_shapes_for_a_224_input(model):
    acts = model.activations(torch.zeros(1, 3, 224, 224), [n for n in NAMES if "pool" in n or n == "fc1"])
    size = 224
    for block, n_convs in CONVS:
        for _ in range(n_convs):
            size = conv_output_size(size, 3, 1, 1)
        size = pool_output_size(size, 2, 2)
        channels = 64 * 2 ** min(block - 1, 3)
        assert acts[f"block{block}_pool"].shape == (1, channels, size, size)
    assert size == 7 and 224 // size == 32
    assert acts["fc1"].shape == (1, 4096)


def test_vgg16_from_a_state_dict_path(model, saved):
    path, _ = saved
    loaded = vgg16(weights=str(path))
    assert not loaded.training
    assert _same_parameters(loaded, model)


def test_vgg16_imagenet_from_the_env_folder(model, saved, tmp_path, monkeypatch):
    """The whole 'imagenet' path, offline: a file named like torchvision's, with its hash in its name."""
    path, prefix = saved
    spec = WeightsSpec("vgg16", f"https://example.invalid/vgg16-{prefix}.pth", IMAGENET_DESCRIPTION, 528)
    monkeypatch.setattr(W, "weights_spec", lambda name: spec)
    monkeypatch.setattr(B, "weights_spec", lambda name: spec)
    folder = tmp_path / "weights"
    folder.mkdir()
    shutil.copy(path, folder / spec.file_name)
    monkeypatch.setenv(ENV_VAR, str(folder))
    loaded, description = load_vgg16(display=False)
    assert description == IMAGENET_DESCRIPTION
    assert _same_parameters(loaded, model)


def test_vgg16_imagenet_offline_raises(offline):
    with pytest.raises(WeightsUnavailableError) as info:
        vgg16("imagenet")
    message = str(info.value)
    for needed in ("vgg16-397923af.pth", str(offline), ENV_VAR, "python -m cnnkit.weights fetch vgg16"):
        assert needed in message


def test_vgg16_rejects_bad_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="'imagenet', None, or the path of a state dict"):
        vgg16(weights=str(tmp_path / "missing.pth"))
    with pytest.raises(TypeError, match="got 3"):
        vgg16(weights=3)


def test_load_vgg16_falls_back_visibly(model, monkeypatch):
    shown = []
    monkeypatch.setattr(B, "show", shown.append)
    fallback, description = load_vgg16()  # download=False by default: never touches the network
    assert description == "untrained: random weights, seed 0"
    assert _same_parameters(fallback, model)  # the same as torch.manual_seed(0); vgg16(None)
    assert len(shown) == 1 and isinstance(shown[0], Admonition)
    assert "No ImageNet weights: this chapter runs on an untrained VGG16" in repr(shown[0])
    assert "neither of the folders" in repr(shown[0])


def test_load_vgg16_prints_outside_a_notebook(capsys):
    B.show(missing_weights_admonition())
    assert capsys.readouterr().out.startswith("WARNING: No ImageNet weights: this chapter runs on an untrained VGG16\n")


def test_load_vgg16_rejects_bad_prefer():
    with pytest.raises(
        ValueError, match="load_vgg16: prefer='imagenett' is not one of 'imagenet', None; did you mean 'imagenet'"
    ):
        load_vgg16(prefer="imagenett")


@pytest.mark.parametrize("reason", ["missing", "download_failed", "damaged", "disabled"])
def test_admonition_html_and_text(reason):
    box = missing_weights_admonition(reason, seed=0)
    page = box._repr_html_()
    assert page.startswith(
        '<div class="admonition warning"><p class="admonition-title">'
        "No ImageNet weights: this chapter runs on an untrained VGG16</p><p>"
    )
    assert page.endswith("</p></div>") and page.count("<p>") == 2
    text = repr(box)
    for needed in (
        "vgg16-397923af.pth",
        "torch.hub.get_dir()/checkpoints",
        ENV_VAR,
        "python -m cnnkit.weights fetch vgg16",
        "torch.manual_seed(0)",
    ):
        assert needed in text and needed in page
    assert "<code>python -m cnnkit.weights fetch vgg16</code>" in page
    assert not re.search(r"/(root|home|tmp|work)/", text)  # the same text on every machine
    assert text == repr(missing_weights_admonition(reason, seed=0))


def test_admonition_escapes_and_checks():
    assert "&lt;b&gt;" in Admonition("t", ["<b>"])._repr_html_()
    with pytest.raises(ValueError, match="Admonition: kind='warn' is not one of 'warning'"):
        Admonition("t", ["x"], kind="warn")
    with pytest.raises(TypeError, match="list of strings"):
        Admonition("t", "one string")
    with pytest.raises(ValueError, match="missing_weights_admonition: reason="):
        missing_weights_admonition("offline")


# --- ImageNet input and output --------------------------------------------------------------------


def test_preprocess_normalises_each_channel():
    image = np.zeros((50, 80, 3))
    image[..., 0], image[..., 1], image[..., 2] = 0.2, 0.5, 0.9
    x = imagenet_preprocess(image)
    assert x.shape == (1, 3, 224, 224) and x.dtype == torch.float32
    for c, (v, m, s) in enumerate(zip((0.2, 0.5, 0.9), V.IMAGENET_MEAN, V.IMAGENET_STD)):
        np.testing.assert_allclose(x[0, c].numpy(), (v - m) / s, rtol=1e-6)


def test_preprocess_crops_the_central_square():
    image = np.zeros((20, 40, 3))
    image[:, :10] = 1.0  # left and right quarters are cut away
    image[:, 30:] = 1.0
    cropped = imagenet_deprocess(imagenet_preprocess(image, size=20))
    np.testing.assert_allclose(cropped, 0.0, atol=1e-6)
    squeezed = imagenet_deprocess(imagenet_preprocess(image, size=20, crop=False))
    assert squeezed[:, 0].min() > 0.9


def test_preprocess_rejects_bad_images():
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\).*np.stack"):
        imagenet_preprocess(np.zeros((10, 10)))
    with pytest.raises(ValueError, match="divide by 255"):
        imagenet_preprocess(np.full((10, 10, 3), 200.0))
    with pytest.raises(ValueError, match="size must be a positive int"):
        imagenet_preprocess(np.zeros((10, 10, 3)), size=0)


def test_deprocess_inverts_preprocess():
    image = np.random.default_rng(0).uniform(size=(16, 16, 3))
    back = imagenet_deprocess(imagenet_preprocess(image, size=16, crop=False)[0])
    np.testing.assert_allclose(back, image, atol=1e-6)
    with pytest.raises(ValueError, match=r"\(1, 3, H, W\)"):
        imagenet_deprocess(np.zeros((2, 3, 4, 4)))


def test_decode_predictions():
    logits = torch.full((2, 1000), -5.0)
    logits[0, [281, 285, 282]] = torch.tensor([3.0, 2.0, 1.0])
    logits[1, 1] = 4.0
    top = decode_predictions(logits, top=3)
    assert [p.index for p in top[0]] == [281, 285, 282]
    assert [p.category for p in top[0]] == ["tabby", "Egyptian cat", "tiger cat"]
    probs = torch.softmax(logits, 1)
    assert top[0][0].probability == pytest.approx(float(probs[0, 281]))
    assert top[1][0].index == 1 and top[1][0].category == "goldfish"
    assert len(decode_predictions(logits[0].numpy())) == 1
    with pytest.raises(ValueError, match=r"\(N, 1000\)"):
        decode_predictions(torch.zeros(1, 10))
    with pytest.raises(ValueError, match="top must be"):
        decode_predictions(logits, top=0)
