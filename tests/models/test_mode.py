"""cnnkit.models.mode.eval_mode: eval mode inside, every module's own mode restored after."""

import pytest
import torch
from torch import nn

from cnnkit.models import eval_mode


def _net():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout())


def test_eval_inside_and_each_flag_restored_after():
    net = _net()
    net[2].eval()
    with eval_mode(net) as same:
        assert same is net
        assert not any(m.training for m in net.modules())
    assert [m.training for m in net.modules()] == [True, True, True, False]


def test_restored_when_the_block_raises():
    net = _net().eval()
    net[1].train()
    with pytest.raises(RuntimeError), eval_mode(net):
        raise RuntimeError("boom")
    assert [m.training for m in net.modules()] == [False, False, True, False]


def test_batch_norm_uses_running_statistics_inside():
    net = _net()
    x = torch.randn(4, 1, 5, 5)
    with eval_mode(net), torch.no_grad():
        a, b = net(x), net(x)
    assert torch.equal(a, b)  # no dropout, no batch statistics
    assert net.training
