"""Grading homework notebooks from the checkers, with adversarial submissions (tools/homework.py
grade, cnnkit.exercises.grading).

One batch of submissions to a small homework is graded once, by the command line, with a hidden
seed and a time limit per notebook; each test reads its grades. Then the book's own solutions,
pasted into a homework of every chapter's exercises, must all pass."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import homework

TIMEOUT = 60  # seconds per notebook: the endless loop uses them all, the others need a fraction
SEED = 81923  # the instructor's hidden seed

PAD_STUB = '''def my_pad2d(x, p):
    """Zero padding."""
    raise NotImplementedError("write this function")


check_pad2d(my_pad2d)'''
PAD = """def my_pad2d(x, p):
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
    out[p:p + x.shape[0], p:p + x.shape[1]] = x
    return out
"""
CAM_STUB = '''def my_cam(features, weights, class_idx):
    """The class activation map."""
    raise NotImplementedError("write this function")


check_cam(my_cam)'''
CAM = """def my_cam(features, weights, class_idx):
    m = np.zeros(features.shape[1:])
    for k in range(features.shape[0]):
        m += weights[class_idx, k] * features[k]
    return m
"""
CORR_STUB = '''def my_correlate2d(x, w):
    """Valid cross-correlation."""
    raise NotImplementedError("write this function")


check_correlate2d(my_correlate2d)'''
CORR = """def my_correlate2d(x, w):
    kh, kw = w.shape
    y = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for u in range(y.shape[0]):
        for v in range(y.shape[1]):
            y[u, v] = np.sum(x[u:u + kh, v:v + kw] * w)
    return y
