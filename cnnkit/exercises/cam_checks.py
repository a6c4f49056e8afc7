"""Checkers of the class activation map exercises: CAM and Grad-CAM from a layer's maps.

The CAM reference is :func:`cnnkit.viz.cam.class_activation_map`. :func:`cnnkit.viz.cam.grad_cam`
takes a model and an image and works in float32 (it casts the image), while the exercise gives
the maps and their gradients in float64 and the messages print 8 significant digits; so the
Grad-CAM reference is :func:`cnnkit.viz.cam.grad_cam_map`, the formula ``grad_cam`` applies, given
float64 arrays (it keeps their dtype; ``tests/exercises/test_cam.py`` checks that it agrees with
``grad_cam`` on every case of the checker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cnnkit.exercises.cases import rounded_normal, seeded_rng
from cnnkit.exercises.compare import _to_numpy
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.viz.cam import class_activation_map, grad_cam_map

__all__ = ["check_cam", "check_grad_cam"]


def check_cam(func: Callable) -> CheckResult:
    """Check ``func(features, weights, class_idx)``: the class activation map of one class.

    The reader's function::

        def cam(features, weights, class_idx):
            \"\"\"features: (C, H, W), the last convolutional maps; weights: (n_classes, C), the
            dense layer after global average pooling (PyTorch's nn.Linear.weight);
            class_idx: int -> (H, W), the sum over channels k of weights[class_idx, k] * features[k].
            The raw map: no ReLU, no normalisation, no upsampling.\"\"\"

    Reference: :func:`cnnkit.viz.cam.class_activation_map`. Cases: the 2x2 example of its
    docstring (both classes; its weight matrix is square), more classes than channels, a
    single channel, the last class, then 5 random ones.

    Example:
        >>> from cnnkit.viz.cam import class_activation_map
        >>> check_cam(class_activation_map)
        passed: 10 cases
    """
    f = np.array([[[1, 0], [1, 0]], [[1, 0], [0, 1]]])
    w = np.array([[2.0, -1.0], [0.5, 0.5]])
    f3 = np.arange(18).reshape(3, 2, 3) % 4 - 1
    w43 = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 0.0, 3.0]])
    fixed = [
        Case(
            (f, w, 0),
            hint="weights has one row per class and one column per channel (nn.Linear's layout); the raw map keeps its signs",
        ),
        Case((f, w, 1), hint="the other class: another row of weights, the same features"),
        Case((f3, w43, 2), hint="4 classes, 3 channels: weights is (n_classes, C), one row per class"),
        Case((f3, w43, 3), hint="the last class: class_idx counts from 0"),
        Case(
            (np.array([[[1.0, -2.0], [3.0, 0.5]]]), np.array([[2.0], [-1.0]]), 1),
            hint="one channel and a negative weight: the raw map keeps its negative values",
        ),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(5):
        c, n_classes = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        h, wd = rng.integers(1, 5, size=2)
        random.append(
            Case(
                (rounded_normal(rng, (c, h, wd)), rounded_normal(rng, (n_classes, c)), int(rng.integers(0, n_classes)))
            )
        )
    return check(
        func, class_activation_map, fixed + random, names=["features", "weights", "class_idx"], fixed=len(fixed)
    )


def _grad_cam(features: Any, grads: Any) -> np.ndarray:
    """:func:`cnnkit.viz.cam.grad_cam_map` (the formula of :func:`cnnkit.viz.cam.grad_cam`) on one image, in float64."""
    f = np.asarray(_to_numpy(features), dtype=np.float64)
    g = np.asarray(_to_numpy(grads), dtype=np.float64)
    return grad_cam_map(f, g).numpy()


def _grad_cam_cases(tensors: bool = False) -> tuple[list[Case], int]:
    """The cases of :func:`check_grad_cam`, (features, grads) as numpy arrays or tensors, and
    how many of them are hand-picked."""
    f3 = np.array([[1.0, 2.0, 0.0, 0.0, 1.0, 1.0], [0.5, 0.0, 2.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 3.0, 0.0, 0.0]])
    g3 = np.array([[0.1, 0.3, 0.2, 0.0, 0.2, 0.4], [-0.3, 0.0, -0.3, 0.0, 0.3, -0.3], [0.6, -0.6, 0.0, 0.3, 0.3, 0.0]])
    fixed = [
        Case(
            (
                np.array([[[1.0, 0.0], [2.0, 1.0]], [[0.0, 3.0], [1.0, 0.0]]]),
                np.array([[[0.5, 0.1], [0.2, 0.4]], [[-0.2, -0.4], [0.0, -0.2]]]),
            ),
            hint="two channels, the second with negative gradients: a negative weight, and a map that dips below zero",
        ),
        Case(
            (f3.reshape(3, 2, 3), g3.reshape(3, 2, 3)),
            hint="3 channels of 2x3: average each channel's gradient over H and W",
        ),
        Case(
            (np.array([[[1.0, 2.0], [0.5, 1.0]]]), np.array([[[-0.5, -0.1], [-0.2, -0.2]]])),
            hint="every gradient is negative here: what does the ReLU keep?",
        ),
        Case((np.array([[[0.0, 2.0, 4.0]]]), np.array([[[0.3, -0.6, 0.6]]])), hint="one channel: a single weight"),
        Case(
            (
                np.array([[[1.0, 0.0], [0.0, 2.0]], [[0.0, 1.0], [3.0, 0.0]]]),
                np.array([[[0.25] * 2] * 2, [[-0.125] * 2] * 2]),
            ),
            hint="constant gradients, as after global average pooling: each channel's weight is that constant",
        ),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(4):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        random.append(Case((np.maximum(rounded_normal(rng, shape), 0), rounded_normal(rng, shape))))
    cases = fixed + random
    if tensors:
        cases = [Case(tuple(torch.from_numpy(a) for a in case.args), hint=case.hint) for case in cases]
    return cases, len(fixed)


def check_grad_cam(func: Callable, tensors: bool = False) -> CheckResult:
    """Check ``func(features, grads)``: the Grad-CAM map of one image from a layer's activations.

    The reader's function::

        def grad_cam(features, grads):
            \"\"\"features: (C, H, W), a layer's activations A_c for one image; grads: (C, H, W),
            the gradient of the class score (the logit) with respect to them -> (H, W):
                alpha_c = mean over (H, W) of grads[c]      (one weight per channel)
                map = ReLU(sum over c of alpha_c * features[c])
            at the layer's resolution, not normalised, not upsampled.\"\"\"

    This is the convention of :func:`cnnkit.viz.cam.grad_cam` (spatial *mean* of the gradient,
    then ReLU), which computes the features and gradients from a model with hooks; the
    reference is that function's last lines, in float64. The inputs are numpy float64 arrays, or
    torch tensors with ``tensors=True``; the result may be either. Cases: 2 channels of 2x2 with
    a negative region, 3 channels of 2x3, an all-negative map (all zeros after the ReLU), one
    channel, constant gradients (a GAP head, where Grad-CAM is CAM divided by H W), then 4
    random ones.

    Example:
        >>> def grad_cam(features, grads):
        ...     return np.maximum(np.tensordot(grads.mean(axis=(1, 2)), features, axes=1), 0)
        >>> check_grad_cam(grad_cam)
        passed: 9 cases
        >>> def normalised(features, grads):
        ...     m = grad_cam(features, grads)
        ...     return m / m.max()
        >>> print(check_grad_cam(normalised).message.splitlines()[-2])
        first difference at index (0, 0): expected 0.3, got 0.75 (3 of 4 entries differ)
    """
    cases, fixed = _grad_cam_cases(tensors)
    return check(func, _grad_cam, cases, names=["features", "grads"], fixed=fixed)
