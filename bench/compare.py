#!/usr/bin/env python3
"""Benchmark retrylint against flake8, ruff and Fixit on the pinned corpus (issue 5).

Usage (from the repository root):

    python bench/compare.py                 # whole corpus, about 5-10 minutes on 2 cores
    python bench/compare.py --quick         # a small slice, for a smoke test
    python bench/compare.py --corpus /tmp/retrylint-corpus/src --markdown-out bench/latest.md

Every tool runs as a subprocess under ``/usr/bin/time -v``: wall time is measured around the
subprocess, peak memory is GNU time's "Maximum resident set size", i.e. that of the largest single
process (the tool or one of its workers), not the sum. The tools other than retrylint live in a
separate venv (``bench/.venv-tools``, made on first use from ``bench/requirements-tools.txt``).
Memory is also measured for one worker without a cache (``-j1 --no-cache``) on the corpus and on
four hard-linked copies of it, which must peak under 300 MB and stay flat (issue 14: within 20 %).
Timings are never asserted anywhere; they depend on the machine and on its load.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPUS_SCRIPT = ROOT.parent / "shared" / "bench" / "corpus.sh"
TOOLS_VENV = BENCH / ".venv-tools"
TOOLS_REQUIREMENTS = BENCH / "requirements-tools.txt"
DEV_PYTHON = ROOT / ".venv" / "bin" / "python"
# A file that holds a retry layer (a hand-written retry loop in Celery's result backend), so that
# the whole pipeline runs for it; relative to the corpus's src.
ONE_FILE = Path("celery") / "celery" / "backends" / "base.py"
QUICK_PACKAGE = "celery"  # --quick runs on this package of the corpus only
FIXIT_SLICE_LINES = 40_000  # about 25-30 s of Fixit on two cores
QUICK_FIXIT_SLICE_LINES = 3_000
ONE_FILE_REPEATS = 5
WORKER_RSS_LIMIT_BYTES = 300_000_000  # issue 14: one worker, --no-cache, at 1x and 4x the corpus
COPIES = 4  # the grown tree: this many copies of the corpus, hard-linked
# The editor's path: a running process (the language server) re-checks one edited file.
RECHECK_IN_PROCESS = """
import statistics, sys, time
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
from retrylint.engine import Engine
path = sys.argv[2]
text = open(path, encoding="utf-8").read()
engine = Engine()
engine.lint_source(text, path)
times = []
for edit in range(%d):
    edited = text + "\\n# edit %%d\\n" %% edit
    start = time.perf_counter()
    engine.lint_source(edited, path)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
""" % ONE_FILE_REPEATS
LIBCST_VERSION = "import importlib.metadata as m; print(m.version('libcst'))"


@dataclass
class Run:
    """One measured row of the table."""

    tool: str
    wall: float  # seconds
    rss_kib: int | None  # peak RSS of the largest process, KiB
    notes: list[str] = field(default_factory=list)
    ratio: bool = True  # show a ratio to flake8 (not for the one-file rows)


# ---------------------------------------------------------------------------- argument parsing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description="Time retrylint, flake8, ruff and Fixit on the pinned corpus; print one table.",
    )
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        type=Path,
        help="the corpus's src folder (default: lay it out with ../shared/bench/corpus.sh)",
    )
    parser.add_argument(
        "--retrylint",
        metavar="PATH",
        type=Path,
        help="the retrylint executable to measure, as it is; its venv's python is used for the "
        "libcst parse and start-up timings (default: a copy of this checkout's retrylint/ and "
        "rules/, taken at the start and run by .venv/bin/python, so that others' edits to the "
        "tree during the run change nothing)",
    )
    parser.add_argument(
        "--tools-venv",
        metavar="DIR",
        type=Path,
        default=TOOLS_VENV,
        help="venv holding flake8, ruff and fixit; made if missing (default: bench/.venv-tools)",
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=os.cpu_count() or 1,
        help="job count for retrylint and flake8 (default: the number of CPUs)",
    )
    parser.add_argument(
        "--markdown-out", metavar="FILE", type=Path, help="also write the report to FILE"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"run on the {QUICK_PACKAGE} package only"
    )
    return parser


# ---------------------------------------------------------------------------- measuring


def timed(
    cmd: list[str], *, cwd: Path | None = None, stdout_path: Path | None = None
) -> tuple[float, int | None, float]:
    """Run cmd under /usr/bin/time -v; return (wall s, peak RSS KiB, user + system CPU s).

    The CPU time counts the process and the workers it waited for; unlike the wall time it
    hardly moves when other work shares the machine.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            proc = subprocess.run(
                ["/usr/bin/time", "-v", "-o", report.name, *cmd],
                cwd=cwd,
                stdout=out,
                stderr=subprocess.PIPE,
            )
            wall = time.perf_counter() - start
        finally:
            if stdout_path:
                out.close()
        text = Path(report.name).read_text()
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
    if proc.returncode not in (0, 1):
        tail = proc.stderr.decode(errors="replace")[-2000:]
        raise SystemExit(f"{cmd[0]} failed with status {proc.returncode}:\n{tail}")
    return wall, int(match.group(1)) if match else None, cpu


