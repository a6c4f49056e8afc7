"""cnnkit.exercises.cam_checks: CAM and Grad-CAM from a layer's maps.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnkit import exercises as ex
from cnnkit.exercises.cam_checks import _grad_cam, _grad_cam_cases
from cnnkit.viz.cam import grad_cam
from tests.exercises.answers import (
    WRONG_VALUE,
    assert_rejected,
    numpy_grad_cam,
)


def test_cam_rejects_transposed_weights():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[:, c], f, axes=1))
    assert_rejected(result, "failed on case 1 of 10 (fixed)", WRONG_VALUE)


def test_cam_rejects_the_wrong_class():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[0], f, axes=1))
    assert_rejected(result, "failed on case 2 of 10 (fixed)", "class_idx = 1", WRONG_VALUE)


def test_cam_rejects_a_class_index_off_by_one():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[c - 1], f, axes=1))
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)


def test_cam_rejects_the_mean_over_channels():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[c], f, axes=1) / len(f))
    assert_rejected(result, "failed on case 1 ", "(0, 0): expected 1.0, got 0.5")


def test_cam_rejects_a_rectified_map():
    result = ex.check_cam(lambda f, w, c: np.maximum(np.tensordot(w[c], f, axes=1), 0))
    assert_rejected(result, "failed on case 1 ", "(1, 1): expected -1.0, got 0.0")


def test_cam_rejects_a_transposed_map():
    result = ex.check_cam(lambda f, w, c: np.tensordot(w[c], f, axes=1).T)
    assert_rejected(result, "failed on case 1 ", WRONG_VALUE)


def test_cam_rejects_weights_indexed_as_a_keras_kernel():
    result = ex.check_cam(lambda f, w, c: np.einsum("k,khw->hw", w.T[c], f))  # w.T is (C, n_classes)
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "(0, 0): expected 1.0, got 2.5")


def test_grad_cam_rejects_a_map_without_relu():
    result = ex.check_grad_cam(lambda f, g: np.tensordot(g.mean(axis=(1, 2)), f, axes=1))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 1): expected 0.0, got -0.6")


def test_grad_cam_rejects_the_maximum_of_the_gradients():
    result = ex.check_grad_cam(lambda f, g: np.maximum(np.tensordot(g.max(axis=(1, 2)), f, axes=1), 0))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 0.3, got 0.5")


def test_grad_cam_rejects_weights_from_the_features():
    result = ex.check_grad_cam(lambda f, g: np.maximum(np.tensordot(f.mean(axis=(1, 2)), f, axes=1), 0))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 0.3, got 1.0")


def test_grad_cam_rejects_a_map_normalised_to_one():
    result = ex.check_grad_cam(lambda f, g: numpy_grad_cam(f, g) / numpy_grad_cam(f, g).max())
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "(0, 0): expected 0.3, got 0.75")


def test_grad_cam_reference_is_cnnkit_grad_cam():
    generator = torch.Generator().manual_seed(0)
    conv = nn.Conv2d(1, 3, 3)
    head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 4))
    with torch.no_grad():
        for p in (*conv.parameters(), *head.parameters()):
            p.copy_(torch.randn(p.shape, generator=generator))
    model = nn.Sequential(conv, head)
    x = torch.randn(1, 1, 7, 6, generator=generator)
    features = conv(x)
    (grads,) = torch.autograd.grad(head(features)[0, 2], features)
    expected = grad_cam(model, x[0], conv, class_idx=2).maps
    assert expected.max() > 0 and np.allclose(_grad_cam(features[0], grads[0]), expected, atol=1e-6)


class LinearScore(nn.Module):
    """A one-class head whose score is linear in the layer's maps A: S = sum(G * A), so dS/dA = G."""

    def __init__(self, grads: torch.Tensor):
        super().__init__()
        self.grads = grads

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return (maps * self.grads).sum(dim=(1, 2, 3))[:, None]


def test_grad_cam_reference_agrees_with_cnnkit_grad_cam_on_every_case():
    """The float64 reference is cnnkit.viz.cam.grad_cam (which works in float32) on each case's
    maps and gradients: a network whose layer passes the maps on and whose score has exactly
    these gradients."""
    cases, _fixed = _grad_cam_cases()
    for case in cases:
        features, grads = case.args
        layer = nn.Identity()
        model = nn.Sequential(layer, LinearScore(torch.from_numpy(grads)))
        expected = grad_cam(model, torch.from_numpy(features), layer, class_idx=0).maps
        assert np.allclose(_grad_cam(features, grads), expected, atol=1e-6)


def test_cam_rejects_a_map_that_aliases_the_callers_features():
    # the review's false accept: m = features[0] is a view, so m *= ... changes the caller's array
    # (a second call on the same features, for another class, would then be wrong)
    def aliasing(features, weights, class_idx):
        features = np.asarray(features, dtype=float)  # no copy when the features are float already
        m = features[0]
        m *= weights[class_idx, 0]
        for k in range(1, len(features)):
            m += weights[class_idx, k] * features[k]
        return m

    result = ex.check_cam(aliasing)
    assert_rejected(
        result,
        "failed on case 5 of 10 (fixed)",  # cases 1-4 have integer features: asarray copies them
        "your function changed its argument features in place: features[0, 0, 0] was 1.0 and is -1.0 after the call",
        "a slice such as features[0] is a view of features",
    )


def test_grad_cam_rejects_a_map_that_aliases_the_callers_features():
    def aliasing(features, grads):
        alpha = grads.mean(axis=(1, 2))
        m = features[0]
        m *= alpha[0]
        for k in range(1, len(alpha)):
            m += alpha[k] * features[k]
        return np.maximum(m, 0)

    result = ex.check_grad_cam(aliasing)
    assert_rejected(
        result,
        "failed on case 1 of 9 (fixed)",
        "changed its argument features in place: features[0, 0, 0] was 1.0 and is 0.3",
    )
    tensors = ex.check_grad_cam(lambda f, g: torch.from_numpy(aliasing(f.numpy(), g.numpy())), tensors=True)
    assert_rejected(
        tensors, "failed on case 1 of 9 (fixed)", "changed its argument features in place", "features.clone()"
    )
