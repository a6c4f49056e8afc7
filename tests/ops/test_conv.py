"""cnnkit.ops.conv against torch.nn.functional.conv2d (float64, tolerance 1e-10)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnkit.ops import conv2d, conv2d_loop, convolve2d, correlate2d, pad2d
from cnnkit.shapes import same_padding

TOL = dict(rtol=0, atol=1e-10)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
SETTINGS = settings(max_examples=60, deadline=None)
TORCH_PAD_MODE = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def int_or_pair(values):
    """An int, or a pair that is sometimes equal in both axes."""
    return st.one_of(values, st.tuples(values, values))


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pads_of(padding, k, d):
    """((top, bottom), (left, right)) for any padding argument, computed independently of cnnkit."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "full":
        return tuple((dd * (kk - 1),) * 2 for kk, dd in zip(k, d))
    if padding == "same":
        return tuple((dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d))
    p = pair(padding)
    return ((p[0], p[0]), (p[1], p[1]))


@st.composite
def conv_cases(draw, modes=("zeros",)):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    n = draw(st.integers(1, 2))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = draw(int_or_pair(st.integers(1, 3)))
    padding = draw(st.one_of(int_or_pair(st.integers(0, 2)), st.sampled_from(["valid", "same", "full"])))
    stride = 1 if padding == "same" else draw(int_or_pair(st.integers(1, 3)))
    padding_mode = draw(st.sampled_from(modes))
    d = pair(dilation)
    pads = pads_of(padding, k, d)
    sizes = []
    for axis in range(2):
        smallest = max(1, d[axis] * (k[axis] - 1) + 1 - sum(pads[axis]))
        if padding_mode == "reflect":  # torch: reflect padding must be smaller than the input
            smallest = max(smallest, max(pads[axis]) + 1)
        if padding_mode == "circular":
            smallest = max(smallest, max(pads[axis]))
        sizes.append(draw(st.integers(smallest, smallest + 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c_in, *sizes))
    w = rng.standard_normal((c_out, c_in // groups, *k))
    b = rng.standard_normal(c_out) if draw(st.booleans()) else None
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, b, kwargs, padding_mode, pads


def torch_conv2d(x, w, b, stride, padding, dilation, groups, padding_mode="zeros", pads=None):
    t = torch.from_numpy
    if padding_mode != "zeros" or padding == "full":
        (top, bottom), (left, right) = pads
        xt = F.pad(t(x), (left, right, top, bottom), mode=TORCH_PAD_MODE.get(padding_mode, "constant"))
        padding = 0
    else:
        xt = t(x)
        padding = padding if isinstance(padding, (int, str)) else tuple(padding)
    bt = None if b is None else t(b)
    return F.conv2d(xt, t(w), bt, stride=stride, padding=padding, dilation=dilation, groups=groups).numpy()


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_torch(case):
    x, w, b, kwargs, _, pads = case
    expected = torch_conv2d(x, w, b, **kwargs, pads=pads)
    got = conv2d(x, w, b, **kwargs)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, **TOL)


@SETTINGS
@given(conv_cases())
def test_convolution_mode_is_torch_on_the_flipped_kernel(case):
    x, w, b, kwargs, _, pads = case
    expected = torch_conv2d(x, w[:, :, ::-1, ::-1].copy(), b, **kwargs, pads=pads)
    np.testing.assert_allclose(conv2d(x, w, b, **kwargs, mode="convolution"), expected, **TOL)


@SETTINGS
@given(conv_cases(modes=("zeros", "reflect", "replicate", "circular")), st.sampled_from(["correlation", "convolution"]))
def test_conv2d_loop_agrees_with_conv2d(case, mode):
    x, w, b, kwargs, padding_mode, _ = case
    fast = conv2d(x, w, b, **kwargs, mode=mode, padding_mode=padding_mode)
    np.testing.assert_allclose(conv2d_loop(x, w, b, **kwargs, mode=mode, padding_mode=padding_mode), fast, **TOL)


@settings(max_examples=40, deadline=None)
@given(conv_cases(modes=("reflect", "replicate", "circular")))
def test_padding_mode_matches_torch_conv2d_module(case):
    x, w, b, kwargs, padding_mode, pads = case
    if kwargs["padding"] == "full":  # nn.Conv2d has no 'full'; use the explicit amounts
        kwargs = dict(kwargs, padding=(pads[0][0], pads[1][0]))
    layer = torch.nn.Conv2d(
        x.shape[1],
        w.shape[0],
        w.shape[2:],
        bias=b is not None,
        padding_mode=padding_mode,
        dtype=torch.float64,
        **kwargs,
    )
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        if b is not None:
            layer.bias.copy_(torch.from_numpy(b))
        expected = layer(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(conv2d(x, w, b, **kwargs, padding_mode=padding_mode), expected, **TOL)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["valid", "same", "full", 1, (0, 1)]),
)
def test_single_image_forms_call_the_same_core(h, w, kh, kw, seed, padding):
    rng = np.random.default_rng(seed)
    image, kernel = rng.standard_normal((h + kh, w + kw)), rng.standard_normal((kh, kw))
    np.testing.assert_array_equal(
        correlate2d(image, kernel, padding), conv2d(image[None, None], kernel[None, None], padding=padding)[0, 0]
    )
    np.testing.assert_array_equal(convolve2d(image, kernel, padding), correlate2d(image, kernel[::-1, ::-1], padding))


def test_correlate2d_stride_and_dilation_keywords():
    image = np.arange(49.0).reshape(7, 7)
    kernel = np.ones((3, 3))
    expected = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None], stride=2, dilation=2)
    np.testing.assert_allclose(correlate2d(image, kernel, stride=2, dilation=2), expected[0, 0].numpy(), **TOL)


