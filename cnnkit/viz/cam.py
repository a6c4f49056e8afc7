"""Where a network looks: class activation maps, Grad-CAM, gradient saliency and occlusion.

Four ways to turn a classifier's decision into a map over the input, from the most specific
to the most general:

- :func:`class_activation_map` and :func:`cam_for_model`: the *class activation map* (CAM) of
  Zhou et al. (2016). It needs a network whose last convolutional maps :math:`f_k` are globally
  average-pooled and fed to one linear layer with weights :math:`w^c_k`; then

  .. math::

      M_c(x, y) = \\sum_k w^c_k\\, f_k(x, y), \\qquad
      S_c = \\frac{1}{Z} \\sum_{x, y} M_c(x, y) + b_c,

  so the class score :math:`S_c` is exactly the mean of the map plus the bias (:math:`Z` is the
  number of positions).
- :func:`grad_cam`: Grad-CAM (Selvaraju et al. 2017) replaces :math:`w^c_k` by the spatial mean
  of the gradient :math:`\\partial S_c / \\partial f_k(x, y)`, so it works for any network
  (VGG16's fully connected head included). With a GAP head that gradient is :math:`w^c_k / Z`
  everywhere and Grad-CAM is CAM divided by :math:`Z`.
- :func:`saliency_map`: the gradient of the class score with respect to the input pixels
  (Simonyan et al. 2013), its absolute value maximised over the colour channels (or, signed,
  summed over them); :func:`smooth_grad` averages it over noisy copies of the input (Smilkov
  et al. 2017). :func:`guided_backprop` (Springenberg et al. 2015) changes the backward pass of
  every ReLU so that only positive gradients pass; its maps look sharper, but they hardly depend
  on the network's top layers, which is why it fails Adebayo et al.'s sanity check.
- :func:`occlusion_map`: slide a constant patch over the input and record how much the class
  score drops (Zeiler and Fergus 2014). It treats the network as a black box.

:func:`grad_cam_map` is the Grad-CAM formula on given activations and gradients, the one copy
that :func:`grad_cam`, :func:`cnnkit.viz.sanity.explanation_maps` and the checker of the
Grad-CAM exercise (:func:`cnnkit.exercises.cam_checks.check_grad_cam`) use.
:func:`upsample_map` and :func:`normalize_map` bring the maps to the input's size and to [0, 1].
The sanity checks of these maps (Adebayo et al. 2018) are in :mod:`cnnkit.viz.sanity`.

Occlusion, :class:`ClassMaps` and the placement of cells in the image (:func:`cell_centres`,
:func:`upsample_map`, :func:`pool_map`, :func:`normalize_map`) are in :mod:`cnnkit.viz.maps`,
and importable from here.

The model functions take a batch (N, C, H, W) or one image (C, H, W) as a numpy array or a
tensor, put the model in eval mode for the computation and restore its mode afterwards, and
return a :class:`ClassMaps` of numpy arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from cnnkit._checks import as_array, check_choice
from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.mode import eval_mode
from cnnkit.viz.maps import (
    ClassIndex,
    ClassMaps,
    _as_batch,
    _check_classes,
    _finish,
    _resolve,
    cell_centres,
    normalize_map,
    occlusion_map,
    pool_map,
    upsample_map,
)

__all__ = [
    "ClassMaps",
    "class_activation_map",
    "cam_for_model",
    "grad_cam",
    "grad_cam_map",
    "saliency_map",
    "guided_backprop",
    "occlusion_map",
    "smooth_grad",
    "upsample_map",
    "normalize_map",
    "cell_centres",
    "pool_map",
]


# --------------------------------------------------------------------------------------------
# CAM from arrays


def class_activation_map(features: Any, weights: Any, class_idx: Any = None) -> np.ndarray:
    """The class activation map :math:`M_c(x, y) = \\sum_k w^c_k f_k(x, y)` (Zhou et al. 2016).

    Args:
        features: last convolutional maps, shape (K, h, w), or a batch (N, K, h, w).
        weights: weights of the linear layer after global average pooling, shape
            (num_classes, K) (PyTorch's ``nn.Linear.weight``; Keras' ``Dense`` kernel is its
            transpose).
        class_idx: the class c, an int; for a batch also one int per image, shape (N,).
            None gives the maps of every class.

    Returns:
        The map at the features' resolution, float64 of shape (h, w), or (N, h, w) for a batch;
        with ``class_idx=None``, (num_classes, h, w), or (N, num_classes, h, w) for a batch.
        Its mean plus the bias :math:`b_c` is the class score.

    Example:
        Two 2x2 maps, one that fires on the left column and one on the diagonal:

        >>> f = np.array([[[1, 0], [1, 0]], [[1, 0], [0, 1]]])
        >>> w = np.array([[2.0, -1.0], [0.5, 0.5]])
        >>> class_activation_map(f, w, 0).tolist()      # 2*f_0 - 1*f_1
        [[1.0, 0.0], [2.0, -1.0]]
        >>> float(class_activation_map(f, w, 1).mean()), float(w[1] @ f.mean(axis=(1, 2)))
        (0.5, 0.5)
        >>> class_activation_map(f, w).shape, class_activation_map(f[None], w).shape   # every class
        ((2, 2, 2), (1, 2, 2, 2))
    """
    f = as_array(features, "features")
    w = as_array(weights, "weights")
    if f.ndim not in (3, 4):
        raise ValueError(f"features must have shape (K, h, w) or (N, K, h, w); got shape {tuple(f.shape)}")
    if w.ndim != 2:
        raise ValueError(f"weights must have shape (num_classes, K); got shape {tuple(w.shape)}")
    k = f.shape[-3]
    if w.shape[1] != k:
        raise ValueError(
            f"weights has {w.shape[1]} columns but features has K={k} maps; weights must have shape "
            f"(num_classes, {k}) (transpose a Keras Dense kernel)"
        )
    num_classes = w.shape[0]
    n = f.shape[0] if f.ndim == 4 else None
    f64 = f.astype(np.float64)
    w64 = w.astype(np.float64)
    if class_idx is None:
        return np.einsum("ck,...khw->...chw", w64, f64)
    classes = _check_classes(class_idx, num_classes, n)
    if n is None:
        return np.tensordot(w64[int(classes)], f64, axes=(0, 0))
    return np.einsum("nk,nkhw->nhw", w64[classes], f64)


# --------------------------------------------------------------------------------------------
# Maps from models


def _module(model: nn.Module, layer: str | nn.Module) -> nn.Module:
    if isinstance(layer, nn.Module):
        return layer
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a layer name (see model.layer_names()) or an nn.Module; got {layer!r}")
    if not hasattr(model, "layer"):
        raise TypeError(
            "layer can be given by name only for models with named layers (NamedLayersMixin); pass the module"
        )
    named: Any = model
    return named.layer(layer)


def _forward_with(
    model: nn.Module, x: torch.Tensor, module: nn.Module, grad: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the model in eval mode and return (the module's output, the logits).

    The hook is removed and the model's train/eval mode restored whatever happens.
    """
    with LayerRecorder({"layer": module}) as recorder, eval_mode(model), torch.set_grad_enabled(grad):
        logits = model(x)
    if "layer" not in recorder.outputs:
        raise ValueError("the chosen layer was not used in the model's forward pass")
    return recorder.outputs["layer"], logits


