"""Feature visualisation: find an input image that makes one filter respond strongly.

Gradient ascent on the input (Erhan et al. 2009; the Keras blog, Chollet 2016; Olah, Mordvintsev
and Schubert 2017) treats the image as the thing to learn and the network as fixed:

.. math::

    x^\\star = \\arg\\max_x \\; \\frac{1}{HW} \\sum_{i,j} a_{c}^{(\\ell)}(x)_{ij},

the mean activation of channel ``c`` of layer ``ell``. Starting from noise, each step
back-propagates the objective to the pixels and moves the image uphill. The same loop
maximises one unit of a dense layer, such as the logit of a class (Simonyan, Vedaldi and
Zisserman 2013), or a *direction* in a layer's channel space rather than one channel.

As in the lucent library, the method is assembled from small, replaceable parts:

- an **objective**, parsed from a string such as ``"block4_conv1:12"`` (layer, colon, channel):
  :func:`parse_objective`, :class:`ChannelObjective`; or a weighted sum of channels,
  :class:`DirectionObjective` (with :func:`random_directions`);
- a **parametrisation** of the image, i.e. what the optimiser actually changes:
  :class:`PixelImage` (the pixels themselves, optionally clipped to [0, 1] after every step or
  passed through a sigmoid) or :class:`FourierImage` (a spectrum scaled by ``1/f`` with
  decorrelated colours, then a sigmoid; Olah et al. 2017); :func:`fraction_out_of_range` says
  how many pixels left the valid range;
- a list of **random transforms** applied before every forward pass, so that the image has to
  work when shifted, scaled and rotated a little: :class:`Jitter`, :class:`RandomScale`,
  :class:`RandomRotate`;
- an **optimiser loop** with a seed: :func:`visualise`. It optimises a whole grid of filters as
  one batch: batch element ``b`` maximises objective ``b``.

All transforms are written with indexing and ``torch.gather`` (not ``grid_sample`` or reflection
padding), whose gradients are deterministic on the CPU *and* on CUDA, so that a seeded run gives
the same image twice under ``torch.use_deterministic_algorithms(True)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Union

import numpy as np
import torch
from torch import nn

from cnnkit.models.named import unknown_layer_error

__all__ = [
    "normalised_step",
    "ChannelObjective",
    "DirectionObjective",
    "random_directions",
    "parse_objective",
    "layer_channels",
    "PixelImage",
    "FourierImage",
    "image_param",
    "fraction_out_of_range",
    "IMAGENET_COLOUR_SQRT",
    "colour_correlation_sqrt",
    "affine_resample",
    "Jitter",
    "RandomScale",
    "RandomRotate",
    "default_transforms",
    "apply_transforms",
    "ChannelNormalise",
    "FeatureVisualisation",
    "visualise",
    "visualise_layers",
    "objective_values",
]

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]

_SPEC = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*:\s*(-?\d+)\s*$")


# --------------------------------------------------------------------------------------------
# Objectives
# --------------------------------------------------------------------------------------------


def _check_activation(activation: torch.Tensor, objective: str) -> None:
    if activation.ndim not in (2, 4):
        raise ValueError(
            f"the activation for objective {objective!r} must have shape (N, C, H, W) (a convolutional "
            f"layer) or (N, C) (a dense layer such as the logits); got shape {tuple(activation.shape)}"
        )


@dataclass(frozen=True)
class ChannelObjective:
    """The mean activation of one channel of one layer, ``"layer:channel"``.

    Calling it on an activation of shape (N, C, H, W) returns the per-example objective, shape
    (N,): ``activation[:, channel].mean((1, 2))``. On the output of a dense layer, shape (N, C),
    it is the unit itself, ``activation[:, channel]``: ``"predictions:285"`` is the logit of
    ImageNet class 285. Calling it with ``batch_index=b`` returns the objective of example
    ``b`` only (a 0-d tensor).

    Example:
        >>> obj = ChannelObjective("block1_conv1", 1)
        >>> str(obj)
        'block1_conv1:1'
        >>> act = torch.arange(16.0).reshape(1, 4, 2, 2)
        >>> obj(act).tolist()
        [5.5]
        >>> ChannelObjective("predictions", 2)(torch.tensor([[0.5, 1.0, 4.0]])).tolist()
        [4.0]
    """

    layer: str
    channel: int

    def __str__(self) -> str:
        return f"{self.layer}:{self.channel}"

    def check_channels(self, channels: int) -> None:
        """Raise a ValueError naming the valid range when the layer has ``channels`` channels."""
        if not 0 <= self.channel < channels:
            raise ValueError(
                f"channel {self.channel} is out of range for layer {self.layer!r}, which has "
                f"{channels} channels (valid: 0 … {channels - 1}); got objective {str(self)!r}"
            )

    def weights(self, channels: int) -> torch.Tensor:
        """The objective as a weight per channel, shape (channels,): one-hot at ``channel``."""
        self.check_channels(channels)
        w = torch.zeros(channels)
        w[self.channel] = 1.0
        return w

    def __call__(self, activation: torch.Tensor, batch_index: int | None = None) -> torch.Tensor:
        _check_activation(activation, str(self))
        self.check_channels(activation.shape[1])
        values = activation[:, self.channel].reshape(len(activation), -1).mean(dim=1)
        return values if batch_index is None else values[batch_index]


@dataclass(frozen=True)
class DirectionObjective:
    """The mean, over positions, of a weighted sum of channels: a direction in channel space.

    At every position ``(i, j)`` a layer's output is a vector ``a_ij`` with one entry per
    channel; the objective is the mean of its projection on the direction ``v``,

    .. math::

        L(x) = \\frac{1}{HW} \\sum_{i,j} v^\\top a_{ij}(x) = \\frac{1}{HW} \\sum_{i,j} \\sum_c v_c\\, a_c(x)_{ij}.

    A :class:`ChannelObjective` is the special case of a one-hot ``v`` (a basis direction).
    For values comparable between directions, give unit vectors (:func:`random_directions`).

    Args:
        layer: the layer's name.
        direction: the C weights ``v_c`` (a sequence of floats; stored as a tuple).
        name: how the objective is written after the colon in ``str(obj)``.

    Example:
        >>> obj = DirectionObjective("block4c", (0.6, 0.0, -0.8), name="v0")
        >>> str(obj)
        'block4c:v0'
        >>> act = torch.ones(2, 3, 4, 4)
        >>> [round(v, 6) for v in obj(act).tolist()]
        [-0.2, -0.2]
    """

    layer: str
    direction: tuple[float, ...]
    name: str = "direction"

    def __post_init__(self) -> None:
        values = tuple(float(v) for v in np.asarray(self.direction, dtype=np.float64).reshape(-1))
        if not values or not all(math.isfinite(v) for v in values):
            raise ValueError(f"direction must be a non-empty sequence of finite numbers; got {self.direction!r}")
        object.__setattr__(self, "direction", values)

    def __str__(self) -> str:
        return f"{self.layer}:{self.name}"

    def check_channels(self, channels: int) -> None:
        """Raise a ValueError unless the direction has one weight per channel."""
        if len(self.direction) != channels:
            raise ValueError(
                f"direction {str(self)!r} has {len(self.direction)} weights, but layer {self.layer!r} has "
                f"{channels} channels; give one weight per channel"
            )

    def weights(self, channels: int) -> torch.Tensor:
        """The weights ``v``, shape (channels,)."""
        self.check_channels(channels)
        return torch.tensor(self.direction, dtype=torch.float32)

    def __call__(self, activation: torch.Tensor, batch_index: int | None = None) -> torch.Tensor:
        _check_activation(activation, str(self))
        w = self.weights(activation.shape[1]).to(activation)
        values = torch.einsum("c,nc...->n...", w, activation).reshape(len(activation), -1).mean(dim=1)
        return values if batch_index is None else values[batch_index]


def random_directions(n: int, channels: int, seed: int = 0) -> np.ndarray:
    """``n`` random unit vectors in a space of ``channels`` dimensions, uniform on the sphere.

    Each is a vector of independent standard normal numbers divided by its length (drawn with
    ``numpy.random.default_rng(seed)``), so no direction, and no channel, is preferred.

    Returns:
        Array of shape (n, channels), each row of length 1.

    Example:
        >>> v = random_directions(3, 5, seed=0)
        >>> v.shape, np.allclose(np.linalg.norm(v, axis=1), 1)
        ((3, 5), True)
    """
    if not isinstance(n, int) or n < 1 or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"n and channels must be positive ints; got n={n!r}, channels={channels!r}")
    v = np.random.default_rng(seed).normal(size=(n, channels))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


Objective = Union[str, ChannelObjective, DirectionObjective]


def parse_objective(spec: Objective, model: nn.Module | None = None) -> ChannelObjective:
    """Parse ``"layer:channel"`` into a :class:`ChannelObjective`, checking it against a model.

    Args:
        spec: a string such as ``"block1_conv2:5"``, or an objective (a
            :class:`ChannelObjective` or :class:`DirectionObjective`, returned as it is, but
            still checked).
        model: optional; a network with ``layer_names()`` (cnnkit's ``NamedLayersMixin``). When
            given, the layer must be one of its names and the channel must exist
            (see :func:`layer_channels`).

    Returns:
        The objective.

    Raises:
        ValueError: a string not of the form ``layer:channel``, or a channel out of range.
        KeyError: a layer the model does not have; the message lists the valid names.

    Example:
        >>> parse_objective("block4_conv1:12")
        ChannelObjective(layer='block4_conv1', channel=12)
        >>> parse_objective("block4_conv1")
        Traceback (most recent call last):
        ...
        ValueError: objective must be 'layer:channel', e.g. 'block4_conv1:12'; got 'block4_conv1'
    """
    if isinstance(spec, DirectionObjective):
        if model is not None:
            names = model.layer_names()
            if spec.layer not in names:
                raise unknown_layer_error(spec.layer, names)
            spec.check_channels(layer_channels(model, spec.layer))
        return spec  # type: ignore[return-value]
    if isinstance(spec, ChannelObjective):
        obj = spec
    elif isinstance(spec, str):
        match = _SPEC.match(spec)
        if not match:
            raise ValueError(f"objective must be 'layer:channel', e.g. 'block4_conv1:12'; got {spec!r}")
        obj = ChannelObjective(match.group(1), int(match.group(2)))
    else:
        raise TypeError(f"objective must be a string 'layer:channel' or a ChannelObjective; got {spec!r}")
    if obj.channel < 0:
        raise ValueError(f"channel must be a non-negative int; got {obj.channel} in objective {str(obj)!r}")
    if model is not None:
        names = model.layer_names()
        if obj.layer not in names:
            raise unknown_layer_error(obj.layer, names)
        obj.check_channels(layer_channels(model, obj.layer))
    return obj


def _parse_all(objectives: Sequence[Objective] | Objective, model: nn.Module) -> list:
    """Parse every objective, checking each distinct layer against the model once."""
    if isinstance(objectives, (str, ChannelObjective, DirectionObjective)):
        objectives = [objectives]
    objs = [parse_objective(o) for o in objectives]
    if not objs:
        raise ValueError("objectives must name at least one 'layer:channel'")
    names = model.layer_names()
    counts: dict[str, int] = {}
    for obj in objs:
        if obj.layer not in names:
            raise unknown_layer_error(obj.layer, names)
        if obj.layer not in counts:
            counts[obj.layer] = layer_channels(model, obj.layer)
        obj.check_channels(counts[obj.layer])
    return objs


class _StopForward(Exception):
    """Raised by a hook once every needed activation is recorded, to skip the rest of the net."""


def _input_channels(model: nn.Module) -> int:
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    raise ValueError("model has no nn.Conv2d, so the number of input channels is unknown")


def _device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def layer_channels(model: nn.Module, layer: str, size: int = 32) -> int:
    """Number of channels (or units, for a dense layer) of ``layer``'s output, by one forward pass of a blank image.

    The forward pass stops at ``layer``. The input has as many channels as the model's first
    ``nn.Conv2d`` expects and ``size`` x ``size`` pixels.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> layer_channels(small_vgg(None), "block2_conv1")
        32
    """
    module = model.layer(layer)
    found: list[torch.Tensor] = []

    def hook(_module, _inputs, output):
        found.append(output)
        raise _StopForward

    handle = module.register_forward_hook(hook)
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, _input_channels(model), size, size, device=_device(model)))
    except _StopForward:
        pass
    finally:
        handle.remove()
        model.train(was_training)
    if not found or found[0].ndim not in (2, 4):
        shape = tuple(found[0].shape) if found else None
        raise ValueError(
            f"layer {layer!r} has neither an (N, C, H, W) nor an (N, C) output (got shape {shape}); "
            "pick a convolutional or a dense layer"
        )
    return int(found[0].shape[1])


# --------------------------------------------------------------------------------------------
# Parametrisations
# --------------------------------------------------------------------------------------------


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
        if bound not in PIXEL_BOUNDS:
            raise ValueError(f"bound must be None, 'clip' or 'sigmoid'; got {bound!r}")
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


#: Square root of the colour covariance of ImageNet photographs, ``U sqrt(S)`` from the SVD
#: ``Sigma = U S U^T`` of the RGB covariance, as estimated by the Lucid library (Olah et al.
#: 2017). Its first column is (almost) luminance. :func:`colour_correlation_sqrt` estimates the
#: same kind of matrix from any photographs.
IMAGENET_COLOUR_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))


def colour_correlation_sqrt(images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """The matrix ``U sqrt(S)`` of the SVD of the RGB covariance of photographs.

    A vector ``z`` of three uncorrelated, unit-variance numbers becomes, after multiplication by
    this matrix, a colour with the covariance of the photographs: ``Cov(M z) = U S U^T``. The
    sign of each column is chosen so that its largest entry is positive.

    Args:
        images: arrays of shape (H, W, 3) (or one array (N, H, W, 3)), values in [0, 1].

    Returns:
        Array of shape (3, 3).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> grey = rng.random((64, 64, 1)).repeat(3, axis=2)      # R = G = B
        >>> m = colour_correlation_sqrt([grey])
        >>> np.round(m[:, 0] / m[0, 0], 6).tolist(), np.round(m[:, 1:], 6).tolist()
        ([1.0, 1.0, 1.0], [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    """
    pixels = np.concatenate([np.asarray(im, dtype=np.float64).reshape(-1, 3) for im in images], axis=0)
    if pixels.shape[1] != 3 or len(pixels) < 2:
        raise ValueError("images must be RGB arrays of shape (H, W, 3) with at least two pixels in all")
    cov = np.cov(pixels, rowvar=False)
    u, s, _ = np.linalg.svd(cov)
    m = u * np.sqrt(s)[None, :]
    signs = np.sign(m[np.argmax(np.abs(m), axis=0), range(3)])
    return m * np.where(signs == 0, 1.0, signs)[None, :]


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

    Args:
        shape: (N, C, H, W).
        sd: standard deviation of the initial spectrum, and so of the image before the colour
            map and the sigmoid. Lucid starts from 0.01, an almost flat grey; the default 0.5
            starts from a visible random texture, so that a channel after a ReLU is positive
            somewhere (a channel that is zero everywhere has zero gradient and never moves).
        decay_power: exponent of the ``1/f`` scaling; 0 means no scaling.
        decorrelate: apply the colour decorrelation (only for C = 3).
        colour_sqrt: the (3, 3) colour matrix; default :data:`IMAGENET_COLOUR_SQRT`.
        seed: seed (or a ``torch.Generator``) for the initial spectrum.

    Shape:
        ``forward()`` returns (N, C, H, W) with values in (0, 1).

    Example:
        >>> p = FourierImage((2, 3, 16, 12), seed=0)
        >>> img = p()
        >>> img.shape, bool(img.min() > 0), bool(img.max() < 1)
        (torch.Size([2, 3, 16, 12]), True, True)
        >>> p.spectrum.shape
        torch.Size([2, 3, 16, 7, 2])
    """

    def __init__(
        self,
        shape: Sequence[int],
        sd: float = 0.5,
        decay_power: float = 1.0,
        decorrelate: bool = True,
        colour_sqrt: Sequence[Sequence[float]] | np.ndarray | None = None,
        seed: int | torch.Generator = 0,
    ):
        super().__init__()
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
            m = torch.tensor(np.asarray(IMAGENET_COLOUR_SQRT if colour_sqrt is None else colour_sqrt), dtype=torch.float32)
            if m.shape != (3, 3):
                raise ValueError(f"colour_sqrt must be a (3, 3) matrix; got shape {tuple(m.shape)}")
            self.register_buffer("colour", m / m.norm(dim=0).max())

    def linear_image(self) -> torch.Tensor:
        """The image before the colour map and the sigmoid, (N, C, H, W)."""
        z = torch.view_as_complex((self.spectrum * self.scale).contiguous())
        return torch.fft.irfft2(z, s=self.size, norm="ortho")

    def forward(self) -> torch.Tensor:
        x = self.linear_image()
        if self.decorrelate:
            x = torch.einsum("rc,nchw->nrhw", self.colour, x)
        return torch.sigmoid(x)


def image_param(kind: str, shape: Sequence[int], seed: int | torch.Generator = 0, **kwargs) -> nn.Module:
    """A parametrisation by name: ``"pixel"`` (:class:`PixelImage`) or ``"fourier"`` (:class:`FourierImage`).

    Example:
        >>> type(image_param("fourier", (1, 3, 8, 8))).__name__
        'FourierImage'
    """
    kinds = {"pixel": PixelImage, "fourier": FourierImage}
    if kind not in kinds:
        raise ValueError(f"parametrisation must be one of 'pixel', 'fourier'; got {kind!r}")
    return kinds[kind](shape, seed=seed, **kwargs)


# --------------------------------------------------------------------------------------------
# Random transforms
# --------------------------------------------------------------------------------------------


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

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"mean and std must have one entry per channel and std must be positive; got {mean!r}, {std!r}")
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32)[None, :, None, None])
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32)[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.device)) / self.std.to(x.device)


