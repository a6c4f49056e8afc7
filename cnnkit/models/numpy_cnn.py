"""A small convolutional network written in numpy and trained with cnnkit's own operations.

Chapter 7 trains this network on the offline MNIST digits (:func:`cnnkit.data.mnist_split`)
without PyTorch: every layer is an object with two methods,

- ``forward(x)``, which computes the layer's output and keeps what the backward pass will need
  (the input of a convolution, the sign pattern of a ReLU, the input of a max-pool);
- ``backward(grad_output)``, which takes :math:`\\partial L / \\partial y` (the gradient of the
  loss with respect to the layer's output), stores the gradients of the layer's own parameters
  in ``grads`` and returns :math:`\\partial L / \\partial x` for the layer below.

The convolutions and the pooling are :func:`cnnkit.ops.conv2d` and :func:`cnnkit.ops.max_pool2d`
forward, and :func:`cnnkit.ops.conv2d_backward` and :func:`cnnkit.ops.max_pool2d_backward`
backward; the ReLU, the dense layer and the softmax cross-entropy are a line of numpy each.
:class:`SGD` updates the parameters (with PyTorch's convention for momentum), and
:func:`train_numpy` runs the seeded training loop. :func:`to_torch` builds the same network as a
PyTorch ``nn.Sequential`` with the same weights, and :func:`train_torch` trains it on the same
mini-batches with ``torch.optim.SGD``, so that the two can be compared step by step.

The default network, :func:`small_cnn`, for 28x28 digits:

==========  ==============  ==========
layer       output shape    parameters
==========  ==============  ==========
conv1       (8, 24, 24)     208
relu1       (8, 24, 24)
pool1       (8, 12, 12)
conv2       (16, 8, 8)      3,216
relu2       (16, 8, 8)
pool2       (16, 4, 4)
flatten     (256,)
dense       (10,)           2,570
total                       5,994
==========  ==============  ==========
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnkit.ops import conv2d, conv2d_backward, max_pool2d, max_pool2d_backward
from cnnkit.shapes import conv_output_size, pool_output_size
from cnnkit.train import History, evaluate

__all__ = [
    "Layer",
    "Conv2d",
    "ReLU",
    "MaxPool2d",
    "Flatten",
    "Dense",
    "softmax_cross_entropy",
    "NumpyCNN",
    "small_cnn",
    "SGD",
    "minibatches",
    "train_numpy",
    "to_torch",
    "train_torch",
    "numerical_gradient",
]


def _uniform(rng: np.random.Generator, fan_in: int, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the distribution of PyTorch's default initialisation."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class Layer:
    """A layer of :class:`NumpyCNN`: ``forward``, ``backward``, its parameters and their gradients.

    Attributes:
        params: the layer's parameters by name (``"weight"``, ``"bias"``); empty for a layer
            without any. :class:`SGD` changes these arrays in place.
        grads: the gradients of the loss with respect to ``params``, same names and shapes,
            written by the last ``backward``.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def to_torch(self) -> nn.Module:
        """The equivalent PyTorch module, with a copy of this layer's parameters."""
        raise NotImplementedError


class Conv2d(Layer):
    """A convolution with one bias per output channel: :func:`cnnkit.ops.conv2d` and its backward.

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size: k, for k x k kernels.
        stride, padding: as :func:`cnnkit.ops.conv2d` (ints here).
        rng: the generator that draws the initial weights, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            with fan_in = C_in k k, the distribution (not the numbers) of PyTorch's default.
        dtype: of the parameters.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out); ``weight`` (C_out, C_in, k, k), ``bias`` (C_out,).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        rng = np.random.default_rng(0) if rng is None else rng
        fan_in = in_channels * kernel_size * kernel_size
        self.stride, self.padding = stride, padding
        self.params = {
            "weight": _uniform(rng, fan_in, (out_channels, in_channels, kernel_size, kernel_size), dtype),
            "bias": _uniform(rng, fan_in, (out_channels,), dtype),
        }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input = x
        return conv2d(x, self.params["weight"], self.params["bias"], stride=self.stride, padding=self.padding)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_input, grad_weight, grad_bias = conv2d_backward(
            self.input, self.params["weight"], grad_output, stride=self.stride, padding=self.padding
        )
        self.grads = {"weight": grad_weight, "bias": grad_bias}
        return grad_input

    def to_torch(self) -> nn.Module:
        c_out, c_in, k, _ = self.params["weight"].shape
        return nn.Conv2d(c_in, c_out, k, stride=self.stride, padding=self.padding)


class ReLU(Layer):
    """max(0, x); the gradient passes where the input was positive and is 0 elsewhere (also at 0,
    as in PyTorch)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        return x * self.positive

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self.positive

    def to_torch(self) -> nn.Module:
        return nn.ReLU()


