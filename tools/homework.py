"""Set implement-it exercises as homework, and grade the notebooks that come back.

Make a homework notebook from a chapter's exercises (the exercise text, the stub cell that calls
the checker and the chapter's follow-up that applies the function, without the solutions)::

    python tools/homework.py make chapters/05_pooling.ipynb ex-ch5-4 ex-ch5-5 -o pooling_homework.ipynb

The notebook starts with the chapter's set-up cell (so it installs cnnkit under Colab, pinned
to the book's release), imports numpy, torch and the checkers, then holds one exercise after
another, in plain Markdown (the book's cross-references and citations become text). Where the
chapter applies the function after its solution (to reproduce a table, say), that part follows
the stub, with the statements of the chapter it needs. Students write the function bodies and
run the cells; each cell ends with the checker, so they see at once whether their function
agrees with the book's. The notebook's metadata lists the exercises set.

Grade the notebooks that come back (files or folders of them)::

    python tools/homework.py grade submissions/ --seed 81923 --timeout 300

Each notebook runs in a fresh kernel under its own time limit; after each exercise's cell the
grader calls the checker on the student's function itself, in the same kernel
(:mod:`cnnkit.exercises.grading`), so printed text decides nothing. It prints one line per
notebook, ``alice.ipynb: 1/2 passed (ex-ch5-4 passed, ex-ch5-5 failed)``; with ``--json``, one
JSON object ``{notebook: {label: {"status": ..., "message": ...}}}``. With a folder (or ``--out``)
it also writes ``grades.csv`` and one feedback file per student, with the checkers' messages,
into ``--out`` (default: ``grades/`` in the folder). ``--seed`` draws the checkers' random cases
with a seed the students never saw; ``--assignment`` takes the exercises from the instructor's
copy of the homework rather than from the submission. Nothing here needs the network.

``python tools/homework.py list chapters/*.ipynb`` lists the implement-it exercises of the book.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import csv
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cnnkit.exercises import grading
from cnnkit.exercises.grading import CheckCall, Grade, assignment, check_calls, grade_notebook

CHECK_CALL = re.compile(r"^(check_\w+)\(", re.M)
LABEL = re.compile(r"^:label:\s*(\S+)", re.M)
SOLUTION_START = re.compile(r"```\{solution-start\}\s+(\S+)")


@dataclass
class Exercise:
    """An implement-it exercise: its label, its text (markdown), its stub cell, and the cells of
    its solution: ``solution`` (up to the checker's call) and ``apply`` (what follows it, up to
    the last code cell: the chapter applying the function)."""

    label: str
    text: nbformat.NotebookNode
    stub: nbformat.NotebookNode
    solution: list[nbformat.NotebookNode] = field(default_factory=list)
    apply: list[nbformat.NotebookNode] = field(default_factory=list)

    @property
    def checkers(self) -> list[str]:
        return CHECK_CALL.findall(self.stub.source)

    @property
    def calls(self) -> list[CheckCall]:
        return check_calls(self.stub.source)


def _solution_blocks(cells: list) -> dict[str, list]:
    """The cells between ``{solution-start} LABEL`` and ``{solution-end}``, by label."""
    blocks: dict[str, list] = {}
    label = None
    for cell in cells:
        start = SOLUTION_START.search(cell.source) if cell.cell_type == "markdown" else None
        if start:
            label = start.group(1)
            blocks[label] = []
        elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            label = None
        elif label is not None:
            blocks[label].append(cell)
    return blocks


def implement_it_exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises whose first code cell is a stub (``raise NotImplementedError``) ending with a checker."""
    found = []
    cells = notebook.cells
    blocks = _solution_blocks(cells)
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown" or "```{exercise}" not in cell.source:
            continue
        label = LABEL.search(cell.source)
        following = cells[i + 1] if i + 1 < len(cells) else None
        if (
            label
            and following is not None
            and following.cell_type == "code"
            and "NotImplementedError" in following.source
            and CHECK_CALL.search(following.source)
        ):
            block = blocks.get(label.group(1), [])
            checked = next(
                (j for j, c in enumerate(block) if c.cell_type == "code" and CHECK_CALL.search(c.source)), None
            )
            codes = [j for j, c in enumerate(block) if c.cell_type == "code"]
            solution = block[: checked + 1] if checked is not None else []
            apply = block[checked + 1 : codes[-1] + 1] if checked is not None and codes[-1] > checked else []
            found.append(Exercise(label.group(1), cell, following, solution, apply))
    return found


# --------------------------------------------------------------------------------------------
# MyST into plain Markdown


def _bib() -> dict[str, dict[str, str]]:
    """The entries of references.bib: key -> {"author": ..., "year": ...}."""
    entries: dict[str, dict[str, str]] = {}
    path = ROOT / "references.bib"
    if not path.is_file():
        return entries
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", path.read_text(encoding="utf-8"), flags=re.S):
        fields = dict(re.findall(r"(\w+)\s*=\s*\{(.*?)\},?\s*$", match.group(2), flags=re.M))
        entries[match.group(1)] = {k.lower(): v for k, v in fields.items()}
    return entries


def _authors(entry: dict[str, str]) -> str:
    """'Mahendran and Vedaldi', 'Olah et al.': the family names, as a citation gives them."""
    names = [a.strip() for a in re.split(r"\s+and\s+", entry.get("author", "")) if a.strip()]
    family = [n.split(",")[0].strip() if "," in n else n.split()[-1] for n in names]
    family = [re.sub(r"[{}]", "", f) for f in family]
    if len(family) > 2:
        return f"{family[0]} et al."
    return " and ".join(family) or "?"


def _citation(keys: str, textual: bool, bib: dict[str, dict[str, str]]) -> str:
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        entry = bib.get(key)
        if entry is None:
            parts.append(key)
        elif textual:
            parts.append(f"{_authors(entry)} ({entry.get('year', 'n.d.')})")
        else:
            parts.append(f"{_authors(entry)}, {entry.get('year', 'n.d.')}")
    return "; ".join(parts) if textual else f"({'; '.join(parts)})"


def _titles(chapter: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    """The book's document titles (by file stem) and the section titles of ``chapter`` (by label)."""
    documents, sections = {}, {}
    folders = dict.fromkeys([ROOT / "chapters", *([chapter.parent] if chapter is not None else [])])
    for path in sorted(p for folder in folders for p in folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        heading = next((c.source.splitlines()[0] for c in notebook.cells if c.cell_type == "markdown" and c.source), "")
        documents[path.stem] = heading.lstrip("# ").strip()
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                for label, title in re.findall(r"^\(([\w-]+)\)=\s*\n#+\s*(.+)$", cell.source, flags=re.M):
                    sections[label] = title.strip()
    return documents, sections


def plain_text(source: str, chapter: Path | None = None) -> str:
    """MyST Markdown as plain Markdown, which Jupyter and Colab render: roles become text.

    ``{doc}`` gives its text and the document's title, ``{ref}`` the section's title (or its
    text), ``{cite:p}``/``{cite:t}`` "(Author et al., year)" from references.bib, ``{math}``
    ``$...$``, and any other role its text; ``(label)=`` targets go.
    """
    bib = _bib() if "{cite" in source else {}
    documents, sections = _titles(chapter) if re.search(r"\{(doc|ref)\}", source) else ({}, {})

    def role(match: re.Match) -> str:
        name, content = match.group(1), match.group(2)
        explicit = re.fullmatch(r"(.*?)\s*<([^>]+)>", content, flags=re.S)
        text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
        if name == "doc":
            title = documents.get(Path(target).stem)
            if text and title:
                return f"{text}, “{title}”"
            return text or (f"the chapter “{title}”" if title else target)
        if name in ("ref", "numref"):
            return text or (f"the section “{sections[target]}”" if target in sections else target)
        if name.startswith("cite"):
            return _citation(content, textual=name in ("cite:t", "cite:t:", "cite:author"), bib=bib)
        if name in ("math",):
            return f"${content}$"
        if name.startswith("glue"):
            return "(a number the book computes)"
        return text if text is not None else content

    text = re.sub(r"\{([\w:-]+)\}`([^`]*)`", role, source)
    text = re.sub(r"^\([\w-]+\)=\s*\n", "", text, flags=re.M)
    return text


def plain_markdown(exercise: Exercise, chapter: Path | None = None) -> str:
    """The exercise's text as plain Markdown (a heading and the text), not the book's directive."""
    body = exercise.text.source.split("```{exercise}", 1)[1].rsplit("```", 1)[0]
    body = LABEL.sub("", body).strip()
    body = re.sub(r"^:\w[\w-]*:.*\n", "", body, flags=re.M).strip()  # any other option of the directive
    return f"## Exercise {exercise.label}\n\n{plain_text(body, chapter)}"


# --------------------------------------------------------------------------------------------
# The statements of the chapter that an "apply" cell needs


def _parse(source: str) -> ast.Module | None:
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Names(ast.NodeVisitor):
    """The names a top-level statement binds, changes (``a[i] = ...``, ``a.append(...)``) and
    reads from the notebook's namespace before binding them itself; the names of a function, a
    class or a comprehension stay inside it. Visits in the order Python evaluates."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.changed: set[str] = set()
        self.read: set[str] = set()
        self._local: list[set[str]] = []

    def _store(self, name: str) -> None:
        (self._local[-1] if self._local else self.bound).add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.bound and not any(node.id in scope for scope in self._local):
                self.read.add(node.id)
        else:
            self._store(node.id)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root(target)
            if root and not self._local:
                if root not in self.bound:
                    self.read.add(root)
                self.changed.add(root)
        self.visit(target)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._target(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name) and not self._local:
            if node.target.id not in self.bound:
                self.read.add(node.target.id)
                self.changed.add(node.target.id)
        elif isinstance(node.target, ast.Name):
            self._local[-1].add(node.target.id)
        else:
            self._target(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._target(item.optional_vars)
        for statement in node.body:
            self.visit(statement)

    visit_AsyncWith = visit_With

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) and not self._local:
            root = _root(node.value.func)
            if root:
                self.changed.add(root)  # model.eval(), inputs.append(x)
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
        args = node.args
        names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        local = names | {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self._local.append(local)
        for statement in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(statement)
        self._local.pop()
        if not isinstance(node, ast.Lambda):
            self._store(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            self.visit(base)
        self._local.append({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)})
        for statement in node.body:
            self.visit(statement)
        self._local.pop()
        self._store(node.name)

    def _comprehension(self, node: ast.AST) -> None:
        targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}  # type: ignore[attr-defined]
        self._local.append(targets)
        self.generic_visit(node)
        self._local.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self._store((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import


@dataclass
class _Statement:
    source: str
    bound: set[str]
    changed: set[str]
    read: set[str]
    node: ast.stmt

    def text(self, names: set[str]) -> str:
        """The statement's source; an import only with the names asked for."""
        if isinstance(self.node, (ast.Import, ast.ImportFrom)):
            aliases = [a for a in self.node.names if (a.asname or a.name).split(".")[0] in names]
            if len(aliases) < len(self.node.names):
                return ast.unparse(type(self.node)(**{**self.node.__dict__, "names": aliases}))
        return self.source


def _statements(cell_source: str) -> list[_Statement]:
    tree = _parse(cell_source)
    if tree is None:
        return []
    lines = cell_source.splitlines()
    found = []
    for node in tree.body:
        names = _Names()
        names.visit(node)
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        source = "\n".join(lines[start - 1 : node.end_lineno])
        found.append(_Statement(source, names.bound, names.changed, names.read - set(dir(builtins)), node))
    return found


def needed_statements(cells: list[nbformat.NotebookNode], sources: list[str], known: set[str]) -> list[str]:
    """The statements of ``cells`` (code cells, in order) that the code ``sources`` needs.

    A backward slice by names: for each name the code reads and ``known`` does not hold, the
    last statement before it that binds the name, with the statements after that one which
    change it in place (``a[i] = ...``, ``a.append(...)``; a call on an imported module, such as
    ``plt.show()``, changes nothing), and so on for the names those statements read. Imports
    keep only the names needed. Returned in the chapter's order.
    """
    statements = [s for cell in cells for s in _statements(cell.source)]
    imported = {n for s in statements if isinstance(s.node, (ast.Import, ast.ImportFrom)) for n in s.bound}
    here = [s for source in sources for s in _statements(source)]
    bound_here: set[str] = set()
    todo = []
    for statement in here:
        todo += [(len(statements), n) for n in statement.read if n not in known and n not in bound_here]
        bound_here |= statement.bound
    chosen: dict[int, set[str]] = {}
    seen = set()
    while todo:
        position, name = todo.pop()
        if (position, name) in seen:
            continue
        seen.add((position, name))
        for index in range(position - 1, -1, -1):
            statement = statements[index]
            changes = name in statement.changed and name not in imported
            if name in statement.bound or changes:
                if index not in chosen:
                    chosen[index] = set()
                    todo += [(index, n) for n in statement.read if n not in known]
                chosen[index].add(name)
                if name in statement.bound and not changes:
                    break
    return [statements[i].text(names) for i, names in sorted(chosen.items())]


# --------------------------------------------------------------------------------------------
# Making a homework


def make_homework(chapter: Path, labels: list[str]) -> nbformat.NotebookNode:
    """A notebook with the chapter's set-up cell, the imports and the chosen exercises without solutions."""
    notebook = nbformat.read(chapter, as_version=4)
    exercises = {e.label: e for e in implement_it_exercises(notebook)}
    unknown = [label for label in labels if label not in exercises]
    if unknown:
        raise SystemExit(
            f"{chapter}: no implement-it exercise labelled {', '.join(unknown)}; "
            f"this chapter has: {', '.join(exercises) or 'none'}"
        )
    chosen = [exercises[label] for label in labels]
    title = next(
        (c.source.splitlines()[0].lstrip("# ") for c in notebook.cells if c.cell_type == "markdown"), chapter.stem
    )
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    setup = code_cells[0]
    checkers = sorted({name for e in chosen for name in e.checkers})
    imports = "import numpy as np\nimport torch\n\nfrom cnnkit.exercises import " + ", ".join(checkers)
    # what the homework defines before any follow-up: its set-up, its imports, every exercise's function
    known = set(dir(builtins))
    for source in (setup.source, imports):
        known |= {n for s in _statements(source) for n in s.bound}
    functions = {c.function for e in exercises.values() for c in e.calls}
    stubs = {id(e.stub) for e in exercises.values()} | {id(c) for e in exercises.values() for c in e.solution}
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# Homework: {title}\n\nWrite the body of each function below and run its cell: the checker "
            "at the end of the cell compares your function with the book's on fixed and random inputs "
            "and shows the first input where they disagree. Hand in this notebook with every cell run."
        ),
        nbformat.v4.new_code_cell(setup.source),
        nbformat.v4.new_code_cell(imports),
    ]
    for exercise in chosen:
        text = nbformat.v4.new_markdown_cell(plain_markdown(exercise, chapter))
        stub = nbformat.v4.new_code_cell(exercise.stub.source)
        stub.metadata["homework"] = {"label": exercise.label, "part": "stub"}
        cells += [text, stub]
        if exercise.apply:
            apply_code = [c.source for c in exercise.apply if c.cell_type == "code"]
            first = next(i for i, c in enumerate(notebook.cells) if c is exercise.apply[0])
            before = [
                c for c in notebook.cells[:first] if c.cell_type == "code" and c is not setup and id(c) not in stubs
            ]
            needed = needed_statements(before, apply_code, known | functions)
            intro = nbformat.v4.new_markdown_cell(
                f"### Then use it\n\nThe chapter then applies `{'`, `'.join(c.function for c in exercise.calls)}`. "
                + (
                    "The first cell below recomputes, with the chapter's own statements, what it uses from the "
                    "chapter; it may take a while. "
                    if needed
                    else ""
                )
                + "This part is not graded."
            )
            intro.metadata["homework"] = {"label": exercise.label, "part": "apply"}
            cells.append(intro)
            if needed:
                recompute = nbformat.v4.new_code_cell(
                    "# From the chapter: what the next cells use\n" + "\n".join(needed)
                )
                recompute.metadata["homework"] = {"label": exercise.label, "part": "apply"}
                cells.append(recompute)
            for source in [*needed, *apply_code]:  # a later follow-up finds these computed
                known |= {n for s in _statements(source) for n in s.bound}
            for cell in exercise.apply:
                new = (
                    nbformat.v4.new_code_cell(cell.source)
                    if cell.cell_type == "code"
                    else nbformat.v4.new_markdown_cell(plain_text(cell.source, chapter))
                )
                new.metadata["homework"] = {"label": exercise.label, "part": "apply"}
                cells.append(new)
    metadata = dict(notebook.metadata)
    metadata["homework"] = {
        "chapter": chapter.name,
        "exercises": [grading.Exercise(e.label, tuple(e.calls)).to_dict() for e in chosen],
    }
    homework = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    for i, cell in enumerate(homework.cells):
        cell.id = f"homework-{i}"
    return homework