# --------------------------------------------------------------------------------------------
# The optimiser loop
# --------------------------------------------------------------------------------------------


class FeatureVisualisation(NamedTuple):
    """What :func:`visualise` returns.

    Attributes:
        images: the optimised images, (B, C, H, W), detached, on the CPU.
        start_images: the images before the first step, (B, C, H, W).
        history: the objective of every batch element at every step, (steps, B), measured on
            the transformed image the step used.
        objectives: the B objectives, as strings ``"layer:channel"``.
    """

    images: torch.Tensor
    start_images: torch.Tensor
    history: np.ndarray
    objectives: list[str]

    def select(self, index: Sequence[int]) -> "FeatureVisualisation":
        """The same result restricted to the batch elements ``index``."""
        idx = list(index)
        return FeatureVisualisation(
            self.images[idx], self.start_images[idx], self.history[:, idx], [self.objectives[i] for i in idx]
        )

    def by_layer(self) -> dict[str, "FeatureVisualisation"]:
        """Split a grid that mixes layers into one result per layer, in order of appearance."""
        layers: dict[str, list[int]] = {}
        for b, spec in enumerate(self.objectives):
            layers.setdefault(spec.rsplit(":", 1)[0], []).append(b)
        return {layer: self.select(idx) for layer, idx in layers.items()}

    @property
    def channels(self) -> list[int]:
        """The channel of every objective (for ``"layer:channel"`` objectives, not directions)."""
        return [int(spec.rsplit(":", 1)[1]) for spec in self.objectives]


