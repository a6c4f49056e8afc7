"""Data that the book uses without a network: the MNIST test split and bundled photographs.

MNIST
-----
cnnkit ships the genuine MNIST *test* split (10,000 digits) inside the package, so that every
chapter runs offline, in CI and in Colab. The 60,000-image training files are not shipped.
Offline, the book therefore trains on a fixed, documented division of those 10,000 digits:

- a permutation of ``range(10000)`` drawn with ``numpy.random.default_rng(0)``;
- its first 8,000 indices are the *training* digits, the last 2,000 the *held-out* digits.

Every accuracy the book prints is measured on those 2,000 held-out digits, which the network
never sees while it trains. (A random split rather than "the first 8,000" matters: the MNIST test
file holds the digits of two groups of writers one after the other.)

With internet access, :func:`load_mnist_torchvision` returns torchvision's full download instead.

Photographs
-----------
:func:`load_image` returns one of scikit-image's bundled photographs as floats in [0, 1],
optionally converted to grey and resized, so no chapter downloads a picture.
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cnnkit._checks import did_you_mean

__all__ = [
    "MNIST_CHECKSUMS",
    "MnistSplit",
    "load_mnist",
    "mnist_split",
    "load_mnist_torchvision",
    "read_idx",
    "load_image",
    "IMAGE_NAMES",
]

#: md5 sums of the shipped files, the same as in torchvision's ``MNIST.resources``.
MNIST_CHECKSUMS = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Number of digits in the offline training part of the split; the rest are held out.
N_TRAIN = 8000
#: Seed of the permutation that defines the split.
SPLIT_SEED = 0

# The IDX format (http://yann.lecun.com/exdb/mnist/): a magic number whose third byte is the
# data type (0x08 = unsigned byte) and whose fourth is the number of dimensions, then one
# big-endian int32 per dimension, then the data.
_IDX_DTYPES: dict[int, type | str] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _mnist_dir() -> Path:
    return Path(str(resources.files("cnnkit") / "_data" / "mnist"))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    Args:
        path: the ``.idx`` or ``.gz`` file.

    Returns:
        The array, with the shape and dtype stored in the file's header.

    Example:
        >>> images = read_idx(_mnist_dir() / "t10k-images-idx3-ubyte.gz")
        >>> images.shape, images.dtype
        ((10000, 28, 28), dtype('uint8'))
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file: its first two bytes must be zero")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX data type 0x{code:02x}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=_IDX_DTYPES[code], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} but the file holds {data.size} values")
    return data.reshape(shape).astype(np.dtype(_IDX_DTYPES[code]).newbyteorder("="))


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """Load the shipped MNIST test split.

    Returns:
        ``(images, labels)``: uint8 images of shape (10000, 28, 28) with values 0..255, and int64
        labels of shape (10000,).

    Example:
        >>> images, labels = load_mnist()
        >>> images.shape, labels[:10].tolist()
        ((10000, 28, 28), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        >>> np.bincount(labels).tolist()
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    """
    folder = _mnist_dir()
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return images, labels


class MnistSplit(NamedTuple):
    """The offline split of the MNIST test set (see the module docstring)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray


def mnist_split(normalize: bool = True) -> MnistSplit:
    """The book's offline MNIST split: 8,000 digits to train on, 2,000 held out.

    Args:
        normalize: return float32 images in [0, 1] with a channel axis, shape (N, 1, 28, 28),
            ready for a convolution; if False, the raw uint8 (N, 28, 28) arrays.

    Returns:
        An :class:`MnistSplit` with the arrays and the indices into :func:`load_mnist`'s arrays.

    Example:
        >>> s = mnist_split()
        >>> s.x_train.shape, s.x_test.shape, s.x_train.dtype
        ((8000, 1, 28, 28), (2000, 1, 28, 28), dtype('float32'))
        >>> len(np.intersect1d(s.train_index, s.test_index))
        0
    """
    images, labels = load_mnist()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    train_index, test_index = order[:N_TRAIN], order[N_TRAIN:]
    if normalize:
        images = (images.astype(np.float32) / 255.0)[:, None]
    return MnistSplit(
        images[train_index],
        labels[train_index],
        images[test_index],
        labels[test_index],
        train_index,
        test_index,
    )


def load_mnist_torchvision(root: str | Path, train: bool = True, download: bool = True):
    """The full MNIST through torchvision (needs internet the first time).

    This is the online alternative to :func:`mnist_split`; the book never calls it while it
    is built or tested.

    Args:
        root: folder where torchvision keeps the files.
        train: the 60,000 training digits if True, else the 10,000 test digits.
        download: let torchvision download the files when they are missing.

    Returns:
        ``(images, labels)`` as numpy arrays, uint8 (N, 28, 28) and int64 (N,).
    """
    from torchvision.datasets import MNIST

    ds = MNIST(str(root), train=train, download=download)
    return ds.data.numpy(), ds.targets.numpy().astype(np.int64)


#: Photographs bundled with scikit-image that the book uses.
IMAGE_NAMES = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "brick",
    "grass",
    "gravel",
    "moon",
    "rocket",
    "cat",
    "coins",
    "text",
)


def load_image(name: str = "chelsea", gray: bool = False, size: int | tuple[int, int] | None = None) -> np.ndarray:
    """One of scikit-image's bundled photographs as floats in [0, 1].

    Args:
        name: a name from :data:`IMAGE_NAMES` (for example ``"chelsea"``, the cat).
        gray: convert a colour photograph to grey (ITU-R 709 luminance).
        size: resize to ``(height, width)`` (an int means a square), with anti-aliasing.

    Returns:
        Array of shape (H, W) for grey images or (H, W, 3) for colour ones, dtype float64.

    Example:
        >>> load_image("chelsea").shape
        (300, 451, 3)
        >>> load_image("chelsea", gray=True, size=64).shape
        (64, 64)
    """
    if name not in IMAGE_NAMES:
        hint = did_you_mean(name, IMAGE_NAMES)
        raise ValueError(f"unknown image {name!r}; choose one of {', '.join(IMAGE_NAMES)}{hint}")
    import skimage.data
    from skimage import color, transform, util

    img = util.img_as_float(getattr(skimage.data, name)())
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    if gray and img.ndim == 3:
        img = color.rgb2gray(img)
    if size is not None:
        hw = (size, size) if isinstance(size, int) else tuple(size)
        img = transform.resize(img, hw + img.shape[2:], anti_aliasing=True)
    return img