# --------------------------------------------------------------------------------------------
# Grading


def grade_details(
    path: Path, timeout: float = 600, seed: int | None = None, assignment_from: Path | None = None
) -> dict[str, Grade]:
    """Grade a submitted notebook: {label: Grade}, from the checkers run by the grader itself."""
    exercises = None
    if assignment_from is not None:
        exercises = assignment(nbformat.read(assignment_from, as_version=4))
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as err:  # not a notebook: every exercise of the assignment is an error
        if exercises is None:
            return {"(notebook)": Grade("error", f"could not read {path.name}: {type(err).__name__}: {err}")}
        return {e.label: Grade("error", f"could not read {path.name}: {type(err).__name__}") for e in exercises}
    return grade_notebook(notebook, exercises, seed=seed, timeout=timeout, cwd=path.parent)


def grade(path: Path, timeout: float = 600, seed: int | None = None) -> dict[str, str]:
    """Grade a submitted notebook: {label: status} (see :func:`grade_details`)."""
    return {label: g.status for label, g in grade_details(path, timeout, seed).items()}


def summary(name: str, grades: dict[str, Grade]) -> str:
    passed = sum(g.status == "passed" for g in grades.values())
    details = ", ".join(f"{label} {g.status}" for label, g in grades.items())
    return f"{name}: {passed}/{len(grades)} passed ({details})"


