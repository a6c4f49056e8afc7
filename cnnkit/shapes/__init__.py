"""Output-size arithmetic for convolution, pooling and transposed convolution.

This module is the one source of truth for every size formula in the book: the operations in
:mod:`cnnkit.ops`, the plots and the prose all call these functions, so no formula can drift
between two copies.

Every function takes an int or a pair for each size argument, as PyTorch does (``3`` means
``(3, 3)``). Given only ints it returns an int; given at least one pair it returns a pair,
one value per spatial axis (height, width). The exceptions say so: :func:`padding_amounts`
always returns both axes, ``((top, bottom), (left, right))``, and :func:`to_pair` always a pair.

The arguments are the symbols of the formulas: ``i`` input size, ``k`` kernel size, ``s`` stride,
``p`` padding on each side, ``d`` dilation, ``o`` output size. This is the one stated exception
to the library's keyword names (``stride``, ``padding``, ``dilation`` everywhere else; see
``tests/test_naming.py``): the chapters write the formulas, and call these functions, in these
symbols. A dilated kernel spans ``d*(k - 1) + 1`` input samples (its *effective* size).

The package has three modules, all re-exported here (import from ``cnnkit.shapes``):
:mod:`~cnnkit.shapes.padding` (padding, the kernel's span, pairs),
:mod:`~cnnkit.shapes.output_sizes` (output sizes, and the inputs that give one) and
:mod:`~cnnkit.shapes.receptive_fields` (receptive fields, unit centres, window coverage).
"""

from cnnkit.shapes import output_sizes, padding, receptive_fields
from cnnkit.shapes.output_sizes import (
    TransposedInput,
    conv_output_size,
    conv_transpose_output_padding,
    conv_transpose_output_size,
    keras_conv_transpose_output_size,
    pool_output_size,
    transposed_input_sizes,
)
from cnnkit.shapes.padding import (
    dilated_span,
    padding_amounts,
    same_padding,
    tf_same_padding,
    to_pair,
)
from cnnkit.shapes.receptive_fields import (
    ReceptiveField,
    receptive_field,
    unit_centres,
    window_coverage,
    window_starts,
)

__all__ = [*padding.__all__, *output_sizes.__all__, *receptive_fields.__all__]
