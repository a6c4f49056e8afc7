"""The layout rule of cnnkit (see cnnkit/__init__.py and CONTRIBUTING.md), checked by parsing.

- No module imports a private name (or a private module) of another package; the private
  modules at the top of cnnkit (``cnnkit._checks``, ``cnnkit._types``, ...) are shared by all.
- Dependencies run one way: shapes and the private modules <- ops <- models <- viz <- plot <-
  book; display.py depends on nothing of cnnkit, and only book.py imports it.
- viz/ never imports matplotlib nor cnnkit.plot: it computes, plot/ draws.
- The dilated kernel span ``d*(k - 1) + 1`` is written in cnnkit/shapes/ only (shapes.dilated_span).
"""

import ast
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnnkit"
MODULES = sorted(PACKAGE.rglob("*.py"))

# the layers, lowest first; a module may import from its own layer and the ones below
LAYERS = {
    "shapes": 0,
    "ops": 1,
    "data": 1,
    "weights": 1,
    "models": 2,
    "train": 2,
    "augment": 2,
    "exercises": 3,
    "viz": 3,
    "plot": 4,
    "book": 5,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import of the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, alias.name, node.lineno) for alias in node.names]
    return found


def _package(module: str) -> str:
    """``cnnkit.viz.featvis.render`` -> ``cnnkit.viz``; top-level modules are their own package."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _is_shared_private(module: str) -> bool:
    parts = module.split(".")
    return len(parts) == 2 and parts[1].startswith("_")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_of_another_package(path):
    here = _package(_module_name(path))
    bad = []
    for module, name, line in _imports(path):
        if not module.startswith("cnnkit.") or _is_shared_private(module):
            continue
        other = _package(module)
        private_module = any(part.startswith("_") and part != "__init__" for part in module.split(".")[1:])
        private_name = name is not None and name.startswith("_")
        if other != here and (private_module or private_name):
            bad.append(f"line {line}: from {module} import {name}")
    assert not bad, f"{path.name} imports private names of another package: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_run_one_way(path):
    here = _module_name(path).split(".")
    if len(here) < 2 or here[1] not in LAYERS:
        return
    level = LAYERS[here[1]]
    bad = [
        f"line {line}: {module}"
        for module, _, line in _imports(path)
        if module.startswith("cnnkit.") and module.split(".")[1] in LAYERS and LAYERS[module.split(".")[1]] > level
    ]
    assert not bad, f"{path.name} imports from a higher layer: {bad}"


def test_display_depends_on_nothing_of_cnnkit():
    assert not [m for m, _, _ in _imports(PACKAGE / "display.py") if m.startswith("cnnkit")]


def test_only_book_shows_things_in_a_notebook():
    """cnnkit.display is imported by cnnkit/book.py (chapter plumbing) and the chapters only."""
    users = [
        str(path.relative_to(PACKAGE))
        for path in MODULES
        if path.name not in ("book.py", "display.py") and any(m == "cnnkit.display" for m, _, _ in _imports(path))
    ]
    assert users == []


@pytest.mark.parametrize("path", sorted((PACKAGE / "viz").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_viz_never_imports_matplotlib_or_plot(path):
    bad = [m for m, _, _ in _imports(path) if m.split(".")[0] == "matplotlib" or m.startswith("cnnkit.plot")]
    assert not bad, f"{path.name} imports {bad}: drawing belongs in cnnkit/plot"


def _code_lines(path):
    """Each line's code without its strings and comments (docstrings may state the formula)."""
    lines: dict[int, list[str]] = {}
    with path.open("rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type in (tokenize.STRING, tokenize.COMMENT, tokenize.ENCODING) or tok.type >= tokenize.N_TOKENS:
                continue
            if getattr(tokenize, "FSTRING_START", None) is not None and tok.type in (
                tokenize.FSTRING_START,
                tokenize.FSTRING_MIDDLE,
                tokenize.FSTRING_END,
            ):
                continue
            lines.setdefault(tok.start[0], []).append(tok.string)
    return {n: " ".join(parts) for n, parts in lines.items()}


def test_the_dilated_span_is_written_in_shapes_only():
    span = re.compile(
        r"\b\w+(\s*\[\s*\w+\s*\])?\s*\*\s*\(\s*\w+(\s*\[\s*\w+\s*\])?\s*-\s*1\s*\)\s*\+\s*1\b"
    )  # d*(k - 1) + 1, d[0] * (k[0] - 1) + 1
    assert span.search("d * ( k - 1 ) + 1") and span.search("d [ 0 ] * ( k [ 0 ] - 1 ) + 1")
    found = []
    for path in MODULES:
        if path.parent.name == "shapes":
            continue
        for n, code in _code_lines(path).items():
            if span.search(code):
                found.append(f"{path.relative_to(PACKAGE)}:{n}: {code}")
    assert not found, "use cnnkit.shapes.dilated_span: " + "; ".join(found)


def test_type_aliases_are_defined_once():
    defined = [
        str(path.relative_to(PACKAGE))
        for path in MODULES
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "IntOrPair" for t in node.targets)
    ]
    assert defined == ["_types.py"]


@pytest.mark.parametrize(
    "module",
    ["cnnkit.ops", "cnnkit.models", "cnnkit.viz.featvis", "cnnkit.exercises", "cnnkit.display", "cnnkit._checks"],
)
def test_every_name_in_all_exists(module):
    import importlib

    mod = importlib.import_module(module)
    assert [name for name in mod.__all__ if not hasattr(mod, name)] == []
    assert len(set(mod.__all__)) == len(mod.__all__)
    if mod.__file__.endswith("__init__.py"):  # everything the package imports by name, it exports
        imported = [
            alias.asname or alias.name
            for node in ast.parse(Path(mod.__file__).read_text()).body
            if isinstance(node, ast.ImportFrom) and node.module and node.module.count(".") > module.count(".")
            for alias in node.names
        ]
        assert [name for name in imported if name not in mod.__all__] == []
