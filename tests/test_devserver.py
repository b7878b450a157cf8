"""`build.py serve` as a writer uses it: a real server on a free loopback port, edited live.

Each test starts the server as a subprocess (`--port 0`: it prints the port it got), edits the
project, and polls the served pages until they change. Servers are always stopped.
"""
from __future__ import annotations

import asyncio
import functools
import http.client
import json
import operator
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO, entry

from bitext.config import SiteConfig
from bitext.watch import ChangeSet, Debouncer, Roots, classify

TIMEOUT = 30  # seconds: generous, for a loaded two-core machine
CHROMIUM = "/usr/bin/chromium"


def hello_site() -> dict[str, str]:
    return {
        "content/hello/en.md": entry("Hello", "First paragraph.", date="2026-01-02",
                                     tags="[greetings]", original="true"),
        "content/hello/zh.md": entry("你好", "第一段。"),
        "content/older/en.md": entry("Older", "An older text.", date="2025-05-05"),
    }


class Served:
    """A running `build.py serve`, with its output collected as it comes."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root = root
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root),
             "--port", "0", *args],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, lines=lines: lines.extend(s),
                             daemon=True).start()
        found = wait_for(lambda: _serving(self.out) or self.proc.poll() is not None)
        if not isinstance(found, str):
            self.stop()
            pytest.fail(f"server did not start:\n{self.log()}")
        self.url = found
        self.host, self.port = re.match(r"http://([^:/]+):(\d+)", found).groups()

    def request(self, path: str, method: str = "GET") -> tuple[int, dict, str]:
        """One raw request (the path is sent as given, `..` and all)."""
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=TIMEOUT)
        try:
            conn.request(method, path)
            response = conn.getresponse()
            body = response.read().decode("utf-8", errors="replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()

    def page(self, path: str) -> str:
        return self.request(path)[2]

    def status(self) -> dict:
        return json.loads(self.page("/__bitext__/status"))

    def log(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def _serving(lines: list[str]) -> str | None:
    for line in list(lines):
        if found := re.search(r"Serving on (http://\S+)", line):
            return found.group(1)
    return None


def wait_for(check: Callable[[], object], timeout: float = TIMEOUT) -> object:
    """Poll `check` until it returns something true; that value, or None at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    return None


