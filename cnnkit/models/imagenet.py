"""ImageNet input and output, and what a model's ImageNet weights expect and give.

The ImageNet pre- and post-processing that every ImageNet network of the book uses: the
photograph's central square resized and normalised with the ImageNet statistics
(:func:`imagenet_preprocess`), its inverse for showing the network's input
(:func:`imagenet_deprocess`), the 1,000 class names (:func:`imagenet_categories`) and the top
classes of the logits (:func:`decode_predictions`).

:class:`WeightsInfo` describes one set of weights as torchvision's ``Weights`` enums do: the file
and its hash, where it comes from, the input it expects (``preprocess``) and the inverse
(``deprocess``), the categories of its outputs and its published accuracy with the source.
Each model module defines its own (:data:`cnnkit.models.vgg16.VGG16_IMAGENET`,
:data:`cnnkit.models.efficientnet.LITE0_IMAGENET`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "imagenet_preprocess",
    "imagenet_deprocess",
    "denormalise",
    "imagenet_categories",
    "Prediction",
    "decode_predictions",
    "WeightsInfo",
]


#: Per-channel (R, G, B) mean and standard deviation of the ImageNet training images, which
#: torchvision's ImageNet models expect their input to be normalised with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_preprocess(image: np.ndarray, size: int = 224, crop: bool = True) -> torch.Tensor:
    """Turn a photograph into the input an ImageNet network expects.

    The central square of the photograph is cut out (``crop=True``; otherwise the whole picture
    is squeezed into a square), resized to ``size x size`` with anti-aliasing, and each colour
    channel ``c`` normalised with the ImageNet statistics,

    .. math::

        x_c = \\frac{v_c - \\mu_c}{\\sigma_c}, \\quad
        \\mu = (0.485, 0.456, 0.406), \\ \\sigma = (0.229, 0.224, 0.225).

    Args:
        image: colour photograph, shape (H, W, 3), floats in [0, 1] (as
            :func:`cnnkit.data.load_image` returns).
        size: side of the output.
        crop: keep the central square (aspect ratio kept) rather than the whole picture.

    Returns:
        A float32 tensor of shape (1, 3, size, size).

    Example:
        >>> x = imagenet_preprocess(np.full((30, 40, 3), 0.5), size=8)
        >>> x.shape, x.dtype
        (torch.Size([1, 3, 8, 8]), torch.float32)
        >>> [round(v, 4) for v in x[0, :, 0, 0].tolist()]
        [0.0655, 0.1964, 0.4178]
    """
    from skimage.transform import resize

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(
            f"image must be a colour photograph of shape (H, W, 3); got shape {image.shape}"
            + ("; for a grey image use np.stack([image] * 3, axis=-1)" if image.ndim == 2 else "")
        )
    if image.dtype.kind not in "fiub" or image.size == 0:
        raise ValueError(f"image must be a non-empty numeric array; got dtype {image.dtype}, shape {image.shape}")
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    low, high = float(image.min()), float(image.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"image values must lie in [0, 1]; got values from {low:g} to {high:g}"
            + (" (for uint8 pixels divide by 255)" if high <= 255 and low >= 0 else "")
        )
    image = image.astype(np.float64)
    if crop:
        h, w = image.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        image = image[top : top + side, left : left + side]
    image = resize(image, (size, size, 3), anti_aliasing=True)
    image = (image - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    return torch.from_numpy(image.transpose(2, 0, 1)[None].astype(np.float32))


def denormalise(x: torch.Tensor | np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Undo a per-channel ``(image - mean) / std`` normalisation: an (H, W, 3) array clipped to [0, 1].

    Shared by :func:`imagenet_deprocess` and EfficientNet-Lite's deprocessing, which differ only in
    ``mean`` and ``std``.

    Args:
        x: shape (1, 3, H, W) or (3, H, W).
        mean, std: the three channel means and standard deviations the input was normalised with.
    """
    arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3 or arr.shape[0] != 3:
        raise ValueError(f"x must have shape (1, 3, H, W) or (3, H, W); got {arr.shape}")
    image = arr.transpose(1, 2, 0) * np.array(std) + np.array(mean)
    return np.clip(image, 0.0, 1.0)


