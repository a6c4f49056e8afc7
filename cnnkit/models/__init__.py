"""Models used by the book: LeNet-5, a small VGG for MNIST, VGG16 with Keras-style layer names,
and a Keras-style summary table for any torch model.

Import from the submodule that defines each, e.g. ``from cnnkit.models.small_vgg import small_vgg``.
"""
