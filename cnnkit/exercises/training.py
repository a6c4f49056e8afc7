"""Checkers of the training exercises (chapter 7): the batched convolution, its backward pass,
a central-difference gradient, and a small network trained within a budget of steps.

The references are :func:`cnnkit.ops.conv2d`, :func:`cnnkit.ops.conv2d_backward` and
:func:`cnnkit.models.numpy_cnn.numerical_gradient`; the network's layer shapes and parameter
count are those of the chapter's network, :func:`cnnkit.models.numpy_cnn.small_cnn` built in
PyTorch by :func:`cnnkit.models.numpy_cnn.to_torch`, and it is trained by
:func:`cnnkit.train.fit`.

Every case hands the reader's function fresh copies of its arrays and looks at them again
afterwards: a function that changes an argument in place (or, for the numerical gradient, does
not put ``x`` back as it was) fails, even when its result is right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnkit.data import mnist_split
from cnnkit.exercises.cases import rounded_normal, seeded_rng
from cnnkit.exercises.compare import _format_value, _scalar, compare_arrays, compare_numbers
from cnnkit.exercises.core import SEED, Case, CheckResult, check
from cnnkit.models.hooks import LayerRecorder
from cnnkit.models.numpy_cnn import numerical_gradient, small_cnn, to_torch
from cnnkit.models.zoo import parameter_count
from cnnkit.ops import conv2d, conv2d_backward
from cnnkit.shapes import conv_output_size
from cnnkit.train import evaluate, fit

__all__ = [
    "check_conv2d",
    "check_conv2d_backward",
    "check_numerical_gradient",
    "check_small_cnn",
    "SMALL_CNN_MIN_ACCURACY",
    "SMALL_CNN_TRAINING",
]

#: The held-out accuracy :func:`check_small_cnn` asks of the reader's network after training.
SMALL_CNN_MIN_ACCURACY = 0.9
#: How :func:`check_small_cnn` trains the network (the arguments of :func:`cnnkit.train.fit`):
#: Adam, two passes over the 8,000 training digits in batches of 64, that is 250 steps.
SMALL_CNN_TRAINING: Mapping[str, Any] = MappingProxyType({"epochs": 2, "batch_size": 64, "lr": 2e-3, "seed": SEED})


# --------------------------------------------------------------------------------------------
# Arguments that must come back unchanged


@dataclass(frozen=True)
class _Changed:
    """What a guarded call returns, instead of the result, when an argument came back changed."""

    message: str


def _first_change(before: np.ndarray, after: Any) -> str | None:
    """None if ``after`` still holds ``before``'s values, else where it first differs."""
    after = np.asarray(after)
    if after.shape != before.shape:
        return f"its shape was {before.shape} and is {after.shape}"
    same = np.isclose(after, before, rtol=1e-12, atol=1e-15, equal_nan=True)
    if same.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~same)[0])
    at = index if len(index) != 1 else index[0]
    return f"[{str(at).strip('()').rstrip(',')}] was {_scalar(before[index])} and is {_scalar(after[index])}"


class _Guarded:
    """The reader's function, called by ``call(*args)``, whose array arguments must come back as
    they went in. It keeps the function's name and code, so that the runner's messages (the
    stub's "not implemented yet", the line that raised) still name the reader's function."""

    def __init__(self, func: Callable, names: Sequence[str], call: Callable | None = None, advice: str = "") -> None:
        self.func, self.names, self.call, self.advice = func, list(names), call or func, advice
        self.__name__ = getattr(func, "__name__", "")
        # a class: the code of its __init__, in the same cell as its forward
        self.__code__ = getattr(func, "__code__", None) or getattr(getattr(func, "__init__", None), "__code__", None)

    def __call__(self, *args: Any) -> Any:
        before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
        result = self.call(*args)
        for name, arg, old in zip(self.names, args, before, strict=False):
            change = None if old is None else _first_change(old, arg)
            if change is not None:
                return _Changed(
                    f"changed its argument {name} in place: {name}{change} after the call; {self.advice} "
                    "(the result was not compared)"
                )
        return result


