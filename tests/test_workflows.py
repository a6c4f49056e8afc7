"""The CI entry point and the GitHub workflows stay in step with the Makefile."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def run_steps(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.M)
    assert "make test" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_uses_existing_make_targets(path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["jobs"], f"{path.name} has no jobs"
    # PyYAML reads the key `on` as the boolean True
    triggers = workflow.get("on", workflow.get(True))
    assert triggers, f"{path.name} has no triggers"
    for command in run_steps(workflow):
        for target in re.findall(r"\bmake ([\w-]+)", command):
            assert target in make_targets(), f"{path.name} calls `make {target}`, which the Makefile lacks"


def test_test_workflow_matches_ci_and_runs_weekly_with_a_pip_cache():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "test.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    assert triggers["schedule"][0]["cron"].split()[-1] != "*", "the schedule should be weekly"
    assert "bash .ci/run" in run_steps(workflow)
    setup = [s for job in workflow["jobs"].values() for s in job["steps"] if "setup-python" in s.get("uses", "")]
    assert setup and setup[0]["with"]["cache"] == "pip"


def test_publish_workflow_builds_with_imagenet_chapters_and_deploys_pages():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    commands = "\n".join(run_steps(workflow))
    assert "cnnkit.weights fetch vgg16" in commands
    assert commands.index("make execute-online") < commands.index("make book")
    uses = [s.get("uses", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    makefile = (ROOT / "Makefile").read_text()
    block = makefile[makefile.index("ONLINE_CHAPTERS :="):].split("\n\n", 1)[0]
    chapters = re.findall(r"chapters/\S+\.ipynb", block)
    assert len(chapters) == 3
    for chapter in chapters:
        assert (ROOT / chapter).is_file(), f"ONLINE_CHAPTERS names {chapter}, which does not exist"
