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
  et al. 2017).
- :func:`occlusion_map`: slide a constant patch over the input and record how much the class
  score drops (Zeiler and Fergus 2014). It treats the network as a black box.

:func:`upsample_map` and :func:`normalize_map` bring the maps to the input's size and to [0, 1].
The sanity checks of these maps (Adebayo et al. 2018) are in :mod:`cnnkit.viz.sanity`.

The model functions take a batch (N, C, H, W) or one image (C, H, W) as a numpy array or a
tensor, put the model in eval mode for the computation and restore its mode afterwards, and
return a :class:`ClassMaps` of numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from cnnkit._checks import as_array, check_choice, non_negative_pair, positive_pair
from cnnkit._types import IntOrPair
from cnnkit.models.mode import eval_mode
from cnnkit.ops.intensity import minmax_scale
from cnnkit.ops.resizing import resize
from cnnkit.shapes import conv_output_size

__all__ = [
    "ClassMaps",
    "class_activation_map",
    "cam_for_model",
    "grad_cam",
    "saliency_map",
    "occlusion_map",
    "smooth_grad",
    "upsample_map",
    "normalize_map",
]

ClassIndex = int | Sequence[int] | np.ndarray | None


class ClassMaps(NamedTuple):
    """Maps explaining a classifier's scores, with the classes they explain.

    Attributes:
        maps: (N, h, w) maps, one per image (h, w for a single image).
        class_idx: (N,) int64 array of the explained classes (an int for a single image).
        logits: (N, num_classes) scores of the unmodified input ((num_classes,) for one image).
    """

    maps: np.ndarray
    class_idx: Any
    logits: np.ndarray


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


def _check_classes(class_idx: Any, num_classes: int, n: int | None) -> Any:
    """An int (single image) or an (n,) int64 array of valid class indices."""
    arr = np.asarray(class_idx)
    if arr.dtype.kind not in "iu" or arr.ndim > 1:
        raise TypeError(f"class_idx must be an int or a sequence of ints; got {class_idx!r}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(f"class_idx must lie in 0..{num_classes - 1}; got {class_idx!r}")
    if n is None:
        if arr.ndim != 0:
            raise ValueError(f"class_idx must be one int for a single image; got {class_idx!r}")
        return int(arr)
    if arr.ndim == 0:
        return np.full(n, int(arr), dtype=np.int64)
    if arr.shape[0] != n:
        raise ValueError(f"class_idx must hold one class per image ({n}); got {arr.shape[0]} values")
    return arr.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Maps from models


def _as_batch(x: Any) -> tuple[torch.Tensor, bool]:
    """(N, C, H, W) float32 tensor and whether the input was a single (C, H, W) image."""
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(as_array(x, "x"))
    if t.ndim == 3:
        return t[None].float(), True
    if t.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W) or (C, H, W); got shape {tuple(t.shape)}")
    return t.float(), False


def _finish(maps: torch.Tensor | np.ndarray, classes: np.ndarray, logits: torch.Tensor, single: bool) -> ClassMaps:
    maps = maps.detach().cpu().numpy() if isinstance(maps, torch.Tensor) else maps
    logits_np = logits.detach().cpu().numpy()
    if single:
        return ClassMaps(maps[0], int(classes[0]), logits_np[0])
    return ClassMaps(maps, classes, logits_np)


def _resolve(class_idx: ClassIndex, logits: torch.Tensor) -> np.ndarray:
    """The explained classes: the predicted ones when class_idx is None."""
    if class_idx is None:
        return logits.argmax(dim=1).cpu().numpy().astype(np.int64)
    return _check_classes(class_idx, logits.shape[1], logits.shape[0])


def _module(model: nn.Module, layer: str | nn.Module) -> nn.Module:
    if isinstance(layer, nn.Module):
        return layer
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a layer name (see model.layer_names()) or an nn.Module; got {layer!r}")
    if not hasattr(model, "layer"):
        raise TypeError("layer can be given by name only for models with named layers (NamedLayersMixin); pass the module")
    named: Any = model
    return named.layer(layer)


