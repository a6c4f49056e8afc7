"""The checks the modules of :mod:`cnnkit.shapes` share (private to the package)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnnkit._checks import as_pair, did_you_mean, is_int, is_pair

_PADDING_STRINGS = ("valid", "same", "full")


def _check_padding_string(padding: str, name: str = "padding") -> str:
    if padding not in _PADDING_STRINGS:
        raise ValueError(
            f"{name} must be one of 'valid', 'same', 'full' or an int; got {padding!r}"
            f"{did_you_mean(padding, _PADDING_STRINGS)}"
        )
    return padding


def _elementwise(fn: Callable[..., Any], args: Sequence[Any], names: Sequence[str]) -> Any:
    """Call a scalar formula once (all ints) or once per axis (any pair), returning int or pair."""
    if not any(is_pair(a) for a in args):
        return fn(*args)
    pairs = [
        a if isinstance(a, str) or a is None or isinstance(a, bool) else as_pair(a, n) for a, n in zip(args, names)
    ]
    return tuple(fn(*[a if not isinstance(a, tuple) else a[axis] for a in pairs]) for axis in range(2))


def _check_int(value: Any, name: str, minimum: int, what: str) -> int:
    if not is_int(value):
        raise TypeError(f"{name} must be an int or a pair of ints; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {what}; got {value}")
    return int(value)
