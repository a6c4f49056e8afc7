"""cnnkit.data: the shipped MNIST split and the bundled photographs."""

import gzip
import hashlib

import numpy as np
import pytest

from cnnkit import data


def test_shipped_files_match_torchvision_checksums():
    for name, md5 in data.MNIST_CHECKSUMS.items():
        path = data._mnist_dir() / name
        assert hashlib.md5(path.read_bytes()).hexdigest() == md5


def test_mnist_counts_and_ranges():
    images, labels = data.load_mnist()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert images.min() == 0 and images.max() == 255


def test_split_is_disjoint_complete_and_stable():
    a, b = data.mnist_split(), data.mnist_split()
    assert np.array_equal(a.train_index, b.train_index)
    both = np.concatenate([a.train_index, a.test_index])
    assert np.array_equal(np.sort(both), np.arange(10000))
    assert len(a.train_index) == 8000 and len(a.test_index) == 2000
    images, labels = data.load_mnist()
    assert np.array_equal(a.y_test, labels[a.test_index])
    np.testing.assert_allclose(a.x_test[:, 0] * 255, images[a.test_index], atol=1e-4)
    # every class is represented in the held-out part
    assert np.bincount(a.y_test, minlength=10).min() > 150


def test_raw_split_keeps_uint8():
    s = data.mnist_split(normalize=False)
    assert s.x_train.shape == (8000, 28, 28) and s.x_train.dtype == np.uint8


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(bad)
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as f:
        f.write(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(ValueError, match="header says shape"):
        data.read_idx(short)


@pytest.mark.parametrize("name", data.IMAGE_NAMES)
def test_every_bundled_image_loads_offline(name):
    img = data.load_image(name)
    assert img.dtype == np.float64 and img.min() >= 0.0 and img.max() <= 1.0
    assert img.ndim in (2, 3)


def test_load_image_grey_and_resize():
    assert data.load_image("astronaut", gray=True, size=(32, 48)).shape == (32, 48)
    assert data.load_image("astronaut", size=16).shape == (16, 16, 3)


def test_unknown_image_suggests_a_name():
    with pytest.raises(ValueError, match="did you mean 'chelsea'"):
        data.load_image("chelsae")
