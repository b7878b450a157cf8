"""The build cache and the parallel build: same output whichever way a site is built.

Sites here have more entries than `workers.MIN_PARALLEL` where the pool matters, so the
process pool is exercised; search is off (`--no-search`) except where the test says so,
because Pagefind's cost is the same either way and `test_search.py` covers its reuse.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from conftest import entry

from bitext import workers
from bitext.cli import main

ENTRIES = workers.MIN_PARALLEL + 6


def many_entries(n: int = ENTRIES) -> dict[str, str]:
    files = {}
    for k in range(n):
        day = f"2026-01-{k % 28 + 1:02d}"
        files[f"content/post-{k:02d}/en.md"] = entry(
            f"Post {k}", f"# Part {k}\n\nFirst paragraph of post {k}.\n\nSecond, with {k} GPUs.",
            date=day, tags=f"[t{k % 3}]", original="true")
        files[f"content/post-{k:02d}/zh.md"] = entry(
            f"第{k}篇", f"# 第{k}部分\n\n第{k}篇的第一段。\n\n第二段，有 {k} 个 GPU。")
    return files


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build(run, root: Path, *args: str) -> str:
    result = run(root, "build", "--no-search", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def written(output: str) -> int:
    return int(re.search(r"\((\d+) files? written", output).group(1))


def test_cold_cached_and_incremental_builds_give_identical_trees(project, run, tmp_path):
    root = project(many_entries())
    cache = str(tmp_path / "cache")
    build(run, root, "--no-cache", "--out", str(tmp_path / "cold"))
    build(run, root, "--cache-dir", cache, "--out", str(tmp_path / "cached"))
    assert tree(tmp_path / "cached") == tree(tmp_path / "cold")

    # Edit one entry, add one, delete one: the incremental build must equal a cold one.
    post = root / "content/post-03/zh.md"
    post.write_text(post.read_text(encoding="utf-8").replace("第一段", "首段"), encoding="utf-8")
    # A title: shown on its neighbours' pages, the index and its tag's page too.
    titled = root / "content/post-10/en.md"
    titled.write_text(titled.read_text(encoding="utf-8").replace("Post 10", "Renamed ten"),
                      encoding="utf-8")
    (root / "content/added/en.md").parent.mkdir()
    (root / "content/added/en.md").write_text(entry("Added", "New.", date="2026-02-01",
                                                    tags="[t1]"), encoding="utf-8")
    for path in (root / "content/post-07").iterdir():
        path.unlink()
    (root / "content/post-07").rmdir()
    build(run, root, "--cache-dir", cache, "--out", str(tmp_path / "cached"))
    build(run, root, "--no-cache", "--out", str(tmp_path / "cold2"))
    assert tree(tmp_path / "cached") == tree(tmp_path / "cold2")
    assert not (tmp_path / "cached/post-07").exists()
    assert sum("Renamed ten" in page.decode() for page in tree(tmp_path / "cached").values()) >= 4


def test_a_page_follows_its_related_entries_and_the_site_labels(project, run, tmp_path):
    """An article's key stands for its own files, the settings and the links it shows: a
    related entry's new title or a new language label re-renders it."""
    files = many_entries(6)
    files["content/post-02/en.md"] = entry("Post 2", "Text.", date="2026-01-03",
                                           original="true", related="[post-05]")
    root = project(files)
    build(run, root)
    related = root / "content/post-05/en.md"
    related.write_text(related.read_text(encoding="utf-8").replace("Post 5", "Fifth, renamed"),
                       encoding="utf-8")
    build(run, root)
    assert "Fifth, renamed" in (root / "site/post-02/index.html").read_text(encoding="utf-8")
    # Only the label changes (not the languages, which parsing depends on): the entries'
    # records are reused, and their pages' column switches must show the new label.
    (root / "site.yaml").write_text("labels: {zh: 中文版}\n", encoding="utf-8")
    build(run, root)
    page = (root / "site/post-02/index.html").read_text(encoding="utf-8")
    assert '<span lang="zh">中文版</span></label>' in page
    assert '<span lang="zh">中文</span></label>' not in page
    build(run, root, "--no-cache", "--out", str(tmp_path / "cold"))
    assert tree(root / "site") == tree(tmp_path / "cold")


