"""The grading core of the exercises: a case, a runner, a result and the runner's messages.

As in otter-grader, a checker is data run by one small runner: a list of :class:`Case` (the
arguments, optionally the expected result, and a hint for the reader), a reference function,
and a comparison (:mod:`cnnkit.exercises.compare`). :func:`check` runs the reader's function and the reference on every case,
stops at the first disagreement and returns a :class:`CheckResult`, which a notebook shows as a
green or red box and a grader reads as data (``status``, ``passed``, ``message``, ``hint``, the
failing case's values).

The random cases come from :data:`SEED`. A grader draws other ones from the same distributions
with :func:`hidden_cases`, a seed the reader never saw; the hand-picked cases stay as they are.

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
import inspect
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from cnnkit.exercises.compare import RETURNED_NONE, _format_value, _is_large, _scalar, compare_arrays

__all__ = [
    "Case",
    "CheckResult",
    "check",
    "hidden_cases",
    "case_seed",
    "MAX_ERROR_CHARS",
    "SEED",
    "PASSED",
    "FAILED",
    "NOT_IMPLEMENTED",
]

#: Longest exception message (characters) quoted in a result.
MAX_ERROR_CHARS = 200
#: The seed of every checker's random cases (the cases a reader sees).
SEED = 0
#: The statuses of a :class:`CheckResult`.
PASSED, FAILED, NOT_IMPLEMENTED = "passed", "failed", "not implemented"

_HIDDEN_SEED: ContextVar[int | None] = ContextVar("cnnkit_exercises_hidden_seed", default=None)


def case_seed() -> int:
    """The seed of the random cases now: :data:`SEED`, or the one :func:`hidden_cases` set."""
    hidden = _HIDDEN_SEED.get()
    return SEED if hidden is None else hidden


@contextmanager
def hidden_cases(seed: int | None) -> Iterator[None]:
    """Within this block, the checkers draw their random cases with ``seed`` instead of :data:`SEED`.

    The cases come from the same distributions (shapes, values, settings), so a function that
    is right passes them as it passes the cases the reader saw; a function that only works on
    those cases (a lookup table of the expected values, say) does not. A failing case is then
    labelled ``(random, hidden)``, without the seed. ``None`` leaves the usual seed.

    Example:
        >>> from cnnkit.exercises import check_pad2d
        >>> with hidden_cases(2024):
        ...     print(case_seed(), check_pad2d(lambda x, p: np.pad(x, p)))
        2024 passed: 9 cases
        >>> def integers_only(x, p):  # right on the hand-picked cases (integers), not on the random ones
        ...     return np.pad(x, p) if x.dtype.kind == "i" else x
        >>> print(check_pad2d(integers_only).message.splitlines()[0])
        failed on case 6 of 9 (random, seed 0)
        >>> with hidden_cases(2024):
        ...     print(check_pad2d(integers_only).message.splitlines()[0])
        failed on case 6 of 9 (random, hidden)
    """
    token = _HIDDEN_SEED.set(None if seed is None else int(seed))
    try:
        yield
    finally:
        _HIDDEN_SEED.reset(token)


Compare = Callable[..., str | None]  # (actual, expected), and args= or received= if it asks


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
    works in a test. A grader reads ``status``.

    Attributes:
        passed: whether the function agreed with the reference on every case.
        message: ``"passed: N cases"``, or the first failing case with its input, the expected
            and the actual value (or the exception the function raised), and the case's hint.
        cases: how many cases were run (all of them when passed; up to the failing one if not).
        inputs: the arguments of the failing case (None when passed).
        expected: the reference's result for that case.
        actual: what the function returned (None if it raised).
        hint: the failing case's hint, when the message shows it (None otherwise).
        status: ``"passed"``, ``"failed"`` or ``"not implemented"`` (the notebook's stub:
            the function raised ``NotImplementedError`` on the first case); by default
            ``"passed"`` or ``"failed"`` as ``passed`` says.

    Example:
        >>> r = CheckResult(True, "passed: 3 cases", cases=3)
        >>> r, bool(r), r.status
        (passed: 3 cases, True, 'passed')
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
    status: str = ""

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", PASSED if self.passed else FAILED)
        if self.status not in (PASSED, FAILED, NOT_IMPLEMENTED):
            raise ValueError(f"status must be {PASSED!r}, {FAILED!r} or {NOT_IMPLEMENTED!r}; got {self.status!r}")
        if (self.status == PASSED) != bool(self.passed):
            raise ValueError(f"status {self.status!r} contradicts passed={self.passed!r}")

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


def _position(index: tuple) -> str:
    """``[1, 2]`` for an index (1, 2), ``[3]`` for (3,)."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _first_change(before: Any, after: Any) -> str | None:
    """None if ``after`` (what the reader's function received, after the call) still holds the
    values of ``before`` (the case's argument), else where it first differs, as
    ``"[0, 1] was 1.0 and is 0.0"``. Arrays and tensors are compared within rounding
    (``rtol=1e-12``: an entry moved up and back by the same step may differ in its last bit),
    lists and tuples entry by entry; other values (numbers, modules, functions) are not looked at."""
    if isinstance(before, (np.ndarray, torch.Tensor)):
        old = np.asarray(before.detach().cpu().numpy() if isinstance(before, torch.Tensor) else before)
        new = after.detach().cpu().numpy() if isinstance(after, torch.Tensor) else after
        try:
            new = np.asarray(new)
        except (TypeError, ValueError):
            return f" was an array and is a {type(after).__name__}"
        if new.shape != old.shape:
            return f" had shape {old.shape} and has shape {new.shape}"
        if old.dtype.kind not in "biufc" or new.dtype.kind not in "biufc":
            return None if np.array_equal(old, new) else " changed"
        same = np.isclose(new, old, rtol=1e-12, atol=1e-15, equal_nan=True)
        if same.all():
            return None
        index = tuple(int(i) for i in np.argwhere(~same)[0])
        return f"{_position(index)} was {_scalar(old[index])} and is {_scalar(new[index])}"
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            return f" was {_format_value(before)} and is {_format_value(after)}"
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            if isinstance(b, (np.ndarray, torch.Tensor, list, tuple)):
                inner = _first_change(b, a)
                if inner is not None:
                    return f"[{i}]{inner}"
            elif isinstance(b, (int, float, str, bool)) and (type(a) is not type(b) or a != b):
                return f"[{i}] was {b!r} and is {a!r}"
    return None


