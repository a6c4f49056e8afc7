"""cnnkit.exercises.architectures: a layer's parameters and multiply-adds, the receptive field of a stack.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

from cnnkit import exercises as ex
from tests.exercises.answers import (
    assert_rejected,
)


def test_conv_params_rejects_one_bias_per_input_channel():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k * k + (c_in if bias else 0))
    assert_rejected(result, "failed on case 1 of 12 (fixed)", "c_in = 1", "c_out = 6", "expected 156, got 151")


def test_conv_params_rejects_a_bias_per_weight():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k * k * (2 if bias else 1))
    assert_rejected(result, "failed on case 1 ", "expected 156, got 300")


def test_conv_params_rejects_filters_that_see_one_channel():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_out * k * k + (c_out if bias else 0))
    assert_rejected(result, "failed on case 2 of 12 (fixed)", "expected 2416, got 416")


def test_conv_params_rejects_an_ignored_bias_flag():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k * k + c_out)
    assert_rejected(result, "failed on case 5 of 12 (fixed)", "bias = False", "expected 73728, got 73856")


def test_conv_params_rejects_k_instead_of_k_squared():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_in * c_out * k + (c_out if bias else 0))
    assert_rejected(result, "failed on case 1 ", "expected 156, got 36")


def test_conv_params_rejects_a_count_that_is_not_a_number():
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: (c_in * c_out * k * k, c_out))
    assert_rejected(result, "failed on case 1 ", "expected a number (156); got a tuple")


def test_receptive_field_rejects_a_stack_without_the_stride_product():
    result = ex.check_receptive_field(lambda layers: 1 + sum(k - 1 for k, s in layers))
    assert_rejected(result, "failed on case 3 of 13 (fixed)", "layers = [(3, 1), (2, 2), (3, 1)]", "expected 8, got 6")


def test_receptive_field_rejects_the_sum_of_the_kernel_sizes():
    result = ex.check_receptive_field(lambda layers: sum(k for k, s in layers))
    assert_rejected(result, "failed on case 1 ", "expected 5, got 6")


def test_receptive_field_rejects_a_jump_updated_too_early():
    def too_early(layers):
        r, j = 1, 1
        for k, s in layers:
            j *= s
            r += (k - 1) * j
        return r

    assert_rejected(ex.check_receptive_field(too_early), "failed on case 3 of 13 (fixed)", "expected 8, got 9")


def test_receptive_field_reports_an_empty_stack_that_raises():
    def first_layer_first(layers):
        r, j = layers[0][0], layers[0][1]
        for k, s in layers[1:]:
            r += (k - 1) * j
            j *= s
        return r

    result = ex.check_receptive_field(first_layer_first)
    assert_rejected(result, "failed on case 9 of 13 (fixed)", "IndexError: list index out of range", "layers = []")


def test_conv_macs_rejects_ignored_groups():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * c_in * k * k)
    assert_rejected(result, "failed on case 3 of 11 (fixed)", "groups = 32", "expected 3612672, got 115605504")


def test_conv_macs_rejects_the_parameter_count():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * (c_in // groups * k * k + 1))
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected 86704128, got 1792")


def test_conv_macs_rejects_a_forgotten_output_area():
    result = ex.check_conv_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * (c_in // groups) * k * k)
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected 86704128, got 1728")


def test_conv_macs_rejects_k_instead_of_k_squared():
    result = ex.check_conv_macs(
        lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * (c_in // groups) * k
    )
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected 86704128, got 28901376")


def test_conv_macs_rejects_the_output_area_squared():
    result = ex.check_conv_macs(
        lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * h_out * (c_in // groups) * k * k
    )
    assert_rejected(result, "failed on case 5 of 11 (fixed)", "w_out = 14")


def test_conv_params_rejects_a_float_count():
    # the review's spec slip: k ** 2.0 gives the right value as a float, which np.zeros((n, n)) refuses
    result = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_out * (c_in * k**2.0 + bias))
    assert_rejected(result, "failed on case 1 of 12 (fixed)", "expected an int, the count 156; got a float: 156.0")


def test_conv_macs_rejects_a_float_count():
    result = ex.check_conv_macs(
        lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * c_in / groups * k * k
    )
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "expected an int, the count 86704128; got a float")


def test_receptive_field_rejects_a_float_count():
    def with_floats(layers):
        field, jump = 1.0, 1.0
        for kernel, stride in layers:
            field, jump = field + (kernel - 1) * jump, jump * stride
        return field

    assert_rejected(
        ex.check_receptive_field(with_floats), "failed on case 1 of 13 (fixed)", "expected an int, the count 5"
    )
