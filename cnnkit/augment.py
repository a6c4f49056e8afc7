"""Seeded data augmentation for image tensors.

Data augmentation trains a network on randomly altered copies of its training images (cropped,
shifted, flipped, rotated, recoloured), so that it learns to ignore changes that do not alter
the label. Two ways are provided:

- :func:`augmentation` builds a ``torchvision.transforms.v2`` pipeline (the same classes a
  reader would use in practice), and :func:`augment` applies it to each image of a batch with
  its *own* random draw, reproducibly: each image's random numbers come from a seed drawn from
  an explicit ``torch.Generator``, and the global random state is left untouched.
- :class:`RandomShift` is a fast, vectorised random crop with zero padding (what
  ``v2.RandomCrop(size, padding=p)`` does to each image), for use inside a training loop:
  it has the ``transform(batch, generator)`` signature of :func:`cnnkit.train.fit`.

:func:`shift_digits` moves images by a fixed number of pixels, to test how robust a trained
network is to translation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:  # torchvision is imported when a pipeline is built, not when cnnkit is
    from torchvision.transforms import v2

__all__ = ["augmentation", "augment", "RandomShift", "random_shift", "shift_digits", "as_tensor_image"]


def as_tensor_image(image: np.ndarray) -> torch.Tensor:
    """A numpy image, (H, W) or (H, W, C) as :func:`cnnkit.data.load_image` returns it, as a
    float32 tensor (C, H, W), the layout torchvision's transforms expect.

    Example:
        >>> as_tensor_image(np.zeros((4, 5, 3))).shape
        torch.Size([3, 4, 5])
        >>> as_tensor_image(np.zeros((4, 5))).shape
        torch.Size([1, 4, 5])
    """
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3:
        array = np.moveaxis(array, -1, 0)
    else:
        raise ValueError(f"image must have shape (H, W) or (H, W, C); got {array.shape}")
    return torch.from_numpy(np.ascontiguousarray(array))


def augmentation(
    size: int | tuple[int, int] | None = None,
    padding: int = 0,
    flip: bool = False,
    rotation: float = 0.0,
    brightness: float = 0.0,
    contrast: float = 0.0,
    saturation: float = 0.0,
    hue: float = 0.0,
) -> v2.Compose:
    """A ``torchvision.transforms.v2`` pipeline: random crop, flip, rotation, colour jitter.

    Each step is included only when its argument asks for it, in this order:

    - ``v2.RandomCrop(size, padding=padding)``: a random ``size`` window of the image after
      ``padding`` zeros have been added on every side (``size=None`` keeps the image's own
      size, so only ``padding`` > 0 makes it a random shift of up to ``padding`` pixels);
    - ``v2.RandomHorizontalFlip()``: a mirror image half of the time (wrong for digits!);
    - ``v2.RandomRotation(rotation)``: an angle drawn uniformly from [-rotation, rotation] degrees;
    - ``v2.ColorJitter(brightness, contrast, saturation, hue)``: random factors near 1 for the
      first three, a shift of the hue by up to ``hue`` (<= 0.5) of a full turn. Saturation and
      hue need 3-channel images.

    Returns:
        A ``v2.Compose`` (holding ``v2.Identity()`` when no step is asked for); call it on a
        (C, H, W) tensor, or use :func:`augment` for a batch.

    Example:
        >>> t = augmentation(size=24, flip=True, rotation=10)
        >>> [type(step).__name__ for step in t.transforms]
        ['RandomCrop', 'RandomHorizontalFlip', 'RandomRotation']
    """
    from torchvision.transforms import v2

    if padding < 0:
        raise ValueError(f"padding must be >= 0; got {padding}")
    if rotation < 0:
        raise ValueError(f"rotation must be >= 0 degrees (angles are drawn from [-rotation, rotation]); got {rotation}")
    steps = []
    if size is not None or padding > 0:
        steps.append(_SameSizeRandomCrop(padding) if size is None else v2.RandomCrop(size, padding=padding))
    if flip:
        steps.append(v2.RandomHorizontalFlip())
    if rotation > 0:
        steps.append(v2.RandomRotation(rotation))
    if brightness or contrast or saturation or hue:
        steps.append(v2.ColorJitter(brightness=brightness, contrast=contrast, saturation=saturation, hue=hue))
    return v2.Compose(steps or [v2.Identity()])


class _SameSizeRandomCrop(torch.nn.Module):
    """``v2.RandomCrop`` whose size is the input's own size (decided when it is called)."""

    def __init__(self, padding: int):
        super().__init__()
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from torchvision.transforms import v2

        return v2.RandomCrop(tuple(x.shape[-2:]), padding=self.padding)(x)


