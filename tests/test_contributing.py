"""CONTRIBUTING.md's "Where code goes" table, checked against the code.

- every path the table names exists, and every module or folder it lists under a role folder is
  a module or a subpackage of that folder;
- every public module and subpackage of cnnkit is named: a top-level one in the "where" column, a
  module of a role folder in the modules column (``cnnkit/exercises/`` excepted: its modules are
  named in the docstring of ``cnnkit/exercises/__init__.py``, as the table says, and checked there);
- the layer column agrees with ``LAYERS`` in ``tests/test_layout.py``, the one source of the layers.
"""

import re
from pathlib import Path

import pytest

from tests.test_layout import LAYERS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnkit"
# role folders whose modules are listed elsewhere (and where), not in CONTRIBUTING's table
LISTED_ELSEWHERE = {"exercises": "cnnkit/exercises/__init__.py"}


def _rows() -> list[tuple[str, list[str], str]]:
    """(layer, paths of the "where" column, text of the modules column) for each row of the table."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Where code goes", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("layer", "---"):
            continue
        rows.append((cells[0], re.findall(r"`(cnnkit/[^`]*)`", cells[2]), cells[3]))
    return rows


ROWS = _rows()


def _listed_modules(modules: str) -> set[str]:
    """The module files and folders the modules column names, relative to its role folder.

    ``featvis/` (`objectives.py`, ...)`` lists the modules of a subpackage in the brackets after it,
    which come back as ``featvis/objectives.py``.
    """
    names = set()
    folder, inside = "", False
    for name, opening, closing in re.findall(r"`([^`]*)`|(\()|(\))", modules):
        if opening:
            inside = True
        elif closing:
            inside, folder = False, ""
        elif name.endswith("/"):
            names.add(name)
            folder = name
        elif name.endswith(".py"):
            names.add(folder + name if inside else name)
    return names


def test_the_table_is_found():
    assert len(ROWS) >= 10


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row[1][0] if row[1] else "?")
def test_every_path_named_exists(row):
    _, paths, modules = row
    assert paths, f"a row without a cnnkit path: {row}"
    for path in paths:
        assert (ROOT / path).exists(), f"CONTRIBUTING names {path}, which does not exist"
    for inline in re.findall(r"`(cnnkit/[^`]*)`", modules):
        assert (ROOT / inline).exists(), f"CONTRIBUTING names {inline}, which does not exist"
    if len(paths) == 1 and paths[0].endswith("/"):
        for name in _listed_modules(re.sub(r"`cnnkit/[^`]*`", "", modules)):
            assert (ROOT / paths[0] / name).exists(), f"CONTRIBUTING lists {name} under {paths[0]}"


def test_every_top_level_module_is_named():
    named = {path.rstrip("/") for _, paths, _ in ROWS for path in paths}
    public = {
        f"cnnkit/{path.name}"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists()) and path.name not in ("__init__.py", "conftest.py")
    }
    assert public - named == set(), "modules missing from CONTRIBUTING's table"


@pytest.mark.parametrize(
    "path", [ROOT / p for _, paths, _ in ROWS for p in paths if p.endswith("/")], ids=lambda p: p.name
)
def test_every_module_of_a_role_folder_is_listed(path):
    if path.name in LISTED_ELSEWHERE:
        pytest.skip(f"its modules are listed in {LISTED_ELSEWHERE[path.name]}")
    modules = next(m for _, paths, m in ROWS if f"cnnkit/{path.name}/" in paths)
    actual = {
        str(module.relative_to(path)).removesuffix("__init__.py")
        for module in path.rglob("*.py")
        if module != path / "__init__.py"
    }
    assert actual - _listed_modules(modules) == set(), f"modules of {path.name}/ missing from CONTRIBUTING's table"


def test_layers_agree_with_test_layout():
    table = {}
    for layer, paths, _ in ROWS:
        for path in paths:
            name = Path(path.rstrip("/")).stem
            if not name.startswith("_"):
                table[name] = layer
    expected = {name: str(layer) for name, layer in LAYERS.items()}
    assert {name: table[name] for name in expected} == expected
    assert table["display"] == "leaf"
    assert set(table) - set(LAYERS) == {"display"}


def test_exercise_modules_are_named_in_their_docstring():
    text = (ROOT / LISTED_ELSEWHERE["exercises"]).read_text(encoding="utf-8")
    docstring = text.split('"""')[1]
    modules = {path.stem for path in (PACKAGE / "exercises").glob("*.py") if path.name != "__init__.py"}
    named = set(re.findall(r"cnnkit\.exercises\.(\w+)", docstring))
    assert modules - named == set(), "modules of cnnkit/exercises/ missing from its docstring"