def test_a_rebuild_with_no_change_touches_no_file(project, run, tmp_path):
    root = project(many_entries())
    build(run, root)
    before = stats(root / "site")
    output = build(run, root)
    assert written(output) == 0
    assert stats(root / "site") == before


def test_a_site_with_new_file_times_is_checked_byte_for_byte_and_kept(project, run):
    """A fresh checkout and a restored site folder (the Pages workflow caches both) give every
    file a new time: the output is verified by its bytes, not rewritten, and a file edited by
    hand is still caught."""
    import os

    from bitext.cache import BuildCache, Diagnostics, scan

    root = project(many_entries())
    build(run, root)
    before = tree(root / "site")
    for folder in ("site", "content"):
        for path in (root / folder).rglob("*"):
            os.utime(path, (1_600_000_000, 1_600_000_000))
    assert written(build(run, root)) == 0
    assert tree(root / "site") == before
    state = BuildCache(root / ".cache").load_state(Diagnostics())
    assert {rel: seen[0] for rel, seen in state.outputs.items()} == {
        rel: stat for rel, stat in scan(root / "site").items() if not rel.endswith("/")}

    page = root / "site/post-03/index.html"
    page.write_bytes(page.read_bytes().replace(b"post 3.", b"post X."))  # same size
    build(run, root)
    assert tree(root / "site") == before


def test_a_new_source_date_epoch_remakes_the_feeds_not_the_pages(project, tmp_path,
                                                                  monkeypatch):
    """The Pages workflow sets SOURCE_DATE_EPOCH to each commit's time; only the feeds read it
    (the time of an undated entry), so only they are made again."""
    files = many_entries(6)  # below MIN_PARALLEL: pages render in this process
    files["content/undated/en.md"] = entry("Undated", "No date on this one.")
    root = project(files)
    args = ["build", "--no-search", "-q", "--root", str(root), "--content",
            str(root / "content"), "--out", str(root / "site")]
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert main(args) == 0
    rendered = []
    page = workers._TASKS["page"]
    monkeypatch.setitem(workers._TASKS, "page",
                        lambda job, task: rendered.append(task) or page(job, task))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert main(args) == 0
    assert rendered == []
    assert "2027-01-15T08:00:00Z" in (root / "site/feed.xml").read_text(encoding="utf-8")
    assert main([*args[:-1], str(tmp_path / "cold"), "--no-cache"]) == 0
    assert tree(root / "site") == tree(tmp_path / "cold")


def test_one_changed_entry_rewrites_its_page_and_the_pages_that_list_it(project, run):
    root = project(many_entries())
    build(run, root)
    before = stats(root / "site")
    post = root / "content/post-05/en.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Second,", "Then,"),
                    encoding="utf-8")
    build(run, root)
    after = stats(root / "site")
    changed = {path for path in after if after[path] != before.get(path)}
    assert "post-05/index.html" in changed
    # No other article page is rewritten: their text and neighbours are unchanged.
    pages = {p for p in changed if re.fullmatch(r"post-\d\d/index\.html", p)}
    assert pages == {"post-05/index.html"}


def test_a_template_change_rerenders_every_page_without_parsing_markdown(project, tmp_path,
                                                                           monkeypatch):
    from bitext import markup

    root = project(many_entries(6))  # below MIN_PARALLEL: parsing runs in this process
    args = ["build", "--no-search", "-q", "--root", str(root), "--content",
            str(root / "content"), "--out", str(root / "site")]
    monkeypatch.chdir(root)
    assert main(args) == 0
    before = stats(root / "site")
    parsed = []
    real = markup.to_document
    monkeypatch.setattr(markup, "to_document", lambda *a, **k: parsed.append(a) or real(*a, **k))
    base = root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8") + "<!-- edited -->\n", encoding="utf-8")
    assert main(args) == 0
    after = stats(root / "site")
    pages = [p for p in after if p.endswith(".html")]
    assert all(after[p] != before[p] for p in pages), "every page uses base.html"
    assert parsed == []