def cam_for_model(
    model: nn.Module,
    x: Any,
    class_idx: ClassIndex = None,
    layer: str | nn.Module | None = None,
    linear: str | nn.Module | None = None,
) -> ClassMaps:
    """Class activation maps of a network with a global-average-pooling head.

    The model must end with global average pooling and one linear layer: ``linear``, by
    default the attribute ``model.predictions`` (:class:`cnnkit.models.small_vgg.SmallVGG`) or
    the layer named ``"predictions"`` (:class:`cnnkit.models.efficientnet.EfficientNetLite0`,
    whose ``fc`` it names). ``layer`` (by default ``model.last_conv_name``) names the maps that
    are pooled: ``"head"`` for EfficientNet-Lite0.

    Args:
        model: the network (put in eval mode for the computation, its mode restored after).
        x: images, shape (N, C, H, W), or one image (C, H, W).
        class_idx: the class to explain: None for each image's predicted class, an int for the
            same class everywhere, or one int per image.
        layer: the last convolutional layer, by name or as the module.
        linear: the linear layer after the pooling, by name or as the module.

    Returns:
        A :class:`ClassMaps` with maps of shape (N, h, w) at the layer's resolution (7x7 for
        28x28 digits in the small VGG); upsample them with :func:`upsample_map`.

    Raises:
        ValueError: if the layer's channels do not match the linear layer's inputs (no GAP
            head): use :func:`grad_cam` then.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> _ = torch.manual_seed(0)
        >>> model = small_vgg(weights=None)
        >>> out = cam_for_model(model, torch.rand(2, 1, 28, 28), class_idx=3)
        >>> out.maps.shape, out.class_idx.tolist()
        ((2, 7, 7), [3, 3])
        >>> bias = model.predictions.bias.detach().numpy()[3]
        >>> np.allclose(out.maps.mean(axis=(1, 2)) + bias, out.logits[:, 3], atol=1e-5)
        True
    """
    xb, single = _as_batch(x)
    name = layer if layer is not None else getattr(model, "last_conv_name", None)
    if name is None:
        raise ValueError("model has no last_conv_name; pass layer=<name of the last convolutional layer>")
    dense = _gap_linear(model, linear)
    features, logits = _forward_with(model, xb, _module(model, name), grad=False)
    if features.ndim != 4 or features.shape[1] != dense.in_features:
        raise ValueError(
            f"layer {name!r} gives shape {tuple(features.shape)} but predictions expects {dense.in_features} "
            "pooled features: the network has no global-average-pooling head here; use grad_cam"
        )
    classes = _resolve(class_idx, logits)
    maps = class_activation_map(features.cpu().numpy(), dense.weight.detach().cpu().numpy(), classes)
    return _finish(maps, classes, logits, single)


