"""Plotting and animation helpers.

Import from the submodule that holds each helper, e.g.
``from cnnkit.plot.animation import animate_conv2d``. Every helper takes ``ax=None``, draws
on it and returns what it drew; none calls ``plt.show()`` or changes rcParams.
"""
