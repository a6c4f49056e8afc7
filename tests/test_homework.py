"""tools/homework.py: a homework notebook holds the exercise and its stub, never the solution,
and grading runs each checker itself after the student's cell (tests/test_grading.py grades
adversarial submissions)."""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import homework

STUB = '''def pad2d(x, p):
    """Zero padding."""
    raise NotImplementedError("write this function")

check_pad2d(pad2d)'''
SOLUTION = """import numpy as np

def pad2d(x, p):
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
    out[p:p + x.shape[0], p:p + x.shape[1]] = x
    return out

check_pad2d(pad2d)"""
WRONG = """import numpy as np

def pad2d(x, p):
    return np.pad(x, p + 1)

check_pad2d(pad2d)"""


def chapter(tmp_path: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# Padding\n\nText."),
        code("import cnnkit  # set-up"),
        code("from cnnkit.exercises import check_pad2d"),
        md("```{exercise}\n:label: ex-ch3-9\n**Implement it.** Write `pad2d`.\n```"),
        code(STUB),
        md("```{solution-start} ex-ch3-9\n:class: dropdown\n```"),
        code(SOLUTION),
        md("```{solution-end}\n```"),
        md("```{exercise}\n:label: ex-ch3-10\nA question without code.\n```"),
    ]
    path = tmp_path / "03_padding.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_only_exercises_with_a_stub_and_a_checker_are_implement_it(tmp_path):
    found = homework.implement_it_exercises(nbformat.read(chapter(tmp_path), as_version=4))
    assert [(e.label, e.checkers) for e in found] == [("ex-ch3-9", ["check_pad2d"])]


def test_the_homework_has_the_stub_and_not_the_solution(tmp_path):
    hw = homework.make_homework(chapter(tmp_path), ["ex-ch3-9"])
    sources = [c.source for c in hw.cells]
    assert sources[1] == "import cnnkit  # set-up"
    assert "from cnnkit.exercises import check_pad2d" in sources[2]
    assert STUB in sources and SOLUTION not in sources
    assert not any("solution" in s for s in sources)
    assert "## Exercise ex-ch3-9\n\n**Implement it.** Write `pad2d`." in sources  # plain Markdown, no directive
    assert not any("```" in s for s in sources)
    with pytest.raises(SystemExit, match="no implement-it exercise labelled ex-ch3-10"):
        homework.make_homework(chapter(tmp_path), ["ex-ch3-10"])


@pytest.mark.parametrize(
    "body, verdict",
    [(STUB, "not implemented"), (SOLUTION, "passed"), (WRONG, "failed"), ("raise ValueError('oops')", "error")],
)
def test_grading_reads_each_checkers_verdict(tmp_path, body, verdict):
    hw = homework.make_homework(chapter(tmp_path), ["ex-ch3-9"])
    stub = next(c for c in hw.cells if c.metadata.get("homework"))
    stub.source = body
    path = tmp_path / "student.ipynb"
    nbformat.write(hw, path)
    assert homework.grade(path) == {"ex-ch3-9": verdict}


def test_every_chapter_has_at_least_two_implement_it_exercises():
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        found = homework.implement_it_exercises(nbformat.read(path, as_version=4))
        assert len(found) >= 2, f"{path.name}: {len(found)} implement-it exercises"
        for exercise in found:
            assert exercise.checkers, f"{path.name} {exercise.label}: the stub calls no checker"


TRAINING = ROOT / "chapters" / "07_training.ipynb"
TRAINING_EXERCISES = {
    "ex-ch7-1": "check_conv2d",
    "ex-ch7-2": "check_conv2d_backward",
    "ex-ch7-3": "check_numerical_gradient",
    "ex-ch7-4": "check_small_cnn",
}


def solution_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """For each exercise label, the first code cell of its solution that calls a checker."""
    found, label = {}, None
    for cell in notebook.cells:
        start = re.search(r"```\{solution-start\}\s+(\S+)", cell.source) if cell.cell_type == "markdown" else None
        if start:
            label = start.group(1)
        elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            label = None
        elif label and cell.cell_type == "code" and homework.CHECK_CALL.search(cell.source) and label not in found:
            found[label] = cell.source
    return found


def test_the_training_chapter_lists_its_four_implement_it_exercises():
    found = homework.implement_it_exercises(nbformat.read(TRAINING, as_version=4))
    assert {e.label: e.checkers for e in found} == {label: [name] for label, name in TRAINING_EXERCISES.items()}
    listing = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "homework.py"), "list", str(TRAINING)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [line.split()[1:] for line in listing.splitlines()] == [
        [label, name] for label, name in TRAINING_EXERCISES.items()
    ]


