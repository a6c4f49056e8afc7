"""Layers that can be looked up by name, and their activations read with forward hooks.

Both :class:`cnnkit.models.small_vgg.SmallVGG` and cnnkit's VGG16 wrapper use this mixin, so
``model.layer_names()``, ``model.layer(name)`` and ``model.activations(x, names)`` behave the
same on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import torch
from torch import nn

from cnnkit._checks import did_you_mean
from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.mode import eval_mode

__all__ = ["NamedLayersMixin", "unknown_layer_error"]


def unknown_layer_error(name: str, names: list[str]) -> KeyError:
    """A KeyError that lists the valid names and suggests the closest one.

    Example:
        >>> names = [f"block{b}_conv{c}" for b in (1, 2, 3) for c in (1, 2, 3)]
        >>> print(unknown_layer_error("block3_conv4", names).args[0])
        no layer 'block3_conv4'; layers are block1_conv1 … block3_conv3 (did you mean 'block3_conv3'?)
    """
    hint = did_you_mean(name, names)
    listing = f"{names[0]} … {names[-1]}" if len(names) > 4 else ", ".join(names)
    return KeyError(f"no layer {name!r}; layers are {listing}{hint}")


class NamedLayersMixin(nn.Module):
    """Mixin for an ``nn.Module`` whose interesting layers have Keras-style names.

    A subclass implements :meth:`named_layers`, an ordered mapping from name to the module
    whose *output* is that layer's activation (for a convolution, the module after its ReLU).
    """

    def named_layers(self) -> Mapping[str, nn.Module]:  # pragma: no cover - abstract
        raise NotImplementedError

    def layer_names(self) -> list[str]:
        """The names accepted by :meth:`layer` and :meth:`activations`, in forward order."""
        return list(self.named_layers())

    def layer(self, name: str) -> nn.Module:
        """The module called ``name``; a KeyError lists the valid names when there is none."""
        layers = self.named_layers()
        if name not in layers:
            raise unknown_layer_error(name, list(layers))
        return layers[name]

    def activations(
        self, x: torch.Tensor | np.ndarray, layers: str | Iterable[str] | None = None, numpy: bool = True
    ) -> dict[str, np.ndarray | torch.Tensor]:
        """Run ``x`` through the network and return the activations of the chosen layers.

        A :class:`cnnkit.models.hooks.LayerRecorder` records each layer's output; its hooks are
        removed, and the module's train/eval mode restored, whatever happens.

        Args:
            x: input batch, shape (N, C, H, W); moved to the model's device.
            layers: one name, several names, or None for every named layer.
            numpy: return numpy arrays (detached, on the CPU) rather than tensors.

        Returns:
            A dict from layer name to its activation, in the order the names were given.
        """
        names = self.layer_names() if layers is None else ([layers] if isinstance(layers, str) else list(layers))
        modules = {name: self.layer(name) for name in names}
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32) if not isinstance(x, torch.Tensor) else x
        parameter = next(self.parameters(), None)
        if parameter is not None:
            x = x.to(parameter.device)  # numpy input for a model on the GPU
        with LayerRecorder(modules, detach=True) as recorder, eval_mode(self), torch.no_grad():
            self(x)
        found = recorder.outputs
        return {name: (found[name].cpu().numpy() if numpy else found[name]) for name in names}
