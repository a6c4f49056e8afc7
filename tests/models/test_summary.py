"""The Keras-style summary: rows, shapes, counts, totals, hooks removed and modes restored."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

from cnnkit.models.summary import ModelSummary, format_shape, summary


def keras_lecture_model() -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv2d=nn.Conv2d(1, 32, 3),
            relu=nn.ReLU(),
            conv2d_1=nn.Conv2d(32, 64, 3),
            relu_1=nn.ReLU(),
            max_pooling2d=nn.MaxPool2d(2),
            dropout=nn.Dropout(0.25),
            flatten=nn.Flatten(),
            dense=nn.Linear(9216, 128),
            relu_2=nn.ReLU(),
            dropout_1=nn.Dropout(0.5),
            dense_1=nn.Linear(128, 10),
        )
    )


def test_reproduces_the_keras_lecture_summary():
    s = summary(keras_lecture_model(), (1, 28, 28), channels_last=True)
    rows = {r.name: r for r in s.rows}
    assert rows["conv2d"].output_shape == (1, 32, 26, 26) and rows["conv2d"].params == 320
    assert rows["conv2d_1"].output_shape == (1, 64, 24, 24) and rows["conv2d_1"].params == 18496
    assert rows["max_pooling2d"].output_shape == (1, 64, 12, 12)
    assert rows["flatten"].output_shape == (1, 9216)
    assert rows["dense"].params == 1179776
    assert rows["dense_1"].params == 1290
    assert s.total_params == s.trainable_params == 1199882
    assert s.non_trainable_params == 0
    text = str(s)
    assert "(None, 26, 26, 32)" in text and "1,179,776" in text and "Total params: 1,199,882" in text
    assert [r.name for r in s.rows] == list(keras_lecture_model()._modules)


def test_rows_add_up_and_frozen_parameters_are_non_trainable():
    model = keras_lecture_model()
    for p in model.conv2d.parameters():
        p.requires_grad_(False)
    s = summary(model, (1, 28, 28))
    assert sum(r.params for r in s.rows) == s.total_params
    assert s.non_trainable_params == 320
    assert s.trainable_params == 1199882 - 320


def test_hooks_are_removed_and_modes_restored_even_on_error():
    model = keras_lecture_model().train()
    summary(model, (1, 28, 28))
    assert model.training and all(m.training for m in model.modules())
    assert all(not m._forward_hooks for m in model.modules())
    with pytest.raises(RuntimeError):
        summary(model, (1, 20, 20))  # flatten gives the wrong size for the dense layer
    assert all(not m._forward_hooks for m in model.modules())
    assert model.training


def test_shared_module_called_twice_counts_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return self.lin(self.lin(x))

    s = summary(Twice(), (4,))
    assert [r.params for r in s.rows] == [20, 0]
    assert s.total_params == 20


def test_unused_modules_and_container_parameters_still_count():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Linear(3, 2)
            self.unused = nn.Linear(3, 5)
            self.scale = nn.Parameter(torch.ones(2))

        def forward(self, x):
            return self.used(x) * self.scale

    s = summary(Odd(), (3,))
    assert s.total_params == 8 + 20 + 2
    unused = s.row("unused")
    assert unused.output_shape is None and unused.params == 20
    assert sum(r.params for r in s.rows) == s.total_params


def test_depth_condenses_rows():
    model = nn.Sequential(OrderedDict(block=nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU()), head=nn.Flatten()))
    s = summary(model, (3, 4, 4), depth=1)
    assert [(r.name, r.type, r.params) for r in s.rows] == [("block", "Sequential", 224), ("head", "Flatten", 0)]
    leaves = summary(model, (3, 4, 4))
    assert [r.name for r in leaves.rows] == ["block.0", "block.1", "head"]


def test_format_shape_and_row_lookup():
    assert format_shape((2, 3, 4, 5), channels_last=True) == "(None, 4, 5, 3)"
    assert format_shape((2, 7)) == format_shape((2, 7), channels_last=True) == "(None, 7)"
    assert format_shape(None) == "-"
    s = summary(keras_lecture_model(), (1, 28, 28))
    assert isinstance(s, ModelSummary) and "1,199,882" in repr(s)
    with pytest.raises(KeyError, match="did you mean 'dense'"):
        s.row("denze")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_size": (1, 0, 28)}, "input_size"),
        ({"input_size": 28}, "input_size"),
        ({"input_size": (1, 28, 28), "batch_size": 0}, "batch_size"),
        ({"input_size": (1, 28, 28), "depth": 0}, "depth"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        summary(keras_lecture_model(), **kwargs)


def test_works_on_meta_device_without_memory():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 64, 3), nn.Flatten(), nn.Linear(64 * 98 * 98, 10))
    s = summary(model, (3, 100, 100))
    assert s.rows[-1].output_shape == (1, 10)
    assert s.total_params == 64 * 28 + 10 * (64 * 98 * 98 + 1)
