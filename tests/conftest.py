"""Shared fixtures: a project factory that writes a whole site from inline text, and a runner."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """Make a project folder (theme copied from the repo) holding the given files.

    `project({"content/a/en.md": "---\\ntitle: A\\n---\\nText"})` returns the folder.
    """

    def make(files: dict[str, str | bytes], *, theme: bool = True) -> Path:
        root = tmp_path / "project"
        if theme and not (root / "templates").exists():
            shutil.copytree(REPO / "templates", root / "templates")
            shutil.copytree(REPO / "static", root / "static")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        (root / "content").mkdir(exist_ok=True)
        return root

    return make


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess]:
    """Run `build.py` as a user would, from the project folder, with the repo's code."""

    def invoke(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(REPO / "build.py"), *args, "--root", str(root)]
            if args and args[0] in ("build", "check", "new", "import") else
            [sys.executable, str(REPO / "build.py"), *args],
            cwd=root, capture_output=True, text=True, env=env, timeout=120,
        )

    return invoke


def entry(title: str, body: str, **meta: object) -> str:
    """A language file: front matter from keyword arguments, then the body."""
    lines = ["---", f"title: {title!r}"]
    lines += [f"{key}: {value}" for key, value in meta.items()]
    return "\n".join(lines + ["---", "", textwrap.dedent(body).strip(), ""])
