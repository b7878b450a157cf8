"""Output safety: the site is swapped in whole or not at all; sources are never in harm's way."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest
from test_invalid import GOOD_SITE, new_project, tree

from bitext import output
from bitext.cli import main
from bitext.errors import SiteError
from bitext.output import publish
from bitext.render import OutputFile

REPO = Path(__file__).resolve().parents[1]


def build(root: Path, *args: str, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.chdir(root)
    status = main(["build", "--quiet", *args], root=root)
    return status, capsys.readouterr().err


def sources(root: Path) -> dict[str, bytes]:
    """The project's files, without the build cache (`.cache/`, the build's own)."""
    return {path: data for path, data in tree(root).items() if not path.startswith(".cache/")}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.mark.parametrize("out", ["static/out", "templates/out", "static"])
def test_refuses_output_inside_the_generators_theme_a_project_is_built_with(
        out, tmp_path, monkeypatch, capsys):
    import shutil

    from bitext import config

    theme = tmp_path / "generator"  # stands for the folder of build.py and its theme
    shutil.copytree(REPO / "templates", theme / "templates")
    shutil.copytree(REPO / "static", theme / "static")
    monkeypatch.setattr(config, "THEME_HOME", theme)
    root = tmp_path / "project"
    (root / "content/p").mkdir(parents=True)
    (root / "content/p/en.md").write_text("---\ntitle: P\n---\nText.\n")
    before = tree(theme)
    status, err = build(root, "--out", str(theme / out), "--no-search", monkeypatch=monkeypatch,
                        capsys=capsys)
    assert status == 1 and "error: refusing to use" in err, err
    assert tree(theme) == before
    status, err = build(root, "--no-search", monkeypatch=monkeypatch, capsys=capsys)
    assert status == 0, err  # the theme itself is used


@pytest.mark.parametrize("out", ["content", ".", "..", "/", "content/site", "templates",
                                 "static", "static/site", "~"])
def test_refuses_output_folder_that_would_destroy_sources(out, tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    before = sources(root)
    out = str(Path.home()) if out == "~" else out
    status, err = build(root, "--out", out, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1, err
    # (the cache's own guard may speak first when the output would hold `.cache/`)
    assert re.search(r"error: (refusing to use|the cache folder may not)", err), err
    assert "Traceback" not in err
    assert sources(root) == before
    assert not leftovers(root) and not leftovers(root.parent)


@pytest.mark.parametrize("holding", [
    {"thesis.txt": b"years of work"},
    {"notes/a.md": b"mine", ".nojekyll": b""},  # a `.nojekyll` alone is not enough …
    {"index.html": b"<p>hand-written", ".nojekyll": b"my own words"},  # … nor other text
])
def test_refuses_to_replace_a_folder_no_build_wrote(holding, tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    other = tmp_path / "documents"
    for name, data in holding.items():
        (other / name).parent.mkdir(parents=True, exist_ok=True)
        (other / name).write_bytes(data)
    status, err = build(root, "--out", str(other), monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1
    assert f"{other}: error: refusing to replace {other}: it holds files" in err, err
    assert tree(other) == holding
    assert not leftovers(tmp_path)


def test_replaces_an_empty_folder_its_own_site_and_one_built_before_the_mark(
        tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    out = tmp_path / "public"
    out.mkdir()
    assert build(root, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert (out / ".nojekyll").read_bytes().startswith(b"Built by bitext")
    (out / "stale.html").write_text("gone next build")
    assert build(root, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert not (out / "stale.html").exists()
    (out / ".nojekyll").write_bytes(b"")  # as every build wrote it before the mark
    assert build(root, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert (out / ".nojekyll").read_bytes().startswith(b"Built by bitext")


def test_stale_files_of_deleted_entries_disappear(tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", {
        **GOOD_SITE, "content/gone/en.md": "---\ntitle: Gone\n---\n\nSoon deleted.\n",
        "content/gone/photo.png": b"\x89PNG fake"})
    assert build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert (root / "site/gone/index.html").is_file() and (root / "site/gone/photo.png").is_file()
    for path in (root / "content/gone").iterdir():
        path.unlink()
    (root / "content/gone").rmdir()
    assert build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert not (root / "site/gone").exists()
    assert "gone/" not in (root / "site/index.html").read_text()


def test_build_leaves_only_the_site_beside_the_sources(tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    for _ in range(2):
        assert build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert sorted(p.name for p in root.iterdir() if p.name != ".cache") == [
        "content", "site", "static", "templates"]


def test_unchanged_files_keep_their_inode_and_changed_ones_are_new(tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    build(root, monkeypatch=monkeypatch, capsys=capsys)
    css, page = root / "site/assets/site.css", root / "site/hello/index.html"
    inodes = (css.stat().st_ino, page.stat().st_ino)
    (root / "content/hello/en.md").write_text(
        "---\ntitle: Hello again\noriginal: true\n---\n\nHi.\n")
    assert build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert css.stat().st_ino == inodes[0]
    assert page.stat().st_ino != inodes[1] and "Hello again" in page.read_text()


def test_published_site_is_readable_by_everyone(tmp_path, monkeypatch, capsys):
    """The temporary folder is made like any folder (umask), not private like mkdtemp's."""
    old = os.umask(0o022)
    try:
        root = new_project(tmp_path / "project", GOOD_SITE)
        build(root, monkeypatch=monkeypatch, capsys=capsys)
    finally:
        os.umask(old)
    assert (root / "site").stat().st_mode & 0o777 == 0o755


