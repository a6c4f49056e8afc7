"""Seeing inside a network: activations, feature visualisation, class activation maps, saliency.

Import from the submodule that defines each, e.g. ``from cnnkit.viz.cam import class_activation_map``.
"""
