"""Command line: build | check | serve | new | import. The only module that prints and exits."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from . import answers
from .config import SiteConfig, load_config, normalize_base_url
from .content import MAX_LANGUAGES, SLUG_RE, normalize_lang
from .errors import Diagnostics, SiteError, UsageError, count
from .pipeline import BuildReport, block_count_warnings, build, load_entries, recall_answers

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader went away


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 content errors, 2 usage errors)."""
    _tolerant_streams()
    args = _parser().parse_args(_default_command(list(sys.argv[1:] if argv is None else argv)))
    try:
        root = (args.root or root or Path.cwd()).resolve()
        if args.root is not None and not root.is_dir():
            raise UsageError(f"--root {args.root} is not a folder")
        return args.run(args, root)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SiteError as exc:
        _print_diagnostics(Diagnostics(list(exc.diagnostics)))
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _mute_stdout()
        return EXIT_PIPE


def _check_source_date_epoch() -> None:
    """SOURCE_DATE_EPOCH, when set, is whole seconds since 1970 (reproducible-builds.org: a
    malformed value is an error, not a silent fallback); the feeds' times come from it."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return
    if not value.isascii() or not value.isdigit() or len(value) > 11 \
            or int(value) > MAX_EPOCH:
        raise UsageError(f"SOURCE_DATE_EPOCH={value[:40]!r} is not a time in whole seconds "
                         "since 1970-01-01 (before the year 10000); unset it or fix it")


MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last second `datetime` can write


def _tolerant_streams() -> None:
    """A terminal whose encoding lacks a character (a Latin-1 locale, a legacy console) shows
    it as an escape (`\\u4e2d`) instead of the command failing on its first Chinese title."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):  # not a TextIOWrapper, or closed
            stream.reconfigure(errors="backslashreplace")


def _writes_utf8(stream: TextIO) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "") == "utf8"


def flush_streams(status: int) -> int:
    """Flush stdout and stderr before leaving; the exit status, EXIT_PIPE if the reader of
    the output left early (`check --format json | head`), which is no error to report."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            _mute_stdout()
            status = EXIT_PIPE
        except (OSError, ValueError):  # closed, or a full disk under a redirect
            pass
    return status


def _mute_stdout() -> None:
    """Point stdout at /dev/null, so nothing left in its buffer fails again at exit."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _default_command(argv: list[str]) -> list[str]:
    """`python build.py` and `python build.py --drafts` mean `build`."""
    commands = {"build", "check", "serve", "new", "import", "-h", "--help"}
    return argv if argv and argv[0] in commands else ["build", *argv]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build.py", description="Build a bilingual reading site.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--root", type=Path, help="project folder holding site.yaml, templates/ "
                       "and static/ (default: the folder of build.py)")
        p.set_defaults(run=run)
        return p

    b = command("build", _cmd_build, "build the whole site into the output folder")
    _content_args(b)
    b.add_argument("--out", type=Path, help="output folder (default: site in the project folder)")
    b.add_argument("--base-url", help="URL or path the site is served from, e.g. /repo/")
    b.add_argument("--drafts", action="store_true", help="include entries marked draft: true")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _cache_args(b)
    b.add_argument("--no-search", action="store_true",
                   help="skip the Pagefind search index (faster; the site has no search)")
    noise = b.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true",
                       help="print errors and the summary line only")
    noise.add_argument("-v", "--verbose", action="store_true",
                       help="also say where the site, its feeds and its search index went")

    c = command("check", _cmd_check, "validate everything a build would, without writing")
    _content_args(c)
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--drafts", action="store_true", help="include entries marked draft: true")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _cache_args(c)

    s = command("serve", _cmd_serve, "build, serve with live reload, rebuild on every change")
    _content_args(s)
    s.add_argument("--out", type=Path, help="output folder (default: site in the project folder)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_port, default=8000,
                   help="TCP port, 1-65535, or 0 for any free one (default: 8000)")
    s.add_argument("--open", action="store_true", help="open the site in a browser")
    s.add_argument("--base-url", help="serve under this path, as GitHub Pages will")
    s.add_argument("--drafts", action="store_true", help="include entries marked draft: true")

    n = command("new", _cmd_new, "scaffold a new entry with front matter to fill in")
    _content_args(n)
    n.add_argument("slug")
    n.add_argument("--langs", default="en,zh", help="comma-separated language tags (default en,zh)")

    i = command("import", _cmd_import, "split a raw bilingual text into a new entry")
    _content_args(i)
    i.add_argument("file", type=Path)
    i.add_argument("--slug", required=True)
    i.add_argument("--langs", help="comma-separated language tags, e.g. en,zh")
    i.add_argument("--layout", choices=("auto", "interleaved", "sequential"), default="auto")
    i.add_argument("--force", action="store_true", help="overwrite an existing entry")
    i.add_argument("--keep-punctuation", action="store_true",
                   help="leave ASCII punctuation in Chinese text as it is (by default `,` `:` "
                   "`;` `?` `!` `(` `)` next to Han become full width)")
    return parser


