"""Tests of cnnkit.plot.overlay: what the overlays draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnnkit.plot.overlay import Overlay, draw_box, overlay_grid, overlay_map
from cnnkit.viz.cam import upsample_map
from cnnkit.viz.exemplars import LayerGeometry
from cnnkit.viz.localize import Box


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_overlay_draws_image_and_upsampled_heatmap():
    image = np.linspace(0, 1, 28 * 28).reshape(28, 28)
    heat = np.arange(49.0).reshape(7, 7)
    _fig, ax = plt.subplots()
    out = overlay_map(image, heat, ax=ax, alpha=0.3, cmap="viridis", vmin=0, vmax=48)
    assert isinstance(out, Overlay)
    assert list(ax.images) == [out.image, out.heatmap]  # the heat map is drawn on top
    np.testing.assert_allclose(out.image.get_array(), image)
    np.testing.assert_allclose(out.heatmap.get_array(), upsample_map(heat, 28))
    assert out.heatmap.get_alpha() == 0.3
    assert out.heatmap.get_cmap().name == "viridis" and out.image.get_cmap().name == "gray"
    assert out.heatmap.get_clim() == (0, 48)
    assert out.image.get_extent() == out.heatmap.get_extent() == [-0.5, 27.5, 27.5, -0.5]
    assert ax.get_xticks().size == 0 and ax.get_yticks().size == 0


def test_overlay_accepts_channel_first_grey_and_rgb():
    out = overlay_map(np.zeros((1, 8, 8)), np.ones((8, 8)))
    assert out.image.get_array().shape == (8, 8)
    np.testing.assert_allclose(out.heatmap.get_array(), np.ones((8, 8)))  # same size: not resampled
    rgb = np.full((6, 9, 3), 0.5)
    out = overlay_map(rgb, np.ones((2, 3)))
    assert out.image.get_array().shape == (6, 9, 3) and out.heatmap.get_array().shape == (6, 9)


@pytest.mark.parametrize(
    "image, heat, kwargs, match",
    [
        (np.zeros((8, 8)), np.zeros((9, 9)), {}, "must not be larger than the image"),
        (np.zeros((8, 8)), np.zeros((2, 2, 2)), {}, r"heatmap must have shape \(h, w\)"),
        (np.zeros((8, 8, 2)), np.zeros((2, 2)), {}, r"image must have shape"),
        (np.zeros((8, 8)), np.zeros((2, 2)), {"alpha": 1.5}, r"alpha must lie in \[0, 1\]"),
    ],
)
def test_overlay_bad_inputs(image, heat, kwargs, match):
    with pytest.raises(ValueError, match=match):
        overlay_map(image, heat, **kwargs)


def test_draw_box_surrounds_the_pixels():
    _fig, ax = plt.subplots()
    patch = draw_box(Box(2, 3, 6, 5), ax=ax, color="red")
    assert patch in ax.patches
    assert patch.get_xy() == (2.5, 1.5) and patch.get_width() == 2 and patch.get_height() == 4
    assert not patch.get_fill()
    with pytest.raises(ValueError, match=r"box must be \(top, left, bottom, right\)"):
        draw_box((1, 2, 3), ax=ax)


def test_overlay_grid_panels_titles_and_boxes():
    images = [np.zeros((10, 10))] * 5
    heats = [np.full((5, 5), float(k)) for k in range(5)]
    boxes = [[Box(0, 0, 2, 2)], [], [Box(1, 1, 3, 3), Box(2, 2, 4, 4)], [], []]
    fig = overlay_grid(images, heats, titles=list("abcde"), ncols=3, boxes=boxes, alpha=0.7, dpi=72)
    assert len(fig.axes) == 6 and fig.dpi == 72
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")
    assert not fig.axes[5].get_visible()
    assert [len(ax.patches) for ax in fig.axes[:5]] == [1, 0, 2, 0, 0]
    assert fig.axes[4].images[1].get_alpha() == 0.7
    np.testing.assert_allclose(fig.axes[3].images[1].get_array(), 3.0)
    assert fig.get_suptitle() == ""
    plt.close(fig)


def test_overlay_grid_suptitle_names_the_figure():
    fig = overlay_grid(
        [np.zeros((10, 10))] * 2, [np.ones((5, 5))] * 2, titles=["a", "b"], suptitle="small VGG, shipped MNIST weights"
    )
    assert fig.get_suptitle() == "small VGG, shipped MNIST weights"
    assert fig._suptitle.get_fontsize() == 9
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]  # panel titles kept
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"heatmaps": [np.zeros((2, 2))]}, "same length"),
        ({"titles": ["a"]}, "one entry per image"),
        ({"boxes": [[]]}, "one list of boxes per image"),
        ({"ncols": 0}, "ncols must be a positive int"),
        ({"geometry": [None]}, "one geometry or a list with one per image"),
    ],
)
def test_overlay_grid_bad_inputs(kwargs, match):
    args = {"images": [np.zeros((4, 4))] * 2, "heatmaps": [np.zeros((2, 2))] * 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        overlay_grid(**args)
    with pytest.raises(ValueError, match="must not be empty"):
        overlay_grid([], [])


def test_overlay_symmetric_limits_and_percentile():
    heat = np.array([[-1.0, 3.0], [0.5, -2.0]])
    out = overlay_map(np.zeros((2, 2)), heat, cmap="RdBu_r", symmetric=True)
    assert out.heatmap.get_clim() == (-3.0, 3.0)
    lim = np.percentile(np.abs(heat), 75)
    out = overlay_map(np.zeros((2, 2)), heat, cmap="RdBu_r", symmetric=True, percentile=75)
    assert out.heatmap.get_clim() == pytest.approx((-lim, lim))
    out = overlay_map(np.zeros((2, 2)), np.zeros((2, 2)), symmetric=True)  # an all-zero map still gets limits
    assert out.heatmap.get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match="either symmetric=True or vmin/vmax"):
        overlay_map(np.zeros((2, 2)), heat, symmetric=True, vmax=1.0)
    with pytest.raises(ValueError, match="percentile must lie in"):
        overlay_map(np.zeros((2, 2)), heat, symmetric=True, percentile=0)


def test_overlay_grid_symmetric_per_panel_and_room_for_titles():
    maps = [np.array([[-1.0, 2.0]]), np.array([[5.0, -4.0]])]
    fig = overlay_grid([np.zeros((1, 2))] * 2, maps, cmap="RdBu_r", symmetric=True)
    assert [ax.images[1].get_clim() for ax in fig.axes] == [(-2.0, 2.0), (-5.0, 5.0)]
    one = overlay_grid([np.zeros((4, 4))] * 2, [np.ones((2, 2))] * 2, titles=["a", "b"], ncols=1)
    two = overlay_grid([np.zeros((4, 4))] * 2, [np.ones((2, 2))] * 2, titles=["a\nx", "b"], ncols=1)
    assert two.get_figheight() > one.get_figheight()  # two-line titles get more room


LITE0_HEAD = LayerGeometry((851, 851), (32, 32), (-394, -394))  # EfficientNet-Lite0's head at 224x224


def test_overlay_places_the_cells_by_the_geometry():
    one_hot = np.zeros((7, 7))
    one_hot[2, 4] = 1.0
    out = overlay_map(np.zeros((224, 224)), one_hot, geometry=LITE0_HEAD)
    drawn = np.asarray(out.heatmap.get_array())
    np.testing.assert_allclose(drawn, upsample_map(one_hot, 224, geometry=LITE0_HEAD))
    assert np.argwhere(drawn == 1.0).tolist() == [[95, 159]]  # 32i + 31, not 32i + 15.5
    plain = np.asarray(overlay_map(np.zeros((224, 224)), one_hot).heatmap.get_array())
    assert np.unravel_index(plain.argmax(), plain.shape) == (79, 143)  # the block's middle, 15.5 px up and left
    # a map already at the image's size is resampled only when a geometry says where its values lie
    full = np.random.default_rng(0).normal(size=(8, 8))
    np.testing.assert_allclose(overlay_map(np.zeros((8, 8)), full).heatmap.get_array(), full)
    np.testing.assert_allclose(overlay_map(np.zeros((8, 8)), full, geometry=(1, 1, 0)).heatmap.get_array(), full)


def test_overlay_grid_geometry_for_all_panels_or_one_per_panel():
    images, maps = [np.zeros((224, 224))] * 3, [np.eye(7), np.eye(14), np.eye(224)]
    block5c = LayerGeometry((339, 339), (16, 16), (-154, -154))
    fig = overlay_grid(images, maps, geometry=[LITE0_HEAD, block5c, None])
    drawn = [np.asarray(ax.images[1].get_array()) for ax in fig.axes]
    np.testing.assert_allclose(drawn[0], upsample_map(np.eye(7), 224, geometry=LITE0_HEAD))
    np.testing.assert_allclose(drawn[1], upsample_map(np.eye(14), 224, geometry=block5c))
    np.testing.assert_allclose(drawn[2], np.eye(224))
    fig = overlay_grid(images[:2], [np.eye(7)] * 2, geometry=LITE0_HEAD)  # one geometry (a tuple) for every panel
    for ax in fig.axes:
        np.testing.assert_allclose(ax.images[1].get_array(), upsample_map(np.eye(7), 224, geometry=LITE0_HEAD))