def _record(model: nn.Module, objectives: list, x: torch.Tensor) -> torch.Tensor:
    """Forward ``x`` until the deepest needed layer and return the (B,) objectives (with gradients)."""
    names = model.layer_names()
    layers = sorted({o.layer for o in objectives}, key=names.index)
    found: dict[str, torch.Tensor] = {}
    handles = []

    def make_hook(name: str):
        def hook(_module, _inputs, output):
            found[name] = output  # not detached: the gradient must flow back to the image
            if len(found) == len(layers):
                raise _StopForward

        return hook

    try:
        for name in layers:
            handles.append(model.layer(name).register_forward_hook(make_hook(name)))
        try:
            model(x)
        except _StopForward:
            pass
    finally:
        for handle in handles:
            handle.remove()
    # One multiplication by a mask of channel weights per layer (one-hot for a channel, the
    # direction for a DirectionObjective), rather than one indexing per example: its gradient is
    # a single tensor (B indexing operations would each allocate a full one).
    order: list[int] = []
    parts: list[torch.Tensor] = []
    for name in layers:
        index = [b for b, o in enumerate(objectives) if o.layer == name]
        act = found[name]
        _check_activation(act, str(objectives[index[0]]))
        if len(index) < len(objectives):
            act = act.index_select(0, torch.tensor(index, device=act.device))
        mask = torch.stack([objectives[b].weights(act.shape[1]) for b in index])
        mask = mask.to(dtype=act.dtype, device=act.device).reshape(len(index), act.shape[1], *[1] * (act.ndim - 2))
        order += index
        parts.append((act * mask).sum(1).reshape(len(index), -1).mean(dim=1))
    values = torch.cat(parts)
    if order != list(range(len(objectives))):
        values = values[torch.argsort(torch.tensor(order, device=values.device))]
    return values


