"""cnnkit.exercises: every checker passes correct answers, is deterministic, is listed in the
package's table and in ``__all__``, and has a test that shows it rejecting typical wrong answers.
"""

from __future__ import annotations

import inspect
import re
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnnkit import exercises as ex
from cnnkit.exercises import Case, compare, core
from cnnkit.models.numpy_cnn import numerical_gradient, small_cnn, to_torch
from cnnkit.models.zoo import parameter_count
from cnnkit.ops import (
    avg_pool2d,
    conv2d,
    conv2d_backward,
    conv_transpose2d_scatter,
    correlate2d,
    gaussian_kernel,
    max_pool2d,
    pad2d,
    psnr,
)
from cnnkit.shapes import conv_output_size, receptive_field, tf_same_padding
from cnnkit.viz.activations import channel_activity
from cnnkit.viz.cam import class_activation_map
from tests.exercises.answers import (
    SmallCNN,
    ascent_step,
    autograd_max_pool_backward,
    formula_gaussian,
    formula_psnr,
    formula_receptive_field,
    formula_same_padding,
    loop_conv2d,
    loop_conv2d_backward,
    loop_conv_matrix,
    loop_correlate,
    loop_max_pool,
    loop_max_pool_backward,
    loop_numerical_gradient,
    loop_top_exemplars,
    loop_transpose,
    mean_top_exemplars,
    numpy_grad_cam,
    torch_grad_cam,
    torch_total_variation,
)

HERE = Path(__file__).parent

