"""Random transforms of feature visualisation, applied before every forward pass, so that the
image has to work when shifted, scaled and rotated a little: :class:`Jitter`,
:class:`RandomScale`, :class:`RandomRotate` (:func:`default_transforms`), and the input
normalisation of ImageNet networks, :class:`ChannelNormalise`.

All transforms are written with indexing and ``torch.gather`` (not ``grid_sample`` or reflection
padding), whose gradients are deterministic on the CPU *and* on CUDA, so that a seeded run gives
the same image twice under ``torch.use_deterministic_algorithms(True)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

__all__ = [
    "Transform",
    "affine_resample",
    "Jitter",
    "RandomScale",
    "RandomRotate",
    "default_transforms",
    "apply_transforms",
    "ChannelNormalise",
]

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _reflect_index(coords: torch.Tensor, size: int) -> torch.Tensor:
    """Fold real pixel coordinates into [0, size - 1] by mirroring at the image's outer edges."""
    period = 2 * size
    c = torch.remainder(coords + 0.5, period)
    c = torch.where(c >= size, period - c, c) - 0.5
    return c.clamp(0, size - 1)


def affine_resample(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Warp images by an affine map about their centre, bilinear, mirrored at the borders.

    Output pixel ``(i, j)`` takes its value from input position ``c + A (p - c) + t``, where
    ``p = (i, j)``, ``c`` is the image centre, and ``matrix`` holds ``[A | t]`` (rows and
    columns in pixels). The value there is interpolated bilinearly from the four nearest
    pixels; positions outside the image are mirrored back in. The same result as
    ``F.grid_sample(padding_mode='reflection', align_corners=False)``, but written with
    ``torch.gather``, whose gradient is deterministic on CUDA too.

    Args:
        x: images, (N, C, H, W).
        matrix: (2, 3) for every image, or (N, 2, 3) one per image.

    Returns:
        Tensor of shape (N, C, H, W).

    Example:
        >>> x = torch.arange(12.0).reshape(1, 1, 3, 4)
        >>> identity = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
        >>> torch.equal(affine_resample(x, identity), x)
        True
        >>> shift = torch.tensor([[1.0, 0, 0], [0, 1.0, 1.0]])   # read one column to the right
        >>> affine_resample(x, shift)[0, 0, 0].tolist()
        [1.0, 2.0, 3.0, 3.0]
    """
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W); got shape {tuple(x.shape)}")
    n, c, h, w = x.shape
    m = matrix.to(dtype=x.dtype, device=x.device)
    if m.shape == (2, 3):
        m = m.expand(n, 2, 3)
    if m.shape != (n, 2, 3):
        raise ValueError(f"matrix must have shape (2, 3) or ({n}, 2, 3); got shape {tuple(matrix.shape)}")
    rows = torch.arange(h, dtype=x.dtype, device=x.device)
    cols = torch.arange(w, dtype=x.dtype, device=x.device)
    ci, cj = (h - 1) / 2, (w - 1) / 2
    pi, pj = torch.meshgrid(rows - ci, cols - cj, indexing="ij")
    p = torch.stack([pi.reshape(-1), pj.reshape(-1)])  # (2, H*W)
    src = m[:, :, :2] @ p + m[:, :, 2:]  # (N, 2, H*W)
    si = _reflect_index(src[:, 0] + ci, h)
    sj = _reflect_index(src[:, 1] + cj, w)
    i0, j0 = si.floor(), sj.floor()
    di, dj = (si - i0)[:, None], (sj - j0)[:, None]
    i0, j0 = i0.long(), j0.long()
    i1, j1 = (i0 + 1).clamp(max=h - 1), (j0 + 1).clamp(max=w - 1)
    flat = x.reshape(n, c, h * w)

    def at(i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        return flat.gather(2, (i * w + j)[:, None, :].expand(n, c, h * w))

    out = (at(i0, j0) * (1 - dj) + at(i0, j1) * dj) * (1 - di) + (at(i1, j0) * (1 - dj) + at(i1, j1) * dj) * di
    return out.reshape(n, c, h, w)


def _choice(values: Sequence[float], generator: torch.Generator) -> float:
    return float(values[int(torch.randint(len(values), (1,), generator=generator))])


class Jitter:
    """Shift the image by a random whole number of pixels in ``-pixels … pixels`` on each axis.

    The image keeps its size: what leaves one side is replaced by the mirror image of the
    border (indexing with ``index_select``, so gradients flow unchanged to the shifted pixels).

    Example:
        >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
        >>> Jitter(1)(x, torch.Generator().manual_seed(0)).shape
        torch.Size([1, 1, 4, 4])
    """

    def __init__(self, pixels: int):
        if not isinstance(pixels, int) or pixels < 0:
            raise ValueError(f"pixels must be a non-negative int; got {pixels!r}")
        self.pixels = pixels

    def __repr__(self) -> str:
        return f"Jitter({self.pixels})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        d = self.pixels
        dy, dx = (int(v) for v in torch.randint(-d, d + 1, (2,), generator=generator))
        h, w = x.shape[-2:]
        rows = _reflect_index(torch.arange(h, dtype=torch.float32) + dy, h).round().long().to(x.device)
        cols = _reflect_index(torch.arange(w, dtype=torch.float32) + dx, w).round().long().to(x.device)
        return x.index_select(-2, rows).index_select(-1, cols)


class RandomScale:
    """Zoom about the centre by a factor drawn from ``scales`` (bilinear; the size is kept).

    Example:
        >>> t = RandomScale([0.9, 1.1])
        >>> t(torch.rand(2, 3, 8, 8), torch.Generator().manual_seed(0)).shape
        torch.Size([2, 3, 8, 8])
    """

    def __init__(self, scales: Sequence[float]):
        scales = [float(s) for s in scales]
        if not scales or min(scales) <= 0:
            raise ValueError(f"scales must be a non-empty list of positive factors; got {scales!r}")
        self.scales = scales

    def __repr__(self) -> str:
        return f"RandomScale({self.scales})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        s = _choice(self.scales, generator)
        return affine_resample(x, torch.tensor([[1 / s, 0.0, 0.0], [0.0, 1 / s, 0.0]]))


class RandomRotate:
    """Rotate about the centre by an angle (in degrees) drawn from ``degrees``; the size is kept.

    Example:
        >>> t = RandomRotate(range(-10, 11))
        >>> t(torch.rand(1, 1, 9, 9), torch.Generator().manual_seed(0)).shape
        torch.Size([1, 1, 9, 9])
    """

    def __init__(self, degrees: Sequence[float]):
        degrees = [float(d) for d in degrees]
        if not degrees:
            raise ValueError("degrees must be a non-empty list of angles")
        self.degrees = degrees

    def __repr__(self) -> str:
        return f"RandomRotate({self.degrees[0]:g} … {self.degrees[-1]:g})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        a = math.radians(_choice(self.degrees, generator))
        cos, sin = math.cos(a), math.sin(a)
        return affine_resample(x, torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]]))


def default_transforms(size: int) -> list[Transform]:
    """Jitter, scale, rotate, jitter: the transforms of Olah et al. (2017), sized for ``size`` pixels.

    The jitter is about 1/28 of the image (8 pixels at 224, 1 at 28); scales 0.9 … 1.1;
    rotations -10 … 10 degrees.

    Example:
        >>> default_transforms(28)
        [Jitter(1), RandomScale([0.9, 0.95, 1.0, 1.05, 1.1]), RandomRotate(-10 … 10), Jitter(1)]
    """
    d = max(1, round(size / 28))
    return [Jitter(d), RandomScale([0.9, 0.95, 1.0, 1.05, 1.1]), RandomRotate(range(-10, 11)), Jitter(max(1, d // 2))]


def apply_transforms(x: torch.Tensor, transforms: Sequence[Transform], generator: torch.Generator) -> torch.Tensor:
    """Apply each transform in turn, drawing its randomness from ``generator``."""
    for t in transforms:
        x = t(x, generator)
    return x


class ChannelNormalise(nn.Module):
    """``(x - mean_c) / std_c`` per channel: the input normalisation of ImageNet networks.

    The parametrisations make images in [0, 1]; a network trained on normalised inputs (VGG16,
    with :data:`cnnkit.models.vgg16.IMAGENET_MEAN` and ``IMAGENET_STD``) gets them through this.

    Example:
        >>> norm = ChannelNormalise((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
        >>> norm(torch.ones(1, 3, 1, 1)).flatten().tolist()
        [2.0, 2.0, 2.0]
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(
                f"mean and std must have one entry per channel and std must be positive; got {mean!r}, {std!r}"
            )
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32)[None, :, None, None])
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32)[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.device)) / self.std.to(x.device)