def _gap_linear(model: nn.Module, linear: str | nn.Module | None) -> nn.Linear:
    """The linear layer after global average pooling: ``linear``, or ``model.predictions``, or the layer named so."""
    if linear is None:
        found = getattr(model, "predictions", None)
        named: Any = model  # a NamedLayersMixin model, if it has layer_names
        if not isinstance(found, nn.Linear) and hasattr(named, "layer_names") and "predictions" in named.layer_names():
            found = named.layer("predictions")
    else:
        found = _module(model, linear)
    if not isinstance(found, nn.Linear):
        raise ValueError(
            "CAM needs the linear layer after global average pooling: model.predictions, a layer named "
            f"'predictions', or linear=<the nn.Linear>; got {type(found).__name__}. Without one, use grad_cam"
        )
    return found


def grad_cam(
    model: nn.Module, x: Any, layer: str | nn.Module, class_idx: ClassIndex = None, relu: bool = True
) -> ClassMaps:
    """Grad-CAM (Selvaraju et al. 2017): CAM with gradient-derived weights, for any network.

    With :math:`A_k` the layer's maps and :math:`S_c` the class score (the logit, before any
    softmax),

    .. math::

        \\alpha^c_k = \\frac{1}{Z} \\sum_{x, y} \\frac{\\partial S_c}{\\partial A_k(x, y)}, \\qquad
        L_c(x, y) = \\operatorname{ReLU}\\Big(\\sum_k \\alpha^c_k A_k(x, y)\\Big).

    For a GAP head :math:`\\partial S_c / \\partial A_k(x, y) = w^c_k / Z`, so without the ReLU
    Grad-CAM equals :func:`cam_for_model` divided by :math:`Z = h w`.

    Args:
        model: any classifier returning logits (N, num_classes).
        x: images (N, C, H, W) or one image (C, H, W).
        layer: the layer whose output is used: a name (``"block5_conv3"``) or the module.
        class_idx: None (predicted classes), an int, or one int per image.
        relu: keep only the positive part, as the paper does.

    Returns:
        A :class:`ClassMaps` with maps of shape (N, h, w) at the layer's resolution.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> _ = torch.manual_seed(0)
        >>> model, x = small_vgg(weights=None), torch.rand(1, 1, 28, 28)
        >>> g = grad_cam(model, x, "block3_conv2", class_idx=2, relu=False).maps
        >>> c = cam_for_model(model, x, class_idx=2).maps
        >>> np.allclose(g * 49, c, atol=1e-5)
        True
    """
    xb, single = _as_batch(x)
    module = _module(model, layer)
    xb = xb.detach().clone().requires_grad_(True)  # so the graph exists even for frozen weights
    acts, logits = _forward_with(model, xb, module, grad=True)
    if acts.ndim != 4:
        raise ValueError(f"layer must output maps (N, K, h, w); it gives shape {tuple(acts.shape)}")
    classes = _resolve(class_idx, logits)
    score = logits[torch.arange(len(classes)), torch.as_tensor(classes)].sum()
    (grads,) = torch.autograd.grad(score, acts)
    return _finish(grad_cam_map(acts, grads, relu=relu).double(), classes, logits, single)