def _changed_argument(args: tuple, received: tuple, names: Sequence[str]) -> str | None:
    """The message for the first argument that the reader's function changed in place, if any."""
    for name, before, after in zip(names, args, received, strict=False):
        change = _first_change(before, after)
        if change is not None:
            if isinstance(before, torch.Tensor):
                advice = (
                    f"{name}[0] and {name}.detach() share {name}'s memory: start from torch.zeros or {name}.clone()"
                )
            elif isinstance(before, np.ndarray):
                advice = f"a slice such as {name}[0] is a view of {name}, not a copy: start from np.zeros or .copy()"
            else:
                advice = f"the caller's list is the one your function received: work on list({name}) or sorted({name})"
            return (
                f"your function changed its argument {name} in place: {name}{change} after the call; "
                f"leave the arguments as they were and return a new result ({advice})"
            )
    return None


def _extra_parameters(compare: Callable) -> set[str]:
    """Which of ``args`` and ``received`` a comparison takes as keywords (see :func:`check`)."""
    try:
        return {"args", "received"} & set(inspect.signature(compare).parameters)
    except (TypeError, ValueError):
        return set()


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
    neither the case nor the reference's input. ``func`` runs first, the reference after it.
    Exceptions raised by ``func`` are caught (``Exception``, not ``KeyboardInterrupt``) and
    reported with their type, message and the line of ``func`` that raised; the reference is
    trusted. A few mistakes get a short message of their own: the notebook's stub, a function
    that raises ``NotImplementedError`` on the first case (``not implemented yet: write the body
    of NAME, then run this cell again``, without the input, and the status ``"not
    implemented"``; on a later case it has a body and is reported as any other exception); a
    function that returns None where a value is expected (``returned None: did you forget to
    return the result?``; the input is shown from the second case on, where only some inputs
    miss the ``return``); and a function whose result is right but which changed one of its
    arguments in place (``your function changed its argument x in place: x[0, 1] was 2 and is
    5 after the call``), which would surprise the caller who uses the array again. A wrong
    result or an exception ends with the case's hint, if it has one.

    Args:
        func: the function under test.
        reference: the function that gives the expected result of the cases that do not state
            it (None if every case does).
        cases: :class:`Case` objects or tuples of positional arguments, hand-picked ones first.
        compare: ``compare(actual, expected)`` returning None when they agree, or a short
            description of the difference (:func:`compare_arrays`, :func:`compare_numbers`). A
            comparison with a parameter ``args`` also gets the case's arguments (as they were
            before the call), one with a parameter ``received`` the copies that ``func``
            received (after the call: a result computed from them, such as a tensor's graph,
            leads back to them), to describe the difference in terms of the input.
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
        >>> result = check(absolute, np.abs, cases)
        >>> result, result.status
        (not implemented yet: write the body of absolute, then run this cell again, 'not implemented')
        >>> check(lambda x: None, np.abs, cases)
        failed on case 1 of 2
        returned None: did you forget to return the result?
        >>> def absolute_in_place(x):
        ...     return np.abs(x, out=x)
        >>> print(check(absolute_in_place, np.abs, cases, names=["x"]).message.splitlines()[1])
        your function changed its argument x in place: x[1] was -2 and is 2 after the call; leave the arguments as they were and return a new result (a slice such as x[0] is a view of x, not a copy: start from np.zeros or .copy())
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
    seed = case_seed()
    random_kind = " (random, hidden)" if _HIDDEN_SEED.get() is not None else f" (random, seed {seed})"
    extra = _extra_parameters(compare)
    for number, item in enumerate(cases, start=1):
        case = item if isinstance(item, Case) else Case(tuple(item))
        args = tuple(case.args)
        if case.expected is None and reference is None:
            raise ValueError(f"check: case {number} states no expected result and reference is None")
        arg_names = list(names) if names is not None else [f"arg{i}" for i in range(len(args))]
        kind = "" if fixed is None else (" (fixed)" if number <= fixed else random_kind)
        header = f"failed on case {number} of {total}{kind}"
        inputs = "input:\n" + "\n".join(
            f"  {name} = {_format_value(arg, prefix=f'  {name} = ')}"
            for name, arg in zip(arg_names, args, strict=False)
        )
        hint = case.hint or None
        received = _fresh(args)
        error: Exception | None = None
        try:  # the reader's function first: the expected value does not exist yet while it runs
            actual = func(*received)
        except Exception as err:
            error, actual = err, None
        expected = case.expected if case.expected is not None else reference(*_fresh(args))  # type: ignore[misc]
        if error is not None:
            if isinstance(error, NotImplementedError) and number == 1:  # still the notebook's stub
                message = f"not implemented yet: write the body of {_name(func)}, then run this cell again"
                return CheckResult(False, message, number, args, expected, None, status=NOT_IMPLEMENTED)
            text = str(error)
            text = text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
            message = f"{header}\nyour function raised {type(error).__name__}: {text}{_where(error, func)}\n{inputs}"
            if any(_is_large(v) for v in args):
                message += "\n(full values: result.inputs)"
            return CheckResult(False, _with_hint(message, case.hint), number, args, expected, None, hint)
        if actual is None and expected is not None:
            message = f"{header}\n{RETURNED_NONE}" + (f"\n{inputs}" if number > 1 else "")
            return CheckResult(False, message, number, args, expected, None)
        try:
            given = {"args": args, "received": received}
            difference = compare(actual, expected, **{key: given[key] for key in extra})
        except Exception as err:
            difference = f"could not compare the result {_format_value(actual)} with the expected one ({type(err).__name__}: {err})"
        if difference is not None:
            message = f"{header}\n{inputs}\n{difference}"
            if any(_is_large(v) for v in (*args, expected, actual)):
                message += "\n(full values: result.inputs, result.expected, result.actual)"
            return CheckResult(False, _with_hint(message, case.hint), number, args, expected, actual, hint)
        changed = _changed_argument(args, received, arg_names)
        if changed is not None:
            message = f"{header}\n{changed}\n{inputs}"
            if any(_is_large(v) for v in args):
                message += "\n(full values: result.inputs)"
            return CheckResult(False, message, number, args, expected, actual)
    return CheckResult(True, f"passed: {total} cases", total)
