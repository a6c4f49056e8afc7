"""LeNet-5: shapes, parameter counts, options, and a short seeded training run."""

import pytest
import torch

from cnnkit.models.lenet import C3_CONNECTIONS, LeNet5, lecun1998_parameters
from cnnkit.models.summary import summary
from cnnkit.shapes import conv_output_size, pool_output_size


def test_shapes_follow_the_paper_for_both_input_sizes():
    for size in (28, 32):
        model = LeNet5(input_size=size)
        table = summary(model, (1, size, size))
        shapes = {r.name: r.output_shape[1:] for r in table.rows}
        assert shapes["conv1"] == (6, 28, 28)
        assert shapes["pool1"] == (6, 14, 14)
        assert shapes["conv2"] == (16, 10, 10)
        assert shapes["pool2"] == (16, 5, 5)
        assert shapes["fc1"] == (120,) and shapes["fc2"] == (84,) and shapes["fc3"] == (10,)


def test_shapes_agree_with_the_size_formulas():
    c1 = conv_output_size(28, 5, p=2)
    s2 = pool_output_size(c1, 2)
    c3 = conv_output_size(s2, 5)
    s4 = pool_output_size(c3, 2)
    assert (c1, s2, c3, s4) == (28, 14, 10, 5)
    assert LeNet5().fc1.in_features == 16 * s4 * s4


def test_parameter_counts_per_layer():
    model = LeNet5()
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_children()}
    assert counts["conv1"] == 6 * (25 + 1) == 156
    assert counts["conv2"] == 16 * (6 * 25 + 1) == 2416
    assert counts["fc1"] == 120 * 401
    assert counts["fc2"] == 84 * 121
    assert counts["fc3"] == 10 * 85
    assert sum(counts.values()) == 61706


def test_paper_parameter_count_is_60000():
    counts = lecun1998_parameters()
    assert counts == {"C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48120, "F6": 10164, "total": 60000}
    # Table I: six maps read 3 inputs, nine read 4, one reads all 6
    per_map = sorted(sum(row[j] for row in C3_CONNECTIONS) for j in range(16))
    assert per_map == [3] * 6 + [4] * 9 + [6]


def test_options_change_the_layers():
    model = LeNet5(activation="tanh", pooling="avg", input_size=32, num_classes=5)
    assert isinstance(model.relu1, torch.nn.Tanh)
    assert isinstance(model.pool1, torch.nn.AvgPool2d)
    assert model.conv1.padding == (0, 0)
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 5)


@pytest.mark.parametrize(
    "kwargs, word",
    [({"input_size": 30}, "input_size"), ({"activation": "sigmoid"}, "activation"), ({"pooling": "l2"}, "pooling")],
)
def test_bad_arguments_are_named(kwargs, word):
    with pytest.raises(ValueError, match=word):
        LeNet5(**kwargs)


def test_a_short_training_run_learns_and_is_reproducible():
    from cnnkit.data import mnist_split
    from cnnkit.train import evaluate, fit

    split = mnist_split()
    x, y = split.x_train[:2000], split.y_train[:2000]
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = LeNet5()
        history = fit(model, x, y, epochs=2, batch_size=50, lr=5e-3, seed=0)
        results.append((history.batch_loss, evaluate(model, split.x_test[:500], split.y_test[:500])))
    assert results[0] == results[1]
    losses, accuracy = results[0]
    assert losses[-1] < losses[0]
    assert accuracy > 0.8
