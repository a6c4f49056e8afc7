"""Diversity: a penalty that pushes the images of one batch to differ from each other.

Optimising one image for a channel shows one input that excites it; a channel may respond to
several quite different ones. Olah, Mordvintsev and Schubert (2017, "Feature Visualization",
section "Diversity") optimise a *batch* of images for the same objective and add a term that
penalises how similar the images are, measured as in style transfer: by the Gram matrix of a
layer's channels,

.. math::

    G^{(b)}_{ij} = \\sum_{x,y} a^{(b)}_i(x, y)\\, a^{(b)}_j(x, y),

which keeps which channels fire *together* and forgets *where*. The similarity of images ``a``
and ``b`` is the cosine between their Gram matrices, flattened to vectors,

.. math::

    s_{ab} = \\frac{\\operatorname{vec}(G^{(a)}) \\cdot \\operatorname{vec}(G^{(b)})}
                  {\\lVert \\operatorname{vec}(G^{(a)}) \\rVert \\, \\lVert \\operatorname{vec}(G^{(b)}) \\rVert},

and the article's diversity term is ``-sum_a sum_{b != a} s_ab``, maximised together with the
objective. :func:`gram_matrices` and :func:`gram_similarity` compute ``G`` and ``s``;
:func:`diversity_penalty` is the mean of ``s_ab`` over the pairs ``a != b``, which
:func:`~cnnkit.viz.featvis.visualise` adds to the loss (``diversity=`` weight) and which also
serves to *measure* how alike the images of a batch are.
"""

from __future__ import annotations

import torch

__all__ = ["gram_matrices", "gram_similarity", "diversity_penalty"]


def _check_maps(activation: torch.Tensor, caller: str, batch: int = 1) -> None:
    if not isinstance(activation, torch.Tensor) or activation.ndim != 4:
        shape = tuple(activation.shape) if isinstance(activation, torch.Tensor) else type(activation).__name__
        raise ValueError(f"{caller}: activation must be a tensor of shape (B, C, H, W); got {shape}")
    if activation.shape[0] < batch:
        raise ValueError(f"{caller}: needs at least {batch} images in the batch to compare; got {activation.shape[0]}")


def gram_matrices(activation: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of every image's channels: ``G[b, i, j] = sum_{x,y} a[b, i, x, y] a[b, j, x, y]``.

    Args:
        activation: a layer's output, shape (B, C, H, W).

    Returns:
        Tensor of shape (B, C, C), symmetric; differentiable.

    Example:
        >>> a = torch.tensor([[[[1.0, 2.0]], [[0.0, 3.0]]]])  # one image, 2 channels, 1x2 positions
        >>> gram_matrices(a)[0].tolist()
        [[5.0, 6.0], [6.0, 9.0]]
    """
    _check_maps(activation, "gram_matrices")
    flat = activation.flatten(2)  # (B, C, HW)
    return flat @ flat.transpose(1, 2)


def gram_similarity(activation: torch.Tensor) -> torch.Tensor:
    """The cosine similarity between the Gram matrices of every pair of images, shape (B, B).

    Entry ``(a, b)`` is ``vec(G_a) . vec(G_b) / (|vec(G_a)| |vec(G_b)|)``: 1 for two images
    whose channels co-occur in the same proportions (wherever they are), lower for images that
    excite different combinations of channels. The diagonal is 1 (0 for an image whose
    activation is zero everywhere).

    Example:
        >>> a = torch.zeros(3, 2, 2, 2)
        >>> a[0, 0], a[1, 0], a[2, 1] = 1.0, 2.0, 1.0  # 0 and 1: same channel; 2: the other one
        >>> gram_similarity(a).round(decimals=3).tolist()
        [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    _check_maps(activation, "gram_similarity")
    grams = torch.nn.functional.normalize(gram_matrices(activation).flatten(1), dim=1)
    return grams @ grams.T


def diversity_penalty(activation: torch.Tensor) -> torch.Tensor:
    """The mean Gram cosine similarity over the ``B (B - 1)`` ordered pairs of different images.

    A scalar tensor (differentiable): near 1 when every image of the batch excites the layer's
    channels in the same proportions, lower when they differ. Olah et al.'s diversity term is
    minus ``B (B - 1)`` times this.

    Args:
        activation: a layer's output for a batch of at least two images, (B, C, H, W).

    Example:
        >>> a = torch.zeros(3, 2, 2, 2)
        >>> a[0, 0], a[1, 0], a[2, 1] = 1.0, 2.0, 1.0
        >>> round(float(diversity_penalty(a)), 4)  # pairs (0, 1) and (1, 0) alike, the other four not
        0.3333
    """
    _check_maps(activation, "diversity_penalty", batch=2)
    s = gram_similarity(activation)
    b = s.shape[0]
    return (s.sum() - s.diagonal().sum()) / (b * (b - 1))
