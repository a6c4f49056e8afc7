"""cnnkit._checks: the shared argument checks, and the enum errors of the public functions."""

import numpy as np
import pytest

from cnnkit._checks import check_choice, did_you_mean, is_int, to_pair
from cnnkit.ops import avg_pool2d, max_pool2d, minmax_scale, resize
from cnnkit.plot.featvis_figures import display_images
from cnnkit.plot.pooling import plot_pooling
from cnnkit.viz.cam import saliency_map


def test_check_choice_names_caller_argument_value_and_choices():
    with pytest.raises(ValueError, match=r"^plot_pooling: mode='mx' is not one of 'max', 'avg'; did you mean 'max'\?$"):
        check_choice("mx", ("max", "avg"), "mode", caller="plot_pooling")
    with pytest.raises(ValueError, match=r"^mode=3 is not one of 'max', 'avg'$"):
        check_choice(3, ("max", "avg"), "mode")
    assert check_choice(None, (None, "clip"), "bound") is None


def test_did_you_mean_and_is_int():
    assert did_you_mean("smae", ["valid", "same"]) == " (did you mean 'same'?)"
    assert did_you_mean("xyz", ["valid", "same"]) == ""
    assert is_int(np.int64(3)) and not is_int(True) and not is_int(3.0)
    assert to_pair(np.int32(2)) == (2, 2)


def test_plot_pooling_rejects_an_unknown_mode():
    x = np.arange(16).reshape(4, 4)
    with pytest.raises(ValueError, match=r"plot_pooling: mode='mx' is not one of 'max', 'avg'; did you mean 'max'\?"):
        plot_pooling(x, max_pool2d(x[None, None], 2)[0, 0], 2, mode="mx")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: resize(np.ones((2, 2)), mode="cubic"), r"resize: mode='cubic' is not one of 'nearest', 'bilinear'"),
        (
            lambda: display_images(np.ones((1, 1, 2, 2)), normalize="std"),
            r"display_images: normalize='std' is not one of",
        ),
        (
            lambda: saliency_map(None, np.ones((1, 1, 4, 4)), reduce="mean"),
            r"reduce='mean' is not one of 'max_abs', 'sum'",
        ),
    ],
)
def test_invalid_enum_strings_are_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pooling_errors_name_the_callers_arguments(pool):
    x = np.ones((1, 1, 6, 6))
    name = pool.__name__
    with pytest.raises(
        ValueError, match=rf"^{name}: padding=2 is more than half of kernel_size=3; padding may be at most 1"
    ):
        pool(x, 3, padding=2)
    with pytest.raises(
        ValueError,
        match=rf"^{name}: padding=\(2, 0\) is more than half of kernel_size=\(3, 3\); padding may be at most \(1, 1\)",
    ):
        pool(x, (3, 3), padding=(2, 0))
    with pytest.raises(ValueError, match=rf"^{name}: kernel \(7, 7\) is larger than the padded input \(6, 6\)"):
        pool(x, 7, padding=0)


def test_minmax_scale_per_slice_and_percentile():
    x = np.array([[0.0, 1.0, 2.0, 100.0], [3.0, 3.0, 3.0, 3.0]])
    np.testing.assert_allclose(minmax_scale(x, axis=1)[0], [0, 0.01, 0.02, 1])
    assert minmax_scale(x, axis=1)[1].tolist() == [0, 0, 0, 0]
    np.testing.assert_allclose(minmax_scale(x[0], percentile=50), [0, 2 / 3, 1, 1])
    with pytest.raises(ValueError, match=r"minmax_scale: percentile=0 must lie in \(0, 100\]"):
        minmax_scale(x, percentile=0)
