"""Claims of chapters 10 and 11 that the chapters state once and these tests keep checking.

Chapter 11 shows each identity between CAM and Grad-CAM once, on its five photographs; the
checks that repeated an identity already shown are here, recomputed with the chapter's own
inputs (EfficientNet-Lite0 with its ImageNet weights, the same photographs and classes, the
same random network). Chapter 10's tests recompute the comparisons its prose draws from its
outputs: the rectification control of the kurtosis test, the ablation of the regularised
recipe and the class images against photographs. The last tests keep the code that chapters
10 and 11 show with ``literalinclude`` resolvable: the function named by ``:pyobject:`` exists
in the file, and the ``:start-at:`` and ``:end-before:`` anchors still occur in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnnkit.data import load_image
from cnnkit.models.efficientnet import (
    BLOCK_NAMES,
    efficientnet_lite0,
    efficientnet_lite_preprocess,
)
from cnnkit.viz.cam import cam_for_model, class_activation_map, grad_cam, guided_backprop, saliency_map
from cnnkit.viz.sanity import cascading_randomization, map_correlation

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    ROOT / "chapters" / "10_filter_visualisation.ipynb",
    ROOT / "chapters" / "11_class_activation_maps.ipynb",
]

#: The photographs of chapter 11, in its order; the first four are the sanity check's.
PHOTOS = ["chelsea", "coffee", "camera", "rocket", "astronaut"]


@pytest.fixture(scope="module")
def net() -> torch.nn.Module:
    return efficientnet_lite0("imagenet")


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    """The chapter's five photographs as the network's input, (5, 3, 224, 224)."""
    images = {name: load_image(name) for name in PHOTOS}
    images["camera"] = np.stack([images["camera"]] * 3, axis=-1)  # grey: the same values in R, G and B
    return torch.cat([efficientnet_lite_preprocess(images[name]) for name in PHOTOS])


@pytest.fixture(scope="module")
def top(net, photos):
    """CAM at the head for each photograph's predicted class (the chapter's ``top``)."""
    return cam_for_model(net, photos, layer="head")


# --------------------------------------------------------------------------------------------
# Chapter 11: Grad-CAM at the last layer of a GAP network is CAM / Z


def test_ch10_grad_cam_with_relu_is_positive_part_of_cam_over_z(net, photos, top):
    """With its ReLU, Grad-CAM at ``head`` is max(CAM, 0) / Z (chapter 11 shows it without)."""
    z = top.maps.shape[-2] * top.maps.shape[-1]
    assert z == 49
    gc_head = grad_cam(net, photos, "head", class_idx=top.class_idx)
    assert np.allclose(gc_head.maps * z, np.maximum(top.maps, 0), atol=1e-4)


def test_ch10_identity_holds_for_a_fully_random_network(net, photos, top):
    """After the cascade has randomised every layer, Grad-CAM at ``head`` before its ReLU is still
    CAM / Z: the identity needs only the pooling head, not trained weights."""
    cascade = ["predictions", "head", *BLOCK_NAMES[::-1], "stem"]
    xs = photos[:4]
    classes = top.class_idx[:4]
    random_net = efficientnet_lite0(weights=None, seed=1)
    *_, (_, randomised) = cascading_randomization(net, random_net, cascade)  # the last, fully random step
    cam = cam_for_model(randomised, xs, layer="head", class_idx=classes).maps
    gc = grad_cam(randomised, xs, "head", class_idx=classes, relu=False).maps
    z = cam.shape[-2] * cam.shape[-1]
    assert np.allclose(gc * z, cam, rtol=1e-4, atol=1e-4 * np.abs(cam).max())
    # and the network really is another one: its maps are not the trained network's
    assert not np.allclose(cam, top.maps[:4], atol=1e-2)


# --------------------------------------------------------------------------------------------
# Chapter 11: guided backpropagation fails the sanity check; Grad-CAM of a probability


def test_ch11_guided_backprop_survives_a_random_top_while_saliency_does_not(net, photos, top):
    """With ``predictions`` and ``head`` random, guided backpropagation's signed map keeps a rank
    correlation above 0.95 with the trained one on every photograph; the gradient's falls below 0.2."""
    xs, classes = photos[:4], top.class_idx[:4]
    random_net = efficientnet_lite0(weights=None, seed=1)
    guided = guided_backprop(net, xs, class_idx=classes, reduce="sum").maps
    plain = saliency_map(net, xs, class_idx=classes, reduce="sum").maps
    for _, randomised in cascading_randomization(net, random_net, ["predictions", "head"]):
        g = guided_backprop(randomised, xs, class_idx=classes, reduce="sum").maps
        s = saliency_map(randomised, xs, class_idx=classes, reduce="sum").maps
        assert map_correlation(g, guided, method="spearman").min() > 0.95
        assert map_correlation(s, plain, method="spearman").max() < 0.2


