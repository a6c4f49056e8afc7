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


def test_lint_audits_the_workflows_with_the_locked_zizmor_failing_on_medium_and_high():
    recipe = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/zizmor --offline --min-severity medium .github/workflows/" in recipe
    project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = [d for d in project["optional-dependencies"]["test"] if d.startswith("zizmor")]
    assert len(pinned) == 1 and re.fullmatch(r"zizmor==[\d.]+", pinned[0]), "zizmor is pinned in the test extra"
    assert any(n == "zizmor" and f"zizmor=={v}" == pinned[0] for n, v, _ in lock_entries())


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


def test_publish_builds_the_online_book_and_deploys_it_to_pages():
    workflow = load("publish.yml")
    assert set(triggers(workflow)) == {"workflow_call", "workflow_dispatch"}, "called by test.yml, or by hand"
    build = workflow["jobs"]["build"]
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert "ref" not in checkout.get("with", {}), "the commit the tests passed on (github.sha), nothing else"
    commands = "\n".join(run_steps(workflow))
    assert "cnnkit.weights fetch vgg16" in commands
    assert commands.index("cnnkit.weights fetch vgg16") < commands.index("make book-online")
    uploads = [
        s for job in workflow["jobs"].values() for s in job["steps"] if "upload-pages-artifact" in s.get("uses", "")
    ]
    assert uploads[0]["with"]["path"] == "_build/online/_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    makefile = (ROOT / "Makefile").read_text()
    block = makefile[makefile.index("ONLINE_CHAPTERS :=") :].split("\n\n", 1)[0]
    chapters = re.findall(r"chapters/\S+\.ipynb", block)
    assert len(chapters) == 3
    for chapter in chapters:
        assert (ROOT / chapter).is_file(), f"ONLINE_CHAPTERS names {chapter}, which does not exist"


def test_release_tags_the_pinned_version_after_the_tests_pass():
    workflow = load("release.yml")
    assert set(triggers(workflow)) == {"workflow_call"}, "release.yml runs only when test.yml calls it"
    version, create = workflow["jobs"]["version"], workflow["jobs"]["create"]
    commands = run_steps(workflow, "version")
    check = next(i for i, c in enumerate(commands) if "tools/pin.py --check" in c)
    tag = next(i for i, c in enumerate(commands) if "tools/pin.py --tag" in c)
    assert check < tag, "the cells must be checked against the version before the tag is made"
    assert version["outputs"]["tag"] == "${{ steps.tag.outputs.tag }}"
    assert create["needs"] == "version"
    assert create["permissions"] == {"contents": "write"} and version["permissions"] == {"contents": "read"}
    assert create["steps"][0]["env"]["TAG"] == "${{ needs.version.outputs.tag }}"
    assert "gh release create" in run_steps(workflow, "create")[0]


# --- the workflows' security: see CONTRIBUTING.md, "Security" ---------------------------------

PUSH_TO_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
CALLED = {"release": "./.github/workflows/release.yml", "publish": "./.github/workflows/publish.yml"}


def all_jobs() -> list[tuple[str, str, dict]]:
    """(workflow, job name, job) for every job; a job without permissions of its own gets its workflow's."""
    found = []
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow["jobs"].items():
            found.append((path.name, name, {"permissions": workflow.get("permissions", "write-all"), **job}))
    return found


def writes(job: dict) -> set[str]:
    """The scopes the job's token may write (GitHub's default, with no permissions set, may be all)."""
    permissions = job["permissions"]
    return (
        {scope for scope, level in permissions.items() if level == "write"}
        if isinstance(permissions, dict)
        else {"all"}
    )