REFERENCES = {
    "correlate2d": (ex.check_correlate2d, correlate2d),
    "correlate2d_loop": (ex.check_correlate2d, loop_correlate),
    "pad2d": (ex.check_pad2d, pad2d),
    "pad2d_numpy": (ex.check_pad2d, lambda x, p: np.pad(x, p)),
    "conv2d_strided": (ex.check_conv2d_strided, lambda x, w, stride: correlate2d(x, w, stride=stride)),
    "conv2d_strided_loop": (ex.check_conv2d_strided, loop_correlate),
    "max_pool2d": (ex.check_max_pool2d, lambda x, k: max_pool2d(x[None, None], k)[0, 0]),
    "max_pool2d_loop": (ex.check_max_pool2d, loop_max_pool),
    "max_pool2d_backward": (ex.check_max_pool2d_backward, autograd_max_pool_backward),
    "max_pool2d_backward_loop": (ex.check_max_pool2d_backward, loop_max_pool_backward),
    "avg_pool": (ex.check_avg_pool_as_conv, lambda x, k: avg_pool2d(x[None, None], k)[0, 0]),
    "avg_pool_as_conv": (ex.check_avg_pool_as_conv, lambda x, k: correlate2d(x, np.full((k, k), 1 / k**2), stride=k)),
    "conv_transpose2d": (
        ex.check_conv_transpose2d,
        lambda x, w, stride: conv_transpose2d_scatter(x[None, None], w[None, None], stride=stride)[0, 0],
    ),
    "conv_transpose2d_loop": (ex.check_conv_transpose2d, loop_transpose),
    "conv_params": (
        ex.check_conv_params,
        lambda c_in, c_out, k, bias=True: parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias)),
    ),
    "conv_params_formula": (ex.check_conv_params, lambda c_in, c_out, k, bias=True: c_out * (c_in * k * k + bias)),
    "receptive_field": (ex.check_receptive_field, lambda layers: receptive_field(layers).size),
    "receptive_field_formula": (ex.check_receptive_field, formula_receptive_field),
    "cam": (ex.check_cam, class_activation_map),
    "cam_tensordot": (ex.check_cam, lambda f, w, c: np.tensordot(w[c], f, axes=1)),
    "gradient_ascent_step": (ex.check_gradient_ascent_step, ascent_step),
    "gaussian_kernel": (ex.check_gaussian_kernel, gaussian_kernel),
    "gaussian_kernel_formula": (ex.check_gaussian_kernel, formula_gaussian),
    "psnr": (ex.check_psnr, psnr),
    "psnr_formula": (ex.check_psnr, formula_psnr),
    "same_padding": (ex.check_same_padding, tf_same_padding),
    "same_padding_formula": (ex.check_same_padding, formula_same_padding),
    "conv_output_size": (ex.check_conv_output_size, lambda i, k, p=0, s=1, d=1: conv_output_size(i, k, s=s, p=p, d=d)),
    "conv_output_size_formula": (
        ex.check_conv_output_size,
        lambda i, k, p=0, s=1, d=1: (i + 2 * p - d * (k - 1) - 1) // s + 1,
    ),
    "conv_matrix_loop": (ex.check_conv_matrix, loop_conv_matrix),
    "conv_macs_formula": (
        ex.check_conv_macs,
        lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * (c_in // groups) * k * k,
    ),
    "channel_sparsity": (ex.check_channel_sparsity, lambda a: 1 - channel_activity(a)),
    "channel_sparsity_formula": (ex.check_channel_sparsity, lambda a: (a == 0).mean(axis=(0, 2, 3))),
    "top_exemplars": (ex.check_top_exemplars, mean_top_exemplars),
    "top_exemplars_loop": (ex.check_top_exemplars, loop_top_exemplars),
    "total_variation": (ex.check_total_variation, torch_total_variation),
    "total_variation_diff": (
        ex.check_total_variation,
        lambda x: torch.diff(x, dim=1).abs().sum() + torch.diff(x, dim=2).abs().sum(),
    ),
    "conv2d": (ex.check_conv2d, lambda x, w, b, stride=1, padding=0: conv2d(x, w, b, stride=stride, padding=padding)),
    "conv2d_loop": (ex.check_conv2d, loop_conv2d),
    "conv2d_backward": (
        ex.check_conv2d_backward,
        lambda x, w, g, stride=1, padding=0: conv2d_backward(x, w, g, stride=stride, padding=padding),
    ),
    "conv2d_backward_loop": (ex.check_conv2d_backward, loop_conv2d_backward),
    "numerical_gradient": (ex.check_numerical_gradient, numerical_gradient),
    "numerical_gradient_loop": (ex.check_numerical_gradient, loop_numerical_gradient),
    "small_cnn": (ex.check_small_cnn, lambda: to_torch(small_cnn())),
    "small_cnn_class": (ex.check_small_cnn, SmallCNN),
    "grad_cam": (ex.check_grad_cam, numpy_grad_cam),
    "grad_cam_tensors": (partial(ex.check_grad_cam, tensors=True), torch_grad_cam),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_checker_passes_a_correct_answer(name):
    checker, answer = REFERENCES[name]
    result = checker(answer)
    assert result.passed, result.message
    assert result.message.startswith("passed: ") and result.message.endswith(" cases")
    assert repr(result) == result.message
    assert result.inputs is None


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_checkers_are_deterministic_and_leave_the_global_random_state_alone(name):
    checker, _answer = REFERENCES[name]
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    wrong = checker(lambda *args: 0)  # every checker rejects this, on its first case
    assert checker(lambda *args: 0).message == wrong.message
    assert wrong.message.startswith("failed on case 1 of ")
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_every_checker_is_in_the_table_in_all_and_has_a_rejects_test():
    checkers = [name for name, obj in vars(ex).items() if name.startswith("check_") and inspect.isfunction(obj)]
    assert len(checkers) == 25
    table = dict(re.findall(r"^:func:`(check_\w+)`\s+(\w+)", ex.__doc__, flags=re.MULTILINE))
    assert sorted(table) == sorted(checkers)
    tests = [
        name
        for path in HERE.glob("test_*.py")
        for name in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    ]
    for name in checkers:
        assert name in ex.__all__
        assert getattr(ex, name).__module__ == f"cnnkit.exercises.{table[name]}", (
            f"the table gives {name} the wrong module"
        )
        assert any(t.startswith(f"test_{name[len('check_') :]}_rejects_") for t in tests), f"no rejects test for {name}"
        assert any(checker.__name__ == name for checker, _ in map(_unwrap, REFERENCES.values())), (
            f"no passing answer for {name}"
        )


def _unwrap(entry):
    checker, answer = entry
    return (checker.func if isinstance(checker, partial) else checker), answer


CHECKERS = sorted(name for name, obj in vars(ex).items() if name.startswith("check_") and inspect.isfunction(obj))


def _states(hint: str, expected) -> bool:
    """Whether a hint writes out a count or a pair that is the case's answer."""
    if isinstance(expected, tuple):
        return str(tuple(expected)) in hint
    value = compare._plain(expected)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False  # arrays: a hint could not state one by accident
    text = f"{value:g}"
    return re.search(rf"(?<![\w.]){re.escape(text)}(?![\w.])", hint) is not None


@pytest.mark.parametrize("name", CHECKERS)
def test_every_hand_picked_case_is_a_case_with_a_hint_that_does_not_state_the_answer(name, monkeypatch):
    checker = getattr(ex, name)
    module = sys.modules[checker.__module__]
    seen = {}

    def spy(func, reference, cases, compare=compare.compare_arrays, names=None, fixed=None):
        seen.update(reference=reference, cases=cases, fixed=fixed)
        return core.check(func, reference, cases, compare, names, fixed)

    monkeypatch.setattr(module, "check", spy)
    checker(lambda *args: 0)
    cases = seen["cases"]
    assert all(isinstance(case, Case) for case in cases)
    hand_picked = cases[: seen["fixed"]] if seen["fixed"] else cases  # no fixed case: every case is hinted
    assert hand_picked and all(case.hint for case in hand_picked), f"{name}: a hand-picked case without a hint"
    for case in hand_picked:
        expected = seen["reference"](*case.args) if case.expected is None else case.expected
        assert not _states(case.hint, expected), f"{name}: the hint {case.hint!r} states the answer {expected!r}"


def test_every_module_of_the_package_has_its_test_file():
    modules = {path.stem for path in Path(ex.__file__).parent.glob("*.py")} - {"__init__"}
    assert sorted(m for m in modules if not (HERE / f"test_{m}.py").exists()) == []
