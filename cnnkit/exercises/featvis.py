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
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnkit.exercises.cases import rounded_normal, seeded_rng
from cnnkit.exercises.compare import (
    FULL_PRINT_SIZE,
    _a,
    _format_array,
    _indent,
    _scalar,
    _to_numpy,
    compare_arrays,
    compare_numbers,
)
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


def _channel_gradient(x: torch.Tensor, model: nn.Module, channel: int) -> np.ndarray:
    """g, the gradient of the channel's mean activation with respect to the image."""
    x = x.detach().clone().requires_grad_(True)
    model(x)[0, channel].mean().backward()
    assert x.grad is not None  # set by backward()
    return x.grad.numpy()


def _likely_step_mistake(step: np.ndarray, x: torch.Tensor, model: nn.Module, channel: int, lr: float) -> str | None:
    """The usual mistake whose step ``step`` is, if it is one of them: a name and what to change."""
    g = _channel_gradient(x, model, channel)
    rms = float(np.sqrt(np.mean(g**2)))
    candidates = [
        (
            "the wrong sign: the step goes downhill, lowering the channel's mean activation; add lr * g, do not subtract it",
            -lr * g / (rms + 1e-5),
        ),
        (
            "not normalised: the step is lr * g, whose size follows the gradient's scale; divide g by its root mean square",
            lr * g,
        ),
        ("the wrong sign, and not normalised: the step is -lr * g", -lr * g),
        (
            "the wrong norm: g was divided by its L2 norm, sqrt(sum(g**2)), not by its root mean square, sqrt(mean(g**2))",
            lr * g / np.sqrt(np.sum(g**2)),
        ),
        (
            "the wrong norm: g was divided by its standard deviation (which subtracts the mean), not by its root mean square",
            lr * g / np.std(g, ddof=1),
        ),  # torch's std() divides by n - 1
        (
            "the wrong norm: g was divided by its standard deviation (which subtracts the mean), not by its root mean square",
            lr * g / np.std(g),
        ),
        (
            "the wrong norm: g was divided by its largest absolute value, not by its root mean square",
            lr * g / np.max(np.abs(g)),
        ),
        (
            "the wrong norm: g was divided by the mean of |g|, not by its root mean square, sqrt(mean(g**2))",
            lr * g / np.mean(np.abs(g)),
        ),
    ]
    for mistake, candidate in candidates:
        if candidate.shape == step.shape and np.allclose(step, candidate, rtol=1e-3, atol=1e-6):
            return mistake
    return None


def _compare_step(actual: Any, expected: Any, args: tuple) -> str | None:
    """:func:`compare_arrays` (``rtol=atol=1e-4``), then, for a wrong step, its size and
    direction against the expected step and the likely mistake, if it is a usual one."""
    difference = compare_arrays(actual, expected, rtol=1e-4, atol=1e-4)
    if difference is None:
        return None
    x, model, channel, lr = args
    try:
        new = np.asarray(_to_numpy(actual), dtype=np.float64)
    except (TypeError, ValueError):
        return difference
    start = x.detach().numpy()
    if new.shape != start.shape:
        return difference
    step, wanted = new - start, _to_numpy(expected) - start
    size = float(np.sqrt(np.mean(step**2)))
    if size == 0:
        return f"{difference}\nthe image came back unchanged: the step is missing (or was added to a copy of x)"
    cosine = float(np.sum(step * wanted) / (np.linalg.norm(step) * np.linalg.norm(wanted)))
    lines = [
        difference,
        f"your step: root mean square {_scalar(size)} (expected {_scalar(float(np.sqrt(np.mean(wanted**2))))}, "
        f"about lr = {lr:g}); cosine with the expected step {cosine:.2f}",
    ]
    mistake = _likely_step_mistake(step, x, model, channel, lr)
    if mistake is not None:
        lines.append(f"likely mistake: {mistake}")
    elif cosine < 0.99:
        lines.append(
            "likely mistake: the step does not point along the gradient of the channel's mean activation: "
            "check the objective, model(x)[0, channel].mean() (that channel, the mean, not the maximum)"
        )
    else:
        lines.append(
            "likely mistake: the step points the right way but its size is not lr: divide g by its root mean square, "
            "sqrt(mean(g**2)), and by nothing else"
        )
    return "\n".join(lines)


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
    another small constant than 1e-5 (or none) passes too. A wrong step is described by its
    root mean square and its cosine with the expected step, and named when it is a usual
    mistake: the wrong sign, no normalisation, or another norm (L2, the standard deviation, the
    largest or the mean absolute value). A step added to ``x`` in place fails too: the caller's
    image must stay as it was.

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
    settings = [
        ((8, 8), 0, 0.1),
        ((8, 8), 2, 0.5),
        ((6, 9), 1, 0.05),
        ((8, 8), 1, 0.25),
        ((6, 9), 2, 0.1),
        ((8, 8), 0, 0.5),
    ]
    hint = "a step uphill (it raises the channel's mean) whose length depends on lr, not on the gradient's scale"
    cases = []
    for size, channel, lr in settings:
        x = torch.tensor(rounded_normal(rng, (1, 1, *size)), dtype=torch.float64, requires_grad=True)
        cases.append(Case((x, model, channel, lr), hint=hint))
    return check(func, _ascent_step, cases, compare=_compare_step, names=["x", "model", "channel", "lr"], fixed=0)