def test_a_small_rebuild_reuses_compiled_templates_and_known_language_tags(project, run):
    """What a one-entry rebuild would otherwise redo: compiling the theme (Jinja's bytecode
    cache in the cache folder) and importing langcodes (what it said is in `answers.bin`)."""
    import os

    root = project(many_entries(3))
    build(run, root)
    compiled = {p: p.stat().st_mtime_ns for p in (root / ".cache/templates").iterdir()}
    assert any(p.name.startswith("__jinja2_") for p in compiled)
    post = root / "content/post-01/en.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = run(root, "build", "--no-search", env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    imported = _imported(result)
    assert "jinja2" in imported  # the import log is there…
    # …and the answers about tags and dates were kept: neither langcodes nor Babel is needed
    assert not {"langcodes", "language_data", "babel"} & imported
    assert {p: p.stat().st_mtime_ns for p in (root / ".cache/templates").iterdir()} == compiled
    assert "One more line." in (root / "site/post-01/index.html").read_text(encoding="utf-8")


def _imported(result) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:")}


def test_an_edited_entry_reuses_its_highlighted_code_until_the_code_changes(project, run,
                                                                            tmp_path):
    """Pygments' import and lexer set-up are most of a one-entry rebuild: an edit that leaves
    an entry's code blocks alone takes their HTML from its previous record."""
    import os

    files = many_entries(3)
    code = "```python\ndef greet(name):\n    return f'hi {name}'\n```"
    files["content/post-01/en.md"] = entry("Post 1", f"Some code.\n\n{code}\n\nAfter.",
                                           date="2026-01-02", original="true")
    files["content/post-01/zh.md"] = entry("第1篇", f"一些代码。\n\n{code}\n\n之后。")
    root = project(files)
    build(run, root)
    post, page = root / "content/post-01/en.md", root / "site/post-01/index.html"
    profiled = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}

    post.write_text(post.read_text(encoding="utf-8").replace("After.", "After, edited."),
                    encoding="utf-8")
    result = run(root, "build", "--no-search", env=profiled)
    assert result.returncode == 0, result.stderr
    assert "jinja2" in _imported(result) and not any(
        name.startswith("pygments") for name in _imported(result))
    html = page.read_text(encoding="utf-8")
    assert "After, edited." in html and html.count('<span class="k">def</span>') == 2
    build(run, root, "--no-cache", "--out", str(tmp_path / "cold"))
    assert tree(root / "site") == tree(tmp_path / "cold")

    post.write_text(post.read_text(encoding="utf-8").replace("greet(name)", "wave(name)"),
                    encoding="utf-8")
    result = run(root, "build", "--no-search", env=profiled)
    assert result.returncode == 0, result.stderr
    assert "pygments.lexers.python" in _imported(result)  # a new block is highlighted…
    html = page.read_text(encoding="utf-8")
    assert html.count('<span class="nf">wave</span>') == 1  # …the zh column's is unchanged
    assert html.count('<span class="nf">greet</span>') == 1


def test_an_edit_to_a_recent_entry_remakes_the_feeds_from_their_kept_texts(project, run,
                                                                            tmp_path):
    """The feeds carry the full text of the newest entries: an edit to one of them makes the
    feeds again from `feeds.bin`, without the other entries' records."""
    import shutil

    root = project(many_entries())
    build(run, root)
    shutil.rmtree(root / ".cache/entries")  # only feeds.bin can give the other entries' text
    post = root / "content/post-27/en.md"  # the newest (2026-01-28)
    post.write_text(post.read_text(encoding="utf-8") + "\nA late correction.\n",
                    encoding="utf-8")
    build(run, root)
    # Only the edited entry was parsed (a record is written for each entry parsed).
    assert len(list((root / ".cache/entries").rglob("*.bin"))) == 1
    feed = (root / "site/feed.xml").read_text(encoding="utf-8")
    assert "A late correction." in feed and "First paragraph of post 3." in feed
    build(run, root, "--no-cache", "--out", str(tmp_path / "cold"))
    assert tree(root / "site") == tree(tmp_path / "cold")