@pytest.fixture
def serve(project) -> Iterator[Callable[..., Served]]:
    """Start servers over a project made from inline files; every one is stopped afterwards."""
    started: list[Served] = []

    def start(files: dict[str, str], *args: str) -> Served:
        server = Served(project(files), *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def served_site(tmp_path_factory) -> Iterator[Served]:
    """One server for the tests that only read (each xdist worker makes its own)."""
    root = tmp_path_factory.mktemp("served") / "project"
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    for name, text in hello_site().items():
        write(root / name, text)
    server = Served(root)
    yield server
    server.stop()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- live editing ------------------------------------------------------------------------------

def test_edit_of_an_entry_shows_on_its_page_and_in_the_lists(serve):
    server = serve(hello_site())
    assert "First paragraph." in server.page("/hello/")
    write(server.root / "content/hello/en.md", entry(
        "Hello again", "Edited paragraph.", date="2026-01-02", tags="[greetings]",
        original="true"))
    assert wait_for(lambda: "Edited paragraph." in server.page("/hello/")), server.log()
    assert wait_for(lambda: "Hello again" in server.page("/"))
    assert "Hello again" in server.page("/tags/greetings/")
    assert "Hello again" in server.page("/older/")  # its neighbour links to it by title


def test_adding_renaming_and_deleting_entries_updates_every_list(serve):
    server = serve(hello_site())
    content = server.root / "content"
    write(content / "newer/en.md", entry("Brand new", "New text.", date="2026-03-03",
                                         tags="[greetings]"))
    assert wait_for(lambda: server.request("/newer/")[0] == 200), server.log()
    assert wait_for(lambda: "Brand new" in server.page("/tags/greetings/"))
    assert "Brand new" in server.page("/")
    (content / "newer").rename(content / "renamed")
    assert wait_for(lambda: server.request("/renamed/")[0] == 200), server.log()
    assert wait_for(lambda: server.request("/newer/")[0] == 404)
    assert "/renamed/" in server.page("/") and "/newer/" not in server.page("/")
    (content / "renamed/en.md").unlink()
    (content / "renamed").rmdir()
    assert wait_for(lambda: server.request("/renamed/")[0] == 404), server.log()
    assert wait_for(lambda: "Brand new" not in server.page("/"))
    assert "Brand new" not in server.page("/tags/greetings/")
    assert not (server.root / "site/renamed").exists()


@pytest.mark.parametrize("folder", ["content", "templates"])
def test_a_source_folder_deleted_and_made_again_is_still_watched(serve, folder):
    """`rm -rf content` then `cp -r`: the system drops the old folder's watch."""
    server = serve(hello_site())
    source, spare = server.root / folder, server.root.parent / f"{folder}.spare"
    shutil.copytree(source, spare)
    shutil.rmtree(source)
    time.sleep(0.3)
    shutil.copytree(spare, source)
    time.sleep(0.3)
    if folder == "content":
        write(source / "hello/en.md", entry("Hello", "Written after the copy.",
                                            date="2026-01-02", original="true"))
        expected = "Written after the copy."
    else:
        base = source / "base.html"
        base.write_text(base.read_text(encoding="utf-8").replace(
            "</head>", '<meta name="after-copy" content="yes">\n</head>'), encoding="utf-8")
        expected = "after-copy"
    assert wait_for(lambda: expected in server.page("/hello/")), server.log()


def test_adding_and_deleting_a_language_file_updates_the_page(serve):
    server = serve(hello_site())
    write(server.root / "content/hello/ja.md", entry("こんにちは", "最初の段落。"))
    assert wait_for(lambda: "最初の段落。" in server.page("/hello/")), server.log()
    (server.root / "content/hello/zh.md").unlink()
    assert wait_for(lambda: "第一段。" not in server.page("/hello/")), server.log()
    assert "最初の段落。" in server.page("/hello/")


def test_template_settings_and_static_edits_rerender_or_copy(serve):
    server = serve(hello_site())
    css = server.root / "static/assets/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.edited-static { color: red }\n",
                   encoding="utf-8")  # a rule: comments are not shipped
    assert wait_for(lambda: "edited-static" in server.page("/assets/site.css")), server.log()
    base = server.root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "</head>", '<meta name="edited-template" content="yes">\n</head>'), encoding="utf-8")
    for path in ("/", "/hello/", "/older/", "/tags/greetings/", "/nowhere"):
        assert wait_for(lambda p=path: "edited-template" in server.page(p)), (path, server.log())
    write(server.root / "site.yaml", "title: Renamed Site\n")
    for path in ("/", "/hello/", "/older/"):
        assert wait_for(lambda p=path: "Renamed Site" in server.page(p)), (path, server.log())


def test_broken_file_shows_errors_in_overlay_and_keeps_last_good_site(serve):
    server = serve(hello_site())
    assert server.status()["ok"]
    zh = server.root / "content/hello/zh.md"
    zh.write_text("---\ntitle: [unclosed\n---\n\nBroken.\n", encoding="utf-8")
    status = wait_for(lambda: (s := server.status())["errors"] and s)
    assert status, server.log()
    assert re.search(r"content/hello/zh\.md:2(:\d+)?: error: ", status["errors"][0]), status
    assert wait_for(lambda: "zh.md:2" in "".join(server.err))  # the terminal too
    page = server.page("/hello/")
    assert "第一段。" in page and "/__bitext__/client.js" in page  # last good page, with overlay
    assert "LiveReloadPlugin" in server.page("/__bitext__/client.js")
    write(zh, entry("你好", "修好了。"))
    assert wait_for(lambda: server.status()["ok"]), server.log()
    assert wait_for(lambda: "修好了。" in server.page("/hello/"))
    assert server.proc.poll() is None


