"""The numpy network of chapter 7: its gradients, its training, and its PyTorch twin."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnkit.data import mnist_split
from cnnkit.models.numpy_cnn import (
    SGD,
    Dense,
    NumpyCNN,
    minibatches,
    numerical_gradient,
    small_cnn,
    softmax_cross_entropy,
    to_torch,
    train_numpy,
    train_torch,
)


@pytest.fixture(scope="module")
def digits():
    split = mnist_split()
    return split.x_train[:512], split.y_train[:512]


def torch_gradients(model, x, y):
    """Loss and parameter gradients of a PyTorch model by autograd."""
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    return loss.item(), {name: p.grad.numpy() for name, p in model.named_parameters()}


def test_whole_network_gradient_equals_autograd_in_float64(digits):
    x, y = digits[0][:16].astype(np.float64), digits[1][:16]
    net = small_cnn(seed=1, dtype=np.float64)
    model = to_torch(net)
    loss, grads = net.loss_and_gradients(x, y)
    torch_loss, torch_grads = torch_gradients(model, x, y)
    assert loss == pytest.approx(torch_loss, abs=1e-14)
    assert (
        set(grads)
        == set(torch_grads)
        == {f"{layer}.{p}" for layer in ("conv1", "conv2", "dense") for p in ("weight", "bias")}
    )
    for name, grad in grads.items():
        assert grad.dtype == np.float64 and grad.shape == torch_grads[name].shape
        np.testing.assert_allclose(grad, torch_grads[name], rtol=0, atol=1e-13, err_msg=name)


def test_input_gradient_equals_autograd(digits):
    x, y = digits[0][:4].astype(np.float64), digits[1][:4]
    net = small_cnn(seed=2, dtype=np.float64)
    _, grad_logits = softmax_cross_entropy(net.forward(x), y)
    grad_input = net.backward(grad_logits)
    xt = torch.from_numpy(x).requires_grad_()
    nn.functional.cross_entropy(to_torch(net)(xt), torch.from_numpy(y)).backward()
    np.testing.assert_allclose(grad_input, xt.grad.numpy(), rtol=0, atol=1e-15)


def test_numerical_gradient_of_a_tiny_network():
    """Central differences agree with the backward pass for every parameter of a tiny network."""
    rng = np.random.default_rng(0)
    net = small_cnn(widths=(2, 3), kernel_size=3, num_classes=3, image_size=10, seed=3, dtype=np.float64)
    x = rng.normal(size=(4, 1, 10, 10))
    y = np.array([0, 1, 2, 1])
    _, grads = net.loss_and_gradients(x, y)
    params = dict(net.parameters())
    assert sum(p.size for p in params.values()) == 2 * 10 + 3 * 19 + 3 * 4
    for name, param in params.items():
        numeric = numerical_gradient(lambda: softmax_cross_entropy(net.forward(x), y)[0], param)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8, err_msg=name)


def test_numerical_gradient_restores_its_argument_and_refuses_copies():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(np.sin(x))), x)
    np.testing.assert_allclose(grad, np.cos(x), atol=1e-9)
    assert np.array_equal(x, before)
    with pytest.raises(ValueError, match="contiguous"):
        numerical_gradient(lambda: 0.0, np.ones((3, 4)).T)  # flattening it would copy


def test_softmax_cross_entropy_equals_torch():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(5, 4)) * 10, np.array([0, 3, 1, 1, 2])
    loss, grad = softmax_cross_entropy(logits, labels)
    z = torch.from_numpy(logits).requires_grad_()
    expected = nn.functional.cross_entropy(z, torch.from_numpy(labels))
    expected.backward()
    assert loss == pytest.approx(expected.item(), abs=1e-14)
    np.testing.assert_allclose(grad, z.grad.numpy(), atol=1e-15)
    # large logits do not overflow
    assert np.isfinite(softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))[0])


def test_short_training_decreases_the_loss(digits):
    x, y = digits
    net = small_cnn(seed=0)
    history = train_numpy(net, x, y, epochs=3, batch_size=32, lr=0.05, momentum=0.9, seed=0, validation=(x, y))
    assert len(history.batch_loss) == 3 * 16 and len(history.epoch_loss) == 3
    assert history.batch_loss[0] == pytest.approx(np.log(10), abs=0.1)  # about uniform at the start
    assert np.mean(history.batch_loss[-8:]) < 0.5 * np.mean(history.batch_loss[:8])
    assert history.epoch_loss[2] < history.epoch_loss[1] < history.epoch_loss[0]
    assert history.val_accuracy[-1] > 0.7  # chance is 0.1
    assert all(p.dtype == np.float32 for _, p in net.parameters())


def test_numpy_and_torch_training_take_the_same_steps(digits):
    """Same weights, same batches, same SGD with momentum: the same losses and weights (float64)."""
    x, y = digits[0][:96].astype(np.float64), digits[1][:96]
    net = small_cnn(seed=4, dtype=np.float64)
    model = to_torch(net)
    h_numpy = train_numpy(net, x, y, epochs=2, batch_size=32, lr=0.1, momentum=0.9, seed=5)
    h_torch = train_torch(model, x, y, epochs=2, batch_size=32, lr=0.1, momentum=0.9, seed=5)
    np.testing.assert_allclose(h_numpy.batch_loss, h_torch.batch_loss, rtol=0, atol=1e-12)
    for name, value in net.parameters():
        np.testing.assert_allclose(value, model.state_dict()[name].numpy(), rtol=0, atol=1e-12, err_msg=name)
    assert not model.training


def test_sgd_momentum_follows_torch():
    net = NumpyCNN({"dense": Dense(3, 2, rng=np.random.default_rng(0), dtype=np.float64)})
    model = to_torch(net)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sgd = SGD(net, lr=0.1, momentum=0.9)
    rng = np.random.default_rng(1)
    for _ in range(3):
        grads = {"weight": rng.normal(size=(2, 3)), "bias": rng.normal(size=2)}
        net.layers["dense"].grads = grads
        for name, p in model.dense.named_parameters():
            p.grad = torch.from_numpy(grads[name].copy())
        sgd.step()
        optimizer.step()
    for name, value in net.parameters():
        np.testing.assert_allclose(value, model.state_dict()[name].numpy(), atol=1e-15)
    with pytest.raises(ValueError, match="momentum"):
        SGD(net, lr=0.1, momentum=1.0)


def test_to_torch_copies_the_weights_and_names():
    net = small_cnn(seed=0)
    model = to_torch(net)
    state = model.state_dict()
    assert list(state) == [name for name, _ in net.parameters()]
    for name, value in net.parameters():
        assert state[name].dtype == torch.float32 and np.array_equal(state[name].numpy(), value)
    # a copy: training the numpy network leaves the PyTorch one alone
    net.layers["conv1"].params["weight"] += 1
    assert not np.array_equal(model.state_dict()["conv1.weight"].numpy(), net.layers["conv1"].params["weight"])
    bn = to_torch(small_cnn(seed=0), batchnorm=True)
    assert [type(m).__name__ for m in bn][:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert bn.bn2.num_features == 16 and to_torch(small_cnn(dtype=np.float64)).conv1.weight.dtype == torch.float64


def test_initialisation_has_pytorchs_bounds():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, as PyTorch's default."""
    torch.manual_seed(0)
    reference = nn.Conv2d(8, 16, 5)
    bound = 1 / np.sqrt(8 * 5 * 5)
    net = small_cnn(seed=0)
    for tensor in (reference.weight, reference.bias):
        assert tensor.abs().max().item() <= bound
    weight = net.layers["conv2"].params["weight"]
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.99 * bound
    assert reference.weight.abs().max().item() > 0.99 * bound


def test_minibatches_cover_every_index_once_per_epoch():
    epochs = minibatches(10, 4, epochs=3, seed=0)
    assert [len(b) for b in epochs[0]] == [4, 4, 2]
    for batches in epochs:
        assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(10, 0, 1, 0)
