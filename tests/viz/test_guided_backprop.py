"""Tests of cnnkit.viz.cam.guided_backprop: guided backpropagation by backward hooks on the ReLUs."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnkit.viz.cam import guided_backprop, saliency_map


class _GuidedReLU(torch.autograd.Function):
    """An independent reference: a ReLU (or ReLU6) whose backward is guided backpropagation's rule."""

    @staticmethod
    def forward(ctx, x, upper):
        ctx.save_for_backward(x)
        ctx.upper = upper
        return x.clamp(min=0) if upper is None else x.clamp(0, upper)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        on = (x > 0) if ctx.upper is None else (x > 0) & (x < ctx.upper)
        return grad.clamp(min=0) * on, None


class _Swapped(nn.Module):
    def __init__(self, upper):
        super().__init__()
        self.upper = upper

    def forward(self, x):
        return _GuidedReLU.apply(x, self.upper)


def _reference(model, x, class_idx):
    """Guided backpropagation with every ReLU module replaced by _GuidedReLU (on a copy)."""
    import copy

    ref = copy.deepcopy(model).eval()
    for module in list(ref.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, (nn.ReLU, nn.ReLU6)):
                setattr(module, child_name, _Swapped(6.0 if isinstance(child, nn.ReLU6) else None))
    xb = x.detach().clone().requires_grad_(True)
    logits = ref(xb)
    (grad,) = torch.autograd.grad(logits[torch.arange(len(xb)), torch.as_tensor(class_idx)].sum(), xb)
    return grad.sum(dim=1).double().numpy()


def _mlp(relu: type[nn.Module], seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(8, 16), relu(), nn.Linear(16, 16), relu(), nn.Linear(16, 3))


def test_guided_backprop_is_the_gradient_when_every_gradient_above_a_relu_is_positive():
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 5), nn.ReLU(), nn.Linear(5, 2))
    with torch.no_grad():
        model[3].weight.abs_()  # the gradient reaching the ReLU is positive: nothing to clamp
    x = torch.randn(4, 2, 2, 2, generator=torch.Generator().manual_seed(0))
    guided = guided_backprop(model, x, class_idx=[0, 1, 0, 1], reduce="sum").maps
    plain = saliency_map(model, x, class_idx=[0, 1, 0, 1], reduce="sum").maps
    assert np.allclose(guided, plain)


@pytest.mark.parametrize("relu", [nn.ReLU, nn.ReLU6])
def test_guided_backprop_matches_a_reference_with_guided_relus(relu):
    model = _mlp(relu)
    x = 4 * torch.randn(5, 2, 2, 2, generator=torch.Generator().manual_seed(1))  # large: some ReLU6s saturate
    classes = [0, 1, 2, 1, 0]
    guided = guided_backprop(model, x, class_idx=classes, reduce="sum").maps
    assert np.allclose(guided, _reference(model, x, classes), atol=1e-6)
    assert not np.allclose(guided, saliency_map(model, x, class_idx=classes, reduce="sum").maps, atol=1e-3)


def test_guided_backprop_matches_the_reference_on_the_small_vgg(model, digits):
    guided = guided_backprop(model, digits, class_idx=[1, 2, 3], reduce="sum").maps
    assert guided.shape == (3, 28, 28)
    assert np.allclose(guided, _reference(model, digits, [1, 2, 3]), atol=1e-5)


def test_relu6_passes_nothing_back_from_a_saturated_unit():
    model = nn.Sequential(nn.Flatten(), nn.Linear(1, 1, bias=False), nn.ReLU6(), nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        model[1].weight.fill_(1.0)
        model[3].weight.fill_(1.0)
    x = torch.tensor([[[[3.0]]], [[[7.0]]]])  # the unit is at 3 (on) and at 7 (saturated above 6)
    assert guided_backprop(model, x, class_idx=0, reduce="sum").maps.ravel().tolist() == [1.0, 0.0]


def test_max_abs_is_the_largest_absolute_value_over_the_channels():
    torch.manual_seed(0)
    rgb = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)
    )
    x = torch.randn(2, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    out = guided_backprop(rgb, x, class_idx=[0, 1])
    xb = x.clone().requires_grad_(True)
    handles = []
    try:
        handles = [rgb[1].register_full_backward_hook(lambda m, gi, go: (gi[0].clamp(min=0),))]
        (g,) = torch.autograd.grad(rgb(xb)[[0, 1], [0, 1]].sum(), xb)
    finally:
        for h in handles:
            h.remove()
    assert np.allclose(out.maps, g.abs().amax(dim=1).double().numpy())
    assert out.class_idx.tolist() == [0, 1] and out.logits.shape == (2, 2)


def test_hooks_are_removed_and_the_mode_restored(model, digits):
    model.train()
    try:
        guided_backprop(model, digits, class_idx=[0, 1, 2])
        assert model.training
        assert all(not m._backward_hooks for m in model.modules())
        # the plain gradient afterwards is untouched by the guided pass
        xb = digits.clone().requires_grad_(True)
        model.eval()
        (g,) = torch.autograd.grad(model(xb)[[0, 1, 2], [0, 1, 2]].sum(), xb)
        assert np.allclose(saliency_map(model, digits, class_idx=[0, 1, 2], reduce="sum").maps, g.sum(dim=1).numpy())
    finally:
        model.eval()


def test_one_image_gives_one_map(model, digits):
    out = guided_backprop(model, digits[0], class_idx=4)
    assert out.maps.shape == (28, 28) and out.class_idx == 4


def test_lite0_relu6_modules_are_guided(lite):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    guided = guided_backprop(lite, x, class_idx=7, reduce="sum").maps
    assert np.allclose(guided, _reference(lite, x, [7]), rtol=1e-4, atol=1e-6 * np.abs(guided).max())


def test_errors_say_what_to_do(model, digits):
    no_relu = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"no nn\.ReLU or nn\.ReLU6 module"):
        guided_backprop(no_relu, torch.zeros(1, 1, 2, 2))
    in_place = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(inplace=True), nn.Linear(3, 2))
    with pytest.raises(ValueError, match="the ReLU '2' works in place"):
        guided_backprop(in_place, torch.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="guided_backprop: reduce='mean' is not one of 'max_abs', 'sum'"):
        guided_backprop(model, digits, reduce="mean")