def test_the_code_key_follows_bytes_and_installed_versions_not_file_times(tmp_path,
                                                                           monkeypatch):
    """The Pages workflow restores the cache into a fresh checkout and a fresh virtual
    environment: new modification times, same code and packages, so the cache must hold."""
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "checkout"
    shutil.copytree(Path(__file__).parents[1] / "bitext", copy / "bitext",
                    ignore=shutil.ignore_patterns("__pycache__"))

    def key() -> str:
        return subprocess.run(
            [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
             "from bitext.cache import code_key; print(code_key())", str(copy)],
            capture_output=True, text=True, check=True, env={**os.environ,
                                                              "PYTHONDONTWRITEBYTECODE": "1"},
        ).stdout.strip()

    first = key()
    for path in (copy / "bitext").rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # a checkout's new times
    assert key() == first
    source = copy / "bitext/render.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert key() != first  # the code changed

    from bitext.cache import code_key

    packages = tmp_path / "site-packages"
    (packages / "jinja2-3.1.4.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(packages)])
    before = code_key()
    (packages / "jinja2-3.1.4.dist-info").rename(packages / "jinja2-3.1.5.dist-info")
    assert code_key() != before  # a package upgraded


def test_a_record_is_read_field_by_field(tmp_path):
    """A page reads its entry's body, not the parsed blocks (two thirds of a record); a field
    not asked for is absent, so a partial record cannot be saved back as if whole."""
    from bitext.cache import BuildCache
    from bitext.workers import ArticleBody, EntryRecord

    cache = BuildCache(tmp_path)
    record = EntryRecord(parsed=None, body=ArticleBody((), (), True), links=(),
                         search=("pages",), search_labels=(("en", "English"),), code={})
    cache.write_record("ab" * 16, record)
    assert cache.read_record("ab" * 16) == record
    partial = cache.read_record("ab" * 16, ("body", "search_labels"))
    assert partial.body == record.body and partial.search_labels == record.search_labels
    with pytest.raises(AttributeError):
        getattr(partial, "search")  # noqa: B009  (the attribute is what is tested)
    with pytest.raises(AttributeError):
        cache.write_record("cd" * 16, partial)
    assert cache.read_record("cd" * 16) is None

    path = cache.record_path("ab" * 16)
    data = path.read_bytes()
    path.write_bytes(data[:-5] + b"xxxxx")  # damaged: refused whole, never half-read
    assert cache.read_record("ab" * 16, ("body",)) is None


def test_the_cache_keeps_one_record_per_entry_across_edits_and_upgrades(project, run):
    """Records of edited entries are deleted; so are those an older version of the generator
    left (its index is discarded, so nothing else would ever delete them)."""
    root = project(many_entries(3))
    build(run, root)
    records = sorted((root / ".cache/entries").rglob("*.bin"))
    assert len(records) == 3
    post = root / "content/post-01/en.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    build(run, root)
    assert len(list((root / ".cache/entries").rglob("*.bin"))) == 3
    records = sorted((root / ".cache/entries").rglob("*.bin"))
    stray = root / ".cache/entries/ff" / ("f" * 32 + ".bin")
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"a record of an older version")
    (root / ".cache/index.bin").unlink()  # as after an upgrade: the index is not trusted
    build(run, root)
    assert sorted((root / ".cache/entries").rglob("*.bin")) == records


def test_kept_feed_texts_of_another_shape_are_ignored(project, run, tmp_path):
    """feeds.bin passes its checksum but holds something else (another version wrote it):
    the feeds are made from the entries' records, as if it were missing."""
    from bitext.cache import dumps

    root = project(many_entries(3))
    build(run, root)
    (root / ".cache/feeds.bin").write_bytes(dumps({"post-00": "not a pair", "post-01": (1, 2, 3)}))
    post = root / "content/post-02/en.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nLater.\n", encoding="utf-8")
    build(run, root)
    build(run, root, "--no-cache", "--out", str(tmp_path / "cold"))
    assert tree(root / "site") == tree(tmp_path / "cold")