def augment(
    images: torch.Tensor,
    transform: Callable[[torch.Tensor], torch.Tensor],
    generator: torch.Generator | None = None,
    seed: int | None = None,
) -> torch.Tensor:
    """Apply ``transform`` to every image of a batch, each with its own random draw, reproducibly.

    torchvision's random transforms draw from torch's global random generator, and a v2
    transform given a whole batch draws *once* for all of it. Here each image gets its own seed,
    drawn from ``generator`` (or from a generator seeded with ``seed``), and the transform runs
    under ``torch.random.fork_rng``, so the global random state is the same afterwards.

    Args:
        images: a batch (N, C, H, W), or a single image (C, H, W).
        transform: a callable on one (C, H, W) tensor, e.g. from :func:`augmentation`.
        generator: where the per-image seeds come from.
        seed: used when ``generator`` is None (default 0).

    Returns:
        The transformed images, stacked (they must all come out the same size).

    Example:
        >>> x = torch.arange(16.0).reshape(1, 1, 4, 4).repeat(3, 1, 1, 1)
        >>> t = augmentation(padding=1)
        >>> a, b = augment(x, t, seed=1), augment(x, t, seed=1)
        >>> torch.equal(a, b), a.shape
        (True, torch.Size([3, 1, 4, 4]))
    """
    if images.dim() not in (3, 4):
        raise ValueError(f"images must have shape (C, H, W) or (N, C, H, W); got {tuple(images.shape)}")
    single = images.dim() == 3
    batch = images[None] if single else images
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
    seeds = torch.randint(0, 2**62, (len(batch),), generator=generator).tolist()
    out = []
    with torch.random.fork_rng(devices=[]):
        for image, s in zip(batch, seeds):
            torch.manual_seed(s)
            out.append(transform(image))
    result = torch.stack(out)
    return result[0] if single else result


def _shift_index(size: int, shift: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Source indices (clamped) and validity mask for ``out[i] = in[i - shift]`` along one axis."""
    src = torch.arange(size)[None, :] - shift[:, None]
    valid = (src >= 0) & (src < size)
    return src.clamp(0, size - 1), valid


def _shift(x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    n, _, h, w = x.shape
    rows, row_ok = _shift_index(h, dy)  # (N, H)
    cols, col_ok = _shift_index(w, dx)  # (N, W)
    batch = torch.arange(n)[:, None, None]
    out = x.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    mask = (row_ok[:, :, None] & col_ok[:, None, :])[:, None].to(x.dtype)
    return out * mask


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shift each image by its own random whole number of pixels, filling with zeros.

    Each image is moved by ``(dx, dy)``, each drawn uniformly from ``-max_shift .. max_shift``.
    This is exactly a random crop of the image's own size from the image padded by
    ``max_shift`` zeros on every side, i.e. ``v2.RandomCrop((H, W), padding=max_shift)``, but for
    a whole batch at once.

    Args:
        x: batch (N, C, H, W).
        max_shift: the largest shift, in pixels.
        generator: source of the random shifts.

    Returns:
        A tensor of the same shape.

    Example:
        >>> x = torch.zeros(2, 1, 5, 5); x[:, :, 2, 2] = 1
        >>> y = random_shift(x, 1, torch.Generator().manual_seed(0))
        >>> y.sum(dim=(1, 2, 3)).tolist()   # the pixel moved but stayed inside
        [1.0, 1.0]
    """
    if x.dim() != 4:
        raise ValueError(f"x must be a batch of shape (N, C, H, W); got {tuple(x.shape)}")
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    if max_shift == 0:
        return x.clone()
    d = torch.randint(-max_shift, max_shift + 1, (2, len(x)), generator=generator)
    return _shift(x, d[0], d[1])


class RandomShift:
    """:func:`random_shift` as a training-time transform: ``RandomShift(2)(batch, generator)``.

    Pass it to :func:`cnnkit.train.fit` as ``transform=RandomShift(2)``; fit hands it its
    seeded generator, so augmented training runs are reproducible.
    """

    def __init__(self, max_shift: int):
        if not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
        self.max_shift = max_shift

    def __call__(self, batch: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return random_shift(batch, self.max_shift, generator)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift})"


def shift_digits(x: np.ndarray | torch.Tensor, dx: int, dy: int) -> np.ndarray | torch.Tensor:
    """Move every image ``dx`` pixels to the right and ``dy`` pixels down, filling with zeros.

    Negative values move left and up. Pixels pushed past the border are lost.

    Args:
        x: images (..., H, W): one image, a batch (N, H, W) or (N, C, H, W), numpy or torch.
        dx: horizontal shift in pixels (positive: right).
        dy: vertical shift in pixels (positive: down).

    Returns:
        The same type and shape as ``x``.

    Example:
        >>> shift_digits(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), dx=1, dy=-1)
        array([[0, 4, 5],
               [0, 7, 8],
               [0, 0, 0]])
    """
    for name, value in (("dx", dx), ("dy", dy)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a whole number of pixels (an int); got {value!r}")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 axes (..., H, W); got shape {tuple(x.shape)}")
    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))
    batch = t.reshape(-1, 1, *t.shape[-2:])  # every image of every leading axis, one channel each
    shifts = torch.full((len(batch),), 1, dtype=torch.long)
    out = _shift(batch, shifts * int(dx), shifts * int(dy)).reshape(t.shape)
    return out if isinstance(x, torch.Tensor) else out.numpy()