class LiveReloadClient:
    """livereload.js's side of the socket, in a thread of its own: records reload messages."""

    def __init__(self, server: Served) -> None:
        self.reloads: list[str] = []
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._run(server),),
                                        daemon=True)
        self._thread.start()
        assert self._ready.wait(TIMEOUT), "no livereload handshake"

    async def _run(self, server: Served) -> None:
        from tornado.websocket import websocket_connect

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        sock = await websocket_connect(f"ws://{server.host}:{server.port}/livereload")
        hello = json.dumps({"command": "hello",
                            "protocols": ["http://livereload.com/protocols/official-7"]})
        await sock.write_message(hello)
        await sock.read_message()
        await sock.write_message(json.dumps({"command": "info", "url": server.url}))
        await sock.write_message(hello)  # answered only once `info` was handled
        await sock.read_message()
        self._ready.set()
        while (message := await sock.read_message()) is not None:
            data = json.loads(message)
            if data.get("command") == "reload":
                self.reloads.append(data["path"])
        sock.close()

    def close(self) -> None:
        self._thread.join(0)


def test_livereload_reload_follows_every_build_even_saves_a_second_apart(serve):
    server = serve(hello_site())
    client = LiveReloadClient(server)
    en = server.root / "content/hello/en.md"
    for n in range(3):  # python-livereload's own poller would drop saves < 3 s apart
        write(en, entry("Hello", f"Save number {n}.", original="true"))
        assert wait_for(lambda n=n: len(client.reloads) > n), (client.reloads, server.log())
        assert f"Save number {n}." in server.page("/hello/")  # reload comes after the write
    css = server.root / "static/assets/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.restyled { color: red }\n",
                   encoding="utf-8")
    assert wait_for(lambda: len(client.reloads) > 3), server.log()
    assert client.reloads[3] == "/assets/site.css"  # livereload.js restyles, no reload
    write(en, "---\ntitle: [unclosed\n---\n")
    assert wait_for(lambda: len(client.reloads) > 4), server.log()
    assert client.reloads[4] == "/__bitext__/status"  # the overlay shows; the page stays
    write(en, entry("Hello", "Save number 2.", original="true"))  # the last good text again
    assert wait_for(lambda: len(client.reloads) > 5), server.log()
    assert client.reloads[5] == "/__bitext__/status" and server.status()["ok"]


def test_a_fresh_search_index_alone_does_not_reload_the_page(serve):
    """The index is made seconds after a save, in the background: the page reloaded twice."""
    server = serve(hello_site())
    client = LiveReloadClient(server)
    indexed = server.log().count("search index")
    write(server.root / "content/hello/en.md", entry("Hello", "Indexed later.", original="true"))
    assert wait_for(lambda: client.reloads), server.log()
    assert wait_for(lambda: server.log().count("search index") > indexed), server.log()
    time.sleep(0.5)
    assert len(client.reloads) == 1, client.reloads


def test_editor_temp_files_and_output_do_not_trigger_builds(serve):
    server = serve(hello_site())
    folder = server.root / "content/hello"
    for name in (".en.md.swp", "en.md~", ".#en.md", "4913", "#en.md#"):
        (folder / name).write_text("junk", encoding="utf-8")
    (server.root / "site/stray.txt").write_text("output", encoding="utf-8")
    write(server.root / "content/older/en.md", entry("Older", "Sentinel edit.",
                                                     date="2025-05-05"))
    assert wait_for(lambda: "Sentinel edit." in server.page("/older/")), server.log()
    rebuilds = [line for line in server.out if line.startswith("rebuilt")]
    assert rebuilds and not any(name in "".join(rebuilds) for name in ("swp", "4913", "~",
                                                                        "stray"))
    assert all("hello" not in line for line in rebuilds), rebuilds


def test_classify_names_the_kind_of_change_and_ignores_temp_files(tmp_path):
    config = SiteConfig(root=tmp_path, content_dir=tmp_path / "content",
                        out_dir=tmp_path / "site")
    roots = Roots.of(config)
    assert classify(tmp_path / "content/a/en.md", roots).entries == {"a"}
    assert classify(tmp_path / "content/a/img/x.png", roots).entries == {"a"}
    assert classify(tmp_path / "templates/base.html", roots).templates
    assert classify(tmp_path / "static/assets/site.css", roots).static
    assert classify(tmp_path / "site.yaml", roots).settings
    for ignored in ("content/a/.en.md.swp", "content/a/en.md~", "content/a/4913",
                    "content/a/.#en.md", "site/index.html", "README.md", "templates/.x.swp"):
        assert classify(tmp_path / ignored, roots) is None, ignored


