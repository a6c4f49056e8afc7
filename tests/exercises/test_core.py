"""cnnkit.exercises.core: cases and their hints, the runner, results, messages and errors (most
of them through real checkers)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import exercises as ex
from cnnkit.exercises import Case, check, compare_numbers
from cnnkit.ops import pad2d
from tests.exercises.answers import (
    assert_rejected,
    loop_correlate,
    loop_max_pool,
)


def test_a_function_that_raises_is_reported_not_raised():
    def broken(x, w):
        raise ValueError("shapes do not match")

    result = ex.check_correlate2d(broken)
    assert_rejected(
        result, "failed on case 1 of 11 (fixed)", "your function raised ValueError: shapes do not match", "input:"
    )
    assert "in broken)" in result.message and "x = [[  0  10   9   3   4]" in result.message
    assert result.actual is None and result.inputs is not None and result.expected.shape == (3, 3)


def test_a_long_exception_message_is_cut():
    def verbose(x, p):
        raise RuntimeError("x" * 5000)

    result = ex.check_pad2d(verbose)
    assert len(result.message) < 500 and "..." in result.message


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted(x, p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.check_pad2d(interrupted)


def test_messages_are_short_for_large_arrays():
    x = np.arange(100.0).reshape(10, 10)
    wrong_value = check(lambda x: x + (x == 42), lambda x: x, [(x,)], names=["x"])
    assert_rejected(
        wrong_value, "x = array of shape (10, 10), dtype float64", "at index (4, 2): expected 42.0, got 43.0"
    )
    assert "1 of 100 entries differ" in wrong_value.message and len(wrong_value.message) < 600
    wrong_shape = check(lambda x: x[1:, 1:], lambda x: x, [(x,)], names=["x"])
    assert_rejected(wrong_shape, "wrong shape: expected (10, 10), got (9, 9)")
    assert len(wrong_shape.message) < 600
    assert "result.inputs" in wrong_shape.message


def test_small_arrays_are_printed_in_full():
    result = ex.check_max_pool2d(lambda x, k: loop_max_pool(x, k) + 1)
    assert "x = [[1 1 2 4]\n       [5 6 7 8]" in result.message
    assert "expected (shape (2, 2)):\n  [[6 8]\n   [3 4]]" in result.message
    assert "result.inputs" not in result.message


def test_inputs_are_copied_for_each_function_and_a_change_in_place_is_reported():
    def destructive(x, k):
        out = loop_max_pool(x, k)
        x[...] = 0  # changes its argument in place
        return out

    result = ex.check_max_pool2d(destructive)
    assert_rejected(
        result,
        "failed on case 1 of 11 (fixed)",
        "your function changed its argument x in place: x[0, 0] was 1 and is 0 after the call",
    )
    assert result.inputs[0].any()  # the case kept its values
    assert "hint:" not in result.message  # the case's hint is about its values, not about the change


def test_a_wrong_result_is_reported_before_a_change_in_place():
    def destructive(x, k):
        out = loop_max_pool(x, k)
        x[...] = 0
        return out + 1

    assert_rejected(
        ex.check_max_pool2d(destructive), "failed on case 1 of 11 (fixed)", "first difference at index (0, 0)"
    )


def test_a_change_of_a_list_argument_is_reported():
    def reverses(layers):
        layers.reverse()  # the caller's list is now upside down
        field, jump = 1, 1
        for kernel, stride in reversed(layers):
            field, jump = field + (kernel - 1) * jump, jump * stride
        return field

    assert_rejected(
        ex.check_receptive_field(reverses),
        "failed on case 4 of 13 (fixed)",
        "changed its argument layers in place: layers[0][0] was 5 and is 2",
        "list(layers)",
    )


def test_the_reference_runs_after_the_function():
    # a function that reads the checker's frame finds no expected value there
    import inspect

    def peeks(x, p):
        frame = inspect.currentframe().f_back
        return frame.f_locals.get("expected")

    assert_rejected(ex.check_pad2d(peeks), "failed on case 1 of 9 (fixed)", "returned None")


def test_a_forgotten_return_is_named():
    def no_return(x, w):
        loop_correlate(x, w)

    assert_rejected(ex.check_correlate2d(no_return), "returned None: did you forget to return the result?")


def test_a_result_that_is_not_an_array_is_named():
    assert_rejected(ex.check_pad2d(lambda x, p: "padded"), "expected a numeric array of shape (5, 5)")
    assert_rejected(ex.check_pad2d(lambda x, p: [[1, 2], [3]]), "not an array")


def test_passing_a_result_instead_of_a_function_is_named():
    result = ex.check_pad2d(np.zeros((3, 3)))
    assert (
        not result.passed and "expected a function" in result.message and "check(f), not check(f(x))" in result.message
    )


def test_lists_and_tensors_are_accepted_as_results():
    assert ex.check_pad2d(lambda x, p: np.pad(x, p).tolist()).passed
    assert ex.check_pad2d(lambda x, p: torch.from_numpy(np.pad(x, p))).passed


def test_html_repr_is_a_coloured_box_with_the_escaped_message():
    passed = ex.check_pad2d(pad2d)
    failed = ex.check_pad2d(lambda x, p: x[5])
    assert "#1a7f37" in passed._repr_html_() and "passed: 9 cases" in passed._repr_html_()
    html = failed._repr_html_()
    assert "#b42318" in html and "&lt;lambda&gt;" in html and "<lambda>" not in html
    assert html.startswith("<div") and html.endswith("</div>")


def test_the_stub_is_reported_as_not_implemented_yet():
    def correlate2d(x, w):
        raise NotImplementedError("write this function")

    result = ex.check_correlate2d(correlate2d)
    assert not result.passed and result.actual is None
    assert result.message == "not implemented yet: write the body of correlate2d, then run this cell again"
    assert "#b42318" in result._repr_html_()  # a red box
    stub = ex.check_pad2d(lambda x, p: (_ for _ in ()).throw(NotImplementedError()))
    assert stub.message == "not implemented yet: write the body of your function, then run this cell again"


def test_not_implemented_after_the_first_case_is_an_ordinary_error():
    def half_done(x, w, stride):
        if stride != 2:
            raise NotImplementedError("only stride 2 so far")
        return loop_correlate(x, w, stride)

    result = ex.check_conv2d_strided(half_done)
    assert_rejected(result, "failed on case 3 of 12 (fixed)", "raised NotImplementedError: only stride 2", "stride = 1")


def test_returning_none_is_named_briefly_on_the_first_case_and_with_the_input_later():
    def no_return(c_in, c_out, k, bias=True):
        c_out * (c_in * k * k + bias)

    first = ex.check_conv_params(no_return)
    assert first.message == "failed on case 1 of 12 (fixed)\nreturned None: did you forget to return the result?"
    assert first.actual is None and first.expected == 156
    later = ex.check_conv_params(lambda c_in, c_out, k, bias=True: c_out * (c_in * k * k + bias) if bias else None)
    assert_rejected(later, "failed on case 5 of 12 (fixed)", "returned None: did you forget", "bias = False")


def test_a_case_hint_follows_a_wrong_result_and_is_kept_on_the_result():
    cases = [Case((np.array([1, -2]),), hint="a negative entry"), Case((np.array([3.0]),), hint="a positive one")]
    wrong = check(lambda x: x, np.abs, cases, names=["x"])
    assert_rejected(wrong, "failed on case 1 of 2", "expected 2, got -2")
    assert wrong.message.endswith("(1 of 2 entries differ)\nhint: a negative entry")
    assert wrong.hint == "a negative entry" and "hint: a negative entry" in wrong._repr_html_()
    passed = check(np.abs, np.abs, cases, names=["x"])
    assert passed.passed and passed.hint is None and "hint" not in passed.message


def test_a_case_hint_follows_an_exception_but_not_the_stub_or_a_missing_return():
    cases = [Case((np.arange(4),), hint="four entries"), Case((np.arange(3),), hint="three entries")]
    raised = check(lambda x: np.abs(x) + 0 * x[3], np.abs, cases, names=["x"])
    assert_rejected(raised, "failed on case 2 of 2", "raised IndexError")
    assert raised.message.endswith("hint: three entries") and raised.hint == "three entries"

    def stub(x):
        raise NotImplementedError("write this function")

    assert check(stub, np.abs, cases).message == "not implemented yet: write the body of stub, then run this cell again"
    for returns_none in (lambda x: None, lambda x: None if len(x) == 3 else np.abs(x)):
        result = check(returns_none, np.abs, cases)
        assert result.hint is None and "hint" not in result.message and "returned None" in result.message


def test_a_case_may_state_its_expected_value():
    cases = [Case((3,), expected=3, hint="positive"), Case((-3,), expected=3, hint="negative")]
    assert check(abs, None, cases, compare_numbers).passed
    assert check(abs, lambda x: x, cases, compare_numbers).passed  # the stated values win over the reference
    result = check(lambda x: x, None, cases, compare_numbers, names=["x"])
    assert_rejected(result, "failed on case 2 of 2", "x = -3", "expected 3, got -3", "hint: negative")
    with pytest.raises(ValueError, match="case 1 states no expected result and reference is None"):
        check(abs, None, [Case((3,))])


def test_tuples_and_cases_mix_in_one_run():
    result = check(lambda x: -x, abs, [(-1,), Case((2,), hint="a positive number")], compare_numbers, names=["x"])
    assert_rejected(result, "failed on case 2 of 2", "expected 2, got -2", "hint: a positive number")
    assert result.inputs == (2,)
