"""Tests of cnnkit.viz.localize: pasting digits on a canvas, boxes from maps, box scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnkit.viz.localize import Box, box_contains, box_covers, box_from_map, box_iou, paste_on_canvas


def _digit() -> np.ndarray:
    d = np.zeros((28, 28), dtype=np.float32)
    d[5:23, 10:17] = 0.8  # ink in rows 5..22, columns 10..16
    return d


def test_paste_puts_the_digit_inside_its_box():
    rng = np.random.default_rng(0)
    digit = _digit()
    for _ in range(20):
        canvas, box = paste_on_canvas(digit, 84, rng)
        assert canvas.shape == (84, 84) and canvas.dtype == np.float32
        assert canvas.sum() == pytest.approx(digit.sum())
        assert (box.height, box.width) == (18, 7)
        inside = canvas[box.top : box.bottom, box.left : box.right]
        assert inside.sum() == pytest.approx(canvas.sum())
        assert box.top >= 0 and box.bottom <= 84 and box.left >= 0 and box.right <= 84


def test_paste_is_seeded_and_covers_the_positions():
    a = [paste_on_canvas(_digit(), 40, np.random.default_rng(5))[1] for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(1)
    tops = {paste_on_canvas(_digit(), (30, 29), rng)[1].top - 5 for _ in range(200)}
    assert tops == {0, 1, 2}  # the 28-row digit fits at rows 0, 1 or 2 of a 30-row canvas


def test_paste_keeps_a_channel_axis_and_handles_blank_digits():
    canvas, _box = paste_on_canvas(_digit()[None], 30, np.random.default_rng(0))
    assert canvas.shape == (1, 30, 30)
    _, blank_box = paste_on_canvas(np.zeros((4, 4)), 4, np.random.default_rng(0))
    assert blank_box == Box(0, 0, 4, 4)


@pytest.mark.parametrize(
    "digit, size, rng, error, match",
    [
        (np.zeros((28, 28)), 20, np.random.default_rng(0), ValueError, r"at least the digit's size \(28, 28\)"),
        (np.zeros((2, 28, 28)), 40, np.random.default_rng(0), ValueError, r"digit must have shape"),
        (np.zeros((28, 28)), 40, 0, TypeError, "numpy Generator"),
    ],
)
def test_paste_bad_inputs(digit, size, rng, error, match):
    with pytest.raises(error, match=match):
        paste_on_canvas(digit, size, rng)


def test_box_from_map_takes_the_largest_component():
    m = np.zeros((10, 10))
    m[0:2, 0:2] = 1.0  # small and hot
    m[5:9, 4:10] = 0.6  # large and warm
    assert box_from_map(m, 0.5) == Box(5, 4, 9, 10)
    assert box_from_map(m, 0.7) == Box(0, 0, 2, 2)
    assert box_from_map(m, 0.0) == Box(0, 0, 10, 10)  # everything is one region


def test_box_from_map_joins_diagonal_neighbours():
    m = np.eye(5)
    assert box_from_map(m, 0.5) == Box(0, 0, 5, 5)


def test_box_from_map_ignores_negative_background():
    m = -np.ones((6, 6))
    m[2:4, 1:5] = 2.0
    assert box_from_map(m, 0.2) == Box(2, 1, 4, 5)


@pytest.mark.parametrize(
    "m, threshold, match",
    [
        (np.zeros((3, 3)), 0.2, "positive, finite maximum"),
        (-np.ones((3, 3)), 0.2, "positive, finite maximum"),
        (np.ones((3, 3)), 1.5, r"threshold must be a fraction of the maximum in \[0, 1\]"),
        (np.ones((2, 3, 3)), 0.2, r"one map of shape \(H, W\)"),
    ],
)
def test_box_from_map_bad_inputs(m, threshold, match):
    with pytest.raises(ValueError, match=match):
        box_from_map(m, threshold)


def test_box_contains_and_iou_by_hand():
    truth = Box(10, 20, 30, 30)
    assert box_contains(truth, Box(15, 22, 25, 28).centre)
    assert box_contains(truth, (30.0, 30.0))  # edges count
    assert not box_contains(truth, (9.5, 25.0))
    assert box_iou(truth, Box(10, 20, 30, 25)) == pytest.approx(0.5)
    assert box_iou(truth, Box(20, 25, 40, 35)) == pytest.approx(50 / (200 + 200 - 50))
    assert box_iou(truth, (0, 0, 5, 5)) == 0.0
    assert box_iou(Box(0, 0, 0, 0), Box(0, 0, 0, 0)) == 0.0


def test_box_covers_by_hand():
    truth = Box(10, 20, 30, 30)
    assert box_covers(Box(0, 0, 84, 84), truth)
    assert box_covers(truth, truth)  # edges may touch
    assert box_covers((10, 20, 30, 30), truth)  # plain tuples work
    assert not box_covers(Box(11, 20, 30, 30), truth)  # misses the top row
    assert not box_covers(Box(10, 20, 30, 29), truth)  # misses the right column
    assert not box_covers(Box(15, 22, 25, 28), truth)  # centre inside, but too small


def test_box_bad_inputs():
    with pytest.raises(ValueError, match=r"a must be \(top, left, bottom, right\)"):
        box_iou((0, 0, 1), Box(0, 0, 1, 1))
    with pytest.raises(ValueError, match="bottom >= top"):
        box_iou(Box(5, 0, 1, 1), Box(0, 0, 1, 1))
    with pytest.raises(ValueError, match=r"point must be \(row, col\)"):
        box_contains(Box(0, 0, 1, 1), (0.5,))
    with pytest.raises(ValueError, match=r"outer must be \(top, left, bottom, right\)"):
        box_covers((0, 0, 1), Box(0, 0, 1, 1))
    with pytest.raises(ValueError, match="inner must have bottom >= top"):
        box_covers(Box(0, 0, 1, 1), Box(5, 0, 1, 1))


boxes = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 20), st.integers(1, 20)).map(
    lambda t: Box(t[0], t[1], t[0] + t[2], t[1] + t[3])
)


@settings(max_examples=100, deadline=None)
@given(boxes, boxes)
def test_iou_is_symmetric_and_bounded(a, b):
    iou = box_iou(a, b)
    assert 0.0 <= iou <= 1.0
    assert iou == pytest.approx(box_iou(b, a))
    assert box_iou(a, a) == 1.0
    inside = np.zeros((41, 41), bool)
    inside[a.top : a.bottom, a.left : a.right] = True
    other = np.zeros_like(inside)
    other[b.top : b.bottom, b.left : b.right] = True
    assert iou == pytest.approx((inside & other).sum() / (inside | other).sum())


@settings(max_examples=100, deadline=None)
@given(boxes, boxes)
def test_covers_agrees_with_pixel_masks_and_iou(a, b):
    inside = np.zeros((41, 41), bool)
    inside[a.top : a.bottom, a.left : a.right] = True
    other = np.zeros_like(inside)
    other[b.top : b.bottom, b.left : b.right] = True
    assert box_covers(a, b) == bool((other <= inside).all())
    if box_covers(a, b):
        assert box_iou(a, b) == pytest.approx(b.area / a.area)
