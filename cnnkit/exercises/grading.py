"""Grade implement-it exercises from the checkers' own verdicts, not from what a notebook printed.

A homework notebook (made by ``tools/homework.py make``) holds, for each exercise, the reader's
cell: a function and the call of its checker, for example ``check_pad2d(my_pad2d)``. The grader
runs the notebook in a fresh kernel and, after each of those cells, runs a cell of its own in the
same kernel, :func:`grade_cell`: it looks the reader's function up by name and calls the checker
on it again. So what the reader's cell printed, warned or asserted changes nothing, and printed
text cannot pass for a verdict. Each exercise gets a :class:`Grade`, one of :data:`STATUSES`:

- ``passed``: the checker accepted the function;
- ``failed``: it did not; the message is the checker's (the failing case, expected and actual);
- ``not implemented``: still the notebook's stub, or the cell no longer defines the function;
- ``missing``: the assignment has the exercise but the notebook has no cell for it;
- ``error``: the cell raised and left no function to check, or the grader could not run;
- ``timeout``: the notebook ran out of time before this exercise was graded;
- ``library``: the function is (or calls) the library's own answer, such as
  :func:`cnnkit.ops.correlate2d` for ``check_correlate2d``; see :data:`LIBRARY`.

The grader can draw the random cases with a seed of its own (:func:`~cnnkit.exercises.core.hidden_cases`):
the same distributions as the cases the reader saw, other values. A function that only
reproduces the cases it was shown (a table of ``result.expected``) fails them.

:func:`grade_notebook` runs one notebook (it needs ``nbformat`` and ``nbclient``, which Jupyter
and Colab have); ``tools/homework.py grade`` runs many and writes the grades. Nothing here is a
sandbox: the reader's code runs with the grader's rights, and code written to fool the grader
(replacing a checker in ``cnnkit.exercises`` before the grader's cell runs, say) can. The grades
are evidence for a human reader of the code, not a substitute.

Example:
    >>> import numpy as np
    >>> from cnnkit.ops import pad2d
    >>> def my_pad2d(x, p):
    ...     return np.pad(x, p)
    >>> grade_function(my_pad2d, "check_pad2d")
    Grade(status='passed', message='passed: 9 cases')
    >>> grade_function(pad2d, "check_pad2d").status
    'library'
    >>> grade_function(my_pad2d, "check_pad2d", seed=2024).message  # other random cases, as many
    'passed: 9 cases'
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import math
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from cnnkit.exercises.core import NOT_IMPLEMENTED, hidden_cases

__all__ = [
    "STATUSES",
    "LIBRARY",
    "MIME_TYPE",
    "Grade",
    "CheckCall",
    "Exercise",
    "check_calls",
    "grade_function",
    "grade_cell",
    "assignment",
    "grade_notebook",
]

#: What a grade says, from best to worst (see the module's docstring).
STATUSES = ("passed", "failed", "not implemented", "missing", "error", "timeout", "library")
#: The MIME type of the grader's own output in the kernel, the only output it reads.
MIME_TYPE = "application/vnd.cnnkit.grade+json"

#: For each checker, the library's functions that compute what the reader is asked to write;
#: a function that is one of them, or calls one of them, is graded ``library``.
LIBRARY: Mapping[str, tuple[str, ...]] = {
    "check_correlate2d": ("cnnkit.ops:correlate2d", "cnnkit.ops:conv2d", "cnnkit.ops:convolve2d"),
    "check_pad2d": ("cnnkit.ops:pad2d",),
    "check_conv2d_strided": ("cnnkit.ops:correlate2d", "cnnkit.ops:conv2d"),
    "check_conv_output_size": ("cnnkit.shapes:conv_output_size",),
    "check_same_padding": ("cnnkit.shapes:tf_same_padding", "cnnkit.shapes:same_padding"),
    "check_gaussian_kernel": ("cnnkit.ops:gaussian_kernel",),
    "check_psnr": ("cnnkit.ops:psnr",),
    "check_max_pool2d": ("cnnkit.ops:max_pool2d",),
    "check_max_pool2d_backward": ("cnnkit.ops:max_pool2d_backward",),
    "check_avg_pool_as_conv": ("cnnkit.ops:avg_pool2d",),
    "check_conv_transpose2d": ("cnnkit.ops:conv_transpose2d_scatter", "cnnkit.ops:conv_transpose2d"),
    "check_conv_matrix": ("cnnkit.ops:conv_matrix",),
    "check_conv2d": ("cnnkit.ops:conv2d",),
    "check_conv2d_backward": ("cnnkit.ops:conv2d_backward",),
    "check_numerical_gradient": ("cnnkit.models.numpy_cnn:numerical_gradient",),
    "check_small_cnn": ("cnnkit.models.numpy_cnn:small_cnn", "cnnkit.models.numpy_cnn:to_torch"),
    "check_conv_params": ("cnnkit.models.zoo:parameter_count",),
    "check_receptive_field": ("cnnkit.shapes:receptive_field",),
    "check_conv_macs": ("cnnkit.models.zoo:multiply_add_split",),
    "check_channel_sparsity": ("cnnkit.viz.activations:channel_activity", "cnnkit.viz.activations:sparsity"),
    "check_top_exemplars": (),
    "check_gradient_ascent_step": ("cnnkit.viz.featvis:normalised_step",),
    "check_total_variation": (),
    "check_cam": ("cnnkit.viz.cam:class_activation_map",),
    "check_grad_cam": ("cnnkit.viz.cam:grad_cam",),
}


@dataclass(frozen=True)
class Grade:
    """The grade of one exercise: a status from :data:`STATUSES` and a message saying why."""

    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {self.status!r}")

    def to_dict(self) -> dict[str, str]:
        """``{"status": ..., "message": ...}``, as ``tools/homework.py grade --json`` prints it."""
        return {"status": self.status, "message": self.message}


@dataclass(frozen=True)
class CheckCall:
    """One call of a checker in a stub cell: ``check_pad2d(my_pad2d)`` is
    ``CheckCall("check_pad2d", "my_pad2d")``; literal keywords (``tensors=True``) are kept."""

    checker: str
    function: str
    keywords: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"checker": self.checker, "function": self.function, "keywords": dict(self.keywords)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckCall:
        return cls(str(data["checker"]), str(data["function"]), dict(data.get("keywords", {})))


@dataclass(frozen=True)
class Exercise:
    """An exercise of an assignment: its label and the checker calls that grade it."""

    label: str
    checks: tuple[CheckCall, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "checks": [c.to_dict() for c in self.checks]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        return cls(str(data["label"]), tuple(CheckCall.from_dict(c) for c in data["checks"]))


def check_calls(source: str) -> list[CheckCall]:
    """The checker calls of a cell, the statements ``check_NAME(function, keyword=literal, ...)``.

    Example:
        >>> check_calls("def f(x):\\n    return x\\n\\n\\ncheck_grad_cam(f, tensors=True)")
        [CheckCall(checker='check_grad_cam', function='f', keywords={'tensors': True})]
        >>> check_calls("print(check_pad2d)")
        []
    """
    try:
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return []
    calls = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.startswith("check_")):
            continue
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Name):
            continue
        try:
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg is not None}
        except ValueError:
            continue
        calls.append(CheckCall(call.func.id, call.args[0].id, keywords))
    return calls


# --------------------------------------------------------------------------------------------
# The library's own functions


def _resolve(path: str) -> Callable:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _unwrapped(func: Any) -> Any:
    """The function behind ``functools.partial`` objects and ``functools.wraps`` decorators."""
    seen = 0
    while seen < 20:
        seen += 1
        if isinstance(func, functools.partial):
            func = func.func
        elif hasattr(func, "__wrapped__"):
            func = func.__wrapped__
        else:
            break
    return func


def _library_origin(func: Any) -> str | None:
    """``module.name`` if ``func`` is one of cnnkit's functions (not a checker's helper), else None."""
    target = _unwrapped(func)
    module = getattr(target, "__module__", None) or ""
    if module.startswith("cnnkit.") and not module.startswith("cnnkit.exercises"):
        return f"{module}.{getattr(target, '__qualname__', getattr(target, '__name__', '?'))}"
    return None


def _codes(checker: str) -> dict[CodeType, str]:
    """The code objects of the library functions of a checker, each with its public name."""
    codes = {}
    for path in LIBRARY.get(checker, ()):
        target = _unwrapped(_resolve(path))
        code = getattr(target, "__code__", None)
        if code is not None:
            codes[code] = path.replace(":", ".")
    return codes


class _Watched:
    """The reader's function, called as usual, noting every call into the library's functions
    that it makes (with ``sys.setprofile``, only while it runs: the checker's own calls of its
    reference are not its own). It keeps the function's name and code for the checker's messages.
    """

    def __init__(self, func: Callable, codes: Mapping[CodeType, str]) -> None:
        self.func, self.codes = func, codes
        self.used: dict[str, None] = {}  # the library functions called, in order
        self.__name__ = getattr(func, "__name__", "")
        self.__code__ = getattr(func, "__code__", None) or getattr(getattr(func, "__init__", None), "__code__", None)

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in self.codes:
            self.used[self.codes[frame.f_code]] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.codes:
            return self.func(*args, **kwargs)
        previous = sys.getprofile()
        sys.setprofile(self._profile)
        try:
            return self.func(*args, **kwargs)
        finally:
            sys.setprofile(previous)


def _checker(name: str) -> Callable:
    import cnnkit.exercises

    checker = getattr(cnnkit.exercises, name, None)
    if not (name.startswith("check_") and callable(checker)):
        raise ValueError(f"no checker {name!r} in cnnkit.exercises")
    return checker


def grade_function(
    func: Any,
    checker: str,
    *,
    seed: int | None = None,
    keywords: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Grade:
    """Grade one function with one checker of :mod:`cnnkit.exercises`.

    Args:
        func: the reader's function (or class, for ``check_small_cnn``).
        checker: the checker's name, such as ``"check_pad2d"``.
        seed: the seed of the random cases (:func:`~cnnkit.exercises.core.hidden_cases`);
            None for the cases the reader saw.
        keywords: further keyword arguments of the checker (``tensors=True``).
        name: the function's name in the notebook, for the messages.

    Returns:
        A :class:`Grade`: the checker's status and message, or ``library`` when ``func`` is one
        of cnnkit's functions or calls one of the checker's :data:`LIBRARY` functions while it
        runs (the checker's message is kept after it).
    """
    name = name or getattr(func, "__name__", "the function")
    origin = _library_origin(func)
    if origin is not None:
        return Grade("library", f"{name} is cnnkit's own {origin}, not a function written for the exercise")
    watched = _Watched(func, _codes(checker)) if callable(func) else func
    with hidden_cases(seed):
        result = _checker(checker)(watched, **dict(keywords or {}))
    used = list(watched.used) if isinstance(watched, _Watched) else []
    if used:
        return Grade(
            "library",
            f"{name} calls {' and '.join(used)}, the library's answer to this exercise "
            f"(the checker said: {result.message.splitlines()[0]})",
        )
    return Grade(result.status, result.message)


# --------------------------------------------------------------------------------------------
# In the kernel: the grader's cell after a reader's cell


class _KernelGrade:
    """What :func:`grade_cell` returns: a grade that Jupyter displays as data of :data:`MIME_TYPE`
    (with the grader's nonce, so that no other output can be taken for it) and as text."""

    def __init__(self, label: str, grade: Grade, nonce: str) -> None:
        self.label, self.grade, self.nonce = label, grade, nonce

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = {"label": self.label, "nonce": self.nonce, **self.grade.to_dict()}
        return {MIME_TYPE: data, "text/plain": f"{self.label}: {self.grade.status}"}

    def __repr__(self) -> str:
        return f"{self.label}: {self.grade.status}"


_UNDEFINED = object()


def grade_cell(
    label: str,
    checks: Sequence[Mapping[str, Any] | CheckCall],
    namespace: Mapping[str, Any],
    *,
    seed: int | None = None,
    cell_error: str | None = None,
    nonce: str = "",
) -> _KernelGrade:
    """Grade one exercise in the kernel that ran the reader's cell (the grader's injected cell).

    Each checker call of the exercise is made again on the function that ``namespace`` (the
    notebook's globals) now holds under the stub's name; the first call that does not pass
    decides. A name the cell no longer defines is ``not implemented``, or ``error`` if the
    cell raised (``cell_error``, its exception). Anything the grading itself raises is an
    ``error`` too: the grader's cell never fails.

    Example:
        >>> def my_pad2d(x, p):
        ...     raise NotImplementedError("write this function")
        >>> grade_cell("ex-ch3-4", [CheckCall("check_pad2d", "my_pad2d")], {"my_pad2d": my_pad2d})
        ex-ch3-4: not implemented
        >>> grade_cell("ex-ch3-4", [CheckCall("check_pad2d", "my_pad2d")], {}).grade.message
        'my_pad2d is not defined: the cell does not define it any more (was it renamed?)'
    """
    grade = Grade("passed", "")
    try:
        messages = []
        for item in checks:
            call = item if isinstance(item, CheckCall) else CheckCall.from_dict(item)
            func = namespace.get(call.function, _UNDEFINED)
            if func is _UNDEFINED:
                if cell_error:
                    grade = Grade("error", f"the cell raised {cell_error}, and {call.function} is not defined")
                else:
                    grade = Grade(
                        NOT_IMPLEMENTED,
                        f"{call.function} is not defined: the cell does not define it any more (was it renamed?)",
                    )
                break
            grade = grade_function(func, call.checker, seed=seed, keywords=call.keywords, name=call.function)
            messages.append(grade.message)
            if grade.status != "passed":
                break
        else:
            grade = Grade("passed", "\n".join(messages))
    except Exception as err:  # the grader's cell must give a grade, whatever the reader's code did
        grade = Grade("error", f"the grader could not check {label}: {type(err).__name__}: {err}")
    return _KernelGrade(label, grade, nonce)


# --------------------------------------------------------------------------------------------
# A whole notebook


def assignment(notebook: Any) -> list[Exercise]:
    """The exercises that a homework notebook sets, in order.

    ``tools/homework.py make`` writes them in the notebook's metadata (``homework.exercises``),
    so that an exercise whose cell was deleted is still counted. A notebook without them (an
    older homework) gives the exercises of its tagged cells, with the checker calls of their
    sources. To grade on the instructor's terms, pass the exercises of the instructor's own
    copy of the homework to :func:`grade_notebook`.
    """
    listed = notebook.metadata.get("homework", {}).get("exercises")
    if listed:
        return [Exercise.from_dict(e) for e in listed]
    found: dict[str, Exercise] = {}
    for cell in notebook.cells:
        label = cell.get("metadata", {}).get("homework", {}).get("label")
        if cell.cell_type == "code" and label and cell.metadata["homework"].get("part", "stub") == "stub":
            found[label] = Exercise(label, tuple(check_calls(cell.source)))
    return list(found.values())


def _top_level_names(source: str) -> set[str]:
    """The names a cell binds at its top level: functions, classes, assignments, imports."""
    try:
        tree = ast.parse(
            "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        )
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _cell_error(cell: Any) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'an exception')}: {output.get('evalue', '')}"[:200]
    return None


def _read_grade(cell: Any, nonce: str) -> Grade:
    for output in cell.get("outputs", []):
        data = output.get("data", {}).get(MIME_TYPE) if output.get("output_type") == "execute_result" else None
        if isinstance(data, str):
            data = json.loads(data)
        if isinstance(data, dict) and data.get("nonce") == nonce and data.get("status") in STATUSES:
            return Grade(data["status"], str(data.get("message", "")))
    error = _cell_error(cell)
    return Grade("error", f"the grader's check gave no result{f' ({error})' if error else ''}")


def grade_notebook(
    notebook: Any,
    exercises: Sequence[Exercise] | None = None,
    *,
    seed: int | None = None,
    timeout: float = 600,
    cwd: str | Path | None = None,
    kernel_name: str = "python3",
) -> dict[str, Grade]:
    """Run a submitted notebook in a fresh kernel and grade each exercise after its cell.

    The code cells run in order, errors allowed, except the cells that only apply a function
    (``homework.part == "apply"``, which grading does not need); after the cell of each
    exercise, :func:`grade_cell` runs in the same kernel. The cell of an exercise is the last
    one tagged with its label (``homework.label``) or, when no cell has the tag (a cell typed
    anew, a front end that drops cell metadata), the last one that defines its function; an
    exercise without either is ``missing``. The whole notebook has ``timeout``
    seconds: the exercises not yet graded when they run out are ``timeout``, and if the kernel
    dies (a crash, ``os._exit``), ``error``; the exercises graded before keep their grades. The
    kernel is shut down at the end in every case.

    Args:
        notebook: a path, or a notebook read by ``nbformat`` (it is not modified).
        exercises: the exercises to grade (default: :func:`assignment` of the notebook); an
            exercise without a cell is ``missing``.
        seed: the seed of the random cases (None: the cases the reader saw).
        timeout: seconds for the whole notebook.
        cwd: the working directory of the kernel (default: the notebook's folder, or the current one).
        kernel_name: the Jupyter kernel to run (the submission's own choice is ignored).

    Returns:
        ``{label: Grade}`` in the order of ``exercises``.
    """
    import subprocess

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(notebook, (str, Path)):
        cwd = cwd if cwd is not None else Path(notebook).parent
        notebook = nbformat.read(notebook, as_version=4)
    exercises = list(exercises) if exercises is not None else assignment(notebook)
    wanted = {e.label: e for e in exercises}
    grades: dict[str, Grade] = {}
    nonce = secrets.token_hex(16)

    cells: list[Any] = []
    last: dict[str, int] = {}  # label -> the cell after which it is graded
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("homework", {})
        if meta.get("part") == "apply":
            continue
        cells.append(nbformat.v4.new_code_cell(cell.source))
        if meta.get("label") in wanted:
            last[meta["label"]] = len(cells) - 1  # a label tagged twice is graded after its last cell
    for exercise in exercises:  # a cell that lost its tag (retyped, or a front end that drops metadata)
        if exercise.label not in last:
            names = {call.function for call in exercise.checks}
            defining = [i for i, cell in enumerate(cells) if names & _top_level_names(cell.source)]
            if defining:
                last[exercise.label] = defining[-1]
    graded_after: dict[int, list[str]] = {}
    for graded, index in last.items():
        graded_after.setdefault(index, []).append(graded)
    run = nbformat.v4.new_notebook(
        cells=[], metadata={"kernelspec": {"name": kernel_name, "display_name": kernel_name}}
    )
    order: list[tuple[Any, str | None]] = []
    for index, cell in enumerate(cells):
        order.append((cell, None))
        for graded in graded_after.get(index, []):
            order.append((nbformat.v4.new_code_cell(""), graded))
    run.cells = [cell for cell, _ in order]

    client = NotebookClient(
        run,
        timeout=int(timeout),
        allow_errors=True,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(cwd if cwd is not None else Path.cwd())}},
    )
    deadline = time.monotonic() + timeout
    failure: Grade | None = None
    try:
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            previous = None
            for index, (cell, label) in enumerate(order):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CellTimeoutError("the notebook ran out of time")
                client.timeout = max(1, math.ceil(remaining))
                if label is not None:  # the grader's cell, right after the reader's (or another grader's)
                    spec = [c.to_dict() for c in wanted[label].checks]
                    error = _cell_error(previous) if previous is not None else None
                    cell.source = (  # one expression: its value is the cell's execute_result
                        '__import__("cnnkit.exercises.grading", fromlist=["grade_cell"]).grade_cell('
                        f"{label!r}, {spec!r}, globals(), seed={seed!r}, cell_error={error!r}, nonce={nonce!r})"
                    )
                    client.execute_cell(cell, index, store_history=False)
                    grades[label] = _read_grade(cell, nonce)
                else:
                    client.execute_cell(cell, index)
                    previous = cell
    except CellTimeoutError:
        failure = Grade("timeout", f"the notebook did not finish within {timeout:g} s (an endless loop?)")
    except DeadKernelError:
        failure = Grade("error", "the kernel died while running the notebook (a crash, or out of memory)")
    except Exception as err:  # the kernel did not start, say: every exercise of this notebook
        failure = Grade("error", f"the notebook could not be run: {type(err).__name__}: {err}")
    result = {}
    for exercise in exercises:
        if exercise.label in grades:
            result[exercise.label] = grades[exercise.label]
        elif exercise.label not in last:
            result[exercise.label] = Grade("missing", f"the notebook has no cell for {exercise.label} (deleted?)")
        else:
            result[exercise.label] = failure or Grade("error", "the exercise's cell was not run")
    return result
