"""cnnkit.shapes against the shapes PyTorch actually returns."""

import itertools
import math
import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnkit.shapes import (
    ReceptiveField,
    TransposedInput,
    conv_output_size,
    conv_transpose_output_padding,
    conv_transpose_output_size,
    keras_conv_transpose_output_size,
    padding_amounts,
    pool_output_size,
    receptive_field,
    same_padding,
    tf_same_padding,
    to_pair,
    transposed_input_sizes,
    unit_centres,
    window_coverage,
    window_starts,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


def torch_size(fn, i, *args, **kwargs):
    """The output width torch computes for a 1 x i input, or None if torch refuses."""
    try:
        return fn(torch.zeros(1, 1, 1, i), *args, **kwargs).shape[-1]
    except RuntimeError:
        return None


def ours(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return None


def test_conv_output_size_matches_torch_on_a_grid():
    for i, k, s, p, d in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(0, 3), range(1, 4)):
        w = torch.zeros(1, 1, 1, k)
        expected = torch_size(lambda x: F.conv2d(x, w, stride=(1, s), padding=(0, p), dilation=(1, d)), i)
        assert ours(conv_output_size, i, k, s, p, d) == expected, (i, k, s, p, d)


@pytest.mark.parametrize("padding", ["valid", "same", "full"])
def test_conv_output_size_string_padding(padding):
    for i, k, d in itertools.product(range(1, 8), range(1, 5), range(1, 3)):
        total = {"valid": 0, "same": d * (k - 1), "full": 2 * d * (k - 1)}[padding]
        expected = i + total - d * (k - 1) if i + total >= d * (k - 1) + 1 else None
        assert ours(conv_output_size, i, k, 1, padding, d) == expected
    assert conv_output_size(7, 4, p="same") == 7


def test_pool_output_size_matches_torch_on_a_grid():
    grid = itertools.product(range(1, 10), range(1, 5), range(1, 4), range(0, 3), range(1, 3), (False, True))
    for i, k, s, p, d, ceil_mode in grid:
        args = dict(kernel_size=(1, k), stride=(1, s), padding=(0, p), dilation=(1, d), ceil_mode=ceil_mode)
        expected = torch_size(lambda x: F.max_pool2d(x, **args), i)
        assert ours(pool_output_size, i, k, s, p, d, ceil_mode) == expected, (i, k, s, p, d, ceil_mode)
        if d == 1:
            args.pop("dilation")
            assert ours(pool_output_size, i, k, s, p, 1, ceil_mode) == torch_size(lambda x: F.avg_pool2d(x, **args), i)


def test_pool_output_size_defaults_stride_to_kernel():
    assert pool_output_size(224, 2) == 112
    assert pool_output_size((7, 8), 2) == (3, 4)
    assert pool_output_size((7, 8), 2, ceil_mode=True) == (4, 4)
    assert pool_output_size(1, 2, ceil_mode=True) == 1  # a window may be larger than the input


def test_conv_transpose_output_size_matches_torch_on_a_grid():
    for i, k, s, p, op, d in itertools.product(
        range(1, 6), range(1, 4), range(1, 4), range(0, 3), range(0, 3), range(1, 3)
    ):
        w = torch.zeros(1, 1, 1, k)
        args = dict(stride=(1, s), padding=(0, p), output_padding=(0, op), dilation=(1, d))
        expected = torch_size(lambda x: F.conv_transpose2d(x, w, **args), i)
        assert ours(conv_transpose_output_size, i, k, s, p, op, d) == expected, (i, k, s, p, op, d)


def test_transposed_convolution_ambiguity():
    """With stride s > 1, s input sizes share one output size; output_padding picks one."""
    for o, k, s, p, d in itertools.product(range(1, 6), range(1, 4), range(1, 4), range(0, 2), range(1, 3)):
        candidates = transposed_input_sizes(o, k, s, p, d)
        for i, op in candidates:
            assert conv_output_size(i, k, s, p, d) == o
            w = torch.zeros(1, 1, 1, k)
            back = F.conv_transpose2d(
                torch.zeros(1, 1, 1, o), w, stride=(1, s), padding=(0, p), output_padding=(0, op), dilation=(1, d)
            )
            assert back.shape[-1] == i
        listed = {c.input_size for c in candidates}
        for i in range(1, 25):  # and no other input size maps to o
            if i not in listed:
                assert ours(conv_output_size, i, k, s, p, d) != o
    assert transposed_input_sizes(3, 3, 2, 1) == [TransposedInput(5, 0), TransposedInput(6, 1)]
    assert len(transposed_input_sizes(10, 3, 4)) == 4


def test_conv_transpose_output_padding_gets_back_to_the_input_size():
    """torch's transposed convolution of the output, with this output_padding, has the input's size."""
    for i, k, s, p, d in itertools.product(range(1, 9), range(1, 4), range(1, 4), range(0, 3), range(1, 3)):
        o = ours(conv_output_size, i, k, s, p, d)
        if o is None:  # the kernel does not fit
            continue
        op = conv_transpose_output_padding(i, k, s, p, d)
        assert 0 <= op < s
        assert TransposedInput(i, op) in transposed_input_sizes(o, k, s, p, d)
        back = F.conv_transpose2d(
            torch.zeros(1, 1, 1, o),
            torch.zeros(1, 1, 1, k),
            stride=(1, s),
            padding=(0, p),
            output_padding=(0, op),
            dilation=(1, d),
        )
        assert back.shape[-1] == i, (i, k, s, p, d)
    assert conv_transpose_output_padding(7, 4, p="same") == 0
    assert conv_transpose_output_padding((7, 8), 3, s=(3, 2), p="full") == (2, 1)
    assert conv_transpose_output_padding(9, 3, s=4, p="valid") == 2
    with pytest.raises(ValueError, match=r"kernel 5 is larger than the padded input 3"):
        conv_transpose_output_padding(3, 5)


def test_keras_conv_transpose_output_size_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    for i, k, s, padding in itertools.product(range(1, 5), range(1, 5), range(1, 4), ("valid", "same")):
        layer = keras.layers.Conv2DTranspose(1, k, strides=s, padding=padding)
        got = tuple(layer(np.zeros((1, i, i + 1, 1), dtype="float32")).shape[1:3])
        assert got == keras_conv_transpose_output_size((i, i + 1), k, s, padding), (i, k, s, padding)
        if k >= s:  # 'valid' is PyTorch's size without padding; for k < s Keras gives more
            assert keras_conv_transpose_output_size(i, k, s) == conv_transpose_output_size(i, k, s)
        else:
            assert keras_conv_transpose_output_size(i, k, s) == conv_transpose_output_size(i, k, s) + s - k
    for i, k, s, op, d, padding in [
        (3, 3, 2, 1, 1, "valid"),
        (3, 3, 2, 0, 1, "same"),
        (5, 2, 1, None, 2, "valid"),
        (4, 3, 1, None, 2, "same"),
        (4, 4, 3, 2, 1, "same"),
    ]:
        layer = keras.layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=op, dilation_rate=d)
        got = layer(np.zeros((1, i, i, 1), dtype="float32")).shape[1]
        assert got == keras_conv_transpose_output_size(i, k, s, padding, op, d), (i, k, s, op, d, padding)


