"""The CI entry point, the GitHub workflows and the lock stay in step with the Makefile."""

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
sys.path.insert(0, str(ROOT / "tools"))

import check_lock


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def make_prerequisites(target: str) -> list[str]:
    match = re.search(rf"^{target}:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, f"the Makefile has no target {target}"
    return match.group(1).split()


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as the boolean True


def run_steps(workflow: dict, job: str | None = None) -> list[str]:
    jobs = [workflow["jobs"][job]] if job else workflow["jobs"].values()
    return [step["run"] for j in jobs for step in j.get("steps", []) if "run" in step]


def test_ci_runs_the_readme_test_command_after_machine_set_up():
    script = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^make ([\w-]+)$", script, re.M)
    assert commands == ["browser-deps", "test", "check-lock"]
    assert "make test" in (ROOT / "README.md").read_text()


def test_the_test_target_installs_nothing_on_the_machine():
    """Machine set-up (apt-get) stays out of `make test`: browser-deps is not among its prerequisites."""
    prerequisites = make_prerequisites("test")
    assert "browser-deps" not in prerequisites and "check-browser" in prerequisites
    assert "test-notebooks" in prerequisites and "test-book" in prerequisites


def test_the_test_target_runs_lint_first_and_lint_runs_ruff_and_mypy():
    prerequisites = make_prerequisites("test")
    assert "lint" in prerequisites
    assert prerequisites.index("lint") < prerequisites.index("test-unit")
    recipe = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check cnnkit tests tools" in recipe and "mypy" in recipe


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_uses_existing_make_targets_and_tools(path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["jobs"], f"{path.name} has no jobs"
    assert triggers(workflow), f"{path.name} has no triggers"
    for command in run_steps(workflow):
        for target in re.findall(r"\bmake ([\w-]+)", command):
            assert target in make_targets(), f"{path.name} calls `make {target}`, which the Makefile lacks"
        for script in re.findall(r"\b((?:tools|tests|\.ci)/[\w/.-]+)", command):
            assert (ROOT / script).exists(), f"{path.name} runs {script}, which does not exist"


def test_test_workflow_runs_ci_on_linux_and_macos_for_the_oldest_and_newest_python():
    workflow = load("test.yml")
    assert {"push", "pull_request", "schedule"} <= set(triggers(workflow))
    assert triggers(workflow)["schedule"][0]["cron"].split()[-1] != "*", "the schedule should be weekly"
    job = workflow["jobs"]["test"]
    assert "bash .ci/run" in run_steps(workflow, "test")
    matrix = job["strategy"]["matrix"]
    assert any(o.startswith("ubuntu") for o in matrix["os"]) and any(o.startswith("macos") for o in matrix["os"])
    assert matrix["python"] == [check_lock.PYTHONS[0], check_lock.PYTHONS[-1]]
    setup = [s for s in job["steps"] if "setup-python" in s.get("uses", "")]
    assert setup[0]["with"]["python-version"] == "${{ matrix.python }}"
    assert setup[0]["with"]["cache"] == "pip"


def test_latest_job_runs_every_chapter_with_the_newest_packages_like_colab():
    commands = "\n".join(run_steps(load("test.yml"), "latest"))
    assert "tools/colab_check.py" in commands and "chapters/*.ipynb" in commands
    assert "requirements.txt" not in commands, "the latest job must not install the lock"


def test_publish_runs_only_after_the_tests_passed_on_that_commit():
    workflow = load("publish.yml")
    run = triggers(workflow)["workflow_run"]
    assert run["workflows"] == ["test"] and run["types"] == ["completed"] and run["branches"] == ["main"]
    assert "push" not in triggers(workflow)
    build = workflow["jobs"]["build"]
    assert "github.event.workflow_run.conclusion == 'success'" in build["if"]
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert "workflow_run.head_sha" in checkout["with"]["ref"]
    commands = "\n".join(run_steps(workflow))
    assert "cnnkit.weights fetch vgg16" in commands
    assert commands.index("cnnkit.weights fetch vgg16") < commands.index("make book-online")
    uploads = [s for job in workflow["jobs"].values() for s in job["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert uploads[0]["with"]["path"] == "_build/online/_build/html"
    uses = [s.get("uses", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    makefile = (ROOT / "Makefile").read_text()
    block = makefile[makefile.index("ONLINE_CHAPTERS :="):].split("\n\n", 1)[0]
    chapters = re.findall(r"chapters/\S+\.ipynb", block)
    assert len(chapters) == 3
    for chapter in chapters:
        assert (ROOT / chapter).is_file(), f"ONLINE_CHAPTERS names {chapter}, which does not exist"


def test_release_tags_the_pinned_version_after_the_tests_pass():
    workflow = load("release.yml")
    assert triggers(workflow)["workflow_run"]["workflows"] == ["test"]
    assert workflow["permissions"]["contents"] == "write"
    job = workflow["jobs"]["tag"]
    assert "conclusion == 'success'" in job["if"]
    commands = run_steps(workflow, "tag")
    check = next(i for i, c in enumerate(commands) if "tools/pin.py --check" in c)
    create = next(i for i, c in enumerate(commands) if "gh release create" in c)
    assert check < create, "the cells must be checked against the version before the tag is made"
    assert "tools/pin.py --tag" in commands[create]


# --- the lock --------------------------------------------------------------------------------

LOCK = (ROOT / "requirements.txt").read_text()


def lock_entries() -> list[tuple[str, str, str]]:
    """(normalised name, version, marker) for every pinned line of the lock."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.*))?$", LOCK, re.M)
    return [(check_lock.normalise(n), v, m.strip()) for n, v, m in found]


def test_lock_pins_cuda_packages_only_for_linux():
    cuda = [(n, m) for n, _, m in lock_entries() if check_lock.is_cuda(n)]
    assert cuda, "torch on Linux needs its CUDA packages; the lock has none"
    for name, marker in cuda:
        assert "sys_platform == 'linux'" in marker, f"{name} is pinned without a Linux-only marker: {marker!r}"


def test_lock_is_compiled_from_pyproject_by_the_make_lock_command():
    header = LOCK.split("\n\n", 1)[0]
    assert "uv pip compile pyproject.toml --extra book --extra test -c constraints.txt" in header
    assert "--universal --python-version 3.11" in header
    recipe = (ROOT / "Makefile").read_text().split("\nlock:", 1)[1].split("\n\n", 1)[0]
    assert "--extra book --extra test -c constraints.txt" in recipe and "--universal --python-version 3.11" in recipe


def test_every_direct_dependency_is_pinned():
    project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    pinned = {name for name, _, _ in lock_entries()}
    for requirement in direct:
        name = check_lock.normalise(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
        assert name in pinned, f"{requirement} is a dependency but requirements.txt does not pin it"


def test_supported_pythons_agree_everywhere():
    project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
    oldest = check_lock.PYTHONS[0]
    assert project["requires-python"] == f">={oldest}"
    readme = (ROOT / "README.md").read_text()
    assert f"Python {oldest} to {check_lock.PYTHONS[-1]}" in readme
    assert "3.10" not in readme.split("## Quick start", 1)[1].split("##", 1)[0]


def test_pins_parser_keeps_both_versions_of_a_forked_package():
    text = "torch==2.2.2 ; sys_platform == 'darwin'\ntorch==2.15.0 ; sys_platform != 'darwin'\nNum_Py==2.0\n"
    assert check_lock.pins(text) == {"torch": {"2.2.2", "2.15.0"}, "num-py": {"2.0"}}


def test_no_test_decides_on_a_wall_clock_time():
    """Timings are reported (make timings, make benchmark), never asserted."""
    offenders = []
    for path in [*list((ROOT / "tests").rglob("*.py")), ROOT / "conftest.py"]:
        text = path.read_text()
        if path.name == "test_workflows.py":
            continue
        if re.search(r"\btimeit\b|\bperf_counter\b|\bprocess_time\b", text) or "session.exitstatus" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"these files time code in a test: {offenders}"


def test_every_sphinx_extension_of_the_book_is_in_the_lock():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    pinned = {name for name, _, _ in lock_entries()}
    for extension in config.get("sphinx", {}).get("extra_extensions", []):
        package = check_lock.normalise(extension.split(".")[0])
        assert package in pinned, f"_config.yml loads {extension}, but requirements.txt does not pin {package}"


def test_the_online_book_is_built_in_a_copy_never_in_the_committed_chapters():
    recipe = (ROOT / "Makefile").read_text().split("\nbook-online:", 1)[1].split("\n\n", 1)[0]
    assert "tools/copy_book.py $(ONLINE_DIR)" in recipe
    assert 'tools/execute.py --online "$(ONLINE_DIR)/$$nb"' in recipe
    assert "jupyter-book build -W -n --keep-going $(ONLINE_DIR)" in recipe
    assert "execute-online" not in (ROOT / "Makefile").read_text()


def test_copy_book_copies_tracked_files_and_refuses_the_repository(tmp_path):
    import copy_book

    assert copy_book.main([str(ROOT)]) == 2
    assert copy_book.main([str(ROOT / "chapters")]) == 2
    assert copy_book.copy_book(tmp_path) > 20
    assert (tmp_path / "_config.yml").is_file() and (tmp_path / "chapters" / "07_architectures.ipynb").is_file()
    assert not (tmp_path / ".venv").exists()
