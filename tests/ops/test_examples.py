"""The lecture's worked examples, one named test each: the numbers printed in the book."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnkit.ops import avg_pool2d, conv2d, conv2d_loop, conv_transpose2d, correlate2d, laplacian_kernel, max_pool2d
from cnnkit.shapes import conv_output_size, conv_transpose_output_size

LAPLACIAN_INPUT = np.array(
    [[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0], [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]]
)
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def test_laplacian_5x5_valid():
    expected = [[6, 15, 9], [14, -36, -4], [-4, 10, 7]]
    got = correlate2d(LAPLACIAN_INPUT, LAPLACIAN)
    assert got.dtype == np.int64 and got.tolist() == expected
    assert conv2d_loop(LAPLACIAN_INPUT[None, None], LAPLACIAN[None, None])[0, 0].tolist() == expected
    np.testing.assert_array_equal(correlate2d(LAPLACIAN_INPUT, laplacian_kernel()), expected)


def test_laplacian_5x5_same():
    got = correlate2d(LAPLACIAN_INPUT, LAPLACIAN, padding="same")
    assert got.shape == (5, 5)
    assert got[1:-1, 1:-1].tolist() == [[6, 15, 9], [14, -36, -4], [-4, 10, 7]]
    # corner: 0*(-4) + 10 + 4 (the zero padding adds nothing)
    assert got[0, 0] == 14
    expected = F.conv2d(
        torch.tensor(LAPLACIAN_INPUT)[None, None].double(), torch.tensor(LAPLACIAN)[None, None].double(), padding="same"
    )
    np.testing.assert_array_equal(got, expected[0, 0].numpy())


def test_binary_image_with_x_kernel():
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    got = correlate2d(image, kernel)
    assert got[0, 0] == 4
    assert got.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_max_pool_2x2_stride_2():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])[None, None]
    assert max_pool2d(x, 2, 2)[0, 0].tolist() == [[6, 8], [3, 4]]


def test_avg_pool_2x2_stride_2():
    x = np.array([[0, 10, 9, 3], [4, 3, 2, 1], [10, 2, 10, 3], [3, -1, -3, -3]])[None, None]
    assert avg_pool2d(x, 2, 2)[0, 0].tolist() == [[4.25, 3.75], [3.5, 1.75]]


@pytest.mark.parametrize(
    "size, stride, expected", [(16, 2, 7), (16, 3, 5), (16, 4, 4), (7, 1, 5), (7, 2, 3), (7, 3, 2)]
)
def test_stride_table(size, stride, expected):
    assert conv_output_size(size, 3, stride) == expected
    assert conv2d(np.zeros((1, 1, size, size)), np.zeros((1, 1, 3, 3)), stride=stride).shape[-2:] == (
        expected,
        expected,
    )


def test_same_with_stride_two_via_explicit_padding():
    """5 inputs, 3x3 kernel, stride 2: padding 1 gives 3 outputs; padding='same' refuses, as PyTorch."""
    assert conv_output_size(5, 3, s=2, p=1) == 3
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out = conv2d(x, np.ones((1, 1, 3, 3)), stride=2, padding=1)
    assert out.shape == (1, 1, 3, 3)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        conv2d(x, np.ones((1, 1, 3, 3)), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(torch.from_numpy(x), torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=2, padding="same")


def test_transposed_convolution_upsamples_4x128x10x8():
    assert conv_transpose_output_size((10, 8), 3, 2) == (21, 17)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 128, 10, 8)), rng.standard_normal((128, 32, 3, 3))
    out = conv_transpose2d(x, w, stride=2)
    assert out.shape == (4, 32, 21, 17)
    np.testing.assert_allclose(
        out, F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2).numpy(), rtol=0, atol=1e-10
    )