def site_with(tmp_path: Path) -> Path:
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("old site")
    return out


def test_publish_discards_the_new_site_when_the_build_failed(tmp_path):
    out = site_with(tmp_path)
    files = [OutputFile(PurePosixPath("index.html"), b"new site")]
    assert publish(out, files, [], ok=lambda: False) is None
    assert tree(out) == {"index.html": b"old site"} and not leftovers(tmp_path)


@pytest.mark.parametrize("path", ["../escape.html", "/abs.html", "a/../../escape.html", ""])
def test_publish_refuses_paths_that_escape_the_site(tmp_path, path):
    out = site_with(tmp_path)
    files = [OutputFile(PurePosixPath("ok.html"), b"x"), OutputFile(PurePosixPath(path), b"x")]
    with pytest.raises(SiteError, match="escapes the site"):
        publish(out, files, [], ok=lambda: True)
    assert tree(out) == {"index.html": b"old site"} and not leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_two_files_for_one_path_stop_the_build(tmp_path):
    out = site_with(tmp_path)
    source = tmp_path / "logo.svg"
    source.write_text("<svg/>")
    files = [OutputFile(PurePosixPath("Logo.svg"), b"generated")]
    with pytest.raises(SiteError) as caught:
        publish(out, files, [(source, PurePosixPath("logo.svg"))], ok=lambda: True)
    assert "two sources write the output file `logo.svg`" in caught.value.diagnostics[0].message
    assert tree(out) == {"index.html": b"old site"} and not leftovers(tmp_path)


def test_a_file_that_cannot_be_written_is_a_located_error(tmp_path):
    out = site_with(tmp_path)
    files = [OutputFile(PurePosixPath("a"), b"file"), OutputFile(PurePosixPath("a/b.html"), b"x")]
    with pytest.raises(SiteError, match="cannot write `a/b.html`"):
        publish(out, files, [], ok=lambda: True)
    assert tree(out) == {"index.html": b"old site"} and not leftovers(tmp_path)


def test_ctrl_c_while_writing_leaves_the_old_site_and_no_temporary_folder(tmp_path):
    out = site_with(tmp_path)

    def files():
        yield OutputFile(PurePosixPath("index.html"), b"new site")
        os.kill(os.getpid(), signal.SIGINT)
        yield OutputFile(PurePosixPath("never.html"), b"x")

    with pytest.raises(KeyboardInterrupt):
        publish(out, files(), [], ok=lambda: True)
    assert tree(out) == {"index.html": b"old site"} and not leftovers(tmp_path)