def test_language_tag_answers_saved_by_other_code_are_not_trusted(project, run, tmp_path):
    """`answers.bin` is keyed by the generator's code (which covers langcodes' version)."""
    from bitext.cache import dumps

    root = project(many_entries(3))
    build(run, root, "--out", str(tmp_path / "first"))
    wrong = {("registered", "zh"): False, ("autonym", "en"): "Wrongish", ("script", "en"): "Arab",
             ("long_date", "en 2026-01-01"): "Wrong date"}
    (root / ".cache/answers.bin").write_bytes(dumps(("another generator", wrong)))
    post = root / "content/post-00/en.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    build(run, root, "--out", str(tmp_path / "second"))
    page = (tmp_path / "second/post-00/index.html").read_text(encoding="utf-8")
    assert "Edited." in page and "Wrongish" not in page and 'dir="rtl"' not in page
    assert "Wrong date" not in page and "January 1, 2026" in page
    assert sorted(tree(tmp_path / "second")) == sorted(tree(tmp_path / "first"))


def test_compiled_templates_that_cannot_be_written_or_read_cost_time_not_the_build(
        project, tmp_path, monkeypatch):
    """A full disk while Jinja saves a compiled template, or an unreadable one: still built."""
    from bitext import render

    root = project(many_entries(3))
    args = ["build", "--no-search", "-q", "--root", str(root), "--content",
            str(root / "content"), "--out", str(root / "site")]
    monkeypatch.chdir(root)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render, "write_atomic", full_disk)
    assert main(args) == 0
    assert not any((root / ".cache/templates").iterdir())
    monkeypatch.undo()
    monkeypatch.chdir(root)
    assert main([*args[:-1], str(tmp_path / "second")]) == 0  # now they are saved
    compiled = list((root / ".cache/templates").iterdir())
    assert compiled
    for path in compiled:  # unreadable (a folder where a file should be): compiled again
        path.unlink()
        path.mkdir()
    assert main([*args[:-1], str(tmp_path / "third")]) == 0
    assert tree(tmp_path / "third") == tree(tmp_path / "second")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other-version"])
