"""The cnnkit code the chapters show with ``literalinclude`` exists and is what the book shows.

A chapter shows tested source instead of a printout (``:pyobject:`` names a top-level function or
class); when cnnkit is reorganised, these tests say which directive points at nothing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from sphinx.config import Config
from sphinx.directives.code import LiteralIncludeReader

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _literalincludes(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Every ``literalinclude`` of a notebook's markdown: (file, options)."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for target, body in re.findall(r"```\{literalinclude\}\s+(\S+)\n(.*?)```", cell.source, flags=re.DOTALL):
            options = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", body, flags=re.MULTILINE))
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
    shown = {path.name: [opts.get("pyobject") for _, opts in _literalincludes(path)] for path in CHAPTERS}
    assert {name: objects for name, objects in shown.items() if objects} == {
        "01_convolution.ipynb": ["conv2d_loop"],
        "05_pooling.ipynb": ["stochastic_pool2d"],
        "06_transposed_convolution.ipynb": ["conv_transpose2d_scatter"],
        "07_training.ipynb": ["Conv2d", "NumpyCNN", "softmax_cross_entropy", "train_numpy", "SGD", "train_torch"],
        "09_vgg16_activations.ipynb": ["train_small_vgg"],
        "10_filter_visualisation.ipynb": ["visualise", "normalised_step"],
        "11_class_activation_maps.ipynb": ["class_activation_map", "grad_cam", "_guided_relu_backward"],
    }


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_literalinclude_targets_exist(path):
    for target, options in _literalincludes(path):
        file = (path.parent / target).resolve()
        assert file.is_file(), f"{path.name}: literalinclude of a missing file {target}"
        source = _top_level_source(file, options["pyobject"])
        for anchor in ("start-at", "end-before"):
            if anchor in options:
                assert options[anchor] in source, f"{path.name}: {options[anchor]!r} no longer in {options['pyobject']}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_literalinclude_resolves_with_sphinx(path):
    """Sphinx's own reader selects non-empty code for every directive (what the book shows)."""
    config = Config({}, {})
    for target, options in _literalincludes(path):
        opts = {key: (value or None) for key, value in options.items() if key != "language"}
        text, lines = LiteralIncludeReader(str((path.parent / target).resolve()), opts, config).read()
        assert lines > 0 and text.strip(), f"{path.name}: {target} {options} selects nothing"
        assert not text.startswith((" ", "\t")), f"{path.name}: {options['pyobject']} is shown indented"
