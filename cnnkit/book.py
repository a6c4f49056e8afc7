"""Chapter plumbing: what a chapter shows in the notebook, built from the library.

The one module of cnnkit (with :mod:`cnnkit.display`, which it uses) that shows things in a
notebook; no other module imports either (``tests/test_layout.py``). It sits above every layer,
so it may import from all of them, and only the chapters import it.

:func:`load_vgg16` loads VGG16 for a chapter: the ImageNet weights when they are at hand,
otherwise a seeded random network and :func:`missing_weights_admonition`, a warning box saying so.
"""

from __future__ import annotations

import torch

from cnnkit._checks import check_choice
from cnnkit.display import Admonition, show
from cnnkit.models.vgg16 import IMAGENET_DESCRIPTION, VGG16, random_description, vgg16
from cnnkit.weights import ENV_VAR, WeightsUnavailableError, fetch_command, weights_spec

__all__ = ["load_vgg16", "missing_weights_admonition"]


_REASONS = {
    "missing": "are in neither of the folders cnnkit searches, and this notebook does not download them",
    "download_failed": "are in neither of the folders cnnkit searches and could not be downloaded (no internet access?)",
    "damaged": "were found, but the file is damaged: its hash does not match the one in its name",
    "disabled": (
        "are not used in this run: CNNKIT_NO_PRETRAINED=1 is set, as `make execute` and `make test` do so "
        "that the stored outputs are the same on every machine"
    ),
}


def missing_weights_admonition(reason: str = "missing", seed: int = 0) -> Admonition:
    """The warning :func:`load_vgg16` shows when it falls back to an untrained VGG16.

    It names the file, the folders searched, the environment variable and the command that
    fetches the weights. It contains no machine paths, so its text is the same everywhere.

    Args:
        reason: the ``reason`` of the :class:`~cnnkit.weights.WeightsUnavailableError`.
        seed: the seed of the random network.

    Example:
        >>> print(repr(missing_weights_admonition()).splitlines()[0])
        WARNING: No ImageNet weights: this chapter runs on an untrained VGG16
    """
    check_choice(reason, tuple(_REASONS), "reason", caller="missing_weights_admonition")
    spec = weights_spec("vgg16")
    return Admonition(
        "No ImageNet weights: this chapter runs on an untrained VGG16",
        [
            f"VGG16's ImageNet weights (the file {spec.file_name}, {spec.size_mb} MB) {_REASONS[reason]}. "
            f"The VGG16 below has random weights (torch.manual_seed({seed}) before it was built): its "
            "layers, shapes and parameter counts are those of the real network, but its feature maps, "
            "sparsities and predictions show an untrained network, not what VGG16 learned from ImageNet.",
            f"To see the trained network, run `{fetch_command('vgg16')}` once on a machine with internet "
            f"access (in Colab: `!{fetch_command('vgg16')}`), or copy {spec.file_name} into torch's hub "
            f"cache, `torch.hub.get_dir()/checkpoints`, or into a folder named by the environment variable "
            f"`{ENV_VAR}`; then run the notebook again in Jupyter (`make book-online` builds the whole book "
            "with them in a copy, leaving the notebooks as they are). "
            "`python -m cnnkit.weights where` shows both folders.",
        ],
    )


def load_vgg16(
    prefer: str | None = "imagenet", seed: int = 0, download: bool = False, display: bool = True
) -> tuple[VGG16, str]:
    """VGG16 for a chapter: ImageNet weights when they are at hand, otherwise a seeded random network, said aloud.

    Args:
        prefer: ``"imagenet"`` to use the ImageNet weights if they can be had, ``None`` for a
            random network.
        seed: the seed of the random network: ``torch.manual_seed(seed)`` before building it, which
            seeds torch's global generator as the chapters' set-up cell does (the model modules
            never seed it).
        download: allow downloading the 528 MB file when no folder has it. The chapters leave
            this False, so that building the book never touches the network.
        display: when falling back, show :func:`missing_weights_admonition` (a warning box in a
            notebook, text in a terminal).

    Returns:
        ``(model, description)``: the model in eval mode, and a short phrase naming the weights
        actually loaded, for titles and captions: :data:`IMAGENET_DESCRIPTION` or
        :func:`random_description`.

    Example:
        >>> model, description = load_vgg16(prefer=None)
        >>> description
        'untrained: random weights, seed 0'
    """
    check_choice(prefer, ("imagenet", None), "prefer", caller="load_vgg16")
    if prefer == "imagenet":
        try:
            return vgg16("imagenet", download=download), IMAGENET_DESCRIPTION
        except WeightsUnavailableError as error:
            if display:
                show(missing_weights_admonition(error.reason, seed))
    torch.manual_seed(seed)
    return vgg16(None), random_description(seed)
