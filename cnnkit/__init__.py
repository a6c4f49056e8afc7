"""cnnkit: the helper package of the open textbook on convolutional neural networks.

The chapters import everything they compute from here. The layout follows one rule, what a module
*does*, not which chapter first needed it:

- :mod:`cnnkit.ops`: numpy maths, numpy in and numpy out: convolution, pooling, transposed
  convolution, classical filters, resizing, deconvolution, min-max scaling, the steps of a
  convolution; checked against ``torch.nn.functional``.
- :mod:`cnnkit.shapes`: all size arithmetic (output sizes, padding, receptive fields, the span of
  a dilated kernel, which pixels the windows read); the one source of truth for every formula.
- :mod:`cnnkit.models`: networks and the loading of their weights (LeNet, a small VGG, VGG16,
  EfficientNet-Lite0, the architectures of chapter 8), summaries, :func:`cnnkit.models.eval_mode`;
  beside it :mod:`cnnkit.train` (the training loop), :mod:`cnnkit.weights`, :mod:`cnnkit.augment`.
- :mod:`cnnkit.viz`: looking inside models, without matplotlib: activations, class activation
  maps and their sanity checks, dataset exemplars, localisation, and feature visualisation split
  as lucid splits it (objectives, parametrisations, transforms, the render loop).
- :mod:`cnnkit.plot`: everything that draws (matplotlib), from arrays and diagrams to animations.
- :mod:`cnnkit.display`: notebook display (numbers glued into the prose, boxed notes); only
  :mod:`cnnkit.book`, the chapters' plumbing (VGG16 for a chapter, with a warning box when it
  has no weights), uses it.
- :mod:`cnnkit.data`: the shipped MNIST test split and bundled photographs;
  :mod:`cnnkit.exercises`: the checkers of the implement-it exercises.

Dependencies run one way: ``shapes`` <- ``ops`` <- ``models`` <- ``viz`` <- ``plot``, and
``display`` depends on nothing of cnnkit. No module imports a private name of another package;
the checks and type aliases that every package shares live in one private module each,
``cnnkit._checks`` and ``cnnkit._types`` (``tests/test_layout.py`` enforces all of this).

Nothing is downloaded and no device is chosen at import time.
"""

from cnnkit._seed import seed_everything

__version__ = "0.2.0"

__all__ = ["__version__", "seed_everything"]
