"""Everything that draws: arrays, diagrams, animations, pooling, feature maps, overlays,
exemplars and the figures of feature visualisation.

The numbers a figure shows are computed by :mod:`cnnkit.ops`, :mod:`cnnkit.shapes` or
:mod:`cnnkit.viz`; a plotting helper only draws them. Import from the submodule that holds each
helper, e.g. ``from cnnkit.plot.animation import animate_conv2d``. Every helper takes
``ax=None``, draws on it and returns what it drew; none calls ``plt.show()`` or changes rcParams.
"""
