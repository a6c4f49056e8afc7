"""Tests of cnnkit/ops/resizing.py: resizing as PyTorch, resize-convolution, checkerboard score."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnkit.ops.resizing import checkerboard_score, resize, resize_conv


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("scale", [2, 3, (2, 3)])
def test_resize_matches_torch_interpolate(mode, scale):
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 4))
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    factor = scale if isinstance(scale, tuple) else (scale, scale)
    expected = F.interpolate(torch.from_numpy(x), scale_factor=factor, mode=mode, **kwargs).numpy()
    got = resize(x, scale, mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_resize_rejects_bad_arguments():
    with pytest.raises(
        ValueError, match="resize: mode='bilinar' is not one of 'nearest', 'bilinear'; did you mean 'bilinear'"
    ):
        resize(np.ones((2, 2)), 2, mode="bilinar")
    with pytest.raises(ValueError, match="scale must be positive"):
        resize(np.ones((2, 2)), 0)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        resize(np.ones(3), 2)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_resize_conv_matches_torch(mode):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    up = F.interpolate(torch.from_numpy(x), scale_factor=2, mode=mode, **kwargs)
    expected = F.conv2d(up, torch.from_numpy(w), torch.from_numpy(b), padding="same").numpy()
    np.testing.assert_allclose(resize_conv(x, w, b, scale=2, mode=mode), expected, atol=1e-10)


def test_resize_conv_has_no_checkerboard_on_a_constant_input():
    w = np.random.default_rng(2).normal(size=(1, 1, 3, 3))
    y = resize_conv(np.ones((1, 1, 8, 8)), w)[0, 0]
    interior = y[1:-1, 1:-1]
    np.testing.assert_allclose(interior, w.sum())
    assert checkerboard_score(y, border=1) == 0.0


def test_resize_conv_needs_four_dimensions():
    with pytest.raises(ValueError, match=r"x must have 4 dimensions \(N, C, H, W\); got shape \(4, 4\)"):
        resize_conv(np.ones((4, 4)), np.ones((1, 1, 3, 3)))


def test_checkerboard_score_of_pure_patterns_and_smooth_images():
    u, v = np.indices((16, 16))
    assert checkerboard_score((-1.0) ** u) == pytest.approx(1.0)
    assert checkerboard_score((-1.0) ** (u + v)) == pytest.approx(1.0)
    assert checkerboard_score(np.full((9, 9), 3.0)) == 0.0
    assert checkerboard_score(np.sin(u / 4.0) + np.cos(v / 5.0)) < 0.05
    # period 3 pattern is invisible at period 2 on average, but seen at period 3
    pattern = np.tile(np.array([0.0, 0.0, 1.0]), (12, 4))
    assert checkerboard_score(pattern, period=3) == pytest.approx(1.0)


def test_checkerboard_score_is_a_share_of_variance():
    rng = np.random.default_rng(5)
    u, v = np.indices((32, 32))
    noise = rng.normal(size=(32, 32))
    weak = checkerboard_score(noise + 0.2 * (-1.0) ** (u + v))
    strong = checkerboard_score(noise + 2.0 * (-1.0) ** (u + v))
    assert 0.0 <= weak < strong <= 1.0


def test_checkerboard_score_border_and_errors():
    y = np.ones((10, 10))
    y[0, :] = 100.0  # a border artefact that the border argument removes
    assert checkerboard_score(y) > 0
    assert checkerboard_score(y, border=1) == 0.0
    with pytest.raises(ValueError, match="period must be a positive int; got 0"):
        checkerboard_score(y, period=0)
    with pytest.raises(ValueError, match="leaves less than one period"):
        checkerboard_score(np.ones((4, 4)), border=2)
    with pytest.raises(ValueError, match=r"image must have 2 dimensions \(H, W\)"):
        checkerboard_score(np.ones((1, 4, 4)))


@pytest.mark.parametrize("size", [(28, 28), (14, 21), (5, 3), (9, 30)])
def test_resize_to_a_size_matches_torch_interpolate(size):
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
    for mode in ("bilinear", "nearest"):
        expected = F.interpolate(
            torch.from_numpy(x), size=size, mode=mode, **({"align_corners": False} if mode == "bilinear" else {})
        )
        np.testing.assert_allclose(resize(x, mode=mode, size=size), expected.numpy(), rtol=0, atol=1e-12)
