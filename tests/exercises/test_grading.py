"""cnnkit.exercises.grading in the kernel: a grade comes from the checker's own call, the hidden
cases are other draws of the same distributions, and the library's own answer is named.

The notebook-level grader (a kernel per notebook, timeouts, missing cells) is tested with
adversarial submissions in tests/test_grading.py."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import cnnkit.ops
from cnnkit import exercises as ex
from cnnkit.exercises import core, grading
from cnnkit.exercises.grading import LIBRARY, CheckCall, Grade, check_calls, grade_cell, grade_function
from cnnkit.ops import avg_pool2d, correlate2d, pad2d
from tests.exercises.answers import loop_correlate


def my_pad2d(x, p):
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
    out[p : p + x.shape[0], p : p + x.shape[1]] = x
    return out


def test_grades_carry_the_checkers_status_and_message():
    assert grade_function(my_pad2d, "check_pad2d") == Grade("passed", "passed: 9 cases")
    wrong = grade_function(lambda x, p: np.pad(x, p + 1), "check_pad2d")
    assert wrong.status == "failed" and wrong.message.startswith("failed on case 1 of 9 (fixed)\ninput:")

    def stub(x, p):
        raise NotImplementedError("write this function")

    assert grade_function(stub, "check_pad2d").status == "not implemented"
    assert ex.check_pad2d(stub).status == "not implemented" and ex.check_pad2d(my_pad2d).status == "passed"
    with pytest.raises(ValueError, match="status must be one of"):
        Grade("ok", "")
    with pytest.raises(ValueError, match="contradicts"):
        core.CheckResult(True, "passed: 1 cases", status="failed")


def test_the_library_table_names_every_checker_and_resolves():
    checkers = sorted(name for name in vars(ex) if name.startswith("check_") and callable(getattr(ex, name)))
    assert sorted(LIBRARY) == checkers
    for paths in LIBRARY.values():
        for path in paths:
            assert callable(grading._resolve(path)), path


@pytest.mark.parametrize(
    "submitted",
    [
        correlate2d,  # the library's function itself
        functools.partial(correlate2d, stride=1),  # wrapped
        lambda x, w: correlate2d(x, w),  # called by the reader's function
        lambda x, w: cnnkit.ops.correlate2d(np.asarray(x), w),  # through the module
        lambda x, w: cnnkit.ops.conv2d(np.asarray(x)[None, None], np.asarray(w)[None, None])[0, 0],  # a cousin
    ],
)
def test_the_librarys_own_function_is_graded_library(submitted):
    grade = grade_function(submitted, "check_correlate2d", name="my_correlate2d")
    assert grade.status == "library", grade
    assert "cnnkit" in grade.message and "my_correlate2d" in grade.message


def test_other_library_functions_are_allowed():
    # average pooling written with cnnkit's correlate2d, as the exercise suggests: not its library answer
    def my_avg_pool_as_conv(x, k):
        return correlate2d(x, np.full((k, k), 1 / k**2), stride=k)

    assert grade_function(my_avg_pool_as_conv, "check_avg_pool_as_conv").status == "passed"
    assert grade_function(lambda x, k: avg_pool2d(x[None, None], k)[0, 0], "check_avg_pool_as_conv").status == "library"
    assert grade_function(loop_correlate, "check_correlate2d").status == "passed"


def test_the_checkers_reference_calls_are_not_the_readers():
    # check_pad2d calls cnnkit.ops.pad2d for its expected values, outside the reader's function
    assert grade_function(my_pad2d, "check_pad2d").status == "passed"
    assert (
        grade_function(pad2d, "check_pad2d").message
        == "pad2d is cnnkit's own cnnkit.ops.conv.pad2d, not a function written for the exercise"
    )


def lookup_table(checker, names):
    """A function that answers the cases it was shown (from ``result.expected`` of failed runs)."""
    table = {}

    def answer(*args):
        key = tuple(np.asarray(a).tobytes() + str(np.asarray(a).shape).encode() for a in args)
        return table.get(key)

    for _ in range(40):
        result = checker(answer)
        if result.passed:
            return answer, table
        key = tuple(np.asarray(a).tobytes() + str(np.asarray(a).shape).encode() for a in result.inputs)
        table[key] = result.expected
    raise AssertionError("the table never filled")


def test_hidden_cases_defeat_a_table_of_the_visible_cases():
    cheat, table = lookup_table(ex.check_pad2d, ["x", "p"])
    assert ex.check_pad2d(cheat).passed and len(table) == 9  # every visible case, one run each
    hidden = grade_function(cheat, "check_pad2d", seed=81923)
    assert hidden.status == "failed" and hidden.message.startswith("failed on case 6 of 9 (random, hidden)")
    assert "81923" not in hidden.message  # the seed stays the grader's
    assert grade_function(my_pad2d, "check_pad2d", seed=81923).status == "passed"


def test_hidden_cases_come_from_the_same_distributions():
    seen = {}

    def spy(func, reference, cases, compare=None, names=None, fixed=None):
        seen.setdefault("cases", []).append(cases)
        return core.CheckResult(True, "spied")

    import cnnkit.exercises.convolution as convolution

    original = convolution.check
    convolution.check = spy
    try:
        ex.check_correlate2d(loop_correlate)
        with core.hidden_cases(7):
            ex.check_correlate2d(loop_correlate)
    finally:
        convolution.check = original
    visible, hidden = seen["cases"]
    assert len(visible) == len(hidden) == 11
    for a, b in zip(visible[:5], hidden[:5], strict=True):  # the hand-picked cases stay
        assert all(np.array_equal(u, v) for u, v in zip(a.args, b.args, strict=True))
    assert not all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(visible[5:], hidden[5:], strict=True))
    for case in hidden[5:]:  # the same kinds of values: rounded normals, kernels no larger than the image
        x, w = case.args
        assert x.dtype == np.float64 and np.array_equal(x, x.round(2)) and w.shape[0] <= x.shape[0]
    assert core.case_seed() == core.SEED  # the block ends, the seed is back


def test_check_calls_are_read_from_the_stub():
    assert check_calls("def f(x):\n    raise NotImplementedError\n\n\ncheck_pad2d(f)") == [
        CheckCall("check_pad2d", "f")
    ]
    assert check_calls("%time check_pad2d(f)\ncheck_cam(g)") == [CheckCall("check_cam", "g")]
    assert check_calls("x = check_pad2d(f)\nprint(check_cam(g))\ncheck_pad2d(f(1))\ndef (") == []


def test_the_grader_cell_grades_what_the_namespace_holds():
    calls = [CheckCall("check_pad2d", "my_pad2d").to_dict()]
    passed = grade_cell("ex-1", calls, {"my_pad2d": my_pad2d}, nonce="n0")
    bundle = passed._repr_mimebundle_()
    assert bundle[grading.MIME_TYPE] == {
        "label": "ex-1",
        "nonce": "n0",
        "status": "passed",
        "message": "passed: 9 cases",
    }
    assert bundle["text/plain"] == "ex-1: passed"
    assert grade_cell("ex-1", calls, {}).grade.status == "not implemented"  # print("passed") alone defines nothing
    raised = grade_cell("ex-1", calls, {}, cell_error="SyntaxError: invalid syntax")
    assert raised.grade == Grade("error", "the cell raised SyntaxError: invalid syntax, and my_pad2d is not defined")
    # a cell that raised after defining the function is graded on the function
    assert grade_cell("ex-1", calls, {"my_pad2d": my_pad2d}, cell_error="AssertionError: ").grade.status == "passed"
    broken = grade_cell("ex-1", [{"checker": "check_nothing", "function": "my_pad2d"}], {"my_pad2d": my_pad2d})
    assert broken.grade.status == "error" and "no checker 'check_nothing'" in broken.grade.message


def test_a_checker_shadowed_in_the_notebook_is_not_the_one_that_grades():
    namespace = {"my_pad2d": lambda x, p: x, "check_pad2d": lambda f: core.CheckResult(True, "passed: 9 cases")}
    assert grade_cell("ex-1", [CheckCall("check_pad2d", "my_pad2d")], namespace).grade.status == "failed"


def test_keywords_of_the_stubs_call_are_passed_on():
    from tests.exercises.answers import torch_grad_cam

    grade = grade_cell("ex-1", [CheckCall("check_grad_cam", "g", {"tensors": True})], {"g": torch_grad_cam}).grade
    assert grade == Grade("passed", "passed: 9 cases")
