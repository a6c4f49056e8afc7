"""Seeded augmentation: v2 pipelines per image, the vectorised random shift, fixed shifts."""

import numpy as np
import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from cnnkit.augment import (
    RandomShift,
    as_tensor_image,
    augment,
    augmentation,
    random_shift,
    shift_digits,
)


def test_shift_digits_moves_and_fills_with_zeros():
    x = np.arange(1, 26).reshape(5, 5)
    y = shift_digits(x, 2, 1)
    assert np.array_equal(y[1:, 2:], x[:-1, :-2])
    assert (y[0] == 0).all() and (y[:, :2] == 0).all()
    assert np.array_equal(shift_digits(x, 0, 0), x)
    assert np.array_equal(shift_digits(shift_digits(x, -1, 0), 1, 0)[:, 1:], x[:, 1:])
    assert (shift_digits(x, 5, 0) == 0).all()


def test_shift_digits_works_on_batches_and_tensors():
    x = torch.rand(3, 1, 6, 6)
    y = shift_digits(x, -2, 3)
    assert isinstance(y, torch.Tensor) and y.shape == x.shape
    assert torch.equal(y[..., 3:, :4], x[..., :3, 2:])
    with pytest.raises(TypeError, match="dx"):
        shift_digits(x, 1.5, 0)


def test_random_shift_equals_a_random_crop_of_the_padded_image():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(50, 2, 7, 9)
    y = random_shift(x, 2, gen)
    padded = TF.pad(x, [2, 2, 2, 2])
    for i in range(len(x)):
        crops = [padded[i, :, t : t + 7, l : l + 9] for t in range(5) for l in range(5)]
        assert any(torch.equal(y[i], c) for c in crops)
    # several different shifts were drawn
    assert len({tuple(y[i].flatten().tolist()) for i in range(len(x))}) > 10


def test_random_shift_is_reproducible_and_leaves_global_state_alone():
    x = torch.rand(8, 1, 5, 5)
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a = RandomShift(1)(x, torch.Generator().manual_seed(3))
    after = torch.rand(1)
    b = RandomShift(1)(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and torch.equal(before, after)
    assert torch.equal(random_shift(x, 0), x)
    with pytest.raises(ValueError, match="max_shift"):
        RandomShift(-1)


def test_augment_draws_per_image_and_is_seeded():
    x = torch.rand(1, 3, 16, 16).repeat(6, 1, 1, 1)
    t = augmentation(size=12, flip=True, rotation=20, brightness=0.3, hue=0.1)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = augment(x, t, seed=7)
    assert torch.equal(torch.get_rng_state(), state)  # global generator untouched
    b = augment(x, t, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b) and a.shape == (6, 3, 12, 12)
    assert len({tuple(im.flatten().tolist()) for im in a}) == 6  # each image drew its own
    assert not torch.equal(a, augment(x, t, seed=8))
    single = augment(x[0], t, seed=1)
    assert single.shape == (3, 12, 12)


def test_augmentation_steps_and_errors():
    names = [type(s).__name__ for s in augmentation(padding=2, rotation=5, brightness=0.2).transforms]
    assert names == ["_SameSizeRandomCrop", "RandomRotation", "ColorJitter"]
    assert [type(s).__name__ for s in augmentation().transforms] == ["Identity"]
    with pytest.raises(ValueError, match="rotation"):
        augmentation(rotation=-3)
    with pytest.raises(ValueError, match="padding"):
        augmentation(padding=-1)


def test_padding_only_crop_keeps_size_and_is_a_shift():
    x = torch.rand(1, 10, 10)
    y = augment(x, augmentation(padding=3), seed=0)
    padded = TF.pad(x, [3, 3, 3, 3])
    assert any(torch.equal(y, padded[:, t : t + 10, l : l + 10]) for t in range(7) for l in range(7))


def test_as_tensor_image_layout():
    img = np.random.default_rng(0).random((4, 6, 3))
    t = as_tensor_image(img)
    assert t.shape == (3, 4, 6) and t.dtype == torch.float32
    assert np.allclose(t[1].numpy(), img[..., 1])
    with pytest.raises(ValueError, match="image"):
        as_tensor_image(np.zeros(5))
