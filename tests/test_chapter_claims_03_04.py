"""Library agreements that chapters 3 (padding) and 4 (stride) state once and check here.

Each chapter keeps one visible check per idea (cnnkit's sizes, padded values and padding modes
agree with PyTorch); the repetitions moved here, with the chapters' inputs, so that nothing the
chapters once printed goes unchecked.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnkit.data import load_image
from cnnkit.ops import conv2d, correlate2d, pad2d
from cnnkit.ops.filters import box_kernel
from cnnkit.shapes import conv_output_size, window_coverage

#: The worked example of chapters 1 to 4 and the Laplacian kernel.
IMAGE = np.array([[0, 10, 9, 3, 4], [4, 3, 2, 1, 5], [10, 2, 10, 3, 0], [3, -1, -3, -3, -4], [-4, -10, -8, -1, -2]])
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])

#: cnnkit's padding modes and the names torch.nn.functional.pad gives them.
TORCH_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


# --------------------------------------------------------------------------------------------
# Chapter 3, padding


@pytest.mark.parametrize("k", [1, 3, 5, 7])
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_ch3_mode_table_sizes_agree_with_torch(mode, k):
    """The table of 'valid', 'same' and 'full' for a 5x5 input: PyTorch gives the same sizes."""
    x = torch.zeros(1, 1, 5, 5)
    w = torch.zeros(1, 1, k, k)
    torch_padding = k - 1 if mode == "full" else mode  # PyTorch has no 'full'
    if mode == "valid" and k > 5:
        with pytest.raises(ValueError):
            conv_output_size(5, k, p=mode)
        with pytest.raises(RuntimeError):
            F.conv2d(x, w, padding=torch_padding)
        return
    assert conv_output_size(5, k, p=mode) == F.conv2d(x, w, padding=torch_padding).shape[-1]


@pytest.mark.parametrize("padding", ["valid", "same", "full"])
def test_ch3_worked_example_agrees_with_torch(padding):
    """The worked example filtered with the Laplacian: cnnkit's values are PyTorch's."""
    ours = correlate2d(IMAGE, LAPLACIAN, padding=padding)
    torch_padding = 2 if padding == "full" else padding
    xt = torch.tensor(IMAGE, dtype=torch.float64)[None, None]
    wt = torch.tensor(LAPLACIAN, dtype=torch.float64)[None, None]
    assert np.array_equal(F.conv2d(xt, wt, padding=torch_padding)[0, 0].numpy(), ours)


@pytest.mark.parametrize("mode", list(TORCH_PAD_MODES))
def test_ch3_pad2d_agrees_with_torch_pad_in_every_mode(mode):
    """The chapter prints one line for all four modes; here each mode on its own."""
    x = np.random.default_rng(0).normal(size=(1, 1, 6, 7))
    ours = pad2d(x, ((1, 2), (3, 2)), mode=mode)
    theirs = F.pad(torch.from_numpy(x), (3, 2, 1, 2), mode=TORCH_PAD_MODES[mode]).numpy()
    assert np.array_equal(ours, theirs)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return load_image("camera", gray=True, size=192)


@pytest.mark.parametrize("mode", list(TORCH_PAD_MODES))
def test_ch3_blurred_photograph_agrees_with_torch_padding_mode(photo, mode):
    """The 15x15 box blur of the photograph: conv2d(padding_mode=...) against nn.Conv2d."""
    k = 15
    ours = conv2d(photo[None, None], box_kernel(k)[None, None], padding="same", padding_mode=mode)[0, 0]
    layer = torch.nn.Conv2d(1, 1, k, padding="same", padding_mode=mode, bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(box_kernel(k))[None, None])
        reference = layer(torch.from_numpy(photo)[None, None])[0, 0].numpy()
    assert np.abs(ours - reference).max() < 1e-12


def test_ch3_functional_conv2d_has_no_padding_mode():
    """Only the module nn.Conv2d takes padding_mode: F.conv2d refuses it, and F.pad followed by
    F.conv2d is what the module computes."""
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    layer = torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")
    with pytest.raises(TypeError):
        F.conv2d(x, layer.weight, padding=1, padding_mode="reflect")
    with torch.no_grad():
        assert torch.equal(layer(x), F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), layer.weight, layer.bias))


@pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")
def test_ch3_keras_pad_modes_on_the_torch_backend():
    """The Keras column of the chapter's framework table (Keras 3 on the PyTorch backend):
    'replicate' runs though Keras does not document it, 'symmetric' pads like replicate, and the
    documented 'edge' and 'wrap' are refused."""
    os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first `import keras`, as in the chapter
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the chapter runs Keras on the PyTorch backend")
    row = np.array([[1, 2, 3, 4, 5]], dtype="float32")

    def pad(mode: str) -> np.ndarray:
        return keras.ops.convert_to_numpy(keras.ops.pad(row, [[0, 0], [2, 2]], mode=mode))[0]

    replicate = np.pad(row, ((0, 0), (2, 2)), mode="edge")[0]
    assert np.array_equal(pad("replicate"), replicate)
    assert np.array_equal(pad("symmetric"), replicate)  # not NumPy's symmetric [2 1 1 2 3 4 5 5 4]
    assert '"replicate"' not in keras.ops.pad.__doc__
    for mode in ("edge", "wrap"):
        assert f'"{mode}"' in keras.ops.pad.__doc__
        with pytest.raises(NotImplementedError):
            pad(mode)


# --------------------------------------------------------------------------------------------
# Chapter 4, stride


def test_ch4_stride_two_with_padding_one_agrees_with_torch():
    """5x5 input, 3x3 kernel, stride 2, padding 1: three outputs, as PyTorch computes."""
    shape = F.conv2d(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3), stride=2, padding=1).shape
    assert tuple(shape) == (1, 1, 3, 3)
    assert conv_output_size(5, 3, s=2, p=1) == 3


@pytest.mark.parametrize(("k", "p"), [(3, 1), (7, 3)])
def test_ch4_half_padding_on_even_sizes_skips_only_a_padding_zero(k, p):
    """Chapter 4, 'When the stride does not fit': with k=3, p=1 or k=7, p=3 and stride 2 on even
    sizes, i + 2p - k is odd, the last padded sample is skipped, and no image pixel goes unread."""
    for i in range(8, 226, 2):
        assert (i + 2 * p - k) % 2 == 1
        assert (window_coverage((i + 2 * p, 1), (k, 1), s=(2, 1))[:, 0] == 0).sum() == 1
        assert (window_coverage(i, k, s=2, p=p) == 0).sum() == 0


@pytest.mark.parametrize(
    ("i", "k", "p", "s"), [(16, 3, 0, 2), (7, 3, 0, 3), (8, 5, 1, 3), (224, 3, 1, 2), (225, 3, 1, 2)]
)
def test_ch4_skipped_samples_lose_image_rows_only_beyond_the_padding(i, k, p, s):
    """The floor skips r = (i + 2p - k) mod s padded samples: max(r - p, 0) image rows are lost,
    and the output grid's centre sits r/2 pixels before the image's centre."""
    r = (i + 2 * p - k) % s
    lost_rows = int((window_coverage((i, 1), (k, 1), s=(s, 1), p=(p, 0))[:, 0] == 0).sum())
    assert lost_rows == max(r - p, 0)
    centres = -p + (k - 1) / 2 + s * np.arange(conv_output_size(i, k, s, p))
    assert centres.mean() - (i - 1) / 2 == -r / 2