def _guard(func: Any, names: Sequence[str], call: Callable | None = None, advice: str = "") -> Any:
    """``func`` guarded (or unchanged if it is not a function: the runner says so)."""
    if not callable(func):
        return func
    advice = advice or "work on a copy (x.copy(), np.pad) and leave the arguments as they were"
    return _Guarded(func, names, call, advice)


def _unless_changed(compare: Callable[[Any, Any], str | None]) -> Callable[[Any, Any], str | None]:
    def compare_unless_changed(actual: Any, expected: Any) -> str | None:
        return actual.message if isinstance(actual, _Changed) else compare(actual, expected)

    return compare_unless_changed


# --------------------------------------------------------------------------------------------
# The forward pass


def _conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, padding: int) -> np.ndarray:
    return conv2d(x, w, b, stride=stride, padding=padding)


def _random_convolutions(n: int, with_bias: bool) -> list[Case]:
    """``n`` seeded random convolutions (x, w, b, stride, padding), or (x, w, stride, padding)."""
    rng = seeded_rng()
    cases = []
    for _ in range(n):
        batch, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        h, w = (int(v) for v in rng.integers(3, 8, size=2))
        padding, stride = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, min(h + 2 * padding, 5) + 1)), int(rng.integers(1, min(w + 2 * padding, 5) + 1))
        x = rounded_normal(rng, (batch, c_in, h, w))
        kernels = rounded_normal(rng, (c_out, c_in, kh, kw))
        bias = rounded_normal(rng, (c_out,))
        cases.append(Case((x, kernels, bias, stride, padding) if with_bias else (x, kernels, stride, padding)))
    return cases


def _conv_inputs() -> dict[str, np.ndarray]:
    """The small arrays of the hand-picked convolution cases."""
    return {
        "ramp": np.arange(16.0).reshape(1, 1, 4, 4),
        "diagonal": np.array([[1.0, 0.0], [0.0, -1.0]])[None, None],
        "two_channels": (np.arange(72).reshape(1, 2, 6, 6) % 7 - 3).astype(float),
        "three_filters": (np.arange(54).reshape(3, 2, 3, 3) % 4 - 1.5) / 2,
        "two_images": np.stack([np.arange(49.0).reshape(1, 7, 7) % 6, -(np.arange(49.0).reshape(1, 7, 7) % 4)]),
        "corner": np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 3.0]])[None, None],
    }


