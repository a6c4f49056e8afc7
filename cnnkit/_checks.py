"""Argument checks shared by every package of cnnkit, defined once.

Private: any module of cnnkit may import these (and no module imports another package's private
names). Every error names the argument, the value received and what would be valid; where the
caller is given, the message starts with its name, ``max_pool2d: padding=(2, 2) ...``.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "is_int",
    "is_pair",
    "fmt",
    "as_pair",
    "check_at_least",
    "to_pair",
    "positive_pair",
    "non_negative_pair",
    "did_you_mean",
    "closest",
    "check_choice",
    "as_array",
    "check_ndim",
    "result_dtype",
    "check_rng",
]


def is_int(value: Any) -> bool:
    """True for Python and numpy integers, False for bools and everything else."""
    if type(value) is int:  # the common case, without the slower abstract-class check
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_pair(value: Any) -> bool:
    return isinstance(value, (tuple, list))


def fmt(values: tuple[int, ...], as_pair: bool) -> str:
    """Write a pair as ``(3, 3)`` and a scalar as ``3``, to echo what the user passed."""
    return f"({values[0]}, {values[1]})" if as_pair else str(values[0])


def as_pair(value: Any, name: str) -> tuple[int, int]:
    """Normalise an int or a pair of ints to a pair, naming ``name`` in any error."""
    if is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and is_int(value[0]) and is_int(value[1]):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{name} must be an int or a pair of ints (height, width); got {value!r}")


def check_at_least(values: tuple[int, int], minimum: int, name: str, as_pair: bool, what: str) -> None:
    if any(v < minimum for v in values):
        raise ValueError(f"{name} must be {what}; got {fmt(values, as_pair)}")


def to_pair(value: Any, name: str = "value", minimum: int | None = None) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair stays a pair; values below ``minimum`` are a ValueError."""
    pair = as_pair(value, name)
    if minimum is not None:
        what = {0: "non-negative", 1: "positive"}.get(minimum, f"at least {minimum}")
        check_at_least(pair, minimum, name, is_pair(value), what)
    return pair


def positive_pair(value: Any, name: str) -> tuple[int, int]:
    return to_pair(value, name, minimum=1)


def non_negative_pair(value: Any, name: str) -> tuple[int, int]:
    return to_pair(value, name, minimum=0)


def did_you_mean(value: object, options: Sequence[str]) -> str:
    """`` (did you mean 'max'?)`` for the closest of ``options``, or ``""`` when none is close.

    Example:
        >>> did_you_mean("mx", ["max", "avg"])
        " (did you mean 'max'?)"
        >>> did_you_mean(3, ["max", "avg"])
        ''
    """
    close = closest(value, options)
    return f" (did you mean {close!r}?)" if close is not None else ""


def closest(value: object, options: Sequence[str]) -> str | None:
    """The option closest to ``value`` (by ``difflib``), or None when none is close."""
    if not isinstance(value, str):
        return None
    close = difflib.get_close_matches(value, [str(o) for o in options], n=1)
    return close[0] if close else None


def check_choice(value: Any, options: Sequence[Any], name: str, caller: str | None = None) -> Any:
    """Return ``value`` if it is one of ``options``; otherwise a ValueError that names the
    caller, the argument, the value and the valid choices.

    Example:
        >>> check_choice("mx", ("max", "avg"), "mode", caller="plot_pooling")
        Traceback (most recent call last):
        ...
        ValueError: plot_pooling: mode='mx' is not one of 'max', 'avg'; did you mean 'max'?
    """
    if isinstance(value, (str, type(None))) and value in options:
        return value
    choices = ", ".join(repr(o) for o in options)
    prefix = f"{caller}: " if caller else ""
    close = closest(value, [o for o in options if isinstance(o, str)])
    hint = f"; did you mean {close!r}?" if close is not None else ""
    raise ValueError(f"{prefix}{name}={value!r} is not one of {choices}{hint}")


def as_array(x: Any, name: str) -> np.ndarray:
    """``np.asarray`` that refuses non-numeric data with a message naming ``name``."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric (bool, int or float) array; got dtype {arr.dtype}")
    return arr


def check_ndim(x: np.ndarray, ndim: int, name: str, layout: str, hint: str = "") -> None:
    if x.ndim != ndim:
        message = f"{name} must have {ndim} dimensions {layout}; got shape {tuple(x.shape)}"
        raise ValueError(message + (f" — {hint}" if hint else ""))


def result_dtype(*arrays: np.ndarray | None) -> np.dtype:
    """The dtype the operations compute and return in.

    Integers and bools become ``int64`` (exact sums, no overflow of small types such as
    ``uint8``), ``float32`` stays ``float32``, ``float16`` is widened to ``float32``, and mixed
    inputs follow numpy's promotion (``int`` with ``float32`` gives ``float64``).
    """
    present = [a for a in arrays if a is not None]
    dtype = np.result_type(*present)
    if dtype.kind in "biu":
        return np.dtype(np.int64)
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} must be a numpy Generator, for example np.random.default_rng(0); got {rng!r}")
    return rng
