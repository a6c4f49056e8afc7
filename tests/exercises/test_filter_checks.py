"""cnnkit.exercises.filter_checks: the Gaussian kernel and PSNR.

Each test gives the checker a wrong answer written as a reader would write it, with one mistake,
and checks that the checker says what went wrong (see tests/exercises/answers.py).
"""

from __future__ import annotations

import numpy as np

from cnnkit import exercises as ex
from cnnkit.ops import (
    psnr,
)
from tests.exercises.answers import (
    WRONG_SHAPE,
    WRONG_VALUE,
    assert_rejected,
)


def test_gaussian_kernel_rejects_a_kernel_that_is_not_normalised():
    def unnormalised(size, sigma):
        x = np.arange(size) - (size - 1) / 2
        return np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))

    result = ex.check_gaussian_kernel(unnormalised)
    assert_rejected(result, "failed on case 1 of 11 (fixed)", "(0, 0): expected 0.0029690167, got 0.018315639")


def test_gaussian_kernel_rejects_an_off_centre_kernel():
    def off_centre(size, sigma):
        x = np.arange(size) - size / 2  # the centre of an even size
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
        return g / g.sum()

    assert_rejected(ex.check_gaussian_kernel(off_centre), "failed on case 1 of 11 (fixed)", WRONG_VALUE)


def test_gaussian_kernel_rejects_sigma_not_squared():
    def over_sigma(size, sigma):
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / sigma)
        return g / g.sum()

    def over_two_sigma(size, sigma):  # right for sigma = 1 only
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma))
        return g / g.sum()

    assert_rejected(ex.check_gaussian_kernel(over_sigma), "failed on case 1 of 11 (fixed)", WRONG_VALUE)
    assert_rejected(
        ex.check_gaussian_kernel(over_two_sigma), "failed on case 2 of 11 (fixed)", "sigma = 0.5", WRONG_VALUE
    )


def test_gaussian_kernel_rejects_a_1d_kernel():
    def one_d(size, sigma):
        x = np.arange(size) - (size - 1) / 2
        g = np.exp(-(x**2) / (2 * sigma**2))
        return g / g.sum()

    assert_rejected(ex.check_gaussian_kernel(one_d), "failed on case 1 ", f"{WRONG_SHAPE} (5, 5), got (5,)")


def test_psnr_rejects_the_rmse_without_the_factor_20():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log10(data_range / np.sqrt(np.mean((r - x) ** 2))))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "expected 20.0, got 10.0")


def test_psnr_rejects_an_ignored_data_range():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log10(1 / np.mean((r - x) ** 2)))
    assert_rejected(result, "failed on case 3 of 9 (fixed)", "data_range = 255", "expected 39.332202, got -8.7986015")


def test_psnr_rejects_the_natural_logarithm():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log(data_range**2 / np.mean((r - x) ** 2)))
    assert_rejected(result, "failed on case 1 of 9 (fixed)", "expected 20.0, got 46.051702")


def test_psnr_rejects_the_mse_over_one_axis():
    result = ex.check_psnr(lambda r, x, data_range=1.0: 10 * np.log10(data_range**2 / np.mean((r - x) ** 2, axis=0)))
    assert_rejected(result, "failed on case 1 ", "expected a number (20.0); got a ndarray")


def test_psnr_cases_never_have_identical_images():
    seen = []
    ex.check_psnr(lambda *case: seen.append(case) or psnr(*case))
    assert len(seen) == 9 and all(not np.array_equal(case[0], case[1]) for case in seen)
    assert {len(case) for case in seen} == {2, 3}  # the default data_range is used too
