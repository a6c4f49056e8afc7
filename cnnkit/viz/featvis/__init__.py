"""Feature visualisation: find an input image that makes one filter respond strongly.

Gradient ascent on the input (Erhan et al. 2009; the Keras blog, Chollet 2016; Olah, Mordvintsev
and Schubert 2017) treats the image as the thing to learn and the network as fixed:

.. math::

    x^\\star = \\arg\\max_x \\; \\frac{1}{HW} \\sum_{i,j} a_{c}^{(\\ell)}(x)_{ij},

the mean activation of channel ``c`` of layer ``ell``. Starting from noise, each step
back-propagates the objective to the pixels and moves the image uphill. The same loop
maximises one unit of a dense layer, such as the logit of a class (Simonyan, Vedaldi and
Zisserman 2013), or a *direction* in a layer's channel space rather than one channel.

As in the lucent library, the method is assembled from small, replaceable parts:

- an **objective**, parsed from a string such as ``"block4_conv1:12"`` (layer, colon, channel):
  :func:`parse_objective`, :class:`ChannelObjective`; or a weighted sum of channels,
  :class:`DirectionObjective` (with :func:`random_directions`);
- a **parametrisation** of the image, i.e. what the optimiser actually changes:
  :class:`PixelImage` (the pixels themselves, optionally clipped to [0, 1] after every step or
  passed through a sigmoid) or :class:`FourierImage` (a spectrum scaled by ``1/f`` with
  decorrelated colours, then a sigmoid; Olah et al. 2017); :func:`fraction_out_of_range` says
  how many pixels left the valid range;
- a list of **random transforms** applied before every forward pass, so that the image has to
  work when shifted, scaled and rotated a little: :class:`Jitter`, :class:`RandomScale`,
  :class:`RandomRotate`;
- an **optimiser loop** with a seed: :func:`visualise`. It optimises a whole grid of filters as
  one batch: batch element ``b`` maximises objective ``b``; with ``diversity=`` it also
  penalises the similarity of the batch's images (Olah et al. 2017), measured by
  :func:`gram_similarity` and :func:`diversity_penalty`.

All transforms are written with indexing and ``torch.gather`` (not ``grid_sample`` or reflection
padding), whose gradients are deterministic on the CPU *and* on CUDA, so that a seeded run gives
the same image twice under ``torch.use_deterministic_algorithms(True)``.

The parts live in one module each, as in lucid: :mod:`~cnnkit.viz.featvis.objectives`,
:mod:`~cnnkit.viz.featvis.diversity`, :mod:`~cnnkit.viz.featvis.parametrisations`,
:mod:`~cnnkit.viz.featvis.transforms` and :mod:`~cnnkit.viz.featvis.render`; every public name
is re-exported here.
"""

from cnnkit.viz.featvis import diversity, objectives, parametrisations, render, transforms
from cnnkit.viz.featvis.diversity import diversity_penalty, gram_matrices, gram_similarity
from cnnkit.viz.featvis.objectives import (
    ChannelObjective,
    DirectionObjective,
    Objective,
    layer_channels,
    parse_objective,
    random_directions,
)
from cnnkit.viz.featvis.parametrisations import (
    IMAGENET_COLOUR_SQRT,
    FourierImage,
    PixelImage,
    StackedImages,
    colour_share,
    fraction_out_of_range,
    image_param,
)
from cnnkit.viz.featvis.render import (
    FeatureVisualisation,
    normalised_step,
    objective_values,
    visualise,
    visualise_layers,
)
from cnnkit.viz.featvis.transforms import (
    ChannelNormalise,
    Jitter,
    RandomRotate,
    RandomScale,
    Transform,
    affine_resample,
    apply_transforms,
    default_transforms,
)

__all__ = [
    *objectives.__all__,
    *diversity.__all__,
    *parametrisations.__all__,
    *transforms.__all__,
    *render.__all__,
]