def test_debouncer_turns_a_save_storm_into_one_change():
    changes = Debouncer(quiet=0.05, longest=5)
    for name in ("a", "b", "a"):
        changes.add(ChangeSet(entries=frozenset({name})))
    changes.add(ChangeSet(templates=True))
    merged = changes.wait()
    assert merged == ChangeSet(entries=frozenset({"a", "b"}), templates=True)
    assert changes.wait(timeout=0.01) is None and not changes.closed  # nothing came
    changes.close()
    assert changes.wait() is None and changes.closed


# -- serving -----------------------------------------------------------------------------------

def test_paths_outside_the_output_folder_are_refused(served_site, tmp_path):
    server = served_site
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve", encoding="utf-8")
    (server.root / "site/leak").unlink(missing_ok=True)
    (server.root / "site/leak").symlink_to(secret)
    (server.root / "site/leakdir").unlink(missing_ok=True)
    (server.root / "site/leakdir").symlink_to(tmp_path, target_is_directory=True)
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/hello/..%2f..%2fsite.yaml",
                 "/%2E%2E/project/site.yaml", "/leak", "/leakdir/secret.txt", "/..\\site.yaml"):
        status, _, body = server.request(path)
        assert status in (403, 404), path
        assert "do not serve" not in body and "root:" not in body


def test_missing_page_gets_the_site_404_page_with_status_404(served_site):
    server = served_site
    status, headers, body = server.request("/no/such/page/")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body == server.page("/404.html")


def test_content_types_are_utf8_and_nothing_is_cached(served_site):
    server = served_site
    expected = {"/": "text/html; charset=utf-8", "/assets/site.css": "text/css; charset=utf-8",
                "/assets/reader.js": "application/javascript; charset=utf-8",
                "/favicon.svg": "image/svg+xml; charset=utf-8"}
    for path, kind in expected.items():
        status, headers, _ = server.request(path)
        assert (status, headers["content-type"]) == (200, kind), path
        assert headers["cache-control"] == "no-store"
    status, headers, body = server.request("/hello/", method="HEAD")
    assert status == 200 and body == "" and int(headers["content-length"]) > 0
    assert server.request("/hello")[0] == 301  # folders get their slash, as on Pages


def test_base_url_serves_the_site_under_its_sub_path_as_github_pages(serve):
    server = serve(hello_site(), "--base-url", "/repo/")
    assert server.url.endswith("/repo/")
    assert "First paragraph." in server.page("/repo/hello/")
    assert 'href="/repo/hello/"' in server.page("/repo/")
    status, headers, _ = server.request("/repo")
    assert status == 301 and headers["location"] == "/repo/"
    assert server.request("/")[0] == 404
    assert server.request("/hello/")[0] == 404
    status, _, body = server.request("/repo/nothing-here")
    assert status == 404 and body == server.page("/repo/404.html")


def test_port_in_use_is_a_clear_error_with_status_2(project):
    root = project(hello_site())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root), "--port",
             str(port)], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error_not_another_port(project, port):
    root = project(hello_site())
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root), f"--port={port}"],
        cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "error: argument --port:" in result.stderr and "is not a port number" in result.stderr
    assert not (root / "site").exists(), "nothing is built or served"


def test_ctrl_c_stops_cleanly_and_all_interfaces_warn(serve):
    server = serve(hello_site(), "--host", "0.0.0.0")
    assert wait_for(lambda: "warning: --host 0.0.0.0" in "".join(server.err))
    assert server.request("/")[0] == 200
    assert server.stop(signal.SIGINT) in (0, 130)
    assert "Traceback" not in server.log()


def test_failed_first_build_still_serves_and_shows_errors(serve):
    files = hello_site()
    files["content/hello/zh.md"] = "---\ntitle: [unclosed\n---\nText\n"
    server = serve(files)
    assert server.status()["errors"]
    status, _, body = server.request("/")
    assert status == 404 and "/__bitext__/client.js" in body  # the overlay can still show
    write(server.root / "content/hello/zh.md", entry("你好", "第一段。"))
    assert wait_for(lambda: server.request("/hello/")[0] == 200), server.log()


# -- in a real browser -------------------------------------------------------------------------