def _forward_with(model: nn.Module, x: torch.Tensor, module: nn.Module, grad: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the model in eval mode and return (the module's output, the logits).

    The hook is removed and the model's train/eval mode restored whatever happens.
    """
    found: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, out: found.append(out))
    try:
        with eval_mode(model), torch.set_grad_enabled(grad):
            logits = model(x)
    finally:
        handle.remove()
    if not found:
        raise ValueError("the chosen layer was not used in the model's forward pass")
    return found[-1], logits


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
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    maps = (alpha * acts).sum(dim=1)
    if relu:
        maps = maps.clamp(min=0)
    return _finish(maps.double(), classes, logits, single)


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


def occlusion_map(
    model: nn.Module,
    x: Any,
    class_idx: ClassIndex = None,
    patch: IntOrPair = 8,
    stride: IntOrPair = 4,
    padding: IntOrPair = 0,
    fill: float = 0.0,
    batch_size: int = 512,
) -> ClassMaps:
    """Occlusion sensitivity: the drop of the class score when a patch of the input is covered.

    A ``patch`` of constant value ``fill`` slides over the input with ``stride``, starting
    ``padding`` pixels before the top-left corner (patches may hang over the border; only the
    part inside is covered). At each position the map records

    .. math::

        D_c(i, j) = S_c(x) - S_c(x \\text{ with the patch at } (i, j) \\text{ covered}),

    positive where the covered region supported the class. The positions form the same grid as
    a convolution's output, of size ``conv_output_size(H, patch, stride, padding)``
    (:func:`cnnkit.shapes.conv_output_size`). The model is run on the occluded copies
    ``batch_size`` at a time.

    Args:
        model: any classifier returning logits (N, num_classes).
        x: images (N, C, H, W) or one image (C, H, W).
        class_idx: None (predicted classes), an int, or one int per image.
        patch: patch size, int or (pH, pW).
        stride: step between patch positions, int or pair.
        padding: how far patches may start before the first row and column, int or pair.
        fill: the value of the covered pixels: 0 is the background of MNIST digits in [0, 1] and
            the mean (grey) of mean-subtracted photographs.
        batch_size: occluded copies per forward pass.

    Returns:
        A :class:`ClassMaps` with maps of shape (N, H_out, W_out) on the patch grid.

    Example:
        A model that only reads the top-left pixel does not notice a patch elsewhere:

        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 1, bias=False))
        >>> with torch.no_grad():
        ...     _ = model[1].weight.copy_(torch.eye(1, 16))
        >>> occlusion_map(model, torch.ones(1, 4, 4), patch=2, stride=2).maps.tolist()
        [[1.0, 0.0], [0.0, 0.0]]
    """
    xb, single = _as_batch(x)
    n, _, h, w = xb.shape
    ph, pw = positive_pair(patch, "patch")
    sh, sw = positive_pair(stride, "stride")
    qh, qw = non_negative_pair(padding, "padding")
    if not np.isfinite(fill):
        raise ValueError(f"fill must be a finite number; got {fill!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    oh, ow = conv_output_size((h, w), (ph, pw), (sh, sw), (qh, qw))
    masks = torch.zeros(oh * ow, 1, h, w, dtype=torch.bool)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - qh, j * sw - qw
            masks[i * ow + j, 0, max(r0, 0) : max(r0 + ph, 0), max(c0, 0) : max(c0 + pw, 0)] = True
    with eval_mode(model), torch.no_grad():
        logits = model(xb)
        classes = _resolve(class_idx, logits)
        base = logits[torch.arange(n), torch.as_tensor(classes)]
        p = oh * ow
        drops = torch.empty(n * p, dtype=torch.float64)
        cls = torch.as_tensor(classes)
        for start in range(0, n * p, batch_size):
            idx = torch.arange(start, min(start + batch_size, n * p))
            img, pos = idx // p, idx % p
            covered = torch.where(masks[pos], torch.tensor(float(fill)), xb[img])
            scores = model(covered)[torch.arange(len(idx)), cls[img]]
            drops[idx] = (base[img] - scores).double()
    return _finish(drops.reshape(n, oh, ow), classes, logits, single)


# --------------------------------------------------------------------------------------------
# The sanity check: three maps from one pass, and cascading randomisation


# --------------------------------------------------------------------------------------------
# Resizing, normalising and comparing maps


def upsample_map(m: Any, size: IntOrPair) -> np.ndarray:
    """Resize a map (or a batch of maps) bilinearly to ``size``, to lay it over the input.

    This is ``torch.nn.functional.interpolate(mode='bilinear', align_corners=False)`` (Keras
    ``UpSampling2D(interpolation='bilinear')`` for integer factors): pixel centres are aligned,
    so a 7x7 CAM upsampled to 28x28 puts each cell's value at the centre of its 4x4 block.

    Args:
        m: map (h, w) or maps (N, h, w).
        size: output size, int or (H, W).

    Returns:
        float64 array of shape (H, W) or (N, H, W).

    Example:
        >>> upsample_map(np.array([[0.0, 4.0]]), (1, 4)).tolist()
        [[0.0, 1.0, 3.0, 4.0]]
        >>> upsample_map(np.zeros((3, 7, 7)), 28).shape
        (3, 28, 28)
    """
    arr = as_array(m, "m")
    if arr.ndim not in (2, 3):
        raise ValueError(f"m must have shape (h, w) or (N, h, w); got shape {tuple(arr.shape)}")
    return resize(arr, mode="bilinear", size=positive_pair(size, "size"))


def normalize_map(m: Any, percentile: float = 100.0) -> np.ndarray:
    """Rescale each map to [0, 1]: :math:`(M - \\min M) / (\\max M - \\min M)`.

    With ``percentile < 100`` the ``percentile``-th percentile of the map takes the place of its
    maximum, and the values above it are clipped to 1: a few extreme values, common in gradient
    maps, then no longer leave the rest of the map dark (Smilkov et al. and Adebayo et al. clip
    saliency maps at the 99th percentile to draw them). A constant map becomes all zeros.

    Args:
        m: map (h, w) or maps (N, h, w); each map is rescaled on its own.
        percentile: the percentile of each map that is mapped to 1, in (0, 100].

    Returns:
        float64 array of the same shape, with values in [0, 1].

    Example:
        >>> normalize_map(np.array([[-1.0, 0.0], [1.0, 3.0]])).tolist()
        [[0.0, 0.25], [0.5, 1.0]]
        >>> normalize_map(np.full((2, 2), 5.0)).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
        >>> normalize_map(np.array([[0.0, 1.0], [2.0, 100.0]]), percentile=50).tolist()   # median 1.5 -> 1
        [[0.0, 0.6666666666666666], [1.0, 1.0]]
    """
    arr = as_array(m, "m").astype(np.float64)
    if arr.ndim not in (2, 3):
        raise ValueError(f"m must have shape (h, w) or (N, h, w); got shape {tuple(arr.shape)}")
    if not 0.0 < percentile <= 100.0:
        raise ValueError(f"percentile must lie in (0, 100]; got {percentile!r}")
    return minmax_scale(arr, axis=(-2, -1), percentile=percentile)
