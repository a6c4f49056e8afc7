"""A small, seeded training loop for the book's models (CPU by default, deterministic).

The chapters train LeNet-5 and a small VGG on the offline MNIST split
(:func:`cnnkit.data.mnist_split`). Everything here is plain PyTorch, short enough to read:
:func:`fit` runs mini-batch training and records the loss, :func:`evaluate` measures accuracy,
:func:`predict` returns the predicted classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from cnnkit._checks import check_choice

__all__ = ["History", "fit", "evaluate", "predict"]


@dataclass
class History:
    """What :func:`fit` records.

    Attributes:
        batch_loss: the training loss of every mini-batch, in order.
        epoch_loss: the mean training loss of each epoch.
        val_accuracy: the accuracy on the validation data after each epoch (empty if none given).
        seconds: wall-clock training time.
    """

    batch_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _as_tensor(x, dtype) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x), dtype=dtype)


def fit(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    epochs: int = 3,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    validation: tuple | None = None,
    transform: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    schedule: str | None = None,
    device: torch.device | str = "cpu",
    verbose: bool = False,
) -> History:
    """Train ``model`` with Adam and cross-entropy on ``(x, y)``.

    Args:
        model: a classifier returning logits of shape (N, num_classes).
        x: inputs, shape (N, C, H, W), float.
        y: integer class labels, shape (N,).
        epochs: passes over the data.
        batch_size: examples per step.
        lr: Adam's learning rate (ignored when ``optimizer`` is given).
        seed: seeds the shuffling (and ``transform``'s generator), so two runs are identical.
        validation: optional ``(x_val, y_val)``, evaluated after every epoch.
        transform: optional data augmentation ``f(batch, generator) -> batch`` applied to each
            training batch.
        optimizer: use this optimiser instead of a fresh Adam.
        schedule: ``None`` for a constant learning rate, or ``"cosine"`` to decay it to zero
            along a cosine over all the steps.
        device: where to train; the book uses the CPU so that its numbers are reproducible.
        verbose: print one line per epoch.

    Returns:
        A :class:`History`.

    Example:
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        >>> x = torch.randn(64, 1, 2, 2); y = (x.sum(dim=(1, 2, 3)) > 0).long()
        >>> h = fit(model, x, y, epochs=20, batch_size=16, lr=0.05)
        >>> h.epoch_loss[-1] < h.epoch_loss[0], evaluate(model, x, y) > 0.9
        (True, True)
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1; got epochs={epochs}, batch_size={batch_size}")
    device = torch.device(device)
    x = _as_tensor(x, torch.float32)
    y = _as_tensor(y, torch.long)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length; got {len(x)} and {len(y)}")
    model.to(device)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    steps = epochs * ((len(x) + batch_size - 1) // batch_size)
    check_choice(schedule, (None, "cosine"), "schedule", caller="fit")
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if schedule == "cosine" else None
    gen = torch.Generator().manual_seed(seed)
    history = History()
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        total, count = 0.0, 0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb, yb = x[idx], y[idx]
            if transform is not None:
                xb = transform(xb, gen)
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            history.batch_loss.append(loss.item())
            total += loss.item() * len(idx)
            count += len(idx)
        history.epoch_loss.append(total / count)
        if validation is not None:
            x_val, y_val = validation
            history.val_accuracy.append(evaluate(model, x_val, y_val, device=device))
        if verbose:
            extra = f", held-out accuracy {history.val_accuracy[-1]:.4f}" if validation is not None else ""
            print(f"epoch {epoch + 1}/{epochs}: loss {history.epoch_loss[-1]:.4f}{extra}")
    history.seconds = time.perf_counter() - start
    model.eval()
    return history


@torch.no_grad()
def predict(model: nn.Module, x, batch_size: int = 500, device: torch.device | str = "cpu") -> np.ndarray:
    """Predicted class of every input, as an int64 numpy array of shape (N,)."""
    model.eval()
    x = _as_tensor(x, torch.float32)
    device = torch.device(device)
    out = [model(x[i : i + batch_size].to(device)).argmax(dim=1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy()


def evaluate(model: nn.Module, x, y, batch_size: int = 500, device: torch.device | str = "cpu") -> float:
    """Fraction of inputs whose predicted class equals the label."""
    y = np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)
    return float((predict(model, x, batch_size=batch_size, device=device) == y).mean())