def test_release_and_publish_run_only_for_a_push_of_this_repository_to_main_after_the_tests():
    """A pull request (even from a fork whose branch is called main), a schedule or a manual run of the
    tests never reaches the jobs that hold write tokens: only a push to main does, and only after
    both test jobs have passed on it."""
    workflow = load("test.yml")
    for name, path in CALLED.items():
        job = workflow["jobs"][name]
        assert job["uses"] == path
        assert job["if"] == PUSH_TO_MAIN, f"test.yml's {name} job must run only for a push to main"
        assert set(job["needs"]) == {"test", "latest"}, f"{name} must wait for every test job"
    callers = {job["uses"] for _, _, job in all_jobs() if "uses" in job}
    assert callers == set(CALLED.values()), "release.yml and publish.yml are called from test.yml only"


def test_no_workflow_runs_privileged_jobs_on_another_workflows_run_unguarded():
    """`workflow_run` with `branches: [main]` also fires for a fork's pull request from a branch named
    main. None of the workflows uses it now; one that does must check that the run was a push of this
    repository, in every job."""
    guards = [
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.event == 'push'",
        "github.event.workflow_run.head_repository.full_name == github.repository",
    ]
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert "pull_request_target" not in triggers(workflow), f"{path.name} runs with a fork's code and a token"
        if "workflow_run" in triggers(workflow):
            for name, job in workflow["jobs"].items():
                for guard in guards:
                    assert guard in job.get("if", ""), f"{path.name}: job {name} lacks `{guard}`"
    for name in CALLED:
        assert set(triggers(load(f"{name}.yml"))) <= {"workflow_call", "workflow_dispatch"}


def test_permissions_are_granted_per_job_and_only_where_needed():
    for path in WORKFLOWS:
        assert yaml.safe_load(path.read_text())["permissions"] == {}, f"{path.name}: no permissions at workflow level"
    granted = {}
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            assert "permissions" in job, f"{path.name}: job {name} sets no permissions of its own"
    for workflow, name, job in all_jobs():
        assert set(job["permissions"].values()) <= {"read", "write", "none"}, f"{workflow}: job {name}"
        if writes(job):
            granted[(workflow, name)] = writes(job)
    assert granted == {
        ("test.yml", "release"): {"contents"},
        ("test.yml", "publish"): {"pages", "id-token"},
        ("release.yml", "create"): {"contents"},
        ("publish.yml", "deploy"): {"pages", "id-token"},
    }


def test_no_code_of_the_commit_runs_while_a_write_token_is_in_scope():
    """The jobs that hold a write token check nothing out and run none of the repository's code: the
    tag is computed, and the book built, in jobs with a read-only token."""
    for workflow, name, job in all_jobs():
        if not writes(job) or "uses" in job:  # a caller job: the called workflow's jobs are checked here
            continue
        for step in job["steps"]:
            assert not step.get("uses", "").startswith("actions/checkout"), f"{workflow}: {name} checks out code"
            command = step.get("run", "")
            assert not re.search(r"\b(make|python\d*|pip|bash|sh)\b|tools/|\./", command), (
                f"{workflow}: job {name} runs `{command.strip()}` with a write token"
            )


def test_every_action_is_pinned_to_a_commit_hash_with_its_version_in_a_comment():
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:- )?uses: (\S+)(.*)$", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match.group(1)), f"{path.name}: {line.strip()}"
            assert re.fullmatch(r"\s+# v\d+(\.\d+)*", match.group(2)), f"{path.name}: {line.strip()} (no version)"


def test_no_checkout_keeps_its_token():
    """actions/checkout would leave the token in .git/config, where a later step or an uploaded
    artifact could carry it off; no job pushes with git, so none keeps it."""
    checkouts = [
        (w, n, s) for w, n, job in all_jobs() for s in job.get("steps", []) if "actions/checkout" in s.get("uses", "")
    ]
    assert len(checkouts) == 4
    for workflow, name, step in checkouts:
        assert step["with"]["persist-credentials"] is False, f"{workflow}: job {name}"


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
    assert (tmp_path / "_config.yml").is_file() and (tmp_path / "chapters" / "08_architectures.ipynb").is_file()
    assert not (tmp_path / ".venv").exists()
