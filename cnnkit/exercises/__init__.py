"""Checkers for the implement-it exercises: write the function, then let cnnkit compare it.

In these exercises the reader writes a small function in a code cell (the stub gives its
signature and docstring) and passes it to a checker, for example
``check_correlate2d(my_correlate2d)``. The checker calls the reader's function and cnnkit's
reference on the same inputs: first a few fixed cases picked by hand (the lecture's small
examples and the edge cases: a kernel as large as the input, a stride greater than 1,
non-square arrays), then seeded random ones (``np.random.default_rng(0)``), so that every run
sees the same cases. It stops at the first disagreement and returns a :class:`CheckResult`,
which a notebook (Jupyter or Colab) shows as a short green or red box:

- ``passed: 11 cases``, or
- ``failed on case 2 of 11 (fixed)``, followed by the input, what was expected and what came
  back, and the case's hint (what the case tests and where to look, never the answer). Arrays
  of at most 36 entries are printed in full; larger ones by their shape, with the first index
  at which the two differ. If the reader's function raises an exception, the result names its
  type, its message and the input; the traceback is not shown.
- ``not implemented yet: write the body of correlate2d, then run this cell again`` when the
  function is still the notebook's stub (it raises ``NotImplementedError`` on the first case),
  or ``returned None: did you forget to return the result?`` when it returns nothing.

Arrays are compared by shape first (a wrong shape is reported as such), then with
``np.allclose(actual, expected, rtol=1e-5, atol=1e-8)`` (:func:`compare_arrays`); counts with
``==``, and they must be integers (:func:`compare_numbers`). A function whose result is right
but which changed one of its arguments in place fails too. The failing case's arguments,
expected and actual values are kept on the result (``result.inputs``, ``result.expected``,
``result.actual``, ``result.hint``) to inspect, and ``result.status`` is ``"passed"``,
``"failed"`` or ``"not implemented"``. Within :func:`hidden_cases` the random cases are drawn
with another seed; :mod:`~cnnkit.exercises.grading` grades homework notebooks with them, from
the checkers' verdicts (its names stay in that module).

The package is a small grading core and one module per topic. :mod:`~cnnkit.exercises.core`
holds the :class:`Case` (arguments, optional expected value, hint), the runner :func:`check`,
the :class:`CheckResult` and the runner's messages; :mod:`~cnnkit.exercises.compare` the
comparisons and how a value is printed; :mod:`~cnnkit.exercises.cases` the lecture's arrays
and the seeded random values. The checkers live in
:mod:`~cnnkit.exercises.convolution`, :mod:`~cnnkit.exercises.sizes`,
:mod:`~cnnkit.exercises.filter_checks`, :mod:`~cnnkit.exercises.pooling_checks`,
:mod:`~cnnkit.exercises.transposed`, :mod:`~cnnkit.exercises.training`,
:mod:`~cnnkit.exercises.architectures`, :mod:`~cnnkit.exercises.activation_checks`,
:mod:`~cnnkit.exercises.featvis` and :mod:`~cnnkit.exercises.cam_checks`, and every public name is
re-exported here. Each checker's reference is the library's public function wherever one
computes the same thing.

The checkers by module, each with the signature of the reader's function (its docstring says more):

==================================  =================  =====================================================================
checker                             module             the reader's function
==================================  =================  =====================================================================
:func:`check_correlate2d`           convolution        ``f(x, w)``: valid cross-correlation, with loops
:func:`check_pad2d`                 convolution        ``f(x, p)``: zero padding, ``p`` samples per side
:func:`check_conv2d_strided`        convolution        ``f(x, w, stride)``: valid cross-correlation with a stride
:func:`check_conv_output_size`      sizes              ``f(i, k, p=0, s=1, d=1)``: a convolution's output length
:func:`check_same_padding`          sizes              ``f(size, k, stride=1, dilation=1)``: TensorFlow's 'same'
:func:`check_gaussian_kernel`       filter_checks      ``f(size, sigma)``: a normalised 2-D Gaussian kernel
:func:`check_psnr`                  filter_checks      ``f(reference, image, data_range=1.0)``: PSNR in dB
:func:`check_max_pool2d`            pooling_checks     ``f(x, k)``: max pooling, stride ``k``
:func:`check_max_pool2d_backward`   pooling_checks     ``f(x, k, grad_out)``: its gradient with respect to ``x``
:func:`check_avg_pool_as_conv`      pooling_checks     ``f(x, k)``: average pooling as a strided convolution
:func:`check_conv_transpose2d`      transposed         ``f(x, w, stride)``: transposed convolution by scattering
:func:`check_conv_matrix`           transposed         ``f(w, input_shape)``: cross-correlation as a matrix
:func:`check_conv2d`                training           ``f(x, w, b, stride, padding)``: a batched, multi-channel convolution
:func:`check_conv2d_backward`       training           ``f(x, w, grad_output, stride, padding)``: its ``(dx, dw, db)``
:func:`check_numerical_gradient`    training           ``f(f, x, eps)``: a gradient by central differences
:func:`check_small_cnn`             training           ``cls()``: chapter 7's network as an ``nn.Module``, trained
:func:`check_conv_params`           architectures      ``f(c_in, c_out, k, bias=True)``: a layer's parameters
:func:`check_receptive_field`       architectures      ``f(layers)``: the receptive field of a stack
:func:`check_conv_macs`             architectures      ``f(c_in, c_out, k, h_out, w_out, groups=1)``: multiply-adds
:func:`check_channel_sparsity`      activation_checks  ``f(activations)``: fraction of exact zeros per channel
:func:`check_top_exemplars`         activation_checks  ``f(activations, channel, k)``: top-k images by mean
:func:`check_gradient_ascent_step`  featvis            ``f(x, model, channel, lr)``: one normalised ascent step
:func:`check_total_variation`       featvis            ``f(image)``: total variation, differentiable (torch)
:func:`check_cam`                   cam_checks         ``f(features, weights, class_idx)``: class activation map
:func:`check_grad_cam`              cam_checks         ``f(features, grads)``: the Grad-CAM map of one image
==================================  =================  =====================================================================

Example:
    >>> from cnnkit.ops import convolve2d, correlate2d
    >>> check_correlate2d(correlate2d)
    passed: 11 cases
    >>> check_correlate2d(convolve2d)   # a true convolution flips the kernel
    failed on case 2 of 11 (fixed)
    input:
      x = [[ 0  1  2  3]
           [ 4  5  6  7]
           [ 8  9 10 11]
           [12 13 14 15]]
      w = [[ 1  0]
           [ 0 -1]]
    expected (shape (3, 3)):
      [[-5 -5 -5]
       [-5 -5 -5]
       [-5 -5 -5]]
    got (shape (3, 3)):
      [[5 5 5]
       [5 5 5]
       [5 5 5]]
    first difference at index (0, 0): expected -5, got 5 (9 of 9 entries differ)
    hint: an asymmetric kernel: cross-correlation slides w as it is; flipping it first would be a convolution
"""