def median_timed(cmd: list[str], repeats: int) -> tuple[float, int | None]:
    runs = [timed(cmd) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), max((r[1] or 0) for r in runs) or None


def cpu_note(cpu: float) -> str:
    return f"CPU {cpu:.1f} s" if cpu >= 10 else f"CPU {cpu:.2f} s"


def python_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def count_lines(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            total += sum(1 for _ in handle)
    return total


def stride_slice(paths: list[Path], lines: dict[Path, int], target: int) -> list[Path]:
    """Every k-th file (sorted by path), so the slice spans all packages, about target lines."""
    total = sum(lines[p] for p in paths)
    step = max(1, round(total / target))
    return paths[::step]


# ---------------------------------------------------------------------------- setting up


def replicate(corpus: Path, dest: Path, copies: int) -> Path:
    """``copies`` copies of the corpus's Python files under ``dest`` (hard links where the file
    system allows, else copies): a tree that many times the size, each copy its own project."""
    for index in range(1, copies + 1):
        for path in python_files(corpus):
            target = dest / f"copy{index}" / path.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
    return dest


def lay_out_corpus() -> Path:
    out = subprocess.run(
        ["bash", str(CORPUS_SCRIPT)], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return Path(out.strip().splitlines()[-1])


def ensure_tools(venv: Path) -> Path:
    bin_dir = venv / "bin"
    if not all((bin_dir / tool).exists() for tool in ("flake8", "ruff", "fixit")):
        print(f"making {venv} from {TOOLS_REQUIREMENTS.name} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(bin_dir / "pip"), "install", "-q", "-r", str(TOOLS_REQUIREMENTS)], check=True
        )
    return bin_dir


def source_state() -> str:
    """The commit retrylint is measured at, and whether its code has uncommitted changes."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True).stdout.strip()
    if not head:
        return "not a git checkout"
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "retrylint", "rules"],
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    return f"commit {head}" + (" + uncommitted changes under retrylint/ or rules/" if dirty else "")


def snapshot_retrylint(dest: Path) -> Path:
    """Copy retrylint/ and rules/ to dest; return a launcher that runs that copy."""
    for part in ("retrylint", "rules"):
        shutil.copytree(ROOT / part, dest / "src" / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    # Byte-compiled as pip does on install (the bench must not time Python compiling retrylint).
    subprocess.run([str(DEV_PYTHON), "-m", "compileall", "-q", str(dest / "src" / "retrylint")], check=True)
    launcher = dest / "retrylint"
    launcher.write_text(
        f"#!{DEV_PYTHON}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(dest / 'src')!r})\n"
        "from retrylint.frontends.cli import main\n"
        "sys.exit(main())\n"
    )
    launcher.chmod(0o755)
    return launcher


def version_of(cmd: list[str]) -> str:
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    return " ".join(out.split())


# ---------------------------------------------------------------------------- formatting


def mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:,.0f}"


def measure_one_worker(retrylint: str, has: dict[str, bool], corpus: Path, scratch: Path) -> tuple[Run, Run]:
    """One worker without a cache on the corpus, then on COPIES copies of it: the peak memory a
    growing tree costs a process (issue 14)."""
    cmd = [retrylint, "check", "--isolated", "--output-format", "concise", "-q"]
    cmd += ["--jobs", "1"] if has["--jobs"] else []
    cmd += ["--no-cache"] if has["--no-cache"] else []
    rows = []
    for copies in (1, COPIES):
        print(f"retrylint, one worker, {copies} × the corpus ...", file=sys.stderr)
        tree = corpus if copies == 1 else replicate(corpus, scratch / "grown", copies)
        wall, rss, cpu = timed([*cmd, str(tree)])
        rows.append(Run(f"retrylint, one worker, {copies} × the corpus", wall, rss,
                        [cpu_note(cpu), "--jobs 1 --no-cache" + ("" if copies == 1 else
                                                                 f"; {copies} hard-linked copies")],
                        ratio=False))
    return rows[0], rows[1]


def format_table(runs: list[Run], flake8_wall: float | None) -> str:
    """The markdown table: tool | wall time (s) | peak RSS (MiB) | ratio to flake8 | notes."""
    lines = [
        "| tool | wall time (s) | peak RSS (MiB) | ratio to flake8 | notes |",
        "|---|---:|---:|---:|---|",
    ]
    for run in runs:
        if run.ratio and flake8_wall:
            ratio = f"{run.wall / flake8_wall:.3f}"
        else:
            ratio = "–"
        wall = f"{run.wall:.2f}" if run.wall < 10 else f"{run.wall:.1f}"
        notes = "; ".join(run.notes).replace("|", "\\|")
        lines.append(f"| {run.tool} | {wall} | {mib(run.rss_kib)} | {ratio} | {notes} |")
    return "\n".join(lines) + "\n"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def format_targets(
    cold: Run, warm: Run, flake8: Run, one_file: Run, recheck: Run, parse: float, startup: float,
    import_and_parse: float, one_worker: tuple[Run, Run] | None = None,
) -> str:
    budget = 3 * parse + startup
    wide_budget = 3 * (import_and_parse - startup) + startup
    rss_ok = cold.rss_kib is not None and cold.rss_kib <= 1024 * 1024
    items = [
        f"- cold run ≤ 0.10 × flake8: {cold.wall / flake8.wall:.3f} × — "
        f"{verdict(cold.wall <= 0.10 * flake8.wall)}",
        f"- warm run ≤ 0.01 × flake8: {warm.wall / flake8.wall:.3f} × — "
        f"{verdict(warm.wall <= 0.01 * flake8.wall)}",
        f"- one file ≤ 3 × parse + start-up = 3 × {parse:.3f} + {startup:.3f} = {budget:.3f} s: "
        f"{one_file.wall:.3f} s — {verdict(one_file.wall <= budget)}; counting libcst's import as part "
        f"of its parse, 3 × {import_and_parse - startup:.3f} + {startup:.3f} = {wide_budget:.3f} s — "
        f"{verdict(one_file.wall <= wide_budget)}; re-checked in a running process (the editor's path): "
        f"{recheck.wall:.3f} s — {verdict(recheck.wall <= 3 * parse)} against 3 × parse",
        f"- peak memory of the cold run ≤ 1 GiB: {mib(cold.rss_kib)} MiB — {verdict(rss_ok)}",
    ]
    if one_worker is not None:
        items.append(memory_target(*one_worker))
    return "\n".join(items) + "\n"


def memory_target(single: Run, grown: Run) -> str:
    """Issue 14: one worker peaks under 300 MB, and no more than 20 % higher on a tree four times
    the size (the models kept are bounded; the list of files to check, some 500 bytes a file, is
    not)."""
    small, large = single.rss_kib or 0, grown.rss_kib or 0
    under = max(small, large) * 1024 < WORKER_RSS_LIMIT_BYTES
    flat = large <= 1.2 * small
    return (
        f"- one worker (`-j1 --no-cache`) peaks under 300 MB, flat as the tree grows: "
        f"{mib(small)} MiB on the corpus, {mib(large)} MiB on four copies of it "
        f"({large / max(small, 1):.2f} ×) — {verdict(under and flat)}"
    )


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    src = (args.corpus or lay_out_corpus()).resolve()
    corpus = src / QUICK_PACKAGE if args.quick else src
    one_file = src / ONE_FILE
    if not one_file.is_file():
        raise SystemExit(f"{one_file} is missing: is {src} the corpus's src folder?")
    code_dir = tempfile.TemporaryDirectory(prefix="retrylint-bench-code-")
    if args.retrylint:
        retrylint = str(args.retrylint.resolve())
        python = str(args.retrylint.resolve().parent / "python")
        source = f"{retrylint} as installed"
        code_path = ""  # import the installed package
    else:
        source = source_state() + ", copied at the start"
        retrylint = str(snapshot_retrylint(Path(code_dir.name)))
        python = str(DEV_PYTHON)
        code_path = str(Path(code_dir.name) / "src")
    tools = ensure_tools(args.tools_venv)
    jobs = args.jobs
    load_before = os.getloadavg()

    files = python_files(corpus)
    per_file = {p: count_lines([p]) for p in files}
    total_lines = sum(per_file.values())
    print(f"corpus {corpus}: {len(files):,} Python files, {total_lines:,} lines", file=sys.stderr)

    runs: list[Run] = []
    help_text = subprocess.run(
        [retrylint, "check", "--help"], stdout=subprocess.PIPE, text=True, check=True
    ).stdout
    has = {flag: flag in help_text for flag in ("--no-cache", "--cache-dir", "--jobs")}
    base = [retrylint, "check", "--isolated", "--output-format", "concise", "-q"]
    if has["--jobs"]:
        base += ["--jobs", str(jobs)]

    with tempfile.TemporaryDirectory(prefix="retrylint-bench-") as scratch_name:
        scratch = Path(scratch_name)
        cache_args = ["--cache-dir", str(scratch / "cache")] if has["--cache-dir"] else []
        job_note = f"--jobs {jobs}" if has["--jobs"] else "no --jobs flag: one process"

        print("retrylint cold ...", file=sys.stderr)
        wall, rss, cpu = timed([*base, *cache_args, str(corpus)], stdout_path=scratch / "cold.txt")
        cold = Run("retrylint, cold", wall, rss, [cpu_note(cpu)])
        cold.notes.append(f"{job_note}; fresh empty cache dir" if cache_args else job_note)
        runs.append(cold)

        print("retrylint warm ...", file=sys.stderr)
        wall, rss, cpu = timed([*base, *cache_args, str(corpus)], stdout_path=scratch / "warm.txt")
        warm = Run("retrylint, warm", wall, rss, [cpu_note(cpu)])
        if cache_args:
            warm.notes.append("same cache dir again, nothing changed")
        else:
            warm.notes.append("no cache flags: a second cold-equivalent run")
        same = (scratch / "cold.txt").read_bytes() == (scratch / "warm.txt").read_bytes()
        findings = len((scratch / "cold.txt").read_bytes().splitlines())
        warm.notes.append(
            f"findings byte-identical to cold ({findings:,} line{'' if findings == 1 else 's'})"
            if same
            else "**findings differ from cold**"
        )
        runs.append(warm)
        one_worker = measure_one_worker(retrylint, has, corpus, scratch)
        runs.extend(one_worker)

    print("retrylint one file, libcst parse, start-up ...", file=sys.stderr)
    one_lines = count_lines([one_file])
    one_cmd = [retrylint, "check", "--isolated", "--output-format", "concise", "-q"]
    if has["--no-cache"]:
        one_cmd.append("--no-cache")
    wall, rss = median_timed([*one_cmd, str(one_file)], ONE_FILE_REPEATS)
    single = Run(f"retrylint, one file (`{ONE_FILE}`)", wall, rss, ratio=False)
    single.notes.append(
        f"{one_lines:,} lines; --no-cache, as for an edited file; median of {ONE_FILE_REPEATS}"
    )
    runs.append(single)

    best_parse = (
        "import sys, time, libcst\n"
        "text = open(sys.argv[1], encoding='utf-8').read()\n"
        "best = float('inf')\n"
        "for _ in range(5):\n"
        "    start = time.perf_counter()\n"
        "    libcst.parse_module(text)\n"
        "    best = min(best, time.perf_counter() - start)\n"
        "print(best)\n"
    )
    out = subprocess.run(
        [python, "-c", best_parse, str(one_file)], stdout=subprocess.PIPE, text=True, check=True
    )
    parse = float(out.stdout.strip())
    one_parse = (
        "import sys, libcst; libcst.parse_module(open(sys.argv[1], encoding='utf-8').read())"
    )
    import_and_parse, rss = median_timed([python, "-c", one_parse, str(one_file)], ONE_FILE_REPEATS)
    runs.append(
        Run(
            "python: import libcst, parse that file",
            import_and_parse,
            rss,
            [f"parse_module alone, in process: {parse:.3f} s (best of 5)"],
            ratio=False,
        )
    )
    out = subprocess.run([python, "-c", RECHECK_IN_PROCESS, code_path, str(one_file)],
                         stdout=subprocess.PIPE, text=True, check=True)
    recheck = float(out.stdout.strip())
    rechecked = Run("retrylint, that file re-checked in a running process", recheck, None,
                    ["the language server's path: Engine.lint_source after one edit, its imports and "
                    f"neighbouring modules loaded; median of {ONE_FILE_REPEATS}"], ratio=False)
    runs.append(rechecked)
    startup, rss = median_timed([python, "-c", "pass"], ONE_FILE_REPEATS)
    runs.append(Run("python -c pass", startup, rss, ["interpreter start-up"], ratio=False))

    print("flake8 ...", file=sys.stderr)
    wall, rss, cpu = timed([str(tools / "flake8"), "--isolated", "-j", str(jobs), "--exit-zero",
                            str(corpus)])
    flake8 = Run("flake8", wall, rss, [cpu_note(cpu), f"default settings, -j {jobs}"])
    runs.append(flake8)

    print("ruff ...", file=sys.stderr)
    wall, rss, cpu = timed([str(tools / "ruff"), "check", "--isolated", "--select", "ALL",
                            "--exit-zero", "--no-cache", "-q", str(corpus)])
    runs.append(
        Run("ruff", wall, rss, [cpu_note(cpu), "--select ALL, --no-cache, its own thread count"])
    )

    print("fixit on a slice ...", file=sys.stderr)
    target = QUICK_FIXIT_SLICE_LINES if args.quick else FIXIT_SLICE_LINES
    chosen = stride_slice(files, per_file, target)
    slice_lines = sum(per_file[p] for p in chosen)
    wall, rss, cpu = timed([str(tools / "fixit"), "lint", *map(str, chosen)], cwd=src)
    rate = slice_lines / wall
    runs.append(
        Run(
            "Fixit",
            total_lines / rate,
            rss,
            [
                cpu_note(cpu * total_lines / slice_lines) + " (scaled)",
                f"scaled from a slice of {slice_lines:,} lines ({len(chosen):,} files, 1 in "
                f"{round(len(files) / max(1, len(chosen)))} across the corpus) that took "
                f"{wall:.1f} s: "
                f"{rate:,.0f} lines/s",
                "built-in rules, its own worker count",
                "RSS is the slice's",
            ],
        )
    )
    load_after = os.getloadavg()

    # Order the table: retrylint rows, then peers; flake8 is the reference.
    header = [
        f"Date: {datetime.date.today().isoformat()}; machine: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Linux {platform.release()}; Python {platform.python_version()} "
        f"(retrylint's venv: {version_of([python, '-V'])})",
        f"Corpus: {'--quick slice ' + QUICK_PACKAGE + ' of ' if args.quick else ''}"
        f"`../shared/bench/corpus.sh`: {len(files):,} Python files, {total_lines:,} lines",
        f"Versions: {version_of([retrylint, '--version'])} ({source}); "
        f"flake8 {version_of([str(tools / 'flake8'), '--version']).split()[0]}; "
        f"{version_of([str(tools / 'ruff'), '--version'])}; "
        f"{version_of([str(tools / 'fixit'), '--version'])}; libcst "
        f"{version_of([python, '-c', LIBCST_VERSION])}",
        f"Load average (1 min) before/after: {load_before[0]:.2f}/{load_after[0]:.2f} — "
        "the machine is shared with other work, so wall times carry noise; the CPU time "
        "(user + system, workers included) in the notes moves less",
    ]
    report = (
        "\n".join(f"{line}  " for line in header)
        + "\n\n"
        + format_table(runs, flake8.wall)
        + "\nTargets of issue 5:\n\n"
        + format_targets(cold, warm, flake8, single, rechecked, parse, startup, import_and_parse, one_worker)
    )
    print(report)
    if args.markdown_out:
        args.markdown_out.write_text(report)
    code_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