def feedback(name: str, grades: dict[str, Grade]) -> str:
    """A student's feedback file: the grade of each exercise with the checker's message."""
    passed = sum(g.status == "passed" for g in grades.values())
    parts = [f"# Feedback on {name}\n\n{passed} of {len(grades)} exercises passed.\n"]
    for label, g in grades.items():
        parts.append(f"## {label}: {g.status}\n\n```\n{g.message}\n```\n")
    return "\n".join(parts)


def write_grades(results: dict[Path, dict[str, Grade]], out: Path) -> None:
    """``out/grades.csv`` (one row per notebook, one column per exercise) and ``out/feedback/NAME.md``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    labels = list(dict.fromkeys(label for grades in results.values() for label in grades))
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "notebook", "passed", "exercises", *labels])
        for path, grades in results.items():
            passed = sum(g.status == "passed" for g in grades.values())
            writer.writerow(
                [
                    path.stem,
                    path.name,
                    passed,
                    len(grades),
                    *(grades[lb].status if lb in grades else "" for lb in labels),
                ]
            )
    for path, grades in results.items():
        (out / "feedback" / f"{path.stem}.md").write_text(feedback(path.name, grades), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="a homework notebook from a chapter's exercises")
    make.add_argument("chapter", type=Path)
    make.add_argument("labels", nargs="+", help="exercise labels, e.g. ex-ch5-4")
    make.add_argument("-o", "--output", type=Path, required=True)
    grade_p = sub.add_parser("grade", help="run submitted notebooks and grade each exercise with its checker")
    grade_p.add_argument("notebooks", nargs="+", type=Path, help="notebooks, or folders of them")
    grade_p.add_argument("--json", action="store_true", help="print one JSON object of every grade and message")
    grade_p.add_argument("--timeout", type=float, default=600, help="seconds for each notebook (default 600)")
    grade_p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the hidden random cases (default: $CNNKIT_GRADING_SEED, else the cases students saw)",
    )
    grade_p.add_argument(
        "--assignment",
        type=Path,
        default=None,
        help="the instructor's copy of the homework: its exercises are the ones graded",
    )
    grade_p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write grades.csv and feedback/NAME.md here (default with a folder: FOLDER/grades)",
    )
    list_p = sub.add_parser("list", help="list the implement-it exercises of chapters")
    list_p.add_argument("chapters", nargs="+", type=Path)
    args = parser.parse_args(argv)

    if args.command == "make":
        nbformat.write(make_homework(args.chapter, args.labels), args.output)
        print(f"wrote {args.output} with {', '.join(args.labels)}")
    elif args.command == "grade":
        seed = args.seed
        if seed is None and os.environ.get("CNNKIT_GRADING_SEED"):
            seed = int(os.environ["CNNKIT_GRADING_SEED"])
        paths, folders = [], [p for p in args.notebooks if p.is_dir()]
        for p in args.notebooks:
            paths += sorted(q for q in p.glob("*.ipynb")) if p.is_dir() else [p]
        results = {}
        for path in paths:
            results[path] = grade_details(path, args.timeout, seed, args.assignment)
            if not args.json:
                print(summary(path.name, results[path]), flush=True)
        if args.json:
            print(
                json.dumps(
                    {p.name: {label: g.to_dict() for label, g in r.items()} for p, r in results.items()}, indent=1
                )
            )
        out = args.out or (folders[0] / "grades" if folders else None)
        if out is not None:
            write_grades(results, out)
            if not args.json:
                print(f"wrote {out / 'grades.csv'} and {len(results)} feedback files in {out / 'feedback'}")
    else:
        for path in args.chapters:
            for e in implement_it_exercises(nbformat.read(path, as_version=4)):
                print(f"{path.name:<36} {e.label:<12} {', '.join(e.checkers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
