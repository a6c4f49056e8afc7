"""Tests of cnnkit/plot/featvis_figures.py: display normalisation, grids of filters, objective curves.

(Named test_featvis_plots.py so that its module name does not clash with tests/viz/test_featvis.py.)
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from cnnkit.plot.featvis_figures import (
    display_images,
    plot_basis_vs_random,
    show_feature_rows,
)


def test_display_images_modes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 1, 6, 7)) * 3 + 1
    clipped = display_images(x, "clip")
    assert clipped.shape == (4, 6, 7)
    np.testing.assert_array_equal(clipped, np.clip(x[:, 0], 0, 1))
    stretched = display_images(x, "minmax")
    np.testing.assert_allclose(stretched.min(axis=(1, 2)), 0)
    np.testing.assert_allclose(stretched.max(axis=(1, 2)), 1)
    standard = display_images(rng.normal(size=(2, 3, 50, 50)) * 7 - 3, "standardise")
    assert standard.shape == (2, 50, 50, 3)
    np.testing.assert_allclose(standard.mean(axis=(1, 2, 3)), 0.5, atol=1e-3)
    np.testing.assert_allclose(standard.std(axis=(1, 2, 3)), 0.1, atol=1e-3)
    flat = display_images(np.full((1, 1, 2, 2), 3.0), "minmax")
    np.testing.assert_array_equal(flat, np.zeros((1, 2, 2)))
    np.testing.assert_array_equal(display_images(torch.ones(1, 3, 2, 2)), np.ones((1, 2, 2, 3)))


def test_display_images_checks_its_arguments():
    with pytest.raises(ValueError, match="shape \\(B, C, H, W\\) with C = 1 or 3; got shape \\(2, 2, 4, 4\\)"):
        display_images(np.zeros((2, 2, 4, 4)))
    with pytest.raises(
        ValueError, match="display_images: normalize='std' is not one of 'clip', 'minmax', 'standardise'"
    ):
        display_images(np.zeros((1, 1, 4, 4)), "std")


def test_show_feature_rows_draws_one_row_per_batch():
    rng = np.random.default_rng(1)
    rows = [rng.random((4, 1, 8, 8)), rng.normal(size=(2, 1, 8, 8)), rng.random((3, 3, 8, 8))]
    titles = [["0", "1", "2", "3"], ["a", "b"], ["x", "y", "z"]]
    fig = show_feature_rows(
        rows, ["one", "two", "three"], titles, normalize=["clip", "standardise", "clip"], suptitle="s"
    )
    axes = np.array(fig.axes).reshape(3, 4)
    assert [ax.get_visible() for ax in axes[1]] == [True, True, False, False]
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["one", "two", "three"]
    assert [ax.get_title() for ax in axes[2, :3]] == ["x", "y", "z"]
    np.testing.assert_array_equal(axes[0, 2].images[0].get_array(), rows[0][2, 0])
    np.testing.assert_allclose(axes[1, 1].images[0].get_array(), display_images(rows[1], "standardise")[1])
    assert axes[2, 0].images[0].get_array().shape == (8, 8, 3)
    assert axes[0, 0].images[0].get_clim() == (0.0, 1.0)
    assert fig._suptitle.get_text() == "s"
    plt.close(fig)


def test_show_feature_rows_checks_its_arguments():
    with pytest.raises(ValueError, match="labels must have one entry per row \\(1\\); got 2"):
        show_feature_rows([np.zeros((1, 1, 4, 4))], ["a", "b"])
    with pytest.raises(ValueError, match="titles must give one title per image"):
        show_feature_rows([np.zeros((2, 1, 4, 4))], ["a"], [["only one"]])
    with pytest.raises(ValueError, match="rows must contain at least one batch"):
        show_feature_rows([], [])
    with pytest.raises(ValueError, match="normalize must be a string or one entry per row"):
        show_feature_rows([np.zeros((1, 1, 4, 4))], ["a"], normalize=["clip", "clip"])


def test_plot_basis_vs_random_histograms_are_fractions():
    rng = np.random.default_rng(0)
    basis, random = rng.lognormal(1, 1, 40), rng.lognormal(0, 0.3, 200)
    fig, ax = plt.subplots()
    drawn = plot_basis_vs_random(basis, random, ax=ax, bins=12, log=True)
    assert ax.get_xscale() == "log"
    for key in ("basis", "random"):
        (polygon,) = drawn[key]
        heights = polygon.get_xy()[1:-1:2, 1]  # the top of each step, bin by bin
        assert heights.sum() == pytest.approx(1.0)
    assert drawn["median"].get_xdata()[0] == pytest.approx(np.median(basis))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["channels (40)", "random directions (200)"]
    plt.close(fig)


def test_plot_basis_vs_random_strip_and_checks():
    fig, ax = plt.subplots()
    drawn = plot_basis_vs_random([3.0, np.nan, 1.0], [2.0, 4.0, 5.0], ax=ax, kind="strip", labels=("e", "v"))
    assert drawn["basis"].get_offsets()[:, 0].tolist() == [3.0, 1.0]  # the NaN is left out
    assert [t.get_text() for t in ax.get_yticklabels()] == ["e (2)", "v (3)"]
    with pytest.raises(ValueError, match="plot_basis_vs_random: kind='box' is not one of 'hist', 'strip'"):
        plot_basis_vs_random([1.0], [1.0], ax=ax, kind="box")
    with pytest.raises(ValueError, match="log=True needs positive values"):
        plot_basis_vs_random([0.0], [1.0], ax=ax, log=True)
    with pytest.raises(ValueError, match="at least one finite value"):
        plot_basis_vs_random([np.nan], [1.0], ax=ax)
    plt.close(fig)