def check_conv2d(func: Callable) -> CheckResult:
    """Check ``func(x, w, b, stride, padding)``: a batched, multi-channel convolution layer.

    The reader's function::

        def conv2d(x, w, b, stride=1, padding=0):
            \"\"\"x: (N, C_in, H, W), w: (C_out, C_in, kH, kW), b: (C_out,), stride: int >= 1,
            padding: int >= 0 zeros on each side -> y: (N, C_out, H_out, W_out) with
            H_out = (H + 2 padding - kH) // stride + 1 (W_out alike) and
            y[n, o, u, v] = b[o] + sum over c, i, j of
                            x_p[n, c, stride u + i, stride v + j] * w[o, c, i, j]
            where x_p is x padded with zeros (cross-correlation: the kernel is not flipped).\"\"\"

    Reference: :func:`cnnkit.ops.conv2d`. Cases: an asymmetric kernel without bias, then with a
    bias, two input channels and three filters, two different images, padding, stride 2, stride
    with padding and a dropped last window, a non-square image and kernel, an integer image
    with fractional weights, then 5 random ones. Each case checks that ``x``, ``w`` and ``b``
    come back unchanged.

    Example:
        >>> from cnnkit.ops import conv2d
        >>> check_conv2d(lambda x, w, b, stride=1, padding=0: conv2d(x, w, b, stride=stride, padding=padding))
        passed: 14 cases
    """
    a = _conv_inputs()
    no_bias, one_bias = np.zeros(1), np.array([10.0])
    fixed = [
        Case(
            (a["ramp"], a["diagonal"], no_bias, 1, 0),
            hint="one image, one channel, no bias: the kernel slides as it is (cross-correlation); flipping it would be a convolution",
        ),
        Case(
            (a["ramp"], a["diagonal"], one_bias, 1, 0),
            hint="the bias: one number per filter, added at every output position",
        ),
        Case(
            (a["two_channels"], a["three_filters"], np.array([1.0, -2.0, 0.5]), 1, 0),
            hint="two input channels and three filters: each output channel sums over all the input channels, then adds its own bias once",
        ),
        Case(
            (a["two_images"], a["corner"], np.array([0.5]), 1, 0),
            hint="two different images: each output image is computed from its own input image only",
        ),
        Case(
            (np.arange(1.0, 10.0).reshape(1, 1, 3, 3), a["corner"], no_bias, 1, 1),
            hint="padding 1: zeros on all four sides of every image, once, before the kernel slides",
        ),
        Case(
            (np.arange(25.0).reshape(1, 1, 5, 5) % 7, a["corner"], no_bias, 2, 0),
            hint="stride 2: the windows start stride samples apart, in the input, along both axes",
        ),
        Case(
            (np.arange(36.0).reshape(1, 1, 6, 6) % 5, a["corner"], np.array([-1.0]), 2, 1),
            hint="stride and padding together: pad first, then take every stride-th window; a last window that would stick out is dropped",
        ),
        Case(
            (
                np.arange(35.0).reshape(1, 1, 5, 7) % 6,
                np.array([[1.0, -1.0, 2.0], [0.0, 1.0, 3.0]])[None, None],
                no_bias,
                1,
                0,
            ),
            hint="a non-square image and kernel: the rows come from H and kH, the columns from W and kW",
        ),
        Case(
            (np.array([[3, 1, 4], [1, 5, 9], [2, 6, 5]])[None, None], np.full((1, 1, 2, 2), 0.25), no_bias, 1, 0),
            hint="an integer image with fractional weights: the output has fractions, whatever the dtype of x",
        ),
    ]
    names = ["x", "w", "b", "stride", "padding"]
    return check(
        _guard(func, names),
        _conv2d,
        fixed + _random_convolutions(5, with_bias=True),
        compare=_unless_changed(compare_arrays),
        names=names,
        fixed=len(fixed),
    )


# --------------------------------------------------------------------------------------------
# The backward pass


def _conv2d_backward(x: np.ndarray, w: np.ndarray, grad_output: np.ndarray, stride: int, padding: int) -> tuple:
    return conv2d_backward(x, w, grad_output, stride=stride, padding=padding)


def _compare_gradients(actual: Any, expected: tuple) -> str | None:
    """The triple (dx, dw, db), each as :func:`compare_arrays`; the first that differs."""
    if isinstance(actual, (tuple, list)) and len(actual) != 3:
        return f"expected a tuple (dx, dw, db) of three arrays; got a {type(actual).__name__} of {len(actual)}"
    if not isinstance(actual, (tuple, list)):
        got = f"an array of shape {actual.shape}" if isinstance(actual, np.ndarray) else _format_value(actual)
        return f"expected a tuple (dx, dw, db) of three arrays; got {got}"
    for name, a, e in zip(("dx", "dw", "db"), actual, expected, strict=True):
        difference = compare_arrays(a, e)
        if difference is not None:
            return f"{name} differs: {difference}"
    return None