def grad_cam_map(activations: Any, gradients: Any, relu: bool = True) -> torch.Tensor:
    """The Grad-CAM formula on given activations and gradients, in their dtype.

    :math:`\\alpha_k = \\operatorname{mean}_{x, y} \\partial S / \\partial A_k(x, y)`, then
    :math:`\\operatorname{ReLU}(\\sum_k \\alpha_k A_k)` (without the ReLU when ``relu=False``).
    :func:`grad_cam` computes the gradients from a model and calls this.

    Args:
        activations: a layer's maps :math:`A`, shape (N, K, h, w), or (K, h, w) for one image;
            a tensor or an array.
        gradients: :math:`\\partial S / \\partial A`, the same shape.
        relu: keep only the positive part, as the paper does.

    Returns:
        A tensor of shape (N, h, w), or (h, w), of the inputs' dtype (float64 arrays give float64).

    Example:
        >>> a = torch.tensor([[[1.0, 2.0]], [[3.0, -4.0]]])   # K=2 maps of 1x2
        >>> g = torch.tensor([[[1.0, 1.0]], [[-1.0, 0.0]]])   # weights 1 and -0.5
        >>> grad_cam_map(a, g, relu=False).tolist(), grad_cam_map(a, g).tolist()
        ([[-0.5, 4.0]], [[0.0, 4.0]])
    """
    acts = (
        activations if isinstance(activations, torch.Tensor) else torch.as_tensor(as_array(activations, "activations"))
    )
    grads = gradients if isinstance(gradients, torch.Tensor) else torch.as_tensor(as_array(gradients, "gradients"))
    if acts.shape != grads.shape or acts.ndim not in (3, 4):
        raise ValueError(
            "activations and gradients must have the same shape, (N, K, h, w) or (K, h, w); "
            f"got {tuple(acts.shape)} and {tuple(grads.shape)}"
        )
    maps = (grads.mean(dim=(-2, -1), keepdim=True) * acts).sum(dim=-3)
    return maps.clamp(min=0) if relu else maps


def saliency_map(model: nn.Module, x: Any, class_idx: ClassIndex = None, reduce: str = "max_abs") -> ClassMaps:
    """Gradient saliency (Simonyan et al. 2013): how much each pixel can change the class score.

    .. math::

        R_c(i, j) = \\max_{\\text{channel } ch} \\left| \\frac{\\partial S_c}{\\partial x_{ch}(i, j)} \\right|

    With ``reduce="sum"`` the map is signed instead, the sum of the gradient over the channels,
    :math:`\\sum_{ch} \\partial S_c / \\partial x_{ch}(i, j)`: the change of the score per unit of
    brightening pixel :math:`(i, j)` equally in every channel.

    Args:
        model: any classifier returning logits (N, num_classes).
        x: images (N, C, H, W) or one image (C, H, W).
        class_idx: None (predicted classes), an int, or one int per image.
        reduce: how the channels are combined: ``"max_abs"`` (the paper's) or ``"sum"`` (signed).

    Returns:
        A :class:`ClassMaps` with maps of shape (N, H, W), the input's resolution.

    Example:
        A linear "network" has its weights as saliency:

        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, bias=False))
        >>> with torch.no_grad():
        ...     _ = model[1].weight.copy_(torch.tensor([[1.0, -2.0, 0.0, 3.0], [0.0, 0.0, 1.0, 0.0]]))
        >>> saliency_map(model, torch.zeros(1, 2, 2), class_idx=0).maps.tolist()
        [[1.0, 2.0], [0.0, 3.0]]
        >>> saliency_map(model, torch.zeros(1, 2, 2), class_idx=0, reduce="sum").maps.tolist()
        [[1.0, -2.0], [0.0, 3.0]]
    """
    _check_reduce(reduce, "saliency_map")
    xb, single = _as_batch(x)
    grads, classes, logits = _input_gradient(model, xb, class_idx)
    return _finish(_reduce_channels(grads, reduce), classes, logits, single)


