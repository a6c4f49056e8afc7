"""Checkers of the exercises on a network's activations: how sparse a channel is, and the images
on which it responds most.

The sparsity reference is :func:`cnnkit.viz.activations.channel_activity`. The ranking by the
*mean* of a map has no library function (:func:`cnnkit.viz.exemplars.top_activating` ranks by
the maximum), so its reference is one line of numpy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnkit.exercises.cases import rounded_normal, seeded_rng
from cnnkit.exercises.core import Case, CheckResult, check
from cnnkit.viz.activations import channel_activity

__all__ = ["check_channel_sparsity", "check_top_exemplars"]


def _channel_sparsity(activations: np.ndarray) -> np.ndarray:
    """One minus :func:`cnnkit.viz.activations.channel_activity`, the fraction of non-zeros."""
    return 1.0 - channel_activity(activations)


def check_channel_sparsity(func: Callable) -> CheckResult:
    """Check ``func(activations)``: the fraction of exact zeros of each channel.

    The reader's function::

        def channel_sparsity(activations):
            \"\"\"activations: (N, C, H, W), a layer's output (after a ReLU) for N images ->
            (C,): for each channel c, the fraction of the N * H * W values of
            activations[:, c] that are exactly zero (a tiny positive value is not zero).\"\"\"

    Reference: one minus :func:`cnnkit.viz.activations.channel_activity` (the fraction of
    non-zeros); its mean over channels is :func:`cnnkit.viz.activations.sparsity`. Cases: 2
    images of 3 channels with a value of 1e-6 (positive, so not silent), a dead channel and one
    that never stops, maps of 1x1 (after global pooling), one image, a non-square map, then 4
    random ReLU outputs.

    Example:
        >>> check_channel_sparsity(lambda a: (a == 0).mean(axis=(0, 2, 3)))
        passed: 9 cases
        >>> print(check_channel_sparsity(lambda a: (a == 0).mean(axis=(1, 2, 3))).message.splitlines()[-6])
        wrong shape: expected (3,), got (2,)
    """
    tiny = np.array(
        [
            [[[0, 1.5], [0, 0]], [[0.3, 2.0], [1e-6, 0.7]], [[0, 0], [0, 0]]],
            [[[0, 0], [0.2, 0]], [[0, 0.5], [1.1, 0]], [[0, 0], [0, 3.0]]],
        ]
    )
    dead = np.array(
        [[[[0.0, 0.0, 0.0]], [[0.4, 0.1, 2.0]]], [[[0.0, 0.0, 0.0]], [[1.0, 0.2, 0.3]]], [[[0.0] * 3], [[0.5] * 3]]]
    )
    fixed = [
        Case(
            (tiny,), hint="one fraction per channel (axis 1), over every image and position; 1e-6 is small but not zero"
        ),
        Case((dead,), hint="channel 0 is always zero, channel 1 never: one fraction per channel, over all images"),
        Case(
            (np.array([[0.0, 1.2, 0.0, 0.3], [0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]])[:, :, None, None],),
            hint="1x1 maps (after global pooling): each channel's fraction is over the images alone",
        ),
        Case(
            (np.array([[[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 0.1]]]]),),
            hint="one image: the fraction is over its positions",
        ),
        Case(
            (np.maximum(np.arange(24).reshape(2, 2, 2, 3) % 5 - 2.0, 0),),
            hint="non-square 2x3 maps: every position counts",
        ),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(4):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        random.append(Case((np.maximum(rounded_normal(rng, shape), 0),)))
    return check(func, _channel_sparsity, fixed + random, names=["activations"], fixed=len(fixed))


def _top_exemplars(activations: np.ndarray, channel: int, k: int) -> np.ndarray:
    """The k images with the largest mean of the channel's map; no cnnkit function ranks by the mean."""
    means = np.asarray(activations)[:, channel].mean(axis=(1, 2))
    return np.argsort(-means, kind="stable")[:k]


def _untied(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random maps whose per-image means differ in every channel (no ties in a ranking)."""
    while True:
        a = rounded_normal(rng, shape)
        means = a.mean(axis=(2, 3))
        if all(len(np.unique(means[:, c].round(9))) == shape[0] for c in range(shape[1])):
            return a


def check_top_exemplars(func: Callable) -> CheckResult:
    """Check ``func(activations, channel, k)``: the k images on which a channel responds most.

    The reader's function::

        def top_exemplars(activations, channel, k):
            \"\"\"activations: (N, C, H, W), a layer's maps for N images; channel: int; k: int
            <= N -> an integer array of k image indices: those with the largest mean of
            activations[n, channel] over the H x W positions, largest first.\"\"\"

    The score is the *mean* of the map (how much of the image the channel responds to), not
    its maximum as in :func:`cnnkit.viz.exemplars.top_activating` (where in the image it
    responds most strongly); a case tells the two apart. Reference: ``np.argsort`` of the
    negated means. Cases (no ties): 4 images of 2 channels whose ranking by the mean differs
    from that by the maximum, each channel, k = N and k = 1, maps with negative values, then 4
    random ones.

    Example:
        >>> def by_mean(a, channel, k):
        ...     return np.argsort(-a[:, channel].mean(axis=(1, 2)))[:k]
        >>> check_top_exemplars(by_mean)
        passed: 9 cases
        >>> print(check_top_exemplars(lambda a, channel, k: by_mean(a, channel, k)[::-1]).message.splitlines()[-2])
        first difference at index 0: expected 1, got 3 (2 of 2 entries differ)
    """
    maps = np.array(
        [
            [[[1, 1], [1, 1]], [[9, 0], [0, 0]]],  # channel 1: the largest maximum, a small mean
            [[[0, 0], [0, 5]], [[3, 3], [3, 3]]],  # the largest mean
            [[[2, 2], [2, 2]], [[1, 2], [0, 1]]],
            [[[0, 1], [0, 0]], [[4, 2], [3, 1]]],
        ],
        dtype=float,
    )
    signed = np.array([[-1.0, 2.0, 0.5], [-3.0, -0.5, 1.0], [0.25, 0.0, -0.75], [-2.0, -2.0, 5.0], [1.5, -1.0, 0.0]])
    signed = signed[:, None, None]  # (5, 1, 1, 3): one channel, maps of one row
    fixed = [
        Case(
            (maps, 1, 2),
            hint="the score of an image is the mean of its map, not its largest value; largest score first",
        ),
        Case((maps, 0, 3), hint="channel 0: the maps of the first channel of every image, axis 1 of activations"),
        Case((maps, 1, 4), hint="k = N: the whole ranking, from the largest mean down"),
        Case((maps, 0, 1), hint="k = 1: an array holding one index"),
        Case((signed, 0, 3), hint="maps before a ReLU: some means are negative, and they rank below the positive ones"),
    ]
    rng = seeded_rng()
    random = []
    for _ in range(4):
        n, c = int(rng.integers(2, 7)), int(rng.integers(1, 4))
        a = _untied(rng, (n, c, int(rng.integers(1, 4)), int(rng.integers(1, 4))))
        random.append(Case((a, int(rng.integers(0, c)), int(rng.integers(1, n + 1)))))
    return check(func, _top_exemplars, fixed + random, names=["activations", "channel", "k"], fixed=len(fixed))