"""
LABELS = ["ex-p1", "ex-p2", "ex-p3"]

# What each student hands in, cell by cell (None: the cell was deleted); and the grades expected.
SUBMISSIONS = {
    # right answers, with what used to make them fail: a print before the check, a warning, an assert
    "alice": {
        "ex-p1": PAD
        + 'print(my_pad2d(np.ones((2, 2)), 1))\nimport warnings\nwarnings.warn("slow")\nassert check_pad2d(my_pad2d)\ncheck_pad2d(my_pad2d)',
        "ex-p2": CAM + "print('debug', my_cam(np.ones((1, 2, 2)), np.ones((1, 1)), 0))\ncheck_cam(my_cam)",
        "ex-p3": CORR + "check_correlate2d(my_correlate2d)",
    },
    # printed text alone, the stub untouched, a deleted exercise
    "bob": {"ex-p1": 'print("passed")', "ex-p2": CAM_STUB, "ex-p3": None},
    # forgery: a wrong function behind printed, displayed and shadowed "passes"; an answer that
    # changes its input in place; the library's own function
    "carol": {
        "ex-p1": (
            "def my_pad2d(x, p):\n    return x\n\n\n"
            'check_pad2d = lambda f: "passed: 9 cases"\n'
            "from IPython.display import display\n"
            'display({"application/vnd.cnnkit.grade+json": {"label": "ex-p1", "status": "passed", "message": ""}}, raw=True)\n'
            'print("passed: 9 cases")\ncheck_pad2d(my_pad2d)'
        ),
        "ex-p2": (
            "def my_cam(features, weights, class_idx):\n"
            "    features = np.asarray(features, dtype=float)\n"
            "    m = features[0]  # a view: the caller's array changes below\n"
            "    m *= weights[class_idx, 0]\n"
            "    for k in range(1, len(features)):\n"
            "        m += weights[class_idx, k] * features[k]\n"
            "    return m\n"
        ),
        "ex-p3": "from cnnkit.ops import correlate2d as my_correlate2d\ncheck_correlate2d(my_correlate2d)",
    },
    # an endless loop: the notebook runs out of time, the exercises graded before it keep their grades
    "ivan": {"ex-p1": PAD + "check_pad2d(my_pad2d)", "ex-p2": "while True:\n    pass", "ex-p3": CORR},
    # a syntax error, a right answer, then a crash of the kernel
    "gina": {"ex-p1": "def my_pad2d(x, p)\n    return x", "ex-p2": CAM, "ex-p3": "import os\nos._exit(1)"},
    # a table of the cases the checker showed: it passes them, not the hidden ones
    "henry": {
        "ex-p1": (
            "table = {}\n"
            "def my_pad2d(x, p):\n"
            "    return table.get((x.tobytes(), x.shape, p))\n"
            "for _ in range(20):\n"
            "    result = check_pad2d(my_pad2d)\n"
            "    if result.passed:\n"
            "        break\n"
            "    x, p = result.inputs\n"
            "    table[(x.tobytes(), x.shape, p)] = result.expected\n"
            "check_pad2d(my_pad2d)"
        ),
        "ex-p2": CAM,
        "ex-p3": CORR,
    },
    # cells that lost their tags: one typed anew, one holding two exercises (the third cell deleted)
    "kim": {"ex-p1": ("untagged", PAD), "ex-p2": CAM + "\n\n" + CORR, "ex-p3": None},
}
EXPECTED = {
    "alice": {"ex-p1": "passed", "ex-p2": "passed", "ex-p3": "passed"},
    "bob": {"ex-p1": "not implemented", "ex-p2": "not implemented", "ex-p3": "missing"},
    "carol": {"ex-p1": "failed", "ex-p2": "failed", "ex-p3": "library"},
    "ivan": {"ex-p1": "passed", "ex-p2": "timeout", "ex-p3": "timeout"},
    "gina": {"ex-p1": "error", "ex-p2": "passed", "ex-p3": "error"},
    "henry": {"ex-p1": "failed", "ex-p2": "passed", "ex-p3": "passed"},
    "kim": {"ex-p1": "passed", "ex-p2": "passed", "ex-p3": "passed"},
}


def chapter(folder: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# Practice\n\nText."),
        code("import cnnkit  # set-up"),
        code(
            "import numpy as np\n\nfrom cnnkit.exercises import check_cam, check_correlate2d, check_pad2d\n\nEXAMPLE = np.arange(6).reshape(2, 3)"
        ),
        md(
            "```{exercise}\n:label: ex-p1\n**Implement it.** Write `my_pad2d`, as the {doc}`chapter on stride <04_stride>` "
            "and {cite:p}`olah2017feature` do not.\n```"
        ),
        code(PAD_STUB),
        md("```{solution-start} ex-p1\n:class: dropdown\n```"),
        code(PAD + "check_pad2d(my_pad2d)"),
        md("Applied to the example of the chapter:"),
        code("print(my_pad2d(EXAMPLE, 1).shape)"),
        md("Which shows {glue:text}`nothing`."),
        md("```{solution-end}\n```"),
        md("```{exercise}\n:label: ex-p2\n**Implement it.** Write `my_cam`.\n```"),
        code(CAM_STUB),
        md("```{solution-start} ex-p2\n:class: dropdown\n```"),
        code(CAM + "check_cam(my_cam)"),
        md("```{solution-end}\n```"),
        md("```{exercise}\n:label: ex-p3\n**Implement it.** Write `my_correlate2d`.\n```"),
        code(CORR_STUB),
        md("```{solution-start} ex-p3\n:class: dropdown\n```"),
        code(CORR + "check_correlate2d(my_correlate2d)"),
        md("```{solution-end}\n```"),
    ]
    path = folder / "99_practice.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The homework, the submissions, and the command line's JSON, CSV and feedback files."""
    folder = tmp_path_factory.mktemp("grading")
    assignment = homework.make_homework(chapter(folder), LABELS)
    nbformat.write(assignment, folder / "assignment.ipynb")
    submissions = folder / "submissions"
    submissions.mkdir()
    for student, answers in SUBMISSIONS.items():
        notebook = nbformat.from_dict(json.loads(json.dumps(assignment)))
        kept = []
        for cell in notebook.cells:
            meta = cell.metadata.get("homework", {})
            if meta.get("part") == "stub":
                answer = answers[meta["label"]]
                if answer is None:
                    continue
                if isinstance(answer, tuple):  # ("untagged", source)
                    cell = nbformat.v4.new_code_cell(answer[1])
                else:
                    cell.source = answer
            kept.append(cell)
        notebook.cells = kept
        nbformat.write(notebook, submissions / f"{student}.ipynb")
    (submissions / "notes.txt").write_text("not a notebook")
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "homework.py"),
            "grade",
            "--json",
            "--timeout",
            str(TIMEOUT),
            "--seed",
            str(SEED),
            "--assignment",
            str(folder / "assignment.ipynb"),
            str(submissions),
        ],
        capture_output=True,
        text=True,
        timeout=30 * TIMEOUT,
    )
    assert run.returncode == 0, run.stderr
    return {
        "assignment": assignment,
        "json": json.loads(run.stdout),
        "out": submissions / "grades",
        "stderr": run.stderr,
    }


def statuses(graded, student):
    return {label: grade["status"] for label, grade in graded["json"][f"{student}.ipynb"].items()}


def test_the_json_holds_every_notebook_and_every_exercise_of_the_assignment(graded):
    assert sorted(graded["json"]) == sorted(f"{s}.ipynb" for s in SUBMISSIONS)
    for grades in graded["json"].values():
        assert list(grades) == LABELS
        assert all(set(g) == {"status", "message"} for g in grades.values())
    assert "WARNING" not in graded["stderr"]  # the kernel's own warnings stay out of the report


@pytest.mark.parametrize("student", sorted(SUBMISSIONS))
def test_each_submission_gets_its_grades(graded, student):
    assert statuses(graded, student) == EXPECTED[student]


def test_prints_warnings_and_asserts_before_the_check_change_nothing(graded):
    alice = graded["json"]["alice.ipynb"]
    assert alice["ex-p1"]["message"] == "passed: 9 cases"
    assert alice["ex-p3"]["message"] == "passed: 11 cases"


