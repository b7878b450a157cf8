"""Save-to-reload time of `build.py serve`: from writing a file to the reload message.

    python bench/serve_bench.py [--n 1000] [--runs 15] [--keep DIR]

For the bundled site (the repo's content/, or a small generated corpus when the repo has none)
and for an N-entry corpus from shared/bench/gen_corpus.py, it starts the real server, connects to
livereload's socket as a browser does, then times three kinds of save: one entry's text, a
template (base.html, so every page changes) and a stylesheet. Each time is measured from the
write to the reload message; the edited page is then fetched to check it is the new one.
Targets: one-entry edit under 100 ms median at 1,000 entries; template edit under 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parents[1]
GEN = Path(__file__).resolve().parents[2] / "shared/bench/gen_corpus.py"


def make_project(folder: Path, content: Path | None, n: int) -> Path:
    """A project with the repo's theme and either a copy of `content` or a generated corpus."""
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copytree(REPO / "static", folder / "static")
    if content is not None:
        shutil.copytree(content, folder / "content")
    else:
        subprocess.run([sys.executable, str(GEN), "--format", "native", "--n", str(n),
                        "--out", str(folder / "gen")], check=True, capture_output=True)
        (folder / "gen" / "content").rename(folder / "content")
    return folder


class Server:
    """`build.py serve` on a free loopback port, always stopped."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root), "--port", "0"],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started = time.perf_counter()
        for line in self.proc.stdout:
            if found := re.search(r"Serving on (http://\S+)", line):
                self.url = found.group(1)
                break
        else:
            raise SystemExit("the server did not start")
        self.startup = time.perf_counter() - started

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def livereload(url: str):
    """A socket that has done livereload's handshake, as livereload.js does."""
    socket = await websocket_connect(f"ws://{url.split('/')[2]}/livereload")
    await socket.write_message(json.dumps({"command": "hello", "protocols": [
        "http://livereload.com/protocols/official-7"]}))
    await socket.read_message()
    await socket.write_message(json.dumps({"command": "info", "url": url, "plugins": {}}))
    return socket


async def time_saves(server: Server, edit, page: str, runs: int) -> list[float]:
    """Seconds from each write to its reload message; checks the page served afterwards."""
    socket = await livereload(server.url)
    times = []
    for i in range(runs):
        marker = f"bench-{time.monotonic_ns()}-{i}"
        started = time.perf_counter()
        edit(marker)
        while True:
            message = await asyncio.wait_for(socket.read_message(), timeout=60)
            if message and json.loads(message).get("command") == "reload":
                break
        times.append(time.perf_counter() - started)
        with urllib.request.urlopen(server.url + page) as response:
            if marker.encode() not in response.read():
                raise SystemExit(f"{page} was reloaded without the edit {marker}")
        await asyncio.sleep(0.2)  # let the editor's next save be a new one
    socket.close()
    return times


def edits(root: Path) -> dict[str, tuple]:
    """Three kinds of save, each leaving a marker that shows up in a served file."""
    entries = sorted(p for p in (root / "content").iterdir() if p.is_dir())
    entry = entries[len(entries) // 2]
    text_file = sorted(entry.glob("*.md"))[0]
    original = text_file.read_text(encoding="utf-8")
    base = root / "templates" / "base.html"
    base_text = base.read_text(encoding="utf-8")
    css = root / "static" / "assets" / "site.css"
    css_text = css.read_text(encoding="utf-8")
    return {
        "one-entry edit": (lambda m: text_file.write_text(original + f"\n{m}\n",
                                                          encoding="utf-8"), f"{entry.name}/"),
        "template edit": (lambda m: base.write_text(base_text.replace(
            "</head>", f'<meta name="bench" content="{m}">\n</head>'), encoding="utf-8"), ""),
        "static edit": (lambda m: css.write_text(css_text + f"\n/* {m} */\n", encoding="utf-8"),
                        "assets/site.css"),
    }


def bench_site(label: str, root: Path, runs: int) -> None:
    server = Server(root)
    try:
        count = len([p for p in (root / "content").iterdir() if p.is_dir()])
        print(f"\n{label}: {count} entries, first build and start {server.startup:.1f} s")
        print(f"  {'save':<16} {'median':>9} {'p90':>9} {'max':>9}   (write → reload message)")
        for name, (edit, page) in edits(root).items():
            n = max(3, runs // 3) if name == "template edit" else runs
            times = sorted(asyncio.run(time_saves(server, edit, page, n)))
            p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
            print(f"  {name:<16} {_ms(statistics.median(times))} {_ms(p90)} {_ms(times[-1])}"
                  f"   n={len(times)}")
    finally:
        server.stop()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="entries in the large corpus")
    parser.add_argument("--runs", type=int, default=15, help="saves timed per kind")
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="serve-bench-"))
    try:
        bundled = REPO / "content"
        if bundled.is_dir():
            bench_site("bundled site", make_project(work / "bundled", bundled, 0), args.runs)
        else:
            bench_site("bundled site (repo has no content/: 12 generated entries)",
                       make_project(work / "bundled", None, 12), args.runs)
        bench_site(f"{args.n}-entry corpus", make_project(work / "large", None, args.n),
                   args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
