"""Helpers for the browser tests: find Chromium (or say loudly why not), build and serve a site,
and measure the reading page from inside the browser."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by `make browser-deps`; never a download
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_JS = Path(os.environ.get("BITEXT_AXE_JS", REPO / "node_modules/axe-core/axe.min.js"))


def require_chromium() -> None:
    """Skip when asked to or when Chromium is missing; on CI a missing Chromium is a failure."""
    if os.environ.get("BITEXT_SKIP_BROWSER") == "1":
        pytest.skip("browser tests skipped: BITEXT_SKIP_BROWSER=1")
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing, so the browser tests did NOT run (make browser-deps)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed, so the browser tests did NOT run (make test)"
    if problem and os.environ.get("CI"):
        pytest.fail(problem)
    if problem:
        pytest.skip(f"!!! {problem} !!!")


def build_site(root: Path, files: dict[str, str]) -> Path:
    """A project from inline files with the repo's theme, built with `build.py`; returns site/."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--root", str(root),
         "--content", str(root / "content"), "--out", str(root / "site")],
        cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return root / "site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# Visible cells of a segment, in reading order, with their boxes (CSS pixels, viewport based).
CELLS_JS = """id => [...document.querySelectorAll('#' + id + ' > .cell')]
  .filter(c => c.checkVisibility())
  .map(c => { const r = c.getBoundingClientRect();
              return {lang: c.lang, x: r.x, y: r.y, bottom: r.bottom, width: r.width}; })
  .sort((a, b) => a.y - b.y || a.x - b.x)"""

# Languages of every visible cell in the aligned text.
SHOWN_LANGS_JS = """() => [...new Set([...document.querySelectorAll('.doc > .seg[id] > .cell')]
  .filter(c => c.checkVisibility()).map(c => c.lang))]"""

# The colour actually painted behind an element: its own background or its nearest ancestor's.
BACKDROP_JS = """el => { for (let e = el; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg; }
  return 'none'; }"""


# Sum of the layout shifts since navigation (0 when nothing moved after the first paint).
LAYOUT_SHIFT_JS = """() => new Promise(done => {
  new PerformanceObserver(list => done(list.getEntries().reduce((sum, e) => sum + e.value, 0)))
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => done(0), 300); })"""


def luminance(rgb: str) -> float:
    """Relative luminance (WCAG) of a computed `rgb(r, g, b)` colour."""
    values = [float(v) / 255 for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