def imagenet_deprocess(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Undo the normalisation of :func:`imagenet_preprocess`, for showing the network's input.

    Args:
        x: shape (1, 3, H, W) or (3, H, W).

    Returns:
        An (H, W, 3) float array, clipped to [0, 1].

    Example:
        >>> image = np.random.default_rng(0).uniform(size=(8, 8, 3))
        >>> bool(np.allclose(imagenet_deprocess(imagenet_preprocess(image, size=8, crop=False)), image, atol=0.2))
        True
    """
    return denormalise(x, IMAGENET_MEAN, IMAGENET_STD)


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet class names, in the order of VGG16's outputs (from torchvision, offline).

    Example:
        >>> categories = imagenet_categories()
        >>> len(categories), categories[281], categories[285]
        (1000, 'tabby', 'Egyptian cat')
    """
    from torchvision.models import VGG16_Weights

    return list(VGG16_Weights.IMAGENET1K_V1.meta["categories"])


class Prediction(NamedTuple):
    """One of the top classes: its index, its ImageNet name and its softmax probability."""

    index: int  # type: ignore[assignment]  # a field named like tuple.index, as Keras's decode_predictions
    category: str
    probability: float


def decode_predictions(logits: torch.Tensor | np.ndarray, top: int = 5) -> list[list[Prediction]]:
    """The ``top`` most probable ImageNet classes of each image, as Keras's ``decode_predictions``.

    The logits ``z`` are turned into probabilities with the softmax,
    :math:`p_k = e^{z_k} / \\sum_j e^{z_j}`, which Keras's ``predictions`` layer includes and
    torchvision's leaves out.

    Args:
        logits: shape (N, 1000), or (1000,) for one image.
        top: how many classes to return per image.

    Returns:
        One list per image of ``top`` :class:`Prediction` tuples, most probable first.

    Example:
        >>> logits = torch.zeros(1, 1000)
        >>> logits[0, 281], logits[0, 285] = 10.0, 9.0
        >>> [(p.index, p.category, round(p.probability, 3)) for p in decode_predictions(logits, top=2)[0]]
        [(281, 'tabby', 0.708), (285, 'Egyptian cat', 0.26)]
    """
    z = torch.as_tensor(np.asarray(logits) if not isinstance(logits, torch.Tensor) else logits).detach().float().cpu()
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != 1000:
        raise ValueError(f"logits must have shape (N, 1000) or (1000,); got {tuple(np.shape(logits))}")
    if not isinstance(top, (int, np.integer)) or not 1 <= top <= 1000:
        raise ValueError(f"top must be an int from 1 to 1000; got {top!r}")
    categories = imagenet_categories()
    probabilities = torch.softmax(z, dim=1)
    values, indices = probabilities.topk(int(top), dim=1)
    return [
        [Prediction(int(i), categories[int(i)], float(p)) for p, i in zip(row_p, row_i)]
        for row_p, row_i in zip(values.tolist(), indices.tolist())
    ]


@dataclass(frozen=True)
class WeightsInfo:
    """What one set of a model's ImageNet weights is, expects and gives (torchvision's ``Weights`` meta).

    Attributes:
        file_name: the weights file.
        sha256: the file's SHA-256 in hex, or its first digits where only they are published
            (torchvision's file names carry the first 8).
        source: where the file comes from: a URL, or the pip package that ships it.
        preprocess: photograph (H, W, 3) in [0, 1] -> the network's input, (1, 3, 224, 224).
        deprocess: the network's input -> an (H, W, 3) image in [0, 1], for showing it.
        top1: published top-1 accuracy on the ImageNet validation set, in percent.
        top5: published top-5 accuracy in percent, or None where none is published.
        accuracy_source: where the accuracies are published.
        categories: the class names of the outputs, in order (loaded when called).

    Example:
        >>> from cnnkit.models.vgg16 import VGG16_IMAGENET
        >>> VGG16_IMAGENET.file_name, VGG16_IMAGENET.top1, len(VGG16_IMAGENET.categories())
        ('vgg16-397923af.pth', 71.592, 1000)
    """

    file_name: str
    sha256: str
    source: str
    preprocess: Callable[[np.ndarray], torch.Tensor]
    deprocess: Callable[[torch.Tensor | np.ndarray], np.ndarray]
    top1: float
    top5: float | None
    accuracy_source: str
    categories: Callable[[], list[str]]
