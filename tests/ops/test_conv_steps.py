"""cnnkit.ops.conv_steps: the steps of a convolution, one per output value."""

import numpy as np
import pytest

from cnnkit.ops import conv2d
from cnnkit.ops.conv_steps import conv2d_steps

X = np.array([[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0], [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]])
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def reference(x, k, **kw):
    return conv2d(np.asarray(x)[None, None], np.asarray(k)[None, None], **kw)[0, 0]


def test_steps_of_the_lecture_example():
    s = conv2d_steps(X, LAPLACIAN)
    assert s.output.tolist() == [[6, 15, 9], [14, -36, -4], [-4, 10, 7]]
    assert len(s.steps) == 9
    assert [st.position for st in s.steps] == [(u, v) for u in range(3) for v in range(3)]
    for st in s.steps:
        assert st.products.sum() == st.value


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(stride=2),
        dict(padding=1),
        dict(padding="same"),
        dict(padding="full"),
        dict(stride=(1, 2), padding=(1, 0)),
        dict(dilation=2),
        dict(dilation=(2, 1), padding=1),
        dict(mode="convolution"),
        dict(padding=1, padding_mode="reflect"),
    ],
)
def test_steps_sum_to_conv2d(kw):
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 6, size=(6, 5))
    k = rng.integers(-3, 4, size=(3, 2))
    s = conv2d_steps(x, k, **kw)
    np.testing.assert_array_equal(s.output, reference(x, k, **kw))
    assert len(s.steps) == s.output.size
    for st in s.steps:
        np.testing.assert_array_equal(st.products, s.padded[np.ix_(st.rows, st.cols)] * s.kernel)
        assert st.products.sum() == st.value == s.output[st.position]


def test_steps_padding_and_flipped_kernel():
    s = conv2d_steps(X, [[1, 2], [3, 4]], padding=1, mode="convolution")
    assert s.pads == ((1, 1), (1, 1))
    assert s.padded.shape == (7, 7)
    assert s.kernel.tolist() == [[4, 3], [2, 1]]


def test_steps_dilated_window_skips_samples():
    s = conv2d_steps(np.arange(25).reshape(5, 5), np.ones((3, 3), dtype=int), dilation=2)
    assert len(s.steps) == 1
    assert s.steps[0].rows.tolist() == [0, 2, 4] and s.steps[0].cols.tolist() == [0, 2, 4]