def test_keras_conv_transpose_output_size_errors():
    assert keras_conv_transpose_output_size((4, 5), (1, 3), 2) == (8, 11)
    with pytest.raises(ValueError, match=r"padding p must be 'valid' or 'same' .*got 'full'"):
        keras_conv_transpose_output_size(4, 3, 2, "full")
    with pytest.raises(ValueError, match=r"did you mean 'same'"):
        keras_conv_transpose_output_size(4, 3, 2, "smae")
    with pytest.raises(ValueError, match=r"input size i must be positive; got 0"):
        keras_conv_transpose_output_size(0, 3, 2)


def test_same_padding_matches_torch():
    for k, d in itertools.product(range(1, 7), range(1, 4)):
        before, after = same_padding(k, d)
        assert before + after == d * (k - 1) and after - before in (0, 1)
        x = torch.arange(9.0).reshape(1, 1, 1, 9)
        w = torch.zeros(1, 1, 1, k)
        w[..., 0] = 1  # picks the sample under the first tap: reveals the left padding
        got = F.conv2d(x, w, padding="same", dilation=d)
        expected = F.conv2d(F.pad(x, (before, after)), w, dilation=d)
        assert torch.equal(got, expected)


def test_tf_same_padding_gives_ceil_i_over_s_with_the_least_padding():
    for i, k, s, d in itertools.product(range(1, 13), range(1, 6), range(1, 5), range(1, 4)):
        before, after = tf_same_padding(i, k, s, d)
        total = before + after
        assert after - before in (0, 1) and before >= 0, (i, k, s, d)
        o = math.ceil(i / s)
        assert conv_output_size(i + total, k, s, d=d) == o, (i, k, s, d)
        # the smallest total padding that gives ceil(i / s): one sample less is not enough
        assert total == 0 or ours(conv_output_size, i + total - 1, k, s, d=d) != o, (i, k, s, d)
        # the brute-force definition: the first total padding that gives ceil(i / s)
        assert total == next(t for t in range(d * (k - 1) + 1) if ours(conv_output_size, i + t, k, s, d=d) == o)