def _check_reduce(reduce: str, caller: str) -> None:
    """``'max_abs'``: the largest absolute value over the channels; ``'sum'``: their signed sum."""
    check_choice(reduce, ("max_abs", "sum"), "reduce", caller=caller)


def _reduce_channels(grads: torch.Tensor, reduce: str) -> torch.Tensor:
    return (grads.abs().amax(dim=1) if reduce == "max_abs" else grads.sum(dim=1)).double()


def _input_gradient(
    model: nn.Module, xb: torch.Tensor, class_idx: Any
) -> tuple[torch.Tensor, np.ndarray, torch.Tensor]:
    """The gradient of the class scores with respect to the input, in eval mode (mode restored)."""
    xb = xb.detach().clone().requires_grad_(True)
    with eval_mode(model), torch.enable_grad():
        logits = model(xb)
        classes = _resolve(class_idx, logits)
        score = logits[torch.arange(len(classes)), torch.as_tensor(classes)].sum()
        (grads,) = torch.autograd.grad(score, xb)
    return grads, classes, logits


def _guided_relu_backward(
    module: nn.Module, grad_input: tuple[torch.Tensor | None, ...], grad_output: tuple[torch.Tensor | None, ...]
) -> tuple[torch.Tensor | None, ...]:
    """Guided backpropagation at one ReLU: autograd's gradient, with its negative values set to zero too."""
    grad = grad_input[0]
    return (None if grad is None else grad.clamp(min=0), *grad_input[1:])


def guided_backprop(model: nn.Module, x: Any, class_idx: ClassIndex = None, reduce: str = "max_abs") -> ClassMaps:
    """Guided backpropagation (Springenberg et al. 2015): the input gradient, with every ReLU
    passing back only positive gradients.

    The gradient of the class score is computed as for :func:`saliency_map`, except at each
    ``nn.ReLU`` and ``nn.ReLU6`` module: there autograd's backward already zeroes the gradient
    where the unit was off (input :math:`\\le 0`, or :math:`\\ge 6` for ReLU6), and guided
    backpropagation *also* zeroes it where the gradient arriving from above is negative,

    .. math::

        R_\\text{in} = \\mathbb{1}[\\text{unit on}] \\cdot \\max(R_\\text{out}, 0).

    So only paths along which every unit would *raise* the score survive. Each module gets a
    full backward hook that clamps its input gradient at zero, removed afterwards whatever
    happens; a ReLU applied as a function (``torch.relu`` in a ``forward``) is not changed.
    The result is no longer the gradient of anything: Adebayo et al. (2018) found that it
    barely changes when the top layers of the network are randomised, and that it resembles
    what an edge detector finds in the image.

    Args:
        model: any classifier returning logits (N, num_classes), with its ReLUs as ``nn.ReLU``
            or ``nn.ReLU6`` modules (not in place).
        x: images (N, C, H, W) or one image (C, H, W).
        class_idx: None (predicted classes), an int, or one int per image.
        reduce: how the channels are combined, as for :func:`saliency_map`: ``"max_abs"``
            (largest absolute value) or ``"sum"`` (signed sum).

    Returns:
        A :class:`ClassMaps` with maps of shape (N, H, W), the input's resolution.

    Raises:
        ValueError: the model has no ``nn.ReLU``/``nn.ReLU6`` module, or one is in place (a
            backward hook cannot be put on an in-place operation).

    Example:
        One hidden unit raises the score, one lowers it; both are on. The gradient mixes the
        two paths, guided backpropagation keeps only the one that raises the score:

        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))
        >>> with torch.no_grad():
        ...     _ = model[1].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
        ...     _ = model[3].weight.copy_(torch.tensor([[1.0, -2.0]]))
        >>> x = torch.tensor([[[2.0, 1.0]]])                       # hidden units 3 and 1: both on
        >>> saliency_map(model, x, class_idx=0, reduce="sum").maps.tolist()
        [[-1.0, 3.0]]
        >>> guided_backprop(model, x, class_idx=0, reduce="sum").maps.tolist()
        [[1.0, 1.0]]
    """
    _check_reduce(reduce, "guided_backprop")
    relus = [m for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))]
    if not relus:
        raise ValueError(
            "guided_backprop: the model has no nn.ReLU or nn.ReLU6 module, so guided backpropagation would be "
            "the plain gradient (saliency_map); ReLUs called as functions cannot be hooked"
        )
    in_place = [name for name, m in model.named_modules() if isinstance(m, (nn.ReLU, nn.ReLU6)) and m.inplace]
    if in_place:
        raise ValueError(
            f"guided_backprop: the ReLU {in_place[0]!r} works in place, which a backward hook cannot follow; "
            "build the model with inplace=False"
        )
    xb, single = _as_batch(x)
    handles = [m.register_full_backward_hook(_guided_relu_backward) for m in relus]
    try:
        grads, classes, logits = _input_gradient(model, xb, class_idx)
    finally:
        for handle in handles:
            handle.remove()
    return _finish(_reduce_channels(grads, reduce), classes, logits, single)


