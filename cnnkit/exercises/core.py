"""The grading core of the exercises: a case, a runner, a result and the runner's messages.

As in otter-grader, a checker is data run by one small runner: a list of :class:`Case` (the
arguments, optionally the expected result, and a hint for the reader), a reference function,
and a comparison (:mod:`cnnkit.exercises.compare`). :func:`check` runs the reader's function and the reference on every case,
stops at the first disagreement and returns a :class:`CheckResult`, which a notebook shows as a
green or red box and a grader reads as data (``passed``, ``message``, ``hint``, the failing
case's values).

Example:
    >>> cases = [Case((np.array([1, -2]),), hint="a negative entry: its absolute value is positive")]
    >>> print(check(lambda x: x, np.abs, cases, names=["x"]))
    failed on case 1 of 1
    input:
      x = [ 1 -2]
    expected (shape (2,)):
      [1 2]
    got (shape (2,)):
      [ 1 -2]
    first difference at index 1: expected 2, got -2 (1 of 2 entries differ)
    hint: a negative entry: its absolute value is positive
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from cnnkit.exercises.compare import RETURNED_NONE, _format_value, _is_large, compare_arrays

__all__ = ["Case", "CheckResult", "check", "MAX_ERROR_CHARS", "SEED"]

#: Longest exception message (characters) quoted in a result.
MAX_ERROR_CHARS = 200
#: The seed of every checker's random cases.
SEED = 0

Compare = Callable[[Any, Any], str | None]


@dataclass(frozen=True, eq=False)
class Case:
    """One case of a checker, written as data.

    Attributes:
        args: the positional arguments, passed to the reader's function and to the reference
            (each gets its own copy).
        expected: the expected result; None (the default) takes the reference's result.
        hint: shown to the reader, after the difference, when this case fails (a wrong result
            or an exception): what the case tests and where to look, never the answer.

    Example:
        >>> Case((np.zeros((2, 2)), 1), hint="p zeros on every side").hint
        'p zeros on every side'
    """

    args: tuple
    expected: Any = None
    hint: str = ""


@dataclass(frozen=True, repr=False, eq=False)
class CheckResult:
    """The verdict of a checker: passed or not, and a short message saying why.

    A notebook shows it as a green (passed) or red (failed) box holding the message; ``repr``
    is the message itself and ``bool(result)`` is ``passed``, so ``assert check_pad2d(f)``
    works in a test.

    Attributes:
        passed: whether the function agreed with the reference on every case.
        message: ``"passed: N cases"``, or the first failing case with its input, the expected
            and the actual value (or the exception the function raised), and the case's hint.
        cases: how many cases were run (all of them when passed; up to the failing one if not).
        inputs: the arguments of the failing case (None when passed).
        expected: the reference's result for that case.
        actual: what the function returned (None if it raised).
        hint: the failing case's hint, when the message shows it (None otherwise).

    Example:
        >>> r = CheckResult(True, "passed: 3 cases", cases=3)
        >>> r, bool(r)
        (passed: 3 cases, True)
        >>> "passed: 3 cases" in r._repr_html_()
        True
    """

    passed: bool
    message: str
    cases: int = 0
    inputs: tuple | None = None
    expected: Any = None
    actual: Any = None
    hint: str | None = None

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        if self.passed:
            mark, border, background, colour = "&#10004;", "#1a7f37", "#e6f4ea", "#0b3d1a"
        else:
            mark, border, background, colour = "&#10008;", "#b42318", "#fdecea", "#5c0f0a"
        return (
            f'<div style="border-left: 4px solid {border}; background: {background}; color: {colour}; '
            'padding: 0.3em 0.7em; margin: 0.2em 0;">'
            '<pre style="margin: 0; background: transparent; color: inherit; white-space: pre-wrap;">'
            f"{mark} {html.escape(self.message)}</pre></div>"
        )


# --------------------------------------------------------------------------------------------
# The runner


def _fresh(value: Any) -> Any:
    """A copy of an argument, so that a function that changes its input in place cannot change
    the case (or what the other function sees). Modules are shared, not copied."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    return value


