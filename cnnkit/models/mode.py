"""Train and eval mode: switch a network to eval mode for a computation, and back.

Dropout and batch normalisation behave differently in training; everything that looks inside a
network (activations, CAM, feature visualisation, summaries) runs it in eval mode and must leave
it as it found it, even when the computation raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn

__all__ = ["eval_mode"]


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode inside the ``with`` block; restore every module's own
    ``training`` flag afterwards (a model may have some submodules in each mode).

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
        >>> _ = net[1].eval()            # the dropout alone is in eval mode
        >>> with eval_mode(net):
        ...     net.training, net[1].training
        (False, False)
        >>> net.training, net[0].training, net[1].training
        (True, True, False)
    """
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        yield model
    finally:
        for module, mode in modes:
            module.training = mode
