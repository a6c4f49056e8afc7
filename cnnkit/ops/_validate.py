"""Argument checking shared by the operations: int-or-pair normalisation, padding parsing,
array checks and the dtype rule. Every error names the argument, the value received and what
would be valid.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from cnnkit.shapes import _did_you_mean, _pad_amounts, to_pair

__all__ = [
    "as_pair",
    "positive_pair",
    "non_negative_pair",
    "parse_padding",
    "as_array",
    "check_ndim",
    "check_choice",
    "result_dtype",
    "check_rng",
]

PadPairs = tuple[tuple[int, int], tuple[int, int]]


def as_pair(value: Any, name: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair stays a pair; anything else is a TypeError naming ``name``."""
    return to_pair(value, name)


def positive_pair(value: Any, name: str) -> tuple[int, int]:
    return to_pair(value, name, minimum=1)


def non_negative_pair(value: Any, name: str) -> tuple[int, int]:
    return to_pair(value, name, minimum=0)


def parse_padding(
    padding: Any, kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int], name: str = "padding"
) -> PadPairs:
    """Padding as ``((top, bottom), (left, right))`` from an int, a pair or
    ``'valid'``/``'same'``/``'full'``: :func:`cnnkit.shapes.padding_amounts` for sizes that are
    already pairs, with the argument's ``name`` in the errors."""
    return _pad_amounts(padding, kernel, dilation, stride, name)


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


def check_choice(value: Any, options: Sequence[str], name: str) -> str:
    if not isinstance(value, str) or value not in options:
        choices = ", ".join(repr(o) for o in options)
        hint = _did_you_mean(value, options) if isinstance(value, str) else ""
        raise ValueError(f"{name} must be one of {choices}; got {value!r}{hint}")
    return value


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
