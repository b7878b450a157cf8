"""Invalid sites, one folder each under tests/invalid/ (in the style of zola's test_sites_invalid).

A case folder is a small project: `content/…`, optionally `site.yaml` and `templates/` or
`static/` files that override the theme's, and `expected.txt` with the exact diagnostic lines
the build must print. Optional: `args.txt` (extra build arguments, one per line) and
`symlinks.txt` (`link -> target` lines, made at run time so the repository holds no links).

Each case is built into an output folder that already holds a good site. The build must exit
with status 1, print every expected line and no other error, print no traceback, and leave the
previous site byte for byte as it was, with no temporary folder beside it.
"""
from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from bitext.cli import main

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CASES = sorted(p for p in (HERE / "invalid").iterdir() if (p / "expected.txt").is_file())
CASE_META = ("expected.txt", "args.txt", "symlinks.txt")
GOOD_SITE = {
    "content/hello/en.md": "---\ntitle: Hello\ndate: 2026-01-02\noriginal: true\n---\n\nHi.\n",
    "content/hello/zh.md": "---\ntitle: 你好\n---\n\n嗨。\n",
}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def new_project(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A project with the repository's theme and the given files."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    (root / "content").mkdir(exist_ok=True)
    return root


def build(root: Path, *args: str, monkeypatch, capsys) -> tuple[int, str]:
    """`build.py build` in-process from the project folder: (exit status, stderr)."""
    monkeypatch.chdir(root)
    status = main(["build", *args], root=root)
    return status, capsys.readouterr().err


@pytest.fixture(scope="module")
def previous_site(tmp_path_factory) -> Path:
    """A good site, built once, that every failing build must leave untouched."""
    root = new_project(tmp_path_factory.mktemp("good"), GOOD_SITE)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert main(["build", "--quiet"], root=root) == 0
    return root / "site"


def install_case(case: Path, root: Path) -> list[str]:
    """Copy a case over a fresh project; returns the extra build arguments."""
    new_project(root)
    shutil.copytree(case, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*CASE_META))
    links = case / "symlinks.txt"
    for line in links.read_text().splitlines() if links.is_file() else ():
        link, target = (part.strip() for part in line.split("->"))
        (root / link).parent.mkdir(parents=True, exist_ok=True)
        (root / link).symlink_to(target)
    args = case / "args.txt"
    return args.read_text().split() if args.is_file() else []


def assert_fails_cleanly(root: Path, args: list[str], expected: list[str], before: dict,
                         monkeypatch, capsys) -> None:
    status, err = build(root, *args, monkeypatch=monkeypatch, capsys=capsys)
    lines = err.splitlines()
    assert status == 1, err
    assert "Traceback" not in err
    missing = [line for line in expected if line not in lines]
    assert not missing, f"missing lines:\n{chr(10).join(missing)}\n\nstderr:\n{err}"
    unexpected = [line for line in lines if ": error: " in line and line not in expected]
    assert not unexpected, f"unexpected errors:\n{chr(10).join(unexpected)}"
    assert tree(root / "site") == before, "the previous site changed"
    assert not [p.name for p in root.iterdir() if p.name.startswith(".site.")]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_invalid_site_fails_with_located_errors_and_keeps_previous_site(
        case, tmp_path, previous_site, monkeypatch, capsys):
    root = tmp_path / "project"
    args = install_case(case, root)
    shutil.copytree(previous_site, root / "site")
    before = tree(root / "site")
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert_fails_cleanly(root, args, [line for line in expected if line], before,
                         monkeypatch, capsys)


# Cases whose file names a checkout could not hold on every file system (case or Unicode
# normalisation twins) are made here instead of in a folder.

def test_case_twin_slugs_are_an_error(tmp_path, previous_site, monkeypatch, capsys):
    root = new_project(tmp_path / "project", {"content/post/en.md": "---\ntitle: A\n---\n",
                                              "content/Post/en.md": "---\ntitle: B\n---\n"})
    shutil.copytree(previous_site, root / "site")
    assert_fails_cleanly(root, [], [
        "content/Post: error: invalid entry folder name `Post` (use lowercase ASCII letters, "
        "digits and hyphens, e.g. `post`)",
        "content/post: error: entry folder name collides with `Post` (they differ only in case "
        "or Unicode normalisation)",
    ], tree(root / "site"), monkeypatch, capsys)


def test_unicode_normalisation_twin_slugs_are_an_error(tmp_path, previous_site, monkeypatch,
                                                        capsys):
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    root = new_project(tmp_path / "project", {f"content/{nfc}/en.md": "---\ntitle: A\n---\n",
                                              f"content/{nfd}/en.md": "---\ntitle: B\n---\n"})
    shutil.copytree(previous_site, root / "site")
    status, err = build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1 and "Traceback" not in err
    assert "they differ only in case or Unicode normalisation" in err
    assert f"invalid entry folder name `{nfc}`" in unicodedata.normalize("NFC", err)


def test_link_errors_show_alongside_another_entrys_front_matter_error(tmp_path, monkeypatch,
                                                                      capsys):
    root = new_project(tmp_path / "project", {
        "content/alpha/en.md": "---\ntitle: Alpha\nsumary: typo\n---\n\nText.\n",
        "content/beta/en.md": "---\ntitle: Beta\n---\n\n[out](../../../x)\n"})
    status, err = build(root, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1 and "unknown front-matter key `sumary`" in err
    assert "content/beta/en.md:5: error: link `../../../x` points outside the content folder" in err


if __name__ == "__main__":  # print what each case gives now, to write or review expected.txt
    import contextlib
    import io
    import os
    import sys
    import tempfile

    for case in sorted(p for p in (HERE / "invalid").iterdir() if p.is_dir()):
        if sys.argv[1:] and case.name not in sys.argv[1:]:
            continue
        root = Path(tempfile.mkdtemp()) / "project"
        args = install_case(case, root)
        os.chdir(root)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(["build", *args], root=root)
        print(f"== {case.name} (status {status})\n{err.getvalue()}")


def test_an_unreadable_entry_folder_is_a_located_error(tmp_path, previous_site, monkeypatch,
                                                       capsys):
    """Permissions cannot be tested as root, so the folder listing itself fails here."""
    import os

    from bitext import content

    root = new_project(tmp_path / "project", {"content/post/en.md": "---\ntitle: A\n---\n",
                                              "content/locked/en.md": "---\ntitle: B\n---\n"})
    shutil.copytree(previous_site, root / "site")
    real = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(content.os, "scandir", scandir)
    assert_fails_cleanly(root, [], [
        "content/locked: error: cannot read this folder: Permission denied",
    ], tree(root / "site"), monkeypatch, capsys)
