"""Checkers of the feature visualisation exercises: one normalised gradient-ascent step, and the
total variation penalty.

The ascent step's reference is one step of :mod:`cnnkit.viz.featvis`
(:class:`~cnnkit.viz.featvis.ChannelObjective` and :func:`~cnnkit.viz.featvis.normalised_step`),
on the small fixed network :func:`tiny_conv_model`. ``cnnkit.viz.featvis`` has no total
variation (it regularises with random transforms and a Fourier parametrisation instead), so that
reference is the formula.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import nn

from cnnkit.exercises.cases import rounded_normal, seeded_rng
from cnnkit.exercises.compare import compare_arrays, compare_numbers
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.viz.featvis import ChannelObjective, normalised_step

__all__ = ["tiny_conv_model", "check_gradient_ascent_step", "check_total_variation"]


def tiny_conv_model(seed: int = 0) -> nn.Sequential:
    """The small fixed network of :func:`check_gradient_ascent_step`, to try a function on.

    ``Conv2d(1, 4, 3, padding=1) -> ReLU -> Conv2d(4, 3, 3)`` in float64 and eval mode. Its
    weights and biases are drawn from the standard normal distribution by a
    ``torch.Generator`` seeded with ``seed`` (the global random state is not touched); with
    weights of this size the gradient of a channel's mean activation is of order 1, so the
    small constant in the normalised step hardly matters. Its parameters do not require
    gradients: only the image is optimised. An input of shape (1, 1, H, W) gives an output of
    shape (1, 3, H - 2, W - 2).

    Example:
        >>> model = tiny_conv_model()
        >>> model(torch.zeros(1, 1, 8, 8, dtype=torch.float64)).shape
        torch.Size([1, 3, 6, 6])
    """
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, device="meta"), nn.ReLU(), nn.Conv2d(4, 3, 3, device="meta")
    ).to_empty(device="cpu")
    model = model.double().eval()
    model.requires_grad_(False)
    for p in model.parameters():
        p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    return model


def _ascent_step(x: torch.Tensor, model: nn.Module, channel: int, lr: float) -> torch.Tensor:
    """One step of cnnkit.viz.featvis.visualise(optimizer="normalized") on a single image."""
    x = x.detach().clone().requires_grad_(True)
    objective = ChannelObjective("output", channel)
    (-objective(model(x)).sum()).backward()
    normalised_step([x], lr)
    return x.detach()


def check_gradient_ascent_step(func: Callable) -> CheckResult:
    """Check ``func(x, model, channel, lr)``: one normalised gradient-ascent step on an image.

    The reader's function::

        def gradient_ascent_step(x, model, channel, lr):
            \"\"\"x: image tensor of shape (1, C, H, W) with requires_grad=True; model: a
            network whose output has shape (1, C_out, H', W'); channel: int; lr: float.
            Let a = model(x)[0, channel].mean(), the channel's mean activation, and
            g = da/dx. Return the new image (a tensor of x's shape, without gradient)
                x + lr * g / (sqrt(mean(g**2)) + 1e-5),
            a step uphill whose size does not depend on the gradient's scale (g is divided
            by its root mean square over all its entries).\"\"\"

    This is the book's convention, the step of
    ``cnnkit.viz.featvis.visualise(..., optimizer="normalized")`` (the Keras blog divides by
    the root mean square too), which is also the reference. The model is
    :func:`tiny_conv_model`; cases: 6 images of 8x8 or 6x9 seeded normal values, different
    channels and step sizes (at most 0.5). Tolerance: ``rtol=1e-4, atol=1e-4``, so that
    another small constant than 1e-5 (or none) passes too.

    Example:
        >>> def step(x, model, channel, lr):
        ...     model(x)[0, channel].mean().backward()
        ...     g = x.grad
        ...     return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()
        >>> check_gradient_ascent_step(step)
        passed: 6 cases
    """
    model = tiny_conv_model()
    rng = seeded_rng()
    settings = [((8, 8), 0, 0.1), ((8, 8), 2, 0.5), ((6, 9), 1, 0.05), ((8, 8), 1, 0.25), ((6, 9), 2, 0.1), ((8, 8), 0, 0.5)]
    hint = "a step uphill (it raises the channel's mean) whose length depends on lr, not on the gradient's scale"
    cases = []
    for size, channel, lr in settings:
        x = torch.tensor(rounded_normal(rng, (1, 1, *size)), dtype=torch.float64, requires_grad=True)
        cases.append(Case((x, model, channel, lr), hint=hint))
    compare = partial(compare_arrays, rtol=1e-4, atol=1e-4)
    return check(func, _ascent_step, cases, compare=compare, names=["x", "model", "channel", "lr"], fixed=0)


def _total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[:, 1:, :] - image[:, :-1, :]).abs().sum() + (image[:, :, 1:] - image[:, :, :-1]).abs().sum()


def _compare_differentiable(actual: Any, expected: Any) -> str | None:
    """The value as :func:`compare_numbers` (``rtol=1e-6``), then a gradient back to the image."""
    difference = compare_numbers(actual, expected, rtol=1e-6, atol=1e-9)
    if difference is not None:
        return difference
    if not isinstance(actual, torch.Tensor) or actual.grad_fn is None:
        return (
            f"returned a value with no gradient: use torch operations (got a {type(actual).__name__}; "
            ".numpy(), .item() and .detach() cut the graph)"
        )
    try:
        actual.backward()
    except RuntimeError as err:
        return f"returned a value whose gradient cannot be computed: {err}"
    return None


def check_total_variation(func: Callable) -> CheckResult:
    """Check ``func(image)``: the anisotropic total variation of an image, differentiable.

    The reader's function::

        def total_variation(image):
            \"\"\"image: tensor (C, H, W) -> a scalar tensor, the sum of the absolute differences
            of vertically and of horizontally neighbouring pixels, over all channels:
                sum |x[:, i + 1, j] - x[:, i, j]| + sum |x[:, i, j + 1] - x[:, i, j]|
            (sums, not means; no wrap-around from the last row to the first). Written with
            torch operations, so that it can be back-propagated to the image.\"\"\"

    Total variation is the usual smoothness penalty of feature visualisation (Mahendran and
    Vedaldi 2015): subtracted from the objective, it discourages high-frequency noise.
    ``cnnkit.viz.featvis`` does not use it (its visualisations are regularised by random
    transforms and a Fourier parametrisation instead), so this is the L1 form above, with sums.

    The images are float64 tensors with ``requires_grad=True``. A result with the right value
    passes only if it carries a gradient: the checker calls ``.backward()`` on it, and a value
    computed with numpy (or detached) is reported as ``returned a value with no gradient: use
    torch operations``. Reference: the formula. Cases: a 3x3 grey image with differences other
    than 1, a colour image, one row, one column, a non-square image with negative values, a
    constant image (0), then 4 random ones. Tolerance: ``rtol=1e-6``.

    Example:
        >>> def tv(x):
        ...     return (x[:, 1:] - x[:, :-1]).abs().sum() + (x[:, :, 1:] - x[:, :, :-1]).abs().sum()
        >>> check_total_variation(tv)
        passed: 10 cases
        >>> print(check_total_variation(lambda x: tv(x).item()).message.splitlines()[-2])
        returned a value with no gradient: use torch operations (got a float; .numpy(), .item() and .detach() cut the graph)
    """
    images = [
        ([[[0, 2, 5], [1, 1, 3], [4, 0, 2]]], "both directions, vertical and horizontal neighbours, with torch operations so that the value keeps its gradient"),
        (
            [[[0.0, 1.0], [1.0, 1.0]], [[0.5, 0.0], [0.0, 0.5]], [[2.0, 2.0], [0.0, 0.0]]],
            "a colour image: every channel on its own, summed over the channels",
        ),
        ([[[1.0, 3.0, -2.0, 0.5]]], "one row: no vertical neighbours, and no wrap-around from the last pixel to the first"),
        ([[[1.0], [4.0], [2.5], [0.0]]], "one column: no horizontal neighbours"),
        (
            [[[-1.5, 0.0, 2.0], [0.5, -0.5, 1.0]], [[3.0, 1.0, 1.0], [0.0, 0.0, -2.0]]],
            "negative values in a non-square image: absolute differences, summed",
        ),
        ([[[0.7, 0.7], [0.7, 0.7]]], "a constant image does not vary"),
    ]
    fixed = [Case((torch.tensor(x, dtype=torch.float64, requires_grad=True),), hint=hint) for x, hint in images]
    rng = seeded_rng()
    random = []
    for _ in range(4):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        random.append(Case((torch.tensor(rounded_normal(rng, shape), requires_grad=True),)))
    return check(func, _total_variation, fixed + random, compare=_compare_differentiable, names=["image"], fixed=len(fixed))
