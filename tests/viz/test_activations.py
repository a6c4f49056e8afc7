"""Tests of cnnkit/viz/activations.py: sparsity, channel activity and selectivity, per-layer tables."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cnnkit.models.small_vgg import SmallVGG
from cnnkit.viz.activations import (
    activation_statistics,
    channel_activity,
    channel_selectivity,
    format_comparison,
    format_statistics,
    group_statistics,
    image_activity,
    layer_statistics,
    sparsity,
)


def _relu_like(seed=0, shape=(3, 4, 5, 6)):
    a = np.random.default_rng(seed).normal(size=shape)
    return np.maximum(a, 0.0)


def test_sparsity_counts_exact_zeros():
    a = np.array([0.0, 1e-30, -0.0, 2.0])
    assert sparsity(a) == 0.5
    assert sparsity(torch.zeros(2, 3)) == 1.0
    with pytest.raises(ValueError, match="empty"):
        sparsity(np.zeros(0))


def test_activity_by_definition():
    a = _relu_like()
    expected = [np.mean(a[:, c] != 0) for c in range(a.shape[1])]
    np.testing.assert_allclose(channel_activity(a), expected)


def test_mean_activity_is_one_minus_sparsity():
    a = _relu_like(1)
    assert np.mean(channel_activity(a)) == pytest.approx(1 - sparsity(a))


def test_selectivity_by_definition():
    a = _relu_like(2)
    for c in range(a.shape[1]):
        r = a[:, c].ravel()
        m = r.size
        expected = (1 - r.mean() ** 2 / np.mean(r**2)) / (1 - 1 / m)
        assert channel_selectivity(a)[c] == pytest.approx(expected)


def test_selectivity_special_cases():
    m = 2 * 16
    a = np.zeros((2, 4, 4, 4))
    a[:, 0] = 3.0  # equal everywhere
    a[1, 1, 2, 3] = 7.0  # once
    a[:, 2, :2] = 1.0  # equal on half of the positions
    s = channel_selectivity(a)
    assert s[0] == pytest.approx(0.0, abs=1e-12)
    assert s[1] == pytest.approx(1.0)
    assert s[2] == pytest.approx(0.5 / (1 - 1 / m))
    assert np.isnan(s[3])  # dead
    assert np.isnan(channel_selectivity(np.ones((1, 3)))).all()  # one response each: undefined


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)),
        elements=st.one_of(st.just(0.0), st.floats(0.01, 100)),
    )
)
def test_selectivity_lies_in_unit_interval(a):
    s = channel_selectivity(a)
    live = ~np.isnan(s)
    assert np.all((s[live] >= 0) & (s[live] <= 1))
    m = a.shape[0] * a.shape[2]
    assert np.array_equal(live, (channel_activity(a) > 0) & (m > 1))


def test_fully_connected_activations():
    a = np.array([[0.0, 1.0], [0.0, 3.0], [0.0, 0.0]])  # (N, C)
    (stats,) = layer_statistics({"fc": a})
    assert stats.shape == (2,)
    assert stats.sparsity == pytest.approx(4 / 6)
    assert stats.dead_fraction == 0.5
    np.testing.assert_allclose(stats.activity, [0.0, 2 / 3])


def test_layer_statistics_summaries():
    a = _relu_like(3, (2, 5, 3, 3))
    a[:, 4] = 0.0
    (stats,) = layer_statistics({"conv": torch.from_numpy(a)})
    assert stats.layer == "conv" and stats.shape == (5, 3, 3)
    assert stats.sparsity == sparsity(a)
    assert stats.dead_fraction == pytest.approx(0.2)
    assert stats.selectivity == pytest.approx(np.median(channel_selectivity(a)[:4]))


def test_statistics_of_a_model_do_not_depend_on_the_batch_size():
    torch.manual_seed(0)
    model = SmallVGG().eval()
    x = torch.rand(7, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    layers = ["block1_conv1", "block2_pool", "block3_conv2", "predictions"]
    whole = activation_statistics(model, x, layers)
    batched = activation_statistics(model, x, layers, batch_size=3)
    direct = layer_statistics(model.activations(x, layers))
    for w, b, d in zip(whole, batched, direct):
        assert w.layer == b.layer == d.layer and w.shape == b.shape
        assert w.sparsity == pytest.approx(b.sparsity) == pytest.approx(d.sparsity)
        np.testing.assert_allclose(w.activity, b.activity)
        np.testing.assert_allclose(w.channel_selectivity, b.channel_selectivity, rtol=1e-5)  # float32 convs by batch
        np.testing.assert_array_equal(w.image_activity, b.image_activity)
        np.testing.assert_array_equal(w.image_activity, d.image_activity)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        activation_statistics(model, x, layers, batch_size=0)


def test_format_statistics_table():
    a = np.zeros((1, 4, 2, 2))
    a[0, 0] = 1.0
    a[0, 1, 0, 0] = 2.0
    table = format_statistics(layer_statistics({"block1_conv1": a, "fc1": np.ones((2, 3))}))
    lines = table.splitlines()
    assert len(lines) == 3
    assert lines[0].split()[:4] == ["layer", "activation", "shape", "zeros"]
    assert lines[1].split() == ["block1_conv1", "(4,", "2,", "2)", "0.688", "2", "/", "4", "(0.50)", "0.500"]
    assert lines[2].split() == ["fc1", "(3,)", "0.000", "0", "/", "3", "(0.00)", "0.000"]
    one = format_statistics(layer_statistics({"fc2": np.ones((1, 3))})).splitlines()[1]
    assert one.split()[-1] == "n/a"  # one response per channel: no selectivity
    assert len({len(line.rstrip()) for line in lines}) == 1  # columns line up


def test_bad_activation_shapes():
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        channel_activity(np.zeros(3))
    with pytest.raises(TypeError, match="numeric"):
        channel_selectivity(np.array([["a"]]))


def test_image_activity_by_definition():
    a = _relu_like(4, (6, 5, 3, 3))
    a[:3, 1] = 0.0  # channel 1 silent on images 0-2
    a[:, 2] = 0.0
    a[4, 2, 1, 1] = 1.0  # channel 2 at one position of image 4
    expected = [np.mean([np.any(a[n, c] != 0) for n in range(6)]) for c in range(5)]
    np.testing.assert_allclose(image_activity(a), expected)
    assert image_activity(a)[2] == pytest.approx(1 / 6)
    assert image_activity(a)[1] <= 0.5
    assert np.all(image_activity(a) >= channel_activity(a))  # an image counts if one position does


def test_image_activity_in_layer_statistics():
    a = _relu_like(5, (4, 3, 2, 2))
    a[1:, 0] = 0.0
    (stats,) = layer_statistics({"conv": a})
    np.testing.assert_allclose(stats.image_activity, image_activity(a))
    assert stats.image_activity[0] == 0.25


def test_float32_and_float64_agree():
    a = _relu_like(6, (3, 4, 8, 8))
    (s64,) = layer_statistics({"x": a})
    (s32,) = layer_statistics({"x": a.astype(np.float32)})
    assert s32.sparsity == s64.sparsity
    np.testing.assert_allclose(s32.channel_selectivity, s64.channel_selectivity, rtol=1e-6)
    np.testing.assert_allclose(
        channel_selectivity(np.arange(8).reshape(1, 2, 4)), channel_selectivity(np.arange(8.0).reshape(1, 2, 4))
    )


def test_group_statistics_pool_channels():
    a = _relu_like(7, (2, 3, 4, 4))
    b = _relu_like(8, (2, 5, 2, 2))
    a[:, 0] = 0.0
    stats = layer_statistics({"a": a, "b": b, "c": np.ones((2, 2))})
    both, alone = group_statistics(stats, {"a+b": ["a", "b"], "c": "c"})
    assert both.layer == "a+b" and both.layers == ("a", "b") and both.channels == 8
    joint = np.concatenate([a.reshape(-1), b.reshape(-1)])
    assert both.sparsity == pytest.approx(np.mean(joint == 0))
    assert both.dead_fraction == pytest.approx(1 / 8)
    sel = np.concatenate([channel_selectivity(a), channel_selectivity(b)])
    np.testing.assert_allclose(both.channel_selectivity, sel)
    assert both.selectivity == pytest.approx(np.nanmedian(sel))
    np.testing.assert_allclose(both.image_activity, np.concatenate([image_activity(a), image_activity(b)]))
    assert alone.channels == 2 and alone.sparsity == 0.0
    with pytest.raises(KeyError, match="no layer 'd'"):
        group_statistics(stats, {"x": ["a", "d"]})
    with pytest.raises(ValueError, match="has no layers"):
        group_statistics(stats, {"x": []})


def test_format_comparison_table():
    a = _relu_like(9, (3, 4, 2, 2))
    a[:, 3] = 0.0
    b = np.ones((3, 4, 2, 2))
    table = format_comparison(
        {"trained": layer_statistics({"block1a_dwconv": a}), "untrained": layer_statistics({"block1a_dwconv": b})}
    )
    head1, head2, row = table.splitlines()
    assert head1.split() == ["zeros", "dead", "selectivity", "images"]
    assert head2.split() == ["layer", "channels"] + ["trained", "untrained"] * 4
    cells = row.split()
    assert cells[:2] == ["block1a_dwconv", "4"]
    assert cells[2:4] == [f"{sparsity(a):.3f}", "0.000"]
    assert cells[4:6] == ["1", "0"]
    assert cells[6:8] == [f"{np.nanmedian(channel_selectivity(a)):.3f}", "0.000"]
    assert cells[8:10] == [f"{np.median(image_activity(a)[:3]):.2f}", "1.00"]
    assert len(head2) == len(row)  # columns line up
    for word in head1.split():  # each measure's name lies over its two columns
        start = head1.index(word)
        assert head2[start : start + len(word)].strip() != ""
    with pytest.raises(ValueError, match="same layers"):
        format_comparison({"A": layer_statistics({"x": a}), "B": layer_statistics({"y": a})})
    with pytest.raises(ValueError, match="at least one"):
        format_comparison({})


def test_format_statistics_long_names_line_up():
    a = _relu_like(10, (1, 2, 2, 2))
    lines = format_statistics(layer_statistics({"block1a_dwconv": a, "stem": a})).splitlines()
    assert len({len(line.rstrip()) for line in lines}) == 1
    assert lines[1].startswith("block1a_dwconv ")


def test_bn_zero_fraction_matches_gaussian_inputs():
    """With Gaussian inputs of the running statistics, the predicted and the measured zeros agree."""
    from cnnkit.viz.activations import bn_zero_fraction

    rng = np.random.default_rng(0)
    bn = torch.nn.BatchNorm2d(4).eval()
    mean, std = np.array([0.0, 3.0, -1.0, 0.5]), np.array([1.0, 2.0, 0.5, 4.0])
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(mean))
        bn.running_var.copy_(torch.tensor(std**2))
        bn.weight.copy_(torch.tensor([1.0, -0.5, 2.0, 1.5]))
        bn.bias.copy_(torch.tensor([0.0, 0.3, -1.0, 2.0]))
        z = torch.tensor(
            mean[None, :, None, None] + std[None, :, None, None] * rng.normal(size=(8, 4, 50, 50)), dtype=torch.float32
        )
        measured = (torch.relu(bn(z)) == 0).double().mean(dim=(0, 2, 3)).numpy()
    np.testing.assert_allclose(bn_zero_fraction(bn), measured, atol=0.01)


def test_bn_zero_fraction_constant_channels_and_errors():
    from cnnkit.viz.activations import bn_zero_fraction

    bn = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.running_var.copy_(torch.tensor([0.0, 0.0, 1.0]))
        bn.weight.copy_(torch.tensor([1.0, 1.0, 0.0]))
        bn.bias.copy_(torch.tensor([-0.2, 0.2, 0.0]))
    assert bn_zero_fraction(bn).tolist() == [1.0, 0.0, 1.0]  # constant outputs -0.2, 0.2 and 0.0
    assert bn_zero_fraction(torch.nn.BatchNorm1d(2, affine=False)).tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="running statistics"):
        bn_zero_fraction(torch.nn.BatchNorm2d(2, track_running_stats=False))
