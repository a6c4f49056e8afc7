"""The API reference (api.md, issue #23 item 6): every public name of cnnkit is documented there,
and each chapter links there every cnnkit name it imports.

api.md documents each object once, with an ``auto*`` directive under the name a chapter imports it
by; tools/book_extensions/api_reference.py resolves the docstrings' other spellings of it. The
chapters link the entries with ``{py:func}``/``{py:class}``/``{py:data}`` roles (Markdown only),
in the cell after their imports.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import types
from pathlib import Path

import pytest

import cnnkit

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "api.md"
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
DIRECTIVE = re.compile(r"^\.\. auto(module|function|class|exception|data):: (\S+)$", re.M)
ROLE = re.compile(r"\{py:(?:func|class|data|exc|obj|mod)\}`~?([\w.]+)`")


def _import(path: str):
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def public_modules() -> dict[str, types.ModuleType]:
    mods = {"cnnkit": cnnkit}
    for info in pkgutil.walk_packages(cnnkit.__path__, "cnnkit."):
        parts = info.name.split(".")[1:]
        if any(p.startswith("_") for p in parts) or parts[-1] == "conftest":
            continue
        mods[info.name] = importlib.import_module(info.name)
    return mods


def documented() -> dict[str, list[str]]:
    """kind -> the paths api.md documents with that directive."""
    out: dict[str, list[str]] = {}
    for kind, path in DIRECTIVE.findall(API.read_text(encoding="utf-8")):
        out.setdefault(kind, []).append(path)
    return out


def documented_objects() -> dict[int, str]:
    """id(object) -> its documented path, for every documented object."""
    return {id(_import(p)): p for kind, paths in documented().items() if kind != "module" for p in paths}


def test_every_public_module_has_a_section():
    missing = set(public_modules()) - set(documented().get("module", []))
    assert not missing, f"api.md has no automodule for {sorted(missing)}"


def test_every_public_name_is_documented_once():
    docs = documented()
    paths = [p for kind, ps in docs.items() if kind != "module" for p in ps]
    assert len(paths) == len(set(paths)), "a path is documented twice"
    objects = documented_objects()
    assert len(objects) == len(paths), "an object is documented under two names"
    missing = []
    for name, mod in public_modules().items():
        for attr in getattr(mod, "__all__", []):
            obj = getattr(mod, attr)
            if isinstance(obj, types.ModuleType):
                continue
            # a constant is matched by name as well (equal small values can be one object)
            if id(obj) not in objects or (
                not (inspect.isclass(obj) or inspect.isroutine(obj)) and not objects[id(obj)].endswith("." + attr)
            ):
                missing.append(f"{name}.{attr}")
    assert not missing, f"api.md does not document {missing}"


def test_directives_match_the_objects():
    for kind, paths in documented().items():
        for path in paths:
            obj = _import(path)
            if kind == "function":
                assert callable(obj) and not inspect.isclass(obj), path
            elif kind in ("class", "exception"):
                assert inspect.isclass(obj) and issubclass(obj, BaseException) == (kind == "exception"), path
            elif kind == "module":
                assert inspect.ismodule(obj), path


def chapter_imports(path: Path) -> list[str]:
    """The cnnkit names that a chapter's code cells import (``from cnnkit... import name``)."""
    names = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        # IPython's magics and shell lines become ``pass`` (the set-up cell has some inside an ``if``)
        source = "\n".join(
            line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
            for line in "".join(cell["source"]).splitlines()
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnkit"):
                names += [f"{node.module}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(names))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_links_the_api_for_what_it_imports(path):
    objects = documented_objects()
    markdown = "".join(
        "".join(cell["source"])
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "markdown"
    )
    linked = set(ROLE.findall(markdown))
    missing = []
    for name in chapter_imports(path):
        obj = _import(name)
        if inspect.ismodule(obj):
            continue
        target = objects.get(id(obj))
        assert target is not None, f"{path.name} imports {name}, which api.md does not document"
        if target not in linked:
            missing.append(target)
    assert not missing, f"{path.name} imports but does not link to the API reference: {missing}"