def test_a_damaged_cache_is_ignored_with_a_warning_and_rebuilt(project, run, tmp_path, damage):
    root = project(many_entries())
    build(run, root, "--out", str(tmp_path / "first"))
    for path in (root / ".cache").rglob("*.bin"):
        data = path.read_bytes()
        path.write_bytes({"garbage": b"\x80\x04not a cache" * 7,
                          "truncated": data[: len(data) // 2],
                          "other-version": data[:8] + b"\xff\xff" + data[10:]}[damage])
    # `--strict` too: the cache is the build's own, not the site's (a generator upgrade meets
    # a cache of another version once; a strict CI build must not fail for it).
    output = build(run, root, "--out", str(tmp_path / "second"), "--strict")
    assert "warning: ignoring unreadable build cache" in output
    assert "Traceback" not in output
    assert tree(tmp_path / "second") == tree(tmp_path / "first")
    # The next build trusts the cache it has just rewritten.
    assert "ignoring unreadable" not in build(run, root, "--out", str(tmp_path / "second"))


def test_cache_folder_default_option_and_bypass(project, run, tmp_path):
    root = project(many_entries(3))
    build(run, root, "--no-cache")
    assert not (root / ".cache").exists()
    build(run, root)
    assert (root / ".cache/CACHEDIR.TAG").is_file()
    elsewhere = tmp_path / "elsewhere"
    build(run, root, "--cache-dir", str(elsewhere), "--out", str(tmp_path / "out"))
    assert any(elsewhere.iterdir())
    assert not any(p.name == ".cache" or "cache" in p.name for p in (tmp_path / "out").iterdir())


@pytest.mark.parametrize("inside", ["site/cache", "content/cache", "."])
def test_the_cache_may_not_live_in_or_around_the_output_or_content(project, run, inside):
    root = project(many_entries(2))
    result = run(root, "build", "--no-search", "--cache-dir", str(root / inside))
    assert result.returncode == 1
    assert "error: the cache folder may not be inside, or contain, the" in result.stderr
    assert not (root / "site").exists()


def test_a_file_read_again_for_its_new_time_keeps_its_warnings(project, run):
    """Same bytes, new time: its page is not rendered again, yet its missing image is still
    reported, and `--strict` still fails as a cold build does."""
    root = project({"content/a/en.md": entry("A", "Hello ![p](p.png).", date="2026-01-01")})
    assert "warning: image `p.png` not found" in build(run, root)
    (root / "content/a/en.md").touch()
    result = run(root, "build", "--no-search", "--strict")
    assert result.returncode == 1 and "error: image `p.png` not found" in result.stderr
    assert "warning: image `p.png` not found" in build(run, root)


@pytest.mark.parametrize("name", ["index.html", "p/index.html", "feed.xml", "assets/code.css",
                                  "Index.HTML"])
def test_a_cached_build_refuses_a_theme_file_at_a_generated_path_as_a_cold_one_does(
        project, run, name):
    root = project({"content/p/en.md": entry("P", "Text.")})
    build(run, root)
    before = tree(root / "site")
    clash = root / "static" / name
    clash.parent.mkdir(parents=True, exist_ok=True)
    clash.write_text("<h1>static</h1>\n")
    for args in ((), ("--no-cache",)):
        result = run(root, "build", "--no-search", *args)
        assert result.returncode == 1, (args, result.stdout)
        assert f"static/{name}: error: two sources write the output file" in result.stderr
        assert tree(root / "site") == before


def test_a_theme_file_the_site_starts_to_write_is_refused_on_the_next_cached_build(project, run):
    root = project({"content/p/en.md": entry("P", "Text.")})
    (root / "static/tags").mkdir(parents=True)
    (root / "static/tags/index.html").write_text("<p>my own tags page</p>\n")
    build(run, root)  # no entry has tags: the file is the site's only tags page
    (root / "content/p/en.md").write_text(entry("P", "Text.", tags="[ai]"))
    result = run(root, "build", "--no-search")
    assert result.returncode == 1
    assert "static/tags/index.html: error: two sources write" in result.stderr
    assert (root / "site/tags/index.html").read_text() == "<p>my own tags page</p>\n"


def test_damaged_compiled_templates_are_compiled_again(project, run, tmp_path):
    root = project({"content/p/en.md": entry("P", "Text."),
                    "content/q/en.md": entry("Q", "More text.")})
    build(run, root)
    compiled = sorted((root / ".cache").rglob("__jinja2_*"))
    assert compiled, "the build keeps compiled templates"
    for path in compiled:  # bytes flipped in the middle: Jinja's own checks pass
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle:middle + 16] = bytes(b ^ 0x5A for b in data[middle:middle + 16])
        path.write_bytes(bytes(data))
    (root / "content/q/en.md").write_text(entry("Q", "Edited text."))
    result = run(root, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    cold = tmp_path / "cold"
    result = run(root, "build", "--no-search", "--no-cache", "--out", str(cold))
    assert result.returncode == 0, result.stderr
    assert tree(root / "site") == tree(cold)


def test_a_file_rewritten_in_place_with_its_time_put_back_is_seen(project, run):
    root = project({"content/p/en.md": entry("P", "HIGH-RISE text.")})
    build(run, root)
    source = root / "content/p/en.md"
    before = source.stat()
    time.sleep(0.05)
    with open(source, "r+b") as file:  # same inode, same size
        data = file.read()
        file.seek(0)
        file.write(data.replace(b"HIGH-RISE", b"hIGH-RISE"))
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert source.stat().st_mtime_ns == before.st_mtime_ns
    build(run, root)
    assert "hIGH-RISE" in (root / "site/p/index.html").read_text()
