"""Claims of chapters 9 and 10 that the chapters state once and these tests keep checking.

Chapter 10 shows each identity between CAM and Grad-CAM once, on its five photographs; the
checks that repeated an identity already shown are here, recomputed with the chapter's own
inputs (EfficientNet-Lite0 with its ImageNet weights, the same photographs and classes, the
same random network). The last tests keep the code that chapters 9 and 10 show with
``literalinclude`` resolvable: the function named by ``:pyobject:`` exists in the file, and the
``:start-at:`` and ``:end-before:`` anchors still occur in it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from cnnkit.data import load_image
from cnnkit.models.efficientnet import (
    BLOCK_NAMES,
    efficientnet_lite0,
    efficientnet_lite_preprocess,
)
from cnnkit.viz.cam import cam_for_model, cascading_randomization, grad_cam

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    ROOT / "chapters" / "09_filter_visualisation.ipynb",
    ROOT / "chapters" / "10_class_activation_maps.ipynb",
]

#: The photographs of chapter 10, in its order; the first four are the sanity check's.
PHOTOS = ["chelsea", "coffee", "camera", "rocket", "astronaut"]


@pytest.fixture(scope="module")
def net() -> torch.nn.Module:
    return efficientnet_lite0("imagenet")


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    """The chapter's five photographs as the network's input, (5, 3, 224, 224)."""
    images = {name: load_image(name) for name in PHOTOS}
    images["camera"] = np.stack(
        [images["camera"]] * 3, axis=-1
    )  # grey: the same values in R, G and B
    return torch.cat([efficientnet_lite_preprocess(images[name]) for name in PHOTOS])


@pytest.fixture(scope="module")
def top(net, photos):
    """CAM at the head for each photograph's predicted class (the chapter's ``top``)."""
    return cam_for_model(net, photos, layer="head")


# --------------------------------------------------------------------------------------------
# Chapter 10: Grad-CAM at the last layer of a GAP network is CAM / Z


def test_ch10_grad_cam_with_relu_is_positive_part_of_cam_over_z(net, photos, top):
    """With its ReLU, Grad-CAM at ``head`` is max(CAM, 0) / Z (chapter 10 shows it without)."""
    z = top.maps.shape[-2] * top.maps.shape[-1]
    assert z == 49
    gc_head = grad_cam(net, photos, "head", class_idx=top.class_idx)
    assert np.allclose(gc_head.maps * z, np.maximum(top.maps, 0), atol=1e-4)


def test_ch10_identity_holds_for_a_fully_random_network(net, photos, top):
    """After the cascade has randomised every layer, Grad-CAM at ``head`` before its ReLU is still
    CAM / Z: the identity needs only the pooling head, not trained weights."""
    cascade = ["predictions", "head", *BLOCK_NAMES[::-1], "stem"]
    xs = photos[:4]
    classes = top.class_idx[:4]
    random_net = efficientnet_lite0(weights=None, seed=1)
    randomised = None
    for _, randomised in cascading_randomization(net, random_net, cascade):
        pass
    assert randomised is not None
    cam = cam_for_model(randomised, xs, layer="head", class_idx=classes).maps
    gc = grad_cam(randomised, xs, "head", class_idx=classes, relu=False).maps
    z = cam.shape[-2] * cam.shape[-1]
    assert np.allclose(gc * z, cam, rtol=1e-4, atol=1e-4 * np.abs(cam).max())
    # and the network really is another one: its maps are not the trained network's
    assert not np.allclose(cam, top.maps[:4], atol=1e-2)


# --------------------------------------------------------------------------------------------
# Chapters 9 and 10: the code they show with literalinclude exists


def _literalincludes(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Every ``literalinclude`` of a notebook's markdown: (file, options)."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for target, body in re.findall(
            r"```\{literalinclude\}\s+(\S+)\n(.*?)```", cell.source, flags=re.DOTALL
        ):
            options = dict(
                re.findall(r"^:([\w-]+):[ \t]*(.*)$", body, flags=re.MULTILINE)
            )
            found.append((target, options))
    return found


def _top_level_source(file: Path, name: str) -> str:
    """The source of the top-level function or class ``name`` of a module."""
    text = file.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.get_source_segment(text, node) or ""
    raise AssertionError(f"{file.relative_to(ROOT)} has no top-level {name}")


def test_chapters_show_cnnkit_code_with_literalinclude():
    shown = {
        path.name: [opts.get("pyobject") for _, opts in _literalincludes(path)]
        for path in CHAPTERS
    }
    assert shown == {
        "09_filter_visualisation.ipynb": ["visualise", "normalised_step"],
        "10_class_activation_maps.ipynb": ["class_activation_map", "grad_cam"],
    }


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_literalinclude_targets_exist(path):
    for target, options in _literalincludes(path):
        file = (path.parent / target).resolve()
        assert file.is_file(), f"{path.name}: literalinclude of a missing file {target}"
        source = _top_level_source(file, options["pyobject"])
        for anchor in ("start-at", "end-before"):
            if anchor in options:
                assert options[anchor] in source, (
                    f"{path.name}: {options[anchor]!r} no longer in {options['pyobject']}"
                )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_literalinclude_resolves_with_sphinx(path):
    """Sphinx's own reader selects non-empty code for every directive (what the book shows)."""
    code = pytest.importorskip("sphinx.directives.code")
    from sphinx.config import Config

    config = Config({}, {})
    for target, options in _literalincludes(path):
        opts = {
            key: (value or None) for key, value in options.items() if key != "language"
        }
        text, lines = code.LiteralIncludeReader(
            str((path.parent / target).resolve()), opts, config
        ).read()
        assert lines > 0 and text.strip(), (
            f"{path.name}: {target} {options} selects nothing"
        )
        assert not text.startswith((" ", "\t")), (
            f"{path.name}: {options['pyobject']} is shown indented"
        )