def normalised_step(params: list[torch.Tensor], lr: float) -> None:
    """One step of gradient ascent, each batch element's gradient divided by its root mean square.

    ``p.grad`` must hold the gradient of the *loss*, minus the objective (what ``backward`` on
    ``-objective`` leaves), so the step is ``p + lr * g / (rms(g) + 1e-5)`` with ``g = -p.grad``:
    every step moves the pixels by about ``lr``, however large or small the gradient is.

    Example:
        >>> x = torch.zeros(1, 1, 2, 2, requires_grad=True)
        >>> x.grad = torch.full_like(x, -3.0)  # the objective grows along +x
        >>> normalised_step([x], 0.1)
        >>> round(float(x.detach()[0, 0, 0, 0]), 4)
        0.1
    """
    with torch.no_grad():
        for p in params:
            g = -p.grad  # the loss is minus the objective
            rms = g.pow(2).flatten(1).mean(1).sqrt().reshape(-1, *[1] * (g.ndim - 1))
            p.add_(lr * g / (rms + 1e-5))


def visualise(
    model: nn.Module,
    objectives: Sequence[Objective],
    size: int | tuple[int, int] = 28,
    param: str | nn.Module = "fourier",
    transforms: Sequence[Transform] = (),
    steps: int = 128,
    lr: float = 0.05,
    optimizer: str = "adam",
    seed: int = 0,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
    channels: int | None = None,
) -> FeatureVisualisation:
    """Optimise one image per objective by gradient ascent, all in one batch.

    At every step: make the images from the parametrisation, apply ``transforms`` (fresh random
    draws), apply ``preprocess``, run the network up to the deepest layer needed, take
    ``loss = -sum_b objective_b(image_b)`` and let the optimiser change the parameters; then,
    if the parametrisation has a ``constrain_`` method (:class:`PixelImage` with
    ``bound="clip"``), call it, which makes the run projected gradient ascent. Batch
    element ``b`` is optimised for ``objectives[b]`` alone, since the batch elements do not
    interact in a network in eval mode.

    The model is put in eval mode and its parameters' ``requires_grad`` switched off for the
    run; both are restored, and the hooks removed, in a ``finally`` block.

    Args:
        model: a network with cnnkit's ``NamedLayersMixin`` (``layer``, ``layer_names``).
        objectives: B strings ``"layer:channel"`` (or :class:`ChannelObjective`,
            :class:`DirectionObjective`).
        size: image size, int or (H, W).
        param: ``"pixel"``, ``"fourier"``, or a module whose ``forward()`` returns (B, C, H, W).
        transforms: random transforms applied at each step (e.g. :func:`default_transforms`).
        steps: number of optimiser steps.
        lr: learning rate (Adam) or step size (``"normalized"``).
        optimizer: ``"adam"`` or ``"normalized"`` (gradient ascent with the gradient divided by
            its root mean square, as the Keras blog does).
        seed: seeds the initial image and the transforms; the same seed gives the same images.
        preprocess: applied to the image before the network (e.g. ImageNet normalisation).
        channels: input channels; default what the model's first convolution expects.

    Returns:
        A :class:`FeatureVisualisation` (images, start images, history (steps, B), objectives).

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> result = visualise(small_vgg(), ["block1_conv1:0", "block1_conv1:3"], size=12, steps=4)
        >>> result.images.shape, result.history.shape, result.objectives
        (torch.Size([2, 1, 12, 12]), (4, 2), ['block1_conv1:0', 'block1_conv1:3'])
    """
    objs = _parse_all(objectives, model)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int; got {steps!r}")
    if optimizer not in ("adam", "normalized"):
        raise ValueError(f"optimizer must be 'adam' or 'normalized'; got {optimizer!r}")
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    c = _input_channels(model) if channels is None else channels
    device = _device(model)
    generator = _generator(seed)
    if isinstance(param, str):
        image = image_param(param, (len(objs), c, h, w), seed=generator)
    else:
        image = param
    image = image.to(device)
    params = [p for p in image.parameters()]
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else None
    history = np.zeros((steps, len(objs)))
    was_training = model.training
    grads = [p.requires_grad for p in model.parameters()]
    try:
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            start = image().detach().cpu().clone()
        for step in range(steps):
            for p in params:
                p.grad = None
            x = apply_transforms(image(), transforms, generator)
            if preprocess is not None:
                x = preprocess(x)
            values = _record(model, objs, x)
            (-values.sum()).backward()
            history[step] = values.detach().cpu().double().numpy()
            if opt is not None:
                opt.step()
            else:
                normalised_step(params, lr)
            constrain = getattr(image, "constrain_", None)
            if constrain is not None:
                constrain()
        with torch.no_grad():
            final = image().detach().cpu().clone()
    finally:
        for p, g in zip(model.parameters(), grads):
            p.requires_grad_(g)
        model.train(was_training)
    return FeatureVisualisation(final, start, history, [str(o) for o in objs])