def smooth_grad(
    model: nn.Module,
    x: Any,
    class_idx: ClassIndex = None,
    samples: int = 16,
    noise: float = 0.15,
    seed: int = 0,
    reduce: str = "max_abs",
    batch_size: int = 16,
) -> ClassMaps:
    """SmoothGrad (Smilkov et al. 2017): the saliency map averaged over noisy copies of the input.

    .. math::

        \\hat R_c(x) = \\frac{1}{n} \\sum_{t=1}^{n} R_c(x + \\varepsilon_t), \\qquad
        \\varepsilon_t \\sim \\mathcal{N}(0, \\sigma^2), \\quad
        \\sigma = \\text{noise} \\cdot (\\max x - \\min x),

    with :math:`R_c` the map of :func:`saliency_map` and :math:`\\sigma` set per image. The class
    explained is the same for every copy: ``class_idx``, or the class predicted for the clean
    image. The noise comes from a ``torch.Generator`` seeded with ``seed``, so the map is
    reproducible and torch's global random state is left alone.

    Args:
        model: any classifier returning logits (N, num_classes).
        x: images (N, C, H, W) or one image (C, H, W).
        class_idx: None (predicted classes), an int, or one int per image.
        samples: the number n of noisy copies per image.
        noise: the noise's standard deviation as a fraction of the image's range (the paper
            finds 10-20% best).
        seed: seed of the noise.
        reduce: ``"max_abs"`` or ``"sum"``, as in :func:`saliency_map`.
        batch_size: noisy copies per forward and backward pass.

    Returns:
        A :class:`ClassMaps` with maps of shape (N, H, W), and the logits of the clean input.

    Example:
        For a linear model every copy has the same gradient, so SmoothGrad is the saliency map:

        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 1, bias=False))
        >>> with torch.no_grad():
        ...     _ = model[1].weight.copy_(torch.tensor([[1.0, -2.0, 0.0, 3.0]]))
        >>> smooth_grad(model, torch.rand(1, 2, 2), class_idx=0, samples=5).maps.tolist()
        [[1.0, 2.0], [0.0, 3.0]]
    """
    _check_reduce(reduce, "smooth_grad")
    for name, value in (("samples", samples), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a non-negative fraction of the image's range; got {noise!r}")
    xb, single = _as_batch(x)
    with eval_mode(model), torch.no_grad():
        logits = model(xb)
    classes = _resolve(class_idx, logits)
    gen = torch.Generator().manual_seed(int(seed))
    sigma = noise * (xb.amax(dim=(1, 2, 3)) - xb.amin(dim=(1, 2, 3)))  # (N,)
    n = xb.shape[0]
    total = torch.zeros(n, *xb.shape[2:], dtype=torch.float64)
    copies = torch.arange(n).repeat_interleave(samples)  # image of each noisy copy
    for start in range(0, len(copies), batch_size):
        img = copies[start : start + batch_size]
        eps = torch.randn((len(img), *xb.shape[1:]), generator=gen) * sigma[img, None, None, None]
        grads, _, _ = _input_gradient(model, xb[img] + eps, classes[img.numpy()])
        total.index_add_(0, img, _reduce_channels(grads, reduce))
    return _finish(total / samples, classes, logits, single)