def test_tf_same_padding_is_same_padding_at_stride_1():
    for i, k, d in itertools.product(range(1, 10), range(1, 8), range(1, 4)):
        assert tf_same_padding(i, k, 1, d) == same_padding(k, d), (i, k, d)  # odd and even k alike
    # and torch's padding='same' (stride 1) gives the same values
    x = torch.arange(8.0).reshape(1, 1, 1, 8)
    w = torch.arange(1.0, 5.0).reshape(1, 1, 1, 4)
    before, after = tf_same_padding(8, 4)
    assert torch.equal(F.conv2d(x, w, padding="same"), F.conv2d(F.pad(x, (before, after)), w))


def test_tf_same_padding_pairs_and_errors():
    assert tf_same_padding((6, 5), 3, 2) == ((0, 1), (1, 1))
    assert tf_same_padding((6, 5), (3, 1), (2, 1)) == ((0, 1), (0, 0))
    assert tf_same_padding(2000, 5, 2) == (1, 2)
    assert isinstance(tf_same_padding(5, 3, 2)[0], int)
    with pytest.raises(ValueError, match=r"input size i must be positive; got 0"):
        tf_same_padding(0, 3, 2)
    with pytest.raises(ValueError, match=r"stride s must be positive; got 0"):
        tf_same_padding(5, 3, 0)
    with pytest.raises(TypeError, match=r"kernel size k must be an int or a pair of ints"):
        tf_same_padding(5, 2.5)


def test_padding_amounts():
    assert padding_amounts(0, 3) == ((0, 0), (0, 0))
    assert padding_amounts((1, 2), 3) == ((1, 1), (2, 2))
    assert padding_amounts([1, 2], 3) == ((1, 1), (2, 2))
    assert padding_amounts("valid", 5, s=2) == ((0, 0), (0, 0))
    assert padding_amounts("full", (3, 2), d=(1, 3)) == ((2, 2), (3, 3))
    for k, d in itertools.product(range(1, 7), range(1, 4)):
        assert padding_amounts("same", k, d=d) == (same_padding(k, d),) * 2
        # the padded sizes agree with conv_output_size on each padding
        for padding in ("valid", "same", "full", 1):
            (top, bottom), _ = padding_amounts(padding, k, d=d)
            i = 9
            assert ours(conv_output_size, i + top + bottom, k, d=d) == ours(conv_output_size, i, k, 1, padding, d)
    with pytest.raises(ValueError, match=r"padding='same' is not supported for strided convolutions"):
        padding_amounts("same", 3, s=2)
    with pytest.raises(ValueError, match=r"got 'smae' \(did you mean 'same'\?\)"):
        padding_amounts("smae", 3)
    with pytest.raises(ValueError, match=r"padding must be non-negative; got \(1, -1\)"):
        padding_amounts((1, -1), 3)
    with pytest.raises(
        TypeError, match=r"padding must be one of 'valid', 'same', 'full', an int or a pair of ints; got 1.5"
    ):
        padding_amounts(1.5, 3)
    with pytest.raises(ValueError, match=r"kernel size k must be positive; got 0"):
        padding_amounts(0, 0)