def _port(text: str) -> int:
    """A TCP port number; argparse turns the error into a usage message and exit 2."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535, or 0)")
    return port


def _cache_args(p: argparse.ArgumentParser) -> None:
    one = p.add_mutually_exclusive_group()  # a folder for a cache that is not used: a mistake
    one.add_argument("--cache-dir", type=Path, help="build cache folder (default: .cache in "
                     "the project folder; safe to delete)")
    one.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def _cache_options(args: argparse.Namespace) -> dict:
    """`build()`'s cache keywords from --cache-dir and --no-cache."""
    folder = _resolve(args.cache_dir, Path.cwd()) if args.cache_dir else None  # default: root
    if folder is not None and folder.exists() and not folder.is_dir():
        raise UsageError(f"--cache-dir {args.cache_dir} is a file, not a folder")
    return {"cache_dir": folder, "use_cache": not args.no_cache}


def _content_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--content", type=Path,
                   help="folder of entries (default: content in the project folder)")


def _config(args: argparse.Namespace, root: Path, diags: Diagnostics) -> SiteConfig:
    """The settings of a command that builds (build, check, serve), from the flags and
    site.yaml; the environment's SOURCE_DATE_EPOCH is checked with them."""
    _check_source_date_epoch()
    out = _resolve(getattr(args, "out", None), root / "site")
    try:
        resolved = out.resolve()
    except (RuntimeError, OSError) as exc:
        raise UsageError(f"the output folder {out} cannot be resolved (a loop of links?)") from exc
    # A link to where the site is served: the site goes there. `site/../site` is `site`: the
    # folder is swapped by renaming it, which a path through `..` would get wrong.
    if out.is_symlink() or ".." in out.parts:
        out = resolved
    config = load_config(root, _resolve(args.content, root / "content"), out, diags)
    config = replace(config, drafts=getattr(args, "drafts", False),
                     search=not getattr(args, "no_search", False))
    base = getattr(args, "base_url", None)
    if base is not None:
        normalized = normalize_base_url(base)
        if normalized is None:
            raise UsageError(f"--base-url {base!r} is not a URL or a path such as /repo/")
        config = replace(config, base_url=normalized)
    return config


def _resolve(path: Path | None, default: Path) -> Path:
    """A folder given on the command line, relative to the working directory as a shell user
    expects; one not given is the project's own (`default`, below `--root`)."""
    if path is None:
        return default
    return path if path.is_absolute() else Path.cwd() / path


def _cmd_build(args: argparse.Namespace, root: Path) -> int:
    diags = Diagnostics(strict=args.strict)
    recall_answers(root, diags, **_cache_options(args))
    config = _config(args, root, diags)
    progress = None if args.quiet else Progress.on_terminal(sys.stderr)
    # A broken site.yaml still lets the content be checked (write=False), so all errors show.
    report = build(config, diags, progress=progress, write=not diags.has_errors(),
                   search=config.search, **_cache_options(args))
    if progress:
        progress.clear()
    if args.verbose and report.published:
        for line in describe_output(config):
            print(line)
    return _finish(diags, report, quiet=args.quiet, out=config.out_dir)


