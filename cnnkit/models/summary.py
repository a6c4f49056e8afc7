"""A Keras-style summary table for any PyTorch model: layer, type, output shape, parameters.

Keras prints ``model.summary()``; PyTorch has no such method, because a PyTorch model is
ordinary Python code and its output shapes are only known once an input flows through it.
:func:`summary` therefore runs one forward pass on a tensor of zeros and records, with forward
hooks (a :class:`cnnkit.models.hooks.LayerRecorder`), the output of every layer as it executes.
The hooks are removed, and every module's train/eval mode restored, whatever happens.

How a layer's parameters are counted:

- a convolution with ``C_in`` input channels, ``C_out`` filters of size ``kH x kW`` and a bias
  has ``C_out * (C_in * kH * kW + 1)`` parameters;
- a dense (``nn.Linear``, Keras ``Dense``) layer from ``n_in`` to ``n_out`` units has
  ``n_out * (n_in + 1)``;
- pooling, activations, dropout and flattening have none.

Two differences from Keras are worth knowing. Operations written as functions inside
``forward`` (``torch.flatten(x, 1)``, ``F.relu(x)``) are not modules, so they get no row. And
Keras counts a batch-normalisation layer's moving mean and variance as "non-trainable params",
whereas PyTorch keeps them as *buffers*, not parameters; here "non-trainable" means parameters
with ``requires_grad=False`` (frozen layers), and buffers are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn

from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.mode import eval_mode

__all__ = ["SummaryRow", "ModelSummary", "summary", "format_shape"]

Shape = tuple[int, ...]


@dataclass(frozen=True)
class SummaryRow:
    """One row of a :class:`ModelSummary`: one call of one module.

    Attributes:
        name: the module's qualified name in the model (``"features.0"``, ``"conv1"``).
        type: the module's class name (``"Conv2d"``).
        output_shape: the shape of the output in PyTorch's order, batch first, e.g.
            ``(1, 32, 26, 26)``; a tuple of shapes when the module returns several tensors;
            None for a module that the forward pass never called.
        params: number of parameters counted on this row (each parameter is counted once,
            on the first row that owns it, so the rows add up to the total).
        trainable: how many of ``params`` have ``requires_grad=True``.
    """

    name: str
    type: str
    output_shape: Shape | tuple[Shape, ...] | None
    params: int
    trainable: int


def format_shape(shape: Shape | tuple[Shape, ...] | None, channels_last: bool = False) -> str:
    """Write a shape as Keras does: the batch axis as ``None``, optionally channels last.

    Args:
        shape: a shape with the batch axis first, a tuple of such shapes, or None.
        channels_last: move the channel axis (axis 1) of shapes with 3 or more axes to the end,
            as Keras and TensorFlow store images: (N, C, H, W) is written (None, H, W, C).

    Returns:
        The text, ``"-"`` for None.

    Example:
        >>> format_shape((1, 32, 26, 26))
        '(None, 32, 26, 26)'
        >>> format_shape((1, 32, 26, 26), channels_last=True)
        '(None, 26, 26, 32)'
        >>> format_shape(((1, 10), (1, 10)))
        '[(None, 10), (None, 10)]'
    """
    if shape is None:
        return "-"
    if len(shape) > 0 and isinstance(shape[0], tuple):
        return "[" + ", ".join(format_shape(s, channels_last) for s in shape) + "]"
    dims = list(shape[1:])
    if channels_last and len(dims) >= 2:
        dims = dims[1:] + dims[:1]
    return "(" + ", ".join(["None"] + [str(d) for d in dims]) + ")"


@dataclass
class ModelSummary:
    """What :func:`summary` returns; ``str()`` of it is the Keras-style table.

    Attributes:
        rows: one :class:`SummaryRow` per module call, in the order the forward pass ran.
        total_params: number of distinct parameters in the model.
        trainable_params: those with ``requires_grad=True``.
        non_trainable_params: the others (frozen).
        input_shape: the shape of the input used, batch first.
        channels_last: whether the table writes image shapes channels-last (Keras style).
    """

    rows: list[SummaryRow]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    input_shape: Shape
    channels_last: bool = False
    model_name: str = field(default="Model")

    def row(self, name: str) -> SummaryRow:
        """The first row of the module called ``name``; a KeyError lists the names if none."""
        for r in self.rows:
            if r.name == name:
                return r
        names = [r.name for r in self.rows]
        from cnnkit.models.named import unknown_layer_error

        raise unknown_layer_error(name, names)

    def rows_of_type(self, *types: str) -> list[SummaryRow]:
        """The rows whose module class name is one of ``types`` (e.g. ``"Conv2d"``)."""
        return [r for r in self.rows if r.type in types]

    def table(self) -> str:
        """The table as text: ``Layer (type)``, ``Output shape``, ``Param #``, then the totals."""
        heads = ("Layer (type)", "Output shape", "Param #")
        body = [
            (f"{r.name} ({r.type})", format_shape(r.output_shape, self.channels_last), f"{r.params:,}")
            for r in self.rows
        ]
        widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(heads)]
        gap = "   "
        width = sum(widths) + 2 * len(gap)

        def line(cells):
            return cells[0].ljust(widths[0]) + gap + cells[1].ljust(widths[1]) + gap + cells[2].rjust(widths[2])

        out = [f'Model: "{self.model_name}"', "_" * width, line(heads), "=" * width]
        out += [line(b) for b in body]
        out += [
            "=" * width,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            "_" * width,
        ]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (
            f"ModelSummary({self.model_name!r}, {len(self.rows)} rows, total_params={self.total_params:,}, "
            f"trainable_params={self.trainable_params:,})"
        )


