"""The comparisons of the exercises' checkers, and how a message prints a value.

A comparison takes what the reader's function returned and the expected value, and returns None
when they agree or one short paragraph saying what differs: :func:`compare_arrays` (shape, then
values with ``np.allclose``), :func:`compare_numbers` (counts exactly, real numbers within a
tolerance) and :func:`compare_pair` (a pair such as ``(before, after)``). A checker may bring its
own with the same signature. Small arrays are printed in full, large ones by their shape.
"""

from __future__ import annotations

import math
from numbers import Integral, Number
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["compare_arrays", "compare_numbers", "compare_pair", "FULL_PRINT_SIZE", "RETURNED_NONE"]

#: Arrays with at most this many entries are printed in full in a message.
FULL_PRINT_SIZE = 36
#: What a result says of a function that returned None.
RETURNED_NONE = "returned None: did you forget to return the result?"


# --------------------------------------------------------------------------------------------
# Formatting values for a message


def _to_numpy(value: Any) -> Any:
    """A torch tensor as a numpy array; anything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _format_array(a: np.ndarray, prefix: str = "") -> str:
    """A small array in full (aligned after ``prefix``), a large one by its shape."""
    if a.size > FULL_PRINT_SIZE:
        return f"array of shape {a.shape}, dtype {a.dtype}"
    # a tiny non-zero value (1e-6) must not print as 0.: then scientific notation
    tiny = a.dtype.kind == "f" and bool(np.any((a != 0) & (np.abs(a) < 5e-5)))
    with np.printoptions(precision=4, suppress=not tiny, threshold=FULL_PRINT_SIZE, linewidth=88):
        return np.array2string(a, prefix=prefix)


def _format_value(value: Any, prefix: str = "") -> str:
    value = _to_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return _format_array(value, prefix)
    if isinstance(value, nn.Module):
        n = sum(p.numel() for p in value.parameters())
        return f"{type(value).__name__} with {n} parameters"
    text = repr(value.item() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= 120 else text[:117] + "..."


def _a(value: Any) -> str:
    """'a float', 'an int', 'a tuple': the article and the name of a value's type."""
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _scalar(value: Any) -> str:
    """One number, floats to 8 significant digits."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(float(f"{value:.8g}")) if isinstance(value, float) else repr(value)


def _is_large(value: Any) -> bool:
    """Whether a message shows ``value`` by its shape only."""
    value = _to_numpy(value)
    return isinstance(value, np.ndarray) and value.size > FULL_PRINT_SIZE


# --------------------------------------------------------------------------------------------
# Comparisons: None when the result agrees, else what differs


def compare_arrays(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-8) -> str | None:
    """Compare an array with the expected one: None if they agree, else what differs.

    The shape is compared first; then the values with
    ``np.allclose(actual, expected, rtol=rtol, atol=atol)``. Torch tensors and nested lists are
    converted to numpy arrays.

    Args:
        actual: what the function returned.
        expected: the reference's result, an array.
        rtol, atol: the tolerances of ``np.allclose``.

    Returns:
        None when they agree; otherwise one short paragraph: the wrong shape, or the expected
        and actual arrays (in full when small) and the first index at which they differ.

    Example:
        >>> print(compare_arrays(np.ones((2, 2)), np.ones((2, 3))))
        wrong shape: expected (2, 3), got (2, 2)
        expected (shape (2, 3)):
          [[1. 1. 1.]
           [1. 1. 1.]]
        got (shape (2, 2)):
          [[1. 1.]
           [1. 1.]]
        >>> compare_arrays([[1, 2], [3, 5]], np.array([[1, 2], [3, 4]])).splitlines()[-1]
        'first difference at index (1, 1): expected 4, got 5 (1 of 4 entries differ)'
        >>> compare_arrays(np.array([0.1 + 0.2]), np.array([0.3])) is None
        True
    """
    if actual is None:
        return RETURNED_NONE
    e = np.asarray(_to_numpy(expected))
    try:
        a = np.asarray(_to_numpy(actual))
    except (TypeError, ValueError) as err:  # a ragged list, say
        return f"expected an array of shape {e.shape}; got {_a(actual)} that is not an array ({err})"
    if a.dtype.kind not in "biuf":
        return f"expected a numeric array of shape {e.shape}; got {_format_value(actual)} (dtype {a.dtype})"
    parts = []
    if a.shape != e.shape:
        parts.append(f"wrong shape: expected {e.shape}, got {a.shape}")
    else:
        close = np.isclose(a, e, rtol=rtol, atol=atol)
        if close.all():
            return None
    if min(a.size, e.size) <= FULL_PRINT_SIZE:  # large arrays are described by the other lines
        parts.append(f"expected (shape {e.shape}):\n{_indent(_format_array(e))}")
        parts.append(f"got (shape {a.shape}):\n{_indent(_format_array(a))}")
    if a.shape == e.shape:
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        at = index if len(index) != 1 else index[0]
        parts.append(
            f"first difference at index {at}: expected {_scalar(e[index])}, got {_scalar(a[index])} "
            f"({int((~close).sum())} of {close.size} entries differ)"
        )
    return "\n".join(parts)


def _plain(value: Any) -> Any:
    """A 0-d tensor, 0-d array or numpy scalar as a Python number; anything else unchanged."""
    value = _to_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    return value.item() if isinstance(value, np.generic) else value


def compare_numbers(actual: Any, expected: Any, rtol: float = 0.0, atol: float = 0.0) -> str | None:
    """Compare a count (or any number) with the expected one: None if equal, else a message.

    Counts are compared exactly (the default), and a count must be an integer (a Python or
    numpy int, or a 0-d integer array or tensor): ``3.0`` is not the count 3, since a float used
    as a size or an index fails later (``np.zeros((3.0, 3.0))`` raises). A real number such as a
    PSNR is compared with the tolerances of ``math.isclose``:
    ``|actual - expected| <= max(rtol * |expected|, atol)``.

    Example:
        >>> compare_numbers(np.int64(7), 7) is None
        True
        >>> compare_numbers(8, 7)
        'expected 7, got 8'
        >>> compare_numbers((7, 7), 7)
        'expected a number (7); got a tuple: (7, 7)'
        >>> compare_numbers(7.0, 7)
        'expected an int, the count 7; got a float: 7.0 (a count is a whole number: use // rather than /, or int())'
        >>> compare_numbers(20.0000001, 20.0, rtol=1e-6) is None
        True
    """
    if actual is None:
        return RETURNED_NONE
    value, expected = _plain(actual), _plain(expected)
    if isinstance(value, bool) or not isinstance(value, Number):
        return f"expected a number ({_scalar(expected)}); got {_a(actual)}: {_format_value(actual)}"
    if rtol == atol == 0 and isinstance(expected, Integral) and not isinstance(value, Integral):
        return (
            f"expected an int, the count {_scalar(expected)}; got {_a(value)}: {_scalar(value)} "
            "(a count is a whole number: use // rather than /, or int())"
        )
    if rtol == atol == 0:
        equal = value == expected
    else:
        number: Any = value  # a real number here: the cases of these checkers give real expected values
        equal = math.isclose(number, expected, rel_tol=rtol, abs_tol=atol)
    if not equal:
        return f"expected {_scalar(expected)}, got {_scalar(value)}"
    return None


def compare_pair(actual: Any, expected: tuple[int, int]) -> str | None:
    """Compare a pair such as (before, after), given as a tuple, list or array of two numbers.

    A pair of counts (the expected one holds ints) must hold ints, as :func:`compare_numbers`
    asks of a count.

    Example:
        >>> compare_pair([1, 2], (1, 2)) is None
        True
        >>> compare_pair((2, 1), (1, 2))
        'expected (before, after) = (1, 2), got (2, 1)'
        >>> compare_pair(3, (1, 2))
        'expected a pair (before, after) = (1, 2); got an int: 3'
        >>> compare_pair((1.0, 2.0), (1, 2))
        'expected a pair of ints (1, 2); got (1.0, 2.0) (a count is a whole number: use // rather than /, or int())'
    """
    if actual is None:
        return RETURNED_NONE
    value = _to_numpy(actual)
    value = value.tolist() if isinstance(value, np.ndarray) else value
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, Number) and not isinstance(v, bool) for v in value)
    ):
        return f"expected a pair (before, after) = {expected}; got {_a(actual)}: {_format_value(actual)}"
    got = tuple(v.item() if isinstance(v, np.generic) else v for v in value)
    if all(isinstance(e, Integral) for e in expected) and not all(isinstance(v, Integral) for v in got):
        return (
            f"expected a pair of ints {tuple(expected)}; got {got} "
            "(a count is a whole number: use // rather than /, or int())"
        )
    if got != tuple(expected):
        return f"expected (before, after) = {tuple(expected)}, got {got}"
    return None
