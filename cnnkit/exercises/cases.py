"""What the checkers' cases are made of: the lecture's small arrays and seeded random values.

Every checker draws its random cases from a fresh :func:`seeded_rng` (seed
:data:`~cnnkit.exercises.core.SEED`), so that every run sees the same cases and the global random
state is not touched; within :func:`~cnnkit.exercises.core.hidden_cases` the seed is a grader's.
Values are rounded to 2 decimals, so that a failing case prints readably.

Example:
    >>> rng = seeded_rng()
    >>> rounded_normal(rng, (2, 3))
    array([[ 0.13, -0.13,  0.64],
           [ 0.1 , -0.54,  0.36]])
    >>> np.unique(distinct_values(rng, (3, 3))).size
    9
"""

from __future__ import annotations

import numpy as np

from cnnkit.exercises.core import case_seed

__all__ = ["LECTURE_IMAGE", "LAPLACIAN", "POOL_EXAMPLE", "seeded_rng", "rounded_normal", "distinct_values"]

#: The lecture's 5x5 image, the first example of cross-correlation.
LECTURE_IMAGE = np.array(
    [[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0], [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]]
)
#: The lecture's integer Laplacian (:func:`cnnkit.ops.laplacian_kernel` is its float version).
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
#: The lecture's 4x4 map of the pooling examples.
POOL_EXAMPLE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


def seeded_rng() -> np.random.Generator:
    """A new generator seeded with :data:`~cnnkit.exercises.core.SEED` (or the seed of
    :func:`~cnnkit.exercises.core.hidden_cases`): each checker starts from the same state."""
    return np.random.default_rng(case_seed())


def rounded_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal values rounded to 2 decimals: readable in a message."""
    return rng.standard_normal(shape).round(2)


def distinct_values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct values (no ties for a maximum), of both signs, rounded to 2 decimals."""
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) / 4 + rng.uniform(0, 0.2, n).round(2)).reshape(shape)
