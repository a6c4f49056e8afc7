"""Tests of cnnkit/plot/feature_maps.py: which maps are drawn, where, and on which colour scale."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from cnnkit.plot.feature_maps import (
    plot_feature_map_rows,
    plot_rgb_filters,
    plot_statistics_comparison,
    rgb_filter_patches,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _maps(c=20, h=6, w=5, seed=0):
    return np.random.default_rng(seed).uniform(size=(c, h, w))


def _panels(fig, n):
    return fig.axes[:n]


def test_rows_one_per_layer():
    acts = {"block1_conv2": _maps(6, 8, 8, 1), "block2_conv2": _maps(12, 4, 4, 2), "tiny": _maps(2, 2, 2, 3)}
    fig = plot_feature_map_rows(acts, n=4, title="maps")
    assert len(fig.axes) == 4 + 4 + 2
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["block1_conv2\n(6, 8, 8)", "block2_conv2\n(12, 4, 4)", "tiny\n(2, 2, 2)"]
    row2 = fig.axes[4:8]
    for c, ax in enumerate(row2):
        assert np.array_equal(ax.images[0].get_array(), acts["block2_conv2"][c])
        assert ax.images[0].get_clim() == (0.0, float(acts["block2_conv2"][:4].max()))
    assert fig._suptitle.get_text() == "maps"


def test_rows_strongest_and_errors():
    a = _maps(5, 3, 3)
    a[2] += 10
    fig = plot_feature_map_rows({"x": a}, n=2, select="strongest")
    assert fig.axes[0].get_title() == "2"
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_feature_map_rows({})


def test_layer_statistics_plot():
    from cnnkit.plot.feature_maps import plot_layer_statistics
    from cnnkit.viz.activations import layer_statistics

    rng = np.random.default_rng(0)
    acts = {f"conv{k}": np.maximum(rng.normal(size=(2, 3, 4, 4)) - 0.3 * k, 0) for k in range(3)}
    acts["conv2"][:, 0] = 0.0  # a dead channel is left out of the box plot
    stats = layer_statistics(acts)
    fig = plot_layer_statistics(stats, title="random")
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), [s.sparsity for s in stats])
    assert [t.get_text() for t in left.get_xticklabels()] == ["conv0", "conv1", "conv2"]
    assert left.get_ylim() == (0, 1) and right.get_ylim() == (0, 1)
    assert fig._suptitle.get_text() == "random"
    horizontal = [float(line.get_ydata()[0]) for line in right.lines if line.get_ydata()[0] == line.get_ydata()[-1]]
    for s in stats:  # each box's median line is drawn at the median of the live channels' selectivity
        live = s.channel_selectivity[~np.isnan(s.channel_selectivity)]
        assert any(abs(float(np.median(live)) - h) < 1e-12 for h in horizontal)
    with pytest.raises(ValueError, match="at least one"):
        plot_layer_statistics([])


def _two_networks():
    from cnnkit.viz.activations import layer_statistics

    rng = np.random.default_rng(1)
    acts = {f"conv{k}": rng.normal(size=(3, 4, 5, 5)) for k in range(3)}
    trained = {name: np.maximum(a - 0.5 * k, 0) for k, (name, a) in enumerate(acts.items())}
    trained["conv2"][:, 1] = 0.0  # one dead channel
    untrained = {name: np.maximum(a, 0) for name, a in acts.items()}
    return {"trained": layer_statistics(trained), "untrained": layer_statistics(untrained)}


def test_statistics_comparison_lines():
    networks = _two_networks()
    fig = plot_statistics_comparison(networks, title="compare")
    zero, dead, sel, img = fig.axes
    assert fig._suptitle.get_text() == "compare"
    for k, stats in enumerate(networks.values()):
        np.testing.assert_allclose(zero.lines[k].get_ydata(), [s.sparsity for s in stats])
        np.testing.assert_allclose(dead.lines[k].get_ydata(), [s.dead_fraction for s in stats])
        np.testing.assert_allclose(sel.lines[k].get_ydata(), [np.nanmedian(s.channel_selectivity) for s in stats])
        live = [s.image_activity[s.activity > 0] for s in stats]
        np.testing.assert_allclose(img.lines[k].get_ydata(), [np.median(u) for u in live])
    assert dead.lines[0].get_ydata()[2] == 0.25
    assert [t.get_text() for t in img.get_xticklabels()] == ["conv0", "conv1", "conv2"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["trained", "untrained"]
    assert zero.get_ylim() == (0, 1) and sel.get_ylim() == (0, 1)


def test_statistics_comparison_errors():
    networks = _two_networks()
    with pytest.raises(ValueError, match="same layers"):
        plot_statistics_comparison({"a": networks["trained"], "b": networks["untrained"][:2]})
    with pytest.raises(ValueError, match="non-empty"):
        plot_statistics_comparison({})


def test_rgb_filter_patches_scale_each_filter():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(5, 3, 3, 3))
    w[1] *= 100.0
    w[3] = 0.0
    patches = rgb_filter_patches(torch.from_numpy(w))
    assert patches.shape == (5, 3, 3, 3)
    assert patches.min() >= 0 and patches.max() <= 1
    np.testing.assert_allclose(patches[1], rgb_filter_patches(w / 100.0)[1])  # each filter on its own scale
    for i in (0, 1, 2, 4):  # the largest |weight| reaches 0 or 1
        assert np.isclose(np.abs(patches[i] - 0.5).max(), 0.5)
    assert np.all(patches[3] == 0.5)  # a zero filter is mid grey
    np.testing.assert_allclose(patches[0][..., 0], 0.5 + w[0, 0] / (2 * np.abs(w[0]).max()))  # red = channel 0
    grey = rgb_filter_patches(np.repeat(rng.normal(size=(1, 1, 3, 3)), 3, axis=1))
    assert np.allclose(grey[..., 0], grey[..., 1]) and np.allclose(grey[..., 1], grey[..., 2])
    with pytest.raises(ValueError, match=r"shape \(N, 3, kH, kW\)"):
        rgb_filter_patches(np.zeros((4, 1, 3, 3)))


def test_rgb_filter_patches_treat_rounding_noise_as_zero():
    w = np.random.default_rng(4).normal(size=(3, 3, 3, 3))
    w[1] *= 1e-8  # a filter that is zero but for rounding
    assert np.all(rgb_filter_patches(w)[1] == 0.5)
    assert np.isclose(np.abs(rgb_filter_patches(w, rtol=0)[1] - 0.5).max(), 0.5)  # stretched: noise at full contrast
    assert np.isclose(np.abs(rgb_filter_patches(w, rtol=1e-5)[0] - 0.5).max(), 0.5)
    with pytest.raises(ValueError, match="rtol must be"):
        rgb_filter_patches(w, rtol=-1)


def test_plot_rgb_filters_mosaic():
    w = np.random.default_rng(3).normal(size=(32, 3, 3, 3))
    _, axes = plt.subplots(1, 2)
    image = plot_rgb_filters(w, ax=axes[1], title="stem")
    assert image.axes is axes[1] and axes[1].get_title() == "stem"
    mosaic = image.get_array()
    assert mosaic.shape == (4 * 4 - 1, 8 * 4 - 1, 3)
    patches = rgb_filter_patches(w)
    for i in (0, 7, 11, 31):
        r, c = divmod(i, 8)
        np.testing.assert_allclose(mosaic[4 * r : 4 * r + 3, 4 * c : 4 * c + 3], patches[i])
    assert np.all(mosaic[3, :] == 1.0) and np.all(mosaic[:, 3] == 1.0)  # white gaps
    assert [t.get_text() for t in axes[1].get_yticklabels()] == ["0", "8", "16", "24"]
    assert len(axes[1].get_xticklabels()) == 8
    with pytest.raises(ValueError, match="ncols must be"):
        plot_rgb_filters(w, ncols=0)