def test_ch11_grad_cam_of_the_probability_is_a_scaled_contrast_of_cams(net, photos, top):
    """Exercise 11-3: at the head, Grad-CAM of p_c (before its ReLU) is
    p_c (1 - p_c) / Z times (M_c minus the p_j / (1 - p_c)-weighted mean of the other classes' CAMs)."""
    probability_net = torch.nn.Sequential(net, torch.nn.Softmax(dim=1))
    got = grad_cam(probability_net, photos, net.head, class_idx=top.class_idx, relu=False).maps
    with torch.no_grad():
        feats = net.features(photos).numpy()
        p = torch.softmax(net(photos), dim=1).double().numpy()
    cams = class_activation_map(feats, net.fc.weight.detach().numpy())  # (5, 1000, 7, 7)
    z = cams.shape[-2] * cams.shape[-1]
    for n, c in enumerate(top.class_idx):
        others = ((p[n, :, None, None] * cams[n]).sum(axis=0) - p[n, c] * cams[n, c]) / (1 - p[n, c])
        expected = p[n, c] * (1 - p[n, c]) / z * (cams[n, c] - others)
        assert np.abs(got[n] - expected).max() < 1e-4 * np.abs(expected).max()


# --------------------------------------------------------------------------------------------
# Chapter 10: the claims its prose draws from its outputs, recomputed with its own settings


def _ch10_crops():
    """Chapter 10's data set: 525 crops of 64 pixels from fourteen photographs."""
    import skimage.data
    from skimage.util import img_as_float

    from cnnkit.viz.exemplars import photograph_crops

    names = ["chelsea", "astronaut", "coffee", "rocket", "camera", "brick", "grass", "gravel", "moon", "coins", "text"]
    photos = [load_image(name) for name in names]
    photos += [
        img_as_float(im)
        for im in (
            skimage.data.stereo_motorcycle()[0],
            skimage.data.hubble_deep_field(),
            skimage.data.immunohistochemistry(),
        )
    ]
    return photograph_crops(photos, size=64, scales=(1.0, 0.5, 0.25), step=0.75).images


@pytest.fixture(scope="module")
def lite_input():
    from cnnkit.models.efficientnet import LITE_MEAN, LITE_STD
    from cnnkit.viz.featvis import ChannelNormalise

    return ChannelNormalise(LITE_MEAN, LITE_STD)


def test_ch10_a_rectified_normal_variable_has_kurtosis_5_4():
    """The control's premise: a ReLU of N(0, 1), zero half the time, has kurtosis m4 / var^2 = 5.41,
    from the moments E[X] = 1/sqrt(2 pi), E[X^2] = 1/2, E[X^3] = sqrt(2/pi), E[X^4] = 3/2."""
    from scipy.stats import kurtosis

    m1, m2, m3, m4 = 1 / np.sqrt(2 * np.pi), 0.5, np.sqrt(2 / np.pi), 1.5
    var = m2 - m1**2
    central4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    assert abs(central4 / var**2 - 5.41) < 0.01
    sample = np.maximum(np.random.default_rng(0).normal(size=1_000_000), 0)
    assert abs(kurtosis(sample, fisher=False) - central4 / var**2) < 0.05


