"""Networks and the loading of their weights: LeNet-5, a small VGG for MNIST, VGG16 and
EfficientNet-Lite0 with Keras-style layer names, the architectures of chapter 8, a Keras-style
summary table for any torch model, :func:`eval_mode`, the hook recorder
(:class:`cnnkit.models.hooks.LayerRecorder`); and chapter 7's small network written
in numpy (:mod:`cnnkit.models.numpy_cnn`: :class:`NumpyCNN`, built by :func:`small_cnn`, and its
PyTorch twin, :func:`to_torch`).

Import from the submodule that defines each, e.g. ``from cnnkit.models.small_vgg import small_vgg``.
"""

from cnnkit.models.mode import eval_mode
from cnnkit.models.numpy_cnn import NumpyCNN, small_cnn, to_torch

__all__ = ["eval_mode", "NumpyCNN", "small_cnn", "to_torch"]
