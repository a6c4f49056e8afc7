"""numpy reference operations of the lecture, checked against ``torch.nn.functional``.

- :mod:`cnnkit.ops.conv`: :func:`conv2d` (vectorised), :func:`conv2d_loop` (readable loop),
  :func:`correlate2d`, :func:`convolve2d` (single 2-D images) and :func:`pad2d`.
- :mod:`cnnkit.ops.pool`: max, average, Lp, stochastic and global average pooling.
- :mod:`cnnkit.ops.transpose`: transposed convolution, its teaching forms and the
  convolution matrix.
- :mod:`cnnkit.ops.backward`: the backward passes of convolution and of max and average pooling
  (:func:`conv2d_backward`, :func:`max_pool2d_backward`, :func:`avg_pool2d_backward`).
- :mod:`cnnkit.ops.filters`: classical image filters, noise and PSNR (chapter 2).
- :mod:`cnnkit.ops.resizing`: resizing by interpolation, resize-convolution, the checkerboard score.
- :mod:`cnnkit.ops.deconvolution`: true deconvolution (the Wiener filter).
- :mod:`cnnkit.ops.intensity`: min-max scaling to [0, 1].
- :mod:`cnnkit.ops.conv_steps`: the steps of a convolution, one per output value (for animations).

Output sizes all come from :mod:`cnnkit.shapes`. Arrays are numpy in, numpy out, with
PyTorch's layouts (N, C, H, W) and argument names.
"""

from cnnkit.ops import backward, conv, deconvolution, filters, intensity, pool, resizing, transpose
from cnnkit.ops.backward import avg_pool2d_backward, conv2d_backward, max_pool2d_backward
from cnnkit.ops.conv import conv2d, conv2d_loop, convolve2d, correlate2d, pad2d
from cnnkit.ops.conv_steps import conv2d_steps
from cnnkit.ops.deconvolution import wiener_deconvolve
from cnnkit.ops.filters import (
    add_gaussian_noise,
    add_impulse_noise,
    add_salt_pepper,
    binomial_kernel3,
    box_kernel,
    filter2d,
    gaussian_kernel,
    laplacian_kernel,
    median_filter,
    prewitt_kernels,
    psnr,
    sobel_kernels,
)
from cnnkit.ops.intensity import minmax_scale
from cnnkit.ops.pool import avg_pool2d, global_avg_pool2d, lp_pool2d, max_pool2d, stochastic_pool2d
from cnnkit.ops.resizing import checkerboard_score, resize, resize_conv
from cnnkit.ops.transpose import (
    conv_matrix,
    conv_transpose2d,
    conv_transpose2d_scatter,
    conv_transpose2d_zero_insertion,
    upsample_zeros,
)

# every public name of each module, and the steps of a convolution
__all__ = [
    *conv.__all__,
    *pool.__all__,
    *transpose.__all__,
    *backward.__all__,
    *filters.__all__,
    *resizing.__all__,
    *deconvolution.__all__,
    *intensity.__all__,
    "conv2d_steps",
]
