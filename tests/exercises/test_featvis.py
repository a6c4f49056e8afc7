"""cnnkit.exercises.featvis: the normalised gradient-ascent step, its tiny network, and total variation.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import exercises as ex
from tests.exercises.answers import (
    WRONG_VALUE,
    ascent_step,
    assert_rejected,
    torch_total_variation,
)


def test_gradient_ascent_step_rejects_the_wrong_sign():
    def descent(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        g = x.grad
        return (x - lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()

    result = ex.check_gradient_ascent_step(descent)
    assert_rejected(result, "failed on case 1 of 6 (random, seed 0)", "channel = 0", WRONG_VALUE, "result.inputs")


def test_gradient_ascent_step_rejects_an_unnormalised_step():
    def plain(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        return (x + lr * x.grad).detach()

    assert_rejected(ex.check_gradient_ascent_step(plain), "failed on case 1 ", WRONG_VALUE)


def test_gradient_ascent_step_rejects_the_l2_norm_instead_of_the_root_mean_square():
    def l2(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        return (x + lr * x.grad / (x.grad.norm() + 1e-8)).detach()

    assert_rejected(ex.check_gradient_ascent_step(l2), "failed on case 1 ", WRONG_VALUE)


def test_gradient_ascent_step_rejects_the_wrong_channel():
    result = ex.check_gradient_ascent_step(lambda x, model, channel, lr: ascent_step(x, model, 0, lr))
    assert_rejected(result, "failed on case 2 of 6", "channel = 2", WRONG_VALUE)


def test_gradient_ascent_step_reports_an_in_place_step_that_returns_nothing():
    def in_place(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        with torch.no_grad():
            x += lr * x.grad / (x.grad.pow(2).mean().sqrt() + 1e-5)

    result = ex.check_gradient_ascent_step(in_place)
    assert_rejected(result, "failed on case 1 ", "returned None: did you forget to return the result?")


def test_gradient_ascent_step_does_not_depend_on_the_gradient_scale():
    """The sum of the channel instead of its mean only scales g, which the step divides out."""

    def summed(x, model, channel, lr):
        model(x)[0, channel].sum().backward()
        g = x.grad
        return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()

    assert ex.check_gradient_ascent_step(summed).passed


def test_tiny_conv_model_is_fixed_by_its_seed():
    a, b, c = ex.tiny_conv_model(0), ex.tiny_conv_model(0), ex.tiny_conv_model(1)
    x = torch.randn(1, 1, 7, 7, dtype=torch.float64)
    assert torch.equal(a(x), b(x)) and not torch.equal(a(x), c(x))
    assert not any(p.requires_grad for p in a.parameters()) and not a.training


def test_total_variation_rejects_one_direction_only():
    result = ex.check_total_variation(lambda x: (x[:, 1:] - x[:, :-1]).abs().sum())
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got 9.0")


def test_total_variation_rejects_squared_differences():
    result = ex.check_total_variation(
        lambda x: ((x[:, 1:] - x[:, :-1]) ** 2).sum() + ((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum()
    )
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got 54.0")


def test_total_variation_rejects_a_value_without_gradient():
    def with_numpy(x):
        a = x.detach().numpy()
        return np.abs(np.diff(a, axis=1)).sum() + np.abs(np.diff(a, axis=2)).sum()

    result = ex.check_total_variation(with_numpy)
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "returned a value with no gradient: use torch operations")
    detached = ex.check_total_variation(lambda x: torch_total_variation(x).detach())
    assert_rejected(detached, "returned a value with no gradient", "got a Tensor")
    raised = ex.check_total_variation(lambda x: np.abs(np.diff(x.numpy(), axis=1)).sum())
    assert_rejected(raised, "your function raised RuntimeError: Can't call numpy() on Tensor that requires grad")


def test_total_variation_rejects_wrap_around_differences():
    result = ex.check_total_variation(
        lambda x: (torch.roll(x, 1, dims=1) - x).abs().sum() + (torch.roll(x, 1, dims=2) - x).abs().sum()
    )
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got")


def test_total_variation_rejects_means_instead_of_sums():
    result = ex.check_total_variation(
        lambda x: (x[:, 1:] - x[:, :-1]).abs().mean() + (x[:, :, 1:] - x[:, :, :-1]).abs().mean()
    )
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "expected 22.0, got")


def _differences(image):
    return image[:, 1:] - image[:, :-1], image[:, :, 1:] - image[:, :, :-1]


def test_total_variation_rejects_the_square_root_of_a_square_and_its_nan_gradient():
    # the review's false accept: the value is right, the gradient is NaN where neighbours are equal
    def sqrt_of_square(image):
        vertical, horizontal = _differences(image)
        return torch.sqrt(vertical**2).sum() + torch.sqrt(horizontal**2).sum()

    result = ex.check_total_variation(sqrt_of_square)
    assert_rejected(
        result,
        "failed on case 1 of 10 (fixed)",
        "its gradient with respect to the image is nan at image[0, 1, 0]",
        "sqrt(d**2) has no gradient where d = 0",
    )


def test_total_variation_rejects_a_detached_term():
    # the review's false accept: backward() runs, through the other term; the gradient lacks one direction
    def detached(image):
        vertical, horizontal = _differences(image)
        return vertical.detach().abs().sum() + horizontal.abs().sum()

    result = ex.check_total_variation(detached)
    assert_rejected(
        result,
        "failed on case 1 of 10 (fixed)",
        "is not autograd's gradient of the formula",
        "expected gradient:",
        "your gradient:",
        "first difference at index (0, 0, 0): expected -2.0, got -1.0",
    )


def test_total_variation_rejects_a_gradient_that_flows_to_a_copy():
    result = ex.check_total_variation(lambda image: torch_total_variation(image.detach().clone().requires_grad_()))
    assert_rejected(result, "failed on case 1 of 10 (fixed)", "gradient does not reach the image")


def test_total_variation_accepts_any_slope_where_neighbours_are_equal():
    # |d| has a kink at d = 0: a slope of -1 there is as valid as autograd's 0
    def by_where(image):
        return sum(torch.where(d > 0, d, -d).sum() for d in _differences(image))

    assert ex.check_total_variation(by_where).passed
    assert ex.check_total_variation(torch_total_variation).passed


def _step(x, model, channel, lr, sign=1.0, norm="rms"):
    model(x)[0, channel].mean().backward()
    g = x.grad
    scale = {
        "rms": g.pow(2).mean().sqrt() + 1e-5,
        "none": 1.0,
        "l2": g.norm(),
        "max": g.abs().max(),
        "std": g.std(),
        "mean abs": g.abs().mean(),
    }[norm]
    return (x + sign * lr * g / scale).detach()


@pytest.mark.parametrize(
    "mistake, settings",
    [
        ("the wrong sign: the step goes downhill", {"sign": -1.0}),
        ("not normalised: the step is lr * g", {"norm": "none"}),
        ("the wrong sign, and not normalised", {"sign": -1.0, "norm": "none"}),
        ("the wrong norm: g was divided by its L2 norm", {"norm": "l2"}),
        ("the wrong norm: g was divided by its standard deviation", {"norm": "std"}),
        ("the wrong norm: g was divided by its largest absolute value", {"norm": "max"}),
        ("the wrong norm: g was divided by the mean of |g|", {"norm": "mean abs"}),
    ],
)
def test_gradient_ascent_step_rejects_and_names_the_likely_mistake(mistake, settings):
    result = ex.check_gradient_ascent_step(lambda x, model, channel, lr: _step(x, model, channel, lr, **settings))
    assert_rejected(
        result, "failed on case 1 of 6 (random, seed 0)", "your step: root mean square", f"likely mistake: {mistake}"
    )


def test_gradient_ascent_step_rejects_the_maximum_as_objective_and_says_the_direction_is_wrong():
    def maximum(x, model, channel, lr):
        model(x)[0, channel].max().backward()
        g = x.grad
        return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()

    assert_rejected(
        ex.check_gradient_ascent_step(maximum),
        "failed on case 1 ",
        "likely mistake: the step does not point along the gradient of the channel's mean activation",
    )


def test_gradient_ascent_step_rejects_a_step_taken_in_place():
    def in_place(x, model, channel, lr):
        model(x)[0, channel].mean().backward()
        g = x.grad
        with torch.no_grad():
            x += lr * g / (g.pow(2).mean().sqrt() + 1e-5)
        return x.detach()

    assert_rejected(
        ex.check_gradient_ascent_step(in_place),
        "failed on case 1 of 6 (random, seed 0)",
        "your function changed its argument x in place: x[0, 0, 0, 0] was 0.13",
    )