def test_same_padding_puts_the_extra_sample_bottom_right():
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 7))
    w = np.random.default_rng(1).standard_normal((1, 1, 4, 2))
    (top, bottom), (left, right) = same_padding((4, 2))
    assert (top, bottom, left, right) == (1, 2, 0, 1)
    explicit = F.conv2d(F.pad(torch.from_numpy(x), (left, right, top, bottom)), torch.from_numpy(w)).numpy()
    np.testing.assert_allclose(conv2d(x, w, padding="same"), explicit, **TOL)
    np.testing.assert_allclose(
        conv2d(x, w, padding="same"), F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same").numpy(), **TOL
    )


def test_dtypes():
    xi = np.arange(16).reshape(1, 1, 4, 4)
    wi = np.ones((1, 1, 2, 2), dtype=np.int32)
    assert conv2d(xi, wi).dtype == np.int64
    assert conv2d(xi.astype(np.uint8), wi.astype(np.uint8)).max() == 5 + 6 + 9 + 10 + 20  # no uint8 overflow
    assert conv2d(xi.astype(np.float32), wi.astype(np.float32)).dtype == np.float32
    assert conv2d(xi.astype(np.float64), wi).dtype == np.float64
    assert conv2d_loop(xi, wi).dtype == np.int64


def test_float32_matches_torch():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 12, 11)).astype(np.float32), rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    np.testing.assert_allclose(conv2d(x, w, padding=1), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_pad2d_matches_torch(mode):
    x = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    expected = F.pad(torch.from_numpy(x), (1, 2, 3, 0), mode="constant" if mode == "zeros" else mode).numpy()
    np.testing.assert_array_equal(pad2d(x, ((3, 0), (1, 2)), mode), expected)


def test_pad2d_forms():
    x = np.ones((2, 3))
    assert pad2d(x, 1).shape == (4, 5)
    assert pad2d(x, (2, 0)).shape == (6, 3)
    assert pad2d(x, 0) is x or np.array_equal(pad2d(x, 0), x)
    assert pad2d(x, 1, value=-np.inf)[0, 0] == -np.inf