def test_ctrl_c_during_the_swap_is_held_until_the_new_site_is_in_place(tmp_path, monkeypatch):
    out = site_with(tmp_path)
    real_replace = os.replace

    def replace_then_interrupt(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)  # arrives between the two renames

    monkeypatch.setattr(output.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        publish(out, [OutputFile(PurePosixPath("index.html"), b"new site")], [], ok=lambda: True)
    assert tree(out) == {"index.html": b"new site"} and not leftovers(tmp_path)


def test_folders_left_by_a_killed_build_are_swept(tmp_path):
    out = site_with(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    for name in (f".site.tmp-{dead}-0a1b2c3d", f".site.old-{dead}-0a1b2c3d"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text("half")
    (tmp_path / ".site.tmp-notes").mkdir()  # not ours: left alone
    publish(out, [OutputFile(PurePosixPath("index.html"), b"new")], [], ok=lambda: True)
    assert leftovers(tmp_path) == [".site.tmp-notes"]


def large_site(root: Path, entries: int) -> None:
    paragraph = "A sentence that is long enough to take some rendering time. " * 8
    for i in range(entries):
        folder = root / "content" / f"entry-{i:04d}"
        folder.mkdir(parents=True)
        body = "\n\n".join(f"## Part {j}\n\n{paragraph}" for j in range(12))
        (folder / "en.md").write_text(f"---\ntitle: Entry {i}\noriginal: true\n---\n\n{body}\n")
        (folder / "zh.md").write_text(f"---\ntitle: 第{i}篇\n---\n\n{body}\n")


def test_ctrl_c_mid_build_of_a_large_site_keeps_previous_site(tmp_path, run):
    """SIGINT once the new site is being written: status 130, old site intact, nothing left."""
    root = new_project(tmp_path / "project", GOOD_SITE)
    assert run(root, "build").returncode == 0
    before = tree(root / "site")
    large_site(root, 600)
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--root", str(root)],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(root.glob(".site.tmp-*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert tree(root / "site") == before
    assert not leftovers(root)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("pause", [0.0, 0.02, 0.08])
def test_a_second_ctrl_c_while_the_workers_stop_leaves_no_traceback_and_no_process(
        tmp_path, run, pause):
    """Twice Ctrl-C while the worker pool renders: the pool's own teardown could hang on a
    worker blocked writing, or print a traceback; the build must end at once, alone."""
    root = new_project(tmp_path / "project", GOOD_SITE)
    large_site(root, 300)
    assert run(root, "build", "--no-search").returncode == 0
    (root / "templates/_rows.html").write_text(  # every page is rendered again, by the pool
        (REPO / "templates/_rows.html").read_text() + "{# again #}\n")
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--no-search",
                             "--root", str(root)], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(children(proc.pid)) < 2 and proc.poll() is None:  # the pool is at work
        assert time.monotonic() < deadline, "the build never started its workers"
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    time.sleep(pause)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)  # the pipes close only when every worker is gone
    assert proc.returncode in (0, 130) and "Traceback" not in err, err
    assert not leftovers(root)


def _orphan(parent: int) -> None:
    from bitext import workers

    workers._die_with_parent(parent)
    time.sleep(30)  # a worker whose build is gone never gets here


def test_a_worker_whose_build_is_already_gone_ends_at_once():
    """The parent-death signal is asked for after the fork: a build that ended in between
    (a Ctrl-C as the pool starts) would never send it, and the worker would wait for tasks
    forever, holding the build's output pipes open."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    gone = context.Process(target=_orphan, args=(os.getpid() + 999_999,))  # not its parent
    started = time.monotonic()
    gone.start()
    gone.join(10)
    assert gone.exitcode == 0 and time.monotonic() - started < 10
    alive = context.Process(target=_orphan, args=(os.getpid(),))
    alive.start()
    alive.join(0.5)
    assert alive.is_alive()  # its parent is the one it was started by: it carries on
    alive.kill()
    alive.join()


def test_an_output_folder_that_is_a_link_keeps_the_link_and_fills_its_target(
        tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    served = tmp_path / "served"
    served.mkdir()
    (root / "site").symlink_to(served)
    assert build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    assert (root / "site").is_symlink() and (served / "hello/index.html").is_file()
    assert build(root, monkeypatch=monkeypatch, capsys=capsys)[0] == 0  # and again, in place
    assert (root / "site").is_symlink()


def test_a_loop_of_links_as_output_folder_is_a_usage_error(tmp_path, monkeypatch, capsys):
    root = new_project(tmp_path / "project", GOOD_SITE)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    status, err = build(root, "--out", str(loop), monkeypatch=monkeypatch, capsys=capsys)
    assert status == 2 and "cannot be resolved (a loop of links?)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_root_that_is_no_folder_is_a_usage_error(tmp_path, monkeypatch, capsys, kind):
    root = tmp_path / "nowhere"
    if kind == "file":
        root.write_text("not a project")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--root", str(root)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "nowhere/.cache").exists() and not (tmp_path / ".cache").exists()