class Progress:
    """`120/340 pages · 3.2 s`, redrawn in place once a build has run for half a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.started, self.drawn, self.last = stream, time.perf_counter(), False, 0.0

    @classmethod
    def on_terminal(cls, stream: TextIO) -> Progress | None:
        """A progress line only for a person watching: a terminal, and not CI."""
        return cls(stream) if stream.isatty() and not os.environ.get("CI") else None

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.started < 0.5 or (now - self.last < 0.1 and done < total):
            return
        self.stream.write(f"\r{done}/{total} pages · {now - self.started:.1f} s\x1b[K")
        self.stream.flush()
        self.drawn, self.last = True, now

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def describe_output(config: SiteConfig) -> list[str]:
    """`--verbose`: where the site went, and which feeds, sitemap and search index it has."""
    out = config.out_dir
    feeds = sorted(str(p.relative_to(out)) for p in (out / "feed.xml", *out.glob("feeds/*.xml"))
                   if p.is_file())
    search = out / "pagefind" / "languages.json"
    langs = json.loads(search.read_text(encoding="utf-8"))["languages"] if search.is_file() else []
    return [f"site: {out} (served from {config.base_url})",
            f"feeds: {', '.join(feeds) or 'none'}",
            "sitemap: sitemap.xml" if (out / "sitemap.xml").is_file() else
            "sitemap: none (it needs an absolute base_url such as https://user.github.io/repo/)",
            f"search: {', '.join(f'pagefind/{lang}/' for lang in langs) or 'none'}"]


def _finish(diags: Diagnostics, report: BuildReport | None, *,
            quiet: bool = False, out: Path | None = None, verb: str = "build") -> int:
    _print_diagnostics(Diagnostics(diags.errors) if quiet else diags)
    failed = diags.has_errors()
    if report is not None and not failed and report.published:
        print(f"built {count(report.entries, 'entry', 'entries')}, "
              f"{count(report.pages, 'page')}, {count(report.languages, 'language')}, "
              f"{count(len(diags.warnings), 'warning')} in {report.seconds:.2f} s "
              f"({count(report.published.written, 'file')} written, "
              f"{report.published.unchanged} unchanged)")
    elif failed:
        print(f"{verb} failed: {count(len(diags.errors), 'error')}, "
              f"{count(len(diags.warnings), 'warning')}{_kept(out)}", file=sys.stderr)
    return EXIT_CONTENT if failed else EXIT_OK


def _kept(out: Path | None) -> str:
    """What a failed build did to the output folder: nothing, but say whether a site is there."""
    if out is None:
        return ""
    try:
        return ("; the previous site was left as it was" if out.is_dir() and any(out.iterdir())
                else f"; nothing was written to {out}")
    except OSError:
        return ""


def _print_diagnostics(diags: Diagnostics) -> None:
    for diag in diags.sorted():
        print(diag.format(), file=sys.stderr)


def _cmd_check(args: argparse.Namespace, root: Path) -> int:
    from .alignreport import alignment_report  # here: a build needs none of it

    diags = Diagnostics(strict=args.strict)
    recall_answers(root, diags, **_cache_options(args))
    config = _config(args, root, diags)
    if diags.has_errors():  # bad settings: nothing is read, but JSON readers still get JSON
        report = BuildReport()
    else:
        report = build(config, diags, write=False, **_cache_options(args))
    block_count_warnings(report.parsed, diags)
    if args.format == "json":
        alignment_report(report.parsed, diags)
        # Where stdout cannot write UTF-8, JSON's own escapes keep the report readable.
        print(json.dumps(_check_json(report, diags), ensure_ascii=not _writes_utf8(sys.stdout),
                         indent=2))
        failed = diags.has_errors()
        return EXIT_CONTENT if failed else EXIT_OK
    notes = alignment_report(report.parsed, diags)
    _print_diagnostics(diags)
    for note in notes:
        print(note.text)
    failed = diags.has_errors()
    print(f"{count(max(report.found, len(report.parsed)), 'entry', 'entries')} checked: "
          f"{count(len(diags.errors), 'error')}, {count(len(diags.warnings), 'warning')}",
          file=sys.stderr if failed else sys.stdout)
    return EXIT_CONTENT if failed else EXIT_OK


def _check_json(report: BuildReport, diags: Diagnostics) -> dict:
    entries = []
    for item in report.parsed:
        entries.append({
            "slug": item.entry.slug,
            "original": item.entry.original,
            "languages": list(item.entry.langs),
            "files": {v.lang: str(v.path) for v in item.entry.versions},
            "blocks": {lang: len(doc.blocks) for lang, doc in item.docs.items()},
            "segments": [{"id": seg.id,
                          "blocks": {lang: list(idx) for lang, idx in seg.blocks.items()},
                          "confidence": round(seg.confidence, 4)} for seg in item.segments],
        })
    return {"entries": entries,
            "diagnostics": [{"severity": d.severity, "path": str(d.location.path),
                             "line": d.location.line, "column": d.location.col,
                             "message": d.message, "hint": d.hint}
                            for d in diags.sorted()],
            "errors": len(diags.errors), "warnings": len(diags.warnings)}


def _check_new_slug(slug: str) -> None:
    """What `new` and `import` refuse before writing anything (usage status 2)."""
    from .content import RESERVED_SLUGS

    if not SLUG_RE.match(slug):
        raise UsageError(f"invalid slug {slug!r}: use lowercase ASCII letters, digits and "
                         "hyphens")
    if slug in RESERVED_SLUGS:
        raise UsageError(f"the slug {slug!r} is reserved for the site's own pages")


def _cmd_new(args: argparse.Namespace, root: Path) -> int:
    _check_new_slug(args.slug)
    langs = [normalize_lang(part.strip()) for part in args.langs.split(",") if part.strip()]
    if not langs or None in langs:
        raise UsageError(f"--langs {args.langs!r} must list language tags such as en,zh")
    old = next((lang for lang in langs if answers.preferred(lang)), None)
    if old:
        raise UsageError(f"--langs: `{old}` is an old or long code; use "
                         f"`{answers.preferred(old)}`")
    twice = next((lang for k, lang in enumerate(langs) if lang in langs[:k]), None)
    if twice or len(langs) > MAX_LANGUAGES:
        raise UsageError(f"--langs names `{twice}` twice" if twice else
                         f"--langs names {len(langs)} languages; a page shows at most "
                         f"{MAX_LANGUAGES}")
    folder = _resolve(args.content, root / "content") / args.slug
    if folder.exists():
        raise UsageError(f"{folder} already exists")
    folder.mkdir(parents=True)
    today = dt.date.today().isoformat()
    for i, lang in enumerate(langs):
        lines = ["---", f'title: "{args.slug} ({lang})"  # the title in this language']
        if i == 0:
            lines += [f"date: {today}", "# author: Your Name", "# source: https://…",
                      "tags: []", "original: true", "draft: true"]
        else:
            lines += ["# translator: Their Name"]
        lines += ["# summary: One or two sentences in this language.", "---", "",
                  "Write the text here: one paragraph per block, in the same order in every "
                  "language.", ""]
        (folder / f"{lang}.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"created {folder} with {', '.join(f'{lang}.md' for lang in langs)}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace, root: Path) -> int:
    from .devserver import serve

    diags = Diagnostics()
    config = _config(args, root, diags)
    if diags.has_errors():
        return _finish(diags, None, verb="serve")
    return serve(config, host=args.host, port=args.port, open_browser=args.open,
                 reload_config=lambda again: _config(args, root, again))


def _cmd_import(args: argparse.Namespace, root: Path) -> int:
    from .importer import check_langs, run_import

    _check_new_slug(args.slug)
    langs = [part.strip() for part in args.langs.split(",")] if args.langs is not None else None
    try:
        check_langs(langs, args.file)
    except SiteError as exc:
        raise UsageError(exc.diagnostics[0].message) from None
    content = _resolve(args.content, root / "content")
    report = run_import(args.file, args.slug, content, langs, args.layout, args.force,
                        punctuation=not args.keep_punctuation)
    _print_diagnostics(Diagnostics(list(report.diagnostics)))
    for line in report.lines():
        print(line)
    return EXIT_OK


__all__ = ["main", "load_entries"]
