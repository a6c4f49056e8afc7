"""cnnkit.exercises.compare: the comparisons say None when the result agrees, else what differs."""

import numpy as np
import torch

from cnnkit.exercises import compare_arrays, compare_numbers, compare_pair


def test_compare_helpers():
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-9) is None
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-3).endswith("(3 of 3 entries differ)")
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-3, rtol=1e-2) is None
    assert compare_arrays(np.array([1.0, np.nan]), np.array([1.0, 2.0])) is not None
    assert compare_numbers(torch.tensor(5), 5) is None and compare_numbers(np.array(5), 5) is None
    assert compare_numbers(True, 1) is not None
    assert compare_numbers(20.0, 20.0) is None  # a float expected: a float is fine


def test_a_count_must_be_an_integer():
    # the false accept of the review: k ** 2.0 or c_in / groups gives the right value as a float
    assert compare_numbers(156.0, 156).startswith("expected an int, the count 156; got a float: 156.0")
    assert compare_numbers(np.float64(156.0), 156).startswith("expected an int, the count 156; got a float")
    assert compare_numbers(torch.tensor(156.0), 156).startswith("expected an int")
    assert compare_numbers(np.int32(156), 156) is None
    assert compare_pair((1.0, 2.0), (1, 2)).startswith("expected a pair of ints (1, 2); got (1.0, 2.0)")
    assert compare_pair(np.array([1, 2]), (1, 2)) is None


def test_messages_use_the_right_article():
    assert compare_pair(3, (1, 2)) == "expected a pair (before, after) = (1, 2); got an int: 3"
    assert compare_numbers((7, 7), 7) == "expected a number (7); got a tuple: (7, 7)"


def test_compare_pair():
    assert compare_pair(np.array([0, 1]), (0, 1)) is None and compare_pair([0, 1], (0, 1)) is None
    assert compare_pair((1, 1), (0, 1)) == "expected (before, after) = (0, 1), got (1, 1)"
    assert compare_pair((0, 1, 2), (0, 1)).startswith("expected a pair (before, after) = (0, 1); got a tuple")
    assert compare_pair((True, 1), (1, 1)).startswith("expected a pair")
    assert compare_pair(None, (0, 1)) == "returned None: did you forget to return the result?"
