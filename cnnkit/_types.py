"""Type aliases shared by every package of cnnkit, defined once.

Private: a module of any package may import these; they are not part of the public API.
"""

from __future__ import annotations

__all__ = ["IntOrPair", "Padding"]

#: A size argument as PyTorch takes it: ``3`` means ``(3, 3)`` (height, width).
IntOrPair = int | tuple[int, int]

#: A convolution's ``padding``: an int, a pair or ``'valid'``, ``'same'``, ``'full'``.
Padding = int | tuple[int, int] | str
