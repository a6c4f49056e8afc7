"""Every error a student can trigger names the argument, the value and what would be valid."""

import numpy as np
import pytest

from cnnkit.ops import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv2d_loop,
    conv_matrix,
    conv_transpose2d,
    correlate2d,
    global_avg_pool2d,
    lp_pool2d,
    max_pool2d,
    max_pool2d_backward,
    pad2d,
)

X = np.ones((1, 2, 5, 5))
W = np.ones((3, 2, 3, 3))


@pytest.mark.parametrize("fn", [conv2d, conv2d_loop])
def test_conv2d_wrong_ndim(fn):
    with pytest.raises(
        ValueError,
        match=r"input must have 4 dimensions \(N, C, H, W\); got shape \(5, 5\) — use correlate2d for a single 2-D "
        r"image or add axes with x\[None, None\]",
    ):
        fn(np.ones((5, 5)), W)
    with pytest.raises(
        ValueError, match=r"weight must have 4 dimensions \(C_out, C_in / groups, kH, kW\); got shape \(3, 3\)"
    ):
        fn(X, np.ones((3, 3)))


def test_channel_mismatch_and_groups():
    with pytest.raises(
        ValueError,
        match=r"weight of shape \(3, 4, 3, 3\) expects C_in = 4 x groups = 4 input channels, but input of shape \(1, 2, 5, 5\) has 2",
    ):
        conv2d(X, np.ones((3, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"groups=3 must divide the input channels C_in=2"):
        conv2d(X, W, groups=3)
    with pytest.raises(ValueError, match=r"groups=2 must divide the output channels C_out=3"):
        conv2d(X, np.ones((3, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"groups must be a positive int; got 0"):
        conv2d(X, W, groups=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(3,\); got shape \(2,\)"):
        conv2d(X, W, bias=np.ones(2))


def test_kernel_larger_than_padded_input():
    with pytest.raises(
        ValueError,
        match=r"kernel \(5, 5\) is larger than the padded input \(3, 3\); use padding >= 1 or a smaller kernel",
    ):
        correlate2d(np.ones((3, 3)), np.ones((5, 5)))
    with pytest.raises(
        ValueError,
        match=r"kernel \(7, 7\) is larger than the padded input \(5, 5\); use padding >= 2 or a smaller kernel",
    ):
        correlate2d(np.ones((3, 3)), np.ones((7, 7)), padding=1)
    with pytest.raises(
        ValueError,
        match=r"dilated kernel \(3, 3\) with dilation \(3, 3\) \(spanning \(7, 7\)\) is larger than the padded input \(5, 5\)",
    ):
        conv2d(X, W, dilation=3)


def test_stride_dilation_padding_values():
    with pytest.raises(ValueError, match=r"stride must be positive; got 0"):
        conv2d(X, W, stride=0)
    with pytest.raises(ValueError, match=r"stride must be positive; got \(1, -1\)"):
        conv2d(X, W, stride=(1, -1))
    with pytest.raises(ValueError, match=r"dilation must be positive; got 0"):
        conv2d(X, W, dilation=0)
    with pytest.raises(ValueError, match=r"padding must be non-negative; got -1"):
        conv2d(X, W, padding=-1)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints \(height, width\); got 1.5"):
        conv2d(X, W, stride=1.5)
    with pytest.raises(ValueError, match=r"padding='same' is not supported for strided convolutions"):
        conv2d(X, W, stride=2, padding="same")
    with pytest.raises(
        ValueError,
        match=r"padding must be one of 'valid', 'same', 'full' or an int; got 'smae' \(did you mean 'same'\?\)",
    ):
        conv2d(X, W, padding="smae")
    with pytest.raises(
        ValueError,
        match=r"conv2d: mode='convolve' is not one of 'correlation', 'convolution'; did you mean 'convolution'\?",
    ):
        conv2d(X, W, mode="convolve")
    with pytest.raises(
        ValueError,
        match=r"conv2d: padding_mode='zero' is not one of 'zeros', 'reflect', 'replicate', 'circular'; did you mean 'zeros'\?",
    ):
        conv2d(X, W, padding=1, padding_mode="zero")


def test_single_image_forms_name_image_and_kernel():
    with pytest.raises(
        ValueError, match=r"image must have 2 dimensions \(H, W\); got shape \(1, 1, 5, 5\) — use conv2d for a batch"
    ):
        correlate2d(np.ones((1, 1, 5, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"kernel must have 2 dimensions \(kH, kW\); got shape \(1, 1, 3, 3\)"):
        correlate2d(np.ones((5, 5)), np.ones((1, 1, 3, 3)))
    with pytest.raises(TypeError, match=r"image must be a numeric \(bool, int or float\) array; got dtype <U1"):
        correlate2d(np.array([["a"]]), np.ones((1, 1)))


def test_transposed_errors():
    x = np.ones((1, 2, 4, 4))
    with pytest.raises(
        ValueError,
        match=r"output_padding must be smaller than either stride or dilation; got output_padding=\(2, 2\) with stride \(2, 2\) and dilation \(1, 1\)",
    ):
        conv_transpose2d(x, np.ones((2, 1, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(
        ValueError,
        match=r"weight of shape \(3, 1, 3, 3\) expects C_in = 3 input channels, but input of shape \(1, 2, 4, 4\) has 2; a transposed convolution's weight is \(C_in, C_out / groups, kH, kW\)",
    ):
        conv_transpose2d(x, np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"input must have 4 dimensions \(N, C_in, H, W\); got shape \(4, 4\)"):
        conv_transpose2d(np.ones((4, 4)), np.ones((2, 1, 3, 3)))
    with pytest.raises(
        ValueError, match=r"input_shape must be \(H, W\) or \(C_in, H, W\) of positive ints; got \(0, 3\)"
    ):
        conv_matrix((0, 3), np.ones((2, 2)))


def test_pool_errors():
    with pytest.raises(
        ValueError,
        match=r"input must have 4 dimensions \(N, C, H, W\); got shape \(4, 4\) — add axes with x\[None, None\]",
    ):
        max_pool2d(np.ones((4, 4)), 2)
    with pytest.raises(
        ValueError, match=r"max_pool2d: padding=2 is more than half of kernel_size=3; padding may be at most 1"
    ):
        max_pool2d(np.ones((1, 1, 6, 6)), 3, padding=2)
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger than the padded input \(4, 4\)"):
        avg_pool2d(np.ones((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match=r"kernel_size must be positive; got 0"):
        max_pool2d(np.ones((1, 1, 4, 4)), 0)
    with pytest.raises(ValueError, match=r"norm_type must be a non-zero number \(or float\('inf'\)\); got 0"):
        lp_pool2d(np.ones((1, 1, 4, 4)), 0, 2)
    with pytest.raises(ValueError, match=r"divisor_override must be None or a positive int; got 0"):
        avg_pool2d(np.ones((1, 1, 4, 4)), 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"input must have 4 dimensions"):
        global_avg_pool2d(np.ones((4, 4)))


def test_pad2d_errors():
    with pytest.raises(
        ValueError, match=r"pad2d: mode='edge' is not one of 'zeros', 'reflect', 'replicate', 'circular'"
    ):
        pad2d(np.ones((3, 3)), 1, mode="edge")
    with pytest.raises(
        ValueError,
        match=r"reflect padding must be smaller than the input size; got padding \(\(3, 3\), \(3, 3\)\) for input size \(3, 3\)",
    ):
        pad2d(np.ones((3, 3)), 3, mode="reflect")
    with pytest.raises(ValueError, match=r"circular padding must be at most the input size"):
        pad2d(np.ones((3, 3)), 4, mode="circular")
    with pytest.raises(ValueError, match=r"padding must be non-negative; got -1"):
        pad2d(np.ones((3, 3)), -1)
    with pytest.raises(ValueError, match=r"x must have at least 2 dimensions \(\.\.\., H, W\); got shape \(3,\)"):
        pad2d(np.ones(3), 1)


def test_backward_errors():
    with pytest.raises(
        ValueError,
        match=r"conv2d_backward: grad_output must have the shape of conv2d's output \(N, C_out, H_out, W_out\) = "
        r"\(1, 3, 3, 3\); got shape \(1, 3, 5, 5\) \(H_out and W_out: cnnkit.shapes.conv_output_size\)",
    ):
        conv2d_backward(X, W, np.ones((1, 3, 5, 5)))
    with pytest.raises(
        ValueError,
        match=r"weight of shape \(3, 4, 3, 3\) expects C_in = 4 x groups = 4 input channels, but input of shape \(1, 2, 5, 5\) has 2",
    ):
        conv2d_backward(X, np.ones((3, 4, 3, 3)), np.ones((1, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"padding='same' is not supported for strided convolutions"):
        conv2d_backward(X, W, np.ones((1, 3, 3, 3)), stride=2, padding="same")
    with pytest.raises(TypeError, match=r"grad_output must be a numeric \(bool, int or float\) array; got dtype <U1"):
        conv2d_backward(X, W, np.full((1, 3, 3, 3), "a"))
    with pytest.raises(
        ValueError,
        match=r"max_pool2d_backward: grad_output must have the shape of max_pool2d's output \(N, C, H_out, W_out\) = "
        r"\(1, 2, 2, 2\); got shape \(1, 2, 3, 3\) \(H_out and W_out: cnnkit.shapes.pool_output_size\)",
    ):
        max_pool2d_backward(X, np.ones((1, 2, 3, 3)), 2)
    with pytest.raises(
        ValueError, match=r"max_pool2d_backward: padding=2 is more than half of kernel_size=3; padding may be at most 1"
    ):
        max_pool2d_backward(X, np.ones((1, 2, 3, 3)), 3, padding=2)
    with pytest.raises(
        ValueError,
        match=r"avg_pool2d_backward: grad_output must have the shape of avg_pool2d's output \(N, C, H_out, W_out\) = \(1, 2, 3, 3\); got shape \(1, 2, 2, 2\)",
    ):
        avg_pool2d_backward(X, np.ones((1, 2, 2, 2)), 2, ceil_mode=True)
    with pytest.raises(ValueError, match=r"divisor_override must be None or a positive int; got 0"):
        avg_pool2d_backward(X, np.ones((1, 2, 2, 2)), 2, divisor_override=0)
