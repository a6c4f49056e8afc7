"""cnnkit.exercises.activation_checks: channel sparsity and the top exemplars by mean.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np

from cnnkit import exercises as ex
from tests.exercises.answers import (
    WRONG_SHAPE,
    WRONG_VALUE,
    assert_rejected,
    mean_top_exemplars,
)


def test_channel_sparsity_rejects_the_fraction_of_non_zeros():
    result = ex.check_channel_sparsity(lambda a: (a != 0).mean(axis=(0, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 0: expected 0.75, got 0.25")


def test_channel_sparsity_rejects_a_fraction_per_image():
    result = ex.check_channel_sparsity(lambda a: (a == 0).mean(axis=(1, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (3,), got (2,)")


def test_channel_sparsity_rejects_small_values_counted_as_zeros():
    result = ex.check_channel_sparsity(lambda a: (a < 1e-5).mean(axis=(0, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "1.0e-06", "index 1: expected 0.25, got 0.375")
    close_to_zero = ex.check_channel_sparsity(lambda a: np.isclose(a, 0, atol=1e-5).mean(axis=(0, 2, 3)))
    assert_rejected(close_to_zero, "failed on case 1 of 9 (fixed)", "index 1: expected 0.25, got 0.375")


def test_channel_sparsity_rejects_the_mean_activation():
    result = ex.check_channel_sparsity(lambda a: a.mean(axis=(0, 2, 3)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", WRONG_VALUE)


def test_top_exemplars_rejects_ascending_order():
    result = ex.check_top_exemplars(lambda a, channel, k: np.argsort(a[:, channel].mean(axis=(1, 2)))[:k])
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 0: expected 1, got 2")
    reversed_best = ex.check_top_exemplars(lambda a, channel, k: mean_top_exemplars(a, channel, k)[::-1])
    assert_rejected(reversed_best, "failed on case 1 of 9 (fixed)", "index 0: expected 1, got 3")


def test_top_exemplars_rejects_the_maximum_instead_of_the_mean():
    result = ex.check_top_exemplars(lambda a, channel, k: np.argsort(-a[:, channel].max(axis=(1, 2)))[:k])
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 0: expected 1, got 0")


def test_top_exemplars_rejects_the_channel_taken_as_the_image():
    result = ex.check_top_exemplars(lambda a, channel, k: np.argsort(-a[channel].mean(axis=(1, 2)))[:k])
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "index 1: expected 3, got 0")


def test_top_exemplars_rejects_one_image_too_many():
    result = ex.check_top_exemplars(lambda a, channel, k: mean_top_exemplars(a, channel, k + 1))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", f"{WRONG_SHAPE} (2,), got (3,)")


def test_top_exemplars_cases_have_no_ties():
    seen = []
    ex.check_top_exemplars(lambda a, channel, k: seen.append((a, channel)) or mean_top_exemplars(a, channel, k))
    for a, channel in seen:
        means = a[:, channel].mean(axis=(1, 2))
        assert len(np.unique(means)) == len(means)