def test_to_pair():
    assert to_pair(3) == (3, 3)
    assert to_pair((2, 5)) == (2, 5)
    assert to_pair(np.int64(4)) == (4, 4) and type(to_pair(np.int64(4))[0]) is int
    assert to_pair(0, minimum=0) == (0, 0)
    with pytest.raises(ValueError, match=r"stride must be positive; got \(2, 0\)"):
        to_pair((2, 0), "stride", minimum=1)
    with pytest.raises(ValueError, match=r"padding must be non-negative; got -1"):
        to_pair(-1, "padding", minimum=0)
    with pytest.raises(ValueError, match=r"size must be at least 2; got 1"):
        to_pair(1, "size", minimum=2)
    with pytest.raises(TypeError, match=r"window must be an int or a pair of ints"):
        to_pair(True, "window")
    with pytest.raises(TypeError, match=r"window must be an int or a pair of ints"):
        to_pair((1, 2, 3), "window")


def test_pairs_in_pairs_out():
    assert conv_output_size((5, 7), (3, 1)) == (3, 7)
    assert conv_output_size((5, 7), 3, s=(1, 2), p=(1, 0)) == (5, 3)
    assert conv_transpose_output_size((10, 8), 3, 2) == (21, 17)
    assert same_padding((3, 4), (1, 1)) == ((1, 1), (1, 2))
    assert isinstance(conv_output_size(5, 3), int)


def test_receptive_field_examples():
    assert receptive_field([(3, 1), (3, 1)]).size == 5
    assert receptive_field([(3, 1)] * 3).size == 7
    assert receptive_field([(3, 1, 2)]).size == 5
    assert receptive_field([]) == ReceptiveField(1, 1, [])
    rf = receptive_field([{"kernel_size": 3}, {"kernel_size": 2, "stride": 2}, {"kernel_size": 3, "dilation": 2}])
    assert (rf.size, rf.jump) == (4 + 2 * 2 * 2, 2)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=4))
def test_receptive_field_is_the_support_of_the_gradient(layers):
    """The input samples an output unit depends on, found by autograd through a stack of convs."""
    rf = receptive_field(layers)
    size = 1
    for k, s, d in reversed(layers):  # an input just large enough for one output unit
        size = (size - 1) * s + d * (k - 1) + 1
    x = torch.ones(1, 1, size + 3, requires_grad=True)
    y = x
    for k, s, d in layers:
        y = F.conv1d(y, torch.ones(1, 1, k), stride=s, dilation=d)
    y[0, 0, 0].backward()
    support = torch.nonzero(x.grad[0, 0]).ravel()
    assert int(support.max() - support.min() + 1) == rf.size
    jump = 1
    for _, s, _ in layers:
        jump *= s
    assert rf.jump == jump


def test_shape_errors():
    with pytest.raises(ValueError, match=r"kernel size k must be positive; got 0"):
        conv_output_size(5, 0)
    with pytest.raises(ValueError, match=r"stride s must be positive; got \(1, 0\)"):
        conv_output_size(5, 3, s=(1, 0))
    with pytest.raises(ValueError, match=r"dilation d must be positive; got -1"):
        conv_output_size(5, 3, d=-1)
    with pytest.raises(ValueError, match=r"padding p must be non-negative; got -1"):
        conv_output_size(5, 3, p=-1)
    with pytest.raises(
        ValueError, match=r"kernel 5 is larger than the padded input 3; use padding >= 1 or a smaller kernel"
    ):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger than the padded input \(3, 3\); use padding >= 1"):
        conv_output_size((3, 3), 5)
    with pytest.raises(
        ValueError, match=r"dilated kernel 3 with dilation 3 \(spanning 7\) is larger than the padded input 3"
    ):
        conv_output_size(3, 3, d=3)
    with pytest.raises(ValueError, match=r"padding='same' is not supported for strided convolutions"):
        conv_output_size(5, 3, s=2, p="same")
    with pytest.raises(ValueError, match=r"got 'smae' \(did you mean 'same'\?\)"):
        conv_output_size(5, 3, p="smae")
    with pytest.raises(
        ValueError,
        match=r"output_padding must be smaller than either stride or dilation; got output_padding=2 with stride 2 and dilation 1",
    ):
        conv_transpose_output_size(3, 3, s=2, output_padding=2)
    assert conv_transpose_output_size(3, 3, s=1, output_padding=1, d=2) == 8  # allowed: smaller than the dilation
    with pytest.raises(ValueError, match=r"padding p must be at most half the window size \(p <= k // 2"):
        pool_output_size(5, 3, p=2)
    with pytest.raises(ValueError, match=r"output size would be -1; use a smaller padding"):
        conv_transpose_output_size(1, 1, p=1)
    with pytest.raises(TypeError, match=r"kernel size k must be an int or a pair of ints \(height, width\); got 2.5"):
        conv_output_size(5, 2.5)
    with pytest.raises(TypeError, match=r"layers\[0\] must be a \(kernel, stride\)"):
        receptive_field([3])
    with pytest.raises(ValueError, match=r"layers\[1\] stride must be positive; got 0"):
        receptive_field([(3, 1), (3, 0)])