def objective_values(
    model: nn.Module,
    objectives: Sequence[Objective],
    images: torch.Tensor,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> np.ndarray:
    """Objective ``b`` of image ``b``, measured on the untransformed images; shape (B,).

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> objective_values(small_vgg(), ["block1_conv1:0"], torch.zeros(1, 1, 8, 8)).shape
        (1,)
    """
    objs = _parse_all(objectives, model)
    if images.shape[0] != len(objs):
        raise ValueError(f"images must have one image per objective ({len(objs)}); got {images.shape[0]}")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            x = images.to(_device(model))
            values = _record(model, objs, preprocess(x) if preprocess is not None else x)
    finally:
        model.train(was_training)
    return values.cpu().double().numpy()


def visualise_layers(
    model: nn.Module, layers: Sequence[str], channels: int | Sequence[int] = 8, **kwargs
) -> dict[str, FeatureVisualisation]:
    """Visualise the same channels of several layers in one batch, and split the result by layer.

    Args:
        model: as for :func:`visualise`.
        layers: layer names.
        channels: the channels to show in every layer, or an int ``n`` for channels ``0 … n-1``.
        **kwargs: passed to :func:`visualise` (size, param, transforms, steps, lr, seed, ...).

    Returns:
        A dict from layer name to its :class:`FeatureVisualisation`, in the order of ``layers``.

    Example:
        >>> from cnnkit.models.small_vgg import small_vgg
        >>> grid = visualise_layers(small_vgg(), ["block1_conv1", "block2_conv1"], 2, size=8, steps=2)
        >>> {name: r.objectives for name, r in grid.items()}
        {'block1_conv1': ['block1_conv1:0', 'block1_conv1:1'], 'block2_conv1': ['block2_conv1:0', 'block2_conv1:1']}
    """
    chans = list(range(channels)) if isinstance(channels, int) else [int(c) for c in channels]
    if not layers or not chans:
        raise ValueError("layers and channels must each name at least one entry")
    result = visualise(model, [f"{layer}:{c}" for layer in layers for c in chans], **kwargs)
    return result.by_layer()