class MaxPool2d(Layer):
    """Max pooling, :func:`cnnkit.ops.max_pool2d`; backward, each window's gradient goes to its
    maximum (:func:`cnnkit.ops.max_pool2d_backward`)."""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input = x
        return max_pool2d(x, self.kernel_size, self.stride)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return max_pool2d_backward(self.input, grad_output, self.kernel_size, self.stride)

    def to_torch(self) -> nn.Module:
        return nn.MaxPool2d(self.kernel_size, self.stride)


class Flatten(Layer):
    """(N, C, H, W) -> (N, C H W), in PyTorch's (row-major) order; backward, the reverse reshape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output.reshape(self.shape)

    def to_torch(self) -> nn.Module:
        return nn.Flatten()


class Dense(Layer):
    """A dense (fully connected) layer, y = x W^T + b, as ``nn.Linear``.

    Shape:
        (N, in_features) -> (N, out_features); ``weight`` (out_features, in_features), ``bias``
        (out_features,). Backward: dL/dW = g^T x, dL/db = the sum of g over the batch,
        dL/dx = g W.
    """

    def __init__(
        self, in_features: int, out_features: int, rng: np.random.Generator | None = None, dtype: Any = np.float32
    ) -> None:
        super().__init__()
        rng = np.random.default_rng(0) if rng is None else rng
        self.params = {
            "weight": _uniform(rng, in_features, (out_features, in_features), dtype),
            "bias": _uniform(rng, in_features, (out_features,), dtype),
        }

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        self.grads = {"weight": grad_output.T @ self.input, "bias": grad_output.sum(axis=0)}
        return grad_output @ self.params["weight"]

    def to_torch(self) -> nn.Module:
        n_out, n_in = self.params["weight"].shape
        return nn.Linear(n_in, n_out)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean cross-entropy of the softmax of ``logits``, and its gradient with respect to them.

    With :math:`p = \\operatorname{softmax}(z)` for each row :math:`z` of ``logits``, the loss is
    :math:`L = -\\frac{1}{N} \\sum_n \\log p_n[y_n]` (``nn.CrossEntropyLoss()``), and its gradient
    is :math:`(p_n - \\text{onehot}(y_n)) / N`: the predicted probabilities, minus one at the
    true class.

    Args:
        logits: shape (N, classes).
        labels: int class indices, shape (N,).

    Returns:
        ``(loss, grad_logits)``: a float and an array of the shape of ``logits``.

    Example:
        >>> loss, grad = softmax_cross_entropy(np.array([[0.0, 0.0]]), np.array([1]))
        >>> round(loss, 4), grad                      # log 2; p = (1/2, 1/2)
        (0.6931, array([[ 0.5, -0.5]]))
    """
    shifted = logits - logits.max(axis=1, keepdims=True)  # the same softmax, without overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_p[rows, labels].mean()
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    return float(loss), grad / len(labels)