def _name(func: Callable) -> str:
    """The name the reader gave the function, or 'your function' (a lambda, a partial)."""
    name = getattr(func, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else "your function"


def _where(err: BaseException, func: Callable) -> str:
    """' (line N, in name)' for the deepest frame of the reader's own code, if any."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == code.co_filename]
    return f" (line {frames[-1].lineno}, in {frames[-1].name})" if frames else ""


def _with_hint(message: str, hint: str) -> str:
    return f"{message}\nhint: {hint}" if hint else message


def check(
    func: Callable,
    reference: Callable | None,
    cases: Sequence[Case | tuple],
    compare: Compare = compare_arrays,
    names: Sequence[str] | None = None,
    fixed: int | None = None,
) -> CheckResult:
    """Run ``func`` and ``reference`` on every case and stop at the first disagreement.

    Each case is a :class:`Case` or a plain tuple of positional arguments; both functions get
    their own copy of the arguments, so a function that changes its input in place changes
    neither the case nor the reference's input. Exceptions raised by ``func`` are caught
    (``Exception``, not ``KeyboardInterrupt``) and reported with their type, message and the
    line of ``func`` that raised; the reference is trusted. Two mistakes get a short message of
    their own: the notebook's stub, a function that raises ``NotImplementedError`` on the first
    case (``not implemented yet: write the body of NAME, then run this cell again``, without the
    input; on a later case it has a body and is reported as any other exception), and a
    function that returns None where a value is expected (``returned None: did you forget to
    return the result?``; the input is shown from the second case on, where only some inputs
    miss the ``return``). A wrong result or an exception ends with the case's hint, if it has one.

    Args:
        func: the function under test.
        reference: the function that gives the expected result of the cases that do not state
            it (None if every case does).
        cases: :class:`Case` objects or tuples of positional arguments, hand-picked ones first.
        compare: ``compare(actual, expected)`` returning None when they agree, or a short
            description of the difference (:func:`compare_arrays`, :func:`compare_numbers`).
        names: the argument names, used in the message; default ``arg0``, ``arg1``, ...
        fixed: how many of the cases are hand-picked (the rest random); only for the message.

    Returns:
        A :class:`CheckResult`: ``passed: N cases``, or the first failing case.

    Example:
        >>> cases = [(np.array([1, -2]),), (np.array([[0.5, -3.0]]),)]
        >>> check(np.abs, lambda x: np.sqrt(x * x), cases, names=["x"])
        passed: 2 cases
        >>> check(lambda x: x, np.abs, cases, names=["x"])
        failed on case 1 of 2
        input:
          x = [ 1 -2]
        expected (shape (2,)):
          [1 2]
        got (shape (2,)):
          [ 1 -2]
        first difference at index 1: expected 2, got -2 (1 of 2 entries differ)
        >>> check(lambda x: x[5], np.abs, cases, names=["x"]).message.splitlines()[1]
        'your function raised IndexError: index 5 is out of bounds for axis 0 with size 2 (line 1, in <lambda>)'
        >>> def absolute(x):
        ...     raise NotImplementedError("write this function")
        >>> check(absolute, np.abs, cases)
        not implemented yet: write the body of absolute, then run this cell again
        >>> check(lambda x: None, np.abs, cases)
        failed on case 1 of 2
        returned None: did you forget to return the result?
        >>> from cnnkit.exercises.compare import compare_numbers
        >>> check(lambda x: -x, None, [Case((3,), expected=3, hint="a positive number stays")], compare_numbers)
        failed on case 1 of 1
        input:
          arg0 = 3
        expected 3, got -3
        hint: a positive number stays
    """
    if not callable(func):
        hint = " (pass the function itself, without calling it: check(f), not check(f(x)))"
        return CheckResult(False, f"expected a function; got {_format_value(func)}{hint}")
    total = len(cases)
    for number, item in enumerate(cases, start=1):
        case = item if isinstance(item, Case) else Case(tuple(item))
        args = tuple(case.args)
        arg_names = list(names) if names is not None else [f"arg{i}" for i in range(len(args))]
        if case.expected is not None:
            expected = case.expected
        elif reference is not None:
            expected = reference(*_fresh(args))
        else:
            raise ValueError(f"check: case {number} states no expected result and reference is None")
        kind = "" if fixed is None else (" (fixed)" if number <= fixed else f" (random, seed {SEED})")
        header = f"failed on case {number} of {total}{kind}"
        inputs = "input:\n" + "\n".join(
            f"  {name} = {_format_value(arg, prefix=f'  {name} = ')}" for name, arg in zip(arg_names, args, strict=False)
        )
        hint = case.hint or None
        try:
            actual = func(*_fresh(args))
        except Exception as err:
            if isinstance(err, NotImplementedError) and number == 1:  # still the notebook's stub
                message = f"not implemented yet: write the body of {_name(func)}, then run this cell again"
                return CheckResult(False, message, number, args, expected, None)
            text = str(err)
            text = text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
            message = f"{header}\nyour function raised {type(err).__name__}: {text}{_where(err, func)}\n{inputs}"
            if any(_is_large(v) for v in args):
                message += "\n(full values: result.inputs)"
            return CheckResult(False, _with_hint(message, case.hint), number, args, expected, None, hint)
        if actual is None and expected is not None:
            message = f"{header}\n{RETURNED_NONE}" + (f"\n{inputs}" if number > 1 else "")
            return CheckResult(False, message, number, args, expected, None)
        try:
            difference = compare(actual, expected)
        except Exception as err:
            difference = (
                f"could not compare the result {_format_value(actual)} with the expected one ({type(err).__name__}: {err})"
            )
        if difference is not None:
            message = f"{header}\n{inputs}\n{difference}"
            if any(_is_large(v) for v in (*args, expected, actual)):
                message += "\n(full values: result.inputs, result.expected, result.actual)"
            return CheckResult(False, _with_hint(message, case.hint), number, args, expected, actual, hint)
    return CheckResult(True, f"passed: {total} cases", total)
