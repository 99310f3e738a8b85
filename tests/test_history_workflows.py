"""The registry's own pull-request workflow: CI files, pre-commit hooks, CODEOWNERS, template.

They run `powers` commands on GitHub, where a renamed command or option would only show
up as a failed pull request: every command line they contain must parse here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from typer.main import get_command

from cli import app

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"


def powers_command_lines() -> list[str]:
    lines = []
    for f in sorted(WORKFLOWS.glob("*.yml")):
        for job in yaml.safe_load(f.read_text())["jobs"].values():
            for step in job.get("steps", []):
                script = step.get("run", "").replace("\\\n", " ")
                lines += [ln.strip() for ln in script.splitlines() if ln.strip().startswith("powers ")]
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    lines += [h["entry"] for h in hooks]
    return lines


def test_every_powers_command_in_the_workflows_and_hooks_parses():
    cli = get_command(app)
    lines = powers_command_lines()
    assert any(ln.startswith("powers check --base") for ln in lines)
    assert any("--markdown" in ln for ln in lines)
    for line in lines:
        words = shlex.split(re.sub(r"\$\{?[A-Za-z_%/]+\}?", "x", line.split(">")[0]))[1:]
        ctx = cli.make_context("powers", list(words), resilient_parsing=False)
        name, sub, rest = cli.resolve_command(ctx, words)
        assert sub is not None, line
        sub.make_context(name, rest)  # raises on an unknown option


def test_the_check_workflow_runs_on_pull_requests_and_posts_the_diff():
    check = yaml.safe_load((WORKFLOWS / "check.yml").read_text())
    assert "pull_request" in check[True]
    steps = check["jobs"]["check"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0  # the base and its history are needed
    assert any(s.get("uses", "").startswith("actions/github-script") for s in steps)
    publish = yaml.safe_load((WORKFLOWS / "publish.yml").read_text())
    assert publish[True]["push"]["branches"] == ["main"]
    assert "deploy" in publish["jobs"]


def test_codeowners_is_generated_and_the_template_is_bilingual():
    owners = (REPO / ".github" / "CODEOWNERS").read_text()
    for folder in sorted(p.name for p in (REPO / "data" / "powers").iterdir() if p.is_dir()):
        assert f"/data/powers/{folder}/ " in owners
    template = (REPO / ".github" / "pull_request_template.md").read_text()
    assert "改动说明" in template and "What changes" in template
    hooks = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks == {"powers-check", "powers-fmt"}