def _grad_output_for(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """A gradient of the forward output's shape, with distinct values of both signs."""
    h, wd = conv_output_size(tuple(x.shape[2:]), tuple(w.shape[2:]), stride, padding)
    n, c_out = x.shape[0], w.shape[0]
    count = n * c_out * h * wd
    values = np.arange(1, count + 1) * (-1.0) ** np.arange(count) / 2
    return values.reshape(n, c_out, h, wd)


def check_conv2d_backward(func: Callable) -> CheckResult:
    """Check ``func(x, w, grad_output, stride, padding)``: the gradients of a convolution layer.

    The reader's function::

        def conv2d_backward(x, w, grad_output, stride=1, padding=0):
            \"\"\"The forward pass is y = conv2d(x, w, b, stride, padding) (see check_conv2d);
            grad_output is dL/dy, of y's shape (N, C_out, H_out, W_out), for some loss L.
            Returns (dx, dw, db) = (dL/dx, dL/dw, dL/db), of the shapes of x, w and b:
            (N, C_in, H, W), (C_out, C_in, kH, kW) and (C_out,).\"\"\"

    Reference: :func:`cnnkit.ops.conv2d_backward`. Cases: one channel and stride 1, two images,
    two input channels and three filters, an asymmetric 3x3 kernel, padding, stride 2, stride
    2 with rows and columns the windows never read, a non-square image and kernel, then 5
    random ones. Each ``grad_output`` has distinct values of both signs; each case checks that
    ``x``, ``w`` and ``grad_output`` come back unchanged.

    Example:
        >>> from cnnkit.ops import conv2d_backward
        >>> check_conv2d_backward(lambda x, w, g, stride=1, padding=0: conv2d_backward(x, w, g, stride=stride, padding=padding))
        passed: 13 cases
    """
    a = _conv_inputs()
    settings = [
        (
            np.arange(9.0).reshape(1, 1, 3, 3),
            a["diagonal"],
            1,
            0,
            "one image, one channel, stride 1: each output value read one window; its gradient goes back to "
            "that window's inputs (dx) and to the weights (dw), and to the bias (db)",
        ),
        (
            a["two_images"],
            a["corner"],
            1,
            0,
            "two images share one kernel and one bias: their gradients collect the contributions of every "
            "image; dx keeps one gradient per image",
        ),
        (
            a["two_channels"],
            a["three_filters"],
            1,
            0,
            "three filters on two channels: db has one entry per filter; an input value is read by every "
            "filter, so its gradient gathers all of them",
        ),
        (
            np.arange(25.0).reshape(1, 1, 5, 5) % 7,
            a["corner"],
            1,
            0,
            "an asymmetric kernel: input (i, j) is read by several windows, each through a different weight; "
            "pair every output position with the weight that read this input",
        ),
        (
            np.arange(1.0, 10.0).reshape(1, 1, 3, 3),
            a["corner"],
            1,
            1,
            "padding 1: the padded border has gradients too, but dx has the shape of x",
        ),
        (
            np.arange(49.0).reshape(1, 1, 7, 7) % 6,
            a["corner"],
            2,
            0,
            "stride 2: window (u, v) starts at (2u, 2v), so the gradients go back to positions 2 apart",
        ),
        (
            np.arange(36.0).reshape(1, 1, 6, 6) % 5,
            a["corner"],
            2,
            0,
            "stride 2 on 6 samples: the last row and column are read by no window",
        ),
        (
            np.arange(35.0).reshape(1, 1, 5, 7) % 6,
            np.array([[1.0, -1.0, 2.0], [0.0, 1.0, 3.0]])[None, None],
            1,
            0,
            "a non-square image and kernel: rows from H and kH, columns from W and kW",
        ),
    ]
    fixed = [Case((x, w, _grad_output_for(x, w, s, p), s, p), hint=hint) for x, w, s, p, hint in settings]
    random = []
    for case in _random_convolutions(5, with_bias=False):
        x, w, s, p = case.args
        random.append(Case((x, w, _grad_output_for(x, w, s, p), s, p)))
    names = ["x", "w", "grad_output", "stride", "padding"]
    return check(
        _guard(func, names),
        _conv2d_backward,
        fixed + random,
        compare=_unless_changed(_compare_gradients),
        names=names,
        fixed=len(fixed),
    )


# --------------------------------------------------------------------------------------------
# The numerical gradient


@dataclass(frozen=True, eq=False)
class _Loss:
    """A function of an array ``x``, shown in a message as the ``f`` the reader receives."""

    text: str
    of: Callable[[np.ndarray], float]

    def __repr__(self) -> str:
        return self.text


def _with_f(numerical: Callable, loss: _Loss, x: np.ndarray, eps: float) -> Any:
    """Call ``numerical(f, x, eps)`` with ``f`` a function of no arguments that reads ``x``."""
    return numerical(lambda: float(loss.of(x)), x, eps)


def _conv_loss() -> _Loss:
    images = (np.arange(32.0).reshape(2, 1, 4, 4) % 5 - 2) / 2
    grad = np.arange(18.0).reshape(2, 1, 3, 3) % 4 - 1.5
    return _Loss("lambda: np.sum(conv2d(images, x) * g)  # x: the kernels", lambda x: np.sum(conv2d(images, x) * grad))


def _losses() -> dict[str, _Loss]:
    return {
        "square": _Loss("lambda: np.sum(x ** 2)", lambda x: np.sum(x**2)),
        "exp": _Loss("lambda: np.sum(np.exp(4 * x))", lambda x: np.sum(np.exp(4 * x))),
        "cube": _Loss("lambda: np.sum(x ** 3)", lambda x: np.sum(x**3)),
        "logsumexp": _Loss("lambda: np.log(np.sum(np.exp(x)))", lambda x: np.log(np.sum(np.exp(x)))),
        "product": _Loss("lambda: np.prod(np.sin(x))", lambda x: np.prod(np.sin(x))),
    }


def check_numerical_gradient(func: Callable) -> CheckResult:
    """Check ``func(f, x, eps)``: the gradient of ``f()`` with respect to ``x`` by central differences.

    The reader's function::

        def numerical_gradient(f, x, eps=1e-6):
            \"\"\"f: a function of no arguments returning a float, that reads the array x;
            x: a float array; eps: the step. Returns an array of x's shape whose entry i is
                (f() with x[i] raised by eps  -  f() with x[i] lowered by eps) / (2 eps),
            every other entry of x as it was. x may be changed during the call, but must
            hold its original values again when the function returns.\"\"\"

    This is :func:`cnnkit.models.numpy_cnn.numerical_gradient`, the reference, with the same
    step. Cases: a sum of squares, a function with a large second derivative at a step of
    1e-4 (where a one-sided difference is off by 2e-4 of the gradient, and a central one by
    less than 1e-7), a 2-D ``x`` with a large step, a function whose every partial derivative depends on all of ``x``, a convolution's
    loss as a function of its kernels (what a backward pass's ``dw`` must equal), then 3
    random ones. Tolerance: ``rtol=1e-6``, ``atol=1e-8``. After each case, ``x`` must hold its
    original values again (to within rounding, ``rtol=1e-12``).

    Example:
        >>> from cnnkit.models.numpy_cnn import numerical_gradient
        >>> check_numerical_gradient(numerical_gradient)
        passed: 8 cases
    """
    losses = _losses()
    fixed = [
        Case(
            (losses["square"], np.array([1.0, -2.0, 3.0]), 1e-6),
            hint="a sum of squares: one difference quotient per entry of x, that entry moved up and down by eps, "
            "divided by the distance between the two points",
        ),
        Case(
            (losses["exp"], np.array([0.0, 0.5, -0.5]), 1e-4),
            hint="f curves strongly here: only a difference that is symmetric around x is this accurate at this step",
        ),
        Case(
            (losses["cube"], np.array([[1.0, -0.5, 2.0], [0.0, 1.5, -1.0]]), 0.1),
            hint="a 2-D x and a large step: use the eps you are given, and visit every entry whatever the shape of x",
        ),
        Case(
            (losses["logsumexp"], np.array([0.5, -1.0, 2.0, 0.0]), 1e-5),
            hint="every partial derivative depends on all of x: each entry must be back at its value before the next one moves",
        ),
        Case(
            (_conv_loss(), np.array([[1.0, -2.0], [0.5, 3.0]])[None, None], 1e-6),
            hint="x is the kernel of a convolution and f its loss: f reads x, so move the entries of x itself, not of a copy",
        ),
    ]
    rng = seeded_rng()
    random = []
    for name in ("product", "logsumexp", "exp"):
        shape = tuple(int(v) for v in rng.integers(1, 4, size=int(rng.integers(1, 3))))
        random.append(Case((losses[name], rounded_normal(rng, shape), float(rng.choice([1e-6, 1e-4, 1e-2])))))
    names = ["f", "x", "eps"]
    advice = "put every entry back as it was after its two evaluations of f"
    compare = partial(compare_arrays, rtol=1e-6, atol=1e-8)
    return check(
        _guard(func, names, call=partial(_with_f, func), advice=advice),
        partial(_with_f, numerical_gradient),
        fixed + random,
        compare=_unless_changed(compare),
        names=names,
        fixed=len(fixed),
    )


# --------------------------------------------------------------------------------------------
# The small network


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    split = mnist_split()
    return split.x_train, split.y_train, split.x_test, split.y_test


def _reference_network() -> nn.Module:
    return to_torch(small_cnn())


@dataclass(frozen=True)
class _NotAModule:
    message: str


def _trace(model: nn.Module, x: torch.Tensor, signs: bool) -> list[str]:
    """One line per call of a module with weights of its own (``Conv2d``, ``Linear``, ...), in
    the order ``forward`` makes them, with its input and output shapes (or, if ``signs``, whether
    its input has negative values), then the output's shape."""
    lines: list[str] = []

    def record(module: nn.Module, inputs: tuple, output: Any) -> None:
        first = inputs[0] if inputs else None
        shape = tuple(first.shape) if isinstance(first, torch.Tensor) else None
        if signs:
            negative = isinstance(first, torch.Tensor) and bool((first < 0).any())
            lines.append(f"{type(module).__name__} reads {'negative values' if negative else 'no negative value'}")
        else:
            out = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
            lines.append(f"{type(module).__name__} {shape} -> {out}")

    weighted = [(name, m) for name, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))]
    with LayerRecorder(weighted, keep=False, on_output=lambda _name, m, i, o: record(m, i, o)), torch.no_grad():
        out = model(x)
    if not signs:
        lines.append(f"output {tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    return lines


def _measure(build: Callable[[], Any], measure: str, x: torch.Tensor | None = None) -> Any:
    """Build a network (seeded) and measure it: its layers, the signs its layers read, its
    parameter count, or its held-out accuracy after :data:`SMALL_CNN_TRAINING`."""
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = build()
        if not isinstance(model, nn.Module):
            return _NotAModule(
                f"{getattr(build, '__name__', 'the class')}() gave {_format_value(model)}, not an nn.Module: "
                "subclass torch.nn.Module and call super().__init__() first"
            )
        if measure == "parameters":
            return parameter_count(model)
        if measure in ("layers", "signs"):
            assert x is not None  # the cases of these measures give an input
            return _trace(model, x, signs=measure == "signs")
        x_train, y_train, x_test, y_test = _digits()
        try:
            torch.set_num_threads(1)  # the same sums in the same order on every machine
            fit(model, x_train, y_train, **SMALL_CNN_TRAINING)
            return evaluate(model, x_test, y_test)
        finally:
            torch.set_num_threads(threads)


def _training_text() -> str:
    n = len(_digits()[0])
    epochs, batch, lr = (SMALL_CNN_TRAINING[key] for key in ("epochs", "batch_size", "lr"))
    return f"trained by {epochs * -(-n // batch)} steps of Adam, lr {lr:g}, on batches of {batch} of the {n:,} training digits"


def _compare_network(actual: Any, expected: Any) -> str | None:
    if isinstance(actual, _NotAModule):
        return actual.message
    if isinstance(expected, list):
        if isinstance(actual, list) and actual == expected:
            return None
        got = actual if isinstance(actual, list) else [_format_value(actual)]
        shown = got[:8] + (["..."] if len(got) > 8 else [])
        first = next(
            (i for i, (a, e) in enumerate(zip(got, expected, strict=False)) if a != e), min(len(got), len(expected))
        )
        return (
            "the layers with weights, in the order forward calls them, then the output:\n"
            + "\n".join(f"  expected: {line}" if i == 0 else f"            {line}" for i, line in enumerate(expected))
            + "\n"
            + "\n".join(f"  got:      {line}" if i == 0 else f"            {line}" for i, line in enumerate(shown))
            + f"\nfirst difference at line {first + 1}"
        )
    if isinstance(expected, float):  # the minimum accuracy
        if isinstance(actual, float) and actual >= expected:
            return None
        return (
            f"expected a held-out accuracy of at least {expected:g}, got {_format_value(actual)} ({_training_text()})"
        )
    return compare_numbers(actual, expected)


def check_small_cnn(model_class: Callable[[], nn.Module]) -> CheckResult:
    """Check ``model_class``: the chapter's small network, written as an ``nn.Module``, trains.

    The reader's class::

        class SmallCNN(nn.Module):
            \"\"\"For (N, 1, 28, 28) digits -> (N, 10) logits (no softmax):
            conv 8 filters 5x5 -> ReLU -> max-pool 2 -> conv 16 filters 5x5 -> ReLU
            -> max-pool 2 -> flatten -> dense 10, no padding, nn.Conv2d and nn.Linear
            with their biases.\"\"\"

    The network of :func:`cnnkit.models.numpy_cnn.small_cnn`, the reference (through
    :func:`~cnnkit.models.numpy_cnn.to_torch`). ``model_class`` is called without arguments,
    after ``torch.manual_seed(SEED)`` (so a class, or any function returning a fresh network).
    Cases, each on a new instance:

    1. the input and output shapes of every module with weights of its own, in the order
       ``forward`` calls them, and the output's shape, on two held-out digits;
    2. the same on one digit;
    3. which of those modules read negative values (after a ReLU, none do);
    4. the parameter count (:func:`cnnkit.models.zoo.parameter_count`);
    5. the held-out accuracy on the 2,000 held-out digits of :func:`cnnkit.data.mnist_split`
       after training by :func:`cnnkit.train.fit` with :data:`SMALL_CNN_TRAINING` (Adam, 250
       steps of 64 digits), at least :data:`SMALL_CNN_MIN_ACCURACY`.

    The training is seeded and runs on one thread, so that a machine gives the same accuracy
    every time. The reference network reaches about 0.93; one that returns probabilities
    (a softmax) instead of logits, or has sigmoids for its ReLUs, stays below 0.88. The check
    takes a few seconds on a CPU, and leaves the global random state and the number of threads
    as they were.

    Example:
        >>> from cnnkit.models.numpy_cnn import small_cnn, to_torch
        >>> check_small_cnn(lambda: to_torch(small_cnn()))
        passed: 5 cases
    """
    x_test = _digits()[2]
    two, one = torch.from_numpy(x_test[:2]), torch.from_numpy(x_test[2:3])
    fixed = [
        Case(
            ("layers", two),
            hint="each convolution shrinks the map by its kernel size less one, each 2x2 pooling halves it; "
            "the dense layer reads every value the second pooling leaves",
        ),
        Case(
            ("layers", one), hint="one image: flatten every axis but the batch axis, which stays first, whatever N is"
        ),
        Case(("signs", two), hint="a ReLU after each convolution: the layers after the first read no negative value"),
        Case(
            ("parameters",),
            hint="count the weights and the biases of the three layers with weights; layers defined but unused count too",
        ),
        Case(
            ("held-out accuracy",),
            expected=SMALL_CNN_MIN_ACCURACY,
            hint="the shapes and the count are right, so the network computes something other than the specification: "
            "what lies between the layers, and what does forward return?",
        ),
    ]
    func = model_class
    if callable(model_class):
        func = _Guarded(model_class, ["measure", "x"], call=partial(_measure, model_class))
    return check(
        func,
        partial(_measure, _reference_network),
        fixed,
        compare=_compare_network,
        names=["measure", "x"],
        fixed=len(fixed),
    )