def chromium_or_skip():
    """Playwright over the system Chromium; missing under CI is a failure, else a loud skip."""
    if os.environ.get("BITEXT_SKIP_BROWSER"):
        pytest.skip("BITEXT_SKIP_BROWSER is set")
    problem = None if Path(CHROMIUM).exists() else f"{CHROMIUM} is missing"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed"
    if problem:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"browser test: {problem}")
    return sync_playwright


@pytest.mark.browser
def test_browser_reloads_on_save_and_shows_the_overlay_under_the_sites_csp(serve):
    sync_playwright = chromium_or_skip()
    server = serve(hello_site())
    zh = server.root / "content/hello/zh.md"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(server.url + "hello/")
            page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                                   " && window.LiveReload.connector.protocol > 0",
                                   timeout=TIMEOUT * 1000)
            write(zh, entry("你好", "浏览器看到了。"))
            page.wait_for_function("() => document.body.innerText.includes('浏览器看到了。')",
                                   timeout=TIMEOUT * 1000)
            zh.write_text("---\ntitle: [unclosed\n---\n\nBroken.\n", encoding="utf-8")
            overlay = page.wait_for_selector("#bitext-overlay", timeout=TIMEOUT * 1000)
            assert re.search(r"zh\.md:2(:\d+)?: error:", overlay.inner_text())
            assert "浏览器看到了。" in page.inner_text("main")  # the last good page stays
            write(zh, entry("你好", "又好了。"))
            page.wait_for_function("() => document.body.innerText.includes('又好了。')",
                                   timeout=TIMEOUT * 1000)
            page.wait_for_selector("#bitext-overlay", state="detached", timeout=TIMEOUT * 1000)
            assert not [text for text in console if "Content Security Policy" in text], console
        finally:
            browser.close()


# -- incremental rebuilds give the site a full build gives ---------------------------------------