def _shape_of(output: Any) -> Shape | tuple[Shape, ...] | None:
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        shapes = tuple(s for s in (_shape_of(o) for o in output) if s is not None)
        if len(shapes) == 1:
            return shapes[0]
        return cast(tuple[Shape, ...], shapes) or None  # nested outputs are listed flat
    if isinstance(output, dict):
        return _shape_of(list(output.values()))
    return None


def _modules_to_hook(model: nn.Module, depth: int | None) -> list[tuple[str, nn.Module]]:
    """Leaves (and modules holding parameters of their own), or the modules at ``depth``."""
    chosen = []
    for name, module in model.named_modules():
        if name == "":
            if not any(True for _ in module.children()):  # a model that is a single layer
                chosen.append((type(module).__name__, module))
            continue
        level = name.count(".") + 1
        is_leaf = not any(True for _ in module.children())
        if depth is None:
            owns_params = any(True for _ in module.parameters(recurse=False))
            if is_leaf or owns_params:
                chosen.append((name, module))
        elif level == depth or (level < depth and is_leaf):
            chosen.append((name, module))
    return chosen


def summary(
    model: nn.Module,
    input_size: Sequence[int],
    batch_size: int = 1,
    depth: int | None = None,
    channels_last: bool = False,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
    verbose: bool = False,
) -> ModelSummary:
    """Run one input through ``model`` and tabulate every layer, as Keras' ``model.summary()``.

    Args:
        model: any ``nn.Module``.
        input_size: the shape of one input *without* the batch axis, e.g. ``(1, 28, 28)`` for a
            grey 28x28 image in PyTorch's channels-first order.
        batch_size: the batch size of the zero tensor that is run through the model.
        depth: None lists every leaf module (a module without sub-modules: ``Conv2d``, ``ReLU``
            ...); an int ``d`` lists the modules nested ``d`` levels deep instead (a ResNet at
            ``depth=1`` gives one row per stage), each with the parameters of everything inside.
        channels_last: write image shapes as Keras does, (None, H, W, C), instead of PyTorch's
            (None, C, H, W).
        dtype: dtype of the input tensor.
        device: where to create the input; by default the device of the model's first
            parameter (a model built on the ``"meta"`` device gives shapes without memory).
        verbose: also print the table.

    Returns:
        A :class:`ModelSummary`; ``print()`` it for the table, or read ``rows`` and the totals.

    Example:
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 26 * 26, 10))
        >>> s = summary(model, (1, 28, 28), channels_last=True)
        >>> print(s)
        Model: "Sequential"
        ___________________________________________
        Layer (type)   Output shape         Param #
        ===========================================
        0 (Conv2d)     (None, 26, 26, 32)       320
        1 (ReLU)       (None, 26, 26, 32)         0
        2 (Flatten)    (None, 21632)              0
        3 (Linear)     (None, 10)           216,330
        ===========================================
        Total params: 216,650
        Trainable params: 216,650
        Non-trainable params: 0
        ___________________________________________
        >>> s.rows[0].output_shape, s.total_params
        ((1, 32, 26, 26), 216650)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    try:
        input_size = tuple(int(d) for d in input_size)
    except TypeError:
        raise TypeError(
            f"input_size must be a sequence of ints without the batch axis, e.g. (1, 28, 28); got {input_size!r}"
        ) from None
    if not input_size or min(input_size) < 1:
        raise ValueError(f"input_size must be non-empty with sizes >= 1, without the batch axis; got {input_size}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be None (every leaf module) or an int >= 1; got {depth}")
    if device is None:
        first = next(iter(model.parameters()), None)
        device = first.device if first is not None else torch.device("cpu")

    records: list[tuple[str, nn.Module, Any]] = []

    def record(name: str, mod: nn.Module, _inputs: tuple, output: Any) -> None:
        records.append((name, mod, _shape_of(output)))

    x = torch.zeros((batch_size, *input_size), dtype=dtype, device=device)
    layers = _modules_to_hook(model, depth)
    with LayerRecorder(layers, keep=False, on_output=record), eval_mode(model), torch.no_grad():
        model(x)

    seen: set[int] = set()

    def count(module: nn.Module, recurse: bool) -> tuple[int, int]:
        total = trainable = 0
        for p in module.parameters(recurse=recurse):
            if id(p) in seen:
                continue
            seen.add(id(p))
            total += p.numel()
            trainable += p.numel() if p.requires_grad else 0
        return total, trainable

    recurse = depth is not None
    rows = []
    called = set()
    for name, module, shape in records:
        n, t = count(module, recurse)
        rows.append(SummaryRow(name, type(module).__name__, shape, n, t))
        called.add(id(module))
    # Modules with parameters that the forward pass never used still count in the totals.
    for name, module in _modules_to_hook(model, depth):
        if id(module) not in called:
            n, t = count(module, recurse)
            if n:
                rows.append(SummaryRow(name, type(module).__name__, None, n, t))
    # Parameters held by containers above the listed depth.
    n, t = count(model, True)
    if n:
        rows.append(SummaryRow("(other)", "Parameter", None, n, t))

    total = sum(r.params for r in rows)
    trainable = sum(r.trainable for r in rows)
    result = ModelSummary(
        rows=rows,
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        input_shape=(batch_size, *input_size),
        channels_last=channels_last,
        model_name=type(model).__name__,
    )
    if verbose:
        print(result)
    return result
