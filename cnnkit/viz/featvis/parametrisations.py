"""Parametrisations of the image: what the optimiser of feature visualisation actually changes.

:class:`PixelImage` (the pixels themselves, optionally clipped to [0, 1] after every step or
passed through a sigmoid) or :class:`FourierImage` (a spectrum scaled by ``1/f`` with
decorrelated colours, then a sigmoid; Olah et al. 2017); :func:`image_param` picks one by name,
and :func:`fraction_out_of_range` says how many pixels left the valid range.
:class:`StackedImages` puts several parametrisations in one batch (to compare them under the
same random transformations), and :func:`colour_share` measures how colourful images are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from cnnkit._checks import check_choice

__all__ = [
    "PixelImage",
    "FourierImage",
    "StackedImages",
    "image_param",
    "fraction_out_of_range",
    "colour_share",
    "IMAGENET_COLOUR_SQRT",
]


def _generator(seed: int | torch.Generator) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        return seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or a torch.Generator; got {seed!r}")
    return torch.Generator().manual_seed(seed)


def _shape(shape: Sequence[int]) -> tuple[int, int, int, int]:
    if len(shape) != 4 or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(f"shape must be four positive ints (N, C, H, W); got {tuple(shape)!r}")
    return tuple(shape)  # type: ignore[return-value]


PIXEL_BOUNDS = (None, "clip", "sigmoid")


class PixelImage(nn.Module):
    """The plainest parametrisation: the optimiser changes the pixels themselves.

    The image starts as ``mean + sd * noise``. With ``bound=None`` nothing keeps it in range or
    smooth; this is what the Keras blog's gradient ascent does (Chollet 2016), and after a few
    steps many pixels lie outside [0, 1], values no photograph has. Two honest fixes:

    - ``bound="clip"``: projected gradient ascent. After every optimiser step
      :func:`visualise` calls :meth:`constrain_`, which clips the pixels to [0, 1] (the start
      image is clipped too). Pixels pushed against a bound stay there.
    - ``bound="sigmoid"``: the optimiser changes ``u`` and the image is ``sigmoid(u)``, always in
      (0, 1); ``u`` starts at the logit of the (clipped) noise image, so the start image is the
      same. A pixel near 0 or 1 moves slowly, since the sigmoid is flat there.

    Args:
        shape: (N, C, H, W).
        sd: standard deviation of the initial noise.
        mean: grey level the noise is added to.
        seed: seed (or a ``torch.Generator``) for the initial noise.
        bound: ``None``, ``"clip"`` or ``"sigmoid"``.

    Shape:
        ``forward()`` returns (N, C, H, W).

    Example:
        >>> p = PixelImage((2, 1, 8, 8), sd=0.1, seed=0)
        >>> p().shape, round(float(p().detach().mean()), 1)
        (torch.Size([2, 1, 8, 8]), 0.5)
        >>> wild = PixelImage((1, 1, 8, 8), sd=2.0, seed=0, bound="clip")
        >>> float(wild().detach().min()), float(wild().detach().max())
        (0.0, 1.0)
        >>> s = PixelImage((1, 1, 8, 8), sd=0.1, seed=0, bound="sigmoid")
        >>> torch.allclose(s(), p()[:1], atol=1e-5)
        True
    """

    def __init__(
        self,
        shape: Sequence[int],
        sd: float = 0.1,
        mean: float = 0.5,
        seed: int | torch.Generator = 0,
        bound: str | None = None,
    ):
        super().__init__()
        check_choice(bound, PIXEL_BOUNDS, "bound", caller="PixelImage")
        n, c, h, w = _shape(shape)
        noise = torch.randn(n, c, h, w, generator=_generator(seed))
        start = mean + sd * noise
        self.bound = bound
        if bound == "clip":
            start = start.clamp(0.0, 1.0)
        elif bound == "sigmoid":
            start = torch.logit(start.clamp(1e-3, 1 - 1e-3))
        self.pixels = nn.Parameter(start)

    def forward(self) -> torch.Tensor:
        return torch.sigmoid(self.pixels) if self.bound == "sigmoid" else self.pixels

    def constrain_(self) -> None:
        """Clip the pixels to [0, 1] in place when ``bound="clip"``; otherwise do nothing."""
        if self.bound == "clip":
            with torch.no_grad():
                self.pixels.clamp_(0.0, 1.0)


def fraction_out_of_range(images: torch.Tensor | np.ndarray, low: float = 0.0, high: float = 1.0) -> float:
    """The fraction of values below ``low`` or above ``high``: how many pixels left the valid range.

    Example:
        >>> fraction_out_of_range(np.array([-0.1, 0.0, 0.5, 1.0, 1.2]))
        0.4
    """
    arr = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if arr.size == 0:
        raise ValueError("images must contain at least one value")
    return float(np.mean((arr < low) | (arr > high)))


def colour_share(images: torch.Tensor | np.ndarray) -> float:
    """The share of the images' variation that is colour rather than brightness.

    Each image's mean colour is removed; what remains is split, pixel by pixel, into its grey
    part (the mean of the channels) and its colour part (each channel minus that mean). The
    result is the sum of squares of the colour parts over the sum of squares of the whole,
    for the whole batch: 0 for grey images, larger for images whose pixels differ mostly in
    hue; photographs, whose red, green and blue rise and fall together, score low.

    Args:
        images: (N, C, H, W) with C = 3 (torch or numpy).

    Returns:
        A float in [0, 1].

    Example:
        >>> grey = np.random.default_rng(0).random((2, 1, 4, 4)).repeat(3, axis=1)
        >>> round(colour_share(grey), 12)
        0.0
        >>> x = np.zeros((1, 3, 1, 2)); x[0, 0, 0, 1] = 1.0  # one pixel turns red
        >>> round(colour_share(x), 4)
        0.6667
    """
    arr = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if arr.ndim != 4 or arr.shape[1] != 3:
        raise ValueError(f"colour_share: images must have shape (N, 3, H, W); got {arr.shape}")
    centred = arr.astype(np.float64) - arr.mean(axis=(2, 3), keepdims=True)
    total = float((centred**2).sum())
    if total == 0:
        return 0.0
    colour = centred - centred.mean(axis=1, keepdims=True)
    return float((colour**2).sum()) / total


#: Square root of the colour covariance of ImageNet photographs, ``U sqrt(S)`` from the SVD
#: ``Sigma = U S U^T`` of the RGB covariance, as estimated by the Lucid library (Olah et al.
#: 2017). Its first column is (almost) luminance. It is ``U sqrt(S)``: a vector of three uncorrelated,
#: unit-variance numbers times this matrix is a colour with the photographs' covariance.
IMAGENET_COLOUR_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))


FOURIER_BOUNDS = ("sigmoid", "clip")


class FourierImage(nn.Module):
    """A decorrelated parametrisation: a scaled Fourier spectrum, decorrelated colours, a sigmoid.

    Natural images have most of their energy at low spatial frequencies (amplitude roughly
    ``1/f``), and their colour channels are strongly correlated. Plain pixel gradients are
    dominated by high frequencies, which is why naive gradient ascent produces noise. Olah et
    al. (2017) let the optimiser change instead:

    1. a complex spectrum ``Z`` of shape (N, C, H, W//2 + 1), turned into an image by
       ``torch.fft.irfft2(Z * s, norm="ortho")`` with ``s(f) = 1 / max(f, 1/max(H, W))^decay_power``
       (normalised so that the image's pixels have standard deviation about ``sd``), so that one step changes low frequencies more
       than high ones and the coordinates are roughly uncorrelated ("whitened");
    2. for three channels, a linear map by :data:`IMAGENET_COLOUR_SQRT` (divided by its largest
       column norm), which turns uncorrelated channels into correlated RGB;
    3. a sigmoid, which keeps every pixel in (0, 1).

    Each of the three can be switched off on its own, to measure what it does:
    ``decay_power=0`` (no ``1/f`` scaling: every frequency gets the same weight, so the
    spectrum is just another basis of the pixels), ``decorrelate=False`` (the channels are used as R, G, B directly) and
    ``bound="clip"``: instead of the sigmoid, its tangent at 0 clipped to [0, 1],
    ``clamp(0.5 + x / 4, 0, 1)``, which agrees with ``sigmoid(x)`` near grey and cuts off at
    the bounds (a clipped pixel gets no gradient).

    Args:
        shape: (N, C, H, W).
        sd: standard deviation of the initial spectrum, and so of the image before the colour
            map and the sigmoid. Lucid starts from 0.01, an almost flat grey; the default 0.5
            starts from a visible random texture, so that a channel after a ReLU is positive
            somewhere (a channel that is zero everywhere has zero gradient and never moves).
        decay_power: exponent of the ``1/f`` scaling; 0 means no scaling.
        decorrelate: apply the colour decorrelation (only for C = 3).
        color_sqrt: the (3, 3) colour matrix; default :data:`IMAGENET_COLOUR_SQRT`.
        seed: seed (or a ``torch.Generator``) for the initial spectrum.
        bound: ``"sigmoid"`` (the default) or ``"clip"``, how the values are kept in range.

    Shape:
        ``forward()`` returns (N, C, H, W) with values in (0, 1) (in [0, 1] with ``"clip"``).

    Example:
        >>> p = FourierImage((2, 3, 16, 12), seed=0)
        >>> img = p()
        >>> img.shape, bool(img.min() > 0), bool(img.max() < 1)
        (torch.Size([2, 3, 16, 12]), True, True)
        >>> p.spectrum.shape
        torch.Size([2, 3, 16, 7, 2])
        >>> clipped = FourierImage((2, 3, 16, 12), seed=0, bound="clip")()
        >>> bool((clipped - img).abs().max() < 0.02)  # near grey the two agree
        True
    """

    scale: torch.Tensor
    colour: torch.Tensor

    def __init__(
        self,
        shape: Sequence[int],
        sd: float = 0.5,
        decay_power: float = 1.0,
        decorrelate: bool = True,
        color_sqrt: Sequence[Sequence[float]] | np.ndarray | None = None,
        seed: int | torch.Generator = 0,
        bound: str = "sigmoid",
    ):
        super().__init__()
        check_choice(bound, FOURIER_BOUNDS, "bound", caller="FourierImage")
        self.bound = bound
        n, c, h, w = _shape(shape)
        self.size = (h, w)
        fy = torch.fft.fftfreq(h)[:, None]

        def one_over_f(fx: torch.Tensor) -> torch.Tensor:
            return 1.0 / torch.clamp(torch.sqrt(fx**2 + fy**2), min=1.0 / max(h, w)) ** decay_power

        # Normalised over the full (two-sided) spectrum: each complex coefficient carries
        # variance 2 sd^2, so the pixels of the linear image have standard deviation about sd.
        full = one_over_f(torch.fft.fftfreq(w)[None, :])
        scale = one_over_f(torch.fft.rfftfreq(w)[None, :]) / (2 * full.pow(2).mean()).sqrt()
        self.register_buffer("scale", scale[None, None, :, :, None])
        self.spectrum = nn.Parameter(sd * torch.randn(n, c, h, w // 2 + 1, 2, generator=_generator(seed)))
        self.decorrelate = bool(decorrelate and c == 3)
        if self.decorrelate:
            m = torch.tensor(
                np.asarray(IMAGENET_COLOUR_SQRT if color_sqrt is None else color_sqrt), dtype=torch.float32
            )
            if m.shape != (3, 3):
                raise ValueError(f"color_sqrt must be a (3, 3) matrix; got shape {tuple(m.shape)}")
            self.register_buffer("colour", m / m.norm(dim=0).max())

    def linear_image(self) -> torch.Tensor:
        """The image before the colour map and the sigmoid, (N, C, H, W)."""
        z = torch.view_as_complex((self.spectrum * self.scale).contiguous())
        return torch.fft.irfft2(z, s=self.size, norm="ortho")

    def forward(self) -> torch.Tensor:
        x = self.linear_image()
        if self.decorrelate:
            x = torch.einsum("rc,nchw->nrhw", self.colour, x)
        if self.bound == "clip":
            return torch.clamp(0.5 + 0.25 * x, 0.0, 1.0)  # the sigmoid's tangent at 0, clipped
        return torch.sigmoid(x)


class StackedImages(nn.Module):
    """Several parametrisations side by side, as one batch: their images concatenated.

    :func:`~cnnkit.viz.featvis.visualise` draws one random transformation per step for the
    whole batch, so the parts of a stack see the same transformations at every step; with the
    same seed for every part they also start from the same spectra or pixels. A stack of
    variants that differ in one setting each (an ablation) is then one run, and any difference
    between their images comes from that setting. Adam and the normalised step act on every
    parameter separately, so a part's images are those it would get alone with the same
    transformations.

    Args:
        *parts: parametrisation modules (each ``forward()`` returns (N_i, C, H, W)).

    Shape:
        ``forward()`` returns (sum of N_i, C, H, W), the parts in order.

    Example:
        >>> stack = StackedImages(FourierImage((2, 3, 8, 8), seed=0), FourierImage((2, 3, 8, 8), seed=0, decorrelate=False))
        >>> stack().shape
        torch.Size([4, 3, 8, 8])
    """

    def __init__(self, *parts: nn.Module):
        super().__init__()
        if not parts:
            raise ValueError("StackedImages needs at least one parametrisation")
        self.parts = nn.ModuleList(parts)

    def forward(self) -> torch.Tensor:
        return torch.cat([part() for part in self.parts])

    def constrain_(self) -> None:
        """Call ``constrain_`` of every part that has one (a clipped :class:`PixelImage`)."""
        for part in self.parts:
            constrain = getattr(part, "constrain_", None)
            if constrain is not None:
                constrain()


def image_param(kind: str, shape: Sequence[int], seed: int | torch.Generator = 0, **kwargs) -> nn.Module:
    """A parametrisation by name: ``"pixel"`` (:class:`PixelImage`) or ``"fourier"`` (:class:`FourierImage`).

    Example:
        >>> type(image_param("fourier", (1, 3, 8, 8))).__name__
        'FourierImage'
    """
    kinds = {"pixel": PixelImage, "fourier": FourierImage}
    check_choice(kind, tuple(kinds), "kind", caller="image_param")
    return kinds[kind](shape, seed=seed, **kwargs)
