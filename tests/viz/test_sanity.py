"""cnnkit.viz.sanity: explanation maps in one pass, cascading randomisation, map correlation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from cnnkit.models.efficientnet import efficientnet_lite0
from cnnkit.models.small_vgg import small_vgg
from cnnkit.viz.cam import (
    cam_for_model,
    grad_cam,
    saliency_map,
)
from cnnkit.viz.sanity import (
    ExplanationMaps,
    cascading_randomization,
    explanation_maps,
    map_correlation,
)


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_map_correlation_matches_numpy_and_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 5, 5)), rng.normal(size=(4, 5, 5))
    b[0] = a[0] ** 3  # monotone: Spearman 1
    pearson = map_correlation(a, b)
    spearman = map_correlation(a, b, method="spearman")
    for n in range(4):
        assert pearson[n] == pytest.approx(np.corrcoef(a[n].ravel(), b[n].ravel())[0, 1])
        assert spearman[n] == pytest.approx(spearmanr(a[n].ravel(), b[n].ravel()).statistic)
    assert spearman[0] == pytest.approx(1.0)
    assert np.isnan(map_correlation(np.ones((2, 2)), a[0, :2, :2]))
    with pytest.raises(ValueError, match="same shape"):
        map_correlation(a, b[0])
    with pytest.raises(ValueError, match="map_correlation: method='kendall' is not one of 'pearson', 'spearman'"):
        map_correlation(a, b, method="kendall")


def test_explanation_maps_match_the_separate_functions(model, digits):
    out = explanation_maps(model, digits, "block3_conv2", class_idx=[2, 7, 9], grad_cam_layer="block2_conv1")
    assert isinstance(out, ExplanationMaps)
    cam = cam_for_model(model, digits, class_idx=[2, 7, 9])
    np.testing.assert_allclose(out.cam, cam.maps, rtol=1e-5, atol=1e-6)
    gc = grad_cam(model, digits, "block2_conv1", class_idx=[2, 7, 9], relu=False)
    np.testing.assert_allclose(out.grad_cam, gc.maps, rtol=1e-4, atol=1e-7)
    sal = saliency_map(model, digits, class_idx=[2, 7, 9], reduce="sum")
    np.testing.assert_allclose(out.saliency, sal.maps, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(out.class_idx, [2, 7, 9])
    np.testing.assert_allclose(out.logits, cam.logits, atol=1e-6)


def test_explanation_maps_default_layer_single_image_hooks_and_mode(model, digits):
    model.train()
    try:
        out = explanation_maps(model, digits[0], "block3_conv2")
        assert model.training
        assert all(not m._forward_hooks for m in model.modules())
    finally:
        model.eval()
    assert out.cam.shape == (7, 7) and out.saliency.shape == (28, 28) and out.class_idx == int(out.logits.argmax())
    np.testing.assert_allclose(
        out.grad_cam * 49, out.cam, rtol=1e-4, atol=1e-5
    )  # Grad-CAM at the last layer is CAM / Z
    with pytest.raises(ValueError, match="no global-average-pooling head"):
        explanation_maps(model, digits, "block2_conv2")
    with pytest.raises(ValueError, match=r"grad_cam_layer must output maps"):
        explanation_maps(model, digits, "block3_conv2", grad_cam_layer="gap")
    with pytest.raises(ValueError, match="not used in the model's forward pass"):
        explanation_maps(model, digits, "block3_conv2", grad_cam_layer=nn.ReLU())
    assert all(not m._forward_hooks for m in model.modules())


def test_cascading_randomization_is_cumulative_and_leaves_the_inputs_alone(model):
    torch.manual_seed(11)
    source = small_vgg(weights=None)
    with torch.no_grad():  # give the source's batch norms statistics of their own, to see them copied
        for m in source.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-1, 1)
    before_model = _state(model)
    before_source = _state(source)
    order = ["predictions", "block3_conv2", "block3_conv1", "block2_conv2"]
    seen = []
    for step, (name, net) in enumerate(cascading_randomization(model, source, order)):
        seen.append(name)
        assert net is not model
        for k, layer in enumerate(order):
            expected = source if k <= step else model
            assert _same(_state(net.layer(layer)), _state(expected.layer(layer))), (step, layer)
        assert _same(_state(net.layer("block1_conv1")), _state(model.layer("block1_conv1")))
    assert seen == order
    assert _same(_state(model), before_model) and _same(_state(source), before_source)
    assert not net.training  # the copy keeps the model's eval mode


def test_cascading_randomization_modules_and_errors(model):
    torch.manual_seed(12)
    source = small_vgg(weights=None)
    ((name, net),) = list(cascading_randomization(model, source, [model.predictions]))
    assert name.startswith("Linear(")
    assert torch.equal(net.predictions.weight, source.predictions.weight)
    with pytest.raises(TypeError, match="sequence of layer names"):
        next(cascading_randomization(model, source, "predictions"))
    with pytest.raises(KeyError, match="did you mean 'block3_conv2'"):
        next(cascading_randomization(model, source, ["block3_conv3"]))
    with pytest.raises(ValueError, match="not a module of model"):
        next(cascading_randomization(model, source, [nn.Linear(2, 2)]))
    with pytest.raises(ValueError, match="source has no module"):
        next(cascading_randomization(model, nn.Sequential(), ["predictions"]))


def test_cascading_randomization_of_efficientnet_resets_batch_norm(lite):
    trained = efficientnet_lite0(weights=None, seed=5)
    with torch.no_grad():
        trained.head.bn.running_var.fill_(4.0)
    *_, (name, net) = cascading_randomization(trained, lite, ["predictions", "head", "block7a"])
    assert name == "block7a"
    assert torch.equal(net.head.bn.running_var, torch.ones(1280))  # the random network's fresh statistics
    assert torch.equal(net.head.conv.weight, lite.head.conv.weight)
    assert torch.equal(net.layer("block7a").depthwise.conv.weight, lite.layer("block7a").depthwise.conv.weight)
    assert torch.equal(net.layer("block6d").depthwise.conv.weight, trained.layer("block6d").depthwise.conv.weight)
    assert float(trained.head.bn.running_var[0]) == 4.0
