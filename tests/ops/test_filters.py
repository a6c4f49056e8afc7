"""cnnkit.ops.filters: kernels, the padding modes (against torch's), median
filter (against scipy), PSNR and noise."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from cnnkit.ops import (
    add_gaussian_noise,
    add_impulse_noise,
    add_salt_pepper,
    binomial_kernel3,
    box_kernel,
    correlate2d,
    filter2d,
    gaussian_kernel,
    laplacian_kernel,
    median_filter,
    prewitt_kernels,
    psnr,
    sobel_kernels,
)

TOL = dict(rtol=0, atol=1e-10)
TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def test_kernels_sum_and_shape():
    assert box_kernel(3).shape == (3, 3) and math.isclose(box_kernel(3).sum(), 1)
    assert box_kernel((2, 5)).shape == (2, 5) and math.isclose(box_kernel((2, 5)).sum(), 1)
    np.testing.assert_array_equal(binomial_kernel3() * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(laplacian_kernel(), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    for size, sigma in [(3, 0.5), (5, 1.0), (7, 2.0), (4, 1.0)]:
        g = gaussian_kernel(size, sigma)
        assert g.shape == (size, size) and math.isclose(g.sum(), 1)
        np.testing.assert_allclose(g, g.T, **TOL)
        np.testing.assert_allclose(g, g[::-1, ::-1], **TOL)
    g = gaussian_kernel(5, 1.0)
    assert math.isclose(g[2, 3] / g[2, 2], math.exp(-0.5)) and math.isclose(g[3, 3] / g[2, 2], math.exp(-1))


def test_edge_kernel_conventions():
    gx, gy = sobel_kernels()
    px, py = prewitt_kernels()
    np.testing.assert_array_equal(gx, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(gy, gx.T)
    np.testing.assert_array_equal(px, [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(py, px.T)
    ramp_right = np.tile(np.arange(6.0), (6, 1))  # brighter to the right: a vertical edge everywhere
    ramp_down = ramp_right.T
    for vertical, horizontal in [(gx, gy), (px, py)]:
        assert np.all(correlate2d(ramp_right, vertical) > 0) and np.all(correlate2d(ramp_right, horizontal) == 0)
        assert np.all(correlate2d(ramp_down, horizontal) > 0) and np.all(correlate2d(ramp_down, vertical) == 0)
    for k in (gx, gy, px, py, laplacian_kernel()):
        assert k.sum() == 0  # no response on a constant image


@settings(max_examples=40, deadline=None)
@given(
    st.integers(3, 8),
    st.integers(3, 8),
    st.sampled_from([(3, 3), (2, 3), (3, 1), (1, 2)]),
    st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    st.sampled_from(["same", "valid", "full", 1]),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_filter2d_boundaries_match_torch_padding_modes(h, w, k, padding_mode, padding, colour, seed):
    rng = np.random.default_rng(seed)
    image = rng.random((h, w, 3) if colour else (h, w))
    kernel = rng.standard_normal(k)
    if padding == "same":
        total = (k[0] - 1, k[1] - 1)
        pads = (total[1] // 2, total[1] - total[1] // 2, total[0] // 2, total[0] - total[0] // 2)
    elif padding == "full":
        pads = (k[1] - 1, k[1] - 1, k[0] - 1, k[0] - 1)
    elif padding == "valid":
        pads = (0, 0, 0, 0)
    else:
        pads = (1, 1, 1, 1)
    planes = torch.from_numpy(np.moveaxis(image, -1, 0)[:, None].copy() if colour else image[None, None])
    expected = F.conv2d(F.pad(planes, pads, mode=TORCH_MODE[padding_mode]), torch.from_numpy(kernel)[None, None])[
        :, 0
    ].numpy()
    expected = np.moveaxis(expected, 0, -1) if colour else expected[0]
    got = filter2d(image, kernel, padding=padding, padding_mode=padding_mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, **TOL)


def test_filter2d_same_keeps_size_and_box_filter_averages():
    image = np.random.default_rng(0).random((6, 7, 3))
    out = filter2d(image, box_kernel(3), padding_mode="reflect")
    assert out.shape == image.shape
    np.testing.assert_allclose(out[1:-1, 1:-1], filter2d(image, box_kernel(3), padding="valid"), **TOL)
    np.testing.assert_allclose(out[3, 3, 1], image[2:5, 2:5, 1].mean(), **TOL)


@pytest.mark.parametrize(
    "padding_mode, scipy_mode",
    [("reflect", "mirror"), ("replicate", "nearest"), ("circular", "wrap"), ("zeros", "constant")],
)
@pytest.mark.parametrize("size", [3, 5, (3, 1)])
def test_median_filter_matches_scipy(padding_mode, scipy_mode, size):
    image = np.random.default_rng(0).random((9, 8))
    expected = ndimage.median_filter(image, size=size, mode=scipy_mode)
    np.testing.assert_allclose(median_filter(image, size, padding_mode=padding_mode), expected, **TOL)
    colour = np.random.default_rng(1).random((6, 7, 3))
    got = median_filter(colour, size, padding_mode=padding_mode)
    for c in range(3):
        np.testing.assert_allclose(
            got[..., c], ndimage.median_filter(colour[..., c], size=size, mode=scipy_mode), **TOL
        )


def test_median_filter_even_size_window_extends_bottom_right():
    image = np.arange(25.0).reshape(5, 5)
    out = median_filter(image, 2, padding_mode="replicate")
    assert out.shape == (5, 5)
    assert out[1, 1] == np.median(image[1:3, 1:3])


def test_median_filter_removes_salt_and_pepper_better_than_a_box_filter():
    rng = np.random.default_rng(0)
    clean = filter2d(rng.random((64, 64)), gaussian_kernel(7, 2.0), padding_mode="reflect")
    noisy = add_salt_pepper(clean, 0.1, rng)
    assert psnr(clean, median_filter(noisy)) > psnr(clean, filter2d(noisy, box_kernel(3), padding_mode="reflect")) + 5
    assert psnr(clean, median_filter(noisy)) > psnr(clean, noisy) + 10


def test_psnr():
    ref = np.zeros((8, 8))
    assert psnr(ref, ref) == math.inf
    assert math.isclose(psnr(ref, ref + 0.1), 20.0)
    assert math.isclose(psnr(ref * 255, ref + 25.5, data_range=255), 20.0)
    with pytest.raises(ValueError, match=r"reference and image must have the same shape; got \(8, 8\) and \(8, 7\)"):
        psnr(ref, ref[:, :7])


def test_noise_models():
    rng = np.random.default_rng(0)
    image = np.full((200, 200, 3), 0.5)
    sp = add_salt_pepper(image, 0.2, rng)
    hit = sp != 0.5
    assert abs(hit.mean() - 0.2) < 0.01 and set(np.unique(sp[hit])) == {0.0, 1.0}
    assert abs((sp[hit] == 1.0).mean() - 0.5) < 0.03
    assert set(np.unique(add_salt_pepper(image, 0.2, rng, salt_vs_pepper=1.0))) == {0.5, 1.0}
    imp = add_impulse_noise(image, 0.2, rng)
    hit = imp != 0.5
    assert abs(hit.mean() - 0.2) < 0.01 and len(np.unique(imp[hit])) > 1000  # random values, not two
    assert imp.min() >= 0 and imp.max() <= 1
    gauss = add_gaussian_noise(image, 0.1, rng)
    assert abs((gauss - image).std() - 0.1) < 0.005 and abs((gauss - image).mean()) < 0.005
    clipped = add_gaussian_noise(image, 1.0, rng, clip=(0, 1))
    assert clipped.min() == 0 and clipped.max() == 1
    assert (
        add_gaussian_noise(image, 0.1, np.random.default_rng(3)).tolist()
        == add_gaussian_noise(image, 0.1, np.random.default_rng(3)).tolist()
    )
    np.testing.assert_array_equal(image, 0.5)  # inputs are not modified


def test_filter_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=r"filter2d: padding_mode='mirror' is not one of 'zeros', 'reflect', 'replicate', 'circular'"
    ):
        filter2d(np.ones((4, 4)), box_kernel(3), padding_mode="mirror")
    with pytest.raises(
        ValueError, match=r"image must have shape \(H, W\) or \(H, W, channels\); got shape \(1, 1, 4, 4\)"
    ):
        filter2d(np.ones((1, 1, 4, 4)), box_kernel(3))
    with pytest.raises(ValueError, match=r"kernel must have 2 dimensions \(kH, kW\); got shape \(1, 3, 3\)"):
        filter2d(np.ones((4, 4)), np.ones((1, 3, 3)))
    with pytest.raises(ValueError, match=r"reflect padding must be smaller than the input size"):
        filter2d(np.ones((2, 2)), box_kernel(5), padding_mode="reflect")
    with pytest.raises(ValueError, match=r"sigma must be a positive, finite number of pixels; got 0"):
        gaussian_kernel(3, 0)
    with pytest.raises(ValueError, match=r"size must be a positive int; got 0"):
        gaussian_kernel(0, 1.0)
    with pytest.raises(ValueError, match=r"amount must be a fraction of pixels between 0 and 1; got 1.5"):
        add_salt_pepper(np.ones((4, 4)), 1.5, rng)
    with pytest.raises(
        TypeError, match=r"rng must be a numpy Generator, for example np.random.default_rng\(0\); got 0"
    ):
        add_impulse_noise(np.ones((4, 4)), 0.1, 0)
    with pytest.raises(ValueError, match=r"data_range must be positive"):
        psnr(np.ones(3), np.ones(3), data_range=0)
