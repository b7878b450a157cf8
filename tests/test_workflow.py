"""The GitHub Pages workflow: valid for GitHub (offline schema check) and holding its essentials."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github/workflows/pages.yml"
# The oldest major of each action that is still acceptable; newer majors pass.
MINIMUM_MAJORS = {"actions/checkout": 4, "actions/configure-pages": 5,
                  "actions/upload-pages-artifact": 3, "actions/deploy-pages": 4,
                  "actions/cache": 4, "actions/setup-python": 5}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses(workflow: dict, action: str) -> list[dict]:
    return [s for s in steps(workflow) if s.get("uses", "").split("@")[0] == action]


def test_workflow_passes_the_github_workflow_schema():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows",
                             str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_on_push_to_main_and_by_hand(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers


def test_workflow_uses_current_majors_of_the_pages_actions(workflow):
    for action, minimum in MINIMUM_MAJORS.items():
        found = uses(workflow, action)
        assert found, f"{action} is not used"
        for step in found:
            major = re.fullmatch(r"v(\d+)(\.\d+)*", step["uses"].split("@")[1])
            assert major and int(major.group(1)) >= minimum, step["uses"]


def test_workflow_has_the_pages_permissions_concurrency_and_environment(workflow):
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    deploy = next(job for job in workflow["jobs"].values()
                  if any(s.get("uses", "").startswith("actions/deploy-pages@")
                         for s in job["steps"]))
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    assert uses(workflow, "actions/deploy-pages")[0]["id"] == "deployment"


def test_workflow_tests_before_it_builds_and_deploys(workflow):
    jobs = workflow["jobs"]
    test_job = next(name for name, job in jobs.items()
                    if any(".ci/run" in s.get("run", "") or "make test" in s.get("run", "")
                           for s in job["steps"]))
    build_job = next(name for name, job in jobs.items()
                     if any("build.py build" in s.get("run", "") for s in job["steps"]))
    deploy_job = next(name for name, job in jobs.items() if "environment" in job)
    assert test_job in _needs(jobs[build_job]) and build_job in _needs(jobs[deploy_job])
    assert "make test" in (REPO / ".ci/run").read_text()


def _needs(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else needs


def test_workflow_builds_for_the_address_configure_pages_reports(workflow):
    configure = uses(workflow, "actions/configure-pages")[0]
    build = next(s for s in steps(workflow) if "build.py build" in s.get("run", ""))
    reported = "${{ steps." + configure["id"] + ".outputs.base_url }}"
    assert "--base-url" in build["run"]
    assert reported in build["run"] or (
        build.get("env", {}).get("BASE_URL") == reported and '"$BASE_URL' in build["run"])
    assert "--out site" in build["run"]
    upload = uses(workflow, "actions/upload-pages-artifact")[0]
    assert upload["with"]["path"] == "site"


def test_workflow_restores_and_saves_the_build_cache(workflow):
    cache = uses(workflow, "actions/cache")[0]
    # The cache and the last site (kept when its bytes are unchanged; its search bundles are
    # reused for the languages whose text did not change).
    assert cache["with"]["path"].split() == [".cache", "site"]
    assert "github.sha" in cache["with"]["key"] and cache["with"]["restore-keys"].strip()
    order = [s.get("uses", s.get("run", "")) for s in steps(workflow)]
    cache_at = next(i for i, s in enumerate(order) if s.startswith("actions/cache@"))
    build_at = next(i for i, s in enumerate(order) if "build.py build" in s)
    assert cache_at < build_at