def _total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[:, 1:, :] - image[:, :-1, :]).abs().sum() + (image[:, :, 1:] - image[:, :, :-1]).abs().sum()


def _determined(image: np.ndarray) -> np.ndarray:
    """The pixels where the gradient of the total variation is defined: no neighbour has the
    same value (where two neighbours are equal, |d| has a kink, and any slope in [-1, 1] is a
    valid choice; autograd's is 0)."""
    ties = np.zeros(image.shape, dtype=bool)
    vertical, horizontal = np.diff(image, axis=1) == 0, np.diff(image, axis=2) == 0
    ties[:, 1:] |= vertical
    ties[:, :-1] |= vertical
    ties[:, :, 1:] |= horizontal
    ties[:, :, :-1] |= horizontal
    return ~ties


def _compare_differentiable(actual: Any, expected: Any, received: tuple) -> str | None:
    """The value as :func:`compare_numbers` (``rtol=1e-6``), then its gradient with respect to the
    image the function received: finite everywhere, and equal to autograd's gradient of the
    formula at every pixel where that is defined (:func:`_determined`)."""
    difference = compare_numbers(actual, expected, rtol=1e-6, atol=1e-9)
    if difference is not None:
        return difference
    if not isinstance(actual, torch.Tensor) or actual.grad_fn is None:
        return (
            f"returned a value with no gradient: use torch operations (got {_a(actual)}; "
            ".numpy(), .item() and .detach() cut the graph)"
        )
    (image,) = received
    try:
        (grad,) = torch.autograd.grad(actual, image, allow_unused=True)
    except RuntimeError as err:
        return f"returned a value whose gradient cannot be computed: {err}"
    if grad is None:
        return (
            "returned a value whose gradient does not reach the image: it was computed from a copy "
            "(.detach(), torch.tensor(image)) rather than from image itself"
        )
    got = grad.detach().numpy()
    if not np.isfinite(got).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        return (
            f"the value is right, but its gradient with respect to the image is {_scalar(float(got[index]))} at image"
            f"[{', '.join(map(str, index))}], where two neighbouring pixels are equal: the derivative of sqrt is "
            "infinite at 0, so sqrt(d**2) has no gradient where d = 0; torch.abs (or .abs()) has one"
        )
    values = image.detach().clone().requires_grad_(True)
    _total_variation(values).backward()
    assert values.grad is not None  # set by backward()
    wanted = values.grad.numpy()
    determined = _determined(values.detach().numpy())
    comparable = np.where(determined, got, wanted)  # at a kink any slope in [-1, 1] will do
    gradient_difference = compare_arrays(comparable, wanted, rtol=1e-6, atol=1e-9)
    if gradient_difference is None:
        return None
    lines = [
        "the value is right, but its gradient with respect to the image is not autograd's gradient of the formula "
        "(entries where two neighbours are equal are not compared):"
    ]
    if wanted.size <= FULL_PRINT_SIZE:
        lines += [
            f"expected gradient:\n{_indent(_format_array(wanted))}",
            f"your gradient:\n{_indent(_format_array(got))}",
        ]
    lines += [
        gradient_difference.splitlines()[-1],
        "a term computed from detached values (.detach(), .item(), numpy) adds nothing to the gradient",
    ]
    return "\n".join(lines)


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
    passes only if its gradient with respect to the image the function received is right: a
    value computed with numpy (or detached) is reported as ``returned a value with no gradient:
    use torch operations``; a gradient with NaN or infinite entries (``torch.sqrt(d**2)`` for
    ``|d|``, where two neighbours are equal) or one that differs from autograd's gradient of the
    formula (one of the two sums detached) fails too. Where two neighbours are equal, the
    absolute value has a kink and any slope in [-1, 1] is accepted there. Reference: the formula. Cases: a 3x3 grey image with differences other
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
        (
            [[[0, 2, 5], [1, 1, 3], [4, 0, 2]]],
            "both directions, vertical and horizontal neighbours, with torch operations so that the value keeps its gradient",
        ),
        (
            [[[0.0, 1.0], [1.0, 1.0]], [[0.5, 0.0], [0.0, 0.5]], [[2.0, 2.0], [0.0, 0.0]]],
            "a colour image: every channel on its own, summed over the channels",
        ),
        (
            [[[1.0, 3.0, -2.0, 0.5]]],
            "one row: no vertical neighbours, and no wrap-around from the last pixel to the first",
        ),
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
    return check(
        func, _total_variation, fixed + random, compare=_compare_differentiable, names=["image"], fixed=len(fixed)
    )
