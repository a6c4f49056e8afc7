"""cnnkit: the helper package of the open textbook on convolutional neural networks.

The chapters import everything they compute from here:

- :mod:`cnnkit.shapes`: output-size arithmetic (one source of truth for every formula).
- :mod:`cnnkit.ops`: numpy reference implementations of convolution, pooling and
  transposed convolution, checked against ``torch.nn.functional``.
- :mod:`cnnkit.plot`: plotting and animation helpers.
- :mod:`cnnkit.data`: the shipped MNIST test split and bundled photographs.
- :mod:`cnnkit.models`: LeNet, a small VGG, VGG16 with Keras-style layer names, summaries.
- :mod:`cnnkit.viz`: feature visualisation and class activation maps.

Nothing is downloaded and no device is chosen at import time.
"""

from cnnkit._seed import seed_everything

__version__ = "0.1.0"

__all__ = ["__version__", "seed_everything"]
