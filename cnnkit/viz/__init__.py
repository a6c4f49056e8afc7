"""Looking inside a network, without drawing: activations, class activation maps and their
sanity checks, dataset exemplars, localisation, feature visualisation.

Nothing here imports matplotlib or :mod:`cnnkit.plot`; the figures of these results are in
:mod:`cnnkit.plot`. Import from the submodule that defines each, e.g.
``from cnnkit.viz.cam import class_activation_map``.
"""
