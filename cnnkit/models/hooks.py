"""The one place cnnkit hooks a model: :class:`LayerRecorder` records what named layers output.

Every measurement that needs a layer's output (activations, Grad-CAM, a summary table, a
multiply-add count, feature visualisation) opens a recorder around the forward pass; the
recorder registers one forward hook per layer and removes every handle when the ``with`` block
ends, normally or by an exception. A hook that *changes* a gradient (guided backpropagation's
ReLU hook in :mod:`cnnkit.viz.cam`) is not a recording and is not written here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

__all__ = ["LayerRecorder"]

OutputCallback = Callable[[str, nn.Module, tuple, Any], None]


class _StopForward(Exception):
    """Raised by a hook once every layer has been recorded, to skip the rest of the network."""


class LayerRecorder:
    """Record the outputs (and, optionally, their gradients) of chosen layers during a forward pass.

    Args:
        layers: the layers, as a mapping or pairs ``(name, module)``; the names key what is
            recorded. Two names may share a module.
        detach: store a detached copy of each output (``output.detach().clone()``, safe from a
            later in-place operation) rather than the output itself, which keeps its graph.
        gradients: also record, in :attr:`gradients`, the gradient that a later backward pass
            sends to each recorded output (a tensor hook on that output).
        keep: store the outputs in :attr:`outputs`; False when ``on_output`` does all the work.
        on_output: called as ``on_output(name, module, inputs, output)`` at every call of a
            layer, in the order of the forward pass (a layer called twice is reported twice).
        stop: end the forward pass, by an exception that the ``with`` block swallows, as soon as
            every layer has given an output: nothing after the deepest layer runs.

    Attributes:
        outputs: layer name -> the output of the layer's last call.
        gradients: layer name -> the gradient of that output, after a backward pass.

    The hooks exist only inside the ``with`` block; every handle is removed on leaving it,
    whatever happens.

    Example:
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        >>> with LayerRecorder({"hidden": net[1]}, gradients=True) as rec:
        ...     net(torch.ones(1, 3)).sum().backward()
        >>> rec.outputs["hidden"].shape, rec.gradients["hidden"].shape
        (torch.Size([1, 4]), torch.Size([1, 4]))
        >>> net[1]._forward_hooks  # released
        OrderedDict()
    """

    def __init__(
        self,
        layers: Mapping[str, nn.Module] | Iterable[tuple[str, nn.Module]],
        *,
        detach: bool = False,
        gradients: bool = False,
        keep: bool = True,
        on_output: OutputCallback | None = None,
        stop: bool = False,
    ) -> None:
        pairs = list(layers.items()) if isinstance(layers, Mapping) else list(layers)
        for name, module in pairs:
            if not isinstance(module, nn.Module):
                raise TypeError(f"layer {name!r} must be an nn.Module; got {type(module).__name__}")
        self.layers = pairs
        self.detach, self.record_gradients, self.keep, self.on_output, self.stop = (
            detach,
            gradients,
            keep,
            on_output,
            stop,
        )
        self.outputs: dict[str, Any] = {}
        self.gradients: dict[str, torch.Tensor] = {}
        self._seen: set[str] = set()
        self._handles: list[RemovableHandle] = []

    def output(self, name: str) -> Any:
        """The recorded output of ``name``; a ValueError when the forward pass did not use that layer."""
        if name not in self.outputs:
            raise ValueError(f"the layer {name!r} was not used in the model's forward pass")
        return self.outputs[name]

    def _hook(self, name: str) -> Callable[[nn.Module, tuple, Any], None]:
        def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
            if self.on_output is not None:
                self.on_output(name, module, inputs, output)
            if self.keep:
                self.outputs[name] = output.detach().clone() if self.detach else output
            if self.record_gradients and isinstance(output, torch.Tensor) and output.requires_grad:
                self._handles.append(output.register_hook(lambda grad: self.gradients.__setitem__(name, grad)))
            self._seen.add(name)
            if self.stop and len(self._seen) == len({n for n, _ in self.layers}):
                raise _StopForward

        return hook

    def __enter__(self) -> LayerRecorder:
        try:
            for name, module in self.layers:
                self._handles.append(module.register_forward_hook(self._hook(name)))
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self.remove()
        return exc_type is not None and issubclass(exc_type, _StopForward)

    def remove(self) -> None:
        """Remove every hook this recorder registered (the ``with`` block does it on exit)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
