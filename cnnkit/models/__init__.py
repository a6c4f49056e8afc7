"""Networks and the loading of their weights: LeNet-5, a small VGG for MNIST, VGG16 and
EfficientNet-Lite0 with Keras-style layer names, the architectures of chapter 8, a Keras-style
summary table for any torch model, and :func:`eval_mode`.

Import from the submodule that defines each, e.g. ``from cnnkit.models.small_vgg import small_vgg``.
"""

from cnnkit.models.mode import eval_mode

__all__ = ["eval_mode"]