class NumpyCNN:
    """A stack of :class:`Layer` objects, run in order forward and in reverse order backward.

    Args:
        layers: the layers by name, in order (``{"conv1": Conv2d(...), "relu1": ReLU(), ...}``);
            the names are those of the PyTorch twin (:func:`to_torch`), so parameter names
            (``"conv1.weight"``) are the keys of its ``state_dict()``.

    Example:
        >>> net = small_cnn(seed=0)
        >>> list(net.layers)
        ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2', 'flatten', 'dense']
        >>> net.forward(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
        (2, 10)
        >>> sum(p.size for _, p in net.parameters())
        5994
    """

    def __init__(self, layers: Mapping[str, Layer]) -> None:
        self.layers: OrderedDict[str, Layer] = OrderedDict(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers.values()):
            grad_output = layer.backward(grad_output)
        return grad_output

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """One forward and one backward pass: the mean cross-entropy on ``(x, y)`` and the
        gradient of every parameter, by name."""
        loss, grad = softmax_cross_entropy(self.forward(x), y)
        self.backward(grad)
        return loss, self.gradients()

    def parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` of every parameter, ``"conv1.weight"``, ``"conv1.bias"``, ..."""
        for layer_name, layer in self.layers.items():
            for name, value in layer.params.items():
                yield f"{layer_name}.{name}", value

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients of the last backward pass, by parameter name."""
        return {
            f"{layer_name}.{name}": value
            for layer_name, layer in self.layers.items()
            for name, value in layer.grads.items()
        }

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, by name."""
        return {name: value.copy() for name, value in self.parameters()}

    def astype(self, dtype: Any) -> NumpyCNN:
        """A copy of the network with its parameters in ``dtype`` (float64 for gradient checks)."""
        import copy

        twin = copy.deepcopy(self)
        for layer in twin.layers.values():
            layer.params = {name: value.astype(dtype) for name, value in layer.params.items()}
            layer.grads = {}
        return twin

    def predict(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """The predicted class of every input, int64 of shape (N,)."""
        return np.concatenate(
            [self.forward(x[i : i + batch_size]).argmax(axis=1) for i in range(0, len(x), batch_size)]
        )

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Fraction of inputs whose predicted class is the label."""
        return float((self.predict(x) == np.asarray(y)).mean())


def small_cnn(
    widths: tuple[int, int] = (8, 16),
    kernel_size: int = 5,
    num_classes: int = 10,
    image_size: int = 28,
    seed: int = 0,
    dtype: Any = np.float32,
) -> NumpyCNN:
    """Two convolution-ReLU-max-pool blocks and a dense layer, with seeded random weights.

    conv ``widths[0]`` @ k x k -> ReLU -> max-pool 2 -> conv ``widths[1]`` @ k x k -> ReLU ->
    max-pool 2 -> flatten -> dense ``num_classes``. The convolutions have no padding; the
    dense layer's input size comes from :mod:`cnnkit.shapes`.

    Args:
        widths: output channels of the two convolutions.
        kernel_size: k.
        num_classes: outputs of the dense layer.
        image_size: the side of the (square, one-channel) input.
        seed: seeds the weights (``numpy.random.default_rng(seed)``).
        dtype: of the parameters.

    Example:
        >>> net = small_cnn()
        >>> net.layers["conv2"].params["weight"].shape, net.layers["dense"].params["weight"].shape
        ((16, 8, 5, 5), (10, 256))
    """
    rng = np.random.default_rng(seed)
    side = image_size
    for _ in range(2):
        side = pool_output_size(conv_output_size(side, kernel_size), 2)
    c1, c2 = widths
    return NumpyCNN(
        {
            "conv1": Conv2d(1, c1, kernel_size, rng=rng, dtype=dtype),
            "relu1": ReLU(),
            "pool1": MaxPool2d(2),
            "conv2": Conv2d(c1, c2, kernel_size, rng=rng, dtype=dtype),
            "relu2": ReLU(),
            "pool2": MaxPool2d(2),
            "flatten": Flatten(),
            "dense": Dense(c2 * side * side, num_classes, rng=rng, dtype=dtype),
        }
    )


class SGD:
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD(params, lr, momentum)``.

    For every parameter :math:`\\theta` with gradient :math:`g`, each step does

    .. math::

        v \\leftarrow \\mu v + g \\quad (v = g \\text{ at the first step}), \\qquad
        \\theta \\leftarrow \\theta - \\eta \\, v,

    with learning rate :math:`\\eta` (``lr``) and momentum :math:`\\mu`; ``momentum=0`` is
    plain gradient descent, :math:`\\theta \\leftarrow \\theta - \\eta g`. The parameters are
    changed in place.

    Example:
        >>> net = NumpyCNN({"dense": Dense(2, 1)})
        >>> w = net.layers["dense"].params["weight"].copy()
        >>> net.layers["dense"].grads = {"weight": np.ones((1, 2)), "bias": np.ones(1)}
        >>> SGD(net, lr=0.5).step()
        >>> np.allclose(net.layers["dense"].params["weight"], w - 0.5)
        True
    """

    def __init__(self, net: NumpyCNN, lr: float, momentum: float = 0.0) -> None:
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"SGD: lr must be > 0 and momentum in [0, 1); got lr={lr}, momentum={momentum}")
        self.net, self.lr, self.momentum = net, lr, momentum
        self.velocity: dict[str, np.ndarray] = {}

    def step(self) -> None:
        grads = self.net.gradients()
        for name, param in self.net.parameters():
            direction = grads[name]
            if self.momentum:
                if name in self.velocity:
                    direction = self.velocity[name] = self.momentum * self.velocity[name] + direction
                else:
                    direction = self.velocity[name] = direction.copy()
            param -= self.lr * direction


def minibatches(n: int, batch_size: int, epochs: int, seed: int) -> list[list[np.ndarray]]:
    """The indices of every mini-batch of every epoch: a fresh permutation of ``range(n)`` per
    epoch, from ``numpy.random.default_rng(seed)``, cut into batches (the last may be smaller).

    :func:`train_numpy` and :func:`train_torch` both use it, so they see the same batches.

    Example:
        >>> [[b.tolist() for b in epoch] for epoch in minibatches(5, 2, epochs=2, seed=0)]
        [[[2, 4], [3, 0], [1]], [[4, 1], [2, 0], [3]]]
    """
    if n < 1 or batch_size < 1 or epochs < 1:
        raise ValueError(f"minibatches: n, batch_size and epochs must be >= 1; got {n}, {batch_size}, {epochs}")
    rng = np.random.default_rng(seed)
    epochs_out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        epochs_out.append([order[i : i + batch_size] for i in range(0, n, batch_size)])
    return epochs_out


def _loop(
    step: Callable[[np.ndarray], float],
    accuracy: Callable[[], float] | None,
    n: int,
    epochs: int,
    batch_size: int,
    seed: int,
) -> History:
    """The loop that both trainers share: batches from :func:`minibatches`, a record of the losses."""
    history = History()
    start = time.perf_counter()
    for batches in minibatches(n, batch_size, epochs, seed):
        losses = [step(idx) for idx in batches]
        history.batch_loss += losses
        history.epoch_loss.append(float(np.average(losses, weights=[len(b) for b in batches])))
        if accuracy is not None:
            history.val_accuracy.append(accuracy())
    history.seconds = time.perf_counter() - start
    return history


def train_numpy(
    net: NumpyCNN,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 3,
    batch_size: int = 64,
    lr: float = 0.05,
    momentum: float = 0.9,
    seed: int = 0,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
) -> History:
    """Train ``net`` in place with mini-batch SGD on the softmax cross-entropy.

    Each step takes the next mini-batch (:func:`minibatches`), runs the network forward, the
    loss and its gradient, the network backward, and one :class:`SGD` step.

    Args:
        net: the network, changed in place.
        x: inputs (N, 1, H, W) in the parameters' dtype; y: int labels (N,).
        epochs, batch_size, lr, momentum: of the training; seed: of the batch order.
        validation: optional ``(x_val, y_val)``, whose accuracy is measured after each epoch.

    Returns:
        A :class:`cnnkit.train.History`: the loss of every step, the mean loss of every epoch,
        the validation accuracy after every epoch, the seconds taken.
    """
    optimizer = SGD(net, lr=lr, momentum=momentum)

    def step(idx: np.ndarray) -> float:
        loss, _ = net.loss_and_gradients(x[idx], y[idx])
        optimizer.step()
        return loss

    accuracy = None if validation is None else (lambda: net.accuracy(*validation))
    return _loop(step, accuracy, len(x), epochs, batch_size, seed)


def to_torch(net: NumpyCNN, batchnorm: bool = False) -> nn.Sequential:
    """The same network in PyTorch, an ``nn.Sequential`` with a copy of ``net``'s weights.

    The modules have the names of ``net``'s layers (``conv1``, ``relu1``, ...), so
    ``state_dict()`` has the keys of :meth:`NumpyCNN.parameters`, in the parameters' dtype.

    Args:
        net: the numpy network.
        batchnorm: insert an ``nn.BatchNorm2d`` after every convolution (``bn1`` after
            ``conv1``, ...), freshly initialised (scale 1, shift 0, running mean 0 and variance 1).
            The network is then no longer the numpy one; chapter 7 uses it to show batch
            normalisation in training and in evaluation mode.

    Example:
        >>> net = small_cnn(seed=0)
        >>> model = to_torch(net)
        >>> x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
        >>> np.allclose(model(torch.from_numpy(x)).detach().numpy(), net.forward(x), atol=1e-6)
        True
        >>> [name for name, _ in to_torch(net, batchnorm=True).named_children()][:4]
        ['conv1', 'bn1', 'relu1', 'pool1']
    """
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    for name, layer in net.layers.items():
        modules[name] = layer.to_torch()
        if batchnorm and isinstance(layer, Conv2d):
            modules[name.replace("conv", "bn", 1)] = nn.BatchNorm2d(layer.params["weight"].shape[0])
    model = nn.Sequential(modules)
    dtype = next(iter(net.parameters()))[1].dtype
    model.to(torch.float64 if dtype == np.float64 else torch.float32)
    state = {name: torch.from_numpy(value.copy()) for name, value in net.parameters()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not key.startswith("bn") for key in missing):
        raise RuntimeError(f"to_torch: parameters do not match: missing {missing}, unexpected {unexpected}")
    return model


def train_torch(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 3,
    batch_size: int = 64,
    lr: float = 0.05,
    momentum: float = 0.9,
    seed: int = 0,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
) -> History:
    """Train a PyTorch model as :func:`train_numpy` trains the numpy one: the same mini-batches,
    ``torch.optim.SGD`` with the same learning rate and momentum, ``nn.CrossEntropyLoss``.

    Args:
        model: a classifier (for example ``to_torch(net)``), trained in place, left in eval mode.
        x, y, epochs, batch_size, lr, momentum, seed, validation: as :func:`train_numpy`.

    Returns:
        A :class:`cnnkit.train.History`.
    """
    dtype = next(model.parameters()).dtype
    xs, ys = torch.as_tensor(np.asarray(x), dtype=dtype), torch.as_tensor(np.asarray(y), dtype=torch.long)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()

    def step(idx: np.ndarray) -> float:
        model.train()
        index = torch.from_numpy(idx)
        optimizer.zero_grad()
        loss = loss_fn(model(xs[index]), ys[index])
        loss.backward()
        optimizer.step()
        return loss.item()

    accuracy = (
        None
        if validation is None
        else (lambda: evaluate(model, torch.as_tensor(validation[0], dtype=dtype), validation[1]))
    )
    history = _loop(step, accuracy, len(xs), epochs, batch_size, seed)
    model.eval()
    return history


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The gradient of ``f()`` with respect to the array ``x``, by central differences.

    For every element, :math:`\\partial f / \\partial x_i \\approx (f(x + \\epsilon e_i) -
    f(x - \\epsilon e_i)) / 2\\epsilon`, whose error shrinks like :math:`\\epsilon^2` (a one-sided
    difference's shrinks only like :math:`\\epsilon`). ``x`` is changed in place and restored,
    so ``f`` may read it (a network's weight, for example). Use float64: in float32 the
    rounding error of ``f``, divided by :math:`2\\epsilon`, swamps the result. It costs two
    evaluations of ``f`` per element: a check for small cases, not a way to train.

    Args:
        f: a function of no arguments returning a float, that depends on ``x``.
        x: a float array, modified in place during the call and restored.
        eps: the step :math:`\\epsilon`.

    Returns:
        An array of the shape of ``x``.

    Example:
        >>> x = np.array([1.0, 2.0])
        >>> numerical_gradient(lambda: float(np.sum(x ** 3)), x).round(6)   # 3 x^2
        array([ 3., 12.])
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writing it writes x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be a contiguous array that f reads in place")
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        up = f()
        flat[i] = saved - eps
        down = f()
        flat[i] = saved
        grad.reshape(-1)[i] = (up - down) / (2 * eps)
    return grad