def test_printed_or_forged_passes_count_for_nothing(graded):
    bob, carol = graded["json"]["bob.ipynb"], graded["json"]["carol.ipynb"]
    assert bob["ex-p1"]["message"].startswith("my_pad2d is not defined")
    assert bob["ex-p2"]["message"].startswith("not implemented yet: write the body of my_cam")
    assert bob["ex-p3"]["message"] == "the notebook has no cell for ex-p3 (deleted?)"
    assert carol["ex-p1"]["message"].startswith("failed on case 1 of 9 (fixed)")


def test_a_function_that_changes_its_input_and_the_librarys_function_are_named(graded):
    carol = graded["json"]["carol.ipynb"]
    assert "your function changed its argument features in place" in carol["ex-p2"]["message"]
    assert carol["ex-p3"]["message"].startswith("my_correlate2d is cnnkit's own cnnkit.ops.conv.correlate2d")


def test_a_timeout_or_a_crash_grades_its_notebook_alone(graded):
    ivan, gina = graded["json"]["ivan.ipynb"], graded["json"]["gina.ipynb"]
    assert ivan["ex-p2"]["message"] == f"the notebook did not finish within {TIMEOUT} s (an endless loop?)"
    assert gina["ex-p1"]["message"].startswith("the cell raised SyntaxError")
    assert gina["ex-p3"]["message"].startswith("the kernel died")
    assert statuses(graded, "henry")["ex-p2"] == "passed"  # graded after both, in the same batch


def test_the_hidden_seed_fails_a_table_of_the_visible_cases(graded):
    assert graded["json"]["henry.ipynb"]["ex-p1"]["message"].startswith("failed on case 6 of 9 (random, hidden)")


def test_a_folder_gives_a_csv_of_grades_and_a_feedback_file_per_student(graded):
    out = graded["out"]
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [row["student"] for row in rows] == sorted(SUBMISSIONS)
    for row in rows:
        assert {label: row[label] for label in LABELS} == EXPECTED[row["student"]]
        assert int(row["passed"]) == list(EXPECTED[row["student"]].values()).count("passed")
        assert row["exercises"] == "3"
    carol = (out / "feedback" / "carol.md").read_text(encoding="utf-8")
    assert carol.startswith("# Feedback on carol.ipynb\n\n0 of 3 exercises passed.")
    assert "## ex-p2: failed" in carol and "changed its argument features in place" in carol
    assert sorted(p.name for p in (out / "feedback").iterdir()) == sorted(f"{s}.md" for s in SUBMISSIONS)


def test_the_homework_lists_its_exercises_and_carries_the_follow_up(graded):
    assignment = graded["assignment"]
    assert [e["label"] for e in assignment.metadata["homework"]["exercises"]] == LABELS
    assert assignment.metadata["homework"]["exercises"][0]["checks"] == [
        {"checker": "check_pad2d", "function": "my_pad2d", "keywords": {}}
    ]
    sources = [c.source for c in assignment.cells]
    text = next(s for s in sources if s.startswith("## Exercise ex-p1"))
    assert "the chapter on stride, “Stride”" in text and "(Olah et al., 2017)" in text and "{" not in text
    apply = [c for c in assignment.cells if c.metadata.get("homework", {}).get("part") == "apply"]
    assert [c.cell_type for c in apply] == ["markdown", "code", "markdown", "code"]
    assert apply[1].source == "# From the chapter: what the next cells use\nEXAMPLE = np.arange(6).reshape(2, 3)"
    assert apply[3].source == "print(my_pad2d(EXAMPLE, 1).shape)"
    assert not any(PAD in s or "glue" in s for s in sources)  # no solution, no reading of its result


def test_the_book_solutions_pass_in_a_homework_of_every_chapter(tmp_path):
    """Each chapter's implement-it exercises as one homework, answered with the chapter's own
    solution cells (several print before their check): every exercise passes."""
    submissions = tmp_path / "solutions"
    submissions.mkdir()
    expected = {}
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        if path.name.startswith("07_"):
            continue  # its small network trains for a minute: tests/test_homework.py grades its solutions
        exercises = homework.implement_it_exercises(nbformat.read(path, as_version=4))
        notebook = homework.make_homework(path, [e.label for e in exercises])
        solutions = {e.label: "\n\n".join(c.source for c in e.solution if c.cell_type == "code") for e in exercises}
        for cell in notebook.cells:
            meta = cell.metadata.get("homework", {})
            if meta.get("part") == "stub":
                cell.source = solutions[meta["label"]]
        nbformat.write(notebook, submissions / path.name)
        expected[path.name] = dict.fromkeys(solutions, "passed")
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "homework.py"),
            "grade",
            "--json",
            "--seed",
            str(SEED),
            *sorted(str(p) for p in submissions.glob("*.ipynb")),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    grades = json.loads(run.stdout)
    assert {name: {label: g["status"] for label, g in found.items()} for name, found in grades.items()} == expected, (
        grades
    )
