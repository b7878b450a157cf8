"""The dev server's HTTP side: the output folder as GitHub Pages serves it, plus the dev client.

Routes: livereload's socket and script (`/livereload`, `/livereload.js`), the overlay's script,
stylesheet and build status (`/__bitext__/…`), then the site. Every request is
resolved against the output folder as it is now (builds replace files or swap the folder), and
inside it only: no `..`, no symlinks out. HTML gets one same-origin `<script src>` before
`</head>`, which the pages' CSP (`script-src 'self'`) allows, unlike an inline loader.
"""
from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from urllib.parse import unquote

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import web

from .config import SiteConfig
from .livebuild import Outcome

PREFIX = "/__bitext__/"
STATUS_PATH = PREFIX + "status"  # also the path livereload is told when only the status changed
CLIENT_TAG = f'<script src="{PREFIX}client.js" defer></script>'.encode()
TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/xml",
              "image/svg+xml", "application/manifest+json")
ASSETS = Path(__file__).with_name("devserver_client")


class Status:
    """The last build's outcome, for the overlay (`GET /__bitext__/status`), numbered."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.build = 0
        self.ok = True
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def update(self, outcome: Outcome) -> bool:
        """Record a build's outcome; True when what the overlay shows changed."""
        lines = [(d.severity, d.format(self.root)) for d in outcome.diagnostics]
        errors = [text for severity, text in lines if severity == "error"]
        changed = (outcome.ok, errors) != (self.ok, self.errors)
        self.build += 1
        self.ok, self.errors = outcome.ok, errors
        self.warnings = [text for severity, text in lines if severity == "warning"]
        return changed

    def snapshot(self) -> dict:
        return {"build": self.build, "ok": self.ok, "errors": self.errors,
                "warnings": self.warnings}


class StatusHandler(web.RequestHandler):
    """`/__bitext__/status`: the last build's errors, as JSON."""

    def initialize(self, status: Status) -> None:
        self.status = status

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.status.snapshot(), ensure_ascii=False))


class ClientHandler(web.RequestHandler):
    """The overlay's script and stylesheet, from this package."""

    def get(self, name: str) -> None:
        path = ASSETS / name
        if name not in ("client.js", "overlay.css") or not path.is_file():
            raise web.HTTPError(404)
        self.set_header("Content-Type", content_type(path.name))
        self.set_header("Cache-Control", "no-store")
        self.finish(path.read_bytes())


class SiteHandler(web.RequestHandler):
    """Files of the output folder under the base path, as GitHub Pages serves them."""

    def initialize(self, out_dir: Path, base: str) -> None:
        self.out_dir, self.base = out_dir, base

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def head(self) -> None:
        self.get()

    def get(self) -> None:
        raw = self.request.path
        if raw + "/" == self.base:
            return self.redirect(self.base, permanent=True)
        if not raw.startswith(self.base):
            return self._not_found(outside=True)
        parts = [part for part in unquote(raw[len(self.base):]).split("/") if part]
        if any(part in (".", "..") or "\\" in part or "\0" in part for part in parts):
            raise web.HTTPError(403)
        root = self.out_dir.resolve()
        target = root.joinpath(*parts)
        if not target.resolve().is_relative_to(root):
            raise web.HTTPError(403)  # a symlink out of the site
        if target.is_dir():
            if not raw.endswith("/"):
                query = f"?{self.request.query}" if self.request.query else ""
                return self.redirect(raw + "/" + query, permanent=True)
            target = target / "index.html"
        elif not target.is_file() and parts and not raw.endswith("/"):
            target = target.with_name(target.name + ".html")  # Pages serves /about as about.html
        if target.is_file() and target.resolve().is_relative_to(root):
            return self._send(target, 200)
        return self._not_found()

    def _not_found(self, outside: bool = False) -> None:
        page = self.out_dir / "404.html"
        if not outside and page.is_file():
            return self._send(page, 404)
        self.set_status(404)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        where = (f'This site is served under <a href="{self.base}">{self.base}</a>, as GitHub '
                 "Pages will serve it." if outside else "Not found (the site has no 404 page).")
        self.finish(inject(b"<!doctype html><html><head><meta charset=utf-8><title>Not found"
                           b"</title></head><body><p>" + where.encode() + b"</p></body></html>"))

    def _send(self, path: Path, status: int) -> None:
        try:
            data = path.read_bytes()
        except OSError:  # replaced or removed between the check and the read
            raise web.HTTPError(404) from None
        kind = content_type(path.name)
        self.set_status(status)
        self.set_header("Content-Type", kind)
        if kind.startswith("text/html"):
            data = inject(data)
        if self.request.method == "HEAD":
            self.set_header("Content-Length", str(len(data)))
            return self.finish()
        self.finish(data)

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")


def content_type(name: str) -> str:
    """The MIME type of a file name, with `charset=utf-8` for text (the site is all UTF-8)."""
    kind = {".js": "application/javascript", ".mjs": "application/javascript",
            ".webmanifest": "application/manifest+json"}.get(Path(name).suffix.lower()) \
        or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) else kind


def inject(html: bytes) -> bytes:
    """The dev client in the page's head: a same-origin script, so the page's CSP allows it."""
    head_end = html.find(b"</head>")
    return html[:head_end] + CLIENT_TAG + html[head_end:] if head_end >= 0 else html + CLIENT_TAG


def make_app(config: SiteConfig, status: Status) -> web.Application:
    """The preview's routes: livereload's socket and script, the overlay, then the site."""
    LiveReloadHandler.live_css = True  # a stylesheet change restyles the page without reloading
    LiveReloadHandler.watcher = _NoWatcher()  # its poller (and 3 s throttle) is never started
    return web.Application([
        (r"/livereload", LiveReloadHandler),
        (r"/livereload\.js", LiveReloadJSHandler),
        (STATUS_PATH, StatusHandler, {"status": status}),
        (PREFIX + r"([\w.-]+)", ClientHandler),
        (r".*", SiteHandler, {"out_dir": config.out_dir, "base": config.base_path}),
    ], log_function=_log_request)


class _NoWatcher:
    """`reload_waiters` reads `watcher.filepath` for its log line; there is no such watcher."""

    filepath = None


def _log_request(handler: web.RequestHandler) -> None:
    if handler.get_status() >= 500:
        print(f"{handler.get_status()} {handler.request.method} {handler.request.uri}", flush=True)


def reload_path(outcome: Outcome, base: str) -> str:
    """The path livereload is told about: a stylesheet alone restyles; anything else reloads."""
    changed = sorted(outcome.written + outcome.removed,
                     key=lambda p: (p.suffix != ".html", p.suffix == ".css", str(p)))
    return base + str(changed[0]) if changed else "*"