def test_dilated_span_is_the_one_formula():
    from cnnkit.shapes import dilated_span

    assert [dilated_span(k, d) for k, d in ((1, 1), (3, 1), (3, 2), (5, 3))] == [1, 3, 5, 13]
    assert dilated_span((3, 5), (1, 2)) == (3, 9)
    with pytest.raises(TypeError, match="kernel size k"):
        dilated_span(2.5)


def test_receptive_field_offset_is_minus_the_padding_in_input_samples():
    # conv 3 pad 1, pool 2 stride 2, conv 3 pad 1: the first unit starts 1 + 1*2 = 3 samples before the image
    rf = receptive_field(
        [{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}, {"kernel_size": 3, "padding": 1}]
    )
    assert (rf.size, rf.jump, rf.offset) == (8, 2, -3)
    assert receptive_field([(3, 1), (3, 1)]).offset == 0
    assert receptive_field([{"kernel_size": 3, "padding": (1, 0)}]).offset == (-1, 0)
    with pytest.raises(ValueError, match=r"layers\[0\] padding must be non-negative"):
        receptive_field([{"kernel_size": 3, "padding": -1}])


# window_coverage: how many windows of a convolution read each input pixel


def torch_coverage(i, k, stride, padding, dilation=1):
    """Reference: the gradient of the sum of a ones-kernel convolution counts the reads."""
    x = torch.zeros(1, 1, *i, dtype=torch.float64, requires_grad=True)
    w = torch.ones(1, 1, *k, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's note on 'same' with even kernels
        F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation).sum().backward()
    return x.grad[0, 0].round().long().numpy()


@pytest.mark.parametrize(
    "i, k, stride, padding, dilation",
    [
        ((7, 7), (3, 3), 3, 0, 1),
        ((16, 16), (3, 3), 4, 0, 1),
        ((5, 6), (3, 2), (2, 1), (1, 0), 1),
        ((9, 9), (3, 3), 1, 2, 2),
        ((5, 5), (3, 3), 2, 1, 1),
    ],
)
def test_window_coverage_matches_torch_gradient(i, k, stride, padding, dilation):
    expected = torch_coverage(i, k, stride, padding, dilation)
    np.testing.assert_array_equal(window_coverage(i, k, stride, padding, dilation), expected)


def test_window_coverage_same_matches_torch():
    np.testing.assert_array_equal(window_coverage(6, 4, p="same"), torch_coverage((6, 6), (4, 4), 1, "same"))


def test_window_coverage_full_reads_every_tap_once_per_window():
    cov = window_coverage(5, 3, p="full")
    # every input pixel is read by every one of the k*k kernel taps exactly once
    assert cov.tolist() == [[9] * 5] * 5


def test_window_coverage_shape_and_int_or_pair():
    assert window_coverage(4, 2).shape == (4, 4)
    assert window_coverage((4, 6), 2).shape == (4, 6)
    assert window_coverage((4, 6), 2).dtype == np.int64


def test_window_coverage_errors():
    with pytest.raises(ValueError, match="larger than the padded input"):
        window_coverage(3, 5)
    with pytest.raises(ValueError, match="not supported for strided"):
        window_coverage(5, 3, s=2, p="same")
    with pytest.raises(ValueError, match="padding must be one of"):
        window_coverage(5, 3, p="smae")
    with pytest.raises(ValueError, match="stride s must be positive"):
        window_coverage(5, 3, s=0)
    with pytest.raises(ValueError, match="input size i must be positive"):
        window_coverage(0, 1)


