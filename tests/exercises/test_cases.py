"""cnnkit.exercises.cases: the lecture's arrays and the seeded random values of the cases."""

import numpy as np

from cnnkit.exercises.cases import LAPLACIAN, distinct_values, rounded_normal, seeded_rng
from cnnkit.ops import laplacian_kernel


def test_every_generator_starts_from_the_same_seed():
    assert np.array_equal(rounded_normal(seeded_rng(), (3, 4)), rounded_normal(seeded_rng(), (3, 4)))


def test_random_values_are_readable():
    a = rounded_normal(seeded_rng(), (50,))
    assert np.array_equal(a, a.round(2))


def test_distinct_values_have_no_ties_and_both_signs():
    rng = seeded_rng()
    for shape in [(1, 1), (2, 3), (6, 6), (5, 2)]:
        a = distinct_values(rng, shape)
        assert a.shape == shape and np.unique(a).size == a.size
    assert (a < 0).any() and (a > 0).any()


def test_the_lecture_laplacian_is_the_library_one():
    assert LAPLACIAN.dtype.kind == "i" and np.array_equal(LAPLACIAN, laplacian_kernel())
