"""cnnkit.train: the seeded training loop."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnkit.train import evaluate, fit, predict


def _problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 1, 2, 2, generator=g)
    y = (x.sum(dim=(1, 2, 3)) > 0).long()
    return x, y


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 2))


def test_training_is_reproducible_and_learns():
    x, y = _problem()
    m1, m2 = _model(), _model()
    h1 = fit(m1, x, y, epochs=5, batch_size=16, lr=0.05, seed=1, validation=(x, y), schedule="cosine")
    h2 = fit(m2, x, y, epochs=5, batch_size=16, lr=0.05, seed=1, validation=(x, y), schedule="cosine")
    assert h1.batch_loss == h2.batch_loss
    assert len(h1.batch_loss) == 5 * 8 and len(h1.epoch_loss) == 5 and len(h1.val_accuracy) == 5
    assert h1.epoch_loss[-1] < h1.epoch_loss[0]
    assert evaluate(m1, x, y) > 0.9
    assert predict(m1, x.numpy()).dtype == np.int64


def test_transform_is_applied_to_training_batches():
    x, y = _problem()
    seen = []
    fit(_model(), x, y, epochs=1, batch_size=64, transform=lambda b, g: seen.append(b.shape) or b)
    assert seen == [(64, 1, 2, 2), (64, 1, 2, 2)]


def test_bad_arguments():
    x, y = _problem()
    with pytest.raises(ValueError, match="epochs and batch_size must be >= 1"):
        fit(_model(), x, y, epochs=0)
    with pytest.raises(ValueError, match="same length"):
        fit(_model(), x, y[:10])
    with pytest.raises(ValueError, match="fit: schedule='step' is not one of None, 'cosine'"):
        fit(_model(), x, y, schedule="step")