from cnnkit.exercises import (
    activation_checks,
    architectures,
    cam_checks,
    cases,
    compare,
    convolution,
    core,
    featvis,
    filter_checks,
    pooling_checks,
    sizes,
    training,
    transposed,
)
from cnnkit.exercises.activation_checks import check_channel_sparsity, check_top_exemplars
from cnnkit.exercises.architectures import check_conv_macs, check_conv_params, check_receptive_field
from cnnkit.exercises.cam_checks import check_cam, check_grad_cam
from cnnkit.exercises.cases import LAPLACIAN, LECTURE_IMAGE, POOL_EXAMPLE
from cnnkit.exercises.compare import FULL_PRINT_SIZE, RETURNED_NONE, compare_arrays, compare_numbers, compare_pair
from cnnkit.exercises.convolution import check_conv2d_strided, check_correlate2d, check_pad2d
from cnnkit.exercises.core import (
    FAILED,
    MAX_ERROR_CHARS,
    NOT_IMPLEMENTED,
    PASSED,
    SEED,
    Case,
    CheckResult,
    case_seed,
    check,
    hidden_cases,
)
from cnnkit.exercises.featvis import check_gradient_ascent_step, check_total_variation, tiny_conv_model
from cnnkit.exercises.filter_checks import check_gaussian_kernel, check_psnr
from cnnkit.exercises.pooling_checks import check_avg_pool_as_conv, check_max_pool2d, check_max_pool2d_backward
from cnnkit.exercises.sizes import check_conv_output_size, check_same_padding
from cnnkit.exercises.training import (
    SMALL_CNN_MIN_ACCURACY,
    SMALL_CNN_TRAINING,
    check_conv2d,
    check_conv2d_backward,
    check_numerical_gradient,
    check_small_cnn,
)
from cnnkit.exercises.transposed import check_conv_matrix, check_conv_transpose2d

__all__ = [
    *core.__all__,
    *compare.__all__,
    *convolution.__all__,
    *sizes.__all__,
    *filter_checks.__all__,
    *pooling_checks.__all__,
    *transposed.__all__,
    *training.__all__,
    *architectures.__all__,
    *activation_checks.__all__,
    *featvis.__all__,
    *cam_checks.__all__,
    # the lecture's arrays that the cases are made of
    "LECTURE_IMAGE",
    "LAPLACIAN",
    "POOL_EXAMPLE",
]