def site_files(folder: Path) -> dict[str, bytes]:
    """Every file of a built site but the search index (the preview indexes in the background)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "pagefind" not in p.relative_to(folder).parts}


@pytest.mark.parametrize("engine", ["LiveSite", "SessionSite"])
def test_incremental_rebuilds_match_a_full_build_after_every_kind_of_edit(project, run, engine):
    from bitext import livebuild
    from bitext.config import load_config
    from bitext.errors import Diagnostics

    files = hello_site()
    files["content/third/en.md"] = entry("Third", "Third text.", date="2024-04-04",
                                         tags="[greetings, misc]", related="[hello]")
    root = project(files)
    config = load_config(root, root / "content", root / "live", Diagnostics())
    site = getattr(livebuild, engine)(config)
    assert site.rebuild(None).ok
    content = root / "content"
    roots = Roots.of(config)

    def change(*names: str) -> ChangeSet:  # as the watcher reports these paths
        found = [classify((root / name).resolve(), roots) for name in names]
        return functools.reduce(operator.or_, [c for c in found if c])

    edits: list[tuple[Callable[[], object], ChangeSet]] = [
        (lambda: write(content / "hello/en.md", entry("Hello", "Body only.", date="2026-01-02",
                                                      tags="[greetings]", original="true")),
         change("content/hello/en.md")),
        (lambda: write(content / "hello/en.md", entry("Retitled", "Body only.", date="2023-01-02",
                                                      tags="[new-tag]", original="true")),
         change("content/hello/en.md")),
        (lambda: write(content / "added/en.md", entry("Added", "New.", date="2026-06-06")),
         change("content/added", "content/added/en.md")),
        (lambda: (content / "older").rename(content / "renamed"),
         change("content/older", "content/renamed")),
        (lambda: shutil.rmtree(content / "third"), change("content/third")),
        (lambda: write(root / "templates/404.html", (root / "templates/404.html").read_text(
            encoding="utf-8") + "<!-- edited -->\n"), change("templates/404.html")),
        # The page around the segments, the segments themselves, then the strings they show:
        # the preview keeps rendered segments only while none of these changed.
        (lambda: write(root / "templates/base.html", (root / "templates/base.html").read_text(
            encoding="utf-8") + "<!-- base edited -->\n"), change("templates/base.html")),
        (lambda: write(root / "templates/_rows.html", (root / "templates/_rows.html").read_text(
            encoding="utf-8").replace('class="seg"', 'class="seg row"')),
         change("templates/_rows.html")),
        (lambda: write(root / "templates/i18n.yaml", (root / "templates/i18n.yaml").read_text(
            encoding="utf-8").replace("note_untranslated: not translated",
                                      "note_untranslated: missing here", 1)),
         change("templates/i18n.yaml")),
        (lambda: write(root / "site.yaml", "title: New title\n"), change("site.yaml")),
    ]
    for edit, changed in edits:
        edit()
        outcome = site.rebuild(changed)
        assert outcome.ok, outcome.diagnostics
        fresh = livebuild.LiveSite(load_config(root, content, root / "fresh", Diagnostics()))
        assert fresh.rebuild(None).ok
        assert_same_site(root / "live", root / "fresh", changed)
    site.close()
    result = run(root, "build", "--out", "full")  # and what `build` makes
    assert result.returncode == 0, result.stderr
    assert_same_site(root / "live", root / "full", "build")


def assert_same_site(one: Path, other: Path, after: object) -> None:
    first, second = site_files(one), site_files(other)
    assert sorted(first) == sorted(second), after
    assert [name for name in first if first[name] != second[name]] == [], after


def test_first_preview_build_parses_on_every_core_and_matches_one_core(project, monkeypatch):
    from bitext import livebuild, livecontent, workers
    from bitext.config import load_config
    from bitext.errors import Diagnostics

    files = {f"content/post-{k:02d}/{lang}.md": entry(f"{lang} {k}", f"Text {k} in {lang}.\n\n"
                                                     f"More {k}.", date="2026-01-01")
             for k in range(workers.MIN_PARALLEL + 4) for lang in ("en", "zh")}
    root = project(files)
    forks = []
    real = livecontent.multiprocessing.get_context
    monkeypatch.setattr(livecontent.multiprocessing, "get_context",
                        lambda method: forks.append(method) or real(method))
    # The pool is for the first build, before the server's threads exist; pytest's may.
    monkeypatch.setattr(livecontent.threading, "active_count", lambda: 1)

    def preview(out: str) -> dict[str, bytes]:
        config = load_config(root, root / "content", root / out, Diagnostics())
        assert livebuild.LiveSite(config).rebuild(None).ok
        return site_files(root / out)

    pooled = preview("pooled")
    assert forks == ["fork"]
    monkeypatch.setattr(workers, "MIN_PARALLEL", 10**9)
    assert preview("alone") == pooled
    assert forks == ["fork"]


def test_theme_reloads_recompile_only_the_edited_template(project):
    """The dev server keeps compiled templates in memory (MemoryBytecode): a reload after a
    template edit recompiles that template alone, and never serves its stale code."""
    from bitext.config import load_config
    from bitext.errors import Diagnostics
    from bitext.render import MemoryBytecode, make_theme

    root = project(hello_site())
    config = load_config(root, root / "content", root / "site", Diagnostics())
    compiled = MemoryBytecode()
    make_theme(config, Diagnostics(), compiled)
    first = dict(compiled.store)
    assert len(first) >= 4  # every template of the theme
    make_theme(config, Diagnostics(), compiled)
    assert compiled.store == first  # all loaded, none compiled again
    page = root / "templates/404.html"
    page.write_text(page.read_text(encoding="utf-8") + "{% block edited %}{% endblock %}\n",
                    encoding="utf-8")
    theme = make_theme(config, Diagnostics(), compiled)
    changed = [key for key in first if compiled.store[key] != first[key]]
    assert len(changed) == 1
    assert "edited" in theme.env.get_template("404.html").blocks  # the new code, not the old


def test_preview_keeps_rendered_segments_until_what_they_show_changes(project):
    """A base.html edit re-renders each page around the segments it has (RowsMemo); an edit of
    `_rows.html` or of the strings the segments show renders them again."""
    from bitext import livebuild
    from bitext.config import load_config
    from bitext.errors import Diagnostics

    files = hello_site()
    files["content/hello/en.md"] = entry("Hello", "First paragraph.\n\nSecond, English only.",
                                         date="2026-01-02", original="true")
    root = project(files)
    config = load_config(root, root / "content", root / "live", Diagnostics())
    site = livebuild.LiveSite(config)
    assert site.rebuild(None).ok
    kept = dict(site._rows.pages)
    page = root / "live/hello/index.html"
    assert 'data-i18n="note_merged">merged<' in page.read_text(encoding="utf-8")  # zh joins two

    def edit(name: str, old: str, new: str) -> None:
        path = root / "templates" / name
        write(path, path.read_text(encoding="utf-8").replace(old, new, 1))
        assert site.rebuild(classify(path.resolve(), Roots.of(config))).ok

    edit("base.html", "</body>", "<!-- edited --></body>")
    assert "<!-- edited -->" in page.read_text(encoding="utf-8")
    assert all(site._rows.pages[name][1] is html for name, (_, html) in kept.items())
    edit("i18n.yaml", "note_merged: merged", "note_merged: joined")
    assert 'data-i18n="note_merged">joined<' in page.read_text(encoding="utf-8")
    edit("_rows.html", 'class="seg"', 'class="seg row"')
    assert 'class="seg row"' in page.read_text(encoding="utf-8")
    rows = root / "templates/_rows.html"
    write(rows, rows.read_text(encoding="utf-8").replace("{% endfor %}", "{% endfo %}", 1))
    broken = site.rebuild(classify(rows.resolve(), Roots.of(config)))
    assert not broken.ok
    assert any(re.match(re.escape(str(rows)) + r":\d+: error: template syntax error",
                        d.format()) for d in broken.diagnostics), broken.diagnostics
    assert 'class="seg row"' in page.read_text(encoding="utf-8")  # the last good site stays
    site.close()


def test_preview_link_warnings_follow_the_entries_they_lead_to(project):
    """A link's warning depends on other entries: it comes and goes as they are created,
    deleted or published, while the linking entry is not touched."""
    from bitext import livebuild
    from bitext.config import load_config
    from bitext.errors import Diagnostics

    root = project({"content/a/en.md": entry("A", "See [b](../b/).")})
    config = load_config(root, root / "content", root / "live", Diagnostics())
    site = livebuild.LiveSite(config)
    roots = Roots.of(config)
    b = root / "content/b"

    def told(outcome) -> list[str]:
        assert outcome.ok, outcome.diagnostics
        return [d.message for d in outcome.diagnostics if "../b/" in d.message]

    assert told(site.rebuild(None)) == ["link `../b/` leads nowhere: there is no entry `b`"]
    write(b / "en.md", entry("B", "Text.", draft="true"))
    assert told(site.rebuild(classify((b / "en.md").resolve(), roots))) == [
        "link `../b/` leads to `b`, a draft this build leaves out"]
    write(b / "en.md", entry("B", "Text."))
    assert told(site.rebuild(classify((b / "en.md").resolve(), roots))) == []
    shutil.rmtree(b)
    assert told(site.rebuild(classify(b.resolve(), roots))) == [
        "link `../b/` leads nowhere: there is no entry `b`"]
    site.close()


def test_the_preview_indexes_in_a_folder_of_its_own_and_removes_it_when_stopped(serve):
    # What a preview killed in the middle of an index left is swept when the next one starts.
    server = serve({**hello_site(), ".site.preview-search/bitext-search-old/x.html": "<p>x</p>"})
    work = server.root / ".site.preview-search"
    assert wait_for(lambda: "search index" in server.log()), server.log()
    assert work.is_dir() and not list(work.iterdir())  # each index's folder is removed after it
    (work / "bitext-search-left-by-a-stop").mkdir()
    assert server.stop(signal.SIGINT) == 0
    assert not work.exists()


def test_an_index_finished_while_the_site_is_broken_waits_for_the_fix(serve):
    server = serve(hello_site())
    assert wait_for(lambda: "search index" in server.log()), server.log()
    write(server.root / "content/hello/en.md",
          entry("Hello", "A findable zebra.", original="true"))  # indexed ~3 s later
    assert wait_for(lambda: "zebra" in server.page("/hello/")), server.log()
    strings = server.root / "templates/i18n.yaml"
    good = strings.read_text(encoding="utf-8")
    write(strings, good + "\nbroken: [\n")
    assert wait_for(lambda: "build failed" in server.log()), server.log()
    time.sleep(8)  # the index of the zebra is done by now, and waits
    assert "(search index)" not in "".join(
        line for line in server.log().splitlines(True) if "failed" in line), server.log()
    write(strings, good)
    assert wait_for(lambda: server.status()["ok"]), server.log()
