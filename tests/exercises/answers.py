"""Reader-style answers to the exercises, and the assertion that a checker rejected one.

The wrong answers of the tests are written the way a reader would write them (loops over output
pixels), each with one mistake: an output one sample too small or too large, a flipped kernel,
the wrong axis, a stride ignored, padding on one side only, the gradient spread over the window,
and so on. Each test checks that the checker says *what* went wrong: a wrong shape, the first
differing entry, or the expected and actual count. The correct answers below are shared by those
tests and by tests/exercises/test_checkers.py, which runs every checker on them.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit.exercises import CheckResult


def assert_rejected(result: CheckResult, *phrases: str) -> None:
    """The check failed, with a short message that starts as promised and names the failure."""
    assert isinstance(result, CheckResult)
    assert not result.passed and not result
    assert result.message.startswith("failed on case "), result.message
    assert "Traceback" not in result.message
    assert len(result.message) < 900, result.message
    for phrase in phrases:
        assert phrase in result.message, f"{phrase!r} not in:\n{result.message}"


WRONG_SHAPE = "wrong shape: expected"
WRONG_VALUE = "first difference at index"


def loop_correlate(x, w, stride=1):
    kh, kw = w.shape
    out = np.zeros(((x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1))
    for u in range(out.shape[0]):
        for v in range(out.shape[1]):
            out[u, v] = np.sum(x[u * stride : u * stride + kh, v * stride : v * stride + kw] * w)
    return out


def loop_max_pool(x, k):
    out = np.zeros((x.shape[0] // k, x.shape[1] // k))
    for u in range(out.shape[0]):
        for v in range(out.shape[1]):
            out[u, v] = x[u * k : u * k + k, v * k : v * k + k].max()
    return out


def loop_max_pool_backward(x, k, grad_out):
    grad = np.zeros(x.shape)
    for u in range(grad_out.shape[0]):
        for v in range(grad_out.shape[1]):
            window = x[u * k : u * k + k, v * k : v * k + k]
            i, j = np.unravel_index(np.argmax(window), window.shape)
            grad[u * k + i, v * k + j] += grad_out[u, v]
    return grad


def loop_transpose(x, w, stride):
    kh, kw = w.shape
    out = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
    for u in range(x.shape[0]):
        for v in range(x.shape[1]):
            out[u * stride : u * stride + kh, v * stride : v * stride + kw] += x[u, v] * w
    return out


def formula_receptive_field(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r


def ascent_step(x, model, channel, lr):
    model(x)[0, channel].mean().backward()
    g = x.grad
    return (x + lr * g / (g.pow(2).mean().sqrt() + 1e-5)).detach()


def autograd_max_pool_backward(x, k, grad_out):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    F.max_pool2d(t[None, None], k).backward(torch.tensor(grad_out, dtype=torch.float64)[None, None])
    return t.grad.numpy()


def formula_gaussian(size, sigma):
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def formula_psnr(reference, image, data_range=1.0):
    return 10 * np.log10(data_range**2 / np.mean((reference - image) ** 2))


def formula_same_padding(size, k, stride=1, dilation=1):
    total = max((-(-size // stride) - 1) * stride + dilation * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def loop_conv_matrix(w, input_shape):
    (h, wd), (kh, kw) = input_shape, w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    m = np.zeros((oh * ow, h * wd))
    for u in range(oh):
        for v in range(ow):
            for i in range(kh):
                for j in range(kw):
                    m[u * ow + v, (u + i) * wd + (v + j)] = w[i, j]
    return m


def mean_top_exemplars(activations, channel, k):
    return np.argsort(-activations[:, channel].mean(axis=(1, 2)))[:k]


def loop_top_exemplars(activations, channel, k):
    scores = [(activations[n, channel].mean(), n) for n in range(len(activations))]
    return [n for _, n in sorted(scores, reverse=True)[:k]]


def torch_total_variation(x):
    return (x[:, 1:, :] - x[:, :-1, :]).abs().sum() + (x[:, :, 1:] - x[:, :, :-1]).abs().sum()


def numpy_grad_cam(features, grads):
    return np.maximum(np.tensordot(grads.mean(axis=(1, 2)), features, axes=1), 0)


def torch_grad_cam(features, grads):
    return torch.relu((grads.mean(dim=(1, 2))[:, None, None] * features).sum(dim=0))


def loop_conv2d(x, w, b, stride=1, padding=0):
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    xp = np.zeros((n, c_in, h + 2 * padding, wd + 2 * padding))
    xp[:, :, padding : padding + h, padding : padding + wd] = x
    out = np.zeros((n, c_out, (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1))
    for i in range(n):
        for o in range(c_out):
            for u in range(out.shape[2]):
                for v in range(out.shape[3]):
                    window = xp[i, :, u * stride : u * stride + kh, v * stride : v * stride + kw]
                    out[i, o, u, v] = np.sum(window * w[o]) + b[o]
    return out


def loop_conv2d_backward(x, w, grad_output, stride=1, padding=0):
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    xp = np.zeros((n, c_in, h + 2 * padding, wd + 2 * padding))
    xp[:, :, padding : padding + h, padding : padding + wd] = x
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for i in range(n):
        for o in range(c_out):
            for u in range(grad_output.shape[2]):
                for v in range(grad_output.shape[3]):
                    rows, cols = slice(u * stride, u * stride + kh), slice(v * stride, v * stride + kw)
                    dxp[i, :, rows, cols] += grad_output[i, o, u, v] * w[o]
                    dw[o] += grad_output[i, o, u, v] * xp[i, :, rows, cols]
    return dxp[:, :, padding : padding + h, padding : padding + wd], dw, grad_output.sum(axis=(0, 2, 3))


def loop_numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f()
        x[index] = saved - eps
        down = f()
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 5)
        self.conv2 = torch.nn.Conv2d(8, 16, 5)
        self.dense = torch.nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.dense(x.flatten(1))
