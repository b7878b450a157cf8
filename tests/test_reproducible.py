"""Reproducible output: the same sources give the same bytes, whatever the hash seed, the time
zone, the order the files were created in, the project's location, or the files' encoding details.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

from test_invalid import new_project

REPO = Path(__file__).resolve().parents[1]


def sample_site() -> dict[str, str]:
    """A few entries in three languages, with tags, footnotes, a table, code and an undated one."""
    files = {}
    for i, tag in enumerate(["ai", "China", "AI", "history", "人工智能", "zebra", "apple"]):
        slug = f"entry-{i}"
        date = f"date: 2025-0{1 + i % 9}-1{i % 9}\n" if i != 3 else ""
        files[f"content/{slug}/en.md"] = (
            f"---\ntitle: Entry {i}\n{date}tags: [{tag}, shared]\noriginal: true\n"
            f"summary: Summary {i}.\n---\n\n# Heading {i}\n\nText with a note[^1].\n\n"
            "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n\n"
            "[^1]: The note.\n")
        files[f"content/{slug}/zh.md"] = (
            f"---\ntitle: 第{i}篇\nsummary: 摘要{i}。\n---\n\n# 标题{i}\n\n有注释的文字[^1]。\n\n"
            "| 甲 | 乙 |\n|:--|--:|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n\n[^1]: 注释。\n")
        if i % 2:
            files[f"content/{slug}/ja.md"] = f"---\ntitle: 第{i}章\n---\n\n# 見出し\n\n本文。\n"
    files["site.yaml"] = "title: {en: Notes, zh: 笔记}\nlanguages: [en, zh, ja]\n"
    return files


def write_shuffled(root: Path, files: dict[str, str | bytes], seed: int) -> Path:
    """The theme, then the files in a shuffled order (so directory order differs)."""
    new_project(root)
    names = list(files)
    random.Random(seed).shuffle(names)
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = files[name]
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def build(root: Path, *args: str, **env: str) -> dict[str, str]:
    """Build in a fresh process with the given environment; the site's manifest path → sha256."""
    environ = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "TZ")}
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--quiet", *args,
                           "--root", str(root)], cwd=root, capture_output=True, text=True,
                          env={**environ, **env}, timeout=300)
    assert done.returncode == 0, done.stderr
    return manifest(root / "site")


def manifest(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_output_does_not_depend_on_hash_seed_time_zone_file_order_or_location(tmp_path):
    files = sample_site()
    one = build(write_shuffled(tmp_path / "one", files, seed=1),
                PYTHONHASHSEED="1", TZ="Pacific/Kiritimati")
    two = build(write_shuffled(tmp_path / "elsewhere" / "two", files, seed=2),
                PYTHONHASHSEED="4242", TZ="America/Adak")
    assert len(one) > 20
    assert one == two, sorted(k for k in one.keys() | two.keys() if one.get(k) != two.get(k))


def test_no_output_holds_the_wall_clock_date(tmp_path):
    """Dates come from the content (or SOURCE_DATE_EPOCH), never from the time of the build."""
    root = write_shuffled(tmp_path / "site", sample_site(), seed=3)
    build(root)
    today = dt.date.today()
    stamps = (today.isoformat(), today.strftime("%Y%m%d"), f"{today:%B} {today.day}, {today.year}")
    for path in (root / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt", ".js"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(stamp in text for stamp in stamps), path


def test_source_date_epoch_is_the_only_clock(tmp_path):
    root = write_shuffled(tmp_path / "site", sample_site(), seed=4)
    first = build(root, "--no-search", "--no-cache", SOURCE_DATE_EPOCH="946684800")
    (root / "site").rename(tmp_path / "first")
    assert build(root, "--no-search", "--no-cache", SOURCE_DATE_EPOCH="946684800",
                 TZ="Asia/Kathmandu") == first


def test_bom_and_crlf_files_build_the_same_site_as_clean_ones(tmp_path):
    clean = sample_site()
    messy = {name: (b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
             if name.endswith((".md", ".yaml")) else text for name, text in clean.items()}
    old_mac = {name: text.replace("\n", "\r") if name.endswith(".md") else text
               for name, text in clean.items()}
    expected = build(write_shuffled(tmp_path / "clean", clean, seed=5), "--no-search")
    assert build(write_shuffled(tmp_path / "messy", messy, seed=5), "--no-search") == expected
    assert build(write_shuffled(tmp_path / "cr", old_mac, seed=5), "--no-search") == expected