def test_the_training_exercises_state_the_checkers_settings():
    from cnnkit.data import mnist_split
    from cnnkit.exercises import SMALL_CNN_MIN_ACCURACY, SMALL_CNN_TRAINING

    text = next(
        e.text.source
        for e in homework.implement_it_exercises(nbformat.read(TRAINING, as_version=4))
        if e.label == "ex-ch7-4"
    )
    split = mnist_split()
    batch = SMALL_CNN_TRAINING["batch_size"]
    steps = SMALL_CNN_TRAINING["epochs"] * -(-len(split.x_train) // batch)
    for fact in (
        f"{SMALL_CNN_MIN_ACCURACY:.0%}",
        f"{steps} steps of Adam",
        f"batches of {batch}",
        f"{len(split.x_train):,} training digits",
        f"{len(split.x_test):,} held-out digits",
    ):
        assert fact in text, fact


def test_the_training_exercises_as_homework_grade_their_stubs_and_their_solutions(tmp_path):
    labels = list(TRAINING_EXERCISES)
    solutions = solution_cells(nbformat.read(TRAINING, as_version=4))
    assert sorted(solutions) == labels
    stubs = homework.make_homework(TRAINING, labels)
    nbformat.write(stubs, tmp_path / "stubs.ipynb")
    answered = homework.make_homework(TRAINING, labels)
    for cell in answered.cells:
        if cell.metadata.get("homework"):
            cell.source = solutions[cell.metadata["homework"]["label"]]
    nbformat.write(answered, tmp_path / "solutions.ipynb")
    assert homework.grade(tmp_path / "stubs.ipynb") == dict.fromkeys(labels, "not implemented")
    assert homework.grade(tmp_path / "solutions.ipynb") == dict.fromkeys(labels, "passed")


def _imported_names(notebook: nbformat.NotebookNode) -> set[str]:
    names = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            tree = homework._parse(cell.source)
            for node in ast.walk(tree) if tree is not None else []:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _cnnkit_public_names() -> set[str]:
    import cnnkit

    names = set()
    for module in pkgutil.walk_packages(cnnkit.__path__, "cnnkit."):
        names |= set(getattr(importlib.import_module(module.name), "__all__", []))
    return names


STUBS_WITHOUT_MY: set[str] = set()  # every chapter's stubs carry the my_ prefix


def test_no_stub_shadows_a_name_of_cnnkit_or_of_the_chapters_imports():
    library = _cnnkit_public_names()
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        imported = _imported_names(notebook)
        for exercise in homework.implement_it_exercises(notebook):
            for call in exercise.calls:
                assert call.function not in library | imported, (
                    f"{path.name} {exercise.label}: {call.function} shadows a name"
                )
                if path.name not in STUBS_WITHOUT_MY:
                    assert call.function.startswith(("my_", "My")), f"{path.name} {exercise.label}: {call.function}"


def test_every_homework_is_plain_markdown_and_carries_what_its_follow_up_uses():
    role = re.compile(r"\{[\w:-]+\}`")
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        exercises = homework.implement_it_exercises(nbformat.read(path, as_version=4))
        notebook = homework.make_homework(path, [e.label for e in exercises])
        assert [e["label"] for e in notebook.metadata["homework"]["exercises"]] == [e.label for e in exercises]
        bound = set(dir(builtins))
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                assert not role.search(cell.source), f"{path.name}: a MyST role is left: {cell.source[:200]}"
                assert "```{" not in cell.source and "(sec-" not in cell.source, f"{path.name}: {cell.source[:200]}"
                continue
            statements = homework._statements(cell.source)
            if cell.metadata.get("homework", {}).get("part") == "apply":  # its names come before it
                missing = {n for s in statements for n in s.read} - bound - {n for s in statements for n in s.bound}
                assert not missing, (
                    f"{path.name}: the follow-up reads {sorted(missing)}, which the homework does not define"
                )
            bound |= {n for s in statements for n in s.bound}
        with_follow_up = [e.label for e in exercises if e.apply]
        parts = {
            c.metadata.get("homework", {}).get("label")
            for c in notebook.cells
            if c.metadata.get("homework", {}).get("part") == "apply"
        }
        assert parts == set(with_follow_up), path.name


def test_the_architecture_homework_reproduces_the_tables_multiply_adds_with_the_chapters_statements():
    notebook = homework.make_homework(ROOT / "chapters" / "08_architectures.ipynb", ["ex-ch8-6"])
    apply = [c.source for c in notebook.cells if c.metadata.get("homework", {}).get("part") == "apply"]
    assert apply[0].startswith("### Then use it")
    assert apply[1].startswith("# From the chapter: what the next cells use") and "costs[name] = " in apply[1]
    assert "my_conv_macs(C, C, k, size, size)" in apply[-1] and "costs[name][1]" in apply[-1]
    text = next(c.source for c in notebook.cells if c.source.startswith("## Exercise ex-ch8-6"))
    assert "the section “Blocks of efficient modern networks”" in text
