"""Tests of cnnkit.models.hooks.LayerRecorder: what it records, and that it lets go of the model."""

import re
import tokenize
from pathlib import Path

import pytest
import torch
from torch import nn

from cnnkit.models.hooks import LayerRecorder


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 3, padding=1), nn.ReLU())


def _hook_count(net: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in net.modules())


def test_records_the_named_layers_outputs():
    net, x = _net(), torch.rand(2, 1, 5, 5)
    with LayerRecorder({"conv1": net[0], "relu2": net[3]}) as rec:
        out = net(x)
    assert set(rec.outputs) == {"conv1", "relu2"}
    assert torch.equal(rec.outputs["conv1"], net[0](x))
    assert rec.outputs["relu2"] is out  # the output itself, with its graph
    assert rec.output("conv1") is rec.outputs["conv1"]


def test_hooks_are_released_on_exit_and_on_exception():
    net = _net()
    with LayerRecorder({"a": net[0], "b": net[2]}):
        assert _hook_count(net) == 2
    assert _hook_count(net) == 0
    with pytest.raises(RuntimeError, match="boom"), LayerRecorder({"a": net[0]}):
        assert _hook_count(net) == 1
        raise RuntimeError("boom")
    assert _hook_count(net) == 0


def test_gradients_are_optional():
    net, x = _net(), torch.rand(1, 1, 5, 5)
    with LayerRecorder({"conv2": net[2]}) as plain:
        net(x).sum().backward()
    assert plain.gradients == {}
    with LayerRecorder({"conv2": net[2]}, gradients=True) as rec:
        out = net(x)
        out.sum().backward()
    acts = rec.outputs["conv2"]
    (expected,) = torch.autograd.grad(net[3](acts).sum(), acts)
    assert torch.equal(rec.gradients["conv2"], expected)


def test_detach_stores_a_copy_safe_from_in_place_changes():
    net = nn.Sequential(nn.Identity(), nn.ReLU(inplace=True))
    x = torch.tensor([[-1.0, 2.0]])
    with LayerRecorder({"id": net[0]}, detach=True) as copy, LayerRecorder({"id": net[0]}) as same:
        net(x.clone())
    assert copy.outputs["id"].tolist() == [[-1.0, 2.0]]
    assert same.outputs["id"].tolist() == [[0.0, 2.0]]  # the in-place ReLU changed it
    assert not copy.outputs["id"].requires_grad


def test_on_output_sees_every_call_in_order_and_keep_false_stores_nothing():
    shared = nn.ReLU()
    net = nn.Sequential(nn.Linear(2, 2), shared, nn.Linear(2, 2), shared)
    calls = []
    layers = [("lin1", net[0]), ("relu", shared), ("lin2", net[2])]
    with LayerRecorder(layers, keep=False, on_output=lambda n, m, i, o: calls.append((n, type(m).__name__))) as rec:
        net(torch.ones(1, 2))
    assert calls == [("lin1", "Linear"), ("relu", "ReLU"), ("lin2", "Linear"), ("relu", "ReLU")]
    assert rec.outputs == {}


def test_stop_skips_the_layers_after_the_deepest_and_swallows_only_its_own_signal():
    net = _net()
    with LayerRecorder({"conv1": net[0]}, stop=True) as rec, LayerRecorder([("last", net[3])]) as after:
        net(torch.rand(1, 1, 5, 5))
        raise AssertionError("not reached: the forward pass stops")
    assert "conv1" in rec.outputs and after.outputs == {}
    assert _hook_count(net) == 0
    with pytest.raises(ValueError), LayerRecorder({"conv1": net[0]}, stop=True):
        raise ValueError("other exceptions pass")


def test_a_layer_the_forward_pass_does_not_use():
    net, unused = _net(), nn.ReLU()
    with LayerRecorder({"unused": unused}) as rec:
        net(torch.rand(1, 1, 5, 5))
    with pytest.raises(ValueError, match="'unused' was not used"):
        rec.output("unused")
    with pytest.raises(TypeError, match=r"must be an nn\.Module"):
        LayerRecorder({"x": "block1_conv1"})  # type: ignore[dict-item]


# --------------------------------------------------------------------------------------------
# The rule: cnnkit registers hooks in cnnkit/models/hooks.py only

PACKAGE = Path(__file__).resolve().parents[2] / "cnnkit"

# Hooks that change what flows through the network, so are not recordings, with the reason:
HOOK_EXCEPTIONS = {
    # guided backpropagation (guided_backprop): a backward hook on every ReLU replaces the gradient it passes on
    ("viz/cam.py", "register_full_backward_hook"),
}
_HOOK = re.compile(
    r"\.\s*(register_(?:forward_pre_hook|forward_hook|full_backward_pre_hook|full_backward_hook|backward_hook|hook))\b"
)


def _code_lines(path: Path) -> dict[int, str]:
    """Each line's code without its strings and comments (a docstring may name a hook)."""
    lines: dict[int, list[str]] = {}
    skip = {tokenize.STRING, tokenize.COMMENT, tokenize.ENCODING}
    skip |= {getattr(tokenize, t) for t in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, t)}
    with path.open("rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type not in skip and tok.type < tokenize.N_TOKENS:
                lines.setdefault(tok.start[0], []).append(tok.string)
    return {n: " ".join(parts) for n, parts in lines.items()}


def test_hooks_are_registered_by_the_recorder_only():
    assert _HOOK.search("m . register_forward_hook ( f )") and _HOOK.search("t . register_hook ( f )")
    assert not _HOOK.search("m . register_buffer ( 'x' , t )")
    found, used = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        if where == "models/hooks.py":
            continue
        for n, code in _code_lines(path).items():
            for match in _HOOK.finditer(code):
                if (where, match.group(1)) in HOOK_EXCEPTIONS:
                    used.add((where, match.group(1)))
                else:
                    found.append(f"{where}:{n}: {match.group(1)}")
    assert not found, "record with cnnkit.models.hooks.LayerRecorder: " + "; ".join(found)
    assert used == set(HOOK_EXCEPTIONS), f"exceptions no longer needed: {set(HOOK_EXCEPTIONS) - used}"