# ------------------------------------------------------------------------------------------
# unit_centres, window_starts, ReceptiveField.centre: where each unit lies in the input


def test_unit_centres_examples():
    assert unit_centres(7, 32, 4, -14).tolist() == [4 * u + 1.5 for u in range(7)]  # small VGG: the blocks' middles
    assert unit_centres(7, 851, 32, -394).tolist() == [32 * u + 31 for u in range(7)]  # Lite0: the blocks' last rows
    rows, cols = unit_centres((2, 3), (3, 5), (2, 1), (-1, 0))
    assert rows.tolist() == [0.0, 2.0] and cols.tolist() == [2.0, 3.0, 4.0]
    assert unit_centres(1, 1, 1).tolist() == [0.0]
    rf = receptive_field([{"kernel_size": 3, "padding": 1}, {"kernel_size": 2, "stride": 2}])
    assert rf.centre == 0.5 and unit_centres(3, rf.size, rf.jump, rf.offset).tolist() == [0.5, 2.5, 4.5]
    pair = receptive_field([{"kernel_size": (3, 5), "stride": 2, "padding": (0, 2)}])
    assert pair.centre == (1.0, 0.0)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.integers(0, 3), st.integers(0, 3)),
        min_size=1,
        max_size=4,
    )
)
def test_unit_centres_are_the_middles_of_the_gradient_supports(layers):
    """Through convolutions padded unevenly (as TensorFlow's 'same'), each unit's field is centred where unit_centres says."""
    rf = receptive_field(
        [{"kernel_size": k, "stride": s, "dilation": d, "padding": before} for k, s, d, before, _ in layers]
    )
    n_in = rf.size + 3 * rf.jump + 5
    x = torch.ones(1, 1, n_in, requires_grad=True)
    y = x
    for k, s, d, before, after in layers:
        y = F.conv1d(F.pad(y, (before, after)), torch.ones(1, 1, k), stride=s, dilation=d)
    centres = unit_centres(y.shape[-1], rf.size, rf.jump, rf.offset)
    inside = 0
    for u in range(y.shape[-1]):
        (grad,) = torch.autograd.grad(y[0, 0, u], x, retain_graph=True)
        support = torch.nonzero(grad[0, 0]).ravel()
        start = rf.offset + u * rf.jump
        whole = start >= 0 and start + rf.size <= n_in
        if support.numel() == 0:  # a unit that reads only padding (of the input or of a layer between)
            assert not whole
            continue
        assert max(start, 0) <= int(support.min()) <= int(support.max()) <= start + rf.size - 1
        if whole:  # the whole field inside the input: its middle is the centre
            assert (int(support.min()), int(support.max())) == (start, start + rf.size - 1)
            assert (support.min() + support.max()).item() / 2 == centres[u]
            inside += 1
    assert inside >= 1


def test_window_starts_centre_the_windows():
    assert window_starts([1.5, 5.5], 4).tolist() == [0, 4]  # exactly centred: 0-3 on 1.5, 4-7 on 5.5
    assert window_starts([31.0, 63.0], 32).tolist() == [16, 48]  # an even window on a pixel: half a pixel down
    assert window_starts([31.0], 33).tolist() == [15]  # an odd window on a pixel: exact
    assert window_starts([0.5], 1).tolist() == [1]  # an odd window between two pixels: the later one
    assert window_starts([-3.0, 0.0], 4).tolist() == [-4, -1]  # windows may start before the image
    for centre in np.arange(-2.0, 5.0, 0.5):
        for w in range(1, 6):
            t = window_starts([centre], w)[0]
            assert abs(t + (w - 1) / 2 - centre) <= 0.5
    with pytest.raises(ValueError, match="centres must be a 1-D sequence of finite numbers"):
        window_starts([[1.0]], 2)
    with pytest.raises(ValueError, match="window must be positive; got 0"):
        window_starts([1.0], 0)


def test_unit_centres_errors():
    with pytest.raises(ValueError, match="number of units n must be positive; got 0"):
        unit_centres(0, 3, 1)
    with pytest.raises(ValueError, match="jump must be positive; got 0"):
        unit_centres(2, 3, 0)
    with pytest.raises(TypeError, match=r"offset must be an int or a pair of ints; got 0\.5"):
        unit_centres(2, 3, 1, 0.5)
