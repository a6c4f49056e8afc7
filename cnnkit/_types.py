"""Type aliases shared by every package of cnnkit, defined once.

Private: a module of any package may import these; they are not part of the public API.
"""

from __future__ import annotations

from typing import Union

__all__ = ["IntOrPair", "Padding"]

#: A size argument as PyTorch takes it: ``3`` means ``(3, 3)`` (height, width).
IntOrPair = Union[int, tuple[int, int]]

#: A convolution's ``padding``: an int, a pair or ``'valid'``, ``'same'``, ``'full'``.
Padding = Union[int, tuple[int, int], str]