def test_ch10_rectification_explains_the_kurtosis_of_the_deeper_relu6_channels(net, lite_input):
    """What the prose reads from the control table: rectified random directions are about as
    heavy-tailed as the channels in block4c_expand and head, not in block3b_expand; before the
    ReLU6 at least a fifth of the random directions reach the channels' median kurtosis; and the
    ReLU6 of the reconstructed pre-activations is the recorded layer."""
    from scipy.stats import kurtosis

    from cnnkit.models.mode import eval_mode
    from cnnkit.viz.exemplars import layer_maps
    from cnnkit.viz.featvis import random_directions

    below = {"block3b_expand": "block3a", "block4c_expand": "block4b", "head": "block7a"}
    maps = layer_maps(net, _ch10_crops(), [*below, *below.values()], batch_size=128, preprocess=lite_input)
    gap = {}
    for name, source in below.items():
        module = net.layer(name)
        with eval_mode(net), torch.no_grad():
            pre = module.bn(module.conv(torch.from_numpy(maps[source]))).numpy()
        assert np.allclose(np.clip(pre, 0, 6), maps[name], atol=1e-4)
        u = np.moveaxis(pre, 1, 0).reshape(pre.shape[1], -1).astype(np.float64)
        post = np.moveaxis(maps[name], 1, 0).reshape(pre.shape[1], -1).astype(np.float64)
        w = random_directions(200, u.shape[0], seed=0) @ u
        assert np.mean(kurtosis(w, axis=1, fisher=False) >= np.median(kurtosis(u, axis=1, fisher=False))) > 0.2
        w = (w - w.mean(axis=1, keepdims=True)) / w.std(axis=1, keepdims=True)
        like = np.arange(200) % u.shape[0]
        rectified = np.clip(u.mean(axis=1)[like, None] + u.std(axis=1)[like, None] * w, 0, 6)
        k_rectified = np.median(kurtosis(rectified[rectified.std(axis=1) > 0], axis=1, fisher=False))
        k_channels = np.median(kurtosis(post[post.std(axis=1) > 0], axis=1, fisher=False))
        gap[name] = k_channels - k_rectified
    assert abs(gap["block4c_expand"]) < 0.5 and abs(gap["head"]) < 0.5
    assert gap["block3b_expand"] > 0.5


def test_ch10_each_ingredient_of_the_recipe_does_what_the_ablation_says(net, lite_input):
    """Chapter 10's ablation on block2b (80 pixels, 40 steps): without the 1/f scaling the total
    variation rises and the colours stay grey; without the decorrelation the colour share rises
    far above the photographs'; the clipped tangent changes the objective little; without the
    transformations the objective is the highest of the regularised runs."""
    from cnnkit.viz.featvis import (
        FourierImage,
        StackedImages,
        colour_share,
        default_transforms,
        objective_values,
        visualise,
    )

    objectives = [f"block2b:{c}" for c in range(3)]
    variants = {
        "all": {},
        "no_f": {"decay_power": 0},
        "no_decorrelation": {"decorrelate": False},
        "clip": {"bound": "clip"},
    }
    stack = visualise(
        net,
        objectives * 4,
        size=80,
        transforms=default_transforms(80),
        lr=0.1,
        steps=40,
        seed=0,
        param=StackedImages(*[FourierImage((3, 3, 80, 80), seed=0, **v) for v in variants.values()]),
        preprocess=lite_input,
    )
    images = {key: stack.images[3 * k : 3 * k + 3] for k, key in enumerate(variants)}
    images["no_transforms"] = visualise(
        net,
        objectives,
        size=80,
        param=FourierImage((3, 3, 80, 80), seed=0),
        transforms=[],
        lr=0.1,
        steps=40,
        seed=0,
        preprocess=lite_input,
    ).images

    def tv(x):
        return float(
            ((x[:, :, 1:] - x[:, :, :-1]).abs().sum() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().sum()) / x.numel()
        )

    objective = {key: objective_values(net, objectives, x, preprocess=lite_input).mean() for key, x in images.items()}
    colour = {key: colour_share(x) for key, x in images.items()}
    assert tv(images["no_f"]) > 1.5 * tv(images["all"])
    assert colour["no_f"] <= colour["all"]
    assert colour["no_decorrelation"] > 3 * colour["all"]
    assert colour["no_decorrelation"] > 3 * colour_share(_ch10_crops())
    assert abs(objective["clip"] - objective["all"]) < 0.1 * objective["all"]
    assert objective["no_transforms"] == max(objective.values())


def test_ch10_the_class_images_score_above_photographs_of_their_classes(net, lite_input):
    """The optimised class images (96 pixels, 40 steps) get a higher logit for their class than a
    photograph of the class at the same size: the chapter's reason to call them fooling images."""
    from cnnkit.viz.featvis import Jitter, RandomRotate, RandomScale, visualise

    classes = {285: "chelsea", 967: "coffee"}
    transforms = [Jitter(6), RandomScale([0.8, 0.9, 1.0, 1.1, 1.2]), RandomRotate(range(-20, 21)), Jitter(3)]
    result = visualise(
        net,
        [f"predictions:{index}" for index in classes],
        size=96,
        param="fourier",
        transforms=transforms,
        lr=0.1,
        steps=40,
        seed=0,
        preprocess=lite_input,
    )
    photos = torch.cat([efficientnet_lite_preprocess(load_image(name), size=96) for name in classes.values()])
    with torch.no_grad():
        optimised, real = net(lite_input(result.images)), net(photos)
    for b, index in enumerate(classes):
        assert optimised[b, index] > real[b, index]
        assert torch.softmax(optimised[b], 0)[index] > 0.9
